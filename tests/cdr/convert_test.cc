// The stricter modes, end to end with the real converters in their sandbox: legacy Office files
// converted to OOXML by LibreOffice and then rebuilt, and rasterize mode turning Office and PDF
// files into a PDF of page images. Skipped, with the reason, where LibreOffice, pdftoppm or
// Landlock is missing.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <set>
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

// A compound-file reader written for this test, apart from the engine's (libgsf): the names of
// every directory entry in the file ([MS-CFB] §2.6), reachable from the root or not, in ASCII
// lower case. Empty when `bytes` is not a compound file.
std::vector<std::string> compound_file_names(const std::string& bytes) {
  auto u16 = [&](std::size_t at) { return at + 2 <= bytes.size() ? static_cast<unsigned>(static_cast<unsigned char>(bytes[at]) | static_cast<unsigned char>(bytes[at + 1]) << 8) : 0u; };
  auto u32 = [&](std::size_t at) { return at + 4 <= bytes.size() ? static_cast<std::uint32_t>(u16(at) | u16(at + 2) << 16) : 0xFFFFFFFFu; };
  if (bytes.size() < 512 || bytes.compare(0, 8, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") != 0) return {};
  const unsigned shift = u16(0x1E);
  if (shift != 9 && shift != 12) return {};
  const std::size_t sector = std::size_t{1} << shift;
  auto offset = [&](std::uint32_t n) { return (static_cast<std::size_t>(n) + 1) * sector; };
  // The FAT sectors: 109 in the header, the rest in the DIFAT chain.
  std::vector<std::uint32_t> fat_sectors;
  for (std::size_t i = 0; i < 109; ++i) {
    if (std::uint32_t s = u32(0x4C + 4 * i); s < 0xFFFFFFFAu) fat_sectors.push_back(s);
  }
  for (std::uint32_t d = u32(0x44), hops = 0; d < 0xFFFFFFFAu && hops < 10000; ++hops) {
    for (std::size_t i = 0; i + 1 < sector / 4; ++i) {
      if (std::uint32_t s = u32(offset(d) + 4 * i); s < 0xFFFFFFFAu) fat_sectors.push_back(s);
    }
    d = u32(offset(d) + sector - 4);
  }
  auto next = [&](std::uint32_t s) -> std::uint32_t {
    const std::size_t per = sector / 4;
    if (s / per >= fat_sectors.size()) return 0xFFFFFFFEu;
    return u32(offset(fat_sectors[s / per]) + 4 * (s % per));
  };
  std::vector<std::string> names;
  std::set<std::uint32_t> seen;
  for (std::uint32_t s = u32(0x30); s < 0xFFFFFFFAu && seen.insert(s).second; s = next(s)) {
    for (std::size_t e = 0; e < sector / 128; ++e) {
      const std::size_t at = offset(s) + e * 128;
      if (at + 128 > bytes.size()) break;
      const unsigned type = static_cast<unsigned char>(bytes[at + 0x42]);
      if (type == 0) continue;  // unused entry
      std::string name;
      for (std::size_t i = 0; i + 2 <= std::min<unsigned>(u16(at + 0x40), 64) && u16(at + i) != 0; i += 2) {
        name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(u16(at + i) & 0xFF))));
      }
      names.push_back(name);
    }
  }
  return names;
}

bool is_vba_storage(const std::string& name) {
  return name == "vba" || name == "_vba_project_cur" || name == "_vba_project" || name == "macros" || name == "project" || name == "projectwm" || name == "dir";
}

// #21: a legacy Word file carrying a VBA project (its storages spelled in lower case, as Office
// accepts them) is converted and rebuilt; an independent compound-file walk of every member of
// the output finds no VBA storage, where the same walk finds it in the input.
TEST_F(CdrConvert, NoVbaStorageSurvivesInAConvertedLegacyFile) {
  const std::string plain = make_doc("SAFE 議事録\n");
  ASSERT_FALSE(plain.empty()) << "LibreOffice did not make the test .doc";
  auto streams = fixtures::compound_file_streams(plain);
  ASSERT_FALSE(streams.empty());
  streams.push_back({"macros/vba/dir", std::string("\x01\x10\x00\x00\x00\x00", 6)});
  streams.push_back({"macros/vba/ThisDocument", "Attribute VB_Name = \"ThisDocument\"\r\nSub AutoOpen()\r\nShell \"calc\"\r\nEnd Sub\r\n"});
  streams.push_back({"macros/PROJECT", "ID=\"{00000000-0000-0000-0000-000000000000}\"\r\nDocument=ThisDocument/&H00000000\r\n"});
  const std::string doc = fixtures::compound_file(streams);
  const auto in_names = compound_file_names(doc);
  ASSERT_TRUE(std::any_of(in_names.begin(), in_names.end(), is_vba_storage)) << "the walker must see the VBA project in the input";
  CdrResult r = sanitize_sandboxed(doc, "minutes.doc", {});
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.reason << ": " << r.message;
  EXPECT_EQ(r.output_name, "minutes.docx");
  const auto parts = fixtures::unzip(r.output);
  ASSERT_FALSE(parts.empty());
  for (const auto& [name, bytes] : parts) {
    for (const auto& entry : compound_file_names(bytes)) EXPECT_FALSE(is_vba_storage(entry)) << name << " holds " << entry;
    EXPECT_NE(bytes.compare(0, 4, "\xD0\xCF\x11\xE0"), 0) << name << " is a compound file";
  }
  EXPECT_NE(extract_text(r.output, r.output_name).find("SAFE"), std::string::npos);
  const auto left = internal::package_active_content(r.output);
  EXPECT_TRUE(left.empty()) << left.front();
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
  auto pool = sandbox::WorkerPool::create(engine_task(policy), 1);
  ASSERT_TRUE(pool.has_value()) << pool.error().to_string();
  const std::string pdf = sanso::testing::read_file(kExamples / "説明会のご案内.pdf");
  CdrResult r = sanitize_sandboxed(**pool, pdf, "説明会のご案内.pdf", policy);
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  EXPECT_TRUE(kinds(r).count("rasterized"));
}

TEST_F(CdrConvert, ConcurrentCallersTakeTurnsAndAllFinish) {
  // As the milter does: workers started first, then more connection threads than conversion
  // slots (one per core) share them; each waits its turn, none is lost.
  const std::string pdf = sanso::testing::read_file(kExamples / "説明会のご案内.pdf");
  CdrPolicy policy;
  policy.rasterize = true;
  auto pool = sandbox::WorkerPool::create(engine_task(policy), 2);
  ASSERT_TRUE(pool.has_value()) << pool.error().to_string();
  std::vector<CdrResult> results(5);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = sanitize_sandboxed(**pool, pdf, "doc" + std::to_string(i) + ".pdf", policy); });
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
