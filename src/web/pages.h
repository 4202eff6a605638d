// The console's pages: Mustache templates with their Japanese and English wording. Values are
// HTML-escaped by the templates; only the rendered content of a page goes into the frame raw.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace sanso::web {

enum class Lang { kJa, kEn };

// Every page template of the console, by the one name its handler renders it with. The templates
// live beside their handlers (pages.cc, transfer_pages.cc, findings_page.cc, prove_pages.cc),
// each file's keyed by these names, so a page that is misnamed or has no template does not compile
// or fails the console's tests, instead of rendering empty.
enum class PageTemplate {
  kLogin, kDashboard, kQuarantine, kItem, kAudit, kAccount, kMessage,      // pages.cc
  kTransferHome, kTransfer, kApprovals, kLink,                             // transfer_pages.cc
  kFindings, kFinding, kZoneMap,                                           // findings_page.cc, zone_map_page.cc
  kRegisters, kRegister, kRegisterEntry, kFields, kCampaigns, kCampaign, kStatistics,  // prove_pages.cc
  kPolicyVersions, kPolicyDiff, kAudience,                                 // prove_pages.cc
  kPpap,                                                                   // transfer_pages.cc
  kLast = kPpap,  // a new page goes above this line, becomes kLast, and is listed in kEveryPageTemplate
};
inline constexpr PageTemplate kEveryPageTemplate[] = {
    PageTemplate::kLogin,     PageTemplate::kDashboard, PageTemplate::kQuarantine,    PageTemplate::kItem,     PageTemplate::kAudit,
    PageTemplate::kAccount,   PageTemplate::kMessage,   PageTemplate::kTransferHome,  PageTemplate::kTransfer, PageTemplate::kApprovals,
    PageTemplate::kLink,      PageTemplate::kFindings,  PageTemplate::kFinding,       PageTemplate::kRegisters, PageTemplate::kRegister,
    PageTemplate::kRegisterEntry, PageTemplate::kFields, PageTemplate::kCampaigns,    PageTemplate::kCampaign,
    PageTemplate::kZoneMap, PageTemplate::kStatistics,
    PageTemplate::kPolicyVersions, PageTemplate::kPolicyDiff, PageTemplate::kAudience,
    PageTemplate::kPpap};
// A file's templates by page.
using Templates = std::map<PageTemplate, std::string>;

// How many templates the console has for `page`: one for every page (a test holds it to that).
std::size_t templates_for(PageTemplate page);

// The page with `values`; every template also sees the wording of its language as `t`.
std::string render_page(PageTemplate page, Lang lang, const nlohmann::json& values);

// The frame around a page: title bar, navigation for a signed-in person, language switch.
// `frame` holds "title", "municipality", "node", "path", optional "user" (name, display, csrf),
// "notice" and "error".
std::string render_frame(Lang lang, const nlohmann::json& frame, const std::string& content_html);

// One line of wording by key, for messages the console composes ("" when unknown).
std::string wording(Lang lang, std::string_view key);

// The style sheet served at /static/console.css.
std::string_view console_css();

}  // namespace sanso::web
