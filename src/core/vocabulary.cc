#include "core/vocabulary.h"

namespace sanso {
namespace {
constexpr Vocabulary<FindingSeverity, 3> kSeverities{{{
                                                         {"info", "情報", "info"},
                                                         {"warning", "注意", "warning"},
                                                         {"critical", "重大", "critical"},
                                                     }},
                                                     "a finding severity",
                                                     "core.value"};
}  // namespace

std::string_view to_string(FindingSeverity s) { return kSeverities.name(s); }
std::string_view label(FindingSeverity s, std::string_view lang) { return kSeverities.label(s, lang); }
Result<FindingSeverity> parse_finding_severity(std::string_view text, std::string_view where) { return kSeverities.parse(text, where); }

std::string term_names(const Term* terms, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    if (!out.empty()) out += ", ";
    out += terms[i].name.empty() ? std::string_view("\"\"") : terms[i].name;
  }
  return out;
}

Result<std::size_t> parse_term(const Term* terms, std::size_t count, std::string_view text, std::string_view what, std::string_view code,
                               std::string_view where) {
  for (std::size_t i = 0; i < count; ++i) {
    if (terms[i].name == text) return i;
  }
  // The bad value is quoted as given but bounded: it may come from hostile JSON or a long line.
  std::string shown;
  for (char c : text.substr(0, 64)) shown += c >= 0x20 && c < 0x7f ? c : '?';
  if (text.size() > 64) shown += "...";
  return make_error(std::string(code), std::string(where),
                    "'" + shown + "' is not " + std::string(what) + " (one of: " + term_names(terms, count) + ")");
}

}  // namespace sanso
