// The approvals inbox's templates and wording (inbox_page.cc), which the console's page renderer
// (pages.cc) serves beside its own. Private to src/web.
#pragma once

#include "web/internal/transfer_pages.h"

namespace sanso::web::internal {

const Wording& inbox_wording();
const Templates& inbox_templates();

}  // namespace sanso::web::internal
