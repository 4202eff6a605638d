// Text for the outgoing check (extract_texts): every format the engine parses gives its text, archives
// member by member with their paths, and what cannot be read says why — nothing reads as "no text".
#include <gtest/gtest.h>

#include <zip.h>

#include <cstring>

#include "cdr/fixtures.h"
#include "support/japanese_pdf.h"
#include "support/zip_of.h"

namespace sanso::cdr {
namespace {

using fixtures::compound_file;
using fixtures::libarchive_pack;
using fixtures::make_zip;

const std::string kNumber = "123456789018";  // a 個人番号 with a valid check digit

// The piece read for `where`, or a failed test.
const ExtractedText& piece(const std::vector<ExtractedText>& pieces, const std::string& where) {
  for (const auto& p : pieces) {
    if (p.where == where) return p;
  }
  static const ExtractedText none{"(none)", "", "", "(not read)"};
  ADD_FAILURE() << "nothing read as " << where;
  return none;
}

std::string wheres(const std::vector<ExtractedText>& pieces) {
  std::string out;
  for (const auto& p : pieces) out += p.where + " [" + p.unreadable + "] ";
  return out;
}

TEST(CdrExtract, ArchiveMembersAreReadRecursivelyUnderTheirPaths) {
  const std::string inner = make_zip({{"c.txt", "【機密性3A】"}, {"d.csv", "山田," + kNumber + "\r\n"}});
  const auto zip = extract_texts(make_zip({{"b.csv", "a," + kNumber}, {"inner.zip", inner}}), "a.zip");
  EXPECT_EQ(zip.size(), 3u) << wheres(zip);
  EXPECT_NE(piece(zip, "a.zip/b.csv").text.find(kNumber), std::string::npos);
  EXPECT_NE(piece(zip, "a.zip/inner.zip/c.txt").text.find("【機密性3A】"), std::string::npos);
  EXPECT_NE(piece(zip, "a.zip/inner.zip/d.csv").text.find(kNumber), std::string::npos);
  // 7z, tar.gz and LZH through libarchive, as the engine reads them.
  const auto seven = extract_texts(libarchive_pack("7zip", nullptr, {{"list.csv", kNumber}}), "x.7z");
  EXPECT_NE(piece(seven, "x.7z/list.csv").text.find(kNumber), std::string::npos);
  const auto tgz = extract_texts(libarchive_pack("gnutar", "gzip", {{"dir/list.txt", kNumber}}), "x.tar.gz");
  EXPECT_NE(piece(tgz, "x.tar.gz/dir/list.txt").text.find(kNumber), std::string::npos);
  const auto lzh = extract_texts(fixtures::lzh_stored("memo.txt", "番号 " + kNumber), "x.lzh");
  EXPECT_NE(piece(lzh, "x.lzh/memo.txt").text.find(kNumber), std::string::npos);
  // A PDF inside is handed on for pdftotext, under its path.
  const auto with_pdf = extract_texts(make_zip({{"b.pdf", testing::japanese_pdf(u"表")}}), "a.zip");
  EXPECT_EQ(piece(with_pdf, "a.zip/b.pdf").pdf.rfind("%PDF-", 0), 0u);
  // A zip that stores a PDF uncompressed near its start is a PDF to a reader and a zip to an
  // archiver: read both ways, every member too.
  const auto stored = extract_texts(fixtures::raw_zip({{"b.pdf", testing::japanese_pdf(u"表"), false}, {"c.csv", kNumber, false}}), "s.zip");
  EXPECT_EQ(piece(stored, "s.zip/b.pdf").pdf.rfind("%PDF-", 0), 0u) << wheres(stored);
  EXPECT_NE(piece(stored, "s.zip/c.csv").text.find(kNumber), std::string::npos) << wheres(stored);
}

TEST(CdrExtract, BombsEncryptionAndDepthCannotBeReadAndSayWhy) {
  const auto ratio = extract_texts(fixtures::raw_zip({{"zeros.txt", std::string(std::size_t{50} << 20, '0'), true}}), "bomb.zip");
  ASSERT_EQ(ratio.size(), 1u) << wheres(ratio);
  EXPECT_EQ(ratio[0].unreadable.rfind("limit:", 0), 0u) << ratio[0].unreadable;
  const auto overlap = extract_texts(fixtures::raw_zip({{"kernel.txt", std::string(std::size_t{1} << 20, 'A'), true}}, 400), "overlap.zip");
  bool refused = false;
  for (const auto& p : overlap) refused = refused || !p.unreadable.empty();
  EXPECT_TRUE(refused) << "400 entries over one 1 MiB member are 400 MiB: over the expanded-size limit";
  const auto encrypted = extract_texts(testing::zip_of({{"list.csv", kNumber}}, ZIP_EM_AES_256, "secret"), "ppap.zip");
  ASSERT_EQ(encrypted.size(), 1u);
  EXPECT_EQ(encrypted[0].unreadable.rfind("encrypted:", 0), 0u) << encrypted[0].unreadable;
  std::string deep = kNumber;
  for (int i = 0; i < 20; ++i) deep = make_zip({{"level" + std::to_string(i) + (i == 0 ? ".txt" : ".zip"), deep}});
  const auto nested = extract_texts(deep, "deep.zip");
  ASSERT_FALSE(nested.empty());
  EXPECT_EQ(nested.back().unreadable.rfind("limit:", 0), 0u) << wheres(nested);
  for (const auto& p : nested) EXPECT_EQ(p.text.find(kNumber), std::string::npos) << "past the depth limit nothing is read";
}

TEST(CdrExtract, LegacyOfficeAndRtfTextIsRead) {
  // Word: the piece table's UTF-16 text, as Japanese Word stores it.
  const auto [word, table] = fixtures::word_streams("", u"個人番号 123456789018\r【機密性３Ａ】\r");
  const auto doc = extract_texts(compound_file({{"WordDocument", word}, {"1Table", table}}), "名簿.doc");
  ASSERT_EQ(doc.size(), 1u);
  EXPECT_EQ(doc[0].unreadable, "");
  EXPECT_NE(doc[0].text.find("個人番号 " + kNumber), std::string::npos) << doc[0].text;
  EXPECT_NE(doc[0].text.find("【機密性３Ａ】"), std::string::npos) << doc[0].text;
  // Excel: a number typed into a cell (NUMBER), a shared string (SST), the sheet's name.
  fixtures::Bytes wb;
  wb.u16(0x0809).u16(16).u32(0x00100600).u32(0).u32(0).u32(0);  // BOF
  std::string sheet = "名簿";
  wb.u16(0x0085).u16(8 + 2 * 2).u32(0).u16(0).raw(std::string(1, '\x02')).raw(std::string(1, '\x01'));  // BOUNDSHEET, 2 UTF-16 characters
  wb.u16(0x540D).u16(0x7C3F);                                                                             // 名簿
  fixtures::Bytes sst;
  sst.u32(1).u32(1).u16(6).raw(std::string(1, '\0')).raw("secret");
  wb.u16(0x00FC).u16(static_cast<unsigned>(sst.s.size())).raw(sst.s);
  double number = 123456789018.0;
  std::string eight(8, '\0');
  std::memcpy(eight.data(), &number, 8);
  wb.u16(0x0203).u16(14).u16(0).u16(0).u16(0).raw(eight);  // NUMBER at A1
  wb.u16(0x000A).u16(0);                                   // EOF
  const auto xls = extract_texts(compound_file({{"Workbook", wb.s}}), "list.xls");
  ASSERT_EQ(xls.size(), 1u);
  EXPECT_EQ(xls[0].unreadable, "");
  EXPECT_NE(xls[0].text.find(kNumber), std::string::npos) << xls[0].text;
  EXPECT_NE(xls[0].text.find("secret"), std::string::npos) << xls[0].text;
  EXPECT_NE(xls[0].text.find("名簿"), std::string::npos) << xls[0].text;
  // PowerPoint: a TextCharsAtom inside a container.
  fixtures::Bytes atom;
  for (char16_t c : std::u16string(u"番号 123456789018")) atom.u16(c);
  fixtures::Bytes ppt;
  ppt.u16(0x000F).u16(0x03E8).u32(static_cast<unsigned long>(8 + atom.s.size()));  // Document container
  ppt.u16(0x0000).u16(0x0FA0).u32(static_cast<unsigned long>(atom.s.size())).raw(atom.s);
  const auto slides = extract_texts(compound_file({{"PowerPoint Document", ppt.s}, {"Current User", std::string(8, '\0')}}), "deck.ppt");
  ASSERT_EQ(slides.size(), 1u);
  EXPECT_NE(slides[0].text.find(kNumber), std::string::npos) << slides[0].text << slides[0].unreadable;
  // A password-protected Word file cannot be read: it says so.
  auto [locked, locked_table] = fixtures::word_streams("x\r");
  locked[0x0B] = static_cast<char>(locked[0x0B] | 0x01);  // FIB fEncrypted
  const auto encrypted = extract_texts(compound_file({{"WordDocument", locked}, {"1Table", locked_table}}), "locked.doc");
  ASSERT_EQ(encrypted.size(), 1u);
  EXPECT_EQ(encrypted[0].unreadable.rfind("encrypted:", 0), 0u) << encrypted[0].unreadable;
  // RTF: Shift_JIS bytes in the document's code page, \uN, and nothing of the font table or a picture.
  const std::string rtf =
      "{\\rtf1\\ansi\\ansicpg932{\\fonttbl{\\f0\\fcharset128 \\'82\\'6c\\'82\\'72 \\'96\\'be\\'92\\'a9;}}"
      "{\\pict\\pngblip 313233343536373839303138}\\'8c\\'c2\\'90\\'6c\\'94\\'d4\\'8d\\'86 123456789018\\par \\u27231?\\u23494?\\u24615?3A}";
  const auto r = extract_texts(rtf, "memo.rtf");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].unreadable, "");
  EXPECT_NE(r[0].text.find("個人番号 " + kNumber), std::string::npos) << r[0].text;
  EXPECT_NE(r[0].text.find("機密性3A"), std::string::npos) << r[0].text;
  EXPECT_EQ(r[0].text.find("ＭＳ"), std::string::npos) << "the font table is no text";
  EXPECT_EQ(r[0].text.find("313233"), std::string::npos) << "picture data is no text";
}

TEST(CdrExtract, PdfFieldsAnnotationsAndInformationAreReadAndAPdfAnywhereIsFound) {
  const std::string pdf = testing::pdf_of(
      {"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
       "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Annots [4 0 R 5 0 R] >>",
       "<< /Type /Annot /Subtype /Widget /FT /Tx /T (number) /V (123456789018) /Rect [0 0 10 10] >>",
       "<< /Type /Annot /Subtype /Text /Contents <FEFF30106A5F5BC66027003300413011> /Rect [0 0 10 10] >>",  // 【機密性3A】 in UTF-16BE
       "<< /Title (minutes) /Author (Yamada) >>"},
      "/Info 6 0 R");
  const auto read = extract_texts(pdf, "form.pdf");
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].unreadable, "");
  EXPECT_NE(read[0].text.find(kNumber), std::string::npos) << "a form field's value: " << read[0].text;
  EXPECT_NE(read[0].text.find("【機密性3A】"), std::string::npos) << "an annotation's contents: " << read[0].text;
  EXPECT_NE(read[0].text.find("minutes"), std::string::npos) << "the information dictionary: " << read[0].text;
  EXPECT_EQ(read[0].pdf, pdf);
  // "%PDF-" past the first kilobyte, after bytes that are no type at all: still a PDF to pdftotext.
  std::string junk(3000, '\0');
  for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>((i * 7 + 1) % 251);
  const auto late = extract_texts(junk + pdf, "late.bin");
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].unreadable, "");
  EXPECT_EQ(late[0].pdf, pdf);
  EXPECT_NE(late[0].text.find(kNumber), std::string::npos);
  // A PDF qpdf cannot read says so (one it recovers still goes to pdftotext, which must read it).
  const auto broken = extract_texts("%PDF-1.4\n1 0 obj <<\n", "broken.pdf");
  ASSERT_EQ(broken.size(), 1u);
  EXPECT_TRUE(broken[0].unreadable.empty() != broken[0].pdf.empty()) << "unreadable, or left for pdftotext: never both";
}

TEST(CdrExtract, ImagesAndUnknownBytesCannotBeRead) {
  const auto png = extract_texts(fixtures::rgb_png(4, 4, 1, 2, 3), "scan.png");
  ASSERT_EQ(png.size(), 1u);
  EXPECT_EQ(png[0].unreadable.rfind("image:", 0), 0u) << png[0].unreadable;
  std::string binary(512, '\0');
  for (std::size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>((i * 13 + 5) % 256);
  const auto unknown = extract_texts(binary, "data.bin");
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_NE(unknown[0].unreadable, "") << "unknown bytes are not a file without text";
  // Text in Japanese charsets is read (EUC-JP here), and an empty file is read as empty.
  const auto euc = extract_texts("\xb8\xc4\xbf\xcd\xc8\xd6\xb9\xe6 123456789018\n", "list.txt");
  ASSERT_EQ(euc.size(), 1u);
  EXPECT_NE(euc[0].text.find("個人番号 " + kNumber), std::string::npos) << euc[0].text;
  const auto empty = extract_texts("", "empty.txt");
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_EQ(empty[0].unreadable, "");
}

}  // namespace
}  // namespace sanso::cdr
