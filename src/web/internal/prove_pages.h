// The registers' and the self-inspection's templates and wording (prove_pages.cc), which the
// console's page renderer (pages.cc) serves beside its own. Private to src/web.
#pragma once

#include <map>
#include <string>

#include "web/internal/transfer_pages.h"

namespace sanso::web::internal {

const Wording& prove_wording();
const Templates& prove_templates();

}  // namespace sanso::web::internal
