// The console's pages: Mustache templates with their Japanese and English wording. Values are
// HTML-escaped by the templates; only the rendered content of a page goes into the frame raw.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace sanso::web {

enum class Lang { kJa, kEn };

// The page `name` ("login", "dashboard", "quarantine", "item", "audit", "account", "message")
// with `values`; every template also sees the wording of its language as `t`.
std::string render_page(std::string_view name, Lang lang, const nlohmann::json& values);

// The frame around a page: title bar, navigation for a signed-in person, language switch.
// `frame` holds "title", "municipality", "node", "path", optional "user" (name, display, csrf),
// "notice" and "error".
std::string render_frame(Lang lang, const nlohmann::json& frame, const std::string& content_html);

// One line of wording by key, for messages the console composes ("" when unknown).
std::string wording(Lang lang, std::string_view key);

// The style sheet served at /static/console.css.
std::string_view console_css();

}  // namespace sanso::web
