// Text, CSV/TSV, XML and HTML files. Text becomes UTF-8 (Japanese encodings detected, undecodable
// bytes counted as U+FFFD, NULs removed); CSV/TSV cells that a spreadsheet would run as a formula
// get a leading apostrophe; HTML with active content is blocked, other HTML becomes text.
#include <algorithm>
#include <cctype>

#include "cdr/internal/format.h"
#include "core/text.h"
#include "mime/charset.h"
#include "mime/embedded.h"
#include "mime/html_text.h"

namespace sanso::cdr::internal {
namespace {


// UTF-8 without BOM and NULs; findings for what changed.
std::string to_utf8(std::string_view bytes, const Context& ctx) {
  mime::DecodedText d = mime::decode_text(bytes, "");
  std::string text = std::move(d.utf8);
  if (d.decoded_as != "utf-8" && d.decoded_as != "us-ascii" && !d.decoded_as.empty()) ctx.add(FindingKind::kCharsetConverted, d.decoded_as + " → utf-8", FindingAction::kConverted);
  if (d.replaced > 0) ctx.add(FindingKind::kUndecodableBytes, std::to_string(d.replaced) + " bytes", FindingAction::kConverted);
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
  std::size_t nuls = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\0'));
  if (nuls > 0) {
    text.erase(std::remove(text.begin(), text.end(), '\0'), text.end());
    ctx.add(FindingKind::kNulBytes, std::to_string(nuls) + " bytes", FindingAction::kRemoved);
  }
  return text;
}

// The delimiter Excel will split on: a first line "sep=X" sets it, whatever the extension says.
char delimiter_of(std::string_view text, char fallback) {
  if (text.size() >= 5 && ascii_lower(text.substr(0, 4)) == "sep=" && text[4] != '\r' && text[4] != '\n') {
    if (text.size() == 5 || text[5] == '\r' || text[5] == '\n') return text[4];
  }
  return fallback;
}

bool is_line_end(char c) { return c == '\n' || c == '\r'; }  // Excel ends a row at CR, LF or CRLF

std::string neutralise_cells(std::string_view text, char sep, const Context& ctx) {
  std::string out;
  out.reserve(text.size() + 16);
  std::size_t row = 1, col = 1, hits = 0;
  std::string first;
  std::size_t i = 0;
  while (i <= text.size()) {
    // One field starts at i.
    if (i < text.size() && text[i] == '"') {
      std::size_t j = i + 1;
      std::string value;
      while (j < text.size()) {
        if (text[j] == '"') {
          if (j + 1 < text.size() && text[j + 1] == '"') {
            value += '"';
            j += 2;
            continue;
          }
          break;
        }
        value += text[j++];
      }
      if (is_spreadsheet_formula(value)) {
        out += "\"'";
        out.append(text.substr(i + 1, j - i - 1));
        ++hits;
        if (first.empty()) first = "row " + std::to_string(row) + " column " + std::to_string(col);
      } else {
        out.append(text.substr(i, j - i));
      }
      i = j;  // at the closing quote (or the end); copy up to the separator
      std::size_t k = i;
      while (k < text.size() && text[k] != sep && !is_line_end(text[k])) ++k;
      out.append(text.substr(i, k - i));
      i = k;
    } else {
      std::size_t k = i;
      while (k < text.size() && text[k] != sep && !is_line_end(text[k])) ++k;
      std::string_view cell = text.substr(i, k - i);
      if (is_spreadsheet_formula(cell)) {
        out += '\'';
        ++hits;
        if (first.empty()) first = "row " + std::to_string(row) + " column " + std::to_string(col);
      }
      out.append(cell);
      i = k;
    }
    if (i >= text.size()) break;
    out += text[i];
    if (is_line_end(text[i])) {
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') out += text[++i];
      ++row;
      col = 1;
    } else {
      ++col;
    }
    ++i;
  }
  if (hits > 0) ctx.add(FindingKind::kFormulaInjection, first + (hits > 1 ? " and " + std::to_string(hits - 1) + " more cells" : ""), FindingAction::kNeutralised);
  return out;
}

// Files written into the text (uuencode, BinHex, yEnc): mail and news clients, and a clerk's
// uudecode, turn them back into the file — a program inside a .txt would pass as text. Cut out as the
// mail sanitizer cuts them from a body, a line left where each was.
std::string without_embedded_files(std::string text, const Context& ctx) {
  const auto files = mime::find_embedded_files(text);
  if (files.empty()) return text;
  std::string out;
  std::size_t at = 0;
  for (const auto& f : files) {
    const std::string shown = f.name.empty() ? "(" + f.kind + ")" : visible_text(f.name) + " (" + f.kind + ")";
    out.append(text, at, f.begin - at);
    out += "[テキストに埋め込まれたファイル " + shown + " を削除しました / a file embedded in the text, " + shown + ", was removed]\n";
    at = f.end;
    ctx.add(FindingKind::kEmbeddedFile, shown, FindingAction::kRemoved);
  }
  out.append(text, at);
  return out;
}

}  // namespace

Result<Rebuilt> sanitize_text(std::string_view bytes, std::string_view type, const Context& ctx) {
  const std::string where = ctx.prefix.empty() ? std::string("text") : ctx.prefix.substr(0, ctx.prefix.size() - 1);
  std::string text = to_utf8(bytes, ctx);
  if (type == "xml") {
    // Lines cut from XML could break its structure: an XML file carrying a file written into it is
    // refused instead.
    if (const auto files = mime::find_embedded_files(text); !files.empty()) {
      return blocked("active-content", where, "the XML carries a file written into its text (" + files.front().kind + ")");
    }
  } else {
    text = without_embedded_files(std::move(text), ctx);
  }
  if (type == "xml") {
    const std::string all = ascii_lower(sniffable_text(bytes));
    if (all.find("<!entity") != std::string::npos || text.find("<!ENTITY") != std::string::npos) {
      return blocked("active-content", where, "the XML declares entities (entity expansion or external entities)");
    }
  }
  if (type == "csv" || type == "tsv") {
    text = neutralise_cells(text, delimiter_of(text, type == "csv" ? ',' : '\t'), ctx);
    if (ctx.policy.csv_bom) text.insert(0, "\xEF\xBB\xBF");
  }
  return Rebuilt{std::move(text), std::string(type)};
}

Result<Rebuilt> sanitize_html(std::string_view bytes, const Context& ctx) {
  const std::string where = ctx.prefix.empty() ? std::string("html") : ctx.prefix.substr(0, ctx.prefix.size() - 1);
  std::vector<Finding> scratch;
  std::uint64_t none = 0;
  Context quiet{ctx.policy, scratch, none, ctx.depth, ctx.prefix};
  std::string text = to_utf8(bytes, quiet);
  std::string l = ascii_lower(text);
  for (const char* active : {"<script", "javascript:", "vbscript:", "<iframe", "<object", "<embed", "<applet", "<form", "<hta:", "http-equiv=\"refresh",
                             "http-equiv=refresh", "<base ", "<meta http-equiv='refresh"}) {
    if (l.find(active) != std::string::npos) return blocked("active-content", where, std::string("the HTML contains ") + active);
  }
  // The same elements under any prefix (XHTML bound to "x:" runs <x:script> all the same).
  if (has_tag_named(l, {"script", "iframe", "object", "embed", "applet", "form", "frame", "frameset", "base"})) {
    return blocked("active-content", where, "the HTML contains a script, frame, object or form element");
  }
  // Event handlers: an attribute " on…=" inside a tag.
  for (std::size_t p = l.find(" on"); p != std::string::npos; p = l.find(" on", p + 3)) {
    std::size_t q = p + 3;
    while (q < l.size() && std::isalpha(static_cast<unsigned char>(l[q]))) ++q;
    while (q < l.size() && l[q] == ' ') ++q;
    if (q < l.size() && l[q] == '=' && q > p + 3) {
      auto lt = l.rfind('<', p), gt = l.rfind('>', p);
      if (lt != std::string::npos && (gt == std::string::npos || gt < lt)) {
        return blocked("active-content", where, "the HTML has an event handler (" + text.substr(p + 1, q - p - 1) + ")");
      }
    }
  }
  mime::HtmlTextOptions options;
  auto converted = mime::html_to_text(text, options);
  if (converted.text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return blocked("malformed", where, "the HTML has no text to deliver once its markup is removed");
  }
  ctx.add(FindingKind::kHtmlConverted, "", FindingAction::kConverted);
  // The text it becomes is text like any other: a file written into it (a uuencoded program in a
  // <pre>) is cut out.
  return Rebuilt{without_embedded_files(std::move(converted.text), ctx), "text"};
}

}  // namespace sanso::cdr::internal
