// The outgoing check's glyph sheet (cdr::GlyphSheet): fonts whose glyphs only their own program
// knows — a composite font of Identity encoding, embedded — are judged by OCR of their glyphs drawn
// on one sheet, not page by page (review27 H4 and M2). A font whose digits pdftotext reads as other
// characters, or not at all, has its pages read by OCR; an honest cairo-printed document costs one
// OCR pass and is not held.
#include <cairo-pdf.h>
#include <gmime/gmime.h>
#include <gtest/gtest.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <tuple>
#include <string>
#include <vector>

#include "cdr/cdr.h"
#include "mail/outbound.h"
#include "sandbox/sandbox.h"
#include "support/japanese_pdf.h"

namespace sanso::mail {
namespace {

const std::vector<std::string> kLevels = {"1", "2", "3C", "3B", "3A"};

std::string with_attachment(const std::string& name, const std::string& bytes) {
  gchar* b64 = g_base64_encode(reinterpret_cast<const guchar*>(bytes.data()), bytes.size());
  std::string out = "From: tanaka@city.minamata.lg.jp\r\nTo: p@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                    "--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n本文\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"" +
                    name + "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64 + "\r\n--b--\r\n";
  g_free(b64);
  return out;
}

std::string stream(const std::string& dict, const std::string& data) {
  return "<< " + dict + " /Length " + std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream";
}

std::string dejavu() {
  std::ifstream in("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// DejaVu Sans whose Unicode 'cmap' puts the digits (and all of U+0020–007E) 2000 glyphs off, its
// format 12 subtables unnamed (review27): a renderer draws a CID font's glyphs by /CIDToGIDMap and
// never reads that table, so the digits it names are not those shown.
std::string lying_dejavu() {
  std::string font = dejavu();
  if (font.size() < 12) return {};
  const auto u16 = [&](std::size_t at) { return (static_cast<unsigned char>(font[at]) << 8) | static_cast<unsigned char>(font[at + 1]); };
  const auto u32 = [&](std::size_t at) { return (static_cast<std::size_t>(u16(at)) << 16) | u16(at + 2); };
  std::size_t cmap = 0;
  for (int i = 0; i < u16(4); ++i) {
    if (font.compare(12 + 16 * i, 4, "cmap") == 0) cmap = u32(12 + 16 * i + 8);
  }
  std::map<std::size_t, bool> patched;
  for (int i = 0; i < u16(cmap + 2); ++i) {
    const std::size_t record = cmap + 4 + 8 * i, table = cmap + u32(record + 4);
    if (u16(table) == 12) font[record] = 0, font[record + 1] = 2;
    if (u16(table) != 4 || patched[table]) continue;
    patched[table] = true;
    const int segments = u16(table + 6) / 2;
    for (int s = 0; s < segments; ++s) {
      const int end = u16(table + 14 + 2 * s), start = u16(table + 16 + 2 * segments + 2 * s);
      if (start <= 0x30 && 0x30 <= end) {
        const std::size_t delta = table + 16 + 4 * segments + 2 * s;
        const int value = (u16(delta) + 2000) & 0xFFFF;
        font[delta] = static_cast<char>(value >> 8), font[delta + 1] = static_cast<char>(value & 0xFF);
      }
    }
  }
  return font;
}

// One page showing 123456789018 (and "Ref:" before it in Helvetica) in `program` as a CID font
// (Identity-H, /CIDToGIDMap /Identity, DejaVu Sans's digits are glyphs 19–28), with `to_unicode`'s
// mappings as its /ToUnicode, or none.
std::string cid_font_pdf(const std::string& program, const std::string& to_unicode) {
  std::string shown;
  for (char c : std::string("123456789018")) {
    char h[8];
    std::snprintf(h, sizeof h, "%04X", 19 + (c - '0'));
    shown += h;
  }
  const std::string cmap = "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /T def /CMapType 2 def 1 begincodespacerange <0000> <FFFF> endcodespacerange " +
                           to_unicode + " endcmap CMapName currentdict /CMap defineresource pop end end";
  const std::string contents = "BT /F2 14 Tf 72 640 Td (Ref:) Tj ET BT /F1 24 Tf 72 600 Td <" + shown + "> Tj ET";
  return testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                          "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R /F2 10 0 R >> >> /Contents 4 0 R >>",
                          stream("", contents),
                          "<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H /DescendantFonts [6 0 R]" +
                              std::string(to_unicode.empty() ? "" : " /ToUnicode 8 0 R") + " >>",
                          "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /X /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
                          "/FontDescriptor 7 0 R /CIDToGIDMap /Identity >>",
                          "<< /Type /FontDescriptor /FontName /X /Flags 4 /FontBBox [0 0 1000 1000] /ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 "
                          "/StemV 80 /FontFile2 9 0 R >>",
                          stream("", cmap), stream("", program), "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"});
}

// A document of `pages` pages printed by cairo and Pango (GTK's "print to file", Evince, Firefox
// on Linux): DejaVu Sans subset as a CID TrueType font with neither 'cmap' nor 'post', Identity-H,
// a /ToUnicode. `numbered` (1-based) also shows a typed 個人番号.
std::string cairo_document(int pages, int numbered) {
  std::string pdf;
  cairo_surface_t* surface = cairo_pdf_surface_create_for_stream(
      [](void* out, const unsigned char* data, unsigned int length) {
        static_cast<std::string*>(out)->append(reinterpret_cast<const char*>(data), length);
        return CAIRO_STATUS_SUCCESS;
      },
      &pdf, 595, 842);
  cairo_t* cr = cairo_create(surface);
  for (int page = 1; page <= pages; ++page) {
    PangoLayout* layout = pango_cairo_create_layout(cr);
    PangoFontDescription* font = pango_font_description_from_string("DejaVu Sans 11");
    pango_layout_set_font_description(layout, font);
    pango_font_description_free(font);
    std::string text = "Minutes of the meeting — page " + std::to_string(page) + ": “agenda” item 3, ±5 %, 2024‐04‐01 … Quorum: 7 of 9 (Ishii, Ogawa).";
    if (page == numbered) text += "\nApplicant's number: 1234 5678 9018";
    pango_layout_set_text(layout, text.c_str(), -1);
    cairo_move_to(cr, 72, 72);
    pango_cairo_show_layout(cr, layout);
    g_object_unref(layout);
    cairo_show_page(cr);
  }
  cairo_destroy(cr);
  cairo_surface_finish(surface);
  cairo_surface_destroy(surface);
  return pdf;
}

struct Scanner {
  std::unique_ptr<sandbox::Executor> executor;
  Scanner() {
    auto started = sandbox::start(outbound_scan_task(kLevels), sandbox::Launch::pool(1));
    if (started) executor = std::move(started).value();
  }
};
Scanner& scanner() {
  static Scanner s;  // started before Pango's threads (cairo_document()) in the first test that asks
  return s;
}

std::string described(const OutboundScan& scan) {
  std::string out = "ocr passes " + std::to_string(scan.ocr_passes) + "; found " + std::to_string(scan.identifiers.size()) + "; unchecked:";
  for (const auto& f : scan.unchecked) out += " [" + f.where + ": " + f.why.substr(0, 300) + "]";
  return out;
}

bool found_number(const OutboundScan& scan) {
  return std::any_of(scan.identifiers.begin(), scan.identifiers.end(), [](const OutboundFinding& f) { return f.where.starts_with("r.pdf"); });
}

// review27 H4: a CID font with no /ToUnicode (pdftotext prints U+0014… for the digits' glyphs), and
// one whose /ToUnicode reads the digits as letters while its own 'cmap' table lies about which
// glyphs are digits. Main judged neither (no /ToUnicode: not judged; the 'cmap' trusted): the
// number left unread. Now each font's glyphs are read off its sheet; the control (letters, the
// true 'cmap') main caught by the 'cmap' is caught by the sheet too.
TEST(OutboundPdfGlyphs, CidFontsWhoseDigitsPdftotextDoesNotReadAreReadByOcr) {
  if (dejavu().empty()) GTEST_SKIP() << "DejaVu Sans not installed";
  ASSERT_TRUE(scanner().executor);
  const std::string letters = "1 beginbfrange <0013> <001C> <0061> endbfrange";
  for (const auto& [name, pdf] : std::vector<std::pair<std::string, std::string>>{
           {"no /ToUnicode", cid_font_pdf(dejavu(), "")}, {"letters, a lying 'cmap'", cid_font_pdf(lying_dejavu(), letters)}, {"letters", cid_font_pdf(dejavu(), letters)}}) {
    const OutboundScan scan = scan_outbound_sandboxed(*scanner().executor, with_attachment("r.pdf", pdf), kOutgoingCheckBudget);
    EXPECT_TRUE(found_number(scan)) << name << ": " << described(scan);
    // Without a /ToUnicode what pdftotext reads is not known: the page is read by OCR after the
    // sheet. Digits read as letters are found in the text with those letters read as the digits seen.
    if (name == "no /ToUnicode") {
      EXPECT_EQ(scan.ocr_passes, 2u) << name << ": the sheet, then the page: " << described(scan);
    }
  }
}

// The same font whose /ToUnicode reads its glyphs as they are shown: its sheet is read, no page
// is, and the number is found in pdftotext's text.
TEST(OutboundPdfGlyphs, AnHonestCidFontCostsTheSheetOnly) {
  if (dejavu().empty()) GTEST_SKIP() << "DejaVu Sans not installed";
  ASSERT_TRUE(scanner().executor);
  const OutboundScan scan =
      scan_outbound_sandboxed(*scanner().executor, with_attachment("r.pdf", cid_font_pdf(dejavu(), "1 beginbfrange <0013> <001C> <0030> endbfrange")), kOutgoingCheckBudget);
  EXPECT_TRUE(found_number(scan)) << described(scan);
  EXPECT_EQ(scan.ocr_passes, 1u) << described(scan);
  EXPECT_TRUE(scan.unchecked.empty()) << described(scan);
}

// review27 M2: a 20-page cairo-printed document is not held (past 16 pages read by OCR it was,
// were its font taken as misreading) and costs one OCR pass — its glyph sheet —, where reading
// its pages would cost 20; its typed 個人番号 is found in pdftotext's text.
TEST(OutboundPdfGlyphs, ACairoPrintedDocumentCostsOneSheet) {
  ASSERT_TRUE(scanner().executor);
  const std::string pdf = cairo_document(20, 13);
  std::size_t sheets = 0;
  for (const cdr::ExtractedText& piece : cdr::extract_texts(pdf, "r.pdf")) {
    EXPECT_TRUE(piece.pages.empty()) << piece.where << ": " << piece.pages.size() << " pages for OCR: " << piece.unreadable;
    sheets += piece.glyph_sheets.size();
  }
  EXPECT_EQ(sheets, 1u);
  const OutboundScan scan = scan_outbound_sandboxed(*scanner().executor, with_attachment("r.pdf", pdf), kOutgoingCheckBudget);
  EXPECT_TRUE(scan.unchecked.empty()) << described(scan);
  EXPECT_TRUE(found_number(scan)) << described(scan);
  EXPECT_EQ(scan.ocr_passes, 1u) << described(scan);
}

// What OCR's words say of a sheet, on words given: a sheet of one font, cells 100 pixels wide in
// one line, codes 1–4 read "1", "a", "o", and not known.
cdr::GlyphSheet sheet_of_four() {
  cdr::GlyphSheet sheet;
  cdr::GlyphFont font;
  font.name = "font 5";
  font.cells = {{0, 0, 100, 50, 1, true, "1"}, {100, 0, 100, 50, 2, true, "a"}, {200, 0, 100, 50, 3, true, "o"}, {300, 0, 100, 50, 4, false, ""}};
  sheet.fonts.push_back(font);
  return sheet;
}
std::string tsv(const std::vector<std::tuple<int, int, std::string>>& words) {
  std::string out = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n";
  for (const auto& [left, width, text] : words) out += "5\t1\t1\t1\t1\t1\t" + std::to_string(left) + "\t10\t" + std::to_string(width) + "\t30\t90\t" + text + "\n";
  return out;
}

TEST(OutboundPdfGlyphs, WhatASheetsWordsSay) {
  const cdr::GlyphSheet sheet = sheet_of_four();
  // As pdftotext reads them, OCR reading "ooo" as "000": no font misreads, "o" folds into 0.
  cdr::GlyphSheetReading honest = cdr::glyph_sheet_reading(sheet, tsv({{10, 60, "111"}, {110, 60, "aaa"}, {210, 60, "000"}, {310, 60, "xxx"}}));
  EXPECT_EQ(honest.why, std::vector<std::string>{""});
  EXPECT_EQ(honest.folds, (std::vector<std::pair<std::string, std::string>>{{"o", "0"}}));
  EXPECT_EQ(cdr::folded_text("1234 5678 9o18 (o)", honest.folds), "1234 5678 9018 (0)");
  // A code read "1" drawn as something else, or not seen at all: pdftotext adds a digit not shown.
  EXPECT_NE(cdr::glyph_sheet_reading(sheet, tsv({{10, 60, "lll"}})).why[0], "");
  EXPECT_NE(cdr::glyph_sheet_reading(sheet, tsv({})).why[0], "");
  // A digit drawn for a code whose reading is not known.
  EXPECT_NE(cdr::glyph_sheet_reading(sheet, tsv({{10, 60, "111"}, {310, 60, "333"}})).why[0], "");
  // A letter seen as a digit folds; one reading ("a") for glyphs seen as different digits cannot.
  EXPECT_EQ(cdr::glyph_sheet_reading(sheet, tsv({{10, 60, "111"}, {110, 60, "333"}})).why[0], "");
  cdr::GlyphSheet twice = sheet;
  twice.fonts[0].cells[2].read = "a";
  EXPECT_NE(cdr::glyph_sheet_reading(twice, tsv({{10, 60, "111"}, {110, 60, "333"}, {210, 60, "777"}})).why[0], "");
  // A digit outside every cell: a glyph drawn away from where it is shown.
  EXPECT_NE(cdr::glyph_sheet_reading(sheet, tsv({{10, 60, "111"}, {1000, 60, "888"}})).why[0], "");
  // A separator read for a digit: folding it would make every date digits. A dash seen as the
  // kanji numeral 一 is a dash.
  twice.fonts[0].cells[1].read = "-";
  EXPECT_NE(cdr::glyph_sheet_reading(twice, tsv({{10, 60, "111"}, {110, 60, "444"}})).why[0], "");
  EXPECT_EQ(cdr::glyph_sheet_reading(twice, tsv({{10, 60, "111"}, {110, 60, "一一一"}})).why[0], "");
}

// Not a test: what the outgoing check costs on a folder of real PDFs (SANSO_GLYPH_CORPUS: its
// path), printed — files and pages the scanner names for OCR, glyph sheets, OCR passes, held.
TEST(OutboundPdfGlyphs, CorpusMeasure) {
  const char* folder = std::getenv("SANSO_GLYPH_CORPUS");
  if (folder == nullptr) GTEST_SKIP() << "SANSO_GLYPH_CORPUS not set";
  ASSERT_TRUE(scanner().executor);
  std::size_t files = 0, paged = 0, pages = 0, sheeted = 0, sheets = 0, passes = 0, held = 0;
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().extension() == ".pdf") paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    const std::string pdf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ++files;
    std::size_t file_pages = 0, file_sheets = 0;
    for (const cdr::ExtractedText& piece : cdr::extract_texts(pdf, "r.pdf")) {
      file_pages += piece.pages.size();
      file_sheets += piece.glyph_sheets.size();
    }
    paged += file_pages > 0, pages += file_pages, sheeted += file_sheets > 0, sheets += file_sheets;
    const OutboundScan scan = scan_outbound_sandboxed(*scanner().executor, with_attachment("r.pdf", pdf), kOutgoingCheckBudget);
    passes += scan.ocr_passes;
    held += !scan.unchecked.empty();
    std::printf("%s: %zu pages named, %zu sheets, %zu OCR passes%s\n", path.filename().c_str(), file_pages, file_sheets, scan.ocr_passes,
                scan.unchecked.empty() ? "" : ("; held: " + described(scan)).c_str());
  }
  std::printf("%zu files: %zu with %zu pages named for OCR, %zu with %zu glyph sheets, %zu OCR passes, %zu held\n", files, paged, pages, sheeted, sheets, passes, held);
}

}  // namespace
}  // namespace sanso::mail
