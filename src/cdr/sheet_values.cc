// What Excel shows of a worksheet's cells that the sheet's XML does not spell (review30 H4): a
// 個人番号 typed into a numeric column is stored as 12345678903 and shown as 012345678903 by a
// zero-padding format; a value may be stored in E notation (1.23456789018E+11); a formula joins
// literals ("1234"&"5678"&"9018") or computes a number when the file is opened. The sheet's own
// text (xml_text) is read as well; these are further readings of the same cells.
#include <pugixml.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cdr/internal/format.h"

namespace sanso::cdr {
namespace {

// Digits beyond these are no number a cell shows (Excel keeps 15 significant digits; a format
// pads to at most a few dozen).
constexpr std::size_t kMostShownDigits = 40;

std::string_view local_name(std::string_view name) {
  const std::size_t colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node child_named(const pugi::xml_node& parent, std::string_view local) {
  for (pugi::xml_node c : parent.children()) {
    if (c.type() == pugi::node_element && local_name(c.name()) == local) return c;
  }
  return {};
}

// The zeros a number format's first section pads the integer part to: its '0' placeholders before
// a decimal point or an exponent, outside quoted literals ("-"), escapes (\-), [conditions] and
// [colours], spacing (_x) and fills (*x).
std::size_t zero_width(std::string_view format) {
  std::size_t zeros = 0;
  for (std::size_t i = 0; i < format.size(); ++i) {
    const char c = format[i];
    if (c == '"') {
      const std::size_t close = format.find('"', i + 1);
      if (close == std::string_view::npos) break;
      i = close;
    } else if (c == '[') {
      const std::size_t close = format.find(']', i + 1);
      if (close == std::string_view::npos) break;
      i = close;
    } else if (c == '\\' || c == '_' || c == '*') {
      ++i;
    } else if (c == ';' || c == '.' || c == 'E' || c == 'e') {
      break;
    } else if (c == '0') {
      ++zeros;
    }
  }
  return std::max<std::size_t>(zeros, 1);
}

// A cell's numeric value as the digits of its integer part, rounded as the format "0" rounds, then
// padded with zeros to `width`: "1.23456789018E+11" → "123456789018", "12345678903" at 12 →
// "012345678903". Empty when the value is no number.
std::string shown_digits(std::string_view v, std::size_t width) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '-' || v.front() == '+')) v.remove_prefix(1);
  std::string digits;
  long point = -1;  // digits before the decimal point
  std::size_t at = 0;
  for (; at < v.size(); ++at) {
    if (v[at] >= '0' && v[at] <= '9') {
      digits += v[at];
    } else if (v[at] == '.' && point < 0) {
      point = static_cast<long>(digits.size());
    } else {
      break;
    }
    if (digits.size() > kMostShownDigits) return "";
  }
  if (digits.empty()) return "";
  if (point < 0) point = static_cast<long>(digits.size());
  if (at < v.size()) {
    if (v[at] != 'E' && v[at] != 'e') return "";
    ++at;
    const bool negative = at < v.size() && v[at] == '-';
    if (at < v.size() && (v[at] == '-' || v[at] == '+')) ++at;
    if (at == v.size() || v.size() - at > 3) return "";
    long exponent = 0;
    for (; at < v.size(); ++at) {
      if (v[at] < '0' || v[at] > '9') return "";
      exponent = exponent * 10 + (v[at] - '0');
    }
    point += negative ? -exponent : exponent;
  }
  if (point > static_cast<long>(kMostShownDigits)) return "";
  std::string whole;
  bool round_up = false;
  if (point <= 0) {
    whole = "0";
    round_up = point == 0 && digits[0] >= '5';
  } else {
    whole = digits.substr(0, std::min<std::size_t>(static_cast<std::size_t>(point), digits.size()));
    whole.append(static_cast<std::size_t>(point) - whole.size(), '0');
    round_up = static_cast<std::size_t>(point) < digits.size() && digits[static_cast<std::size_t>(point)] >= '5';
  }
  if (round_up) {
    std::size_t k = whole.size();
    while (k > 0 && whole[k - 1] == '9') whole[--k] = '0';
    if (k == 0) whole.insert(whole.begin(), '1');
    else ++whole[k - 1];
  }
  const std::size_t first = whole.find_first_not_of('0');
  whole = first == std::string::npos ? "0" : whole.substr(first);
  if (width > whole.size() && width <= kMostShownDigits) whole.insert(0, width - whole.size(), '0');
  return whole;
}

// A formula's string literals ("1234"&"5678" → "12345678", "" inside one a quote) and whether it
// has a number of its own: a digit outside the literals, quoted sheet names, [external books] and
// names (A1, $B$2, LOG10, Sheet1!C3), which refer to other cells, each read where it is.
struct FormulaLiterals {
  std::string joined;
  bool has_number = false;
};

FormulaLiterals formula_literals(std::string_view f) {
  FormulaLiterals out;
  for (std::size_t i = 0; i < f.size();) {
    const char c = f[i];
    if (c == '"') {
      for (++i; i < f.size(); ++i) {
        if (f[i] != '"') {
          out.joined += f[i];
        } else if (i + 1 < f.size() && f[i + 1] == '"') {
          out.joined += '"';
          ++i;
        } else {
          break;
        }
      }
      ++i;
    } else if (c == '\'' || c == '[') {
      const std::size_t close = f.find(c == '\'' ? '\'' : ']', i + 1);
      i = close == std::string_view::npos ? f.size() : close + 1;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$' || c == '\\' || static_cast<unsigned char>(c) >= 0x80) {
      while (i < f.size() && (std::isalnum(static_cast<unsigned char>(f[i])) || f[i] == '_' || f[i] == '$' || f[i] == '.' || f[i] == '\\' ||
                              static_cast<unsigned char>(f[i]) >= 0x80)) {
        ++i;
      }
    } else {
      if (c >= '0' && c <= '9') out.has_number = true;
      ++i;
    }
  }
  return out;
}

// A cell reference as a note may show it ("A1"): letters and digits only, short.
std::string cell_name(std::string_view r) {
  std::string out;
  for (char c : r) {
    if (std::isalnum(static_cast<unsigned char>(c)) && out.size() < 12) out += c;
  }
  return out.empty() ? "?" : out;
}

}  // namespace

std::vector<std::size_t> internal::sheet_style_widths(std::string_view styles_xml) {
  pugi::xml_document doc;
  if (!doc.load_buffer(styles_xml.data(), styles_xml.size())) return {};
  const pugi::xml_node sheet = doc.document_element();
  if (local_name(sheet.name()) != "styleSheet") return {};
  std::map<std::string, std::size_t> formats;  // numFmtId → width; the built-in ones pad to one digit
  for (pugi::xml_node f : child_named(sheet, "numFmts").children()) {
    if (local_name(f.name()) == "numFmt") formats[f.attribute("numFmtId").value()] = zero_width(f.attribute("formatCode").value());
  }
  std::vector<std::size_t> widths;
  for (pugi::xml_node xf : child_named(sheet, "cellXfs").children()) {
    if (local_name(xf.name()) != "xf") continue;
    const auto found = formats.find(xf.attribute("numFmtId").value());
    widths.push_back(found == formats.end() ? 1 : found->second);
  }
  return widths;
}

internal::SheetValues internal::sheet_values(std::string_view sheet_xml, const std::vector<std::size_t>& style_widths) {
  SheetValues out;
  pugi::xml_document doc;
  if (!doc.load_buffer(sheet_xml.data(), sheet_xml.size())) return out;
  const pugi::xml_node sheet = doc.document_element();
  if (local_name(sheet.name()) != "worksheet") return out;
  std::map<std::string, bool> shared_has_number;  // a shared formula's si → its master has a number
  std::size_t uncomputed = 0;
  std::string first_uncomputed;
  for (pugi::xml_node row : sheet.children()) {
    if (local_name(row.name()) != "sheetData") continue;
    for (pugi::xml_node r : row.children()) {
      if (local_name(r.name()) != "row") continue;
      for (pugi::xml_node c : r.children()) {
        if (local_name(c.name()) != "c") continue;
        const std::string_view type = c.attribute("t").value();
        const pugi::xml_node v = child_named(c, "v"), f = child_named(c, "f");
        const std::string_view value = v ? v.child_value() : "";
        if (!value.empty() && (type.empty() || type == "n")) {
          const std::string_view s = c.attribute("s").value();
          std::size_t width = 1;
          if (!s.empty() && s.size() < 9 && s.find_first_not_of("0123456789") == std::string_view::npos) {
            const std::size_t style = std::stoul(std::string(s));
            if (style < style_widths.size()) width = style_widths[style];
          }
          const std::string shown = shown_digits(value, width);
          if (!shown.empty() && shown != value) out.text += shown + "\n";
        }
        if (!f) continue;
        const FormulaLiterals literals = formula_literals(f.child_value());
        if (!literals.joined.empty()) out.text += literals.joined + "\n";
        bool has_number = literals.has_number || std::any_of(literals.joined.begin(), literals.joined.end(), [](char d) { return d >= '0' && d <= '9'; });
        const std::string si = f.attribute("si").value();
        if (std::string_view(f.attribute("t").value()) == "shared" && !si.empty()) {
          if (*f.child_value() != '\0') {
            shared_has_number[si] = has_number;
          } else {
            const auto master = shared_has_number.find(si);
            has_number = master == shared_has_number.end() || master->second;  // a master not seen: not known, so not passed
          }
        } else if (*f.child_value() == '\0') {
          has_number = true;  // a formula of no text (a data table's): what it computes is not known
        }
        if (value.empty() && has_number) {
          if (uncomputed++ == 0) first_uncomputed = cell_name(c.attribute("r").value());
        }
      }
    }
  }
  if (uncomputed > 0) {
    out.unchecked.push_back("unsupported: " + std::to_string(uncomputed) + " formula(s) with numbers in them (the first in cell " + first_uncomputed +
                            ") have no stored value; Excel computes them when the file is opened, and what they compute is not read");
  }
  return out;
}

}  // namespace sanso::cdr
