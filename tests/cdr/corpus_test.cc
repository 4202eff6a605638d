// Every file of the shared public corpus (../shared/corpora/files) has an expected verdict here,
// decided by looking at the file: what it is, what active content it carries, and what the engine
// must do about it. A file without an entry fails the test, so new corpus files get decided too.
// Each rebuilt output is then checked: sanitizing it again finds nothing (the engine's own
// detectors agree it is clean), its containers and XML are well-formed, and PDFs pass qpdf --check.
#include <gtest/gtest.h>

#include <pugixml.hpp>
#include <zip.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "cdr/cdr.h"
#include "cdr/internal/format.h"
#include "cdr/internal/zip_package.h"
#include "support/files.h"

namespace sanso::cdr {
namespace {

namespace fs = std::filesystem;
const fs::path kCorpus = fs::path(SANSO_SHARED_DIR) / "corpora/files";

struct Expected {
  const char* path;
  const char* verdict;
  const char* reason;    // for blocked
  const char* findings;  // kinds that must be reported (space-separated), besides the block itself
};

// Notes on the less obvious rows:
// - archivebomb.zip (CIRCLean) is three nested zips around an empty file: within our depth limit,
//   so it is rebuilt, not blocked (the generated bombs in archive_test.cc are).
// - oletools' *.zip samples are password-protected ("infected"): PPAP, blocked as encrypted.
// - Office files encrypted with a password are OLE2 wrappers (EncryptionInfo/EncryptedPackage)
//   whatever their extension: blocked as encrypted.
// - Legacy doc/xls/ppt with VBA, Excel 4.0 macro sheets or embedded objects are blocked; clean
//   ones pass unchanged.
// - Office 2003 XML, XPS, media and a mail saved as .msg are not rebuilt: unsupported; so are
//   binary workbooks (.xlsb), whose parts the engine cannot parse.
// - word_docx.docx has a thumbnail with metadata: pictures in packages are rebuilt like images.
// - message.msg is an RFC 822 text mail named .msg; autorun.inf and .slk are blocked by name.
const Expected kExpected[] = {
    {"circlean/dangerous/Example.svg", "sanitized", "", "svg_rasterized"},
    {"circlean/dangerous/archivebomb.zip", "clean", "", ""},
    {"circlean/dangerous/autorun.inf", "blocked", "executable", ""},
    {"circlean/dangerous/config_file.conf", "clean", "", ""},
    {"circlean/dangerous/message.msg", "blocked", "unsupported", ""},
    {"circlean/dangerous/testRTL\u202Eexe.txt", "blocked", "deceptive-name", ""},
    {"circlean/normal/Example.gif", "clean", "", ""},
    {"circlean/normal/Example.jpg", "sanitized", "", "image_metadata"},
    {"circlean/normal/Example.ogg", "blocked", "unsupported", ""},
    {"circlean/normal/Example.png", "clean", "", ""},
    {"circlean/normal/pdf-sample.pdf", "clean", "", ""},
    {"circlean/normal/plaintext.txt", "clean", "", ""},
    {"circlean/normal/rar_archive.rar", "sanitized", "", "archive_converted"},
    {"circlean/normal/rich_text.rtf", "clean", "", ""},
    {"circlean/normal/sample_mpeg4.mp4", "blocked", "unsupported", ""},
    {"circlean/normal/word_docx.docx", "sanitized", "", "image_metadata"},
    {"circlean/normal/zip_archive.zip", "clean", "", ""},
    {"oletools/basic/empty", "clean", "", ""},
    {"oletools/basic/encrypted.docx", "blocked", "encrypted", ""},
    {"oletools/basic/text", "clean", "", ""},
    {"oletools/encrypted/autostart-encrypt-standardpassword.xls", "blocked", "encrypted", ""},
    {"oletools/encrypted/autostart-encrypt-standardpassword.xlsb", "blocked", "encrypted", ""},
    {"oletools/encrypted/autostart-encrypt-standardpassword.xlsm", "blocked", "encrypted", ""},
    {"oletools/encrypted/dde-test-encrypt-standardpassword.xls", "blocked", "encrypted", ""},
    {"oletools/encrypted/dde-test-encrypt-standardpassword.xlsb", "blocked", "encrypted", ""},
    {"oletools/encrypted/dde-test-encrypt-standardpassword.xlsm", "blocked", "encrypted", ""},
    {"oletools/encrypted/dde-test-encrypt-standardpassword.xlsx", "blocked", "encrypted", ""},
    {"oletools/encrypted/encrypted.doc", "blocked", "encrypted", ""},
    {"oletools/encrypted/encrypted.docm", "blocked", "encrypted", ""},
    {"oletools/encrypted/encrypted.docx", "blocked", "encrypted", ""},
    {"oletools/encrypted/encrypted.ppt", "blocked", "encrypted", ""},
    {"oletools/encrypted/encrypted.pptm", "blocked", "encrypted", ""},
    {"oletools/encrypted/encrypted.pptx", "blocked", "encrypted", ""},
    {"oletools/encrypted/encrypted.xls", "blocked", "encrypted", ""},
    {"oletools/encrypted/encrypted.xlsb", "blocked", "encrypted", ""},
    {"oletools/encrypted/encrypted.xlsm", "blocked", "encrypted", ""},
    {"oletools/encrypted/encrypted.xlsx", "blocked", "encrypted", ""},
    {"oletools/excel4-macros/excel4_sample_macro.slk", "blocked", "executable", ""},
    {"oletools/excel4-macros/excel4_sample_macro.xls", "blocked", "active-content", ""},
    {"oletools/excel4-macros/excel4_sample_macro.xlsb", "blocked", "unsupported", ""},
    {"oletools/excel4-macros/excel4_sample_macro.xlsm", "sanitized", "", "excel4_macro macro_enabled_type"},
    {"oletools/excel4-macros/excel4_sample_macro.xlt", "blocked", "active-content", ""},
    {"oletools/excel4-macros/excel4_sample_macro.xltm", "sanitized", "", "excel4_macro macro_enabled_type"},
    {"oletools/excel4-macros/excel4_sample_macro_excel5_format.xls", "blocked", "active-content", ""},
    {"oletools/msodde/RTF-Spec-1.7.rtf", "clean", "", ""},
    {"oletools/msodde/dde-in-csv.csv", "sanitized", "", "formula_injection"},
    {"oletools/msodde/dde-in-excel2003.xml", "blocked", "unsupported", ""},
    {"oletools/msodde/dde-in-word2003.xml.zip", "blocked", "encrypted", ""},
    {"oletools/msodde/dde-in-word2007.xml.zip", "blocked", "encrypted", ""},
    {"oletools/msodde/dde-test-from-office2003.doc.zip", "blocked", "encrypted", ""},
    {"oletools/msodde/dde-test-from-office2013-utf_16le-korean.doc.zip", "blocked", "encrypted", ""},
    {"oletools/msodde/dde-test-from-office2016.doc.zip", "blocked", "encrypted", ""},
    {"oletools/msodde/dde-test.docm", "sanitized", "", "dde_field macro_enabled_type"},
    {"oletools/msodde/dde-test.docx", "sanitized", "", "dde_field"},
    {"oletools/msodde/dde-test.xlsb", "blocked", "unsupported", ""},
    {"oletools/msodde/dde-test.xlsm", "sanitized", "", "external_formula external_link macro_enabled_type"},
    {"oletools/msodde/dde-test.xlsx", "sanitized", "", "external_formula external_link"},
    {"oletools/msodde/harmless-clean-2003.xml", "blocked", "unsupported", ""},
    {"oletools/msodde/harmless-clean.doc", "clean", "", ""},
    {"oletools/msodde/harmless-clean.docm", "sanitized", "", "macro_enabled_type"},
    {"oletools/msodde/harmless-clean.docx", "clean", "", ""},
    {"oletools/msodde/harmless-clean.xml", "blocked", "unsupported", ""},
    {"oletools/oleform/oleform-PR314.docm", "sanitized", "", "macro_enabled_type vba_macro"},
    {"oletools/oleobj/embedded-simple-2007-as2003.xml", "blocked", "unsupported", ""},
    {"oletools/oleobj/embedded-simple-2007.doc", "blocked", "active-content", ""},
    {"oletools/oleobj/embedded-simple-2007.docm", "sanitized", "", "macro_enabled_type ole_object"},
    {"oletools/oleobj/embedded-simple-2007.docx", "sanitized", "", "ole_object"},
    {"oletools/oleobj/embedded-simple-2007.dot", "blocked", "active-content", ""},
    {"oletools/oleobj/embedded-simple-2007.dotm", "sanitized", "", "macro_enabled_type ole_object"},
    {"oletools/oleobj/embedded-simple-2007.dotx", "sanitized", "", "ole_object"},
    {"oletools/oleobj/embedded-simple-2007.odp", "sanitized", "", "odf_object"},
    {"oletools/oleobj/embedded-simple-2007.ods", "sanitized", "", "odf_object"},
    {"oletools/oleobj/embedded-simple-2007.odt", "sanitized", "", "odf_object"},
    {"oletools/oleobj/embedded-simple-2007.pot", "blocked", "active-content", ""},
    {"oletools/oleobj/embedded-simple-2007.potm", "sanitized", "", "macro_enabled_type ole_object"},
    {"oletools/oleobj/embedded-simple-2007.potx", "sanitized", "", "ole_object"},
    {"oletools/oleobj/embedded-simple-2007.pps", "blocked", "active-content", ""},
    {"oletools/oleobj/embedded-simple-2007.ppsm", "sanitized", "", "macro_enabled_type ole_object"},
    {"oletools/oleobj/embedded-simple-2007.ppsx", "sanitized", "", "ole_object"},
    {"oletools/oleobj/embedded-simple-2007.ppt", "blocked", "active-content", ""},
    {"oletools/oleobj/embedded-simple-2007.pptm", "sanitized", "", "macro_enabled_type ole_object"},
    {"oletools/oleobj/embedded-simple-2007.pptx", "sanitized", "", "ole_object"},
    {"oletools/oleobj/embedded-simple-2007.xla", "blocked", "active-content", ""},
    {"oletools/oleobj/embedded-simple-2007.xlam", "sanitized", "", "macro_enabled_type ole_object"},
    {"oletools/oleobj/embedded-simple-2007.xls", "blocked", "active-content", ""},
    {"oletools/oleobj/embedded-simple-2007.xlsb", "blocked", "unsupported", ""},
    {"oletools/oleobj/embedded-simple-2007.xlsm", "sanitized", "", "macro_enabled_type ole_object"},
    {"oletools/oleobj/embedded-simple-2007.xlsx", "sanitized", "", "ole_object"},
    {"oletools/oleobj/embedded-simple-2007.xlt", "blocked", "active-content", ""},
    {"oletools/oleobj/embedded-simple-2007.xltm", "sanitized", "", "macro_enabled_type ole_object"},
    {"oletools/oleobj/embedded-simple-2007.xltx", "sanitized", "", "ole_object"},
    {"oletools/oleobj/embedded-simple-2007.xml", "blocked", "unsupported", ""},
    {"oletools/oleobj/embedded-unicode-2007.docx", "sanitized", "", "ole_object"},
    {"oletools/oleobj/embedded-unicode.doc", "blocked", "active-content", ""},
    {"oletools/oleobj/external_link/sample_with_external_link_to_doc.docm", "sanitized", "", "macro_enabled_type ole_object"},
    {"oletools/oleobj/external_link/sample_with_external_link_to_doc.docx", "sanitized", "", "ole_object"},
    {"oletools/oleobj/external_link/sample_with_external_link_to_doc.dotm", "sanitized", "", "macro_enabled_type ole_object"},
    {"oletools/oleobj/external_link/sample_with_external_link_to_doc.dotx", "sanitized", "", "ole_object"},
    {"oletools/oleobj/external_link/sample_with_external_link_to_doc.potm", "sanitized", "", "macro_enabled_type ole_object"},
    {"oletools/oleobj/external_link/sample_with_external_link_to_doc.potx", "sanitized", "", "ole_object"},
    {"oletools/oleobj/external_link/sample_with_external_link_to_doc.ppsm", "sanitized", "", "macro_enabled_type ole_object"},
    {"oletools/oleobj/external_link/sample_with_external_link_to_doc.ppsx", "sanitized", "", "ole_object"},
    {"oletools/oleobj/external_link/sample_with_external_link_to_doc.pptm", "sanitized", "", "macro_enabled_type ole_object"},
    {"oletools/oleobj/external_link/sample_with_external_link_to_doc.pptx", "sanitized", "", "ole_object"},
    {"oletools/oleobj/external_link/sample_with_external_link_to_doc.xlsb", "blocked", "unsupported", ""},
    {"oletools/oleobj/external_link/sample_with_external_link_to_doc.xlsm", "sanitized", "", "external_link macro_enabled_type"},
    {"oletools/oleobj/external_link/sample_with_external_link_to_doc.xlsx", "sanitized", "", "external_link"},
    {"oletools/oleobj/sample_with_calc_embedded.doc", "blocked", "active-content", ""},
    {"oletools/oleobj/sample_with_lnk_file.doc", "blocked", "active-content", ""},
    {"oletools/oleobj/sample_with_lnk_file.pps", "blocked", "active-content", ""},
    {"oletools/oleobj/sample_with_lnk_file.ppt", "blocked", "active-content", ""},
    {"oletools/oleobj/sample_with_lnk_to_calc.doc", "blocked", "active-content", ""},
    {"oletools/olevba/sample_with_vba.ppt", "blocked", "active-content", ""},
    {"oletools/ooxml/dde-in-excel2003.xml", "blocked", "unsupported", ""},
    {"oletools/ooxml/dde-in-word2003.xml.zip", "blocked", "encrypted", ""},
    {"oletools/ooxml/harmless-clean-2003.xml", "blocked", "unsupported", ""},
    {"oletools/ooxml/harmless-clean.xml", "blocked", "unsupported", ""},
    {"oletools/other/presentation.xps", "blocked", "unsupported", ""},
    {"oletools/rtfobj/issue_185.rtf.zip", "blocked", "encrypted", ""},
    {"oletools/rtfobj/issue_251.rtf", "sanitized", "", "rtf_object"},
    {"pdfjs/acroform_calculation_order.pdf", "clean", "", ""},
    {"pdfjs/annotation-button-widget.pdf", "sanitized", "", "pdf_javascript pdf_xfa"},
    {"pdfjs/annotation-fileattachment.pdf", "sanitized", "", "pdf_file_attachment"},
    {"pdfjs/annotation-link-text-popup.pdf", "clean", "", ""},
    {"pdfjs/attachment.pdf", "sanitized", "", "pdf_embedded_file"},  // its /OpenAction is a jump to page 1: kept
    {"pdfjs/auth-event-ef-open.pdf", "blocked", "encrypted", ""},
    {"pdfjs/doc_actions.pdf", "sanitized", "", "pdf_additional_actions pdf_javascript"},
    {"pdfjs/encrypted-attachment.pdf", "blocked", "encrypted", ""},
    {"pdfjs/evaljs.pdf", "sanitized", "", "pdf_javascript"},
    {"pdfjs/js-authors.pdf", "sanitized", "", "pdf_javascript"},
    {"pdfjs/js-buttons.pdf", "sanitized", "", "pdf_additional_actions pdf_javascript"},
    {"pdfjs/listbox_actions.pdf", "sanitized", "", "pdf_additional_actions pdf_javascript"},
    {"pdfjs/outline_goto_action.pdf", "clean", "", ""},
    {"pdfjs/resetform.pdf", "clean", "", ""},
    {"pdfjs/xfa_issue14315.pdf", "sanitized", "", "pdf_javascript pdf_xfa"},
};

std::set<std::string> split(const char* s) {
  std::set<std::string> out;
  std::istringstream in(s);
  std::string w;
  while (in >> w) out.insert(w);
  return out;
}

// The rebuilt bytes are structurally sound for their type.
void expect_well_formed(const CdrResult& r, const std::string& label) {
  if (r.output.rfind("PK", 0) == 0) {
    std::vector<Finding> f;
    std::uint64_t budget = 0;
    CdrPolicy policy;
    internal::Context ctx{policy, f, budget, 0, ""};
    auto zip = internal::ZipReader::open(r.output, ctx);
    ASSERT_TRUE(zip.has_value()) << label << ": rebuilt zip does not open";
    for (const auto& e : (*zip)->entries()) {
      if (e.name.size() < 4 || (e.name.substr(e.name.size() - 4) != ".xml" && e.name.substr(e.name.size() - 5) != ".rels")) continue;
      auto bytes = (*zip)->read(e, ctx);
      ASSERT_TRUE(bytes.has_value()) << label << "!" << e.name;
      pugi::xml_document doc;
      EXPECT_TRUE(doc.load_buffer(bytes->data(), bytes->size())) << label << "!" << e.name << " is not well-formed XML";
    }
  }
  if (r.type == "pdf" && std::system("command -v qpdf >/dev/null 2>&1") == 0) {
    fs::path tmp = fs::temp_directory_path() / ("sanso-cdr-check-" + std::to_string(::getpid()) + ".pdf");
    {
      std::FILE* f = std::fopen(tmp.c_str(), "wb");
      ASSERT_NE(f, nullptr);
      std::fwrite(r.output.data(), 1, r.output.size(), f);
      std::fclose(f);
    }
    int rc = std::system(("qpdf --check '" + tmp.string() + "' >/dev/null 2>&1").c_str());
    fs::remove(tmp);
    EXPECT_EQ(rc, 0) << label << ": the rebuilt PDF fails qpdf --check";
  }
}

TEST(CdrCorpus, EveryFileGetsItsExpectedVerdictAndOutputsAreCleanAndValid) {
  if (!fs::exists(kCorpus)) GTEST_SKIP() << "no public test files at " << kCorpus << " (../shared/corpora absent)";
  std::map<std::string, const Expected*> table;
  for (const auto& e : kExpected) table[e.path] = &e;
  std::size_t seen = 0;
  CdrPolicy policy;
  policy.convert_legacy = false;  // the table judges the engine's own reading of legacy files; convert_test.cc the conversion
  for (const auto& entry : fs::recursive_directory_iterator(kCorpus)) {
    if (!entry.is_regular_file()) continue;
    const std::string rel = fs::relative(entry.path(), kCorpus).string();
    auto it = table.find(rel);
    if (it == table.end()) {
      ADD_FAILURE() << rel << ": no expected verdict in the table; inspect the file and add one";
      continue;
    }
    ++seen;
    const Expected& want = *it->second;
    const std::string bytes = sanso::testing::read_file(entry.path());
    CdrResult r = sanitize(bytes, entry.path().filename().string(), policy);
    EXPECT_EQ(to_string(r.verdict), want.verdict) << rel << ": " << r.reason << " " << r.message;
    if (r.verdict == Verdict::blocked) {
      EXPECT_EQ(r.reason, want.reason) << rel << ": " << r.message;
      EXPECT_TRUE(r.output.empty()) << rel << ": a blocked file has output";
    }
    std::set<std::string> kinds;
    for (const auto& f : r.findings) kinds.insert(std::string(to_string(f.kind)));
    for (const auto& k : split(want.findings)) EXPECT_TRUE(kinds.count(k)) << rel << ": finding " << k << " missing";
    if (r.verdict == Verdict::blocked) continue;
    // Sanitizing the output again finds nothing: the engine's detectors agree it is clean.
    CdrResult again = sanitize(r.output, r.output_name, policy);
    EXPECT_EQ(again.verdict, Verdict::clean) << rel << ": the rebuilt file still has " << (again.findings.empty() ? again.reason : std::string(to_string(again.findings[0].kind)) + " at " + again.findings[0].location);
    expect_well_formed(r, rel);
  }
  EXPECT_EQ(seen, std::size(kExpected)) << "table rows whose file is missing from the corpus";
}

// oletools ships its Word 97–2003 DDE samples inside zips locked with its published password
// ("infected-test"), so no scanner trips over them. Opened here, each must be blocked for its
// DDE field, read from the document text through the piece table (8-bit and UTF-16 pieces).
std::string unlock_sample(const fs::path& zip_path) {
  const std::string bytes = sanso::testing::read_file(zip_path);
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  zip_t* za = src != nullptr ? zip_open_from_source(src, ZIP_RDONLY, &error) : nullptr;
  zip_error_fini(&error);
  if (za == nullptr) return {};
  std::string out;
  if (zip_file_t* f = zip_fopen_index_encrypted(za, 0, 0, "infected-test")) {
    char buf[8192];
    zip_int64_t n;
    while ((n = zip_fread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    zip_fclose(f);
  }
  zip_close(za);
  return out;
}

// Legacy files read by the engine itself, not converted (conversion is the default).
const CdrPolicy kInspectLegacy = [] {
  CdrPolicy p;
  p.convert_legacy = false;
  return p;
}();

TEST(CdrCorpus, LegacyWordDdeSamplesAreBlockedForTheirDdeField) {
  if (!fs::exists(kCorpus)) GTEST_SKIP() << "no public test files at " << kCorpus << " (../shared/corpora absent)";
  for (const char* name : {"dde-test-from-office2003.doc.zip", "dde-test-from-office2016.doc.zip", "dde-test-from-office2013-utf_16le-korean.doc.zip"}) {
    const std::string doc = unlock_sample(kCorpus / "oletools/msodde" / name);
    ASSERT_GT(doc.size(), 512u) << name << ": the sample did not unlock";
    CdrResult r = sanitize(doc, "dde.doc", kInspectLegacy);
    EXPECT_EQ(r.verdict, Verdict::blocked) << name;
    EXPECT_EQ(r.reason, "active-content") << name << ": " << r.message;
    bool dde = false;
    for (const auto& f : r.findings) dde = dde || f.kind == FindingKind::kDdeField;
    EXPECT_TRUE(dde) << name << ": " << r.message;
  }
  // The clean Word 97 sample of the same suite has fields too (none DDE): it passes unchanged.
  const std::string clean = sanso::testing::read_file(kCorpus / "oletools/msodde/harmless-clean.doc");
  CdrResult r = sanitize(clean, "harmless-clean.doc", kInspectLegacy);
  EXPECT_EQ(r.verdict, Verdict::clean) << r.message;
  EXPECT_EQ(r.output, clean);
}

}  // namespace
}  // namespace sanso::cdr
