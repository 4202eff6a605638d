#include "register/table.h"

#include <iconv.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <xlsxwriter.h>

#include "core/text.h"
#include "sandbox/sandbox.h"

namespace sanso::registers {
namespace {

// Excel keeps at most 32,767 characters in a cell; nothing longer comes from a real sheet.
constexpr std::size_t kMaxCellBytes = 32767 * 3;

Error table_error(const std::string& name, const std::string& where, const std::string& why, const char* code = "register.bad-file") {
  return make_error(code, where.empty() ? name : name + " " + where, why);
}

std::string row_col(std::int64_t line, std::size_t column) { return "row " + std::to_string(line) + " column " + column_name(column); }

Error too_many_rows(const std::string& name, const TableLimits& limits) {
  return table_error(name, "", "the file has more than " + std::to_string(limits.max_rows) +
                                   " rows; import it in parts, or raise [register] max_import_rows in sanso.toml",
                     "register.too-many-rows");
}

// Keeps the running totals every reader shares: rows, columns and the bytes of text taken in, so
// that shared strings referenced from a million cells cannot grow the table without bound.
class TableBuilder {
 public:
  TableBuilder(Table& table, const TableLimits& limits, const std::string& name) : table_(table), limits_(limits), name_(name) {}

  Result<void> add_row(std::int64_t line, std::vector<Cell> cells) {
    if (static_cast<std::int64_t>(cells.size()) > limits_.max_columns) {
      return table_error(name_, "row " + std::to_string(line), "more than " + std::to_string(limits_.max_columns) + " columns");
    }
    for (const auto& c : cells) {
      bytes_ += c.text.size() + 16;
      if (bytes_ > static_cast<std::uint64_t>(limits_.max_bytes) * 4) {
        return table_error(name_, "row " + std::to_string(line), "the cells hold more than " + human_size(static_cast<std::uint64_t>(limits_.max_bytes) * 4) + " of text");
      }
    }
    const bool empty = std::all_of(cells.begin(), cells.end(), [](const Cell& c) { return !c.is_number && c.text.find_first_not_of(" \t\r\n") == std::string::npos; });
    if (!header_done_) {
      if (empty) return ok();
      for (auto& c : cells) table_.header.push_back(c.is_number ? std::string() : std::move(c.text));
      header_done_ = true;
      return ok();
    }
    if (empty) return ok();
    for (std::size_t i = table_.header.size(); i < cells.size(); ++i) {
      if (cells[i].is_number || !cells[i].text.empty()) {
        return table_error(name_, row_col(line, i), "a value outside the header's columns (the header has " + std::to_string(table_.header.size()) + ")");
      }
    }
    if (static_cast<std::int64_t>(table_.rows.size()) >= limits_.max_rows) return too_many_rows(name_, limits_);
    table_.rows.push_back({line, std::move(cells)});
    return ok();
  }

  Result<void> finish() {
    if (!header_done_) return table_error(name_, "", "the file has no header row (the first row names the columns)", "register.no-header");
    return ok();
  }

 private:
  Table& table_;
  const TableLimits& limits_;
  const std::string& name_;
  bool header_done_ = false;
  std::uint64_t bytes_ = 0;
};

// --- CSV -------------------------------------------------------------------------------------

// A descriptor opened before the sandbox's filter (gconv modules are files, which the child may
// not open); in-process use opens its own.
iconv_t g_cp932 = reinterpret_cast<iconv_t>(-1);

Result<std::string> from_cp932(std::string_view bytes, const std::string& name) {
  iconv_t cd = g_cp932;
  const bool own = cd == reinterpret_cast<iconv_t>(-1);
  if (own) cd = iconv_open("UTF-8", "CP932");
  if (cd == reinterpret_cast<iconv_t>(-1)) return table_error(name, "", "CP932 cannot be read on this system (no iconv module)", "register.encoding");
  iconv(cd, nullptr, nullptr, nullptr, nullptr);
  std::string out(bytes.size() * 3 + 16, '\0');
  char* in = const_cast<char*>(bytes.data());
  std::size_t in_left = bytes.size();
  char* dst = out.data();
  std::size_t out_left = out.size();
  const std::size_t done = iconv(cd, &in, &in_left, &dst, &out_left);
  const int err = errno;
  if (own) iconv_close(cd);
  if (done == static_cast<std::size_t>(-1)) {
    const std::size_t offset = bytes.size() - in_left;
    const auto line = 1 + std::count(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(offset), '\n');
    char shown[8];
    std::snprintf(shown, sizeof shown, "0x%02X", static_cast<unsigned char>(bytes[offset < bytes.size() ? offset : 0]));
    return table_error(name, "line " + std::to_string(line),
                       std::string("the file is neither UTF-8 nor CP932 (Shift_JIS): ") + (err == EINVAL ? "it ends inside a character" : "byte " + std::string(shown) + " at offset " + std::to_string(offset) + " is not a character") +
                           "; save it from Excel as \"CSV UTF-8\"",
                       "register.encoding");
  }
  out.resize(out.size() - out_left);
  return out;
}

// The offset of the first byte that does not start a valid UTF-8 character, or npos.
std::size_t first_invalid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size() || !is_valid_utf8(s.substr(i, n))) return i;
    i += n;
  }
  return std::string_view::npos;
}

Result<std::string> decode_csv(std::string_view bytes, Table& table, const std::string& name) {
  if (bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF")) {
    return table_error(name, "", "the file is UTF-16 (Excel's \"Unicode text\"); save it as \"CSV UTF-8\" instead", "register.encoding");
  }
  if (bytes.starts_with("\xEF\xBB\xBF")) {
    bytes.remove_prefix(3);
    if (const auto bad = first_invalid_utf8(bytes); bad != std::string_view::npos) {
      // A BOM says UTF-8; bytes that are not are a broken file, not another encoding.
      const auto line = 1 + std::count(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(bad), '\n');
      return table_error(name, "line " + std::to_string(line),
                         "the file starts with a UTF-8 byte order mark but is not UTF-8 (byte offset " + std::to_string(bad + 3) + ")", "register.encoding");
    }
    table.encoding = "UTF-8 (BOM)";
    return std::string(bytes);
  }
  if (is_valid_utf8(bytes)) {
    table.encoding = "UTF-8";
    return std::string(bytes);
  }
  table.encoding = "CP932";
  return from_cp932(bytes, name);
}

Result<void> parse_csv(std::string_view raw, Table& table, const TableLimits& limits, const std::string& name) {
  const std::string text = SANSO_TRY(decode_csv(raw, table, name));
  TableBuilder builder(table, limits, name);
  std::vector<Cell> cells;
  std::string field;
  std::int64_t line = 1, record_line = 1;
  std::size_t i = 0;
  bool quoted = false, was_quoted = false;
  const auto end_field = [&]() -> Result<void> {
    if (field.size() > kMaxCellBytes) return table_error(name, row_col(record_line, cells.size()), "the value is longer than a spreadsheet cell can be");
    cells.push_back({std::move(field)});
    field.clear();
    was_quoted = false;
    if (static_cast<std::int64_t>(cells.size()) > limits.max_columns) {
      return table_error(name, "line " + std::to_string(record_line), "more than " + std::to_string(limits.max_columns) + " columns");
    }
    return ok();
  };
  while (i < text.size()) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        ++i;
        continue;
      }
      if (c == '\n') ++line;
      field += c;
      ++i;
      continue;
    }
    if (c == '"') {
      if (!field.empty() || was_quoted) {
        return table_error(name, row_col(line, cells.size()), "a quote inside an unquoted value, or text after a closing quote (quote the whole value and double inner quotes)");
      }
      quoted = was_quoted = true;
      ++i;
      continue;
    }
    if (c == ',') {
      SANSO_TRY(end_field());
      ++i;
      continue;
    }
    if (c == '\r' || c == '\n') {
      SANSO_TRY(end_field());
      SANSO_TRY(builder.add_row(record_line, std::move(cells)));
      cells.clear();
      i += (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ? 2 : 1;
      record_line = ++line;
      continue;
    }
    if (was_quoted) return table_error(name, row_col(line, cells.size()), "text after a closing quote");
    field += c;
    ++i;
  }
  if (quoted) return table_error(name, "line " + std::to_string(record_line), "a quoted value is never closed (a missing \")");
  if (!field.empty() || !cells.empty() || was_quoted) {
    SANSO_TRY(end_field());
    SANSO_TRY(builder.add_row(record_line, std::move(cells)));
  }
  return builder.finish();
}

// --- XLSX ------------------------------------------------------------------------------------

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};

class Package {
 public:
  static Result<Package> open(std::string_view bytes, const TableLimits& limits, const std::string& name) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (!source) return table_error(name, "", "cannot read the file as a zip package");
    zip_t* z = zip_open_from_source(source, ZIP_RDONLY, &error);
    if (!z) {
      zip_source_free(source);
      const std::string why = zip_error_strerror(&error);
      zip_error_fini(&error);
      return table_error(name, "", "not an XLSX workbook (the zip package does not open: " + why + ")");
    }
    zip_error_fini(&error);
    Package p(z, limits, name);
    if (zip_get_num_entries(z, 0) > 10000) return table_error(name, "", "the package has more than 10000 members; not a worksheet export");
    return p;
  }

  // A member's bytes, read up to the limit whatever its header claims.
  Result<std::optional<std::string>> read(const std::string& member) {
    const zip_int64_t index = zip_name_locate(zip_.get(), member.c_str(), 0);
    if (index < 0) return std::optional<std::string>();
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(zip_.get(), static_cast<zip_uint64_t>(index), 0, &st) == 0 && (st.valid & ZIP_STAT_ENCRYPTION_METHOD) &&
        st.encryption_method != ZIP_EM_NONE) {
      return table_error(name_, member, "the workbook is encrypted (password-protected); save it without a password");
    }
    zip_file_t* f = zip_fopen_index(zip_.get(), static_cast<zip_uint64_t>(index), 0);
    if (!f) return table_error(name_, member, std::string("cannot read the member: ") + zip_strerror(zip_.get()));
    std::string out;
    char buf[65536];
    const auto limit = static_cast<std::size_t>(limits_.max_bytes);
    for (;;) {
      const zip_int64_t n = zip_fread(f, buf, sizeof buf);
      if (n < 0) {
        const std::string why = zip_error_strerror(zip_file_get_error(f));
        zip_fclose(f);
        return table_error(name_, member, "the member is damaged: " + why);
      }
      if (n == 0) break;
      out.append(buf, static_cast<std::size_t>(n));
      if (out.size() > limit) {
        zip_fclose(f);
        return table_error(name_, member, "the member expands to more than " + human_size(limit) +
                                              " (a zip bomb, or a sheet too large to import; raise [register] max_import_mb if it is genuine)",
                           "register.too-large");
      }
    }
    zip_fclose(f);
    return std::optional<std::string>(std::move(out));
  }

  Result<pugi::xml_document> xml(const std::string& member, bool required) {
    pugi::xml_document doc;
    auto bytes = SANSO_TRY(read(member));
    if (!bytes) {
      if (required) return table_error(name_, "", "not an XLSX workbook: " + member + " is missing");
      return doc;
    }
    const auto parsed = doc.load_buffer(bytes->data(), bytes->size(), pugi::parse_default, pugi::encoding_utf8);
    if (!parsed) {
      return table_error(name_, member, "the XML does not parse at byte " + std::to_string(parsed.offset) + ": " + parsed.description());
    }
    return doc;
  }

 private:
  Package(zip_t* z, const TableLimits& limits, const std::string& name) : zip_(z), limits_(limits), name_(name) {}
  std::unique_ptr<zip_t, ZipCloser> zip_;
  TableLimits limits_;
  std::string name_;
};

// Element names without their namespace prefix: producers other than Excel write "x:row".
std::string_view local(const pugi::xml_node& n) {
  std::string_view s = n.name();
  const auto colon = s.find(':');
  return colon == std::string_view::npos ? s : s.substr(colon + 1);
}

pugi::xml_node child(const pugi::xml_node& n, std::string_view name) {
  for (auto c : n.children()) {
    if (local(c) == name) return c;
  }
  return {};
}

// The text of a shared or inline string: every <t> of its runs, not of its phonetic guides
// (<rPh>, the furigana Japanese Excel keeps beside the text).
void string_text(const pugi::xml_node& n, std::string& out) {
  for (auto c : n.children()) {
    const auto name = local(c);
    if (name == "rPh" || name == "phoneticPr") continue;
    if (name == "t") out += c.text().get();
    else if (c.type() == pugi::node_element) string_text(c, out);
  }
}

// "../worksheets/sheet1.xml" relative to "xl/": parts stay inside the package.
Result<std::string> resolve(const std::string& base_dir, std::string_view target, const std::string& name) {
  std::string path = target.starts_with('/') ? std::string(target.substr(1)) : base_dir + std::string(target);
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string part = path.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return table_error(name, "", "a relationship points outside the package: " + visible_text(target));
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

Result<std::size_t> column_of(std::string_view ref, const std::string& name, std::int64_t line) {
  std::size_t col = 0, letters = 0;
  for (char c : ref) {
    if (c >= 'A' && c <= 'Z') {
      col = col * 26 + static_cast<std::size_t>(c - 'A' + 1);
      if (++letters > 3) break;
    } else {
      break;
    }
  }
  if (letters == 0 || letters > 3 || col > 16384) return table_error(name, "row " + std::to_string(line), "a cell reference that is not a column: " + visible_text(ref.substr(0, 16)));
  return col - 1;
}

Result<void> parse_xlsx(std::string_view bytes, Table& table, const TableLimits& limits, const std::string& name, std::string_view sheet_name) {
  Package package = SANSO_TRY(Package::open(bytes, limits, name));
  std::string workbook_path = "xl/workbook.xml";
  {
    auto rels = SANSO_TRY(package.xml("_rels/.rels", false));
    for (auto r : child(rels, "Relationships").children()) {
      if (std::string_view(r.attribute("Type").value()).ends_with("/officeDocument")) {
        workbook_path = SANSO_TRY(resolve("", r.attribute("Target").value(), name));
      }
    }
  }
  const std::string dir = workbook_path.substr(0, workbook_path.rfind('/') + 1);
  auto workbook = SANSO_TRY(package.xml(workbook_path, true));
  const auto wb = child(workbook, "workbook");
  const std::string_view d1904 = child(wb, "workbookPr").attribute("date1904").value();
  table.date1904 = d1904 == "1" || d1904 == "true";
  // The first worksheet, or the one named: a workbook may keep several registers, one a sheet.
  pugi::xml_node chosen;
  std::string names;
  for (auto s : child(wb, "sheets").children()) {
    if (local(s) != "sheet") continue;
    const std::string_view n = s.attribute("name").value();
    names += (names.empty() ? "" : ", ") + visible_text(std::string(n.substr(0, 64)));
    if (!chosen && (sheet_name.empty() || n == sheet_name)) chosen = s;
  }
  if (!chosen && sheet_name.empty()) return table_error(name, "", "the workbook has no worksheet");
  if (!chosen) {
    return table_error(name, "", "the workbook has no worksheet named '" + visible_text(std::string(sheet_name)) + "' (its worksheets: " + names + ")",
                       "register.no-sheet");
  }
  std::string sheet_rid;
  for (auto a : chosen.attributes()) {
    if (std::string_view(a.name()).ends_with(":id")) sheet_rid = a.value();
  }
  const std::string rels_path = dir + "_rels/" + workbook_path.substr(dir.size()) + ".rels";
  auto wb_rels = SANSO_TRY(package.xml(rels_path, true));
  std::string sheet_path, strings_path;
  for (auto r : child(wb_rels, "Relationships").children()) {
    const std::string_view type = r.attribute("Type").value();
    if (r.attribute("Id").value() == sheet_rid) sheet_path = SANSO_TRY(resolve(dir, r.attribute("Target").value(), name));
    if (type.ends_with("/sharedStrings")) strings_path = SANSO_TRY(resolve(dir, r.attribute("Target").value(), name));
  }
  if (sheet_path.empty()) return table_error(name, "", "the worksheet's part is not named in " + rels_path);

  std::vector<std::string> shared;
  if (!strings_path.empty()) {
    auto strings = SANSO_TRY(package.xml(strings_path, false));
    for (auto si : child(strings, "sst").children()) {
      if (local(si) != "si") continue;
      std::string s;
      string_text(si, s);
      shared.push_back(std::move(s));
    }
  }

  auto sheet = SANSO_TRY(package.xml(sheet_path, true));
  TableBuilder builder(table, limits, name);
  std::int64_t line = 0;
  for (auto row : child(child(sheet, "worksheet"), "sheetData").children()) {
    if (local(row) != "row") continue;
    const auto r = row.attribute("r");
    const std::int64_t next = r ? r.as_llong() : line + 1;
    if (next <= line || next > 1048576) return table_error(name, "row " + std::to_string(next), "rows out of order or beyond a worksheet's last row");
    line = next;
    std::vector<Cell> cells;
    for (auto c : row.children()) {
      if (local(c) != "c") continue;
      const auto ref = c.attribute("r");
      const std::size_t col = ref ? SANSO_TRY(column_of(ref.value(), name, line)) : cells.size();
      if (col < cells.size()) return table_error(name, row_col(line, col), "cells out of order");
      if (static_cast<std::int64_t>(col) >= limits.max_columns) {
        return table_error(name, row_col(line, col), "a cell beyond column " + column_name(static_cast<std::size_t>(limits.max_columns - 1)));
      }
      cells.resize(col + 1);
      Cell& cell = cells[col];
      if (child(c, "f")) {
        return table_error(name, row_col(line, col),
                           "the cell holds a formula; registers take values only (copy the column and paste it as values), a formula is never evaluated",
                           "register.formula");
      }
      const std::string_view type = c.attribute("t").value();
      const std::string value = child(c, "v").text().get();
      if (type == "s") {
        std::size_t index = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), index);
        if (ec != std::errc() || end != value.data() + value.size() || index >= shared.size()) {
          return table_error(name, row_col(line, col), "the cell refers to a shared string that does not exist");
        }
        cell.text = shared[index];
      } else if (type == "inlineStr") {
        string_text(child(c, "is"), cell.text);
      } else if (type == "str" || type == "d") {
        cell.text = value;
      } else if (type == "b") {
        cell.text = value == "1" ? "true" : "false";
      } else if (type == "e") {
        return table_error(name, row_col(line, col), "the cell holds a spreadsheet error (" + visible_text(value.substr(0, 16)) + ")");
      } else if (type.empty() || type == "n") {
        if (value.empty()) continue;
        double number = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
        if (ec != std::errc() || end != value.data() + value.size() || !std::isfinite(number)) {
          return table_error(name, row_col(line, col), "the cell's number does not parse");
        }
        cell.is_number = true;
        cell.number = number;
      } else {
        return table_error(name, row_col(line, col), "an unknown cell type '" + visible_text(type.substr(0, 16)) + "'");
      }
      if (cell.text.size() > kMaxCellBytes) return table_error(name, row_col(line, col), "the value is longer than a spreadsheet cell can be");
    }
    SANSO_TRY(builder.add_row(line, std::move(cells)));
  }
  return builder.finish();
}

nlohmann::json to_json(const Table& t) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : t.rows) {
    nlohmann::json cells = nlohmann::json::array();
    for (const auto& c : r.cells) cells.push_back(c.is_number ? nlohmann::json(c.number) : nlohmann::json(c.text));
    rows.push_back({r.line, std::move(cells)});
  }
  return {{"header", t.header}, {"rows", std::move(rows)}, {"date1904", t.date1904}, {"encoding", t.encoding}};
}

Table from_json(const nlohmann::json& j) {
  Table t;
  t.header = j.at("header").get<std::vector<std::string>>();
  t.date1904 = j.at("date1904").get<bool>();
  t.encoding = j.at("encoding").get<std::string>();
  for (const auto& r : j.at("rows")) {
    TableRow row;
    row.line = r.at(0).get<std::int64_t>();
    for (const auto& c : r.at(1)) {
      Cell cell;
      if (c.is_number()) {
        cell.is_number = true;
        cell.number = c.get<double>();
      } else {
        cell.text = c.get<std::string>();
      }
      row.cells.push_back(std::move(cell));
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

void csv_field(std::string& out, const std::string& value) {
  out += '"';
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

Result<void> put_in_place(const std::string& temporary, const std::string& path) {
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::remove(temporary.c_str());
    return make_error("register.write", path, "cannot put the file in place: " + ec.message());
  }
  return ok();
}

}  // namespace

Result<TableFormat> parse_table_format(std::string_view text) {
  if (text == "csv") return TableFormat::kCsv;
  if (text == "xlsx") return TableFormat::kXlsx;
  return make_error("register.bad-format", std::string(text), "the format is csv or xlsx");
}

std::string column_name(std::size_t index) {
  std::string out;
  for (std::size_t n = index + 1; n > 0; n = (n - 1) / 26) out.insert(out.begin(), static_cast<char>('A' + (n - 1) % 26));
  return out;
}

Result<Table> parse_table(std::string_view bytes, TableFormat format, const TableLimits& limits, const std::string& name, std::string_view sheet) {
  if (static_cast<std::int64_t>(bytes.size()) > limits.max_bytes) {
    return table_error(name, "", "the file has " + human_size(bytes.size()) + "; imports are at most " +
                                     human_size(static_cast<std::uint64_t>(limits.max_bytes)) + " ([register] max_import_mb)",
                       "register.too-large");
  }
  Table table;
  if (format == TableFormat::kCsv) {
    if (bytes.starts_with("PK\x03\x04")) return table_error(name, "", "the file is a zip package (an XLSX workbook?), not CSV; use --format xlsx");
    if (!sheet.empty()) return table_error(name, "", "a CSV file has no worksheets; --sheet is for XLSX", "register.no-sheet");
    SANSO_TRY(parse_csv(bytes, table, limits, name));
  } else {
    SANSO_TRY(parse_xlsx(bytes, table, limits, name, sheet));
  }
  return table;
}

Result<Table> parse_table_sandboxed(std::string_view bytes, TableFormat format, const TableLimits& limits, const std::string& name,
                                    std::string_view sheet) {
  sandbox::Limits box;
  box.timeout = std::chrono::seconds(60);
  box.output_bytes = static_cast<std::size_t>(limits.max_bytes) * 8 + (1u << 20);
  const auto work = [&](std::string_view input) -> Result<std::string> {
    Table t = SANSO_TRY(parse_table(input, format, limits, name, sheet));
    return to_json(t).dump();
  };
  const auto prepare = [] { g_cp932 = iconv_open("UTF-8", "CP932"); };
  const std::string out = SANSO_TRY(sandbox::run(work, bytes, box, prepare));
  try {
    return from_json(nlohmann::json::parse(out));
  } catch (const std::exception& e) {
    return make_error("register.internal", name, std::string("the sandboxed reader's answer does not parse: ") + e.what());
  }
}

Result<void> write_table(const std::string& path, TableFormat format, const std::string& sheet_name, const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows) {
  const std::string temporary = path + ".tmp";
  if (format == TableFormat::kCsv) {
    std::string out = "\xEF\xBB\xBF";
    for (const auto* row : {&header}) {
      for (std::size_t i = 0; i < row->size(); ++i) {
        if (i) out += ',';
        csv_field(out, (*row)[i]);
      }
      out += "\r\n";
    }
    for (const auto& row : rows) {
      for (std::size_t i = 0; i < row.size(); ++i) {
        if (i) out += ',';
        csv_field(out, row[i]);
      }
      out += "\r\n";
    }
    std::ofstream f(temporary, std::ios::binary | std::ios::trunc);
    f << out;
    f.close();
    if (!f) {
      std::remove(temporary.c_str());
      return make_error("register.write", path, "cannot write the file (is the directory writable?)");
    }
    return put_in_place(temporary, path);
  }
  lxw_workbook* wb = workbook_new(temporary.c_str());
  if (!wb) return make_error("register.write", path, "cannot create the workbook (is the directory writable?)");
  lxw_format* bold = workbook_add_format(wb);
  format_set_bold(bold);
  format_set_bg_color(bold, 0xDDEBF7);
  lxw_worksheet* ws = workbook_add_worksheet(wb, sheet_name.c_str());
  lxw_error error = ws ? LXW_NO_ERROR : LXW_ERROR_NULL_PARAMETER_IGNORED;
  // Every value as a string cell: text stays text, never a formula or a number Excel reformats.
  for (lxw_col_t c = 0; c < header.size() && error == LXW_NO_ERROR; ++c) {
    error = worksheet_write_string(ws, 0, c, header[c].c_str(), bold);
    worksheet_set_column(ws, c, c, 18, nullptr);
  }
  for (lxw_row_t r = 0; r < rows.size() && error == LXW_NO_ERROR; ++r) {
    for (lxw_col_t c = 0; c < rows[r].size() && error == LXW_NO_ERROR; ++c) {
      if (!rows[r][c].empty()) error = worksheet_write_string(ws, r + 1, c, rows[r][c].c_str(), nullptr);
    }
  }
  const lxw_error closed = workbook_close(wb);
  if (error != LXW_NO_ERROR || closed != LXW_NO_ERROR) {
    std::remove(temporary.c_str());
    return make_error("register.write", path, std::string("cannot write the workbook: ") + lxw_strerror(error != LXW_NO_ERROR ? error : closed));
  }
  return put_in_place(temporary, path);
}

}  // namespace sanso::registers
