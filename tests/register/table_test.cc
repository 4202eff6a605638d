// Reading registers from CSV and XLSX: the encodings Japanese offices write, and hostile files —
// formulas, broken encodings, too many rows, zip bombs, dangling references — each an error that
// names the file, the row and the column. Hostile files are built here, byte by byte.
#include "register/table.h"

#include <xlsxwriter.h>
#include <zip.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "register/kinds.h"
#include "support/test_store.h"

namespace sanso::registers {
namespace {

namespace fs = std::filesystem;

Result<Table> csv(std::string_view bytes, TableLimits limits = {}) { return parse_table(bytes, TableFormat::kCsv, limits, "assets.csv"); }

// An XLSX package from its parts; `sheet_data` is the inside of <sheetData>.
class Workbook {
 public:
  Workbook() : dir_(fs::temp_directory_path() / ("sanso-xlsx-" + testing::random_hex(6))) { fs::create_directories(dir_); }
  ~Workbook() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string build(const std::string& sheet_data, const std::string& shared_strings = "", bool date1904 = false,
                    const std::string& raw_sheet = "") {
    std::vector<std::pair<std::string, std::string>> parts = {
        {"[Content_Types].xml", R"(<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>)"},
        {"_rels/.rels",
         R"(<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">)"
         R"(<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>)"},
        {"xl/workbook.xml",
         std::string(R"(<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" )"
                     R"(xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">)") +
             (date1904 ? R"(<workbookPr date1904="1"/>)" : "") + R"(<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>)"},
        {"xl/_rels/workbook.xml.rels",
         R"(<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">)"
         R"(<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>)"
         R"(<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>)"
         R"(</Relationships>)"},
        {"xl/sharedStrings.xml", R"(<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">)" + shared_strings + "</sst>"},
        {"xl/worksheets/sheet1.xml", raw_sheet.empty() ? R"(<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>)" +
                                                             sheet_data + "</sheetData></worksheet>"
                                                       : raw_sheet},
    };
    const fs::path path = dir_ / "book.xlsx";
    int err = 0;
    zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    EXPECT_NE(z, nullptr);
    for (auto& [name, content] : parts) {
      contents_.push_back(content);
      zip_source_t* s = zip_source_buffer(z, contents_.back().data(), contents_.back().size(), 0);
      EXPECT_GE(zip_file_add(z, name.c_str(), s, ZIP_FL_OVERWRITE), 0);
    }
    EXPECT_EQ(zip_close(z), 0);
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }

  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
  std::deque<std::string> contents_;
};

Result<Table> xlsx(const std::string& bytes, TableLimits limits = {}) { return parse_table(bytes, TableFormat::kXlsx, limits, "assets.xlsx"); }

TEST(RegisterCsv, ReadsUtf8WithAndWithoutBomQuotesAndLineBreaks) {
  for (std::string prefix : {"", "\xEF\xBB\xBF"}) {
    auto t = csv(prefix + "id,名称,取扱制限\r\npaper-1,\"紙の台帳, 2冊\",\"持出し禁止\n\"\"施錠\"\"保管\"\r\n\r\n");
    ASSERT_TRUE(t) << t.error().to_string();
    ASSERT_EQ(t->header, (std::vector<std::string>{"id", "名称", "取扱制限"}));
    ASSERT_EQ(t->rows.size(), 1u);  // the empty line is not a row
    EXPECT_EQ(t->rows[0].cells[1].text, "紙の台帳, 2冊");
    EXPECT_EQ(t->rows[0].cells[2].text, "持出し禁止\n\"施錠\"保管");
    EXPECT_EQ(t->encoding, prefix.empty() ? "UTF-8" : "UTF-8 (BOM)");
  }
}

TEST(RegisterCsv, ReadsCp932AsJapaneseExcelSavesIt) {
  // 識別子,名称 / a1,紙
  auto t = csv("\x8E\xAF\x95\xCA\x8E\x71,\x96\xBC\x8F\xCC\r\na1,\x8E\x86\r\n");
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_EQ(t->encoding, "CP932");
  EXPECT_EQ(t->header, (std::vector<std::string>{"識別子", "名称"}));
  EXPECT_EQ(t->rows.at(0).cells.at(1).text, "紙");
}

TEST(RegisterCsv, BrokenEncodingsAreRefusedWithWhere) {
  // 0x81 0x20: a CP932 lead byte without a valid trail byte, on line 2.
  auto t = csv("id,name\r\na1,\x81\x20\r\n");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, "register.encoding");
  EXPECT_NE(t.error().where.find("line 2"), std::string::npos) << t.error().to_string();
  // A BOM that lies.
  t = csv("\xEF\xBB\xBFid\r\n\xFF\r\n");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, "register.encoding");
  // UTF-16, as Excel's "Unicode text".
  t = csv(std::string("\xFF\xFEi\0d\0", 6));
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("UTF-16"), std::string::npos);
  // A CP932 file cut in the middle of a character.
  t = csv("id\r\n\x8E");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, "register.encoding");
}

TEST(RegisterCsv, MalformedQuotingIsRefused) {
  auto t = csv("id,name\r\na1,\"never closed\r\n");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("never closed"), std::string::npos);
  t = csv("id,name\r\na1,\"x\"y\r\n");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().where.find("row 2 column B"), std::string::npos) << t.error().to_string();
  t = csv("id,name\r\na1,x\"y\r\n");
  ASSERT_FALSE(t);
}

TEST(RegisterCsv, AHundredThousandRowsStopAtTheLimit) {
  std::string file = "id,name\n";
  for (int i = 0; i < 100000; ++i) file += "a" + std::to_string(i) + ",x\n";
  TableLimits limits;
  limits.max_rows = 10000;
  limits.max_bytes = 64 << 20;
  auto t = csv(file, limits);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, "register.too-many-rows");
  EXPECT_NE(t.error().message.find("max_import_rows"), std::string::npos);
  limits.max_rows = 100000;
  EXPECT_TRUE(csv(file, limits));
}

TEST(RegisterCsv, FileSizeAndColumnsAreBounded) {
  TableLimits limits;
  limits.max_bytes = 100;
  auto t = csv(std::string(101, 'a'), limits);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, "register.too-large");
  limits = {};
  limits.max_columns = 3;
  EXPECT_FALSE(csv("a,b,c,d\n", limits));
  EXPECT_FALSE(csv("a,b\nx,y,z\n"));  // a value outside the header's columns
}

TEST(RegisterXlsx, ReadsSharedInlineNumbersAndSkipsPhoneticGuides) {
  Workbook wb;
  const std::string shared =
      "<si><t>id</t></si><si><t>名称</t></si><si><r><t>住民</t></r><r><t>台帳</t></r><rPh sb=\"0\" eb=\"2\"><t>ジュウミン</t></rPh></si>";
  const std::string rows =
      R"(<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>最終投稿日</t></is></c></row>)"
      R"(<row r="3"><c r="A3" t="inlineStr"><is><t>a1</t></is></c><c r="B3" t="s"><v>2</v></c><c r="C3"><v>46357</v></c></row>)";
  auto t = xlsx(wb.build(rows, shared));
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_EQ(t->header, (std::vector<std::string>{"id", "名称", "最終投稿日"}));
  ASSERT_EQ(t->rows.size(), 1u);
  EXPECT_EQ(t->rows[0].line, 3);
  EXPECT_EQ(t->rows[0].cells[1].text, "住民台帳");
  ASSERT_TRUE(t->rows[0].cells[2].is_number);
  FieldSpec date{"d", "日", "d", FieldType::kDate};
  auto d = parse_number(date, t->rows[0].cells[2].number, t->date1904, "x");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->get<std::string>(), "2026-12-01");
  auto d1904 = parse_number(date, 46357 - 1462, true, "x");
  ASSERT_TRUE(d1904);
  EXPECT_EQ(d1904->get<std::string>(), "2026-12-01");
}

// A workbook that keeps a register a sheet, as Excel writes one (libxlsxwriter).
TEST(RegisterXlsx, ReadsTheNamedWorksheetAndListsTheWorkbooksSheetsForAMissingOne) {
  Workbook scratch;
  const fs::path path = scratch.dir() / "registers.xlsx";
  lxw_workbook* wb = workbook_new(path.c_str());
  ASSERT_NE(wb, nullptr);
  for (const auto& [sheet, id] : {std::pair<const char*, const char*>{"情報資産台帳", "usb-01"}, {"委託事業者台帳", "acme"}}) {
    lxw_worksheet* ws = workbook_add_worksheet(wb, sheet);
    worksheet_write_string(ws, 0, 0, "識別子", nullptr);
    worksheet_write_string(ws, 1, 0, id, nullptr);
  }
  ASSERT_EQ(workbook_close(wb), LXW_NO_ERROR);
  std::ifstream in(path, std::ios::binary);
  std::ostringstream read;
  read << in.rdbuf();
  const std::string bytes = read.str();

  auto first = xlsx(bytes);
  ASSERT_TRUE(first) << first.error().to_string();
  ASSERT_EQ(first->rows.size(), 1u);
  EXPECT_EQ(first->rows[0].cells[0].text, "usb-01");
  auto named = parse_table(bytes, TableFormat::kXlsx, {}, "registers.xlsx", "委託事業者台帳");
  ASSERT_TRUE(named) << named.error().to_string();
  ASSERT_EQ(named->rows.size(), 1u);
  EXPECT_EQ(named->rows[0].cells[0].text, "acme");
  EXPECT_EQ(named->rows[0].line, 2);
  auto missing = parse_table(bytes, TableFormat::kXlsx, {}, "registers.xlsx", "委託");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "register.no-sheet");
  EXPECT_NE(missing.error().message.find("情報資産台帳, 委託事業者台帳"), std::string::npos) << missing.error().to_string();
  auto csv_sheet = parse_table("識別子\nx\n", TableFormat::kCsv, {}, "a.csv", "委託事業者台帳");
  ASSERT_FALSE(csv_sheet);
  EXPECT_EQ(csv_sheet.error().code, "register.no-sheet");
}

TEST(RegisterXlsx, AFormulaCellIsRefusedNotEvaluated) {
  Workbook wb;
  const std::string rows = R"(<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row>)"
                           R"(<row r="2"><c r="A2" t="str"><f>HYPERLINK("http://evil","x")</f><v>x</v></c></row>)";
  auto t = xlsx(wb.build(rows));
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, "register.formula");
  EXPECT_NE(t.error().where.find("row 2 column A"), std::string::npos) << t.error().to_string();
}

TEST(RegisterXlsx, AZipBombStopsAtThePartLimit) {
  Workbook wb;
  // 8 MiB of blanks inside the sheet compresses to kilobytes.
  const std::string sheet = R"(<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>)" +
                            std::string(8 << 20, ' ') + "</sheetData></worksheet>";
  const std::string bytes = wb.build("", "", false, sheet);
  ASSERT_LT(bytes.size(), 1u << 20);
  TableLimits limits;
  limits.max_bytes = 1 << 20;
  auto t = xlsx(bytes, limits);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, "register.too-large");
  EXPECT_NE(t.error().where.find("xl/worksheets/sheet1.xml"), std::string::npos) << t.error().to_string();
}

TEST(RegisterXlsx, SharedStringsMultipliedIntoManyCellsAreBounded) {
  Workbook wb;
  const std::string shared = "<si><t>" + std::string(30000, 'x') + "</t></si>";
  std::string rows = R"(<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="B1" t="inlineStr"><is><t>note</t></is></c></row>)";
  for (int r = 2; r < 2000; ++r) rows += "<row r=\"" + std::to_string(r) + "\"><c r=\"B" + std::to_string(r) + "\" t=\"s\"><v>0</v></c></row>";
  TableLimits limits;
  limits.max_bytes = 4 << 20;
  auto t = xlsx(wb.build(rows, shared), limits);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("of text"), std::string::npos) << t.error().to_string();
}

TEST(RegisterXlsx, DanglingAndMalformedStructureIsRefused) {
  Workbook wb;
  auto t = xlsx(wb.build(R"(<row r="1"><c r="A1" t="s"><v>7</v></c></row>)"));
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("shared string"), std::string::npos);
  t = xlsx(wb.build(R"(<row r="2"><c r="A2" t="inlineStr"><is><t>id</t></is></c></row><row r="1"/>)"));
  ASSERT_FALSE(t);
  t = xlsx(wb.build(R"(<row r="1"><c r="A1" t="e"><v>#REF!</v></c></row>)"));
  ASSERT_FALSE(t);
  t = xlsx(wb.build("<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>id</t></is></c></row><row r=\"2\"><c r=\"ZZZZ2\"><v>1</v></c></row>"));
  ASSERT_FALSE(t);
  t = xlsx("PK\x03\x04 not really a zip");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, "register.bad-file");
  t = xlsx(wb.build("", "", false, "<worksheet><sheetData><row"));
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("does not parse"), std::string::npos);
}

TEST(RegisterXlsx, WrittenWorkbooksReadBackAsText) {
  Workbook wb;
  const std::string path = (wb.dir() / "out.xlsx").string();
  ASSERT_TRUE(write_table(path, TableFormat::kXlsx, "台帳", {"識別子", "名称"}, {{"a1", "紙の台帳"}, {"a2", "2026-12-01"}}));
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  auto t = parse_table_sandboxed(bytes.str(), TableFormat::kXlsx, {}, "out.xlsx");
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_EQ(t->header, (std::vector<std::string>{"識別子", "名称"}));
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_FALSE(t->rows[1].cells[1].is_number);
  EXPECT_EQ(t->rows[1].cells[1].text, "2026-12-01");
}

TEST(RegisterCsv, WrittenCsvReadsBackThroughTheSandbox) {
  Workbook wb;
  const std::string path = (wb.dir() / "out.csv").string();
  ASSERT_TRUE(write_table(path, TableFormat::kCsv, "台帳", {"識別子", "備考"}, {{"a1", "改行\nと\"引用\", カンマ"}}));
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  EXPECT_TRUE(bytes.str().starts_with("\xEF\xBB\xBF"));
  auto t = parse_table_sandboxed(bytes.str(), TableFormat::kCsv, {}, "out.csv");
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_EQ(t->rows.at(0).cells.at(1).text, "改行\nと\"引用\", カンマ");
  // And the sandboxed reader's errors come back intact.
  auto bad = parse_table_sandboxed("id\n\x81\x20", TableFormat::kCsv, {}, "bad.csv");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "register.encoding");
}

TEST(RegisterValues, FormulaPrefixesAreRefusedInEveryTextField) {
  FieldSpec text{"name", "名称", "name", FieldType::kText};
  FieldSpec list{"systems", "システム", "systems", FieldType::kList};
  for (const char* v : {"=1+1", "+81-3", "-2", "@SUM(A1)", "\t=x", "＝１", "＋1", "－1", "＠x"}) {
    auto r = parse_value(text, v, "f.csv row 2 column B");
    ASSERT_FALSE(r) << v;
    EXPECT_EQ(r.error().code, "register.bad-value");
    EXPECT_EQ(r.error().where, "f.csv row 2 column B");
  }
  EXPECT_FALSE(parse_value(list, "juki; =cmd|' /C calc'!A0", "x"));
  EXPECT_TRUE(parse_value(text, "電話 +81-3", "x"));
}

TEST(RegisterValues, TypesAreChecked) {
  const KindSpec& risks = spec(Kind::kRisks);
  EXPECT_FALSE(parse_value(*risks.find("likelihood"), "6", "x"));
  EXPECT_FALSE(parse_value(*risks.find("likelihood"), "3.5", "x"));
  EXPECT_EQ(*parse_value(*risks.find("likelihood"), " 3 ", "x"), 3);
  EXPECT_EQ(*parse_value(*risks.find("treatment"), "受容", "x"), "accept");
  EXPECT_FALSE(parse_value(*risks.find("treatment"), "ignore", "x"));
  EXPECT_EQ(*parse_value(*risks.find("accepted_on"), "2026/12/01", "x"), "2026-12-01");
  EXPECT_FALSE(parse_value(*risks.find("accepted_on"), "2026-02-30", "x"));
  EXPECT_FALSE(parse_value(*risks.find("id"), "a b", "x"));
  EXPECT_FALSE(parse_value(*risks.find("id"), "-1", "x"));
  EXPECT_TRUE(parse_value(*risks.find("id"), "R-2026.01", "x"));
  EXPECT_FALSE(parse_value(*risks.find("threat"), "two\nlines", "x"));
  EXPECT_FALSE(parse_value(*risks.find("threat"), "bad\xC3", "x"));
  EXPECT_FALSE(parse_value(*risks.find("threat"), std::string(501, 'a'), "x"));
  const FieldSpec& refs = *spec(Kind::kIncidents).find("audit_entries");
  EXPECT_EQ(*parse_value(refs, "#12; 40", "x"), nlohmann::json::array({12, 40}));
  EXPECT_FALSE(parse_value(refs, "12; x", "x"));
  EXPECT_EQ(*parse_value(*spec(Kind::kSocialMedia).find("mfa"), "はい", "x"), true);
  EXPECT_FALSE(parse_kind("people"));
  EXPECT_EQ(column_name(0), "A");
  EXPECT_EQ(column_name(27), "AB");
}

}  // namespace
}  // namespace sanso::registers
