// Text helpers shared by everything that prints for people: terminal width of UTF-8 text
// (East Asian wide characters take two columns) and padding to a column width.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sanso {

// Columns a terminal uses for this UTF-8 text: 2 for East Asian Wide/Fullwidth characters,
// 0 for combining marks and controls, 1 otherwise. Invalid bytes count as one column each.
std::size_t display_width(std::string_view utf8);

// `utf8` followed by spaces up to `width` columns (unchanged when already wider).
std::string pad_to_width(std::string_view utf8, std::size_t width);

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF).
bool is_valid_utf8(std::string_view text);

// `utf8` (well-formed: the caller checked) appended to `out` as a JSON string, quotes included, with
// the escapes RFC 8785 prescribes and nlohmann::json's dump writes alike: \" and \\, the five
// short ones (\b \f \n \r \t), the other controls as \u00xx in lower case, everything else as it is.
void append_json_string(std::string& out, std::string_view utf8);

// `c` appended to `out` as UTF-8 (the caller keeps it a scalar value ≤ U+10FFFF).
void append_utf8(std::string& out, char32_t c);

// Length of the well-formed UTF-8 sequence starting at `text[at]` (Unicode Table 3-7), or 0 when
// the bytes there are not one.
std::size_t utf8_sequence_length(std::string_view text, std::size_t at);

// The code point of the well-formed UTF-8 sequence at `text[at]` and its length
// (utf8_sequence_length); U+FFFD and length 0 when the bytes there are not one — a caller that
// moves on steps over one byte, and one that reads digits or widths sees no character there.
struct Utf8CodePoint {
  char32_t value = 0xFFFD;
  std::size_t length = 0;
};
Utf8CodePoint utf8_code_point_at(std::string_view text, std::size_t at);

// `utf8` as it may be shown to people: characters that are invisible or change how the text
// around them reads — controls (C0, DEL, C1), bidirectional overrides, embeddings, isolates and
// marks, zero-width and other format characters, line and paragraph separators — become visible
// markers such as "<U+202E>", and bytes that are not UTF-8 become "<0xFF>". A subject
// "請求書<U+202E>fdp.exe" can then no longer pass for "請求書exe.pdf", nor escape sequences
// recolour a terminal. Everything else is kept as it was.
std::string visible_text(std::string_view utf8);

// `parts` with `separator` between each two ("a, b, c"); an empty part keeps its place, so that
// joining with "\n" and splitting the lines again gives the same parts back.
std::string join(const std::vector<std::string>& parts, std::string_view separator);

// `text` without the spaces and tabs at either end. Inline: the flow-log parsers call it per field.
inline std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// `text` with ASCII letters lower-cased (names, labels, extensions; never locale-dependent).
std::string ascii_lower(std::string_view text);

// A size as people read it in a list: "512 B", "3.4 KiB", "12.0 MiB".
std::string human_size(std::uint64_t bytes);

// The extension of the last path component as Windows will name the file, lower-case and without
// the dot ("a/b.DOCX" → "docx", "x.exe." and "x.exe::$DATA" → "exe"); "" when there is none or the
// name starts with its only dot (".profile"). Rules by extension must not be sidestepped by a
// spelling Windows ignores.
std::string file_extension(std::string_view path);

// True when a spreadsheet opening this cell of a CSV/TSV file would evaluate it (OWASP "CSV
// injection"): it starts with = @ a tab or a CR, or with + or - and is not a plain signed
// number ("-12.5" stays a number); the full-width ＝ ＠ ＋ － count as well. Whoever writes
// such a cell prefixes it with an apostrophe.
bool is_spreadsheet_formula(std::string_view cell);

// True for an address a mail header may carry as it is: local@domain with neither spaces, controls,
// non-ASCII nor the characters that would end or split an address (<>,;:"()\[]). What sanso.toml
// and the directory give as people's and notices' addresses must be this.
bool is_plain_mail_address(std::string_view address);

// "host:port" or "[v6]:port" split into the host (without brackets) and a port 0..65535; nullopt
// for anything else, an unbracketed IPv6 address included (its last group would pass for a port).
struct HostPort {
  std::string host;
  int port = 0;
};
std::optional<HostPort> split_host_port(std::string_view text);

}  // namespace sanso
