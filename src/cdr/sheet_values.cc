// What Excel shows of a worksheet's cells that the sheet's XML does not spell (review30 H4): a
// 個人番号 typed into a numeric column is stored as 12345678903 and shown as 012345678903 by a
// zero-padding format; a value may be stored in E notation (1.23456789018E+11); a formula joins
// literals ("1234"&"5678"&"9018") or computes a number when the file is opened. The sheet's own
// text (xml_text) is read as well; these are further readings of the same cells.
#include <pugixml.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
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
// [colours], spacing (_x) and fills (*x). A '%' in it shows the value a hundred times larger
// (kPercent added to the width: "0%" shows 1234567890.18 as 123456789018%).
constexpr std::size_t kPercent = std::size_t{1} << 16;

std::size_t zero_width(std::string_view format) {
  std::size_t zeros = 0, percent = 0;
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
    } else if (c == '%') {
      percent = kPercent;
    }
  }
  return std::max<std::size_t>(zeros, 1) | percent;
}

// A cell's numeric value as the digits of its integer part, rounded as the format "0" rounds, then
// padded with zeros to `width`: "1.23456789018E+11" → "123456789018", "12345678903" at 12 →
// "012345678903"; a width with kPercent shows it a hundred times larger. Empty when the value is
// no number.
std::string shown_digits(std::string_view v, std::size_t width) {
  const long shift = (width & kPercent) != 0 ? 2 : 0;
  width &= kPercent - 1;
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
  point += shift;
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

// An attribute by its local name (office:value, table:formula): ODF's prefixes are the writer's to
// choose.
std::string_view attribute(const pugi::xml_node& n, std::string_view local) {
  for (pugi::xml_attribute a : n.attributes()) {
    if (local_name(a.name()) == local) return a.value();
  }
  return {};
}

// A repeat count (table:number-columns-repeated), 1 when absent or no number; at most `most`.
std::uint64_t repeated(std::string_view v, std::uint64_t most) {
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string_view::npos) return 1;
  return std::clamp<std::uint64_t>(std::stoull(std::string(v)), 1, most);
}

// Every element of a document in order, `enter` before its children and `leave` after them;
// walked without recursion (a document nested a million deep is a well-formed one).
template <typename Enter, typename Leave>
void each_element(const pugi::xml_document& doc, Enter enter, Leave leave) {
  for (pugi::xml_node n = doc.first_child(); n;) {
    if (n.type() == pugi::node_element) enter(n);
    if (n.type() == pugi::node_element && n.first_child()) {
      n = n.first_child();
      continue;
    }
    for (;;) {
      if (n.type() == pugi::node_element) leave(n);
      if (n.next_sibling()) {
        n = n.next_sibling();
        break;
      }
      n = n.parent();
      if (!n || n == doc) return;
    }
  }
}

// A cell's name as a spreadsheet shows it: column 0, row 0 is "A1".
std::string a1_name(std::uint64_t column, std::uint64_t row) {
  std::string letters;
  for (std::uint64_t c = column + 1; c > 0; c = (c - 1) / 26) letters.insert(letters.begin(), static_cast<char>('A' + (c - 1) % 26));
  return letters + std::to_string(row + 1);
}

}  // namespace

void internal::ods_styles(std::string_view xml, OdsStyles& into) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) return;
  std::string data_style;  // the number style being read
  std::vector<std::pair<std::string, std::string>> maps;  // style → the style a condition applies
  each_element(
      doc,
      [&](const pugi::xml_node& n) {
        const std::string_view local = local_name(n.name());
        if (local == "number-style" || local == "percentage-style" || local == "currency-style") {
          data_style = attribute(n, "name");
          into.data_widths[data_style] = 1 | (local == "percentage-style" ? kPercent : 0);
        } else if (!data_style.empty() && (local == "number" || local == "fraction")) {
          std::size_t& width = into.data_widths[data_style];
          width = std::max<std::size_t>(width & (kPercent - 1), std::min<std::uint64_t>(repeated(attribute(n, "min-integer-digits"), kMostShownDigits), kMostShownDigits)) |
                  (width & kPercent);
        } else if (!data_style.empty() && local == "map") {
          maps.emplace_back(data_style, attribute(n, "apply-style-name"));
        } else if ((local == "style" || local == "default-style") && attribute(n, "family") == "table-cell") {
          into.cell_styles[std::string(local == "style" ? attribute(n, "name") : "")] = {std::string(attribute(n, "data-style-name")), std::string(attribute(n, "parent-style-name"))};
        }
      },
      [&](const pugi::xml_node& n) {
        const std::string_view local = local_name(n.name());
        if (local == "number-style" || local == "percentage-style" || local == "currency-style") data_style.clear();
      });
  // A condition's style (a negative number in red) shows the value too: the widest of them counts.
  for (const auto& [style, applied] : maps) {
    const auto found = into.data_widths.find(applied);
    if (found != into.data_widths.end()) into.data_widths[style] = std::max(into.data_widths[style], found->second);
  }
}

// The width a cell style pads numbers to (its data style's, or its parents', or the default
// style's), 1 when none says.
std::size_t internal::OdsStyles::width_of(const std::string& cell_style) const {
  std::string name = cell_style;
  for (int hops = 0; hops < 16; ++hops) {
    const auto style = cell_styles.find(name);
    if (style == cell_styles.end()) break;
    if (!style->second.first.empty()) {
      const auto data = data_widths.find(style->second.first);
      return data == data_widths.end() ? 1 : data->second;
    }
    if (style->second.second.empty() || style->second.second == name) break;
    name = style->second.second;
  }
  if (!cell_style.empty()) return width_of("");  // the default style's
  return 1;
}

internal::SheetValues internal::ods_values(std::string_view content_xml, const OdsStyles& styles) {
  SheetValues out;
  pugi::xml_document doc;
  if (!doc.load_buffer(content_xml.data(), content_xml.size())) return out;
  // A table's columns' default cell styles, as runs (the column after the last of the run, its
  // style); one per table being read (a table in a cell is a table of its own).
  struct Table {
    std::vector<std::pair<std::uint64_t, std::string>> columns;
    std::string row_style;
    std::uint64_t column = 0, row = 0, next_row = 0;
  };
  constexpr std::uint64_t kMostColumns = std::uint64_t{1} << 20;
  std::vector<Table> tables;
  std::size_t uncomputed = 0;
  std::string first_uncomputed;
  each_element(
      doc,
      [&](const pugi::xml_node& n) {
        const std::string_view local = local_name(n.name());
        if (local == "table") {
          tables.emplace_back();
          return;
        }
        if (tables.empty()) return;
        Table& t = tables.back();
        if (local == "table-column") {
          const std::uint64_t from = t.columns.empty() ? 0 : t.columns.back().first;
          t.columns.emplace_back(std::min(kMostColumns, from + repeated(attribute(n, "number-columns-repeated"), kMostColumns)), attribute(n, "default-cell-style-name"));
        } else if (local == "table-row") {
          t.row_style = attribute(n, "default-cell-style-name");
          t.column = 0;
          t.row = t.next_row;
          t.next_row = std::min(kMostColumns, t.next_row + repeated(attribute(n, "number-rows-repeated"), kMostColumns));
        } else if (local == "table-cell" || local == "covered-table-cell") {
          std::string style(attribute(n, "style-name"));
          if (style.empty()) style = t.row_style;
          if (style.empty()) {
            const auto run = std::upper_bound(t.columns.begin(), t.columns.end(), t.column, [](std::uint64_t c, const auto& r) { return c < r.first; });
            if (run != t.columns.end()) style = run->second;
          }
          const std::uint64_t at = t.column;
          t.column = std::min(kMostColumns, t.column + repeated(attribute(n, "number-columns-repeated"), kMostColumns));
          const std::string_view type = attribute(n, "value-type"), value = attribute(n, "value");
          if (!value.empty() && (type == "float" || type == "percentage" || type == "currency")) {
            const std::string shown = shown_digits(value, styles.width_of(style) | (type == "percentage" ? kPercent : 0));
            if (!shown.empty() && shown != value) out.text += shown + "\n";
          }
          std::string_view formula = attribute(n, "formula");
          if (formula.empty()) return;
          // "of:=…": the namespace the formula is written in (OpenFormula, the old Calc syntax).
          if (const std::size_t colon = formula.find(':'); colon != std::string_view::npos && colon < formula.find('=')) formula.remove_prefix(colon + 1);
          const FormulaLiterals literals = formula_literals(formula);
          if (!literals.joined.empty()) out.text += literals.joined + "\n";
          const bool has_number = literals.has_number || std::any_of(literals.joined.begin(), literals.joined.end(), [](char d) { return d >= '0' && d <= '9'; });
          const bool stored = !value.empty() || !attribute(n, "string-value").empty() || !attribute(n, "boolean-value").empty() ||
                              !attribute(n, "date-value").empty() || !attribute(n, "time-value").empty() || n.first_child();
          if (has_number && !stored && uncomputed++ == 0) first_uncomputed = a1_name(at, t.row);
        }
      },
      [&](const pugi::xml_node& n) {
        if (local_name(n.name()) == "table" && !tables.empty()) tables.pop_back();
      });
  if (uncomputed > 0) {
    out.unchecked.push_back("unsupported: " + std::to_string(uncomputed) + " formula(s) with numbers in them (the first in cell " + first_uncomputed +
                            ") have no stored value; the spreadsheet computes them when the file is opened, and what they compute is not read");
  }
  return out;
}

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
    const std::string_view id = xf.attribute("numFmtId").value();
    const auto found = formats.find(std::string(id));
    widths.push_back(found != formats.end() ? found->second : id == "9" || id == "10" ? 1 | kPercent : 1);  // built in: 0% and 0.00%
  }
  return widths;
}

bool internal::workbook_recalculates_on_open(std::string_view workbook_xml) {
  pugi::xml_document doc;
  if (!doc.load_buffer(workbook_xml.data(), workbook_xml.size())) return false;
  const pugi::xml_node calc = child_named(doc.document_element(), "calcPr");
  const auto on = [&](const char* name) {
    const std::string_view v = calc.attribute(name).value();
    return v == "1" || v == "true" || v == "on";
  };
  return calc && (on("fullCalcOnLoad") || on("forceFullCalc"));
}

internal::SheetValues internal::sheet_values(std::string_view sheet_xml, const std::vector<std::size_t>& style_widths, bool recalculated_on_open) {
  SheetValues out;
  pugi::xml_document doc;
  if (!doc.load_buffer(sheet_xml.data(), sheet_xml.size())) return out;
  const pugi::xml_node sheet = doc.document_element();
  if (local_name(sheet.name()) != "worksheet") return out;
  std::map<std::string, bool> shared_has_number;  // a shared formula's si → its master has a number
  std::size_t uncomputed = 0, recomputed = 0;
  std::string first_uncomputed, first_recomputed;
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
        } else if (has_number && (recalculated_on_open || std::string_view(f.attribute("ca").value()) == "1" || std::string_view(f.attribute("ca").value()) == "true")) {
          // The stored value is what the writer claims; Excel shows what it computes (review30 L3).
          if (recomputed++ == 0) first_recomputed = cell_name(c.attribute("r").value());
        }
      }
    }
  }
  if (uncomputed > 0) {
    out.unchecked.push_back("unsupported: " + std::to_string(uncomputed) + " formula(s) with numbers in them (the first in cell " + first_uncomputed +
                            ") have no stored value; Excel computes them when the file is opened, and what they compute is not read");
  }
  if (recomputed > 0) {
    out.unchecked.push_back("unsupported: " + std::to_string(recomputed) + " formula(s) with numbers in them (the first in cell " + first_recomputed +
                            ") are computed again when the file is opened (the workbook's calcPr fullCalcOnLoad / forceFullCalc, or the cell's ca=\"1\"); "
                            "Excel shows what they compute, not the value stored, and what they compute is not read");
  }
  return out;
}

}  // namespace sanso::cdr
