// Private to src/mail: the pieces the sanitizer's files share — cleaning text taken from a
// message, reading and writing header fields, and GMime's parser warnings as findings. Nothing
// outside src/mail includes this.
#pragma once

#include <gmime/gmime.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mail/sanitize.h"

namespace sanso::mail::internal {

// ── text taken from a message (message_text.cc) ──
std::string trim(std::string_view s);
bool is_ascii(std::string_view s);
// Line and paragraph separators: a reader's client may start a new line at them.
bool is_line_separator(gunichar c);
// Controls and bidi marks removed (line breaks kept when `lines`); what was removed is flagged.
std::string strip_controls(std::string_view text, bool lines, std::vector<std::string>& flags);
// `text` as a viewer shows it where a right-to-left override (U+202E) reverses what follows it, up
// to the pop (U+202C) or the line's end — digits written backwards after one show forwards, and
// the number finder reads characters in their stored order. "" when it holds none.
std::string as_shown_by_overrides(std::string_view text);
std::string clean_file_name(const std::string& name, std::vector<std::string>& flags);
std::string human_size(std::size_t n);
// Text as a reader compares it by eye: NFKC, case folded, spacing removed, look-alikes read as Latin.
std::string comparable(std::string_view text);
// The same of text already valid UTF-8 in NFKC (NFKC is idempotent: no second normalisation).
std::string comparable_of_nfkc(const char* nfkc);
// comparable() of text of printable ASCII, full-width ASCII, kana and kanji, read without GLib, and
// whether its first visible character is a bar; nullopt for any other text (GLib reads it).
struct PlainReading {
  std::string comparable;
  bool bar_first = false;
};
std::optional<PlainReading> read_plain(std::string_view text);

// Whether a body line could be taken for a line of Sanso's banner: it begins (after white space
// and invisible characters, NFKC applied) with the banner's frame or a look-alike, or it names
// Sanso at all, however spaced, widened or spelled with look-alike letters.
bool imitates_banner(std::string_view line);
// The two ways it is answered: without GLib for lines of ASCII, full-width ASCII, kana and kanji
// (nullopt for any other line), and by NFKC for every line. They agree wherever the first answers.
std::optional<bool> plain_line_imitates_banner(std::string_view line);
bool normalized_line_imitates_banner(std::string_view line);

// The action for an attachment: a rule for its extension, then for its CDR content type (when
// known), then the default (sanitize.cc).
AttachmentAction attachment_action_for(const std::string& name, const std::string& type, const SanitizeOptions& options);

// Bytes inside the JSON that crosses the sandbox boundary (plan_json.cc).
std::string to_base64(const std::string& bytes);
std::string from_base64(const std::string& text);

// ── header fields (header_fields.cc) ──
using Params = std::vector<std::pair<std::string, std::string>>;
std::vector<std::string> split_params(std::string_view raw);
std::pair<std::string, Params> parse_header_params(std::string_view raw);
std::string raw_header(GMimeObject* obj, const char* name);
// The headers RFC 5322 allows once (3.6); a second one is dropped.
extern const std::string kSingleHeaders[10];
std::optional<std::string> fold_header(const std::string& name, std::string_view value);
std::string rewrite_addresses(const std::string& value, GMimeParserOptions* parser_options, std::vector<std::string>& warnings);
// At most this many mailboxes of a From header are shown and compared: a header with thousands
// must not make the banner or the checks outside the sandbox unbounded.
constexpr std::size_t kMaxFromMailboxes = 100;
std::vector<Mailbox> mailboxes_of(const std::string& value);

// ── parser findings (parser_findings.cc) ──
// Structure that readers can take apart differently (issue #22): parser findings of our own,
// beside GMime's codes (all below 1000), and each holds the message — choosing one reading would
// let a part one reader sees (an .exe) past the rules checked on another reading.
constexpr int kAmbiguousBoundary = 1001;      // boundary="b " : trimmed by Python, kept by GMime
constexpr int kDuplicateBoundary = 1002;      // boundary=a; boundary=b : first or last
constexpr int kPartOutsideBoundaries = 1003;  // "--b" + headers in a preamble or epilogue
constexpr int kBoundaryPrefix = 1004;         // "--b" also begins "--bb", a nested delimiter
constexpr int kAmbiguousPartHeader = 1005;    // two Content-Type (GMime: last, Python: first), a parameter twice

// Collects the parser's warnings for one message; identical (kind, item) pairs are counted, not
// repeated, so that a hostile message cannot grow the report without bound.
struct ParserFindingSink {
  std::vector<ParserFinding>& findings;
  std::size_t dropped = 0;
  void add(std::int64_t offset, int code, const char* item);
  static void on_warning(gint64 offset, GMimeParserWarning code, const gchar* item, gpointer sink);
};
// The finding of a GMime warning code or one of ours: its kind and severity (kUnknown with the
// code, critical, for a code we do not know).
ParserFinding parser_finding_of(int code);
bool has_critical(const SanitizePlan& plan);
// "conflicting-header (Content-Type), …": the critical findings in words for a held message's
// reason and the notice.
std::string critical_findings_text(const SanitizePlan& plan, const std::string& lang);
// The stricter handling of a message with critical parser findings (options.on_parser_critical).
void apply_parser_critical(SanitizePlan& plan, const SanitizeOptions& options);

}  // namespace sanso::mail::internal
