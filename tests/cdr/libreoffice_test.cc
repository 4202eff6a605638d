// Rebuilt Office files and PDFs still open: LibreOffice (when installed, as a separate process)
// converts each; a file it cannot open produces no output and fails here.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cdr/cdr.h"
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

}  // namespace
}  // namespace sanso::cdr
