// HTML → plain text as a reader would see the page: paragraphs and line breaks, headings, lists
// with markers, tables as aligned columns (East Asian width aware), quotes as "> ", links as
// "text (URL)" (defanged on request: hxxps://example[.]com), images as [画像: alt]. Scripts,
// styles, the head, comments, forms, embedded objects and what CSS hides are dropped. A real
// HTML parser (libxml2's, no network) reads the markup; no regular expressions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sanso::mime {

struct HtmlTextOptions {
  bool defang_links = true;
  std::string lang = "ja";  // markers and labels: "ja" or "en"
  // The text may grow to 1 MiB plus 4 times the HTML, and never beyond 16 MiB: markup that
  // multiplies (colspan, deep quotes and lists repeat their padding on every line) is cut there.
  std::size_t max_text_bytes = 16 << 20;
};

struct HtmlText {
  std::string text;
  std::size_t links = 0;
  std::size_t images = 0;
  std::size_t dropped = 0;  // scripts, styles, forms, objects and hidden elements left out
  bool truncated = false;   // the markup nests deeper than the parser follows: text may be missing
  // Text a reader would not see (html_style.h) left out: how many pieces, and why, e.g.
  // {"font-size:0", "same-colour"}. Elements hidden with no text in them are not counted.
  std::size_t hidden = 0;
  std::vector<std::string> hidden_because;
  // The text reached its size limit and ends with a line that says so; the rest is not shown.
  bool size_limited = false;
};

// `html` must already be UTF-8 (decode it with decode_text first).
HtmlText html_to_text(std::string_view html, const HtmlTextOptions& options = {});

// The markup with its character references decoded as a browser reads them (&#49; &#x31; and the
// named ones that spell digits, separators or brackets), tags and all: what a comment, an attribute
// or a hidden element holds, for content checks. What is not a reference is left as it is.
std::string decode_character_references(std::string_view html);

// Why the text a reader sees of `html` is in another order than the markup's, or has text the
// markup does not (html_layout.cc), "" when neither: a <bdo dir=rtl> or an element written right to
// left (dir=rtl, direction:rtl) whose text has digits (the bidirectional algorithm shows groups of
// digits in reverse), unicode-bidi overrides, flex items reversed or reordered (row-reverse,
// order), grid placement, and ::before / ::after content with digits, escapes, attr() or counters.
// Neither html_to_text() nor the markup read as it is shows the number such a page shows: the
// outgoing check holds it as not checked. `html` as html_to_text() takes it.
std::string html_reordering(std::string_view html);

// "https://example.com/x" → "hxxps://example[.]com/x": readable, not clickable.
std::string defang_url(std::string_view url);

// `text` with every link a mail client would make clickable made readable but not clickable, in
// one pass, case-insensitively: any `scheme://` (http, https and ftp as hxxp, hxxps and fxp, others
// as `scheme[:]//`), the schemes clients open without `//` (mailto:, javascript:, file:, ms-…:
// → `mailto[:]…`), UNC paths (`\\host\share` → `[\\]host\share`) and bare `www.` hosts; the dots of
// each host as `[.]`. Text that is no link is left as it is.
std::string defang_links(std::string_view text);

}  // namespace sanso::mime
