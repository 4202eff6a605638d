// The monitor findings pages' templates and wording (findings_page.cc), which the console's page
// renderer (pages.cc) serves beside its own. Private to src/web.
#pragma once

#include <map>
#include <string>

#include "web/internal/transfer_pages.h"

namespace sanso::web::internal {

// The findings pages' and the zone map's (zone_map_page.cc) together.
const Wording& findings_wording();
const Templates& findings_templates();
const Wording& zone_map_wording();
const Templates& zone_map_templates();

}  // namespace sanso::web::internal
