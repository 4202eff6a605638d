// The transfer pages' templates and wording (transfer_pages.cc), which the console's page renderer
// (pages.cc) serves beside its own. Private to src/web.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "web/pages.h"

namespace sanso::web::internal {

using Wording = std::map<std::string, std::pair<std::string, std::string>, std::less<>>;  // key → {ja, en}
const Wording& transfer_wording();
const Templates& transfer_templates();
// The upload form's script, served at /static/transfer.js (upload_script.cc).
std::string_view upload_script();

}  // namespace sanso::web::internal
