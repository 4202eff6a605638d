// The verdict an original was kept with: the engines' verdicts joined into one closed set, so that
// `[quarantine] retention_days`, `sanso quarantine add --verdict` and the stored records can only
// name a verdict some engine gives. A small library of its own: the configuration parses its
// retention keys with it without depending on the store.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sanso::quarantine {

enum class Verdict : std::uint8_t {
  kClean,      // passed unchanged (kept for the record, e.g. a transfer or a hand-kept item)
  kSanitized,  // a rebuilt or text-only copy went on; this is the original
  kBlocked,    // nothing went on: the CDR engine refused the file
  kHeld,       // nothing went on yet: waiting for a person (outgoing 個人番号, parser trouble, approval)
};
std::string_view to_string(Verdict verdict);  // "clean", "sanitized", "blocked", "held"
std::string_view label(Verdict verdict, std::string_view lang);  // "en": English, else Japanese
// Any other word is an Error (code "quarantine.value") naming it, `where` and the words allowed.
Result<Verdict> parse_verdict(std::string_view text, std::string_view where);
std::string verdict_names();  // "clean, sanitized, blocked, held"
std::span<const Verdict> all_verdicts();

}  // namespace sanso::quarantine
