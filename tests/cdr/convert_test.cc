// The stricter modes, end to end with the real converters in their sandbox: legacy Office files
// converted to OOXML by LibreOffice and then rebuilt, and rasterize mode turning Office and PDF
// files into a PDF of page images. Skipped, with the reason, where LibreOffice, pdftoppm or
// Landlock is missing.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cdr/cdr.h"
#include "cdr/fixtures.h"
#include "support/files.h"

namespace sanso::cdr {
namespace {

namespace fs = std::filesystem;
using fixtures::kinds;

const fs::path kExamples = fs::path(SANSO_SOURCE_DIR) / "examples/minamata/files";

class CdrConvert : public ::testing::Test {
 protected:
  void SetUp() override {
    CdrPolicy p;
    p.rasterize = true;
    if (auto ready = check_converters(p); !ready) GTEST_SKIP() << ready.error().message;
  }
};

// A Word 97–2003 file made by LibreOffice from text (trusted input, outside any sandbox).
std::string make_doc(const std::string& text) {
  const fs::path dir = fs::temp_directory_path() / ("sanso-mkdoc-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "minutes.txt") << text;
  const std::string cmd = "cd '" + dir.string() + "' && soffice --headless --norestore -env:UserInstallation=file://" + (dir / "profile").string() +
                          " --convert-to 'doc:MS Word 97' minutes.txt >/dev/null 2>&1";
  std::string doc;
  if (std::system(cmd.c_str()) == 0) doc = sanso::testing::read_file(dir / "minutes.doc");
  fs::remove_all(dir);
  return doc;
}

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

TEST_F(CdrConvert, ALegacyWordFileBecomesARebuiltDocxWithItsText) {
  const std::string doc = make_doc("議事録 ① 第３回 ｶﾅ\n");
  ASSERT_FALSE(doc.empty()) << "LibreOffice did not make the test .doc";
  CdrPolicy policy;
  policy.convert_legacy = false;
  EXPECT_EQ(sanitize_sandboxed(doc, "minutes.doc", policy).verdict, Verdict::clean);  // inspected only: passed as it is

  policy.convert_legacy = true;  // the default
  CdrResult r = sanitize_sandboxed(doc, "minutes.doc", policy);
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  EXPECT_EQ(r.type, "doc");
  EXPECT_EQ(r.output_name, "minutes.docx");
  EXPECT_TRUE(kinds(r).count("legacy_converted"));
  EXPECT_TRUE(r.conversion.empty());
  const std::string text = extract_text(r.output, r.output_name);
  for (const char* words : {"議事録", "①", "第３回", "ｶﾅ"}) EXPECT_NE(text.find(words), std::string::npos) << words << " lost: " << text;
  EXPECT_EQ(sanitize(r.output, r.output_name, {}).verdict, Verdict::clean);  // what went out is a clean docx

  // In-process, where no converter may run, the same policy blocks instead of passing it half-done.
  CdrResult in_process = sanitize(doc, "minutes.doc", policy);
  EXPECT_EQ(in_process.verdict, Verdict::blocked);
  EXPECT_EQ(in_process.reason, "unsupported");
}

TEST_F(CdrConvert, ALegacyFileWithADdeFieldIsConvertedAndTheFieldNeutralised) {
  const fs::path zip = fs::path(SANSO_SHARED_DIR) / "corpora/files/oletools/msodde/dde-test-from-office2003.doc.zip";
  if (!fs::exists(zip)) GTEST_SKIP() << "no public test files at " << zip;
  // oletools locks its samples with a published password; unzip(1) opens it.
  const fs::path dir = fs::temp_directory_path() / ("sanso-dde-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  ASSERT_EQ(std::system(("unzip -q -P infected-test -o '" + zip.string() + "' -d '" + dir.string() + "'").c_str()), 0);
  const std::string doc = sanso::testing::read_file(dir / "dde-test-from-office2003.doc");
  fs::remove_all(dir);
  CdrPolicy policy;
  policy.convert_legacy = false;
  EXPECT_EQ(sanitize_sandboxed(doc, "dde.doc", policy).reason, "active-content");
  policy.convert_legacy = true;  // the default
  CdrResult r = sanitize_sandboxed(doc, "dde.doc", policy);
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  EXPECT_EQ(r.output_name, "dde.docx");
  EXPECT_TRUE(kinds(r).count("dde_field"));
  EXPECT_EQ(sanitize(r.output, r.output_name, {}).verdict, Verdict::clean);
}

TEST_F(CdrConvert, RasterizeTurnsAPdfIntoOneImagePerPage) {
  const std::string pdf = sanso::testing::read_file(kExamples / "説明会のご案内.pdf");
  ASSERT_FALSE(pdf.empty());
  CdrPolicy policy;
  policy.rasterize = true;
  CdrResult r = sanitize_sandboxed(pdf, "説明会のご案内.pdf", policy);
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  EXPECT_EQ(r.output_name, "説明会のご案内.pdf");
  EXPECT_TRUE(kinds(r).count("rasterized"));
  // Only images and the operators that place them: no text, no actions, no JavaScript.
  EXPECT_EQ(r.output.rfind("%PDF-", 0), 0u);
  EXPECT_GE(count(r.output, "/DCTDecode"), 1u);
  EXPECT_EQ(r.output.find("/JavaScript"), std::string::npos);
  EXPECT_EQ(r.output.find("/URI"), std::string::npos);
  EXPECT_EQ(r.output.find("/Font"), std::string::npos);
  CdrResult again = sanitize(r.output, r.output_name, {});
  EXPECT_EQ(again.verdict, Verdict::clean) << again.message;

  policy.max_pages = 0;  // every page is one too many
  CdrResult over = sanitize_sandboxed(pdf, "説明会のご案内.pdf", policy);
  EXPECT_EQ(over.verdict, Verdict::blocked);
  EXPECT_EQ(over.reason, "limit") << over.message;
}

TEST_F(CdrConvert, RasterizeRendersTheRebuiltOfficeFileAndLeavesOtherTypesAlone) {
  const std::string docm = sanso::testing::read_file(kExamples / "見積書.docm");
  CdrPolicy policy;
  policy.rasterize = true;
  CdrResult r = sanitize_sandboxed(docm, "見積書.docm", policy);
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  EXPECT_EQ(r.output_name, "見積書.pdf");
  EXPECT_TRUE(kinds(r).count("vba_macro"));  // found by the rebuild, which the renderer then read
  EXPECT_TRUE(kinds(r).count("rasterized"));
  EXPECT_GE(count(r.output, "/DCTDecode"), 1u);

  // Not a document: rebuilt as usual. Still blocked: what the first pass blocks.
  CdrResult csv = sanitize_sandboxed("a,=1+2\n", "x.csv", policy);
  EXPECT_EQ(csv.output_name, "x.csv");
  EXPECT_EQ(sanitize_sandboxed("MZ\x90\x00\x03", "a.pdf", policy).reason, "executable");
  EXPECT_EQ(sanitize_sandboxed("%PDF-1.4 garbage", "broken.pdf", policy).verdict, Verdict::blocked);
}

TEST_F(CdrConvert, ThePoolConvertsToo) {
  CdrPolicy policy;
  policy.rasterize = true;
  auto pool = SanitizerPool::create(policy, 1);
  ASSERT_TRUE(pool.has_value()) << pool.error().to_string();
  const std::string pdf = sanso::testing::read_file(kExamples / "説明会のご案内.pdf");
  CdrResult r = (*pool)->sanitize(pdf, "説明会のご案内.pdf");
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  EXPECT_TRUE(kinds(r).count("rasterized"));
}

TEST_F(CdrConvert, ConcurrentCallersTakeTurnsAndAllFinish) {
  // As the milter does: workers started first, then more connection threads than conversion
  // slots (one per core) share them; each waits its turn, none is lost.
  const std::string pdf = sanso::testing::read_file(kExamples / "説明会のご案内.pdf");
  CdrPolicy policy;
  policy.rasterize = true;
  auto pool = SanitizerPool::create(policy, 2);
  ASSERT_TRUE(pool.has_value()) << pool.error().to_string();
  std::vector<CdrResult> results(5);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = (*pool)->sanitize(pdf, "doc" + std::to_string(i) + ".pdf"); });
  }
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].verdict, Verdict::sanitized) << i << ": " << results[i].message;
    EXPECT_EQ(results[i].output_name, "doc" + std::to_string(i) + ".pdf");
  }
}

TEST(CdrConverters, AMissingConverterIsAClearStartUpError) {
  CdrPolicy policy;
  policy.libreoffice = "/nonexistent/soffice.bin";
  EXPECT_TRUE(check_converters(policy).has_value());  // legacy conversion blocks file by file instead
  policy.rasterize = true;
  auto r = check_converters(policy);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("LibreOffice"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace sanso::cdr
