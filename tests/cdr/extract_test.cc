// Text for the outgoing check (extract_texts): every format the engine parses gives its text, archives
// member by member with their paths, and what cannot be read says why — nothing reads as "no text".
#include <gtest/gtest.h>

#include <zip.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <tuple>

#include "cdr/fixtures.h"
#include "cdr/image/codecs.h"
#include "cdr/internal/data_uris.h"
#include "core/digest.h"
#include "core/identification_numbers.h"
#include "support/japanese_pdf.h"
#include "support/text_picture.h"
#include "support/wmf_file.h"
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

// Whether the metafile's drawing at `where` was seen to paint: handed on to render, or held because
// what it paints is a few of its reference pixels, too small enlarged as far as a copy is
// (review25b H2: a mark of some twips in these tests' one-inch WMF box comes out some 11 page
// pixels) — either way never passed as if it painted nothing.
bool painted(const std::vector<ExtractedText>& pieces, const std::string& where) {
  const ExtractedText& p = piece(pieces, where);
  return p.drawing || p.unreadable.find("描画の基準画素が粗く") != std::string::npos;
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
  // Review 20 (7): a text box's or a comment's text (TXO and its CONTINUE records) is read — 8-bit,
  // and UTF-16 split over two CONTINUE records each with its flags byte.
  fixtures::Bytes boxes;
  boxes.u16(0x0809).u16(16).u32(0x00100600).u32(0).u32(0).u32(0);                       // BOF
  boxes.u16(0x01B6).u16(18).u16(0).u16(0).u16(0).u32(0).u16(14).u16(16).u16(0).u16(0);  // TXO, 14 characters
  boxes.u16(0x003C).u16(15).raw(std::string(1, '\0')).raw("a,123456789018");
  boxes.u16(0x003C).u16(16).raw(std::string(16, '\0'));                                 // its formatting runs
  boxes.u16(0x01B6).u16(18).u16(0).u16(0).u16(0).u32(0).u16(4).u16(16).u16(0).u16(0);   // TXO, 4 characters
  boxes.u16(0x003C).u16(5).raw(std::string(1, '\x01')).u16(0x500B).u16(0x4EBA);          // 個人
  boxes.u16(0x003C).u16(5).raw(std::string(1, '\x01')).u16(0x756A).u16(0x53F7);          // 番号
  boxes.u16(0x000A).u16(0);                                                               // EOF
  const auto box = extract_texts(compound_file({{"Workbook", boxes.s}}), "box.xls");
  ASSERT_EQ(box.size(), 1u) << wheres(box);
  EXPECT_NE(box[0].text.find("a," + kNumber), std::string::npos) << box[0].text;
  EXPECT_NE(box[0].text.find("個人番号"), std::string::npos) << box[0].text;
  // Its text cut short (50 characters promised, 14 there): the workbook is named unreadable.
  fixtures::Bytes cut;
  cut.u16(0x0809).u16(16).u32(0x00100600).u32(0).u32(0).u32(0);
  cut.u16(0x01B6).u16(18).u16(0).u16(0).u16(0).u32(0).u16(50).u16(16).u16(0).u16(0);
  cut.u16(0x003C).u16(15).raw(std::string(1, '\0')).raw("a,123456789018");
  cut.u16(0x000A).u16(0);
  const auto short_box = extract_texts(compound_file({{"Workbook", cut.s}}), "cut.xls");
  ASSERT_EQ(short_box.size(), 2u) << wheres(short_box);
  EXPECT_EQ(short_box[1].unreadable.rfind("malformed:", 0), 0u) << wheres(short_box);
  // Issue #17 (outtext21, 3): an Excel 5.0/95 workbook (BOF version 0x0500) writes its strings
  // as bytes in the CODEPAGE record's code page with no flags byte — in a sheet name, a cell and a
  // text box's CONTINUE records alike. Read as BIFF8, "1234…" lost its "1" to the flags byte and
  // the rest turned into UTF-16.
  const std::string meibo = "\x96\xBC\x95\xEB", kojin = "\x8C\xC2\x90\x6C\x94\xD4\x8D\x86\x20", gokuhi = "\x8B\xC9\x94\xE9";  // 名簿, 個人番号 , 極秘 in cp932
  fixtures::Bytes book;
  book.u16(0x0809).u16(8).u16(0x0500).u16(0x0005).u32(0);                                                           // BOF, BIFF5
  book.u16(0x0042).u16(2).u16(932);                                                                                   // CODEPAGE
  book.u16(0x0085).u16(7 + 4).u32(0).u16(0).raw(std::string(1, '\x04')).raw(meibo);                                   // BOUNDSHEET
  book.u16(0x0204).u16(8 + 12).u16(0).u16(0).u16(0).u16(12).raw(kNumber);                                             // LABEL
  book.u16(0x00D6).u16(8 + 4 + 3).u16(1).u16(0).u16(0).u16(4).raw(gokuhi).raw(std::string(3, '\0'));                 // RSTRING
  book.u16(0x01B6).u16(18).u16(0).u16(0).u16(0).u32(0).u16(9 + 12).u16(16).u16(0).u16(0);                          // TXO
  book.u16(0x003C).u16(5).raw(kojin.substr(0, 5));                                                                   // its text over two
  book.u16(0x003C).u16(4 + 12).raw(kojin.substr(5)).raw(kNumber);                                                    // CONTINUE records
  book.u16(0x003C).u16(16).raw(std::string(16, '\0'));                                                               // its formatting runs
  book.u16(0x000A).u16(0);                                                                                            // EOF
  const auto excel95 = extract_texts(compound_file({{"Book", book.s}}), "old.xls");
  ASSERT_EQ(excel95.size(), 1u) << wheres(excel95);
  EXPECT_EQ(excel95[0].unreadable, "");
  EXPECT_NE(excel95[0].text.find("名簿"), std::string::npos) << excel95[0].text;
  EXPECT_NE(excel95[0].text.find("極秘"), std::string::npos) << excel95[0].text;
  EXPECT_NE(excel95[0].text.find("\n" + kNumber), std::string::npos) << excel95[0].text;
  EXPECT_NE(excel95[0].text.find("個人番号 " + kNumber), std::string::npos) << excel95[0].text;
  // A BIFF5 text box promising more bytes than its CONTINUE records hold: unreadable, as in BIFF8.
  fixtures::Bytes book_cut;
  book_cut.u16(0x0809).u16(8).u16(0x0500).u16(0x0005).u32(0);
  book_cut.u16(0x01B6).u16(18).u16(0).u16(0).u16(0).u32(0).u16(40).u16(16).u16(0).u16(0);
  book_cut.u16(0x003C).u16(12).raw(kNumber);
  book_cut.u16(0x000A).u16(0);
  const auto excel95_cut = extract_texts(compound_file({{"Book", book_cut.s}}), "cut95.xls");
  ASSERT_EQ(excel95_cut.size(), 2u) << wheres(excel95_cut);
  EXPECT_EQ(excel95_cut[1].unreadable.rfind("malformed:", 0), 0u) << wheres(excel95_cut);
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
  ASSERT_EQ(r.size(), 2u) << wheres(r);
  EXPECT_EQ(r[0].unreadable, "");
  EXPECT_EQ(piece(r, "memo.rtf/pictures").unreadable.rfind("image:", 0), 0u) << "a picture cannot be read: it is named";
  EXPECT_NE(r[0].text.find("個人番号 " + kNumber), std::string::npos) << r[0].text;
  EXPECT_NE(r[0].text.find("機密性3A"), std::string::npos) << r[0].text;
  EXPECT_NE(r[0].text.find("ＭＳ 明朝"), std::string::npos) << "a font's name is text a person wrote: " << r[0].text;
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

// Generated Office parts for the tests below.
std::string utf16le(const std::u16string& text) {
  fixtures::Bytes b;
  for (char16_t c : text) b.u16(c);
  return b.s;
}

// A Packager object's native data wrapping `file` ([MS-OLEDS] Ole10Native without its size).
std::string packager(const std::string& name, const std::string& file) {
  fixtures::Bytes b;
  const std::string temp = "C:\\Temp\\" + name + std::string(1, '\0');
  b.u16(2).raw(name + std::string(1, '\0')).raw("C:\\" + name + std::string(1, '\0')).u32(0x00030000).u32(static_cast<unsigned long>(temp.size())).raw(temp);
  b.u32(static_cast<unsigned long>(file.size())).raw(file);
  return b.s;
}

std::string ole10native(const std::string& name, const std::string& file) {
  const std::string native = packager(name, file);
  fixtures::Bytes b;
  b.u32(static_cast<unsigned long>(native.size())).raw(native);
  return b.s;
}

// Bytes as RTF writes them in a hex destination.
std::string hex_of(std::string_view bytes) {
  std::string hex;
  static const char* digits = "0123456789abcdef";
  for (unsigned char c : bytes) {
    hex += digits[c >> 4];
    hex += digits[c & 15];
  }
  return hex;
}

// An OLE1 embedded object of `class_name` (as RTF's \objdata holds it), hex-encoded.
std::string ole1_hex(const std::string& class_name, const std::string& native) {
  fixtures::Bytes b;
  b.u32(0x00000501).u32(2).u32(static_cast<unsigned long>(class_name.size() + 1)).raw(class_name + std::string(1, '\0')).u32(0).u32(0);
  b.u32(static_cast<unsigned long>(native.size())).raw(native);
  return hex_of(b.s);
}

// An RTF body compressed as Outlook stores it ([MS-OXRTFCP] LZFu): "{\\rtf1" taken from the
// dictionary's prelude, then " 987654321098}" literal, then the end marker.
std::string lzfu_body() {
  const std::string literal = " 987654321098}";
  fixtures::Bytes lz;
  lz.raw(std::string(1, '\x01')).raw(std::string("\x00\x04", 2)).raw(literal.substr(0, 7));  // one reference, 7 literals
  const unsigned end_at = static_cast<unsigned>(207 + 6 + literal.size());
  lz.raw(std::string(1, static_cast<char>(1u << (literal.size() - 7)))).raw(literal.substr(7));
  lz.raw(std::string(1, static_cast<char>(end_at >> 4))).raw(std::string(1, static_cast<char>((end_at & 0xF) << 4)));
  fixtures::Bytes body;
  body.u32(static_cast<unsigned long>(lz.s.size() + 12)).u32(static_cast<unsigned long>(6 + literal.size())).u32(0x75465A4C).u32(0).raw(lz.s);
  return body.s;
}

// A TrueType font of one table: its header, its directory and the table, nothing else.
std::string sfnt(const std::string& table) {
  auto be32 = [](std::uint32_t v) { return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)}; };
  return be32(0x00010000) + std::string("\x00\x01\x00\x10\x00\x00\x00\x00", 8) + "head" + be32(0) + be32(28) +
         be32(static_cast<std::uint32_t>(table.size())) + table;
}

// A TrueType font of the tables given (tag → bytes), each at a 4-byte boundary.
std::string sfnt_of(const std::vector<std::pair<std::string, std::string>>& tables) {
  auto be16 = [](unsigned v) { return std::string{static_cast<char>(v >> 8), static_cast<char>(v)}; };
  auto be32 = [](std::uint32_t v) { return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)}; };
  std::string head = be32(0x00010000) + be16(static_cast<unsigned>(tables.size())) + be16(0) + be16(0) + be16(0), body;
  std::size_t at = 12 + 16 * tables.size();
  for (const auto& [tag, bytes] : tables) {
    head += tag + be32(0) + be32(static_cast<std::uint32_t>(at + body.size())) + be32(static_cast<std::uint32_t>(bytes.size()));
    body += bytes + std::string((4 - bytes.size() % 4) % 4, '\0');
  }
  return head + body;
}

// A name table of one Windows (UTF-16BE) string.
std::string name_table(const std::u16string& s) {
  std::string utf16;
  for (char16_t c : s) utf16 += std::string{static_cast<char>(c >> 8), static_cast<char>(c & 0xFF)};
  const auto n = static_cast<char>(utf16.size());
  return std::string("\0\0\0\1\0\x12", 6) + std::string("\0\3\0\1\x04\x11\0\x05\0", 9) + n + std::string("\0\0", 2) + utf16;
}

const std::string kFontKey = "{01234567-89AB-CDEF-0123-456789ABCDEF}";

// `font` as Word stores it in a .docx (.odttf): its first 32 bytes XORed with kFontKey's bytes, the
// GUID's hex pairs read from the last.
std::string obfuscated(std::string font) {
  const std::string hex = "0123456789ABCDEF0123456789ABCDEF";
  for (std::size_t i = 0; i < 32; ++i) font[i] = static_cast<char>(font[i] ^ std::stoi(hex.substr(30 - 2 * (i % 16), 2), nullptr, 16));
  return font;
}

// Every piece's text, one after another: where a number was found matters less than that it was.
std::string all_text(const std::vector<ExtractedText>& pieces) {
  std::string out;
  for (const auto& p : pieces) out += p.text + "\n";
  return out;
}

const std::string kDocxTypes =
    "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
    "<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>";
const std::string kXlsxTypes =
    "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
    "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/></Types>";
const std::string kWordBody =
    "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body><w:p><w:r><w:t>本文</w:t></w:r></w:p></w:body></w:document>";

TEST(CdrExtract, EveryMemberOfAnOfficePackageIsReadOrNamed) {
  // Attack (issue #17 (2)): a [Content_Types].xml made any zip a package whose other members were
  // skipped. Every member is read now, as the file it is.
  const auto fake = extract_texts(make_zip({{"[Content_Types].xml", "<Types/>"}, {"numbers.csv", "山田," + kNumber + "\r\n"}}), "a.zip");
  EXPECT_NE(piece(fake, "a.zip/numbers.csv").text.find(kNumber), std::string::npos) << wheres(fake);
  const auto fake_odf = extract_texts(make_zip({{"mimetype", "application/vnd.oasis.opendocument.text"}, {"numbers.csv", kNumber}}), "b.zip");
  EXPECT_NE(piece(fake_odf, "b.zip/numbers.csv").text.find(kNumber), std::string::npos) << wheres(fake_odf);

  // A .docx as Word writes one: an embedded workbook, an embedded OLE object packaging a CSV, a
  // picture, custom XML and a document variable (an attribute) — all read or named.
  const std::string xlsx = make_zip({{"[Content_Types].xml", kXlsxTypes},
                                     {"xl/workbook.xml", "<workbook/>"},
                                     {"xl/worksheets/sheet1.xml", "<worksheet xmlns:xr=\"x\" xr:uid=\"{00000000-0001-0000-0000-000000000000}\"/>"},
                                     {"xl/sharedStrings.xml", "<sst><si><t>" + kNumber + "</t></si></sst>"}});
  const std::string docx = make_zip({{"[Content_Types].xml", kDocxTypes},
                                     {"word/document.xml", kWordBody},
                                     {"word/settings.xml", "<w:settings xmlns:w=\"w\"><w:docVars><w:docVar w:name=\"n\" w:val=\"個人番号 " + kNumber + "\"/></w:docVars></w:settings>"},
                                     {"word/embeddings/Microsoft_Excel_Worksheet.xlsx", xlsx},
                                     {"word/embeddings/oleObject1.bin", compound_file({{"\x01Ole10Native", ole10native("list.csv", "a," + kNumber)}, {"\x01" "CompObj", "x"}})},
                                     {"word/media/image1.png", fixtures::rgb_png(4, 4, 1, 2, 3)},
                                     {"customXml/item1.xml", "<root><number>" + kNumber + "</number></root>"},
                                     {"word/fontTable.xml", "<w:fonts xmlns:w=\"w\"><w:font w:name=\"A\"><w:embedRegular w:fontKey=\"" + kFontKey + "\"/></w:font></w:fonts>"},
                                     {"word/fonts/font1.odttf", obfuscated(sfnt(std::string(64, '\x01')))}});
  const auto doc = extract_texts(docx, "r.docx");
  EXPECT_NE(piece(doc, "r.docx").text.find("個人番号 " + kNumber), std::string::npos) << "a document variable: " << piece(doc, "r.docx").text;
  EXPECT_NE(piece(doc, "r.docx/word/embeddings/Microsoft_Excel_Worksheet.xlsx").text.find(kNumber), std::string::npos) << wheres(doc);
  EXPECT_NE(piece(doc, "r.docx/word/embeddings/oleObject1.bin/list.csv").text.find(kNumber), std::string::npos) << wheres(doc);
  EXPECT_EQ(piece(doc, "r.docx/word/embeddings/Microsoft_Excel_Worksheet.xlsx").text.find("000000000000"), std::string::npos)
      << "the identifier Excel gives every sheet is no text (its zeros would pass for a 個人番号)";
  EXPECT_EQ(piece(doc, "r.docx/word/media/image1.png").unreadable.rfind("image:", 0), 0u) << wheres(doc);
  for (const auto& p : doc) EXPECT_EQ(p.where.find("font1"), std::string::npos) << "a font (its bytes say so) carries no text";
  // custom XML's text is the package's text (no part of it left out), in both readings of an XML
  // part's text (as laid out, and element by element)
  std::size_t numbers = 0;
  for (std::size_t at = piece(doc, "r.docx").text.find(kNumber); at != std::string::npos; at = piece(doc, "r.docx").text.find(kNumber, at + 1)) ++numbers;
  EXPECT_EQ(numbers, 3u) << "the document variable and the custom XML item, twice: " << piece(doc, "r.docx").text;

  // ODF: an object's content, a cell's value attribute (the text shows it rounded), a picture.
  const std::string ods = make_zip(
      {{"mimetype", "application/vnd.oasis.opendocument.spreadsheet"},
       {"content.xml", "<office:document-content xmlns:office=\"o\" xmlns:table=\"t\" xmlns:text=\"x\"><table:table-cell office:value-type=\"float\" office:value=\"" +
                           kNumber + "\"><text:p>1.23E+11</text:p></table:table-cell></office:document-content>"},
       {"Object 1/content.xml", "<office:document-content xmlns:office=\"o\"><p>【機密性3A】</p></office:document-content>"},
       {"Pictures/scan.png", fixtures::rgb_png(4, 4, 1, 2, 3)}});
  const auto sheet = extract_texts(ods, "s.ods");
  EXPECT_NE(piece(sheet, "s.ods").text.find(kNumber), std::string::npos) << piece(sheet, "s.ods").text;
  EXPECT_NE(piece(sheet, "s.ods").text.find("【機密性3A】"), std::string::npos) << piece(sheet, "s.ods").text;
  EXPECT_EQ(piece(sheet, "s.ods/Pictures/scan.png").unreadable.rfind("image:", 0), 0u) << wheres(sheet);
  // A part that claims XML and is not well-formed is read as what it is, not skipped.
  const auto broken = extract_texts(make_zip({{"[Content_Types].xml", kDocxTypes}, {"word/document.xml", kWordBody}, {"word/notes.xml", "<a>" + kNumber + "<b></a>"}}), "n.docx");
  EXPECT_NE(piece(broken, "n.docx/word/notes.xml").text.find(kNumber), std::string::npos) << wheres(broken);
}

TEST(CdrExtract, CompoundFilesAreReadStreamByStreamOrNamed) {
  // An Outlook item: its string properties (subject, body) and its attachments, read as files.
  const auto msg = extract_texts(compound_file({{"__substg1.0_0037001F", utf16le(u"名簿の件")},
                                                {"__substg1.0_1000001F", utf16le(u"個人番号 123456789018")},
                                                {"__properties_version1.0", std::string(32, '\0')},
                                                {"__attach_version1.0_#00000000/__substg1.0_3707001F", utf16le(u"list.csv")},
                                                {"__attach_version1.0_#00000000/__substg1.0_37010102", "山田," + kNumber}}),
                                 "mail.msg");
  EXPECT_EQ(piece(msg, "mail.msg").unreadable, "");
  EXPECT_NE(piece(msg, "mail.msg").text.find("個人番号 " + kNumber), std::string::npos) << wheres(msg);
  EXPECT_NE(piece(msg, "mail.msg/__attach_version1.0_#00000000/list.csv").text.find(kNumber), std::string::npos) << wheres(msg);
  // Its RTF body, compressed as Outlook stores it ([MS-OXRTFCP] LZFu).
  const auto rtf_mail = extract_texts(compound_file({{"__substg1.0_0037001F", utf16le(u"件名")}, {"__substg1.0_10090102", lzfu_body()}}), "rtf.msg");
  EXPECT_NE(piece(rtf_mail, "rtf.msg/body.rtf").text.find("987654321098"), std::string::npos) << wheres(rtf_mail);
  // A Word file with an embedded packaged file (ObjectPool) and an embedded workbook's package.
  const auto [word, table] = fixtures::word_streams("本文\r");
  const std::string xlsx = make_zip({{"[Content_Types].xml", kXlsxTypes}, {"xl/workbook.xml", "<workbook/>"}, {"xl/sharedStrings.xml", "<sst><si><t>" + kNumber + "</t></si></sst>"}});
  const auto doc = extract_texts(compound_file({{"WordDocument", word},
                                                {"1Table", table},
                                                {"ObjectPool/_1234/\x01Ole10Native", ole10native("list.csv", "a," + kNumber)},
                                                {"ObjectPool/_1235/Package", xlsx}}),
                                 "r.doc");
  EXPECT_NE(piece(doc, "r.doc/list.csv").text.find(kNumber), std::string::npos) << wheres(doc);
  EXPECT_NE(piece(doc, "r.doc/ObjectPool/_1235/Package").text.find(kNumber), std::string::npos) << wheres(doc);
  // Streams of no known meaning (一太郎, Visio, anything else) and Word 6/95 cannot be read: named.
  const auto jtd = extract_texts(compound_file({{"DocumentText", utf16le(u"123456789018")}}), "a.jtd");
  EXPECT_EQ(piece(jtd, "a.jtd/DocumentText").unreadable.rfind("unsupported:", 0), 0u) << wheres(jtd);
  const auto extra = extract_texts(compound_file({{"WordDocument", word}, {"1Table", table}, {"Secret", kNumber}}), "x.doc");
  EXPECT_EQ(piece(extra, "x.doc/Secret").unreadable.rfind("unsupported:", 0), 0u) << wheres(extra);
  std::string word6 = word;
  word6[2] = 0x65;  // nFib 101
  word6[3] = 0;
  const auto old = extract_texts(compound_file({{"WordDocument", word6}, {"1Table", table}}), "w6.doc");
  EXPECT_EQ(piece(old, "w6.doc/WordDocument").unreadable.rfind("unsupported:", 0), 0u) << wheres(old);
}

TEST(CdrExtract, RtfObjectsPicturesAndIgnorableDestinationsAreReadOrNamed) {
  const std::string rtf = "{\\rtf1\\ansi{\\object\\objemb{\\*\\objclass Package}{\\*\\objdata " + ole1_hex("Package", packager("list.csv", "a," + kNumber)) +
                          "}{\\result x}}{\\*\\mynotes 番号 987654321098}{\\field{\\*\\fldinst QUOTE \"555566667777\"}{\\fldrslt y}}"
                          "{\\*\\shppict{\\pict\\pngblip 89504e47}}本文\\par}";
  const auto r = extract_texts(rtf, "memo.rtf");
  EXPECT_NE(piece(r, "memo.rtf/list.csv").text.find(kNumber), std::string::npos) << wheres(r);
  EXPECT_NE(piece(r, "memo.rtf").text.find("987654321098"), std::string::npos) << "an ignorable destination's text: " << piece(r, "memo.rtf").text;
  EXPECT_NE(piece(r, "memo.rtf").text.find("555566667777"), std::string::npos) << "a field instruction: " << piece(r, "memo.rtf").text;
  EXPECT_EQ(piece(r, "memo.rtf/pictures").unreadable.rfind("image:", 0), 0u) << wheres(r);
  // An object that is not a file (a link) cannot be read: named.
  fixtures::Bytes linked;
  linked.u32(0x501).u32(1).u32(0);
  std::string hex;
  for (unsigned char c : linked.s) hex += "0123456789abcdef"[c >> 4], hex += "0123456789abcdef"[c & 15];
  const auto link = extract_texts("{\\rtf1{\\object\\objlink{\\*\\objdata " + hex + "}}}", "l.rtf");
  EXPECT_EQ(piece(link, "l.rtf/object 1").unreadable.rfind("unsupported:", 0), 0u) << wheres(link);
}

// Issue #17 (1): what Word keeps in tables and hex destinations is read — a style's name, a list's
// text, a revision's author as text; the theme, colour scheme mapping and data store decoded and read
// as files; small hex values of their fixed size (a picture id) decoded as text, of another size (a
// decimal number in a panose) read as written; \bin bytes outside a picture read as a file; a hex
// destination that holds other than hex read as text. Nothing is dropped unnamed.
TEST(CdrExtract, RtfTablesHexDestinationsAndBinaryDataAreRead) {
  const std::string rtf =
      "{\\rtf1\\ansi\\ansicpg932{\\fonttbl{\\f0\\fcharset128{\\*\\panose 999900001111}Gothic;}}{\\*\\blipuid " + hex_of("100000000001abcd") + "}"
      "{\\stylesheet{\\s1 style 200000000002;}}{\\*\\listtable{\\list{\\listname 300000000003;}}}"
      "{\\*\\revtbl{Unknown;}{\\'94\\'d4\\'8d\\'86 400000000004;}}"
      "{\\*\\themedata " + hex_of(make_zip({{"theme/theme/theme1.xml", "<a:theme name=\"500000000005\"/>"}})) + "}"
      "{\\*\\colorschememapping " + hex_of("<a:clrMap note=\"600000000006\"/>") + "}"
      "{\\*\\datastore " + ole1_hex("Msxml2.SAXXMLReader.6.0", "id,700000000007") + "}"
      "{\\*\\passwordhash 800000000008 \\'94\\'e9}"
      "{\\*\\generator \\bin15 id,900000000009}本文\\par}";
  const auto r = extract_texts(rtf, "t.rtf");
  const std::string text = all_text(r);
  for (const char* number : {"999900001111", "100000000001", "200000000002", "300000000003", "400000000004", "500000000005", "600000000006",
                             "700000000007", "800000000008", "900000000009"}) {
    EXPECT_NE(text.find(number), std::string::npos) << number << " in " << wheres(r) << "\n" << text;
  }
  EXPECT_NE(text.find("秘"), std::string::npos) << "a hex destination with other than hex digits is read as text: " << text;
  for (const auto& p : r) EXPECT_EQ(p.unreadable, "") << p.where;
  // A \bin of bytes that are no file a reader knows is named, not passed over.
  const auto raw = extract_texts(std::string("{\\rtf1{\\*\\x \\bin4 \x01\x02\x03\x04}}"), "b.rtf");
  EXPECT_NE(piece(raw, "b.rtf/binary data 1").unreadable, "") << wheres(raw);
}

// An ordinary RTF (WordPad, the circlean corpus) is read whole: nothing in it is named unreadable.
TEST(CdrExtract, AnOrdinaryRtfIsReadWithoutAnUnreadablePiece) {
  const std::filesystem::path file = std::filesystem::path(SANSO_SHARED_DIR) / "corpora/files/circlean/normal/rich_text.rtf";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "no public test files at " << file;
  std::ifstream in(file, std::ios::binary);
  const std::string rtf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto r = extract_texts(rtf, "rich_text.rtf");
  ASSERT_FALSE(r.empty());
  for (const auto& p : r) EXPECT_EQ(p.unreadable, "") << p.where;
  EXPECT_NE(r[0].text.find_first_not_of(" \r\n\t"), std::string::npos);
}

TEST(CdrExtract, PdfEmbeddedFilesXfaAndScannedPagesAreReadOrNamed) {
  auto stream = [](const std::string& content) { return "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream"; };
  const std::string csv = "山田," + kNumber;
  const std::string xfa = "<xdp:xdp xmlns:xdp=\"http://ns.adobe.com/xdp/\"><xfa:data><number>987654321098</number></xfa:data></xdp:xdp>";
  const std::string pdf = testing::pdf_of(
      {"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(list.csv) 4 0 R] >> >> /AcroForm << /Fields [] /XFA 6 0 R >> >>",
       "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
       "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im1 7 0 R >> >> /Contents 8 0 R >>",
       "<< /Type /Filespec /F (list.csv) /UF (list.csv) /EF << /F 5 0 R >> >>",
       "<< /Type /EmbeddedFile /Length " + std::to_string(csv.size()) + " >>\nstream\n" + csv + "\nendstream",
       "<< /Length " + std::to_string(xfa.size()) + " >>\nstream\n" + xfa + "\nendstream",
       "<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length 1 >>\nstream\n\x80\nendstream",
       stream("q 612 0 0 792 0 0 cm /Im1 Do Q")});
  const auto read = extract_texts(pdf, "a.pdf");
  EXPECT_EQ(piece(read, "a.pdf").pdf, pdf);
  EXPECT_NE(piece(read, "a.pdf/list.csv").text.find(kNumber), std::string::npos) << wheres(read);
  EXPECT_NE(piece(read, "a.pdf").text.find("987654321098"), std::string::npos) << "the XFA form: " << piece(read, "a.pdf").text;
  EXPECT_EQ(piece(read, "a.pdf/pages").unreadable.rfind("image:", 0), 0u) << "a page that is only a picture: " << wheres(read);
  // A page with text and a picture is read by pdftotext: no piece names it.
  const std::string text_page = testing::pdf_of(
      {"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
       "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im1 4 0 R >> /Font << /F1 6 0 R >> >> /Contents 5 0 R >>",
       "<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length 1 >>\nstream\n\x80\nendstream",
       stream("/Im1 Do BT /F1 12 Tf 72 72 Td (minutes) Tj ET"),
       "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"});
  const auto mixed = extract_texts(text_page, "m.pdf");
  EXPECT_EQ(mixed.size(), 1u) << "a one-pixel picture holds no text: " << wheres(mixed);
}

// Issue #17 (5): decompress_rtf(), the bounded reader mail's TNEF path uses instead of libytnef's
// DecompressRTF: a whole body decompresses; one cut short anywhere, of an unknown form, claiming more
// than the limit or expanding past it is an error (never a partial text, never a read past the bytes).
TEST(CdrExtract, CompressedRtfIsDecompressedWithinItsBytesOrRefused) {
  const std::string body = lzfu_body();
  auto whole = decompress_rtf(body, 1 << 20);
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(*whole, "{\\rtf1 987654321098}");
  for (std::size_t cut = 0; cut < body.size(); ++cut) {
    // A copy of exactly `cut` bytes: ASan sees any read past it.
    const std::unique_ptr<char[]> bytes(new char[cut == 0 ? 1 : cut]);
    std::memcpy(bytes.get(), body.data(), cut);
    auto part = decompress_rtf(std::string_view(bytes.get(), cut), 1 << 20);
    ASSERT_FALSE(part) << "cut at " << cut << " read as " << *part;
    EXPECT_EQ(part.error().code, "cdr.malformed") << cut;
  }
  // The header's size made to say less than the data: the end marker is then outside it.
  std::string short_size = body;
  short_size[0] = static_cast<char>(short_size[0] - 2);
  EXPECT_FALSE(decompress_rtf(short_size, 1 << 20));
  // Stored (MELA) with fewer bytes than it claims; an unknown magic; a size over the limit.
  fixtures::Bytes stored;
  stored.u32(12 + 5).u32(100).u32(0x414C454D).u32(0).raw("{\\rtf");
  EXPECT_FALSE(decompress_rtf(stored.s, 1 << 20));
  std::string unknown = body;
  unknown[8] = 'X';
  EXPECT_FALSE(decompress_rtf(unknown, 1 << 20));
  auto over = decompress_rtf(body, 4);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, "cdr.limit");
  // References that copy 17 bytes each from 2: a body that claims a small size but expands past the limit.
  fixtures::Bytes bomb_data;
  for (int i = 0; i < 64; ++i) bomb_data.raw(std::string(1, '\xff')).raw(std::string(16, '\x0f'));
  fixtures::Bytes bomb;
  bomb.u32(static_cast<unsigned long>(bomb_data.s.size() + 12)).u32(10).u32(0x75465A4C).u32(0).raw(bomb_data.s);
  auto expanded = decompress_rtf(bomb.s, 4096);
  ASSERT_FALSE(expanded);
  EXPECT_EQ(expanded.error().code, "cdr.limit");
}

// Issue #17 (2): a page with text and a picture that can hold a line of text (a scanned card with a
// typed page number) is named, whether the picture is an image XObject, an inline image or drawn
// through a form; a page with text and a rule one pixel high is not.
TEST(CdrExtract, PdfPagesWithTextAndLegiblePicturesAreNamed) {
  auto stream = [](const std::string& dict, const std::string& content) {
    return "<< " + dict + " /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream";
  };
  auto page_pdf = [&](const std::string& contents, const std::string& xobject) {
    return testing::pdf_of(
        {"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
         "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /X1 4 0 R /Im1 7 0 R >> /Font << /F1 6 0 R >> >> /Contents 5 0 R >>",
         xobject, stream("", contents), "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
         stream("/Type /XObject /Subtype /Image /Width 400 /Height 250 /ColorSpace /DeviceGray /BitsPerComponent 8", std::string(100000, '\x80'))});
  };
  const std::string text = " BT /F1 12 Tf 72 72 Td (page 1) Tj ET";
  const std::string image = stream("/Type /XObject /Subtype /Image /Width 400 /Height 250 /ColorSpace /DeviceGray /BitsPerComponent 8",
                                   std::string(100000, '\x80'));
  const auto card = extract_texts(page_pdf("q 400 0 0 250 0 0 cm /X1 Do Q" + text, image), "card.pdf");
  EXPECT_NE(piece(card, "card.pdf/pages").unreadable.find("page(s) 1 have pictures whose text cannot be read"), std::string::npos) << wheres(card);
  EXPECT_EQ(piece(card, "card.pdf/pages").pages, (std::vector<PdfPage>{{1, kPdfPageDpi}})) << "the pages OCR reads rendered";
  const auto form = extract_texts(page_pdf("/X1 Do" + text, stream("/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /XObject << /Im1 7 0 R >> >>",
                                                                    "q 400 0 0 250 0 0 cm /Im1 Do Q")),
                                  "form.pdf");
  EXPECT_EQ(piece(form, "form.pdf/pages").unreadable.rfind("image:", 0), 0u) << "a picture drawn by a form: " << wheres(form);
  const auto in_line = extract_texts(page_pdf("q 40 0 0 10 0 0 cm BI /W 40 /H 10 /CS /G /BPC 8 ID " + std::string(400, '\x80') + " EI Q" + text, image),
                                     "inline.pdf");
  EXPECT_EQ(piece(in_line, "inline.pdf/pages").unreadable.rfind("image:", 0), 0u) << "an inline picture: " << wheres(in_line);
  const auto rule = extract_texts(page_pdf("q 400 0 0 1 0 0 cm BI /W 400 /H 1 /CS /G /BPC 8 ID " + std::string(400, '\x80') + " EI Q" + text, image),
                                  "rule.pdf");
  EXPECT_EQ(rule.size(), 1u) << "a rule one pixel high holds no text: " << wheres(rule);
}

TEST(CdrExtract, HtmlCommentsAttributesScriptsAndHiddenTextAreRead) {
  const std::string html =
      "<html><head><meta name=\"description\" content=\"番号 111122223333\"><style>/* 444455556666 */</style>"
      "<script>var n = '777788889999';</script></head><body><!-- 個人番号 123456789018 -->"
      "<p title=\"222233334444\">本文</p><input type=\"hidden\" value=\"555566667777\">"
      "<div style=\"display:none\">888899990000</div><!-- &#57;&#56;&#55;654321098 --></body></html>";
  const auto read = extract_texts(html, "page.html");
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].unreadable, "");
  for (const char* number : {"111122223333", "444455556666", "777788889999", "123456789018", "222233334444", "555566667777", "888899990000", "987654321098"}) {
    EXPECT_NE(read[0].text.find(number), std::string::npos) << number << " in " << read[0].text;
  }
}

// review30 H2: an HTML file whose style shows its digits reversed or adds some is named as not read
// (a piece of its own beside its text); right-to-left text without digits is read as any page.
TEST(CdrExtract, HtmlThatShowsItsDigitsInAnotherOrderCannotBeRead) {
  const auto reversed = extract_texts("<html><body><p>番号 <bdo dir=\"rtl\">810987654321</bdo></p></body></html>", "page.html");
  ASSERT_EQ(reversed.size(), 2u) << wheres(reversed);
  EXPECT_EQ(reversed[0].unreadable, "");
  EXPECT_EQ(reversed[1].where, "page.html");
  EXPECT_TRUE(reversed[1].unreadable.starts_with("unsupported: the HTML's a <bdo dir=rtl>")) << reversed[1].unreadable;
  const auto arabic = extract_texts("<html><body dir=\"rtl\"><p>مرحبا</p></body></html>", "page.html");
  EXPECT_EQ(arabic.size(), 1u) << wheres(arabic);
}

// review30 C1: the cells of a sheet's row, its shared strings and a cell's shared-string index are
// not one run of digits; a number split across a paragraph's runs still is one.
TEST(CdrExtract, SheetCellsAndSharedStringsAreReadEachOnItsOwnAndRunsJoined) {
  const std::string ns = "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"";
  const std::string xlsx = make_zip({{"[Content_Types].xml", "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>"},
                                     {"xl/workbook.xml", "<workbook " + ns + "/>"},
                                     {"xl/sharedStrings.xml", "<sst " + ns + "><si><t>1234</t></si><si><t>山田</t></si><si><r><t>5678</t></r><r><t>9018</t></r></si></sst>"},
                                     {"xl/worksheets/sheet1.xml", "<worksheet " + ns + "><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>7</v></c>"
                                                                  "<c r=\"B1\"><v>" + kNumber + "</v></c><c r=\"C1\"><v>3</v></c></row></sheetData></worksheet>"}});
  const std::string text = piece(extract_texts(xlsx, "a.xlsx"), "a.xlsx").text;
  EXPECT_NE(text.find("\n" + kNumber + "\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("7" + kNumber), std::string::npos) << text;
  EXPECT_EQ(text.find(kNumber + "3"), std::string::npos) << text;
  EXPECT_EQ(text.find("1234山田"), std::string::npos) << text;
  EXPECT_NE(text.find("56789018"), std::string::npos) << "a shared string's runs are one: " << text;
}

// Issue #17 (8): a part is passed over as a font only when its bytes are one (an sfnt whose tables
// hold every byte, a Word font deobfuscated with a key of the package) — never for its name. A list
// named like a font, a font with a list after its tables, an .odttf no key of the package opens are
// read or named; a plain TrueType font in an ODF package is passed over.
TEST(CdrExtract, PartsArePassedOverAsFontsByTheirContentNotTheirName) {
  const std::string fonts = "<w:fonts xmlns:w=\"w\"><w:font w:name=\"A\"><w:embedRegular w:fontKey=\"" + kFontKey + "\"/></w:font></w:fonts>";
  const std::string docx = make_zip({{"[Content_Types].xml", kDocxTypes},
                                     {"word/document.xml", kWordBody},
                                     {"word/fontTable.xml", fonts},
                                     {"word/fonts/font1.odttf", "山田," + kNumber + "\r\n"},
                                     {"word/fonts/font2.ttf", sfnt(std::string(64, '\x01')) + "a," + kNumber},
                                     {"word/fonts/font3.odttf", obfuscated(sfnt(std::string(64, '\x01')))},
                                     {"word/fonts/font4.odttf", sfnt(std::string(64, '\x01')).substr(0, 32) + "a," + kNumber}});
  const auto doc = extract_texts(docx, "f.docx");
  EXPECT_NE(piece(doc, "f.docx/word/fonts/font1.odttf").text.find(kNumber), std::string::npos) << wheres(doc);
  const ExtractedText& tail = piece(doc, "f.docx/word/fonts/font2.ttf");
  EXPECT_TRUE(tail.text.find(kNumber) != std::string::npos || !tail.unreadable.empty()) << "bytes after a font's tables: " << wheres(doc);
  const ExtractedText& unkeyed = piece(doc, "f.docx/word/fonts/font4.odttf");
  EXPECT_TRUE(unkeyed.text.find(kNumber) != std::string::npos || !unkeyed.unreadable.empty()) << wheres(doc);
  for (const auto& p : doc) EXPECT_EQ(p.where.find("font3"), std::string::npos) << "a font deobfuscated with the package's key: " << wheres(doc);
  const auto odt = extract_texts(make_zip({{"mimetype", "application/vnd.oasis.opendocument.text"},
                                           {"content.xml", "<office:document-content xmlns:office=\"o\"><p>本文</p></office:document-content>"},
                                           {"Fonts/a.ttf", sfnt(std::string(100, '\x02'))}}),
                                 "f.odt");
  for (const auto& p : odt) {
    EXPECT_EQ(p.where.find("a.ttf"), std::string::npos) << "a font is passed over: " << wheres(odt);
    EXPECT_EQ(p.unreadable, "") << p.where;
  }
  // Issue #17 (8), review 20: a font's name table is text anyone can fill — read as the package's
  // text; a font with a table not known here (a private one) is unreadable, not passed over.
  const auto named = extract_texts(make_zip({{"mimetype", "application/vnd.oasis.opendocument.text"},
                                             {"content.xml", "<office:document-content xmlns:office=\"o\"><p>本文</p></office:document-content>"},
                                             {"Fonts/n.ttf", sfnt_of({{"head", std::string(54, '\x01')}, {"name", name_table(u"山田 123456789018")}})},
                                             {"Fonts/p.ttf", sfnt_of({{"head", std::string(54, '\x01')}, {"zzzz", "a,123456789018"}})}}),
                                   "n.odt");
  EXPECT_NE(piece(named, "n.odt").text.find("山田 " + kNumber), std::string::npos) << piece(named, "n.odt").text;
  EXPECT_EQ(piece(named, "n.odt/Fonts/p.ttf").unreadable, "unsupported: the font has a table that is not read ('zzzz')") << wheres(named);
  for (const auto& p : named) EXPECT_EQ(p.where.find("n.ttf"), std::string::npos) << "a font of known tables is no piece of its own: " << wheres(named);
  // The same in a Word font, obfuscated with the package's key.
  const auto word_font = extract_texts(make_zip({{"[Content_Types].xml", kDocxTypes},
                                                 {"word/document.xml", kWordBody},
                                                 {"word/fontTable.xml", fonts},
                                                 {"word/fonts/font1.odttf", obfuscated(sfnt_of({{"head", std::string(54, '\x01')}, {"name", name_table(u"番号 " + std::u16string(u"123456789018"))}, {"SVG ", "<svg/>"}}))}}),
                                       "w.docx");
  EXPECT_NE(piece(word_font, "w.docx").text.find("番号 " + kNumber), std::string::npos) << piece(word_font, "w.docx").text;
  EXPECT_EQ(piece(word_font, "w.docx/word/fonts/font1.odttf").unreadable.rfind("unsupported:", 0), 0u) << wheres(word_font);

  // Issue #17 (outtext21, 4): the strings of a CFF table (its Name and String INDEXes: FullName,
  // Notice, Copyright) and a format-1 name table's language tags are read; a name table with bytes
  // no record points at, a CFF table that does not parse and pictures of glyphs (sbix, CBDT) make
  // the font unreadable.
  auto be16 = [](std::size_t v) { return std::string{static_cast<char>(v >> 8), static_cast<char>(v & 0xFF)}; };
  auto index = [&](const std::vector<std::string>& entries) {  // a CFF INDEX with 1-byte offsets
    if (entries.empty()) return be16(0);
    std::string offsets(1, '\x01'), data;
    for (const auto& e : entries) {
      data += e;
      offsets += static_cast<char>(1 + data.size());
    }
    return be16(entries.size()) + "\x01" + offsets + data;
  };
  const std::string cff = std::string("\x01\x00\x04\x04", 4) + index({"Mincho-" + kNumber}) + index({"\x8b"}) +
                          index({"Copyright 極秘", "番号 987654321098"}) + index({});
  std::string tag_utf16;
  for (char c : std::string("ja-" + kNumber)) tag_utf16 += std::string(1, '\0') + c;
  const std::string name_v1 = be16(1) + be16(0) + be16(12) + be16(1) + be16(tag_utf16.size()) + be16(0) + tag_utf16;
  const std::string name_gap = be16(0) + be16(0) + be16(6) + "a,111122223333";
  const auto fonts_read = extract_texts(make_zip({{"mimetype", "application/vnd.oasis.opendocument.text"},
                                                  {"content.xml", "<office:document-content xmlns:office=\"o\"><p>本文</p></office:document-content>"},
                                                  {"Fonts/c.otf", sfnt_of({{"head", std::string(54, '\x01')}, {"CFF ", cff}})},
                                                  {"Fonts/v1.ttf", sfnt_of({{"head", std::string(54, '\x01')}, {"name", name_v1}})},
                                                  {"Fonts/gap.ttf", sfnt_of({{"head", std::string(54, '\x01')}, {"name", name_gap}})},
                                                  {"Fonts/bad.otf", sfnt_of({{"head", std::string(54, '\x01')}, {"CFF ", cff.substr(0, 12)}})},
                                                  {"Fonts/s.ttf", sfnt_of({{"head", std::string(54, '\x01')}, {"sbix", std::string(40, '\x01')}})},
                                                  {"Fonts/e.ttf", sfnt_of({{"head", std::string(54, '\x01')}, {"CBDT", std::string(40, '\x01')}})}}),
                                        "fonts.odt");
  const std::string& package_text = piece(fonts_read, "fonts.odt").text;
  EXPECT_NE(package_text.find("Mincho-" + kNumber), std::string::npos) << package_text;
  EXPECT_NE(package_text.find("Copyright 極秘"), std::string::npos) << package_text;
  EXPECT_NE(package_text.find("番号 987654321098"), std::string::npos) << package_text;
  EXPECT_NE(package_text.find("ja-" + kNumber), std::string::npos) << package_text;
  for (const auto& p : fonts_read) {
    EXPECT_TRUE(p.where.find("c.otf") == std::string::npos && p.where.find("v1.ttf") == std::string::npos) << "read whole: " << wheres(fonts_read);
  }
  EXPECT_EQ(piece(fonts_read, "fonts.odt/Fonts/gap.ttf").unreadable, "unsupported: the font has a table that is not read ('name')") << wheres(fonts_read);
  EXPECT_EQ(piece(fonts_read, "fonts.odt/Fonts/bad.otf").unreadable, "malformed: the font's CFF table cannot be read ('CFF ')") << wheres(fonts_read);
  EXPECT_EQ(piece(fonts_read, "fonts.odt/Fonts/s.ttf").unreadable.rfind("image:", 0), 0u) << wheres(fonts_read);
  EXPECT_EQ(piece(fonts_read, "fonts.odt/Fonts/e.ttf").unreadable.rfind("image:", 0), 0u) << wheres(fonts_read);

  // Review21b (16): a font's signature (DSIG: PKCS #7, read as a certificate is — a serial number
  // in decimal), a PCLT table's typeface and file names are read; a DSIG that does not parse, a PCLT
  // of another size, grey-scale glyph bitmaps (EBLC strikes of more than one bit) and padding that
  // is not zeros make the font unreadable.
  const std::string der = std::string("\x30\x0E\x02\x05\x1C\xBE\x99\x1A\x1A\x0C\x05", 11) + "Yamad";
  const std::string block = be16(0) + be16(0) + be16(0) + be16(der.size()) + der;
  const std::string dsig = be16(0) + be16(1) + be16(1) + be16(0) + be16(0) + be16(1) + be16(0) + be16(block.size()) + be16(0) + be16(20) + block;
  std::string broken_dsig = dsig;
  broken_dsig[20 + 8 + 1] = '\x7F';  // the SEQUENCE claims more than the signature holds
  std::string pclt(54, '\0');
  pclt.replace(20, 16, "123456789018    ");
  std::string eblc = be16(2) + be16(0) + be16(0) + be16(1) + std::string(48, '\0');
  eblc[8 + 46] = 8;
  std::string eblc_mono = eblc;
  eblc_mono[8 + 46] = 1;
  const std::string name_padded = be16(0) + be16(1) + be16(18) + be16(3) + be16(1) + be16(0x411) + be16(1) + be16(4) + be16(0) + std::string("\0A\0B\0\0", 6);
  std::string name_filled = name_padded;
  name_filled.replace(name_filled.size() - 2, 2, "12");
  const auto signed_fonts = extract_texts(make_zip({{"mimetype", "application/vnd.oasis.opendocument.text"},
                                                    {"content.xml", "<office:document-content xmlns:office=\"o\"><p>本文</p></office:document-content>"},
                                                    {"Fonts/d.ttf", sfnt_of({{"head", std::string(54, '\x01')}, {"DSIG", dsig}})},
                                                    {"Fonts/d0.ttf", sfnt_of({{"head", std::string(54, '\x01')}, {"DSIG", be16(0) + be16(1) + be16(0) + be16(0)}})},
                                                    {"Fonts/dbad.ttf", sfnt_of({{"head", std::string(54, '\x01')}, {"DSIG", broken_dsig}})},
                                                    {"Fonts/p.ttf", sfnt_of({{"head", std::string(54, '\x01')}, {"PCLT", pclt}})},
                                                    {"Fonts/pbad.ttf", sfnt_of({{"head", std::string(54, '\x01')}, {"PCLT", pclt + "987654321098"}})},
                                                    {"Fonts/grey.ttf", sfnt_of({{"head", std::string(54, '\x01')}, {"EBLC", eblc}})},
                                                    {"Fonts/mono.ttf", sfnt_of({{"head", std::string(54, '\x01')}, {"EBLC", eblc_mono}})},
                                                    {"Fonts/pad.ttf", sfnt_of({{"head", std::string(54, '\x01')}, {"name", name_padded}})},
                                                    {"Fonts/fill.ttf", sfnt_of({{"head", std::string(54, '\x01')}, {"name", name_filled}})}}),
                                          "signed.odt");
  const std::string& signed_text = piece(signed_fonts, "signed.odt").text;
  EXPECT_NE(signed_text.find(kNumber + "\n"), std::string::npos) << "the serial in decimal: " << signed_text;
  EXPECT_NE(signed_text.find("Yamad"), std::string::npos) << signed_text;
  EXPECT_NE(signed_text.find("123456789018    "), std::string::npos) << "the PCLT typeface: " << signed_text;
  for (const auto& p : signed_fonts) {
    for (const char* whole : {"/d.ttf", "/d0.ttf", "/p.ttf", "/mono.ttf", "/pad.ttf"}) EXPECT_EQ(p.where.find(whole), std::string::npos) << "read whole: " << wheres(signed_fonts);
  }
  EXPECT_EQ(piece(signed_fonts, "signed.odt/Fonts/dbad.ttf").unreadable, "malformed: the font's signature table cannot be read ('DSIG')") << wheres(signed_fonts);
  EXPECT_EQ(piece(signed_fonts, "signed.odt/Fonts/pbad.ttf").unreadable.rfind("malformed:", 0), 0u) << wheres(signed_fonts);
  EXPECT_EQ(piece(signed_fonts, "signed.odt/Fonts/grey.ttf").unreadable.rfind("image:", 0), 0u) << wheres(signed_fonts);
  EXPECT_EQ(piece(signed_fonts, "signed.odt/Fonts/fill.ttf").unreadable, "unsupported: the font has a table that is not read ('name')") << wheres(signed_fonts);

  // A compound file's streams known by name only (a table stream Word does not use, an object's
  // class stream) give their strings: a number put there is found.
  const auto [word, table] = fixtures::word_streams("本文\r");
  const auto legacy = extract_texts(compound_file({{"WordDocument", word}, {"1Table", table}, {"0Table", "a," + kNumber}, {"\x01" "CompObj", utf16le(u"番号 987654321098")}}),
                                    "t.doc");
  EXPECT_NE(piece(legacy, "t.doc").text.find(kNumber), std::string::npos) << piece(legacy, "t.doc").text;
  EXPECT_NE(piece(legacy, "t.doc").text.find("987654321098"), std::string::npos) << piece(legacy, "t.doc").text;
}

// Issue #17 (4): a PDF's XFA form is read by the XML reader every Office part goes through:
// references decoded, comments, processing instructions and attributes read, across the packets of
// an array that are one document together.
TEST(CdrExtract, PdfXfaIsReadAsXml) {
  auto stream = [](const std::string& content) { return "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream"; };
  const std::string pdf = testing::pdf_of(
      {"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /XFA [(preamble) 4 0 R (datasets) 5 0 R (postamble) 6 0 R] >> >>",
       "<< /Type /Pages /Kids [3 0 R] /Count 1 >>", "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
       stream("<xdp:xdp xmlns:xdp=\"http://ns.adobe.com/xdp/\">"),
       stream("<xfa:datasets xmlns:xfa=\"x\"><xfa:data><n>&#49;23456789018</n><m v=\"111122223333\"/><!-- 444455556666 --><?memo 777788889999?>"
              "</xfa:data></xfa:datasets>"),
       stream("</xdp:xdp>")});
  const auto read = extract_texts(pdf, "x.pdf");
  ASSERT_FALSE(read.empty());
  for (const char* number : {"123456789018", "111122223333", "444455556666", "777788889999"}) {
    EXPECT_NE(read[0].text.find(number), std::string::npos) << number << " in " << read[0].text;
  }
  // Packets that are no XML together: their source, references decoded.
  const std::string broken = testing::pdf_of(
      {"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /XFA 4 0 R >> >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
       "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>", stream("<xdp><n>&#57;87654321098</n>")});
  const auto source = extract_texts(broken, "b.pdf");
  ASSERT_FALSE(source.empty());
  EXPECT_NE(source[0].text.find("987654321098"), std::string::npos) << source[0].text;
}

std::string deflated(const std::string& data) {
  uLongf size = compressBound(static_cast<uLong>(data.size()));
  std::string out(size, '\0');
  EXPECT_EQ(compress2(reinterpret_cast<Bytef*>(out.data()), &size, reinterpret_cast<const Bytef*>(data.data()), static_cast<uLong>(data.size()), 9), Z_OK);
  out.resize(size);
  return out;
}

// Issue #17 (3): a PDF's streams are charged to the budget as they are decoded — a page's content
// that inflates past it makes the PDF unreadable ("limit") — and a form drawn on every page is read
// once: three hundred pages drawing one form of 1 MiB stay well inside the budget.
TEST(CdrExtract, PdfStreamsAreChargedAsDecodedAndFormsReadOnce) {
  auto flate = [](const std::string& dict, const std::string& data) {
    const std::string z = deflated(data);
    return "<< " + dict + " /Filter /FlateDecode /Length " + std::to_string(z.size()) + " >>\nstream\n" + z + "\nendstream";
  };
  const std::string bomb = testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
                                            flate("", std::string(std::size_t{300} << 20, ' '))});
  const auto burst = extract_texts(bomb, "bomb.pdf");
  ASSERT_EQ(burst.size(), 1u) << wheres(burst);
  EXPECT_EQ(burst[0].unreadable.rfind("limit:", 0), 0u) << burst[0].unreadable;
  constexpr int kPages = 300;
  std::string kids;
  for (int i = 0; i < kPages; ++i) kids += std::to_string(6 + i) + " 0 R ";
  std::vector<std::string> objects = {"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(kPages) + " >>",
                                      flate("/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << >>", std::string(std::size_t{1} << 20, ' ') + "BT (x) Tj ET"),
                                      "<< /Length 8 >>\nstream\n/Fm1 Do \nendstream", "<< /XObject << /Fm1 3 0 R >> >>"};
  for (int i = 0; i < kPages; ++i) objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources 5 0 R /Contents 4 0 R >>");
  const auto shared = extract_texts(testing::pdf_of(objects), "shared.pdf");
  ASSERT_EQ(shared.size(), 1u) << wheres(shared);
  EXPECT_EQ(shared[0].unreadable, "");
}

// Issue #17 (6): an Outlook item's multi-valued string properties are read value by value, and its
// other binary properties as the files they are or for the strings in them; an entry id of binary
// bytes makes no unreadable piece.
TEST(CdrExtract, MsgMultiValuedAndBinaryPropertiesAreRead) {
  fixtures::Bytes lengths;
  lengths.u32(22);
  const std::string entry_id("\x00\x00\x00\x00\xdc\xa7\x40\xc8\xc0\x42\x10\x1a\xb4\xb9\x08\x00\x2b\x2f\xe1\x82\x01\x00\x00\x00", 24);
  const auto msg = extract_texts(compound_file({{"__substg1.0_0037001F", utf16le(u"件名")},
                                                {"__substg1.0_3A0C101F", lengths.s},
                                                {"__substg1.0_3A0C101F-00000000", utf16le(u"番号 111122223333")},
                                                {"__substg1.0_8005101E-00000001", "222233334444"},
                                                {"__substg1.0_80010102", std::string("\x01\x02\x00\x00", 4) + "a,333344445555" + std::string("\x00\xff", 2)},
                                                {"__substg1.0_80021102-00000000", make_zip({{"list.csv", "a,444455556666"}})},
                                                {"__substg1.0_0FFF0102", entry_id}}),
                                 "mv.msg");
  const std::string text = all_text(msg);
  for (const char* number : {"111122223333", "222233334444", "333344445555", "444455556666"}) {
    EXPECT_NE(text.find(number), std::string::npos) << number << " in " << wheres(msg) << "\n" << text;
  }
  for (const auto& p : msg) EXPECT_EQ(p.unreadable, "") << p.where;
}

// Issue #17 (7): an HTML file its reader cuts short (nesting past libxml2's depth) is named
// unreadable, not passed as read from the part it followed; the text read is kept beside the reason.
TEST(CdrExtract, HtmlTheReaderCutsShortIsUnreadable) {
  std::string deep = "<html><body>";
  for (int i = 0; i < 1000; ++i) deep += "<div>";
  deep += "1234<b></b>56789018";
  for (int i = 0; i < 1000; ++i) deep += "</div>";
  deep += "</body></html>";
  const auto read = extract_texts(deep, "deep.html");
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].unreadable.rfind("limit:", 0), 0u) << read[0].unreadable;
  // The same text nested as ordinary pages nest it is read.
  const auto plain = extract_texts("<html><body><div><div>1234<b></b>56789018</div></div></body></html>", "plain.html");
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].unreadable, "");
  EXPECT_NE(plain[0].text.find(kNumber), std::string::npos) << plain[0].text;
}

std::string base64_of(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 2]);
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += n > 1 ? kAlphabet[(v >> 6) & 63] : '=';
    out += n > 2 ? kAlphabet[v & 63] : '=';
  }
  return out;
}

// Issue #17 (6): a data: URI in HTML is a file inside it — a picture goes to OCR, text is read —
// under "page.html/data-uri-N"; one that cannot be decoded is unreadable, never passed over.
TEST(CdrExtract, DataUrisInHtmlAreReadAsTheFilesTheyHold) {
  ASSERT_EQ(base64_of("山田,123456789018"), "5bGx55SwLDEyMzQ1Njc4OTAxOA==");
  const std::string png = fixtures::rgb_png(4, 4, 200, 200, 200);
  const std::string csv = "山田," + kNumber + "\r\n";
  const std::string b64 = base64_of(csv);
  const std::string html = "<html><body><p>metadata: a, b. Data: c, d</p><img src=\"data:image/png;base64," + base64_of(png) +
                           "\"><a href='data:text/plain;charset=utf-8,%E5%B1%B1%E7%94%B0%2C" + kNumber + "'>x</a>"
                           "<a href=\"data:text/csv;base64," + b64.substr(0, 8) + "\n  " + b64.substr(8) + "\">split</a>"
                           "<div style=\"background:url(&#100;ata:text/plain,%E7%95%AA%E5%8F%B7" + kNumber + ")\"></div>"
                           "<a href=\"data:text/plain ; BASE64 ," + base64_of(kNumber).substr(0, 4) + "%" + "4E" + base64_of(kNumber).substr(5) + "\">spaced</a></body></html>";
  const auto read = extract_texts(html, "page.html");
  ASSERT_EQ(read.size(), 6u) << wheres(read);
  EXPECT_EQ(piece(read, "page.html").unreadable, "");
  const auto& picture = piece(read, "page.html/data-uri-1");
  EXPECT_EQ(picture.picture, png) << "a picture is handed on for OCR";
  EXPECT_EQ(picture.unreadable.rfind("image:", 0), 0u) << picture.unreadable;
  EXPECT_NE(piece(read, "page.html/data-uri-2").text.find("山田," + kNumber), std::string::npos) << piece(read, "page.html/data-uri-2").text;
  EXPECT_NE(piece(read, "page.html/data-uri-3").text.find(kNumber), std::string::npos) << "base64 split over lines, as a browser reads it";
  EXPECT_NE(piece(read, "page.html/data-uri-4").text.find("番号" + kNumber), std::string::npos) << "written with a character reference";
  EXPECT_NE(piece(read, "page.html/data-uri-5").text.find(kNumber), std::string::npos) << "spaces in the type, a base64 letter percent-encoded";
}

TEST(CdrExtract, DataUrisThatCannotBeDecodedOrTooManyAreUnreadable) {
  const auto bad = extract_texts("<html><body><img src=\"data:image/png;base64,iVBO@@==\"><a href=\"data:text/plain,%ZZ12\">x</a>"
                                 "<a href=\"data:text/plain;base64,QUJD=QUJD\">y</a></body></html>",
                                 "bad.html");
  ASSERT_EQ(bad.size(), 4u) << wheres(bad);
  for (const char* where : {"bad.html/data-uri-1", "bad.html/data-uri-2", "bad.html/data-uri-3"}) {
    EXPECT_EQ(piece(bad, where).unreadable.rfind("malformed:", 0), 0u) << where << ": " << piece(bad, where).unreadable;
  }
  std::string many = "<html>";
  for (int i = 0; i < 205; ++i) many += "<img src=\"data:text/plain,x\">";
  const auto flood = extract_texts(many, "many.html");
  EXPECT_EQ(piece(flood, "many.html/data-uri-201").unreadable.rfind("limit:", 0), 0u) << wheres(flood);
  EXPECT_EQ(flood.size(), 202u);
  // A page with no data: URI is one piece, as before.
  EXPECT_EQ(extract_texts("<html><body><p>data: none here, metadata:x,y</p></body></html>", "plain.html").size(), 1u);
}

// Issue #17 (outtext21, 1): attribute values are read as a browser reads them. A URI after white
// space in its quotes, split over lines, written with a character reference inside "data:" (the URL
// parser drops tabs and line breaks) or holding `&quot;` (no end of the value) is read whole.
// review21b 1: a file named .html is HTML to a browser without <html> or <body>: a fragment is read
// as HTML (references decoded, tags between digits passed over, data: URIs read).
// review21b 7: ESC $ B before ASCII digits makes the detector read the file as ISO-2022-JP, where the
// digits become kanji; Notepad and Excel show the digits. Both readings are checked; real
// ISO-2022-JP text still reads as Japanese.
TEST(CdrExtract, DigitsAfterAnIso2022JpEscapeAreReadAsAnEditorShowsThem) {
  for (const std::string name : {"list.txt", "list.csv"}) {
    EXPECT_NE(extract_text("list \x1b$B" + kNumber + "\x1b(B\n", name).find(kNumber), std::string::npos) << name;
  }
  EXPECT_NE(extract_text("\x1b$B;TLr=j\x1b(B 1234\n", "memo.txt").find("市役所"), std::string::npos) << "市役所 in ISO-2022-JP";
}

TEST(CdrExtract, AnHtmlFragmentIsReadAsHtmlByItsName) {
  const std::string referenced = "<p>&#49;&#50;&#51;&#52;&#53;&#54;&#55;&#56;&#57;&#48;&#49;&#56;</p>";
  EXPECT_NE(extract_text(referenced, "a.html").find(kNumber), std::string::npos);
  EXPECT_NE(extract_text("<p>1234<b></b>56789018</p>", "b.htm").find(kNumber), std::string::npos);
  const auto linked = extract_texts("<p><a href=\"data:text/plain;base64," + base64_of(kNumber) + "\">x</a></p>", "c.html");
  EXPECT_NE(piece(linked, "c.html/data-uri-1").text.find(kNumber), std::string::npos) << wheres(linked);
}

TEST(CdrExtract, DataUrisAreFoundInAttributeValuesAsABrowserDecodesThem) {
  const std::string b64 = base64_of("番号 " + kNumber);
  std::string percent;
  for (char c : kNumber) percent += "%3" + std::string(1, c);
  const std::string html = "<html><body><a href=\"\n  data:text/plain;base64," + b64.substr(0, 4) + "\n  " + b64.substr(4) + "\">a</a>" +
                           "<a href=\"da&#10;ta:text/plain,A" + percent + "\">b</a>" + "<a href='D&#x09;A&#13;TA:text/plain,B" + percent + "'>c</a>" +
                           "<a href=\"data:text/plain,&quot;" + percent + "\">d</a></body></html>";
  const auto read = extract_texts(html, "page.html");
  // 1 + 4, and the source's reading of the last, cut at its decoded quote: one URI more, read too.
  ASSERT_EQ(read.size(), 6u) << wheres(read);
  EXPECT_NE(piece(read, "page.html/data-uri-1").text.find("番号 " + kNumber), std::string::npos) << "white space before it, base64 over lines";
  EXPECT_NE(piece(read, "page.html/data-uri-2").text.find("A" + kNumber), std::string::npos) << "a line break inside the scheme";
  EXPECT_NE(piece(read, "page.html/data-uri-3").text.find("B" + kNumber), std::string::npos) << "a tab and a carriage return inside the scheme";
  EXPECT_NE(piece(read, "page.html/data-uri-4").text.find("\"" + kNumber), std::string::npos) << "&quot; inside the value";
  for (const auto& p : read) EXPECT_EQ(p.unreadable, "") << p.where;
  // References libxml2 does not decode (HTML5's &Tab; &colon; &comma;, a number without its ';')
  // are decoded as a browser decodes them.
  const auto html5 = extract_texts("<html><body><a href=\"da&Tab;ta&colon;text/plain&comma;E" + percent + "\">e</a><a href=\"da&#10ta:text/plain,F" + percent +
                                       "\">f</a></body></html>",
                                   "html5.html");
  for (const std::string& needle : {"E" + kNumber, "F" + kNumber}) {
    EXPECT_TRUE(std::any_of(html5.begin(), html5.end(), [&](const ExtractedText& p) { return p.text.find(needle) != std::string::npos; }))
        << needle << ": " << wheres(html5);
  }
  // The same URIs in a <style> and a comment, where no attribute holds them: found in the source.
  const auto outside = extract_texts("<html><head><style>p{background:url( data:text/plain,C" + percent +
                                         ")}</style></head><body><!-- <img src=\"da&#10;ta:text/plain,D" + percent + "\"> --></body></html>",
                                     "style.html");
  ASSERT_EQ(outside.size(), 3u) << wheres(outside);
  EXPECT_NE(piece(outside, "style.html/data-uri-1").text.find("C" + kNumber), std::string::npos);
  EXPECT_NE(piece(outside, "style.html/data-uri-2").text.find("D" + kNumber), std::string::npos);
}

// Issue #17 (outtext21, 2): the search for URIs looks at each character a bounded number of times
// however many "data:" without a comma the page holds (it was quadratic: a megabyte of them kept
// the sandbox busy until its timeout). Work is counted, not timed.
TEST(CdrExtract, DataUriSearchIsLinearInThePage) {
  for (const std::string unit : {"data:", "\"data:", "=data:", "(data:", "'d\na\nt\na:", " data:x"}) {
    std::string page;
    while (page.size() < (std::size_t{1} << 20)) page += unit;
    const internal::DataUris found = internal::find_data_uris(page, 200);
    EXPECT_TRUE(found.uris.empty()) << unit;
    EXPECT_LE(found.steps, 10 * page.size()) << unit;
  }
  // A page of URIs whose comma comes only at the end: the one URI a browser sees, found once.
  std::string page = "<p title=\"";
  while (page.size() < (std::size_t{1} << 20)) page += "data:";
  page += ",x\">";
  const internal::DataUris found = internal::find_data_uris(page, 200);
  EXPECT_EQ(found.uris.size(), 1u);
  EXPECT_LE(found.steps, 10 * page.size());
}

// Issue #17 (review21b 12): what an Excel workbook holds outside its cells is read too — a BIFF5
// comment (NOTE), a defined name and its formula's constants, a formula's string and number
// constants, another workbook's cached values (CRN), a number format's literal text, a data
// validation's prompt — and a BIFF5 workbook in a Chinese code page is read in it.
TEST(CdrExtract, ExcelCommentsNamesFormulaConstantsAndCachedLinksAreRead) {
  const std::string kojin = "\x8C\xC2\x90\x6C\x94\xD4\x8D\x86\x20";  // 個人番号  in cp932
  std::string number(8, '\0');
  const double value = 123456789018.0;
  std::memcpy(number.data(), &value, 8);
  auto book95 = [&](const fixtures::Bytes& records) {
    fixtures::Bytes book;
    book.u16(0x0809).u16(8).u16(0x0500).u16(0x0005).u32(0);
    book.u16(0x0042).u16(2).u16(932);
    book.raw(records.s);
    book.u16(0x000A).u16(0);
    return extract_texts(compound_file({{"Book", book.s}}), "old.xls");
  };
  fixtures::Bytes note;
  note.u16(0x001C).u16(6 + 9 + 12).u16(0).u16(0).u16(9 + 12).raw(kojin).raw(kNumber);
  const auto comment = book95(note);
  ASSERT_EQ(comment.size(), 1u) << wheres(comment);
  EXPECT_NE(comment[0].text.find("個人番号 " + kNumber), std::string::npos) << comment[0].text;
  fixtures::Bytes name;  // grbit, chKey, cch 4, cce 9, ixals, itab, four text lengths, "Nmbr", ptgNum
  name.u16(0x0018).u16(14 + 4 + 9).u16(0).raw(std::string(1, '\0')).raw(std::string(1, '\x04')).u16(9).u16(0).u16(0).u32(0).raw("Nmbr").raw("\x1F").raw(number);
  const auto named = book95(name);
  EXPECT_NE(named[0].text.find("Nmbr"), std::string::npos) << named[0].text;
  EXPECT_NE(named[0].text.find(kNumber), std::string::npos) << named[0].text;
  fixtures::Bytes formula95;  // ="個人番号 123456789018" as a BIFF5 ptgStr
  formula95.u16(0x0006).u16(22 + 2 + 21).u16(0).u16(0).u16(0).raw(std::string(8, '\0')).u16(0).u32(0).u16(2 + 21).raw("\x17").raw(std::string(1, '\x15')).raw(kojin).raw(kNumber);
  const auto constant95 = book95(formula95);
  EXPECT_NE(constant95[0].text.find("個人番号 " + kNumber), std::string::npos) << constant95[0].text;
  fixtures::Bytes gbk;  // 机密 in GBK, in a workbook of code page 936
  gbk.u16(0x0809).u16(8).u16(0x0500).u16(0x0005).u32(0).u16(0x0042).u16(2).u16(936);
  gbk.u16(0x0204).u16(8 + 4).u16(0).u16(0).u16(0).u16(4).raw("\xBB\xFA\xC3\xDC").u16(0x000A).u16(0);
  const auto chinese = extract_texts(compound_file({{"Book", gbk.s}}), "cn.xls");
  EXPECT_NE(chinese[0].text.find("机密"), std::string::npos) << chinese[0].text;

  // BIFF8: a formula's UTF-16 string constant and number constant, a cached external value, a
  // number format's literal text, a validation prompt.
  fixtures::Bytes book;
  book.u16(0x0809).u16(16).u32(0x00100600).u32(0).u32(0).u32(0);
  fixtures::Bytes utf16;
  for (char16_t c : std::u16string(u"番号1234")) utf16.u16(c);
  book.u16(0x0006).u16(22 + 3 + static_cast<unsigned>(utf16.s.size()) + 9).u16(0).u16(0).u16(0).raw(std::string(8, '\0')).u16(0).u32(0)
      .u16(3 + static_cast<unsigned>(utf16.s.size()) + 9).raw("\x17").raw(std::string(1, '\x06')).raw(std::string(1, '\x01')).raw(utf16.s).raw("\x1F").raw(number);
  book.u16(0x005A).u16(4 + 9).raw(std::string(1, '\0')).raw(std::string(1, '\0')).u16(0).raw(std::string(1, '\x01')).raw(number);
  book.u16(0x041E).u16(2 + 3 + 18).u16(164).u16(18).raw(std::string(1, '\0')).raw("\"No.\"000000000000");
  book.u16(0x000A).u16(0);
  const auto biff8 = extract_texts(compound_file({{"Workbook", book.s}}), "new.xls");
  ASSERT_EQ(biff8.size(), 1u) << wheres(biff8);
  EXPECT_NE(biff8[0].text.find("番号1234"), std::string::npos) << biff8[0].text;
  const std::size_t first = biff8[0].text.find(kNumber);
  ASSERT_NE(first, std::string::npos) << biff8[0].text;
  EXPECT_NE(biff8[0].text.find(kNumber, first + 1), std::string::npos) << "the formula's constant and the cached value: " << biff8[0].text;
  EXPECT_NE(biff8[0].text.find("\"No.\"000000000000"), std::string::npos) << biff8[0].text;
}

// Issue #17: an enhanced metafile (a chart or a table pasted into Word, PowerPoint clip art) is read
// as a WMF is — the text it draws (UTF-16, or 8-bit in its font's code page; a baseline's runs
// joined), its description, its bitmaps for OCR — and so are the EMF+ records its comments carry
// (DrawString, font names) and a WMF carried inside it. Text drawn by glyph index cannot be read.
TEST(CdrExtract, EnhancedMetafilesAreReadForTheirTextPicturesAndEmfPlus) {
  namespace emf = testing::emf;
  const std::string kojin = "\x8C\xC2\x90\x6C\x94\xD4\x8D\x86 ";  // 個人番号 in cp932
  const auto chart = extract_texts(emf::file({emf::ext_text_out(10, 20, emf::utf16(u"氏名 山田"), true), emf::font(1, 128, u"ＭＳ ゴシック"),
                                              emf::ext_text_out(10, 40, kojin + "1234", false), emf::ext_text_out(90, 40, emf::utf16(u" 5678 9018"), true)},
                                             std::u16string(u"Microsoft Excel\0グラフ 1\0", 22)),
                                   "chart.emf");
  ASSERT_EQ(chart.size(), 2u) << "the chart and its rendering: " << wheres(chart);
  EXPECT_EQ(chart[0].unreadable, "");
  EXPECT_NE(chart[0].text.find("氏名 山田"), std::string::npos) << chart[0].text;
  EXPECT_NE(chart[0].text.find("個人番号 1234 5678 9018"), std::string::npos) << "one baseline, joined: " << chart[0].text;
  EXPECT_NE(chart[0].text.find("グラフ 1"), std::string::npos) << "the description: " << chart[0].text;
  EXPECT_NE(chart[0].text.find("ＭＳ ゴシック"), std::string::npos) << chart[0].text;
  const auto plus = extract_texts(emf::file({emf::emf_plus({emf::draw_string(u"番号 123456789018"),
                                                            emf::plus_record(0x4008, 0x0600, emf::u32(0) + std::string(16, '\0') + emf::u32(4) + emf::utf16(u"Meir"))})}),
                                  "plus.emf");
  ASSERT_EQ(plus.size(), 2u) << "the file and its rendering: " << wheres(plus);
  EXPECT_NE(plus[0].text.find("番号 " + kNumber), std::string::npos) << plus[0].text;
  EXPECT_NE(plus[0].text.find("Meir"), std::string::npos) << plus[0].text;
  const auto pictures = extract_texts(emf::file({emf::stretch_dibits(testing::wmf::white_dib(40, 20))}), "pic.emf");
  EXPECT_EQ(piece(pictures, "pic.emf/picture-1.png").picture.rfind("\x89PNG", 0), 0u) << wheres(pictures);
  // A WMF carrying an EMF in its comments: the EMF is read now.
  const std::string inner = emf::file({emf::ext_text_out(0, 0, emf::utf16(u"1234 5678 9018"), true)});
  const auto in_wmf = extract_texts(testing::wmf::file({testing::wmf::emf_comment(inner)}), "icon.wmf");
  EXPECT_NE(piece(in_wmf, "icon.wmf/embedded.emf").text.find("1234 5678 9018"), std::string::npos) << wheres(in_wmf);
  const auto private_comment = extract_texts(emf::file({emf::comment("MSOFFICE " + kNumber)}), "p.emf");
  EXPECT_NE(private_comment[0].text.find(kNumber), std::string::npos) << private_comment[0].text;
}

TEST(CdrExtract, EnhancedMetafilesHoldNothingUnread) {
  namespace emf = testing::emf;
  const auto glyphs = extract_texts(emf::file({emf::ext_text_out(0, 0, emf::utf16(u"\x14\x15\x16"), true, 0x0010)}), "g.emf");
  EXPECT_EQ(piece(glyphs, "g.emf/record 2").unreadable.rfind("unsupported:", 0), 0u) << wheres(glyphs);
  const auto unknown = extract_texts(emf::file({emf::record(200, kNumber), emf::record(69, kNumber)}), "u.emf");
  EXPECT_EQ(piece(unknown, "u.emf/record 2").unreadable.rfind("unsupported:", 0), 0u) << wheres(unknown);
  EXPECT_EQ(piece(unknown, "u.emf/record 3").unreadable.rfind("unsupported:", 0), 0u) << wheres(unknown);
  const auto large = extract_texts(emf::file({emf::comment("PRIV" + std::string(5000, '\x01'))}), "l.emf");
  EXPECT_EQ(piece(large, "l.emf/record 2").unreadable.rfind("unsupported:", 0), 0u) << wheres(large);
  const auto trailing = extract_texts(emf::file({}) + "x" + kNumber, "t.emf");
  EXPECT_EQ(piece(trailing, "t.emf/trailing-data").unreadable.rfind("unsupported:", 0), 0u) << wheres(trailing);
  const auto no_end = extract_texts(emf::file({emf::ext_text_out(0, 0, kNumber, false)}, u"", false), "n.emf");
  ASSERT_EQ(no_end.size(), 1u);
  EXPECT_EQ(no_end[0].unreadable.rfind("malformed:", 0), 0u) << no_end[0].unreadable;
  std::string past = emf::file({emf::ext_text_out(0, 0, kNumber, false)});
  past[88 + 4] = '\x7F';  // the second record's size
  const auto past_end = extract_texts(past, "p.emf");
  EXPECT_EQ(past_end[0].unreadable.rfind("malformed:", 0), 0u) << wheres(past_end);
  // An EMF+ bitmap of raw pixels, a continued object that never ends.
  const auto raw = extract_texts(emf::file({emf::emf_plus({emf::plus_record(0x4008, 0x0500, emf::u32(0) + emf::u32(1) + emf::u32(2) + emf::u32(2) + emf::u32(8) +
                                                                                         emf::u32(0x0026200A) + emf::u32(0) + std::string(16, '\0'))})}),
                                 "r.emf");
  EXPECT_EQ(piece(raw, "r.emf/record 2/picture").unreadable.rfind("unsupported:", 0), 0u) << wheres(raw);
  const auto open_object = extract_texts(emf::file({emf::emf_plus({emf::plus_record(0x4008, 0x8501, emf::u32(100) + kNumber)})}), "o.emf");
  EXPECT_EQ(piece(open_object, "o.emf/emf+ object 1").unreadable.rfind("malformed:", 0), 0u) << wheres(open_object);
}

// Issue #17: a Windows metafile (an Outlook attachment's icon, Office clip art) is read for the
// text it draws — in the code page of the font it is drawn with, and a baseline's runs joined left
// to right as a viewer shows them — and the names it carries.
TEST(CdrExtract, MetafileTextIsReadInItsFontsCodePageAndAlongItsBaselines) {
  namespace wmf = testing::wmf;
  const std::string kojin = "\x8C\xC2\x90\x6C\x94\xD4\x8D\x86";  // 個人番号 in cp932
  const auto sjis = extract_texts(wmf::file({wmf::font(128, "\x82\x6C\x82\x72 Gothic"), wmf::text_out(10, 10, kojin + " 1234 5678 9018")}), "icon.wmf");
  ASSERT_EQ(sjis.size(), 2u) << "the icon and its rendering: " << wheres(sjis);
  EXPECT_EQ(sjis[0].unreadable, "");
  EXPECT_NE(sjis[0].text.find("個人番号 1234 5678 9018"), std::string::npos) << sjis[0].text;
  EXPECT_NE(sjis[0].text.find("ＭＳ Gothic"), std::string::npos) << sjis[0].text;
  // A digit group a record, drawn out of order on one baseline: one number on the page.
  const auto runs = extract_texts(wmf::file({wmf::ext_text_out(20, 200, "9018"), wmf::ext_text_out(20, 0, "1234", true), wmf::text_out(20, 100, "5678")}), "icon.wmf");
  ASSERT_EQ(runs.size(), 2u) << "the icon and its rendering: " << wheres(runs);
  EXPECT_NE(runs[0].text.find(kNumber), std::string::npos) << runs[0].text;
  // On different baselines they are lines of their own.
  const auto lines = extract_texts(wmf::file({wmf::text_out(20, 0, "1234"), wmf::text_out(40, 0, "5678"), wmf::text_out(60, 0, "9018")}), "icon.wmf");
  EXPECT_EQ(lines[0].text.find(kNumber), std::string::npos) << lines[0].text;
  // A face name and an escape's data (PostScript a printer driver passed through) are text too.
  const auto face = extract_texts(wmf::file({wmf::font(0, kNumber), wmf::escape(0x1017, "%!PS " + kNumber)}), "icon.wmf");
  EXPECT_NE(face[0].text.find(kNumber), std::string::npos);
  EXPECT_NE(face[0].text.find("%!PS " + kNumber), std::string::npos);
}

// Issue #17 (out24): PostScript a printer driver passes through in escapes shows its strings side by
// side — "(1234) show (5678) show" prints 12345678 — as text runs on one baseline are: the shows'
// strings are read joined, across records (a string may go on in the next one), literal, hex and
// ASCII85 alike, in an EMF's EMR_EXTESCAPE and a WMF's META_ESCAPE.
TEST(CdrExtract, MetafilePostScriptShowsAreReadJoined) {
  namespace emf = testing::emf;
  namespace wmf = testing::wmf;
  const auto passthrough = [](const std::string& ps) {  // POSTSCRIPT_PASSTHROUGH: a byte count, then the PostScript
    const std::string data = wmf::u16(static_cast<std::uint32_t>(ps.size())) + ps;
    return emf::record(106, emf::u32(0x1013) + emf::u32(static_cast<std::uint32_t>(data.size())) + data);
  };
  const auto emf_text = [](const std::vector<std::string>& records) { return extract_texts(emf::file(records), "chart.emf")[0].text; };
  EXPECT_NE(emf_text({passthrough("%!PS\n100 700 moveto (1234) show"), passthrough(" 40 0 rmoveto (56"), passthrough("78) show <39303138> show\n")}).find(kNumber),
            std::string::npos);
  EXPECT_NE(emf_text({passthrough("/F1 findfont 12 scalefont setfont (12) show 1 0 (3\\064) ashow [10 10] (56) xshow (7\\\n8) show <~3A<0I~> show")}).find(kNumber),
            std::string::npos);
  // What is not shown is no part of the line: a string defined and never shown, a comment's.
  const std::string apart = emf_text({passthrough("(1234) show /s (0000) def % (9999) show\n(56789018) show")});
  EXPECT_NE(apart.find(kNumber), std::string::npos) << apart;
  EXPECT_EQ(emf_text({passthrough("(1234) show (5678) (9018) pop pop")}).find(kNumber), std::string::npos);
  const auto in_wmf = extract_texts(wmf::file({wmf::escape(0x1013, wmf::u16(17) + "(123456) show (78"), wmf::escape(0x1013, wmf::u16(10) + "9018) show   ")}), "icon.wmf");
  EXPECT_NE(in_wmf[0].text.find(kNumber), std::string::npos) << in_wmf[0].text;
}

// Its bitmaps go to OCR as plain PNGs of their pixels; one too small for a digit is passed; one
// over the pixel limit makes the file unreadable; a kind not decoded here is named unread.
TEST(CdrExtract, MetafileBitmapsAreHandedToOcrAsPictures) {
  namespace wmf = testing::wmf;
  const auto one = extract_texts(wmf::file({wmf::stretch_dib(wmf::white_dib(40, 20)), wmf::stretch_dib(wmf::white_dib(2, 2))}), "icon.wmf");
  ASSERT_EQ(one.size(), 3u) << "the icon, its picture, and the whole of it to render: " << wheres(one);
  EXPECT_TRUE(painted(one, "icon.wmf/drawing")) << "a 2 × 2 bitmap stretched is a rectangle: painted";
  const ExtractedText& picture = piece(one, "icon.wmf/picture-1.png");
  EXPECT_EQ(picture.picture.rfind("\x89PNG", 0), 0u);
  EXPECT_EQ(picture.unreadable.rfind("image:", 0), 0u) << picture.unreadable;
  const std::string huge = wmf::u32(40) + wmf::u32(100000) + wmf::u32(100000) + wmf::u16(1) + wmf::u16(24) + std::string(24, '\0');
  const auto over = extract_texts(wmf::file({wmf::stretch_dib(huge)}), "icon.wmf");
  ASSERT_EQ(over.size(), 1u) << wheres(over);
  EXPECT_EQ(over[0].unreadable.rfind("limit:", 0), 0u) << over[0].unreadable;
  std::string rle = wmf::white_dib(8, 8);
  rle[14] = 8;  // 8 bits a pixel
  rle[16] = 1;  // BI_RLE8
  const auto compressed = extract_texts(wmf::file({wmf::stretch_dib(rle)}), "icon.wmf");
  EXPECT_EQ(piece(compressed, "icon.wmf/record 1/picture").unreadable.rfind("unsupported:", 0), 0u) << wheres(compressed);
  const std::string cut = wmf::u32(40) + wmf::u32(64) + wmf::u32(64) + wmf::u16(1) + wmf::u16(24) + std::string(24, '\0') + "short";
  const auto cut_short = extract_texts(wmf::file({wmf::stretch_dib(cut)}), "icon.wmf");
  EXPECT_EQ(piece(cut_short, "icon.wmf/record 1/picture").unreadable.rfind("malformed:", 0), 0u) << wheres(cut_short);
}

// A metafile that paints anything but text — text converted to curves, a figure of rectangles,
// dots, a bitmap — is handed on whole for OCR of it rendered ("a.emf/drawing": `drawing`, its
// picture the metafile), sized to fill a page whatever size it declares; one that only writes text
// is read from its records alone; one that paints but declares no size stays unread.
TEST(CdrExtract, AMetafileThatPaintsShapesIsRenderedWholeForOcr) {
  namespace wmf = testing::wmf;
  namespace emf = testing::emf;
  const auto outlines = testing::outlines_of("1234 5678 9018");
  ASSERT_GT(outlines.size(), 12u) << "the test could not lay out its glyphs";
  // An EMF 30 × 5 mm: drawn as it declares, its figures would be a few pixels high.
  const auto curves = extract_texts(emf::file({emf::polygons(outlines)}, u"", true, 300, 50), "chart.emf");
  ASSERT_EQ(curves.size(), 2u) << wheres(curves);
  EXPECT_EQ(curves[0].text.find("1234"), std::string::npos) << "no character is drawn: nothing to read but the shapes";
  const ExtractedText& drawn = piece(curves, "chart.emf/drawing");
  EXPECT_TRUE(drawn.drawing);
  EXPECT_EQ(drawn.unreadable.rfind("image:", 0), 0u) << drawn.unreadable;
  ASSERT_GE(drawn.picture.size(), 88u);
  const auto le32 = [](const std::string& b, std::size_t at) {
    return static_cast<std::int32_t>(static_cast<unsigned char>(b[at]) | static_cast<unsigned char>(b[at + 1]) << 8 | static_cast<unsigned char>(b[at + 2]) << 16 |
                                     static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 3])) << 24);
  };
  EXPECT_EQ(le32(drawn.picture, 32), 19000) << "its frame fills the page's width";
  EXPECT_NEAR(le32(drawn.picture, 36), 19000.0 * (50 * 2646 / 100) / (300 * 2646 / 100), 1) << "and keeps its shape";
  // Its reference device's millimetres a pixel scaled as much (both fields may be multiplied
  // alike, to keep the ratio in whole numbers): the same drawing, larger.
  EXPECT_NEAR(static_cast<double>(le32(drawn.picture, 80)) / le32(drawn.picture, 72), 508.0 / 1920 * 19000 / (300 * 2646 / 100), 0.001);
  EXPECT_NEAR(static_cast<double>(le32(drawn.picture, 84)) / le32(drawn.picture, 76), 286.0 / 1080 * 19000 / (300 * 2646 / 100), 0.001);
  const std::string original = emf::file({emf::polygons(outlines)}, u"", true, 300, 50);
  EXPECT_EQ(le32(drawn.picture, 48), static_cast<std::int32_t>(original.size())) << "its length is the one read";
  EXPECT_EQ(le32(drawn.picture, 52), 5) << "its records are the ones read: header, brush, selection, polygons, end";
  EXPECT_TRUE(drawn.picture.substr(88) == original.substr(88)) << "its records are as they were";

  // A WMF of a figure of filled polygons: given a placeable header that fills the page (the
  // drawing's bounding box, 1440 × 240 units, at 1440 × 2540 / 19000 units an inch and more).
  // Its figure as large as its box (the EMF's above, 4.8 times: out25 frames a drawing much
  // smaller than its box by what it paints).
  auto figure_outlines = outlines;
  for (auto& shape : figure_outlines) {
    for (auto& point : shape) point.first = point.first * 48 / 10, point.second = point.second * 48 / 10;
  }
  const auto placeable = extract_texts(wmf::file({wmf::polygons(figure_outlines)}, true, 4, 1440, 240), "fig.wmf");
  const ExtractedText& figure = piece(placeable, "fig.wmf/drawing");
  ASSERT_TRUE(figure.drawing) << wheres(placeable);
  ASSERT_GE(figure.picture.size(), 22u);
  const auto le16 = [](const std::string& b, std::size_t at) { return static_cast<unsigned char>(b[at]) | static_cast<unsigned char>(b[at + 1]) << 8; };
  EXPECT_EQ(le16(figure.picture, 10), 1440);
  // Units an inch: the box fills the page's width — unless that enlarges a pixel of it more than
  // 12 times (out25: its 1440 units an inch are 15 a pixel at 96 dpi; an inch filling 19 cm is
  // 23 page pixels a pixel), so 300 × 15 / 12 (changed by out25, which caps the enlargement).
  EXPECT_EQ(le16(figure.picture, 14), std::max((1440 * 2540 + 18999) / 19000, 300 * 15 / 12)) << "units an inch";
  std::uint32_t checksum = 0;
  for (std::size_t i = 0; i < 20; i += 2) checksum ^= le16(figure.picture, i);
  EXPECT_EQ(le16(figure.picture, 20), checksum) << "a renderer checks the placeable header's checksum";
  // Without a placeable header its first window extent is the drawing's size.
  const std::string window = wmf::record(0x020B, wmf::u16(0) + wmf::u16(0)) + wmf::record(0x020C, wmf::u16(240) + wmf::u16(1440));
  const auto bare = extract_texts(wmf::body({window, wmf::polygons(figure_outlines)}), "bare.wmf");
  const ExtractedText& sized = piece(bare, "bare.wmf/drawing");
  ASSERT_TRUE(sized.drawing) << wheres(bare);
  EXPECT_EQ(le16(sized.picture, 0), 0xCDD7);
  EXPECT_TRUE(sized.picture.substr(22 + 18) == wmf::body({window, wmf::polygons(figure_outlines)}).substr(18)) << "its records are as they were";
  // … and with neither, it cannot be rendered to a known size: unread, held.
  const auto unsized = extract_texts(wmf::body({wmf::polygons(outlines)}), "unsized.wmf");
  EXPECT_EQ(piece(unsized, "unsized.wmf/drawing").unreadable.rfind("unsupported:", 0), 0u) << wheres(unsized);
  EXPECT_FALSE(piece(unsized, "unsized.wmf/drawing").drawing);

  // Rectangles, a pattern fill (PATBLT), an EMF+ path fill: painted too.
  EXPECT_TRUE(painted(extract_texts(wmf::file({wmf::record(0x041B, wmf::u16(10) + wmf::u16(10) + wmf::u16(0) + wmf::u16(0))}), "r.wmf"), "r.wmf/drawing"));
  EXPECT_TRUE(painted(extract_texts(wmf::file({wmf::record(0x061D, wmf::u32(0x00F00021) + wmf::u16(10) + wmf::u16(10) + wmf::u16(0) + wmf::u16(0))}), "p.wmf"),
                      "p.wmf/drawing"));
  // (EMF+ records paint at sizes not followed: in a frame of 300 pixels, as legible as a digit
  // drawn; a larger one is held, AMetafileWhosePaintedExtentIsUnknownIsHeld….)
  EXPECT_TRUE(piece(extract_texts(emf::file({emf::emf_plus({emf::plus_record(0x4014, 0x8000, emf::u32(0) + emf::u32(0))})}, u"", true, 300, 300), "plus.emf"), "plus.emf/drawing").drawing);
  // Text whose characters' advances step back (review22a: "8109" drawn right to left shows 9018)
  // is drawn in another order than its string's: rendered too. Advances forward are plain text.
  const std::string backwards = emf::utf16(u"8109");
  std::string dx;
  for (int i = 0; i < 4; ++i) dx += emf::u32(static_cast<std::uint32_t>(-20));
  const std::string stepped = emf::record(84, std::string(16, '\0') + emf::u32(1) + emf::u32(0) + emf::u32(0) + emf::u32(100) + emf::u32(0) + emf::u32(4) + emf::u32(76) +
                                                  emf::u32(0) + std::string(16, '\0') + emf::u32(76 + 8) + backwards + dx);
  EXPECT_TRUE(piece(extract_texts(emf::file({stepped}), "rtl.emf"), "rtl.emf/drawing").drawing);
  std::string forward = stepped;
  for (std::size_t at = 76 + 8; at < forward.size(); at += 4) forward.replace(at, 4, emf::u32(20));  // the advances after the string
  EXPECT_EQ(piece(extract_texts(emf::file({forward}), "ltr.emf"), "ltr.emf/drawing").unreadable.rfind("image:", 0), 0u) << "rendered as all text now is";
  const std::string wmf_back = wmf::record(0x0A32, wmf::u16(0) + wmf::u16(100) + wmf::u16(4) + wmf::u16(0) + "8109" + wmf::u16(static_cast<std::uint16_t>(-20)) +
                                                       wmf::u16(static_cast<std::uint16_t>(-20)) + wmf::u16(static_cast<std::uint16_t>(-20)) + wmf::u16(static_cast<std::uint16_t>(-20)));
  EXPECT_TRUE(piece(extract_texts(wmf::file({wmf_back}), "rtl.wmf"), "rtl.wmf/drawing").drawing);
  // Controls inside drawn text are drawn as nothing: "1234\0" "5678\x01" "9018" shows one number.
  const auto controls = extract_texts(emf::file({emf::ext_text_out(0, 0, emf::utf16(std::u16string(u"1234") + u'\0' + u"5678" + u'\x01' + u"9018"), true)}), "c.emf");
  EXPECT_NE(controls[0].text.find("123456789018"), std::string::npos) << controls[0].text;
  // Text is rendered too (review23a: advances, origins, transforms and alignment place runs where
  // the records' reading does not look) — unless no size is declared: then its records are read.
  const auto text = extract_texts(wmf::file({window, wmf::font(128, "MS UI Gothic"), wmf::text_out(40, 0, "a.txt")}), "icon.wmf");
  EXPECT_TRUE(piece(text, "icon.wmf/drawing").drawing) << wheres(text);
  EXPECT_TRUE(piece(extract_texts(emf::file({emf::ext_text_out(0, 0, emf::utf16(u"予算"), true)}), "t.emf"), "t.emf/drawing").drawing);
  EXPECT_EQ(extract_texts(wmf::body({wmf::text_out(40, 0, "a.txt")}), "bare.wmf").size(), 1u) << "text alone and no size: read from its records";
  // State alone: nothing drawn, nothing to render.
  EXPECT_EQ(extract_texts(wmf::file({window}), "empty.wmf").size(), 1u);
}

// What a metafile holds besides its records is never passed unread: a record [MS-WMF] does not
// define, bytes after its end record, an enhanced metafile carried in its comments (not read
// here); a file whose records run past its end, or that has no end record, is unreadable whole.
TEST(CdrExtract, MetafilesHoldNothingUnread) {
  namespace wmf = testing::wmf;
  const auto unknown = extract_texts(wmf::file({wmf::text_out(0, 0, "a"), wmf::record(0x0999, kNumber)}), "icon.wmf");
  EXPECT_EQ(piece(unknown, "icon.wmf/record 2").unreadable.rfind("unsupported:", 0), 0u) << wheres(unknown);
  const auto trailing = extract_texts(wmf::file({wmf::text_out(0, 0, "a")}) + kNumber, "icon.wmf");
  EXPECT_EQ(piece(trailing, "icon.wmf/trailing-data").unreadable.rfind("unsupported:", 0), 0u) << wheres(trailing);
  const auto padded = extract_texts(wmf::file({wmf::text_out(0, 0, "a")}) + std::string(6, '\0'), "icon.wmf");
  EXPECT_EQ(padded.size(), 2u) << "zeros after the end are padding (the icon and its rendering): " << wheres(padded);
  const std::string emf_header = wmf::u32(1) + wmf::u32(88) + std::string(32, '\0') + " EMF" + std::string(44, '\0');
  const auto emf = extract_texts(wmf::file({wmf::emf_comment(emf_header.substr(0, 50)), wmf::emf_comment(emf_header.substr(50))}), "icon.wmf");
  EXPECT_EQ(piece(emf, "icon.wmf/embedded.emf").unreadable.rfind("malformed:", 0), 0u) << "an EMF header without records: " << wheres(emf);
  // Its pieces are joined as a viewer joins them: text in one is read as the whole.
  const auto emf_text = extract_texts(wmf::file({wmf::emf_comment("1234 5678"), wmf::emf_comment(" 9018")}), "icon.wmf");
  EXPECT_NE(piece(emf_text, "icon.wmf/embedded.emf").text.find("1234 5678 9018"), std::string::npos) << wheres(emf_text);
  const auto no_end = extract_texts(wmf::file({wmf::text_out(0, 0, kNumber)}, false), "icon.wmf");
  ASSERT_EQ(no_end.size(), 1u);
  EXPECT_EQ(no_end[0].unreadable.rfind("malformed:", 0), 0u) << no_end[0].unreadable;
  std::string past = wmf::file({wmf::text_out(0, 0, kNumber)});
  past[40] = '\x7F';  // the first record's size, in words
  const auto past_end = extract_texts(past, "icon.wmf");
  ASSERT_EQ(past_end.size(), 1u);
  EXPECT_EQ(past_end[0].unreadable.rfind("malformed:", 0), 0u) << past_end[0].unreadable;
  // A record cut shorter than its fields.
  const auto cut = extract_texts(wmf::file({wmf::record(0x0521, wmf::u16(200) + "ab")}), "icon.wmf");
  EXPECT_EQ(cut[0].unreadable.rfind("malformed:", 0), 0u) << wheres(cut);
}

// Issue #17 (review21b 17): CSS is read as a browser's tokenizer reads it — escapes decoded
// (`\64 ata:`, `u\72l(`, `\` before a line break in a string), comments gone — in a <style>, a
// style attribute, quoted and not; and the URIs inside a data: URI (a data:text/css's url(), a page
// in a page) are found in turn, to a bound. Prose with backslashes holds none.
TEST(CdrExtract, DataUrisBehindCssEscapesAndInsideDataUrisAreFound) {
  auto uris = [](const std::string& page) { return internal::find_data_uris(page, 200).uris; };
  using Uris = std::vector<std::string>;
  // Each page holds one URI, "data:text/plain,<its letter>", written as CSS lets it be written.
  const std::pair<char, std::string> kEscaped[] = {
      {'A', "<style>p{background:url(\\64 ata:text/plain,A)}</style>"},
      {'B', "<style>p{background:u\\72l( \"\\000064\\61 ta:text/plain,B\" )}</style>"},
      {'C', "<style>p{background:url('da\\\nta:text/plain,C')}</style>"},
      {'D', "<style>p{background:url(/*x*/da\\t\\61 \\:text/plain,D)}</style>"},
      {'E', "<p style=\"background:url(\\64 ata:text/plain,E)\">x</p>"},
      {'F', "<p style='background:url(&quot;\\64&#x20;ata:text/plain,F&quot;)'>x</p>"},
  };
  for (const auto& [letter, page] : kEscaped) EXPECT_EQ(uris(page), Uris{"data:text/plain," + std::string(1, letter)}) << page;
  // Plain URIs are not counted twice by the CSS reading, even beside an escaped one.
  EXPECT_EQ(uris("<style>a{background:url(data:text/plain,G)} /* c */ b{background:url(data:text/plain,G)}</style>"),
            (Uris{"data:text/plain,G", "data:text/plain,G"}));
  EXPECT_EQ(uris("<p style=\"background:url(data:text/plain,H) /**/\">x</p>"), Uris{"data:text/plain,H"});
  for (const std::string prose : {"<p>C:\\data\\64 files: 2</p>", "<p>see \\64 ata: the report, page 2</p>", "<p>\\\\server\\share\\data: x</p>"}) {
    EXPECT_TRUE(uris(prose).empty()) << prose;
  }

  // Nested: a stylesheet in a data: URI whose url() is another, percent-encoded and base64.
  const std::string inner = "data:text/plain;base64," + base64_of("番号 " + kNumber);
  const Uris nested = uris("<link rel=stylesheet href=\"data:text/css,p%7Bbackground:url(" + inner + ")%7D\">");
  ASSERT_EQ(nested.size(), 2u);
  EXPECT_EQ(nested[1], inner);
  const std::string css = "@import \"data:text/css;base64," + base64_of("p{background:url(\\64 ata:text/plain,I)}") + "\";";
  const Uris imported = uris("<style>" + css + "</style>");
  ASSERT_EQ(imported.size(), 2u);
  EXPECT_EQ(imported[1], "data:text/plain,I");
  const auto read = extract_texts("<link rel=stylesheet href=\"data:text/css;base64," + base64_of("p{background:url(" + inner + ")}") + "\">", "page.html");
  EXPECT_NE(piece(read, "page.html/data-uri-2").text.find(kNumber), std::string::npos) << wheres(read);
  // The nesting is followed so deep, no deeper: a page of eight levels gives five URIs.
  std::string deep = "data:text/plain,end";
  for (int i = 0; i < 7; ++i) deep = "data:text/css;base64," + base64_of("p{background:url(" + deep + ")}");
  EXPECT_EQ(uris("<style>p{background:url(" + deep + ")}</style>").size(), 5u);
}

// review22a: what a viewer shows of a metafile that the first reader missed — a Shift_JIS font's
// full-width digits a group a record (CharSet is the font's byte 13), runs a unit apart on y, a
// mirrored window (right to left), text at the current position (TA_UPDATECP), glyph-index text
// (unread), EMF+ glyphs placed right to left, a pen's texture image, a WMF in an EMF comment at the
// offsets [MS-EMF] gives, a texture brush too short for its transform (malformed, not a throw).
TEST(CdrExtract, MetafileTextIsReadAsAViewerPlacesIt) {
  namespace wmf = testing::wmf;
  namespace emf = testing::emf;
  const auto caught = [](const std::vector<ExtractedText>& pieces) {
    for (const auto& p : pieces) {
      if (!p.unreadable.empty() || !p.picture.empty() || !numbers::find(p.text).empty()) return true;
    }
    return false;
  };
  EXPECT_TRUE(caught(extract_texts(wmf::file({wmf::font(128, "\x82\x6C\x82\x72 Gothic"), wmf::text_out(20, 0, "\x82\x50\x82\x51\x82\x52\x82\x53"),
                                              wmf::text_out(20, 100, "\x82\x54\x82\x55\x82\x56\x82\x57"), wmf::text_out(20, 200, "\x82\x58\x82\x4F\x82\x50\x82\x57")}),
                                   "sjis.wmf")));
  EXPECT_TRUE(caught(extract_texts(wmf::file({wmf::text_out(20, 0, "1234"), wmf::text_out(21, 100, "5678"), wmf::text_out(22, 200, "9018")}), "jitter.wmf")));
  const std::string mirror = wmf::record(0x020C, wmf::u16(1000) + wmf::u16(static_cast<std::uint16_t>(-1000)));
  EXPECT_TRUE(caught(extract_texts(wmf::file({mirror, wmf::text_out(20, 300, "1234"), wmf::text_out(20, 200, "5678"), wmf::text_out(20, 100, "9018")}), "mirror.wmf")));
  const std::string align = wmf::record(0x012E, wmf::u16(1) + wmf::u16(0));
  EXPECT_TRUE(caught(extract_texts(wmf::file({align, wmf::text_out(0, 0, "1234"), wmf::text_out(500, 900, "5678"), wmf::text_out(1000, 50, "9018")}), "cp.wmf")));
  std::string glyphs;
  for (char c : kNumber) glyphs += static_cast<char>(c - '0' + 19);
  const auto indexed = extract_texts(wmf::file({wmf::record(0x0A32, wmf::u16(20) + wmf::u16(0) + wmf::u16(12) + wmf::u16(0x0010) + glyphs)}), "g.wmf");
  EXPECT_EQ(piece(indexed, "g.wmf/record 1").unreadable.rfind("unsupported:", 0), 0u) << wheres(indexed);
  // EMF+ DrawDriverString by character, its glyphs placed right to left.
  const std::u16string backwards = u"810987654321";
  std::string positions;
  for (std::size_t i = 0; i < backwards.size(); ++i) {
    const float x = static_cast<float>(110 - 10 * static_cast<int>(i)), y = 20;
    std::uint32_t bx = 0, by = 0;
    std::memcpy(&bx, &x, 4);
    std::memcpy(&by, &y, 4);
    positions += emf::u32(bx) + emf::u32(by);
  }
  const std::string driver = emf::u32(0) + emf::u32(1) + emf::u32(0) + emf::u32(12) + emf::utf16(backwards) + positions;
  EXPECT_TRUE(caught(extract_texts(emf::file({emf::emf_plus({emf::plus_record(0x4036, 0, driver)})}), "d.emf")));
  // A pen whose brush is a texture: its image is read as a file.
  const std::string png = testing::plain_picture(40, 20);
  const std::string image = emf::u32(0xDBC01002) + emf::u32(1) + emf::u32(40) + emf::u32(20) + emf::u32(0) + emf::u32(0x0026200A) + emf::u32(1) + png;
  const std::string brush = emf::u32(0xDBC01002) + emf::u32(2) + emf::u32(0) + emf::u32(0) + image;
  const std::string pen = emf::u32(0xDBC01002) + emf::u32(0) + emf::u32(0) + emf::u32(0) + emf::u32(0x41200000) + brush;
  const auto penned = extract_texts(emf::file({emf::emf_plus({emf::plus_record(0x4008, 0x0201, pen)})}), "p.emf");
  EXPECT_EQ(piece(penned, "p.emf/image-1").picture.rfind("\x89PNG", 0), 0u) << wheres(penned);
  // [MS-EMF] 2.3.3.4.4: GDIC, 0x80000001, Version (2), Checksum (2), Flags (4), WinMetafileSize (4), WinMetafile.
  const std::string inner = wmf::file({wmf::text_out(0, 0, kNumber)});
  const auto carried = extract_texts(emf::file({emf::comment(emf::u32(0x43494447) + emf::u32(0x80000001) + emf::u16(0x0300) + emf::u16(0) + emf::u32(0) +
                                                             emf::u32(static_cast<std::uint32_t>(inner.size())) + inner)}),
                                     "c.emf");
  EXPECT_NE(piece(carried, "c.emf/embedded-1.wmf").text.find(kNumber), std::string::npos) << wheres(carried);
  // A picture drawn dot by dot (META_SETPIXEL, EMR_SETPIXELV) is painted, not written: the metafile
  // is rendered whole for OCR, whatever the number of dots.
  std::vector<std::string> dots, emf_dots;
  for (int y = 0; y < 17; ++y) {
    dots.push_back(wmf::record(0x041F, wmf::u32(0) + wmf::u16(static_cast<std::uint16_t>(y)) + wmf::u16(3)));
    emf_dots.push_back(emf::record(15, emf::u32(3) + emf::u32(static_cast<std::uint32_t>(y)) + emf::u32(0)));
  }
  EXPECT_TRUE(painted(extract_texts(wmf::file(dots), "dots.wmf"), "dots.wmf/drawing"));
  EXPECT_TRUE(piece(extract_texts(emf::file(emf_dots), "dots.emf"), "dots.emf/drawing").drawing);
  dots.resize(1);
  EXPECT_TRUE(painted(extract_texts(wmf::file(dots), "one.wmf"), "one.wmf/drawing")) << "one dot of a figure is as painted as many";
  const std::string short_brush = emf::u32(0xDBC01002) + emf::u32(2) + emf::u32(0x02) + emf::u32(0) + std::string(8, '\0');
  const auto thrown = extract_texts(emf::file({emf::emf_plus({emf::plus_record(0x4008, 0x0101, short_brush)})}), "b.emf");
  ASSERT_EQ(thrown.size(), 1u);
  EXPECT_EQ(thrown[0].unreadable.rfind("malformed: the EMF's", 0), 0u) << thrown[0].unreadable;
}

// Issue #17 (out25): a drawing whose painted extent cannot be worked out — a flood fill or a
// region (their area is not in the record), EMF+ records (their own transforms) — is rendered by
// its whole declared frame, and a small number in a large frame came out below legibility and
// passed unread. Such a drawing is held, with why, when its frame is too large for a digit a
// viewer shows to be read rendered (over some 750 pixels across); a small one is rendered as before.
// The transforms the readers follow (an EMF's world transform, saved and restored; its window and
// viewport) and bitmaps by where they are stretched to leave the extent known: framed by it.
TEST(CdrExtract, AMetafileWhosePaintedExtentIsUnknownIsHeldWhenItsFrameIsTooLargeToRead) {
  namespace wmf = testing::wmf;
  namespace emf = testing::emf;
  const std::string flood = wmf::record(0x0419, wmf::u32(0) + wmf::u16(5) + wmf::u16(5));
  const std::string square = wmf::record(0x041B, wmf::u16(10) + wmf::u16(10) + wmf::u16(0) + wmf::u16(0));
  const auto held = [](const std::vector<ExtractedText>& pieces, const std::string& where) {
    const ExtractedText& p = piece(pieces, where);
    EXPECT_FALSE(p.drawing) << where;
    EXPECT_EQ(p.unreadable.rfind("unsupported: 描画の描く範囲が分からず", 0), 0u) << where << ": Japanese first: " << p.unreadable;
    EXPECT_EQ(p.unreadable.rfind("unsupported:", 0), 0u) << p.unreadable;
  };
  // 30000 units at 1440 to the inch: some 53 cm, 2000 pixels of a screen.
  held(extract_texts(wmf::file({square, flood}, true, 4, 30000, 30000), "flood.wmf"), "flood.wmf/drawing");
  const std::string region = wmf::record(0x06FF, std::string(22, '\0')) + wmf::record(0x012B, wmf::u16(0));
  held(extract_texts(wmf::file({square, region}, true, 4, 30000, 30000), "region.wmf"), "region.wmf/drawing");
  EXPECT_TRUE(piece(extract_texts(wmf::file({square, flood}), "small.wmf"), "small.wmf/drawing").drawing) << "an inch square: rendered";
  // Without a placeable header, its window: a logical unit a pixel.
  const std::string window = wmf::record(0x020B, wmf::u16(0) + wmf::u16(0)) + wmf::record(0x020C, wmf::u16(3000) + wmf::u16(3000));
  held(extract_texts(wmf::body({window, square, flood}), "bare.wmf"), "bare.wmf/drawing");
  // A window set again, or after something was painted: what maps the records is not followed.
  const std::string half = wmf::record(0x020C, wmf::u16(100) + wmf::u16(100));
  held(extract_texts(wmf::body({window, square, half, square}), "again.wmf"), "again.wmf/drawing");
  held(extract_texts(wmf::file({square, window}, true, 4, 30000, 30000), "late.wmf"), "late.wmf/drawing");
  EXPECT_TRUE(piece(extract_texts(wmf::file({window, square}, true, 4, 30000, 30000), "first.wmf"), "first.wmf/drawing").drawing) << "its window first: followed";
  // EMF+ records paint by transforms of their own: 3000 pixels of a screen held, 300 rendered.
  const std::string plus = emf::emf_plus({emf::plus_record(0x4014, 0x8000, emf::u32(0) + emf::u32(0))});
  held(extract_texts(emf::file({plus}, u"", true, 3000, 3000), "plus.emf"), "plus.emf/drawing");
  EXPECT_TRUE(piece(extract_texts(emf::file({plus}, u"", true, 300, 300), "plus300.emf"), "plus300.emf/drawing").drawing);
  const std::string fill_region = emf::record(71, std::string(16, '\0') + emf::u32(32) + emf::u32(1) + emf::u32(32) + emf::u32(1) + std::string(24, '\0'));
  held(extract_texts(emf::file({fill_region}, u"", true, 3000, 3000), "region.emf"), "region.emf/drawing");

  // Followed: a square of 100 units drawn through a world transform that halves it and moves it
  // (saved and restored around it), and a bitmap stretched to 40 × 40 at (60, 60), in a frame of
  // 3000: framed by what they paint, some 100 pixels, not by 3000.
  const auto f32 = [](float f) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &f, 4);
    return emf::u32(bits);
  };
  const std::string halve = emf::record(33, "") + emf::record(36, f32(0.5F) + f32(0) + f32(0) + f32(0.5F) + f32(10) + f32(10) + emf::u32(2));
  const std::string big_square = emf::record(43, emf::u32(0) + emf::u32(0) + emf::u32(100) + emf::u32(100));
  std::string dib = emf::stretch_dibits(testing::wmf::white_dib(8, 8));
  dib.replace(24, 8, emf::u32(60) + emf::u32(60));  // xDest, yDest
  dib.replace(72, 8, emf::u32(40) + emf::u32(40));  // cxDest, cyDest
  const std::string followed = emf::file({halve, big_square, emf::record(34, emf::u32(static_cast<std::uint32_t>(-1))), dib}, u"", true, 3000, 3000);
  const auto world = extract_texts(followed, "world.emf");
  const ExtractedText& framed = piece(world, "world.emf/drawing");
  ASSERT_TRUE(framed.drawing) << framed.unreadable;
  const auto s32_at = [](const std::string& b, std::size_t at) {
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) | static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 8 |
                                     static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 2])) << 16 | static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 3])) << 24);
  };
  // The copy's frame, scaled to fill the page, over its reference device's millimetres: what it
  // shows, in device pixels, is about 100 across (the square's 10–60 and the bitmap's 60–100).
  const double shown = (s32_at(framed.picture, 32) - s32_at(framed.picture, 24)) / (s32_at(framed.picture, 80) * 100.0) * s32_at(framed.picture, 72);
  EXPECT_GT(shown, 90) << "cut off what it paints";
  EXPECT_LT(shown, 120) << "not framed by what it paints";
  // After the restore, the transform is the identity again: a point at 2000 is where it says.
  const std::string restored = emf::file({halve, big_square, emf::record(34, emf::u32(static_cast<std::uint32_t>(-1))), emf::record(15, emf::u32(2000) + emf::u32(2000) + emf::u32(0))},
                                         u"", true, 3000, 3000);
  const auto restored_pieces = extract_texts(restored, "restored.emf");
  const ExtractedText& whole = piece(restored_pieces, "restored.emf/drawing");
  ASSERT_TRUE(whole.drawing) << whole.unreadable;
  EXPECT_GT((s32_at(whole.picture, 32) - s32_at(whole.picture, 24)) / (s32_at(whole.picture, 80) * 100.0) * s32_at(whole.picture, 72), 1990);
}

// review22a (DoS): a WMF's object table is the size its header gives — a creation past it fails as
// GDI fails it (a file of a million creations no longer scans a growing table for each) — and a
// deleted slot is the next one taken.
TEST(CdrExtract, AMetafilesObjectTableIsTheSizeItsHeaderGives) {
  namespace wmf = testing::wmf;
  const std::string kojin = "\x8C\xC2\x90\x6C\x94\xD4\x8D\x86";  // 個人番号 in cp932
  const std::string sjis = wmf::record(0x02FB, std::string(13, '\0') + std::string(1, '\x80') + std::string(36, '\0'));
  const std::string western = wmf::record(0x02FB, std::string(50, '\0'));
  // One slot: the Shift_JIS font takes it, the Western one fails; slot 0 is the Shift_JIS font.
  const auto full = extract_texts(wmf::file({sjis, western, wmf::record(0x012D, wmf::u16(0)), wmf::text_out(0, 0, kojin)}, true, 1), "one.wmf");
  EXPECT_NE(full[0].text.find("個人番号"), std::string::npos) << full[0].text;
  // Deleted, its slot is taken by the next: slot 0 is now the Western font.
  const auto reused = extract_texts(wmf::file({sjis, wmf::record(0x01F0, wmf::u16(0)), western, wmf::record(0x012D, wmf::u16(0)), wmf::text_out(0, 0, "A")}, true, 1),
                                    "reused.wmf");
  EXPECT_EQ(reused[0].unreadable, "");
}

// Issue #17 (review22a): what Excel shows and the workbook stream holds in no reader's form.
std::string biff8_book(const std::string& records) {
  fixtures::Bytes book;
  book.u16(0x0809).u16(16).u32(0x00100600).u32(0).u32(0).u32(0);  // BOF, BIFF8
  book.raw(records).u16(0x000A).u16(0);
  return compound_file({{"Workbook", book.s}});
}
std::string biff5_book(unsigned code_page, const std::string& records) {
  fixtures::Bytes book;
  book.u16(0x0809).u16(8).u16(0x0500).u16(0x0010).u16(0).u16(0);  // BOF, BIFF5 worksheet
  book.u16(0x0042).u16(2).u16(code_page);                            // CODEPAGE
  book.raw(records).u16(0x000A).u16(0);
  return compound_file({{"Book", book.s}});
}
std::string double_bytes(double v) {
  std::string b(8, '\0');
  std::memcpy(b.data(), &v, 8);
  return b;
}
std::string text_of(const std::vector<ExtractedText>& pieces) {
  std::string text;
  for (const auto& p : pieces) text += p.text + "\n";
  return text;
}

// A number format shows its literal text in every cell it formats: escaped by backslashes or in
// adjacent quoted pieces, the digits are in no run the format's source shows.
TEST(CdrExtract, XlsNumberFormatsAreReadAsTheirCellsShowThem) {
  auto biff8_format = [](const std::string& code) {
    fixtures::Bytes r;
    r.u16(0x041E).u16(static_cast<unsigned>(2 + 3 + code.size())).u16(164).u16(static_cast<unsigned>(code.size())).raw(std::string(1, '\0')).raw(code);
    return r.s;
  };
  for (const std::string code : {R"(\1\2\3\4\5\6\7\8\9\0\1\8)", R"("1234""5678""9018")", R"([Red]"1234"\5\6"78"9018#)", R"([$123456789018-411]#,##0)"}) {
    const auto pieces = extract_texts(biff8_book(biff8_format(code)), "a.xls");
    EXPECT_NE(text_of(pieces).find(kNumber), std::string::npos) << code << "\n" << text_of(pieces);
  }
  // The format's source is still read, and one section shows at a time: two halves are two texts.
  const auto sections = extract_texts(biff8_book(biff8_format(R"(\1\2\3\4\5\6;\7\8\9\0\1\8)")), "a.xls");
  EXPECT_NE(text_of(sections).find(R"(\1\2\3\4\5\6;\7\8\9\0\1\8)"), std::string::npos) << text_of(sections);
  EXPECT_EQ(text_of(sections).find(kNumber), std::string::npos) << text_of(sections);
  // BIFF5: a byte count and bytes in the code page, no flags byte; a cp932 character escaped whole.
  const std::string code95 = "\"\x94\xD4\x8D\x86\"\\\x82\x50\\1\\2\\3\\4\\5\\6\\7\\8\\9\\0\\1\\8";  // "番号"\１\1… in cp932
  fixtures::Bytes format95;
  format95.u16(0x041E).u16(static_cast<unsigned>(3 + code95.size())).u16(164).raw(std::string(1, static_cast<char>(code95.size()))).raw(code95);
  const auto excel95 = extract_texts(biff5_book(932, format95.s), "old.xls");
  EXPECT_NE(text_of(excel95).find("番号１" + kNumber), std::string::npos) << text_of(excel95);
}

// An array constant ({123456789018}, {"1234567","89018"}) lives in the formula's rgcb after its
// tokens, as SerAr values: 0x01 and a double, 0x02 and a string — in a cell's formula, a shared
// or array formula, a defined name.
TEST(CdrExtract, XlsArrayConstantsInAFormulaAreRead) {
  const std::string ptg_array = std::string(1, '\x40') + std::string(7, '\0');
  const std::string number = std::string("\x00\x00\x00\x01", 4) + double_bytes(123456789018.0);  // 1×1: a number
  fixtures::Bytes formula;
  formula.u16(0x0006).u16(static_cast<unsigned>(22 + ptg_array.size() + number.size())).u16(0).u16(0).u16(15).raw(double_bytes(0)).u16(0).u32(0)
      .u16(static_cast<unsigned>(ptg_array.size())).raw(ptg_array).raw(number);
  EXPECT_NE(text_of(extract_texts(biff8_book(formula.s), "a.xls")).find(kNumber), std::string::npos);

  // A string value: BIFF8 an XLUnicodeString (cch 2 bytes, flags), here UTF-16.
  fixtures::Bytes utf16;
  for (char16_t c : std::u16string(u"番号123456789018")) utf16.u16(c);
  const std::string strings = std::string("\x00\x00\x00\x02", 4) + std::string("\x0E\x00\x01", 3) + utf16.s;
  fixtures::Bytes shared;  // SHRFMLA: ref (6), reserved, cUse, cce, rgce, rgcb
  shared.u16(0x04BC).u16(static_cast<unsigned>(10 + ptg_array.size() + strings.size())).u16(0).u16(0).u16(0).u16(0).u16(static_cast<unsigned>(ptg_array.size()))
      .raw(ptg_array).raw(strings);
  EXPECT_NE(text_of(extract_texts(biff8_book(shared.s), "a.xls")).find("番号" + kNumber), std::string::npos);

  // A defined name's formula: rgcb follows the cce bytes of rgce.
  fixtures::Bytes name;  // grbit, chKey, cch 4, cce, ixals, itab, four text lengths, flags, "Nmbr", ptgArray, rgcb
  name.u16(0x0018).u16(static_cast<unsigned>(14 + 1 + 4 + ptg_array.size() + number.size())).u16(0).raw(std::string(1, '\0')).raw(std::string(1, '\x04'))
      .u16(static_cast<unsigned>(ptg_array.size())).u16(0).u16(0).u32(0).raw(std::string(1, '\0')).raw("Nmbr").raw(ptg_array).raw(number);
  const std::string named = text_of(extract_texts(biff8_book(name.s), "a.xls"));
  EXPECT_NE(named.find("Nmbr"), std::string::npos) << named;
  EXPECT_NE(named.find(kNumber), std::string::npos) << named;

  // BIFF5: a string value is a byte count and bytes in the code page.
  const std::string kojin = "\x8C\xC2\x90\x6C\x94\xD4\x8D\x86\x20";  // 個人番号 in cp932
  fixtures::Bytes formula95;
  const std::string string95 = std::string("\x00\x00\x00\x02", 4) + static_cast<char>(kojin.size() + kNumber.size()) + kojin + kNumber;
  formula95.u16(0x0006).u16(static_cast<unsigned>(22 + ptg_array.size() + string95.size())).u16(0).u16(0).u16(15).raw(double_bytes(0)).u16(0).u32(0)
      .u16(static_cast<unsigned>(ptg_array.size())).raw(ptg_array).raw(string95);
  EXPECT_NE(text_of(extract_texts(biff5_book(932, formula95.s), "old.xls")).find("個人番号 " + kNumber), std::string::npos);

  // A record full of bytes that look like long strings is read in bounded time: a string value is
  // at most 255 characters, so none is read at every byte for the record's length.
  std::string noise;
  while (noise.size() + 4 <= 8000) noise += std::string("\x02\xFF\xFF\x01", 4);
  fixtures::Bytes dv;
  dv.u16(0x01BE).u16(static_cast<unsigned>(noise.size())).raw(noise);
  const auto noisy = extract_texts(biff8_book(dv.s), "a.xls");
  EXPECT_LT(text_of(noisy).size(), std::size_t{1} << 20);
}

// Excel 5.0/95: a comment longer than one NOTE record goes on in NOTE records with rw 0xFFFF, and
// Excel shows one text: "123456" and "789018" are one number, and a cp932 character cut between
// two records is one character.
TEST(CdrExtract, Biff5NoteContinuationsAreOneComment) {
  fixtures::Bytes note;
  note.u16(0x001C).u16(6 + 6).u16(0).u16(0).u16(12).raw("123456");       // NOTE at A1, 12 bytes, the first 6
  note.u16(0x001C).u16(6 + 6).u16(0xFFFF).u16(0).u16(6).raw("789018");   // its continuation
  EXPECT_NE(text_of(extract_texts(biff5_book(1252, note.s), "old.xls")).find(kNumber), std::string::npos);

  const std::string bango = "\x94\xD4\x8D\x86";  // 番号 in cp932, cut after its third byte
  fixtures::Bytes split;
  split.u16(0x001C).u16(6 + 3).u16(1).u16(0).u16(static_cast<unsigned>(4 + kNumber.size())).raw(bango.substr(0, 3));
  split.u16(0x001C).u16(static_cast<unsigned>(6 + 1 + kNumber.size())).u16(0xFFFF).u16(0).u16(static_cast<unsigned>(1 + kNumber.size())).raw(bango.substr(3)).raw(kNumber);
  split.u16(0x001C).u16(6 + 4).u16(2).u16(0).u16(4).raw("next");       // another comment: a line of its own
  const std::string text = text_of(extract_texts(biff5_book(932, split.s), "old.xls"));
  EXPECT_NE(text.find("番号" + kNumber + "\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nnext\n"), std::string::npos) << text;
}

// A code page mail's reading knows (54936, GB18030) is read in it; one no converter knows (10001,
// Mac Japanese) is read as Western and as the outgoing check guesses unlabelled bytes.
TEST(CdrExtract, Biff5CodePagesBeyondTheOldTableAreRead) {
  auto label = [](const std::string& bytes) {
    fixtures::Bytes r;
    r.u16(0x0204).u16(static_cast<unsigned>(8 + bytes.size())).u16(0).u16(0).u16(0).u16(static_cast<unsigned>(bytes.size())).raw(bytes);
    return r.s;
  };
  const std::string fullwidth = "１２３４５６７８９０１８";
  const std::string gb = "\xA3\xB1\xA3\xB2\xA3\xB3\xA3\xB4\xA3\xB5\xA3\xB6\xA3\xB7\xA3\xB8\xA3\xB9\xA3\xB0\xA3\xB1\xA3\xB8";
  const std::string chinese = text_of(extract_texts(biff5_book(54936, label(gb)), "cn.xls"));
  EXPECT_NE(chinese.find(fullwidth), std::string::npos) << chinese;
  const std::string sjis = "\x8C\xC2\x90\x6C\x94\xD4\x8D\x86\x82\x50\x82\x51\x82\x52\x82\x53\x82\x54\x82\x55\x82\x56\x82\x57\x82\x58\x82\x4F\x82\x50\x82\x57";
  const std::string mac = text_of(extract_texts(biff5_book(10001, label(sjis)), "mac.xls"));
  EXPECT_NE(mac.find("個人番号" + fullwidth), std::string::npos) << mac;
  EXPECT_NE(mac.find("Œ"), std::string::npos) << "read as Western (0x8C) too: " << mac;
}

// Issue #17, review22a: a page of pictures is rendered for OCR at a fixed resolution, and only when
// every legible picture comes out at half its own pixels or more. A card's picture filling a page
// 200 inches wide, drawn into a box of 4 × 4 pt or through a form that shrinks it to 4 pt (finer
// than 2400 dpi reads), sheared flat, of a size not known, and a page whose drawing could not be
// counted: each stays held ("image: …", no page named for rendering); the same picture at its own
// size, turned a quarter, is rendered; on the page 200 inches wide, and in a box of 10 × 10 pt (1440
// dpi, where the whole Letter page is 250 million pixels), its region is (pdf25: both pages were
// held whatever the picture's place, and the boxes of 10 pt were the cases held here).
TEST(CdrExtract, PdfPagesWhosePicturesOcrCannotReadRenderedStayHeld) {
  const auto stream = [](const std::string& dict, const std::string& data) { return "<< " + dict + " /Length " + std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream"; };
  const std::string card = stream("/Type /XObject /Subtype /Image /Width 400 /Height 250 /ColorSpace /DeviceGray /BitsPerComponent 8", std::string(100000, '\x80'));
  // One page of `media` pt square drawing `contents`; /X1 is `xobject`, /Im1 the card.
  const auto read = [&](int media, const std::string& contents, const std::string& xobject) {
    const std::string page = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 " + std::to_string(media) + " " + std::to_string(media) +
                             "] /Resources << /XObject << /X1 4 0 R /Im1 6 0 R >> >> /Contents 5 0 R >>";
    return extract_texts(testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>", page, xobject, stream("", contents), card}), "p.pdf");
  };
  const auto rendered = read(792, "q 0 400 -250 0 300 100 cm /Im1 Do Q", card);
  EXPECT_EQ(piece(rendered, "p.pdf/pages").pages, (std::vector<PdfPage>{{1, kPdfPageDpi}})) << piece(rendered, "p.pdf/pages").unreadable;
  EXPECT_EQ(piece(rendered, "p.pdf/pages").unreadable.find("not read by OCR"), std::string::npos);
  const auto wide = read(14400, "q 400 0 0 250 36 300 cm /Im1 Do Q", card);
  const ExtractedText& region = piece(wide, "p.pdf/pages");
  ASSERT_EQ(region.pages.size(), 1u) << region.unreadable;
  ASSERT_TRUE(region.pages[0].region) << "the card's region, not the page";
  EXPECT_EQ(region.pages[0].dpi, static_cast<std::uint32_t>(kPdfPageDpi));
  // The card (36 300 436 550 pt) and half an inch around, in whole pixels at 200 dpi from the top left.
  EXPECT_EQ(*region.pages[0].region, (PdfRegion{0, 38372, 1312, 895, 40000, 40000}));
  const auto boxed = read(792, "q 10 0 0 10 36 300 cm /Im1 Do Q", card);
  const ExtractedText& fine = piece(boxed, "p.pdf/pages");
  ASSERT_EQ(fine.pages.size(), 2u) << fine.unreadable;
  EXPECT_EQ(fine.pages[0], (PdfPage{1, kPdfPageDpi})) << "the page whole, as a reader sees it";
  EXPECT_TRUE(fine.pages[1].region);
  EXPECT_EQ(fine.pages[1].dpi, 1440u) << "400 pixels in 10 pt, at half";
  const std::string shrinking_form = stream("/Type /XObject /Subtype /Form /BBox [0 0 400 250] /Matrix [0.01 0 0 0.01 0 0] /Resources << /XObject << /Im1 6 0 R >> >>",
                                            "q 400 0 0 250 0 0 cm /Im1 Do Q");
  const std::string broken_form = stream("/Type /XObject /Subtype /Form /BBox [0 0 400 250] /Filter /FlateDecode", "not deflated");
  const std::vector<std::tuple<std::string, int, std::string, std::string, std::string>> held = {
      {"a page 200 inches wide that it fills", 14400, "q 14400 0 0 14400 0 0 cm /Im1 Do Q", card, "larger at 200 dpi"},
      {"a box of 4 × 4 pt", 792, "q 4 0 0 4 36 300 cm /Im1 Do Q", card, "% of its pixels at 200 dpi; read at 50 % it would need more than the 2400 dpi"},
      {"a form that shrinks it", 792, "q 1 0 0 1 0 0 cm /X1 Do Q", shrinking_form, "% of its pixels at 200 dpi; read at 50 % it would need more than the 2400 dpi"},
      {"sheared flat", 792, "q 400 0 399 0.5 36 300 cm /Im1 Do Q", card, "% of its pixels"},
      {"its width not an integer", 792, "q 400 0 0 250 36 300 cm /X1 Do Q", stream("/Type /XObject /Subtype /Image /Width 400.0 /Height 250 /ColorSpace /DeviceGray /BitsPerComponent 8", std::string(100000, '\x80')), "not known"},
      {"a cm of five numbers", 792, "q 400 0 0 250 36 cm /Im1 Do Q", card, "could not be counted"},
      {"a form that cannot be decoded", 792, "q 400 0 0 250 36 300 cm /Im1 Do Q /X1 Do", broken_form, "could not be counted"},
  };
  for (const auto& [what, media, contents, xobject, why] : held) {
    const auto pieces = read(media, contents, xobject);
    const ExtractedText& pages = piece(pieces, "p.pdf/pages");
    EXPECT_TRUE(pages.pages.empty()) << what << ": the page is rendered for OCR";
    EXPECT_EQ(pages.unreadable.rfind("image:", 0), 0u) << what << ": " << wheres(pieces);
    EXPECT_NE(pages.unreadable.find("not read by OCR: page 1: "), std::string::npos) << what << ": " << pages.unreadable;
    EXPECT_NE(pages.unreadable.find(why), std::string::npos) << what << ": " << pages.unreadable;
  }
}


// Issue #17: a page is rendered at the dpi its pictures need. A scanner's 600 dpi A4 page (one
// picture of 4960 × 7016 pixels over the page) comes out at 33 % of its pixels at 200 dpi and was
// held; it is named for rendering at 300 dpi (8.7 million pixels). A 300 dpi scan stays at 200
// dpi. An A3 page scanned at 1200 dpi would need 600 dpi, some 70 million pixels: held, saying so.
TEST(CdrExtract, PdfPagesAreRenderedAtTheDpiTheirPicturesNeed) {
  const auto scan = [](int width, int height, double page_width, double page_height) {
    const std::string contents = "q " + std::to_string(page_width) + " 0 0 " + std::to_string(page_height) + " 0 0 cm /Im1 Do Q";
    return extract_texts(testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                          "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 " + std::to_string(page_width) + " " + std::to_string(page_height) +
                                              "] /Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>",
                                          "<< /Type /XObject /Subtype /Image /Width " + std::to_string(width) + " /Height " + std::to_string(height) +
                                              " /ColorSpace /DeviceGray /BitsPerComponent 8 /Length 1 >>\nstream\n\xFF\nendstream",
                                          "<< /Length " + std::to_string(contents.size()) + " >>\nstream\n" + contents + "\nendstream"}),
                         "scan.pdf");
  };
  const auto fine = scan(4960, 7016, 4960 * 0.12, 7016 * 0.12);
  const ExtractedText& pages = piece(fine, "scan.pdf/pages");
  ASSERT_EQ(pages.pages.size(), 1u) << pages.unreadable;
  EXPECT_EQ(pages.pages[0].number, 1u);
  EXPECT_GE(pages.pages[0].dpi, 300u) << "half its pixels";
  EXPECT_LE(pages.pages[0].dpi, 301u) << "no more than it needs";
  EXPECT_EQ(piece(scan(2480, 3508, 2480 * 0.24, 3508 * 0.24), "scan.pdf/pages").pages, (std::vector<PdfPage>{{1, kPdfPageDpi}}));
  const auto a3 = scan(14000, 19800, 14000 * 0.06, 19800 * 0.06);
  const ExtractedText& coarse = piece(a3, "scan.pdf/pages");
  EXPECT_TRUE(coarse.pages.empty()) << "an A3 page at 600 dpi is rendered";
  EXPECT_NE(coarse.unreadable.find("not read by OCR: page 1: a picture is drawn at 16 % of its pixels at 200 dpi; the page (840 × 1188 pt) is larger at "),
            std::string::npos)
      << coarse.unreadable;
  EXPECT_NE(coarse.unreadable.find("dpi than the 18000000 pixels a page is rendered in for OCR"), std::string::npos) << coarse.unreadable;
  // Finer than kMostPdfPageDpi: a picture of 4960 pixels in an inch.
  const auto inch = scan(4960, 4960, 72, 72);
  const ExtractedText& finest = piece(inch, "scan.pdf/pages");
  EXPECT_TRUE(finest.pages.empty());
  EXPECT_NE(finest.unreadable.find("it would need more than the 2400 dpi a page is rendered at"), std::string::npos) << finest.unreadable;
}

// Issue #17 (H3): a picture is on the page however it is drawn — as a tiling pattern's cell (its
// /Matrix folded into the size it comes out at), in a soft mask's group, in an annotation's
// appearance (its /BBox fitted to the /Rect), as a Type 3 font's glyph — and the page is rendered
// for OCR or held for its size like one drawn by Do. Before, each of these pages passed as one of
// no pictures. (A Type 3 font's glyphs held the page whatever their size until their size was
// judged: PdfType3GlyphsThatArePicturesAreJudgedAtTheirSize.)
TEST(CdrExtract, PdfPicturesInPatternsMasksAnnotationsAndType3GlyphsAreCounted) {
  const auto stream = [](const std::string& dict, const std::string& data) { return "<< " + dict + " /Length " + std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream"; };
  const std::string card = stream("/Type /XObject /Subtype /Image /Width 400 /Height 250 /ColorSpace /DeviceGray /BitsPerComponent 8", std::string(100000, '\x80'));
  const std::string draws_card = "/Resources << /XObject << /Im1 6 0 R >> >>";
  // One Letter page: `resources` and `annots` in its dictionary, `contents` its stream, object 4 `drawer`.
  const auto read = [&](const std::string& resources, const std::string& contents, const std::string& drawer, const std::string& annots = "") {
    const std::string page = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << " + resources + " >> /Contents 5 0 R " + annots + " >>";
    return extract_texts(testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>", page, drawer, stream("", contents), card}), "p.pdf");
  };
  const auto tiling = [&](const std::string& matrix) {
    return stream("/PatternType 1 /PaintType 1 /TilingType 1 /BBox [0 0 400 250] /XStep 400 /YStep 250 /Matrix [" + matrix + "] " + draws_card, "q 400 0 0 250 0 0 cm /Im1 Do Q");
  };
  const std::string fill = "/Pattern cs /P1 scn 0 0 612 792 re f";
  const std::string group = stream("/Type /XObject /Subtype /Form /Group << /S /Transparency >> /BBox [0 0 612 792] " + draws_card, "q 400 0 0 250 36 300 cm /Im1 Do Q");
  const std::string appearance = stream("/Type /XObject /Subtype /Form /BBox [0 0 1 1] " + draws_card, "/Im1 Do");
  const auto stamp = [](const std::string& rect) { return "/Annots [<< /Type /Annot /Subtype /Stamp /Rect [" + rect + "] /AP << /N 4 0 R >> >>]"; };

  const std::vector<std::tuple<std::string, std::vector<ExtractedText>>> rendered = {
      {"a tiling pattern's cell", read("/Pattern << /P1 4 0 R >>", fill, tiling("1 0 0 1 36 300"))},
      {"a soft mask's group", read("/ExtGState << /GS1 << /SMask << /S /Luminosity /G 4 0 R >> >> >>", "/GS1 gs 0 0 612 792 re f", group)},
      {"an annotation's appearance", read("", "0 0 612 792 re S", appearance, stamp("36 300 436 550"))},
  };
  for (const auto& [what, pieces] : rendered) {
    EXPECT_EQ(piece(pieces, "p.pdf/pages").pages, (std::vector<PdfPage>{{1, kPdfPageDpi}})) << what << ": " << piece(pieces, "p.pdf/pages").unreadable;
  }
  const std::string type3 = "<< /Type /Font /Subtype /Type3 /FontBBox [0 0 1000 1000] /FontMatrix [0.001 0 0 0.001 0 0] /CharProcs << /a 7 0 R >> "
                            "/Encoding << /Type /Encoding /Differences [97 /a] >> /FirstChar 97 /LastChar 97 /Widths [1000] " + draws_card + " >>";
  // Two pages show it: the font is looked into once, and both are held.
  const std::string text_page = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /T3 4 0 R >> >> /Contents 5 0 R >>";
  const auto glyphs = extract_texts(testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R 8 0 R] /Count 2 >>", text_page, type3,
                                                     stream("", "BT /T3 400 Tf 36 300 Td (a) Tj ET"), card, stream("", "1000 0 d0 q 1000 0 0 625 0 0 cm /Im1 Do Q"), text_page}),
                                    "p.pdf");
  EXPECT_EQ(piece(glyphs, "p.pdf/pages").pages, (std::vector<PdfPage>{{1, kPdfPageDpi}, {2, kPdfPageDpi}})) << piece(glyphs, "p.pdf/pages").unreadable;
  const std::vector<std::tuple<std::string, std::vector<ExtractedText>, std::string>> held = {
      {"a pattern whose /Matrix shrinks the cell", read("/Pattern << /P1 4 0 R >>", fill, tiling("0.05 0 0 0.05 36 300")), "% of its pixels"},
      {"a pattern whose /Matrix is not six numbers", read("/Pattern << /P1 4 0 R >>", fill, tiling("1 0 0 1 36")), "not known"},
      {"an appearance fitted to a box of 4 × 4 pt", read("", "0 0 612 792 re S", appearance, stamp("36 300 40 304")), "% of its pixels"},
      {"an appearance fitted to a flat box", read("", "0 0 612 792 re S", appearance, stamp("36 300 436 300")), "not known"},
  };
  for (const auto& [what, pieces, why] : held) {
    const ExtractedText& pages = piece(pieces, "p.pdf/pages");
    EXPECT_TRUE(pages.pages.empty()) << what << ": the page is rendered for OCR";
    EXPECT_NE(pages.unreadable.find("not read by OCR: page 1: "), std::string::npos) << what << ": " << pages.unreadable;
    EXPECT_NE(pages.unreadable.find(why), std::string::npos) << what << ": " << pages.unreadable;
  }
  // A pattern set and a stamp without pictures leave the page one of no pictures.
  const auto plain = read("/Pattern << /P1 4 0 R >>", fill, stream("/PatternType 1 /PaintType 1 /TilingType 1 /BBox [0 0 10 10] /XStep 10 /YStep 10", "0 0 5 5 re f"));
  EXPECT_TRUE(std::none_of(plain.begin(), plain.end(), [](const ExtractedText& p) { return p.where == "p.pdf/pages"; })) << wheres(plain);
}

// Issue #17: an image's own mask is a picture of its own pixels in the same square. A white image
// of one pixel whose 400 × 250 soft mask (or stencil /Mask) carries the text, on a page with text,
// passed as a page of no pictures before; now the page is rendered for OCR, and the mask is read
// on its own as "mask N.pdf" (on a white page the rendering shows nothing of it). A mask of
// 4000 × 2500 pixels in a square of 400 × 250 pt is judged at its own pixels: 360 dpi. A /Mask
// of colours to key out (an array) is no picture.
TEST(CdrExtract, PdfImageMasksAreJudgedAndReadAsPicturesOfTheirOwn) {
  const auto stream = [](const std::string& dict, const std::string& data) { return "<< " + dict + " /Length " + std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream"; };
  // Object 4 the image (with `mask` in its dictionary), 5 its mask `mask_object`, on a Letter page
  // that writes "page 1" too.
  const auto read = [&](const std::string& mask, const std::string& mask_object, const std::string& image_size = "/Width 1 /Height 1") {
    const std::string contents = "q 400 0 0 250 36 300 cm /Im1 Do Q BT /F1 12 Tf 72 72 Td (page 1) Tj ET";
    return extract_texts(testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                          "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im1 4 0 R >> /Font << /F1 7 0 R >> >> /Contents 6 0 R >>",
                                          stream("/Type /XObject /Subtype /Image " + image_size + " /ColorSpace /DeviceGray /BitsPerComponent 8 " + mask, "\xFF"),
                                          mask_object, stream("", contents), "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}),
                         "p.pdf");
  };
  const std::string soft = stream("/Type /XObject /Subtype /Image /Width 400 /Height 250 /ColorSpace /DeviceGray /BitsPerComponent 8", std::string(100000, '\x80'));
  const std::string stencil = stream("/Type /XObject /Subtype /Image /Width 400 /Height 250 /ImageMask true /BitsPerComponent 1", std::string(50 * 250, '\x55'));
  for (const auto& [what, pieces] : std::vector<std::pair<std::string, std::vector<ExtractedText>>>{{"a soft mask", read("/SMask 5 0 R", soft)},
                                                                                                     {"a stencil mask", read("/Mask 5 0 R", stencil)}}) {
    EXPECT_EQ(piece(pieces, "p.pdf/pages").pages, (std::vector<PdfPage>{{1, kPdfPageDpi}})) << what << ": " << wheres(pieces);
    // The mask's own PDF: one page of pictures, named for rendering at half its pixels.
    const ExtractedText& own = piece(pieces, "p.pdf/mask 5.pdf");
    EXPECT_TRUE(looks_like_pdf(own.pdf)) << what << ": " << wheres(pieces);
    EXPECT_EQ(piece(pieces, "p.pdf/mask 5.pdf/pages").pages, (std::vector<PdfPage>{{1, kPdfPageDpi}})) << what << ": " << wheres(pieces);
    EXPECT_EQ(own.pdf.find("/SMask"), std::string::npos) << what << ": the mask's own mask is not carried over";
  }
  const std::string fine = stream("/Type /XObject /Subtype /Image /Width 4000 /Height 2500 /ColorSpace /DeviceGray /BitsPerComponent 8", "\xFF");
  const auto finer = read("/SMask 5 0 R", fine, "/Width 400 /Height 250");
  ASSERT_EQ(piece(finer, "p.pdf/pages").pages.size(), 1u) << wheres(finer);
  EXPECT_EQ(piece(finer, "p.pdf/pages").pages[0].dpi, 360u) << "the mask's pixels, not the image's";
  const auto keyed = read("/Mask [0 10]", "<< >>");
  EXPECT_TRUE(std::none_of(keyed.begin(), keyed.end(), [](const ExtractedText& p) { return p.where == "p.pdf/pages" || p.where.find("mask") != std::string::npos; }))
      << wheres(keyed);
}

// Issue #17: pdftoppm renders an annotation's normal appearance (/AP /N; of its states the one /AS
// names) when the annotation is shown on screen. A picture in a down (/D) or rollover (/R)
// appearance, in a state /AS does not name, or in an annotation hidden (/F Hidden, NoView) or in
// optional content (/OC) is not on the rendered page: the page is held, saying which. Before, /D and
// /R were not looked into, and a hidden one was taken as rendered.
TEST(CdrExtract, PdfAnnotationAppearancesTheRenderingDoesNotShowHoldThePage) {
  const auto stream = [](const std::string& dict, const std::string& data) { return "<< " + dict + " /Length " + std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream"; };
  const std::string card = stream("/Type /XObject /Subtype /Image /Width 400 /Height 250 /ColorSpace /DeviceGray /BitsPerComponent 8", std::string(100000, '\x80'));
  const std::string appearance = stream("/Type /XObject /Subtype /Form /BBox [0 0 1 1] /Resources << /XObject << /Im1 6 0 R >> >>", "/Im1 Do");
  const std::string blank = stream("/Type /XObject /Subtype /Form /BBox [0 0 1 1]", "0 0 1 1 re S");
  // A Letter page with one stamp over 400 × 250 pt: `entries` in its dictionary; 4 draws the card, 7 nothing.
  const auto read = [&](const std::string& entries) {
    const std::string page = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R /Annots [<< /Type /Annot /Subtype /Stamp /Rect [36 300 436 550] " +
                             entries + " >>] >>";
    return extract_texts(testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>", page, appearance,
                                          stream("", "0 0 612 792 re S"), card, blank}),
                         "p.pdf");
  };
  const std::vector<std::tuple<std::string, std::string>> rendered = {
      {"a normal appearance", "/AP << /N 4 0 R >>"},
      {"the state /AS names", "/AS /On /AP << /N << /On 4 0 R /Off 7 0 R >> >>"},
      {"printed and shown", "/F 4 /AP << /N 4 0 R >>"},
  };
  for (const auto& [what, entries] : rendered) {
    const auto pieces = read(entries);
    EXPECT_EQ(piece(pieces, "p.pdf/pages").pages, (std::vector<PdfPage>{{1, kPdfPageDpi}})) << what << ": " << piece(pieces, "p.pdf/pages").unreadable;
  }
  const std::vector<std::tuple<std::string, std::string, std::string>> held = {
      {"a down appearance", "/AP << /N 7 0 R /D 4 0 R >>", "in its down appearance (/AP /D)"},
      {"a rollover appearance", "/AP << /N 7 0 R /R << /On 4 0 R >> >>", "in its rollover appearance (/AP /R)"},
      {"a state /AS does not name", "/AS /Off /AP << /N << /On 4 0 R /Off 7 0 R >> >>", "its appearance for the state /On, not the one /AS shows"},
      {"no /AS", "/AP << /N << /On 4 0 R >> >>", "its appearance for the state /On"},
      {"hidden", "/F 6 /AP << /N 4 0 R >>", "hidden from the screen"},
      {"no view", "/F 36 /AP << /N 4 0 R >>", "hidden from the screen"},
      {"optional content", "/OC << /Type /OCG /Name (x) >> /AP << /N 4 0 R >>", "hidden from the screen"},
  };
  for (const auto& [what, entries, why] : held) {
    const auto pieces = read(entries);
    const ExtractedText& pages = piece(pieces, "p.pdf/pages");
    EXPECT_TRUE(pages.pages.empty()) << what << ": the page is rendered for OCR";
    EXPECT_NE(pages.unreadable.find("not read by OCR: page 1: an annotation draws a picture "), std::string::npos) << what << ": " << pages.unreadable;
    EXPECT_NE(pages.unreadable.find(why), std::string::npos) << what << ": " << pages.unreadable;
    EXPECT_NE(pages.unreadable.find("which the page rendered for OCR does not show"), std::string::npos) << what << ": " << pages.unreadable;
  }
  // Hidden, with nothing legible in it: the page draws no picture.
  const auto plain = read("/F 2 /AP << /N 7 0 R /D 7 0 R >>");
  EXPECT_TRUE(std::none_of(plain.begin(), plain.end(), [](const ExtractedText& p) { return p.where == "p.pdf/pages"; })) << wheres(plain);
}

// Issue #17: an annotation in optional content is judged as what the page draws is
// (layer_may_hide()): pdftoppm draws one in a layer the default configuration shows — the page
// rendered here has its black stamp — so its picture is read on the page; in a layer that is off,
// or a membership dictionary, it is not drawn (or may not be), and the page is held. Before, any
// /OC held the page.
TEST(CdrExtract, PdfAnnotationsInALayerShownAreReadAsDrawn) {
  const auto stream = [](const std::string& dict, const std::string& data) { return "<< " + dict + " /Length " + std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream"; };
  const auto read = [&](const std::string& config, const std::string& oc) {
    return extract_texts(
        testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R /OCProperties << /OCGs [7 0 R] /D " + config + " >> >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                         "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R /Annots [<< /Type /Annot /Subtype /Stamp /Rect [36 300 436 550] /F 4 /OC " +
                             oc + " /AP << /N 4 0 R >> >>] >>",
                         stream("/Type /XObject /Subtype /Form /BBox [0 0 1 1] /Resources << /XObject << /Im1 6 0 R >> >>", "/Im1 Do"), stream("", "0 0 612 792 re S"),
                         stream("/Type /XObject /Subtype /Image /Width 400 /Height 250 /ColorSpace /DeviceGray /BitsPerComponent 1", std::string(12500, '\0')),
                         "<< /Type /OCG /Name (stamps) >>"}),
        "p.pdf");
  };
  // How much of the stamp pdftoppm draws on the page.
  const auto drawn = [](const std::vector<ExtractedText>& pieces) {
    const auto png = pdf_page_picture(piece(pieces, "p.pdf").pdf, {1});
    if (!png) return -1.0;
    internal::image::Observed seen;
    const auto picture = internal::image::decode_png(*png, 10'000'000, seen);
    if (!picture) return -1.0;
    // Inside the stamp's /Rect (36 300 436 550 pt), clear of its edges: the page's frame is not counted.
    double black = 0, counted = 0;
    for (std::uint32_t y = (792 - 550) * kPdfPageDpi / 72 + 4; y < (792 - 300) * kPdfPageDpi / 72 - 4; ++y) {
      for (std::uint32_t x = 36 * kPdfPageDpi / 72 + 4; x < 436 * kPdfPageDpi / 72 - 4; ++x, ++counted) {
        black += picture->pixels[(static_cast<std::size_t>(y) * picture->width + x) * static_cast<std::size_t>(picture->channels)] < 128 ? 1 : 0;
      }
    }
    return black / counted;
  };
  for (const auto& [what, config] : std::vector<std::pair<std::string, std::string>>{{"a layer turned on", "<< /ON [7 0 R] >>"}, {"a layer on by default", "<< >>"}}) {
    const auto pieces = read(config, "7 0 R");
    EXPECT_EQ(piece(pieces, "p.pdf/pages").pages, (std::vector<PdfPage>{{1, kPdfPageDpi}})) << what << ": " << piece(pieces, "p.pdf/pages").unreadable;
    EXPECT_GT(drawn(pieces), 0.98) << what << ": pdftoppm draws the stamp";
  }
  for (const auto& [what, config, oc] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"a layer turned off", "<< /OFF [7 0 R] >>", "7 0 R"},
           {"a base state of off", "<< /BaseState /OFF >>", "7 0 R"},
           {"a membership dictionary", "<< /OFF [7 0 R] >>", "<< /Type /OCMD /OCGs [7 0 R] /P /AllOn >>"},
       }) {
    const auto pieces = read(config, oc);
    const ExtractedText& pages = piece(pieces, "p.pdf/pages");
    EXPECT_TRUE(pages.pages.empty()) << what;
    EXPECT_NE(pages.unreadable.find("hidden from the screen (/F Hidden or NoView, or /OC: a layer that is off"), std::string::npos) << what << ": " << pages.unreadable;
    EXPECT_LT(drawn(pieces), 0.01) << what << ": pdftoppm does not draw the stamp";
  }
}

// Issue #17: a picture in optional content that may be hidden — a layer the default configuration
// turns off, one whose base state is off or automatic, a membership dictionary — is not on the page
// pdftoppm renders for OCR, yet the recipient's reader can switch it on: the page is held. A layer
// shown unconditionally is rendered and read as any picture. Drawn by marked content (BDC /OC),
// by an image or a form with its own /OC, and inside a form that is in such a layer.
TEST(CdrExtract, PdfPicturesAndTextInLayersThatMayBeHiddenAreHeld) {
  const auto stream = [](const std::string& dict, const std::string& data) { return "<< " + dict + " /Length " + std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream"; };
  const std::string card = "/Type /XObject /Subtype /Image /Width 400 /Height 250 /ColorSpace /DeviceGray /BitsPerComponent 8";
  // A Letter page drawing the card (object 6, with `image_entries`) through `contents`; the layer
  // is object 7 (an OCG, or `layer` as given), the configuration `config`; /Fm (object 8) draws
  // the card inside a layer of its own.
  const auto read = [&](const std::string& contents, const std::string& config, const std::string& image_entries = "", const std::string& layer = "<< /Type /OCG /Name (layer) >>") {
    return extract_texts(testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R /OCProperties << /OCGs [7 0 R] /D " + config + " >> >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                          "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im1 6 0 R /Fm 8 0 R >> /Properties << /L 7 0 R >> >> /Contents 5 0 R >>",
                                          stream("", "0 0 612 792 re S"), stream("", contents), stream(card + " " + image_entries, std::string(100000, '\x80')), layer,
                                          stream("/Type /XObject /Subtype /Form /BBox [0 0 1 1] /Resources << /XObject << /Im1 6 0 R >> /Properties << /L 7 0 R >> >>",
                                                 "/OC /L BDC /Im1 Do EMC")}),
                         "p.pdf");
  };
  const std::string marked = "q 400 0 0 250 36 300 cm /OC /L BDC /Im1 Do EMC Q";
  const std::vector<std::tuple<std::string, std::string, std::string>> shown = {
      {"marked content in a layer that is on", marked, "<< /ON [7 0 R] >>"},
      {"an image of a layer that is on", "q 400 0 0 250 36 300 cm /Im1 Do Q", "<< >>"},
      {"drawn after the layer's end", "/OC /L BDC EMC q 400 0 0 250 36 300 cm /Im1 Do Q", "<< /OFF [7 0 R] >>"},
  };
  for (const auto& [what, contents, config] : shown) {
    const auto pieces = read(contents, config, what.find("an image") == 0 ? "/OC 7 0 R" : "");
    EXPECT_EQ(piece(pieces, "p.pdf/pages").pages, (std::vector<PdfPage>{{1, kPdfPageDpi}})) << what << ": " << piece(pieces, "p.pdf/pages").unreadable;
  }
  const std::vector<std::tuple<std::string, std::string, std::string, std::string, std::string>> held = {
      {"marked content in a layer that is off", marked, "<< /OFF [7 0 R] >>", "", "<< /Type /OCG /Name (layer) >>"},
      {"a base state of off", marked, "<< /BaseState /OFF >>", "", "<< /Type /OCG /Name (layer) >>"},
      {"automatic states", marked, "<< /AS [<< /Event /Print /Category [/Print] /OCGs [7 0 R] >>] >>", "", "<< /Type /OCG /Name (layer) >>"},
      {"a membership dictionary", marked, "<< >>", "", "<< /Type /OCMD /P /AllOff >>"},
      {"an image of a layer that is off", "q 400 0 0 250 36 300 cm /Im1 Do Q", "<< /OFF [7 0 R] >>", "/OC 7 0 R", "<< /Type /OCG /Name (layer) >>"},
      {"a form whose card is in a layer that is off", "q 400 0 0 250 36 300 cm /Fm Do Q", "<< /OFF [7 0 R] >>", "", "<< /Type /OCG /Name (layer) >>"},
      {"nested in an unrelated marked content", "q 400 0 0 250 36 300 cm /Span << /ActualText (x) >> BDC /OC /L BDC /Im1 Do EMC EMC Q", "<< /OFF [7 0 R] >>", "",
       "<< /Type /OCG /Name (layer) >>"},
  };
  for (const auto& [what, contents, config, image_entries, layer] : held) {
    const auto pieces = read(contents, config, image_entries, layer);
    const ExtractedText& pages = piece(pieces, "p.pdf/pages");
    EXPECT_TRUE(pages.pages.empty()) << what << ": the page is rendered for OCR";
    EXPECT_NE(pages.unreadable.find("a picture in optional content (/OC"), std::string::npos) << what << ": " << pages.unreadable;
  }
  // Text in such a layer: pdftotext does not read it (poppler shows the layers as the document
  // sets them), so the PDF is held for it; text in a layer that is on is read as any text.
  const auto text_off = read("/OC /L BDC BT /F1 12 Tf 72 600 Td (8109 8765 4321) Tj ET EMC", "<< /OFF [7 0 R] >>");
  const auto layers = std::find_if(text_off.begin(), text_off.end(), [](const ExtractedText& p) { return p.where == "p.pdf/layers"; });
  ASSERT_NE(layers, text_off.end()) << wheres(text_off);
  EXPECT_NE(layers->unreadable.find("text in optional content (/OC)"), std::string::npos) << layers->unreadable;
  const auto text_on = read("/OC /L BDC BT /F1 12 Tf 72 600 Td (8109 8765 4321) Tj ET EMC", "<< /ON [7 0 R] >>");
  EXPECT_TRUE(std::none_of(text_on.begin(), text_on.end(), [](const ExtractedText& p) { return p.where == "p.pdf/layers"; })) << wheres(text_on);
}

// Issue #17: a Type 3 font's glyph that draws a picture is judged at the size it is shown — its
// /FontMatrix, the font size, horizontal scaling, the text matrix and the CTM — instead of holding
// the page whatever its size. Held: shown at 4 pt (the card's 400 pixels in 4 pt), squeezed by Tz,
// rendered invisible (Tr 3) or as a clip only (Tr 7), through a /FontMatrix that is not six
// numbers, a Tm that is not, and text a form shows in the font it inherits (forms are read once,
// without it).
TEST(CdrExtract, PdfType3GlyphsThatArePicturesAreJudgedAtTheirSize) {
  const auto stream = [](const std::string& dict, const std::string& data) { return "<< " + dict + " /Length " + std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream"; };
  const std::string card = stream("/Type /XObject /Subtype /Image /Width 400 /Height 250 /ColorSpace /DeviceGray /BitsPerComponent 8", std::string(100000, '\x80'));
  // A Letter page showing `contents`, its font /T3 (object 4) with the matrix `font_matrix`, one
  // glyph /a (object 7) drawing the card over 1000 × 625 glyph units; /Fm (object 8) `form`.
  const auto read = [&](const std::string& contents, const std::string& font_matrix = "0.001 0 0 0.001 0 0", const std::string& form = "BT (a) Tj ET") {
    const std::string type3 = "<< /Type /Font /Subtype /Type3 /FontBBox [0 0 1000 1000] /FontMatrix [" + font_matrix + "] /CharProcs << /a 7 0 R >> "
                              "/Encoding << /Type /Encoding /Differences [97 /a] >> /FirstChar 97 /LastChar 97 /Widths [1000] /Resources << /XObject << /Im1 6 0 R >> >> >>";
    return extract_texts(testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                          "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /T3 4 0 R >> /XObject << /Fm 8 0 R >> >> /Contents 5 0 R >>",
                                          type3, stream("", contents), card, stream("", "1000 0 d0 q 1000 0 0 625 0 0 cm /Im1 Do Q"),
                                          stream("/Type /XObject /Subtype /Form /BBox [0 0 612 792]", form)}),
                         "p.pdf");
  };
  const std::vector<std::tuple<std::string, std::vector<ExtractedText>>> rendered = {
      {"400 pt", read("BT /T3 400 Tf 36 300 Td (a) Tj ET")},
      {"4 pt through a Tm of 100", read("BT /T3 4 Tf 100 0 0 100 36 300 Tm (a) Tj ET")},
      {"4 pt through a CTM of 100, saved and restored", read("q 100 0 0 100 0 0 cm BT /T3 4 Tf (a) Tj ET Q BT /T3 400 Tf (a) Tj ET")},
      {"set and not shown", read("BT /T3 4 Tf ET 0 0 612 792 re S BT /T3 400 Tf (a) Tj ET")},
  };
  for (const auto& [what, pieces] : rendered) {
    EXPECT_EQ(piece(pieces, "p.pdf/pages").pages, (std::vector<PdfPage>{{1, kPdfPageDpi}})) << what << ": " << piece(pieces, "p.pdf/pages").unreadable;
  }
  const std::vector<std::tuple<std::string, std::vector<ExtractedText>, std::string>> held = {
      {"4 pt", read("BT /T3 4 Tf 36 300 Td (a) Tj ET"), "% of its pixels"},
      {"squeezed by Tz 1", read("BT /T3 400 Tf 1 Tz 36 300 Td (a) Tj ET"), "% of its pixels"},
      {"a size restored by Q", read("/T3 4 Tf q /T3 400 Tf Q BT 36 300 Td (a) Tj ET"), "% of its pixels"},
      {"invisible", read("BT /T3 400 Tf 3 Tr 36 300 Td (a) Tj ET"), "the Type 3 font /T3 draws pictures as glyphs of text rendered invisible or as a clip (Tr 3)"},
      {"a clip", read("BT /T3 400 Tf 7 Tr (a) Tj ET"), "(Tr 7)"},
      {"a font matrix of five numbers", read("BT /T3 400 Tf (a) Tj ET", "0.001 0 0 0.001 0"), "not known"},
      {"a Tm of five numbers", read("BT /T3 400 Tf 1 0 0 1 0 Tm (a) Tj ET"), "not known"},
      {"text a form shows in the font it inherits", read("/T3 400 Tf /Fm Do"), "the Type 3 font /T3 it inherits"},
  };
  for (const auto& [what, pieces, why] : held) {
    const ExtractedText& pages = piece(pieces, "p.pdf/pages");
    EXPECT_TRUE(pages.pages.empty()) << what << ": the page is rendered for OCR";
    EXPECT_NE(pages.unreadable.find("not read by OCR: page 1: "), std::string::npos) << what << ": " << pages.unreadable;
    EXPECT_NE(pages.unreadable.find(why), std::string::npos) << what << ": " << pages.unreadable;
  }
}

// Issue #17 (M4): Do draws the XObject its operand names, not the last name the stream wrote:
// "/Im1 Do" draws Im1. An operator that names a resource with other operands than it takes is read
// differently by each reader (poppler drops the extra leading ones, MuPDF takes the last name
// written: "/Im1 0 Do" draws nothing in one and the card in the other), so the page is held
// (fix25, H6: before, "/Fm2 /Im1 Do" was taken to draw Im1 and "/Im1 0 Do" nothing, and
// "/F1 /F3 300 Tf" set /F1 where poppler sets the Type 3 font /F3 whose glyph is a card).
TEST(CdrExtract, PdfDoDrawsTheXObjectItsOperandNames) {
  const auto stream = [](const std::string& dict, const std::string& data) { return "<< " + dict + " /Length " + std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream"; };
  const std::string card = stream("/Type /XObject /Subtype /Image /Width 400 /Height 250 /ColorSpace /DeviceGray /BitsPerComponent 8", std::string(100000, '\x80'));
  const std::string shrinking_form = stream("/Type /XObject /Subtype /Form /BBox [0 0 400 250] /Matrix [0.01 0 0 0.01 0 0] /Resources << /XObject << /Im1 5 0 R >> >>",
                                            "q 400 0 0 250 0 0 cm /Im1 Do Q");
  const std::string type3 = "<< /Type /Font /Subtype /Type3 /FontBBox [0 0 1000 1000] /FontMatrix [0.001 0 0 0.001 0 0] /CharProcs << /a 7 0 R >> "
                            "/Encoding << /Type /Encoding /Differences [97 /a] >> /FirstChar 97 /LastChar 97 /Widths [1000] /Resources << /XObject << /Im1 5 0 R >> >> >>";
  const auto read = [&](const std::string& contents) {
    return extract_texts(testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                          "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im1 5 0 R /Fm2 6 0 R >> "
                                          "/Font << /F1 8 0 R /F3 9 0 R >> >> /Contents 4 0 R >>",
                                          stream("", contents), card, shrinking_form, stream("", "1000 0 d0 q 1000 0 0 625 0 0 cm /Im1 Do Q"),
                                          "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", type3}),
                         "p.pdf");
  };
  const auto im1 = read("q 400 0 0 250 36 300 cm /Im1 Do Q");
  EXPECT_EQ(piece(im1, "p.pdf/pages").pages, (std::vector<PdfPage>{{1, kPdfPageDpi}})) << piece(im1, "p.pdf/pages").unreadable;
  const auto fm2 = read("q 1 0 0 1 36 300 cm /Fm2 Do Q");
  EXPECT_NE(piece(fm2, "p.pdf/pages").unreadable.find("% of its pixels"), std::string::npos) << piece(fm2, "p.pdf/pages").unreadable;
  const auto plain_text = read("BT /F1 12 Tf 36 300 Td (a) Tj ET");
  EXPECT_TRUE(std::none_of(plain_text.begin(), plain_text.end(), [](const ExtractedText& p) { return p.where == "p.pdf/pages"; })) << wheres(plain_text);
  for (const std::string& contents : {std::string("q 10 0 0 10 36 300 cm /Im1 0 Do Q"), std::string("q 400 0 0 250 36 300 cm /Fm2 /Im1 Do Q"),
                                      std::string("q 1 0 0 1 36 300 cm /Im1 /Fm2 Do Q"), std::string("BT /F1 /F3 300 Tf 36 300 Td (a) Tj ET"),
                                      std::string("BT /F3 300 /F1 Tf 36 300 Td (a) Tj ET"), std::string("/Pattern cs /P1 0 scn 0 0 1 1 re f"), std::string("/G1 /G2 gs")}) {
    const auto pieces = read(contents);
    const ExtractedText& pages = piece(pieces, "p.pdf/pages");
    EXPECT_TRUE(pages.pages.empty()) << contents << ": the page is rendered for OCR";
    EXPECT_NE(pages.unreadable.find("operand(s) where it takes"), std::string::npos) << contents << ": " << pages.unreadable;
    EXPECT_NE(pages.unreadable.find("被演算子"), std::string::npos) << contents << ": " << pages.unreadable;
  }
}

// fix25 (review25a): a Letter page as the reviewer's attacks draw it. Objects: 4 the layer (an OCG,
// off in `config`), 5 the page's content, 6 Helvetica, 7 the card (400 × 250 grey pixels), 8 a form
// /Fm, 9 a Type 3 font /F3 whose glyph 'a' (object 10) is `glyph`, 11 an annotation, 12 its /AP /N,
// 13 its /D (or a stream of text, `down`, that no /AP names).
struct AttackedPage {
  std::string content;
  std::string form_resources = "<< /XObject << /Im1 7 0 R >> /Properties << /L 4 0 R >> >>";
  std::string form = " ";
  std::string glyph = "1000 0 d0";
  std::string annotation = "<< /Type /Annot /Subtype /Square /Rect [0 0 1 1] /F 4 >>";
  std::string appearance, down;
  std::string config = "<< /OFF [4 0 R] >>";
  std::string contents = "5 0 R";
  std::string catalog_extra;
  std::string page_resources = "/Font << /F1 6 0 R /F3 9 0 R >> /XObject << /Im1 7 0 R /Fm 8 0 R >> /Properties << /L 4 0 R >>";
};
std::vector<ExtractedText> read_attacked(const AttackedPage& d) {
  const auto stream = [](const std::string& dict, const std::string& data) { return "<< " + dict + " /Length " + std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream"; };
  const std::string type3 = "<< /Type /Font /Subtype /Type3 /FontBBox [0 0 1000 1000] /FontMatrix [0.001 0 0 0.001 0 0] /CharProcs << /a 10 0 R >> /Encoding << /Type /Encoding "
                            "/Differences [97 /a] >> /FirstChar 97 /LastChar 97 /Widths [1000] /Resources << /XObject << /Im1 7 0 R >> /Properties << /L 4 0 R >> >> >>";
  std::string annotation = d.annotation;
  if (!d.appearance.empty()) annotation.insert(annotation.size() - 2, " /AP << /N 12 0 R" + std::string(d.down.empty() ? "" : " /D 13 0 R") + " >>");
  const std::string form = "/Type /XObject /Subtype /Form /BBox [0 0 400 60] /Resources << /Font << /F1 6 0 R >> >>";
  return extract_texts(testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R /OCProperties << /OCGs [4 0 R] /D " + d.config + " >>" + d.catalog_extra + " >>",
                                        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << " + d.page_resources + " >> /Contents " + d.contents +
                                            " /Annots [11 0 R] >>",
                                        "<< /Type /OCG /Name (layer) >>", stream("", d.content), "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
                                        stream("/Type /XObject /Subtype /Image /Width 400 /Height 250 /ColorSpace /DeviceGray /BitsPerComponent 8", std::string(100000, '\x80')),
                                        stream("/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources " + d.form_resources, d.form), type3, stream("", d.glyph),
                                        annotation, stream(form, d.appearance.empty() ? " " : d.appearance), stream(form, d.down.empty() ? " " : d.down)}),
                       "a.pdf");
}
bool has_piece(const std::vector<ExtractedText>& pieces, const std::string& where) {
  return std::any_of(pieces.begin(), pieces.end(), [&](const ExtractedText& p) { return p.where == where; });
}
const std::string kAttackCard = "q 400 0 0 250 36 300 cm ";
const std::string kAttackText = "BT /F1 24 Tf 72 600 Td (123456789018) Tj ET";

// fix25 (review25a H1): poppler treats marked content under any tag that starts with "OC" as
// optional content (/OCX, /OCG), takes BDC's last two operands (/Span /OC /L BDC), and looks the
// properties up through the resources' chain. Text so marked in a layer that is off is not read by
// pdftotext and is named unread ("layers"); a picture holds the page. So does any BDC whose
// properties are a layer, whatever its tag; a BDC with other than two operands holds the page.
TEST(CdrExtract, PdfMarkedContentIsALayerAsReadersTakeIt) {
  for (const std::string& open : {std::string("/OC /L BDC "), std::string("/OCX /L BDC "), std::string("/OCG /L BDC "), std::string("/Span /L BDC "),
                                  std::string("/Span /OC /L BDC ")}) {
    AttackedPage text;
    text.content = open + kAttackText + " EMC";
    const auto read = read_attacked(text);
    const bool held = has_piece(read, "a.pdf/layers") || piece(read, "a.pdf/pages").unreadable.find("operand") != std::string::npos;
    EXPECT_TRUE(held) << open << wheres(read);
    AttackedPage picture;
    picture.content = kAttackCard + open + "/Im1 Do EMC Q";
    const auto pictured = read_attacked(picture);
    EXPECT_TRUE(piece(pictured, "a.pdf/pages").pages.empty()) << open << ": the page is rendered for OCR";
    EXPECT_NE(piece(pictured, "a.pdf/pages").unreadable.find("not read by OCR: page 1: "), std::string::npos) << open << wheres(pictured);
  }
  const auto extra = read_attacked([] {
    AttackedPage d;
    d.content = "/Span /OC /L BDC " + kAttackText + " EMC";
    return d;
  }());
  EXPECT_NE(piece(extra, "a.pdf/pages").unreadable.find("the operator BDC has 3 operand(s) where it takes a tag and properties"), std::string::npos) << wheres(extra);
  const auto layered = read_attacked([] {
    AttackedPage d;
    d.content = "/OCX /L BDC " + kAttackText + " EMC";
    return d;
  }());
  EXPECT_NE(piece(layered, "a.pdf/layers").unreadable.find("text in optional content"), std::string::npos) << wheres(layered);
  // The same marks with the layer on, and an unrelated tag: the text is read.
  for (const std::string& open : {std::string("/OCX /L BDC "), std::string("/Span /L BDC "), std::string("/Span << /MCID 0 >> BDC ")}) {
    AttackedPage on;
    on.config = "<< >>";
    on.content = open + kAttackText + " EMC";
    const auto read = read_attacked(on);
    EXPECT_FALSE(has_piece(read, "a.pdf/layers")) << open << wheres(read);
    EXPECT_FALSE(has_piece(read, "a.pdf/pages")) << open << wheres(read);
  }
  // A form's layer name it finds in the page's resources, as poppler looks it up.
  AttackedPage inherited;
  inherited.form_resources = "<< /XObject << /Im1 7 0 R >> >>";
  inherited.form = "/OC /L BDC " + kAttackText + " EMC";
  inherited.content = "/Fm Do";
  EXPECT_TRUE(has_piece(read_attacked(inherited), "a.pdf/layers")) << wheres(read_attacked(inherited));
}

// fix25 (review25a H2): qpdf and poppler end an inline image differently — poppler reads the
// image's rows, then goes on after the first "EI"; qpdf ends the data at an "EI" after which the
// stream reads as content. What follows an "EI" in the data (a card drawn, a layer opened), or
// what a short image's rows swallow, one reader runs and the other does not: the page is held.
TEST(CdrExtract, PdfInlineImagesWhoseEndReadersFindApartHoldThePage) {
  for (const std::string& data : {std::string("x EI) " + kAttackCard + "/Im1 Do Q 0 EI"), std::string("x EIq /OC /L BDC Q 0 EI " + kAttackText + " EMC"),
                                   std::string("x EI) /OC /L BDC 0 EI " + kAttackText + " EMC"),
                                   std::string("x EI /OC /L BDC ) 0 EI " + kAttackText + " EMC")}) {
    AttackedPage d;
    d.content = "BI /W 1 /H 1 /BPC 8 /CS /G ID " + data;
    const auto read = read_attacked(d);
    EXPECT_NE(piece(read, "a.pdf/pages").unreadable.find("an inline image (BI … ID … EI) whose end readers find in different places"), std::string::npos)
        << data << ": " << wheres(read);
  }
  // Ended alike at the first "EI" (what follows reads as content to qpdf too): the layer it opens is seen.
  AttackedPage alike;
  alike.content = "BI /W 1 /H 1 /BPC 8 /CS /G ID x EI/OC /L BDC 0 EI " + kAttackText + " EMC";
  EXPECT_TRUE(has_piece(read_attacked(alike), "a.pdf/layers")) << wheres(read_attacked(alike));
  // Rows poppler reads past qpdf's end (16 bytes, 3 given): the EMC after it is poppler's image data.
  AttackedPage short_rows;
  short_rows.content = "/OC /L BDC BI /W 4 /H 4 /BPC 8 /CS /G ID abc EI EMC " + kAttackText;
  EXPECT_NE(piece(read_attacked(short_rows), "a.pdf/pages").unreadable.find("shorter than its rows (16 bytes)"), std::string::npos) << wheres(read_attacked(short_rows));
  // A colour space whose components are not known: how many bytes poppler reads is not known.
  AttackedPage unknown_space;
  unknown_space.content = "BI /W 4 /H 4 /BPC 8 /CS /Nowhere ID " + std::string(16, 'a') + " EI " + kAttackText;
  EXPECT_NE(piece(read_attacked(unknown_space), "a.pdf/pages").unreadable.find("size in bytes"), std::string::npos) << wheres(read_attacked(unknown_space));
  // Inline images both readers end alike: rows of the size they say, hex data (no "EI" in it), the
  // card's own colours in RGB. A picture too small to read makes no page of pictures.
  for (const std::string& image : {std::string("BI /W 1 /H 1 /BPC 8 /CS /G ID x EI "), std::string("BI /W 2 /H 2 /BPC 8 /CS /RGB ID ") + std::string(12, 'z') + " EI ",
                                   std::string("BI /W 2 /H 2 /BPC 8 /CS /G /F /AHx ID 00ff00ff> EI "), std::string("BI /IM true /W 8 /H 2 ID ab EI ")}) {
    AttackedPage d;
    d.content = image + kAttackText;
    const auto read = read_attacked(d);
    EXPECT_FALSE(has_piece(read, "a.pdf/pages")) << image << ": " << wheres(read);
  }
}

// fix25 (review25a H3): text in an annotation's appearance the screen does not show — printed
// only (/F NoView|Print), hidden, a button's down appearance — is not what pdftotext reads: it is
// named unread ("annotations"). Shown on screen, it is read as any text.
TEST(CdrExtract, PdfTextInAppearancesTheScreenDoesNotShowIsNamedUnread) {
  const auto stamped = [](const std::string& flags, const std::string& down = "") {
    AttackedPage d;
    d.content = "0 0 612 792 re S";
    d.annotation = "<< /Type /Annot /Subtype /Stamp /Rect [36 500 436 560] /F " + flags + " >>";
    d.appearance = down.empty() ? kAttackText : "BT /F1 24 Tf 5 20 Td (Show) Tj ET";
    d.down = down;
    return read_attacked(d);
  };
  for (const auto& [what, pieces] : std::vector<std::pair<std::string, std::vector<ExtractedText>>>{
           {"printed only", stamped("36")}, {"hidden", stamped("2")}, {"a down appearance", stamped("4", kAttackText)}}) {
    EXPECT_NE(piece(pieces, "a.pdf/annotations").unreadable.find("text: 1 ページの注釈に"), std::string::npos) << what << ": " << wheres(pieces);
    EXPECT_NE(piece(pieces, "a.pdf/annotations").unreadable.find("page(s) 1 have annotations whose appearances the screen does not show"), std::string::npos) << what;
  }
  const auto shown = stamped("4");
  EXPECT_FALSE(has_piece(shown, "a.pdf/annotations")) << wheres(shown);
  // A check box's check mark (one ZapfDingbats glyph) in its state not shown, or in its down
  // appearance, holds nothing to read: the form is not held for it. Hidden annotations' glyphs add
  // up, as they print together.
  AttackedPage box;
  box.content = "0 0 612 792 re S";
  box.annotation = "<< /Type /Annot /Subtype /Widget /FT /Btn /T (c) /Rect [36 500 56 520] /F 4 /AS /Off >>";
  box.appearance = "BT /F1 12 Tf 2 2 Td (4) Tj ET";
  box.down = "BT /F1 12 Tf 2 2 Td (4) Tj ET";
  EXPECT_FALSE(has_piece(read_attacked(box), "a.pdf/annotations")) << wheres(read_attacked(box));
  AttackedPage two_digits = box;
  two_digits.down = "BT /F1 12 Tf 2 2 Td (12) Tj ET";
  EXPECT_FALSE(has_piece(read_attacked(two_digits), "a.pdf/annotations")) << "two bytes, under the three a number or mark needs";
  two_digits.down = "BT /F1 12 Tf 2 2 Td [(12) 5 (3)] TJ ET";
  EXPECT_TRUE(has_piece(read_attacked(two_digits), "a.pdf/annotations")) << wheres(read_attacked(two_digits));
}

// fix25 (review25a H4): a /Contents array with anything but streams (null, a missing object, a
// dictionary) is drawn as nothing by poppler — pdftotext reads nothing — and as the rest by
// other readers: the page is held, saying why.
TEST(CdrExtract, PdfContentsArraysWithOtherThanStreamsHoldThePage) {
  for (const std::string& junk : {std::string("null"), std::string("99 0 R"), std::string("6 0 R"), std::string("<< /Length 0 >>")}) {
    AttackedPage d;
    d.content = kAttackText;
    d.config = "<< >>";
    d.contents = "[5 0 R " + junk + "]";
    const auto read = read_attacked(d);
    EXPECT_TRUE(piece(read, "a.pdf/pages").pages.empty()) << junk;
    EXPECT_NE(piece(read, "a.pdf/pages").unreadable.find("item 2 of the page's /Contents array is not a content stream"), std::string::npos) << junk << ": " << wheres(read);
  }
  AttackedPage streams;
  streams.content = kAttackText;
  streams.contents = "[5 0 R 10 0 R]";
  EXPECT_FALSE(has_piece(read_attacked(streams), "a.pdf/pages")) << wheres(read_attacked(streams));
}

// fix25 (review25a H5): a Type 3 glyph whose picture (or text) is in a layer that is off: where the
// font's text is shown the page is held (picture) or the text named unread, as on the page itself.
TEST(CdrExtract, PdfType3GlyphsInALayerThatIsOffAreHeld) {
  AttackedPage shown;
  shown.glyph = "1000 0 d0 q 1000 0 0 625 0 0 cm /Im1 Do Q";
  shown.content = "BT /F3 300 Tf 36 300 Td (a) Tj ET";
  EXPECT_EQ(piece(read_attacked(shown), "a.pdf/pages").pages, (std::vector<PdfPage>{{1, kPdfPageDpi}}));
  AttackedPage off = shown;
  off.glyph = "1000 0 d0 q 1000 0 0 625 0 0 cm /OC /L BDC /Im1 Do EMC Q";
  const auto read = read_attacked(off);
  EXPECT_TRUE(piece(read, "a.pdf/pages").pages.empty()) << wheres(read);
  EXPECT_NE(piece(read, "a.pdf/pages").unreadable.find("a picture in optional content (/OC"), std::string::npos) << wheres(read);
  AttackedPage text = shown;
  text.glyph = "1000 0 d0 /OC /L BDC BT /F1 24 Tf (123456789018) Tj ET EMC";
  text.page_resources = "/Font << /F1 6 0 R /F3 9 0 R >>";
  EXPECT_TRUE(has_piece(read_attacked(text), "a.pdf/layers")) << wheres(read_attacked(text));
}

// fix25 (review25a H7, ActualText): pdftotext prints marked content's /ActualText instead of the
// glyphs a reader shows ("see attached" for 123456789018): such a page is rendered and read by OCR,
// as a page of pictures is. The same text marked without it is read by pdftotext alone.
TEST(CdrExtract, PdfTextReplacedByActualTextIsReadByOcr) {
  for (const std::string& marks : {std::string("/Span << /ActualText (see attached) >> BDC "), std::string("/Span /P1 BDC ")}) {
    AttackedPage d;
    d.config = "<< >>";
    d.page_resources = "/Font << /F1 6 0 R >> /Properties << /P1 << /ActualText (see attached) >> >>";
    d.content = marks + kAttackText + " EMC";
    const auto read = read_attacked(d);
    EXPECT_EQ(piece(read, "a.pdf/pages").pages, (std::vector<PdfPage>{{1, kPdfPageDpi}})) << marks << wheres(read);
    EXPECT_NE(piece(read, "a.pdf/pages").unreadable.find("show text pdftotext reads as other characters than those shown (/ActualText"), std::string::npos) << marks << wheres(read);
  }
  AttackedPage plain;
  plain.config = "<< >>";
  plain.content = "/Span << /Lang (ja) >> BDC " + kAttackText + " EMC";
  EXPECT_FALSE(has_piece(read_attacked(plain), "a.pdf/pages")) << wheres(read_attacked(plain));
}

// fix25 (review25a H7, ToUnicode): a simple font whose /ToUnicode maps the codes of digit glyphs
// to letters shows 123456789018 and reads "bcdefghijabi" in pdftotext: its page is read by OCR of
// the rendered page. A CMap that maps digits to digits, or a font without one, is trusted.
TEST(CdrExtract, PdfFontsWhoseToUnicodeMisreadsDigitsAreReadByOcr) {
  const auto stream = [](const std::string& dict, const std::string& data) { return "<< " + dict + " /Length " + std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream"; };
  const auto read = [&](const std::string& font_entries, const std::string& mappings) {
    const std::string cmap = "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Adobe-Identity-UCS def /CMapType 2 def 1 begincodespacerange <00> <FF> "
                             "endcodespacerange " + mappings + " endcmap CMapName currentdict /CMap defineresource pop end end";
    return extract_texts(testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                          "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
                                          "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R " + font_entries + " >>",
                                          stream("", "BT /F1 24 Tf 72 600 Td (123456789018) Tj ET"), stream("", cmap)}),
                         "t.pdf");
  };
  for (const auto& [what, pieces] : std::vector<std::pair<std::string, std::vector<ExtractedText>>>{
           {"digits to letters by a range", read("", "1 beginbfrange <30> <39> <0061> endbfrange")},
           {"one digit by a character", read("", "1 beginbfchar <35> <0053> endbfchar")},
           {"a range of destinations", read("", "1 beginbfrange <30> <31> [<0030> <006C>] endbfrange")},
           {"a digit named by /Differences", read("/Encoding << /Differences [65 /one] >>", "1 beginbfchar <41> <0041> endbfchar")}}) {
    EXPECT_EQ(piece(pieces, "t.pdf/pages").pages, (std::vector<PdfPage>{{1, kPdfPageDpi}})) << what << ": " << wheres(pieces);
    EXPECT_NE(piece(pieces, "t.pdf/pages").unreadable.find("a /ToUnicode that maps digits' glyphs to others"), std::string::npos) << what;
  }
  for (const auto& [what, pieces] : std::vector<std::pair<std::string, std::vector<ExtractedText>>>{
           {"digits to digits", read("", "1 beginbfrange <30> <39> <0030> endbfrange")},
           {"fullwidth digits", read("", "1 beginbfchar <31> <FF11> endbfchar")},
           {"letters only", read("", "1 beginbfrange <41> <5A> <0041> endbfrange")},
           {"a digit's code renamed by /Differences", read("/Encoding << /Differences [48 /a] >>", "1 beginbfchar <30> <0061> endbfchar")}}) {
    EXPECT_FALSE(has_piece(pieces, "t.pdf/pages")) << what << ": " << wheres(pieces);
  }
}

// fix25 (review25a M1): a form, pattern, glyph or appearance looks a name its own resources lack up
// in the resources it is drawn with, as poppler does: the page's card drawn by a form whose
// /Resources hold only a /ProcSet is counted, and the page rendered for OCR.
TEST(CdrExtract, PdfFormsFindNamesInTheirCallersResources) {
  AttackedPage d;
  d.form_resources = "<< /ProcSet [/PDF] >>";
  d.form = kAttackCard + "/Im1 Do Q";
  d.content = "/Fm Do";
  EXPECT_EQ(piece(read_attacked(d), "a.pdf/pages").pages, (std::vector<PdfPage>{{1, kPdfPageDpi}})) << wheres(read_attacked(d));
  AttackedPage stamp;
  stamp.content = "0 0 612 792 re S";
  stamp.annotation = "<< /Type /Annot /Subtype /Stamp /Rect [36 300 436 550] /F 4 >>";
  stamp.appearance = "q 400 0 0 60 0 0 cm /Im1 Do Q";  // the appearance's resources have fonts only
  EXPECT_EQ(piece(read_attacked(stamp), "a.pdf/pages").pages.size(), 1u) << wheres(read_attacked(stamp));
  // The same form drawn by two pages is read for each page's resources: one page without the card.
  const auto stream = [](const std::string& dict, const std::string& data) { return "<< " + dict + " /Length " + std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream"; };
  const auto two = extract_texts(
      testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
                       "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Fm 6 0 R >> >> /Contents 5 0 R >>",
                       "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Fm 6 0 R /Im1 7 0 R >> >> /Contents 5 0 R >>", stream("", "/Fm Do"),
                       stream("/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /ProcSet [/PDF] >>", kAttackCard + "/Im1 Do Q"),
                       stream("/Type /XObject /Subtype /Image /Width 400 /Height 250 /ColorSpace /DeviceGray /BitsPerComponent 8", std::string(100000, '\x80'))}),
      "b.pdf");
  EXPECT_EQ(piece(two, "b.pdf/pages").pages, (std::vector<PdfPage>{{2, kPdfPageDpi}})) << wheres(two);
}

// fix25 (review25a M2): a field's value held as a text stream (/V, read by a reader that lays the
// field out under NeedAppearances), rich text (/RV, /RC) and a script (/JS, whose alert a reader
// shows) are read as the text they hold.
TEST(CdrExtract, PdfValuesHeldAsStreamsAreRead) {
  for (const std::string& key : {std::string("/V"), std::string("/RV"), std::string("/RC"), std::string("/JS")}) {
    AttackedPage field;
    field.config = "<< >>";
    field.content = "0 0 612 792 re S";
    field.catalog_extra = " /AcroForm << /Fields [11 0 R] /NeedAppearances true >>";
    field.annotation = "<< /Type /Annot /Subtype /Widget /FT /Tx /T (no) " + key + " 13 0 R /Rect [36 500 436 560] /F 4 >>";
    field.down = "\xFE\xFF" + std::string("\0" "1\0" "2\0" "3\0" "4\0" "5\0" "6\0" "7\0" "8\0" "9\0" "0\0" "1\0" "8", 24);
    const auto read = read_attacked(field);
    EXPECT_NE(piece(read, "a.pdf").text.find(kNumber), std::string::npos) << key << ": " << piece(read, "a.pdf").text;
  }
  // A script the document opens with, its action a direct dictionary in the catalog.
  AttackedPage opened;
  opened.content = "0 0 612 792 re S";
  opened.catalog_extra = " /OpenAction << /S /JavaScript /JS 13 0 R >>";
  opened.down = "app.alert('" + kNumber + "');";
  EXPECT_NE(piece(read_attacked(opened), "a.pdf").text.find(kNumber), std::string::npos) << piece(read_attacked(opened), "a.pdf").text;
}

// A PDF's "pages" piece carries its PDF's digest, as the PDF's piece does, and an embedded PDF's
// its own: the outgoing check ties pages to the PDF they are of by it, never to the last PDF read.
TEST(CdrExtract, PdfPagesAreTiedToTheirPdfByItsDigest) {
  const auto stream = [](const std::string& dict, const std::string& data) { return "<< " + dict + " /Length " + std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream"; };
  const auto scan = [&](const std::string& embedded) {
    std::vector<std::string> objects = {"<< /Type /Catalog /Pages 2 0 R" + std::string(embedded.empty() ? "" : " /Names << /EmbeddedFiles << /Names [(inner.pdf) 7 0 R] >> >>") + " >>",
                                        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>",
                                        stream("", "q 400 0 0 250 36 300 cm /Im1 Do Q"),
                                        stream("/Type /XObject /Subtype /Image /Width 400 /Height 250 /ColorSpace /DeviceGray /BitsPerComponent 8", std::string(100000, '\x80'))};
    if (!embedded.empty()) {
      objects.push_back(stream("/Type /EmbeddedFile", embedded));
      objects.push_back("<< /Type /Filespec /F (inner.pdf) /UF (inner.pdf) /EF << /F 6 0 R >> >>");
    }
    return testing::pdf_of(objects);
  };
  const std::string inner = scan("");
  const auto read = extract_texts(scan(inner), "a.pdf");
  EXPECT_EQ(piece(read, "a.pdf").pdf_digest, sha256_hex(piece(read, "a.pdf").pdf));
  EXPECT_EQ(piece(read, "a.pdf/pages").pdf_digest, piece(read, "a.pdf").pdf_digest);
  EXPECT_EQ(piece(read, "a.pdf/inner.pdf/pages").pdf_digest, sha256_hex(inner)) << wheres(read);
  EXPECT_NE(piece(read, "a.pdf/inner.pdf/pages").pdf_digest, piece(read, "a.pdf/pages").pdf_digest);
}

// pdf_page_picture() renders at the page's dpi, whatever the page's size: a Letter page comes out
// 1700 × 2200 pixels (at 200 dpi; scaled to a longer side of 2400 it was 1855 × 2400, and a page
// 200 inches wide was shrunk to the same 2400 — what pdf_content() now keeps from OCR).
TEST(CdrExtract, PdfPagesAreRenderedAtAResolutionNotASize) {
  const std::string contents = "0 0 1 rg 72 72 144 144 re f";
  const std::string pdf = testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                           "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
                                           "<< /Length " + std::to_string(contents.size()) + " >>\nstream\n" + contents + "\nendstream"});
  auto png = pdf_page_picture(pdf, {1});
  ASSERT_TRUE(png) << png.error().message;
  ASSERT_GE(png->size(), 24u);
  ASSERT_EQ(png->substr(12, 4), "IHDR");
  const auto be32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>((*png)[at + i]);
    return v;
  };
  EXPECT_EQ(be32(16), 612u * kPdfPageDpi / 72);
  EXPECT_EQ(be32(20), 792u * kPdfPageDpi / 72);
  // At the dpi the page's pictures need (a 600 dpi scan: 300), and never outside the range
  // pdf_content() chooses from: the dpi crosses the sandbox boundary with the page.
  png = pdf_page_picture(pdf, {1, 300});
  ASSERT_TRUE(png) << png.error().message;
  ASSERT_GE(png->size(), 24u);
  EXPECT_EQ(be32(16), 612u * 300 / 72);
  EXPECT_EQ(be32(20), 792u * 300 / 72);
  for (const std::uint32_t dpi : {0u, 72u, static_cast<std::uint32_t>(kMostPdfPageDpi) + 1, 100000u}) {
    const auto refused = pdf_page_picture(pdf, {1, dpi});
    ASSERT_FALSE(refused) << dpi;
    EXPECT_EQ(refused.error().code, "cdr.pdf-page");
    EXPECT_NE(refused.error().message.find("is not rendered at " + std::to_string(dpi) + " dpi"), std::string::npos) << refused.error().message;
  }
}

// Issue #17: a small fine picture on a large page — a stamp scanned at 1200 dpi on an A1 drawing —
// needs 600 dpi, where the whole page is 279 million pixels: it was held. The region that holds
// it (its bounding box and half an inch around) is rendered at 600 dpi instead, wherever the page
// puts it: a page turned by /Rotate (each quarter), a MediaBox that does not start at 0 0, the
// stamp turned by the CTM (its region holds its bounding box). Each region, rendered by pdftoppm,
// holds the whole stamp with white around it: every black pixel it should, none on its edge.
TEST(CdrExtract, PdfFinePicturesOnLargePagesAreReadInRegions) {
  // The stamp: 1000 × 500 pixels of black (one bit each), 60 × 30 pt.
  const std::string stamp = "<< /Type /XObject /Subtype /Image /Width 1000 /Height 500 /ColorSpace /DeviceGray /BitsPerComponent 1 /Length 62500 >>\nstream\n" +
                            std::string(62500, '\0') + "\nendstream";
  const auto drawing = [&](const std::string& page_keys, const std::string& media, const std::string& draw) {
    const std::string contents = "q " + draw + " cm /Im1 Do Q BT /F1 12 Tf 100 100 Td (drawing 7) Tj ET";
    return testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                            "<< /Type /Page /Parent 2 0 R /MediaBox [" + media + "] " + page_keys +
                                " /Resources << /XObject << /Im1 4 0 R >> /Font << /F1 6 0 R >> >> /Contents 5 0 R >>",
                            stamp, "<< /Length " + std::to_string(contents.size()) + " >>\nstream\n" + contents + "\nendstream",
                            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"});
  };
  const std::string a1 = "0 0 1684 2384";
  struct Case {
    std::string what, page_keys, media, draw;
    double black;  // the stamp's area in pixels at 600 dpi
  };
  const double flat = 500.0 * 250;  // 60 × 30 pt at 600 dpi
  const std::vector<Case> cases = {
      {"on an A1 page", "", a1, "60 0 0 30 800 1200", flat},
      {"turned a quarter (/Rotate 90)", "/Rotate 90", a1, "60 0 0 30 800 1200", flat},
      {"turned half (/Rotate 180)", "/Rotate 180", a1, "60 0 0 30 800 1200", flat},
      {"turned back a quarter (/Rotate -90)", "/Rotate -90", a1, "60 0 0 30 800 1200", flat},
      {"on a page whose MediaBox starts at 500 700", "", "500 700 2184 3084", "60 0 0 30 1300 1900", flat},
      {"the stamp turned 30°", "", a1, "51.96 30 -15 25.98 800 1200", flat},
  };
  for (const Case& c : cases) {
    const auto pieces = extract_texts(drawing(c.page_keys, c.media, c.draw), "d.pdf");
    const ExtractedText& pages = piece(pieces, "d.pdf/pages");
    ASSERT_EQ(pages.pages.size(), 1u) << c.what << ": " << pages.unreadable;
    const PdfPage& part = pages.pages[0];
    ASSERT_TRUE(part.region) << c.what << ": an A1 page at 200 dpi is larger than the budget: no whole page";
    EXPECT_EQ(part.number, 1u);
    EXPECT_GE(part.dpi, 600u) << c.what << ": half the stamp's 1200 dpi";
    EXPECT_LE(part.dpi, 601u) << c.what;
    EXPECT_LE(static_cast<double>(part.region->width) * part.region->height, kMostPdfPagePixels) << c.what;
    const bool turned = c.page_keys.find("90") != std::string::npos;
    EXPECT_EQ(part.region->page_width, (turned ? 2384u : 1684u) * part.dpi / 72) << c.what;
    EXPECT_EQ(part.region->page_height, (turned ? 1684u : 2384u) * part.dpi / 72) << c.what;
    const auto png = pdf_page_picture(piece(pieces, "d.pdf").pdf, part);
    ASSERT_TRUE(png) << c.what << ": " << png.error().message;
    internal::image::Observed seen;
    const auto picture = internal::image::decode_png(*png, 100'000'000, seen);
    ASSERT_TRUE(picture) << c.what;
    ASSERT_EQ(picture->width, part.region->width) << c.what;
    ASSERT_EQ(picture->height, part.region->height) << c.what;
    double black = 0;
    bool on_edge = false;
    for (std::uint32_t y = 0; y < picture->height; ++y) {
      for (std::uint32_t x = 0; x < picture->width; ++x) {
        if (picture->pixels[(static_cast<std::size_t>(y) * picture->width + x) * static_cast<std::size_t>(picture->channels)] >= 128) continue;
        ++black;
        on_edge = on_edge || x == 0 || y == 0 || x + 1 == picture->width || y + 1 == picture->height;
      }
    }
    EXPECT_GT(black, c.black * 0.97) << c.what << ": the region holds the whole stamp";
    EXPECT_LT(black, c.black * 1.03 + 2000) << c.what;
    EXPECT_FALSE(on_edge) << c.what << ": white around it";
  }
  // An A2 page (3307 × 4677 pixels at 200 dpi) fits whole at 200 dpi but not at 600: the page
  // whole, as a reader sees it, and the stamp's region at 600 dpi.
  const auto a2 = extract_texts(drawing("", "0 0 1191 1684", "60 0 0 30 800 1200"), "d.pdf");
  const ExtractedText& both = piece(a2, "d.pdf/pages");
  ASSERT_EQ(both.pages.size(), 2u) << both.unreadable;
  EXPECT_EQ(both.pages[0], (PdfPage{1, kPdfPageDpi})) << "the page whole";
  EXPECT_TRUE(both.pages[1].region) << "the stamp apart";
  EXPECT_GE(both.pages[1].dpi, 600u);
}

// A region larger than kMostPdfPagePixels at its dpi is cut into strips one above the other, each
// within the budget and the region's full width, overlapping by kPdfTileOverlap (an inch: at 600
// dpi 600 pixels); a page whose regions would take more than kMostPdfPageParts parts is held,
// saying so — and so is one whose region only tiles side by side would fit: a seam across a line of
// text cuts a number longer than the overlap in two (review25b H4). Judged before any rendering.
TEST(CdrExtract, PdfRegionsLargerThanTheBudgetAreTiledOrHeld) {
  const auto drawing = [](int pixels_across, int pixels_down, const std::string& draw, const std::string& media = "1684 2384") {
    const std::string contents = "q " + draw + " cm /Im1 Do Q";
    return extract_texts(testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                          "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 " + media + "] /Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>",
                                          "<< /Type /XObject /Subtype /Image /Width " + std::to_string(pixels_across) + " /Height " + std::to_string(pixels_down) +
                                              " /ColorSpace /DeviceGray /BitsPerComponent 1 /Length 1 >>\nstream\n\xFF\nendstream",
                                          "<< /Length " + std::to_string(contents.size()) + " >>\nstream\n" + contents + "\nendstream"}),
                         "d.pdf");
  };
  // A scan strip of 9 × 5 inches at 1200 dpi: its region, 10 × 6 inches at 600 dpi, is 21.6 million pixels.
  const auto strip = drawing(10800, 6000, "648 0 0 360 400 1000");
  const ExtractedText& tiled = piece(strip, "d.pdf/pages");
  ASSERT_GE(tiled.pages.size(), 2u) << tiled.unreadable;
  ASSERT_LE(tiled.pages.size(), kMostPdfPageParts);
  std::uint64_t left = UINT64_MAX, right = 0, top = UINT64_MAX, bottom = 0;
  for (const PdfPage& tile : tiled.pages) {
    ASSERT_TRUE(tile.region);
    EXPECT_GE(tile.dpi, 600u);
    EXPECT_LE(static_cast<double>(tile.region->width) * tile.region->height, kMostPdfPagePixels);
    left = std::min<std::uint64_t>(left, tile.region->x), right = std::max<std::uint64_t>(right, tile.region->x + tile.region->width);
    top = std::min<std::uint64_t>(top, tile.region->y), bottom = std::max<std::uint64_t>(bottom, tile.region->y + tile.region->height);
  }
  // Together they cover the region; neighbours overlap by an inch.
  EXPECT_LE(left, 400u * 600 / 72 - 300);
  EXPECT_GE(right, 1048u * 600 / 72 + 300);
  for (std::size_t i = 0; i + 1 < tiled.pages.size(); ++i) {
    const PdfRegion& a = *tiled.pages[i].region;
    const PdfRegion& b = *tiled.pages[i + 1].region;
    const bool beside = a.y == b.y;
    const std::uint64_t overlap = beside ? a.x + a.width - b.x : a.y + a.height - b.y;
    EXPECT_GE(overlap, 600u) << "tiles " << i << " and " << i + 1;
    EXPECT_FALSE(beside) << "tiles " << i << " and " << i + 1 << " side by side: a seam across a line of text";
    EXPECT_EQ(a.x, b.x);
    EXPECT_EQ(a.width, b.width);
  }
  // review25b H4: a banner of 48000 × 1200 pixels drawn at 2880 × 72 pt (1200 dpi) on an A0 page
  // turned landscape. Its region, 2952 × 144 pt at 600 dpi, fits in two tiles side by side, whose
  // seam would cut a 12-digit number (92 pt at 12 pt) on it so that neither reads it whole; strips
  // of its full width fit in no 4 parts. Held, saying why.
  const auto banner = drawing(48000, 1200, "2880 0 0 72 100 1000", "3370 2384");
  const ExtractedText& wide = piece(banner, "d.pdf/pages");
  EXPECT_TRUE(wide.pages.empty()) << wide.pages.size() << " parts";
  EXPECT_NE(wide.unreadable.find("read in parts, its pictures' regions would take more than the 4 parts of up to 18000000 pixels a page is read in"), std::string::npos)
      << wide.unreadable;
  // The whole A1 page scanned at 4000 dpi: 2000 dpi, some 3 billion pixels in regions.
  const auto whole = drawing(93555, 132444, "1684 0 0 2384 0 0");
  const ExtractedText& held = piece(whole, "d.pdf/pages");
  EXPECT_TRUE(held.pages.empty());
  EXPECT_NE(held.unreadable.find("not read by OCR: page 1: "), std::string::npos) << held.unreadable;
  EXPECT_NE(held.unreadable.find("read in parts, its pictures' regions would take more than the 4 parts of up to 18000000 pixels a page is read in"), std::string::npos)
      << held.unreadable;
}

// pdf_page_picture() renders a region of a page (pdftoppm -x -y -W -H), checked where it crosses
// the sandbox boundary: empty, larger than the budget, or outside the page the reader measured, it
// is not rendered (pdftoppm renders the whole page for a region outside it); one inside that page
// but outside poppler's (the reader lied, or the two measure the page differently) comes out at
// another size and is refused too.
TEST(CdrExtract, PdfPageRegionsAreCheckedWhereTheyCrossTheSandboxBoundary) {
  const std::string contents = "0 0 1 rg 72 72 144 144 re f";
  const std::string pdf = testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                           "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
                                           "<< /Length " + std::to_string(contents.size()) + " >>\nstream\n" + contents + "\nendstream"});
  const auto png = pdf_page_picture(pdf, {1, 600, PdfRegion{100, 200, 300, 400, 5100, 6600}});
  ASSERT_TRUE(png) << png.error().message;
  internal::image::Observed seen;
  const auto picture = internal::image::decode_png(*png, 10'000'000, seen);
  ASSERT_TRUE(picture);
  EXPECT_EQ(picture->width, 300u);
  EXPECT_EQ(picture->height, 400u);
  for (const auto& [what, region, why] : std::vector<std::tuple<std::string, PdfRegion, std::string>>{
           {"empty", {0, 0, 0, 0, 5100, 6600}, "its region is empty"},
           {"over the budget", {0, 0, 5000, 4000, 5100, 6600}, "is larger than the 18000000 a part is rendered in"},
           {"outside its page", {5000, 0, 200, 200, 5100, 6600}, "is not inside the page of 5100 × 6600 pixels"},
           {"on a page larger than any", {0, 0, 100, 100, 500000, 6600}, "is not inside the page of 500000 × 6600 pixels"},
           {"where poppler's page is not", {5200, 0, 100, 100, 6000, 6600}, "not the 100 × 100 asked for"},
       }) {
    const auto refused = pdf_page_picture(pdf, {1, 600, region});
    ASSERT_FALSE(refused) << what;
    EXPECT_EQ(refused.error().code, "cdr.pdf-page") << what;
    EXPECT_NE(refused.error().message.find(why), std::string::npos) << what << ": " << refused.error().message;
  }
}

// Issue #17 (H7): a number drawn as shapes — each glyph's outline a filled subpath, or stroked as a
// pen draws it — has no character pdftotext reads, and the page passed unread. Twelve shapes the
// size of glyphs or more (a box under an inch both ways) make a page read by OCR like a page of
// pictures: drawn on the page, by a form that shrinks them to size, or as a Type 3 font's glyphs.
// A table's rules (long thin rectangles, straight strokes, stroked cells) and a few shapes (a
// logo) do not.
TEST(CdrExtract, PdfTextDrawnAsOutlinesIsReadByOcr) {
  const auto outlines = testing::outlines_of("1234 5678 9018", 150, 40);
  ASSERT_GE(outlines.size(), 12u) << "the test could not lay out its glyphs";
  const auto stream = [](const std::string& dict, const std::string& data) { return "<< " + dict + " /Length " + std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream"; };
  const auto read = [&](const std::string& contents, const std::string& form = " ") {
    return extract_texts(testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                          "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Fm 5 0 R >> >> /Contents 4 0 R >>",
                                          stream("", contents), stream("/Type /XObject /Subtype /Form /BBox [0 0 6120 7920]", form)}),
                         "o.pdf");
  };
  const std::vector<std::pair<std::string, std::vector<ExtractedText>>> outlined = {
      {"filled", read("0 g " + testing::pdf_path_of(outlines, 150, 792, "f"))},
      {"filled even-odd, then filled and stroked", read("0 g " + testing::pdf_path_of(outlines, 150, 792, "f*") + testing::pdf_path_of(outlines, 150, 792, "B"))},
      {"stroked", read("0.6 w " + testing::pdf_path_of(outlines, 150, 792, "S"))},
      {"by a form ten times their size, shrunk", read("q 0.1 0 0 0.1 0 0 cm /Fm Do Q", testing::pdf_path_of(outlines, 150, 7920, "f", 10))},
  };
  for (const auto& [what, pieces] : outlined) {
    const ExtractedText& pages = piece(pieces, "o.pdf/pages");
    // The page whole, at the dpi its smallest glyph-like cells need (a stroke's outline has finer ones).
    ASSERT_EQ(pages.pages.size(), 1u) << what << ": " << wheres(pieces);
    EXPECT_EQ(pages.pages[0].number, 1u) << what;
    EXPECT_FALSE(pages.pages[0].region) << what;
    EXPECT_GE(pages.pages[0].dpi, static_cast<std::uint32_t>(kPdfPageDpi)) << what;
    EXPECT_NE(pages.unreadable.find("shapes the size of glyphs (text drawn as outlines or strokes)"), std::string::npos) << what << ": " << pages.unreadable;
  }
  // As a Type 3 font's glyphs: one filled shape a glyph, twelve glyphs shown.
  AttackedPage type3;
  type3.glyph = "1000 0 d0 100 0 m 600 0 l 600 700 l 350 700 l 100 400 l h f";
  type3.content = "BT /F3 24 Tf 72 600 Td (aaaaaaaaaaaa) Tj ET";
  const auto glyphs = read_attacked(type3);
  EXPECT_NE(piece(glyphs, "a.pdf/pages").unreadable.find("shapes the size of glyphs"), std::string::npos) << wheres(glyphs);
  EXPECT_FALSE(piece(glyphs, "a.pdf/pages").pages.empty()) << wheres(glyphs);
  // A table: 30 rows of cells 100 × 20 pt, stroked as rectangles, ruled by thin filled rectangles
  // and by straight strokes; a logo of three shapes; the glyphs shrunk to specks. (Grown past an
  // inch they are read: a poster's digits are glyphs too, review27 M1.)
  std::string table;
  for (int row = 0; row < 30; ++row) {
    for (int column = 0; column < 4; ++column) table += std::to_string(50 + column * 100) + " " + std::to_string(100 + row * 20) + " 100 20 re ";
    table += "S 50 " + std::to_string(100 + row * 20) + " 400 0.5 re f 50 " + std::to_string(110 + row * 20) + " m 450 " + std::to_string(110 + row * 20) + " l S\n";
  }
  for (int column = 0; column < 20; ++column) table += std::to_string(50 + column * 20) + " 700 0.4 30 re ";
  table += "f 500 700 m 540 700 l 520 730 l h f 500 650 20 20 re f 530 650 m 550 650 l 540 670 l h S\n";
  for (const auto& [what, contents] : std::vector<std::pair<std::string, std::string>>{
           {"a table and a logo", table},
           {"glyphs a tenth of a point high", "q 0.01 0 0 0.01 0 0 cm " + testing::pdf_path_of(outlines, 150, 79200, "f") + "Q"}}) {
    const auto pieces = read(contents);
    EXPECT_FALSE(has_piece(pieces, "o.pdf/pages")) << what << ": " << wheres(pieces);
  }
  const auto grown = read(testing::pdf_path_of(outlines, 150, 792, "f", 20));
  EXPECT_FALSE(piece(grown, "o.pdf/pages").pages.empty()) << "glyphs twenty times their size: " << wheres(grown);
}

// The glyph ids of a TrueType program with only a 'cmap' table (format 4, Windows Unicode) that gives
// U+0030–0039 the glyphs `first`…`first` + 9.
std::string truetype_with_digits_at(int first) {
  const auto u16 = [](int v) { return std::string{static_cast<char>((v >> 8) & 0xFF), static_cast<char>(v & 0xFF)}; };
  const auto u32 = [&](std::uint32_t v) { return u16(static_cast<int>(v >> 16)) + u16(static_cast<int>(v & 0xFFFF)); };
  const std::string subtable = u16(4) + u16(32) + u16(0) + u16(4) + u16(4) + u16(1) + u16(0) + u16(0x39) + u16(0xFFFF) + u16(0) + u16(0x30) + u16(0xFFFF) +
                               u16((first - 0x30) & 0xFFFF) + u16(1) + u16(0) + u16(0);
  const std::string cmap = u16(0) + u16(1) + u16(3) + u16(1) + u32(12) + subtable;
  return u32(0x00010000) + u16(1) + u16(16) + u16(0) + u16(0) + "cmap" + u32(0) + u32(28) + u32(static_cast<std::uint32_t>(cmap.size())) + cmap;
}

// Issue #17: a composite (Type0) font's /ToUnicode was not judged: a CID font whose CMap reads its
// digits' glyphs as letters (or a letter's glyph as a digit: "A123456789018" reads 13 digits) hid a
// number from pdftotext. Its glyphs are known from its character collection (Adobe-Japan1's digits
// are CIDs 17–26, 247–256, 780–789), or from an embedded TrueType program's 'cmap' through
// /CIDToGIDMap; codes through Identity-H or an embedded CMap's cidrange. A bfrange runs over the
// codes it spans as poppler reads it, its destination's value growing past a byte. (A font whose
// glyphs cannot be known — an Identity ordering with no Unicode 'cmap' to read — is not judged:
// cairo's and Acrobat's subsets are such —, one with an embedded program of Identity encoding
// whose 'cmap' is only its own claim, are judged by their glyph sheet: pdf_glyphs_test.cc.)
TEST(CdrExtract, PdfCompositeFontsWhoseToUnicodeMisreadsDigitsAreReadByOcr) {
  const auto stream = [](const std::string& dict, const std::string& data) { return "<< " + dict + " /Length " + std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream"; };
  const auto cmap = [](const std::string& body) {
    return "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Test def /CMapType 2 def 1 begincodespacerange <0000> <FFFF> endcodespacerange " + body +
           " endcmap CMapName currentdict /CMap defineresource pop end end";
  };
  struct Font {
    std::string encoding = "/Identity-H", cid_font = "/Subtype /CIDFontType0 /BaseFont /HeiseiMin-W3 /CIDSystemInfo << /Registry (Adobe) /Ordering (Japan1) /Supplement 2 >>";
    std::string shown = "<00120013001400150016001700180019001A0012001100190019> Tj";
    std::string program;  // the TrueType program (object 8), when the CID font names it
    std::string gid_map;  // a /CIDToGIDMap stream (object 9)
  };
  const auto read = [&](const Font& f, const std::string& to_unicode) {
    const std::string contents = "BT /F1 24 Tf 72 600 Td " + f.shown + " ET";
    const std::string descriptor = "/FontDescriptor << /Type /FontDescriptor /FontName /X /Flags 4 /FontBBox [0 0 1000 1000] /ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80" +
                                   std::string(f.program.empty() ? "" : " /FontFile2 8 0 R") + " >>";
    return extract_texts(testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                          "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
                                          stream("", contents),
                                          "<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding " + f.encoding + " /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
                                          "<< /Type /Font " + f.cid_font + " " + descriptor + (f.gid_map.empty() ? "" : " /CIDToGIDMap 9 0 R") + " >>",
                                          stream("", cmap(to_unicode)), stream("", f.program.empty() ? " " : f.program), stream("", f.gid_map.empty() ? " " : f.gid_map)}),
                         "c.pdf");
  };
  Font japan1;
  Font identity = japan1;
  identity.cid_font = "/Subtype /CIDFontType2 /BaseFont /X /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>";
  Font truetype = identity;  // the digits' glyphs 0x100–0x109: CIDs through /CIDToGIDMap
  truetype.program = truetype_with_digits_at(0x100);
  Font mapped = truetype;  // CIDs 1–10 are glyphs 0x100–0x109
  for (int cid = 0; cid <= 10; ++cid) mapped.gid_map += cid == 0 ? std::string(2, '\0') : std::string{'\x01', static_cast<char>(cid - 1)};
  // One-byte codes through an embedded CMap: <30>–<39> are CIDs 17–26.
  const auto read_bytes = [&](const std::string& to_unicode) {
    const std::string encoding = stream("/Type /CMap /CMapName /Bytes /CIDSystemInfo << /Registry (Adobe) /Ordering (Japan1) /Supplement 2 >>",
                                        "begincmap 1 begincodespacerange <00> <FF> endcodespacerange 1 begincidrange <30> <39> 17 endcidrange endcmap");
    const std::string contents = "BT /F1 24 Tf 72 600 Td (123456789018) Tj ET";
    return extract_texts(testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                          "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
                                          stream("", contents), "<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding 8 0 R /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
                                          "<< /Type /Font " + japan1.cid_font + " >>", stream("", cmap(to_unicode)), encoding}),
                         "c.pdf");
  };
  for (const auto& [what, pieces] : std::vector<std::pair<std::string, std::vector<ExtractedText>>>{
           {"Japan1's digits to letters", read(japan1, "1 beginbfrange <0011> <001A> <0061> endbfrange")},
           {"Japan1's fullwidth 4 (CID 784) to S", read(japan1, "1 beginbfchar <0310> <0053> endbfchar")},
           {"Japan1's A (CID 34) read as 5", read(japan1, "2 beginbfrange <0011> <001A> <0030> <0022> <0022> <0035> endbfrange")},
           {"a letter's glyph read as two digits", read(japan1, "1 beginbfchar <0022> <00310032> endbfchar")},
           {"one-byte codes through cidrange, to letters", read_bytes("1 beginbfrange <30> <39> <0061> endbfrange")}}) {
    EXPECT_EQ(piece(pieces, "c.pdf/pages").pages, (std::vector<PdfPage>{{1, kPdfPageDpi}})) << what << ": " << wheres(pieces);
    EXPECT_NE(piece(pieces, "c.pdf/pages").unreadable.find("a /ToUnicode that maps digits' glyphs to others"), std::string::npos) << what;
  }
  for (const auto& [what, pieces] : std::vector<std::pair<std::string, std::vector<ExtractedText>>>{
           {"Japan1's digits to digits", read(japan1, "2 beginbfrange <0011> <001A> <0030> <0022> <003B> <0041> endbfrange")},
           {"Japan1's fullwidth digits", read(japan1, "1 beginbfrange <030C> <0315> <FF10> endbfrange")},
           {"one-byte codes through cidrange, to digits", read_bytes("1 beginbfrange <30> <39> <0030> endbfrange")}}) {
    EXPECT_FALSE(has_piece(pieces, "c.pdf/pages")) << what << ": " << wheres(pieces);
  }
  // An embedded program of Identity encoding: which glyph is a digit only its rendering tells (a
  // renderer never reads its 'cmap': review27 H4). Not judged page by page: its ten codes go on one
  // glyph sheet with pdftotext's reading of each, which the outgoing check reads by OCR
  // (tests/mail/pdf_glyphs_test.cc); page 1 is read by OCR should it misread.
  for (const auto& [what, pieces, read_of_0x12] : std::vector<std::tuple<std::string, std::vector<ExtractedText>, std::string>>{
           {"a TrueType's digits to letters", read(truetype, "1 beginbfrange <0012> <001A> <0061> endbfrange"), "a"},
           {"a range over the byte's end, one off", read(truetype, "1 beginbfrange <00FA> <0119> <002B> endbfrange"), ""},
           {"through /CIDToGIDMap, digits to letters", read(mapped, "1 beginbfrange <0001> <001A> <0061> endbfrange"), "r"},
           {"a TrueType's digits to digits", read(truetype, "1 beginbfrange <0011> <001A> <0030> endbfrange"), "1"},
           {"through /CIDToGIDMap, digits to digits", read(mapped, "1 beginbfrange <0011> <001A> <0030> endbfrange"), "1"}}) {
    const ExtractedText& pages = piece(pieces, "c.pdf/pages");
    EXPECT_TRUE(pages.pages.empty()) << what << ": " << pages.unreadable;
    ASSERT_EQ(pages.glyph_sheets.size(), 1u) << what;
    ASSERT_EQ(pages.glyph_sheets[0].fonts.size(), 1u) << what;
    const GlyphFont& font = pages.glyph_sheets[0].fonts[0];
    EXPECT_EQ(font.pages, (std::vector<PdfPage>{{1, kPdfPageDpi}})) << what;
    ASSERT_EQ(font.cells.size(), 10u) << what;  // codes 0x11–0x1A
    EXPECT_EQ(font.cells[1].code, 0x12) << what;
    EXPECT_EQ(font.cells[1].read_known, !read_of_0x12.empty()) << what;
    EXPECT_EQ(font.cells[1].read, read_of_0x12) << what;
  }
}

// Issue #17: a page's thumbnail (/Thumb) and an image's alternates (/Alternates) are pictures a
// reader shows (the thumbnail beside the page, an alternate printed in the image's place) that
// the page's rendering does not: each is read by OCR as a PDF of its own, as an image's mask is.
TEST(CdrExtract, PdfThumbnailsAndAlternateImagesAreReadAsPicturesOfTheirOwn) {
  const auto stream = [](const std::string& dict, const std::string& data) { return "<< " + dict + " /Length " + std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream"; };
  const std::string card = stream("/Type /XObject /Subtype /Image /Width 400 /Height 250 /ColorSpace /DeviceGray /BitsPerComponent 8", std::string(100000, '\x80'));
  const std::string contents = "BT /F1 12 Tf 72 700 Td (A letter.) Tj ET q 40 0 0 25 72 600 cm /Im1 Do Q";
  const auto pieces = extract_texts(testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                                     "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Thumb 7 0 R /Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> "
                                                     "/Contents 4 0 R >>",
                                                     stream("", contents), "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
                                                     stream("/Type /XObject /Subtype /Image /Width 4 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8 /Alternates [<< /Image 8 0 R >>]", "\x80\x80\x80\x80"),
                                                     card, card}),
                                    "t.pdf");
  for (const std::string& name : {std::string("t.pdf/thumbnail 7.pdf"), std::string("t.pdf/alternate 8.pdf")}) {
    ASSERT_TRUE(has_piece(pieces, name)) << wheres(pieces);
    EXPECT_EQ(piece(pieces, name + "/pages").pages, (std::vector<PdfPage>{{1, kPdfPageDpi}})) << name << ": " << wheres(pieces);
  }
  EXPECT_FALSE(has_piece(pieces, "t.pdf/pages")) << "the page itself draws a rule one pixel high: " << wheres(pieces);
}

// Issue #17 (M1): a number half typed and half in a fine picture on a large page — "1234 5678"
// typed and "9018" in a 1200 dpi stamp beside it — was read apart: the stamp's region (its box and
// half an inch) holds half a number, and pdftotext the other half. On a page with typed text a
// region reaches 3 inches further along its lines each way (across for lines across, down for
// lines running down: text turned a quarter, or a vertical font); on a page without text a region
// stays the picture's box.
TEST(CdrExtract, PdfRegionsOnPagesWithTextAreBandsAlongTheLines) {
  const std::string stamp = "<< /Type /XObject /Subtype /Image /Width 1000 /Height 500 /ColorSpace /DeviceGray /BitsPerComponent 1 /Length 1 >>\nstream\n" + std::string(1, '\0') +
                            "\nendstream";
  const auto drawing = [&](const std::string& text) {
    const std::string contents = "q 60 0 0 30 800 1200 cm /Im1 Do Q " + text;
    return extract_texts(testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                          "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 1684 2384] /Resources << /XObject << /Im1 4 0 R >> /Font << /F1 6 0 R >> >> /Contents 5 0 R >>",
                                          stamp, "<< /Length " + std::to_string(contents.size()) + " >>\nstream\n" + contents + "\nendstream",
                                          "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}),
                         "d.pdf");
  };
  struct Case {
    std::string what, text;
    bool across, down;
  };
  for (const Case& c : std::vector<Case>{{"typed across", "BT /F1 12 Tf 740 1205 Td (1234 5678) Tj ET", true, false},
                                         {"typed down (turned a quarter)", "BT /F1 12 Tf 0 1 -1 0 815 1100 Tm (1234 5678) Tj ET", false, true},
                                         {"no text", "", false, false}}) {
    const auto pieces = drawing(c.text);
    const ExtractedText& pages = piece(pieces, "d.pdf/pages");
    ASSERT_FALSE(pages.pages.empty()) << c.what << ": " << pages.unreadable;
    // The stamp is 800–860 × 1200–1230 pt; its box and half an inch, 764–896 × 1164–1266 pt; and
    // 216 pt more along the lines: 548–1112 across, 948–1482 up the page (from the top, 2384 pt
    // down: 902–1436). In pixels at 600 dpi, 25 / 3 a point.
    std::uint64_t left = UINT64_MAX, right = 0, top = UINT64_MAX, bottom = 0;
    for (const PdfPage& part : pages.pages) {
      ASSERT_TRUE(part.region) << c.what;
      left = std::min<std::uint64_t>(left, part.region->x), right = std::max<std::uint64_t>(right, part.region->x + part.region->width);
      top = std::min<std::uint64_t>(top, part.region->y), bottom = std::max<std::uint64_t>(bottom, part.region->y + part.region->height);
    }
    const auto pixels = [](double points) { return static_cast<std::uint64_t>(points * 25 / 3); };
    EXPECT_LE(left, pixels(c.across ? 548 : 764)) << c.what;
    EXPECT_GE(right, pixels(c.across ? 1112 : 896) - 1) << c.what;
    EXPECT_LE(top, pixels(c.down ? 902 : 1118)) << c.what;
    EXPECT_GE(bottom, pixels(c.down ? 1436 : 1220) - 1) << c.what;
    EXPECT_GT(left, pixels(c.across ? 540 : 750)) << c.what << ": no further";
    EXPECT_GT(top, pixels(c.down ? 890 : 1100)) << c.what << ": no further";
  }
}

}  // namespace
}  // namespace sanso::cdr
