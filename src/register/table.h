// Reading and writing a register as a table: CSV (UTF-8 with or without BOM, or CP932 as Japanese
// Excel saves it) and XLSX (the first or a named worksheet: shared strings, inline strings, numbers and
// dates). Reading is bounded: the file's size, every part an XLSX expands to (a zip bomb stops at
// the limit, whatever the zip claims) and the number of rows are limited, and a formula cell is
// refused, never evaluated. Files are parsed in the sandbox (src/sandbox): an import file is
// untrusted bytes like any other.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sanso::registers {

enum class TableFormat : std::uint8_t { kCsv, kXlsx };
Result<TableFormat> parse_table_format(std::string_view text);  // "csv", "xlsx"

struct Cell {
  std::string text;
  bool is_number = false;  // an XLSX number (dates are numbers with a date style)
  double number = 0;
};

struct TableRow {
  std::int64_t line = 0;  // as the user sees it: the CSV line, the worksheet row number
  std::vector<Cell> cells;
};

struct Table {
  std::vector<std::string> header;
  std::vector<TableRow> rows;  // data rows, without the header and without empty rows
  bool date1904 = false;       // the workbook counts dates from 1904
  std::string encoding;        // what the CSV was read as: "UTF-8", "UTF-8 (BOM)", "CP932"
};

struct TableLimits {
  std::int64_t max_rows = 10000;
  std::int64_t max_bytes = 20 << 20;  // the file, and each part an XLSX expands to
  std::int64_t max_columns = 100;
};

// Parses in this process. `name` names the file in errors, which say the row and column too.
// `sheet`: the XLSX worksheet to read, by its name (exactly as the workbook has it); empty, the
// first. A name the workbook lacks is "register.no-sheet", listing the worksheets it has.
Result<Table> parse_table(std::string_view bytes, TableFormat format, const TableLimits& limits, const std::string& name,
                          std::string_view sheet = {});
// The same in a sandboxed child (what imports use).
Result<Table> parse_table_sandboxed(std::string_view bytes, TableFormat format, const TableLimits& limits, const std::string& name,
                                    std::string_view sheet = {});

// "A", "B", …, "Z", "AA": a column as spreadsheets name it, from 0.
std::string column_name(std::size_t index);

// Writes header and rows as CSV (UTF-8 with a BOM so that Excel reads it as UTF-8, CRLF, every
// field quoted) or as an XLSX workbook of string cells, to `path` through a temporary file.
Result<void> write_table(const std::string& path, TableFormat format, const std::string& sheet_name, const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);

}  // namespace sanso::registers
