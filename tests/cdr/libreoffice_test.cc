// Rebuilt Office files and PDFs still open: LibreOffice (when installed, as a separate process)
// converts each; a file it cannot open produces no output and fails here.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cdr/cdr.h"
#include "cdr/fixtures.h"
#include "support/files.h"

namespace sanso::cdr {
namespace {

namespace fs = std::filesystem;

TEST(CdrLibreOffice, RebuiltDocxXlsxPptxStillOpen) {
  if (std::system("command -v soffice >/dev/null 2>&1") != 0) GTEST_SKIP() << "LibreOffice (soffice) is not installed";
  const fs::path dir = fs::temp_directory_path() / ("sanso-lo-" + std::to_string(::getpid()));
  fs::create_directories(dir / "in");
  std::vector<fs::path> inputs = {fs::path(SANSO_SOURCE_DIR) / "examples/minamata/files/見積書.docm"};
  const fs::path corpus = fs::path(SANSO_SHARED_DIR) / "corpora/files/oletools";
  for (const char* f : {"msodde/dde-test.docx", "msodde/dde-test.xlsm", "oleobj/embedded-simple-2007.pptm", "oleobj/external_link/sample_with_external_link_to_doc.xlsx",
                        "oleobj/embedded-simple-2007.docx"}) {
    if (fs::exists(corpus / f)) inputs.push_back(corpus / f);
  }
  std::vector<std::string> stems;
  std::string args;
  int n = 0;
  for (const auto& in : inputs) {
    CdrResult r = sanitize(sanso::testing::read_file(in), in.filename().string(), {});
    ASSERT_NE(r.verdict, Verdict::blocked) << in << ": " << r.message;
    // Distinct names: LibreOffice names each PDF after its input.
    std::string name = "f" + std::to_string(++n) + fs::path(r.output_name).extension().string();
    std::ofstream(dir / "in" / name, std::ios::binary) << r.output;
    stems.push_back("f" + std::to_string(n));
    args += " '" + (dir / "in" / name).string() + "'";
  }
  const std::string cmd = "soffice --headless --norestore -env:UserInstallation=file://" + (dir / "profile").string() + " --convert-to pdf --outdir '" +
                          (dir / "out").string() + "'" + args + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  for (std::size_t i = 0; i < stems.size(); ++i) {
    const fs::path pdf = dir / "out" / (stems[i] + ".pdf");
    EXPECT_TRUE(fs::exists(pdf) && fs::file_size(pdf) > 1000) << inputs[i] << " did not open in LibreOffice after rebuilding";
  }
  fs::remove_all(dir);
}

// #21: ODF as LibreOffice writes it declares every namespace it knows (XForms, DOM events, XML
// Schema among them) and uses only ODF ones: rebuilt with the namespace allow-list and standard
// prefixes, it loses nothing, comes back clean, and LibreOffice reads its text and formula again.
TEST(CdrLibreOffice, OdfWrittenByLibreOfficeComesBackCleanAndStillReads) {
  if (std::system("command -v soffice >/dev/null 2>&1") != 0) GTEST_SKIP() << "LibreOffice (soffice) is not installed";
  const fs::path dir = fs::temp_directory_path() / ("sanso-lo-odf-" + std::to_string(::getpid()));
  fs::create_directories(dir / "made");
  std::ofstream(dir / "made" / "memo.txt") << "SAFE 議事録 第３回\n";
  std::ofstream(dir / "made" / "book.csv") << "数量,単価\n3,250\n";
  const std::string profile = " --headless --norestore -env:UserInstallation=file://" + (dir / "profile").string();
  ASSERT_EQ(std::system(("cd '" + (dir / "made").string() + "' && soffice" + profile + " --convert-to odt memo.txt >/dev/null 2>&1").c_str()), 0);
  ASSERT_EQ(std::system(("cd '" + (dir / "made").string() + "' && soffice" + profile + " --convert-to ods book.csv >/dev/null 2>&1").c_str()), 0);
  fs::create_directories(dir / "in");
  for (const char* name : {"memo.odt", "book.ods"}) {
    const std::string made = sanso::testing::read_file(dir / "made" / name);
    ASSERT_FALSE(made.empty()) << name;
    CdrResult r = sanitize(made, name, {});
    ASSERT_EQ(r.verdict, Verdict::clean) << name << ": " << r.message << (r.findings.empty() ? "" : " " + std::string(to_string(r.findings[0].kind)) + " " + r.findings[0].location);
    std::ofstream(dir / "in" / name, std::ios::binary) << r.output;
  }
  ASSERT_EQ(std::system(("soffice" + profile + " --convert-to txt --outdir '" + (dir / "out").string() + "' '" + (dir / "in" / "memo.odt").string() + "' >/dev/null 2>&1").c_str()), 0);
  ASSERT_EQ(std::system(("soffice" + profile + " --convert-to csv --outdir '" + (dir / "out").string() + "' '" + (dir / "in" / "book.ods").string() + "' >/dev/null 2>&1").c_str()), 0);
  EXPECT_NE(sanso::testing::read_file(dir / "out" / "memo.txt").find("SAFE 議事録 第３回"), std::string::npos);
  EXPECT_NE(sanso::testing::read_file(dir / "out" / "book.csv").find("3,250"), std::string::npos);
  fs::remove_all(dir);
}

TEST(CdrLibreOffice, RebuiltPdfsStillOpen) {
  if (std::system("command -v soffice >/dev/null 2>&1") != 0) GTEST_SKIP() << "LibreOffice (soffice) is not installed";
  const fs::path dir = fs::temp_directory_path() / ("sanso-lo-pdf-" + std::to_string(::getpid()));
  fs::create_directories(dir / "in");
  std::vector<fs::path> inputs = {fs::path(SANSO_SOURCE_DIR) / "examples/minamata/files/説明会のご案内.pdf"};
  const fs::path corpus = fs::path(SANSO_SHARED_DIR) / "corpora/files/pdfjs";
  if (fs::exists(corpus)) {
    for (const auto& e : fs::directory_iterator(corpus)) {
      if (e.path().extension() == ".pdf" && inputs.size() < 4) inputs.push_back(e.path());
    }
  }
  std::string args;
  std::vector<fs::path> tried;
  int n = 0;
  for (const auto& in : inputs) {
    CdrResult r = sanitize(sanso::testing::read_file(in), in.filename().string(), {});
    if (r.verdict == Verdict::blocked) continue;  // the corpus table decides those
    const std::string name = "p" + std::to_string(++n) + ".pdf";
    std::ofstream(dir / "in" / name, std::ios::binary) << r.output;
    args += " '" + (dir / "in" / name).string() + "'";
    tried.push_back(in);
  }
  ASSERT_FALSE(tried.empty());
  // LibreOffice opens each rebuilt PDF (its PDF import, in Draw) and exports the first page.
  const std::string cmd = "soffice --headless --norestore -env:UserInstallation=file://" + (dir / "profile").string() + " --convert-to png --outdir '" +
                          (dir / "out").string() + "'" + args + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  for (std::size_t i = 0; i < tried.size(); ++i) {
    const fs::path png = dir / "out" / ("p" + std::to_string(i + 1) + ".png");
    EXPECT_TRUE(fs::exists(png) && fs::file_size(png) > 100) << tried[i] << " did not open in LibreOffice after rebuilding";
  }
  fs::remove_all(dir);
}

// A second reader of what the rebuild lets through: LibreOffice imports a hostile docx (fields and
// an OLE object under an unusual WordprocessingML prefix, an altChunk, a VBA project) after
// rebuilding, and its flat ODF export has no DDE, field instruction, object or macro left.
TEST(CdrLibreOffice, ARebuiltHostileDocxImportsWithoutFieldsObjectsOrMacros) {
  if (std::system("command -v soffice >/dev/null 2>&1") != 0) GTEST_SKIP() << "LibreOffice (soffice) is not installed";
  const std::string rels_ns = "http://schemas.openxmlformats.org/package/2006/relationships";
  const std::string r = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/";
  const std::string types =
      R"(<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>)"
      R"(<Default Extension="bin" ContentType="application/vnd.openxmlformats-officedocument.oleObject"/><Default Extension="htm" ContentType="text/html"/>)"
      R"(<Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/>)"
      R"(<Override PartName="/word/vbaProject.bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>)";
  const std::string root = "<Relationships xmlns=\"" + rels_ns + "\"><Relationship Id=\"rId1\" Type=\"" + r + "officeDocument\" Target=\"word/document.xml\"/></Relationships>";
  const std::string doc_rels = "<Relationships xmlns=\"" + rels_ns + "\"><Relationship Id=\"rIdO\" Type=\"" + r + "oleObject\" Target=\"embeddings/oleObject1.bin\"/>" +
                               "<Relationship Id=\"rIdA\" Type=\"" + r + "aFChunk\" Target=\"chunk.htm\"/>" +
                               "<Relationship Id=\"rIdV\" Type=\"http://schemas.microsoft.com/office/2006/relationships/vbaProject\" Target=\"vbaProject.bin\"/></Relationships>";
  const std::string document =
      R"(<q:document xmlns:q="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:z="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:k="urn:schemas-microsoft-com:office:office" xmlns:v="urn:schemas-microsoft-com:vml"><q:body>)"
      R"(<q:p><q:r><q:t>見積書</q:t></q:r></q:p>)"
      R"(<q:p><q:r><q:fldChar q:fldCharType="begin"/></q:r><q:r><q:instrText xml:space="preserve">DDEAUTO c:\\windows\\system32\\cmd.exe "/k calc"</q:instrText></q:r><q:r><q:fldChar q:fldCharType="separate"/></q:r><q:r><q:t>DDE-RESULT</q:t></q:r><q:r><q:fldChar q:fldCharType="end"/></q:r></q:p>)"
      R"(<q:p><q:fldSimple q:instr=" INCLUDEPICTURE &quot;http://attacker.example/a.png&quot; \d "><q:r><q:t>PIC-RESULT</q:t></q:r></q:fldSimple></q:p>)"
      R"(<q:p><q:fldSimple q:instr=" HYPERLINK &quot;file:///C:/Windows/System32/calc.exe&quot; "><q:r><q:t>LINK-RESULT</q:t></q:r></q:fldSimple></q:p>)"
      R"(<q:p><q:r><q:object><v:shape id="o1" style="width:10pt;height:10pt"/><k:OLEObject Type="Embed" ProgID="Package" ShapeID="o1" z:id="rIdO"/></q:object></q:r></q:p>)"
      R"(<q:altChunk z:id="rIdA"/></q:body></q:document>)";
  const std::string hostile = fixtures::make_zip({{"[Content_Types].xml", types},
                                                  {"_rels/.rels", root},
                                                  {"word/document.xml", document},
                                                  {"word/_rels/document.xml.rels", doc_rels},
                                                  {"word/embeddings/oleObject1.bin", std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) + std::string(504, '\0')},
                                                  {"word/chunk.htm", "<html><body><p>ALTCHUNK-TEXT</p></body></html>"},
                                                  {"word/vbaProject.bin", std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8)}});
  CdrResult rebuilt = sanitize(hostile, "見積書.docm", {});
  ASSERT_EQ(rebuilt.verdict, Verdict::sanitized) << rebuilt.message;

  const fs::path dir = fs::temp_directory_path() / ("sanso-lo-hostile-" + std::to_string(::getpid()));
  fs::create_directories(dir / "in");
  std::ofstream(dir / "in" / "h.docx", std::ios::binary) << rebuilt.output;
  const std::string cmd = "soffice --headless --norestore -env:UserInstallation=file://" + (dir / "profile").string() + " --convert-to fodt --outdir '" +
                          (dir / "out").string() + "' '" + (dir / "in" / "h.docx").string() + "' >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const fs::path fodt = dir / "out" / "h.fodt";
  ASSERT_TRUE(fs::exists(fodt)) << "LibreOffice did not open the rebuilt file";
  std::string flat = sanso::testing::read_file(fodt);
  fs::remove_all(dir);
  for (char& c : flat) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_NE(flat.find("見積書"), std::string::npos) << "the text came through";
  EXPECT_NE(flat.find("dde-result"), std::string::npos) << "a removed field's result stays as text";
  for (const char* gone : {"dde-connection", "dde-source", "ddeauto", "cmd.exe", "includepicture", "attacker.example", "calc.exe", "file:///", "draw:object",
                           "office:binary-data", "ooo:module", "script:event-listener", "text:execute-macro", "altchunk-text"}) {
    const auto at = flat.find(gone);
    EXPECT_EQ(at, std::string::npos) << gone << " in: " << flat.substr(at == std::string::npos ? 0 : (at > 80 ? at - 80 : 0), 600);
  }
}

}  // namespace
}  // namespace sanso::cdr
