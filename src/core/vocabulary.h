// A closed set of words Sanso writes and reads (verdicts, actions, finding kinds): each term has
// the name that goes on the wire (JSON, audit records, configuration) and its Japanese and English
// labels for people. Components keep one table per enum, indexed by the enum's value, and turn
// text into the enum once, where it enters (configuration, JSON from the sandbox), with an error
// that names the bad value, what was expected and where.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sanso {

struct Term {
  std::string_view name;  // the wire form, e.g. "held"
  std::string_view ja;
  std::string_view en;
};

// How much a finding says about a file or message, graded as GMime grades its parser warnings
// (GMIME_WARN_* / GMIME_CRIT_*) and qpdf its errors: kInfo, a routine change of the rebuild
// (metadata dropped, format converted); kWarning, an anomaly or a reference outward that was
// removed; kCritical, content that acts (macros, scripts, launch actions, embedded programs) or a
// structure other software may read differently. A kind the grader does not know is critical.
enum class FindingSeverity : std::uint8_t { kInfo, kWarning, kCritical };
std::string_view to_string(FindingSeverity severity);  // "info", "warning", "critical"
std::string_view label(FindingSeverity severity, std::string_view lang);
Result<FindingSeverity> parse_finding_severity(std::string_view text, std::string_view where);

// "a, b, c": the names of `terms`, for error messages.
std::string term_names(const Term* terms, std::size_t count);

// The index of the term named `text` (exact, case-sensitive: wire forms are written by Sanso).
// Otherwise an Error with `code`, `where`, and a message such as
// "'maybe' is not a mail verdict (one of: clean, sanitized, held)".
Result<std::size_t> parse_term(const Term* terms, std::size_t count, std::string_view text, std::string_view what, std::string_view code,
                               std::string_view where);

// The label of a term in `lang` ("en" gives English, anything else Japanese, as Label::in does).
inline std::string_view term_label(const Term& term, std::string_view lang) { return lang == "en" ? term.en : term.ja; }

// One enum's table: its terms in the order of the enumerators, what the words are ("a mail
// verdict", for errors) and the error code a bad word gets. A component keeps one per enum and
// writes its to_string / label / parse_* as one line each on top of it.
template <typename E, std::size_t N>
struct Vocabulary {
  std::array<Term, N> terms;
  std::string_view what;
  std::string_view code;

  const Term& term(E value) const { return terms.at(static_cast<std::size_t>(value)); }
  std::string_view name(E value) const { return term(value).name; }
  std::string_view label(E value, std::string_view lang) const { return term_label(term(value), lang); }
  Result<E> parse(std::string_view text, std::string_view where) const {
    auto index = parse_term(terms.data(), terms.size(), text, what, code, where);
    if (!index) return std::move(index).error();
    return static_cast<E>(*index);
  }
  std::string names() const { return term_names(terms.data(), terms.size()); }
};

}  // namespace sanso
