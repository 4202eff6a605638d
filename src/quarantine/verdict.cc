#include "quarantine/verdict.h"

#include <array>

#include "core/vocabulary.h"

namespace sanso::quarantine {
namespace {

constexpr Vocabulary<Verdict, 4> kVerdicts{{{
                                               {"clean", "変更なし", "clean"},
                                               {"sanitized", "無害化済み", "sanitized"},
                                               {"blocked", "遮断", "blocked"},
                                               {"held", "保留", "held"},
                                           }},
                                           "a quarantine verdict",
                                           "quarantine.value"};
constexpr std::array kAll{Verdict::kClean, Verdict::kSanitized, Verdict::kBlocked, Verdict::kHeld};

}  // namespace

std::string_view to_string(Verdict verdict) { return kVerdicts.name(verdict); }
std::string_view label(Verdict verdict, std::string_view lang) { return kVerdicts.label(verdict, lang); }
Result<Verdict> parse_verdict(std::string_view text, std::string_view where) { return kVerdicts.parse(text, where); }
std::string verdict_names() { return kVerdicts.names(); }
std::span<const Verdict> all_verdicts() { return kAll; }

}  // namespace sanso::quarantine
