// A workbook read back by a library the product does not use (Debian's python3-openpyxl), so a
// test sees what a spreadsheet program would: each cell's value and data type.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace sanso::testing {

// The workbook's cells as JSON: {sheet: [[{"v": value, "t": data type}, …], …]}.
inline nlohmann::json read_xlsx(const std::filesystem::path& file) {
  const std::string script =
      "import json, sys, openpyxl\n"
      "wb = openpyxl.load_workbook(sys.argv[1])\n"
      "print(json.dumps({ws.title: [[{'v': c.value, 't': c.data_type} for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}))\n";
  const std::filesystem::path py = file.parent_path() / "read.py";
  std::ofstream(py) << script;
  // Debian's interpreter, where python3-openpyxl is installed (scripts/install-deps.sh), not
  // whatever python3 comes first on PATH.
  FILE* p = popen(("/usr/bin/python3 " + py.string() + " " + file.string() + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  while (p && fgets(buf, sizeof buf, p)) out += buf;
  if (p) pclose(p);
  auto j = nlohmann::json::parse(out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << out;
  return j;
}

// The first cell of a sheet whose text starts with `prefix`.
inline const nlohmann::json* find_cell(const nlohmann::json& sheet, const std::string& prefix) {
  for (const auto& row : sheet) {
    for (const auto& cell : row) {
      if (cell["v"].is_string() && cell["v"].get<std::string>().rfind(prefix, 0) == 0) return &cell;
    }
  }
  return nullptr;
}

// The row (its cells' values) whose first cell is `first`; null when none is.
inline const nlohmann::json* find_row(const nlohmann::json& sheet, const std::string& first) {
  for (const auto& row : sheet) {
    if (!row.empty() && row[0]["v"].is_string() && row[0]["v"].get<std::string>() == first) return &row;
  }
  return nullptr;
}

}  // namespace sanso::testing
