// The backend constructors behind open_database(); private to src/store.
#pragma once

#include <memory>
#include <string>

#include "store/database.h"

namespace sanso::store::internal {

Result<std::unique_ptr<Database>> open_sqlite(const std::string& path);
Result<std::unique_ptr<Database>> open_postgres(const std::string& uri);

}  // namespace sanso::store::internal
