#include "mail/vocabulary.h"

#include <ostream>

#include "core/vocabulary.h"

namespace sanso::mail {
namespace {

// Each table lists its terms in the order of the enumerators.
constexpr Vocabulary<Verdict, 3> kVerdicts{{{
                                               {"clean", "変換不要", "clean"},
                                               {"sanitized", "無害化済み", "sanitized"},
                                               {"held", "保留", "held"},
                                           }},
                                           "a mail verdict",
                                           "mail.value"};
constexpr Vocabulary<PartAction, 7> kPartActions{{{
                                                     {"body", "本文", "body"},
                                                     {"converted", "テキストに変換", "converted to text"},
                                                     {"removed", "削除", "removed"},
                                                     {"sanitized", "無害化して添付", "sanitized and attached"},
                                                     {"rejected", "拒否（メール全体を保留）", "rejected (message held)"},
                                                     {"skipped", "不使用", "skipped"},
                                                     {"pending", "無害化待ち", "pending"},
                                                 }},
                                                 "a part action",
                                                 "mail.value"};
constexpr Vocabulary<AttachmentAction, 3> kAttachmentActions{{{
                                                                 {"remove", "削除", "remove"},
                                                                 {"sanitize", "無害化", "sanitize"},
                                                                 {"reject", "拒否（メール全体を保留）", "reject (hold the message)"},
                                                             }},
                                                             "an attachment action",
                                                             "mail.value"};
constexpr Vocabulary<ParserCriticalAction, 3> kParserCriticalActions{{{
                                                                         {"remove-attachments", "添付ファイルをすべて削除", "remove every attachment"},
                                                                         {"hold", "メール全体を保留", "hold the message"},
                                                                         {"sanitize", "記録と表示のみ", "flag only"},
                                                                     }},
                                                                     "an on_parser_critical action",
                                                                     "mail.value"};

}  // namespace

std::string_view to_string(Verdict v) { return kVerdicts.name(v); }
std::string_view to_string(PartAction a) { return kPartActions.name(a); }
std::string_view to_string(AttachmentAction a) { return kAttachmentActions.name(a); }
std::string_view to_string(ParserCriticalAction a) { return kParserCriticalActions.name(a); }
std::string_view label(Verdict v, std::string_view lang) { return kVerdicts.label(v, lang); }
std::string_view label(PartAction a, std::string_view lang) { return kPartActions.label(a, lang); }
std::string_view label(AttachmentAction a, std::string_view lang) { return kAttachmentActions.label(a, lang); }
std::string_view label(ParserCriticalAction a, std::string_view lang) { return kParserCriticalActions.label(a, lang); }
Result<Verdict> parse_verdict(std::string_view text, std::string_view where) { return kVerdicts.parse(text, where); }
Result<PartAction> parse_part_action(std::string_view text, std::string_view where) { return kPartActions.parse(text, where); }
Result<AttachmentAction> parse_attachment_action(std::string_view text, std::string_view where) { return kAttachmentActions.parse(text, where); }
Result<ParserCriticalAction> parse_parser_critical_action(std::string_view text, std::string_view where) {
  return kParserCriticalActions.parse(text, where);
}
std::string attachment_action_names() { return kAttachmentActions.names(); }

std::ostream& operator<<(std::ostream& out, Verdict v) { return out << to_string(v); }
std::ostream& operator<<(std::ostream& out, PartAction a) { return out << to_string(a); }
std::ostream& operator<<(std::ostream& out, AttachmentAction a) { return out << to_string(a); }
std::ostream& operator<<(std::ostream& out, ParserCriticalAction a) { return out << to_string(a); }

}  // namespace sanso::mail
