// Issue #17, the outgoing check's PDFs (review27's findings): a number a person reads on the page —
// 1234 5678 9018 drawn through a clip, by a mesh shading, as Type 3 glyphs beside a glyph never
// shown, or in a font whose /ToUnicode hides its misreading past the token cap — is read by OCR (or
// held); a document whose pages carry thumbnails is not held for them. Each PDF's rendering was
// checked readable with pdftoppm and tesseract by review27. Set PDF_DRAWN_DUMP=dir to write each
// PDF there for a look.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "cdr/cdr.h"
#include "core/identification_numbers.h"
#include "support/japanese_pdf.h"
#include "support/text_picture.h"

namespace sanso::cdr {
namespace {

std::string stream(const std::string& dict, const std::string& data) {
  return "<< " + dict + " /Length " + std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream";
}
std::string num(double v) {
  char s[32];
  std::snprintf(s, sizeof s, "%.3f", v);
  return s;
}

// A one-page PDF: objects 1–4 are the catalog, pages, page and contents; `extra` are 5, 6, …
std::string one_page(const std::string& contents, const std::string& resources, const std::vector<std::string>& extra = {}, const std::string& media = "0 0 612 792",
                     const std::string& page_extra = "") {
  std::vector<std::string> objects = {"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                      "<< /Type /Page /Parent 2 0 R /MediaBox [" + media + "] /Resources << " + resources + " >> /Contents 4 0 R " + page_extra + " >>",
                                      stream("", contents)};
  objects.insert(objects.end(), extra.begin(), extra.end());
  return testing::pdf_of(objects);
}

// What the outgoing check gets of a PDF: whether anything is sent to OCR or held, and whether the
// text it reads (pdftotext, the pieces' own text) holds a 個人番号.
struct Verdict {
  bool caught = false;  // a "pages" piece (OCR or held) or any piece unreadable
  bool number_in_text = false;
  std::string why;
};
Verdict check(const std::string& pdf, const std::string& name) {
  if (const char* dir = std::getenv("PDF_DRAWN_DUMP")) std::ofstream(std::string(dir) + "/" + name + ".pdf", std::ios::binary) << pdf;
  Verdict v;
  for (const ExtractedText& p : extract_texts(pdf, "r.pdf")) {
    if (!p.unreadable.empty() || !p.pages.empty()) {
      v.caught = true;
      v.why += p.where + ": " + p.unreadable + "; ";
    }
    if (!numbers::find(p.text).empty()) v.number_in_text = true;
  }
  const Result<std::string> text = pdf_text(pdf);
  if (!text) {
    v.caught = true;
    v.why += "pdftotext failed";
  } else if (!numbers::find(*text).empty()) {
    v.number_in_text = true;
  }
  return v;
}
#define EXPECT_CHECKED(pdf, name)                                                                                          \
  do {                                                                                                                     \
    const Verdict verdict = check(pdf, name);                                                                              \
    EXPECT_TRUE(verdict.caught || verdict.number_in_text) << (name) << ": passes unread (neither OCR nor a hold nor text)"; \
  } while (0)

using Shapes = std::vector<std::vector<std::pair<int, int>>>;
const Shapes& outlines() {
  static const Shapes shapes = testing::outlines_of("1234 5678 9018", 150, 40);
  return shapes;
}
// A shape's points as PDF coordinates: 1/150 inch units from the top left of a 792 pt page, × scale.
std::pair<double, double> at(std::pair<int, int> p, double scale = 1, double page_height = 792) {
  return {p.first * 72.0 / 150 * scale, page_height - p.second * 72.0 / 150 * scale};
}

// 5 × 7 dot-matrix digits (rows top down).
const std::map<char, std::vector<std::string>> kDots = {
    {'0', {".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."}}, {'1', {"..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."}},
    {'2', {".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"}}, {'3', {"#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."}},
    {'4', {"...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."}}, {'5', {"#####", "#....", "####.", "....#", "....#", "#...#", ".###."}},
    {'6', {"..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."}}, {'7', {"#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."}},
    {'8', {".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."}}, {'9', {".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."}},
};
// Calls `dot(x, y)` for each dot of "1234 5678 9018" in dot-matrix, pitch `pitch` pt, from (x0, y0) top left.
template <class F>
void each_dot(double x0, double y0, double pitch, F dot) {
  double x = x0;
  for (char c : std::string("1234 5678 9018")) {
    if (c != ' ') {
      const auto& rows = kDots.at(c);
      for (int r = 0; r < 7; ++r) {
        for (int k = 0; k < 5; ++k) {
          if (rows[r][k] == '#') dot(x + k * pitch, y0 - r * pitch);
        }
      }
    }
    x += 6.5 * pitch;
  }
}

// The glyphs as a clipping path (W n paints nothing), then one page-sized fill or a shading
// through it: black digits, and no shape the size of a glyph painted.
TEST(CdrPdfDrawnNumbers, OutlinesUsedAsAClipThenFilledOrShadedAreReadByOcr) {
  const std::string clip = testing::pdf_path_of(outlines(), 150, 792, "W n");
  EXPECT_CHECKED(one_page("q 0 g " + clip + "0 0 612 792 re f Q", ""), "clip-fill");
  EXPECT_CHECKED(one_page("q " + clip + "/Sh0 sh Q", "/Shading << /Sh0 5 0 R >>",
                          {"<< /ShadingType 2 /ColorSpace /DeviceGray /Coords [0 0 612 0] /Function << /FunctionType 2 /Domain [0 1] /C0 [0] /C1 [0.1] /N 1 >> >>"}),
                 "clip-shading");
}

// A free-form triangle mesh shading (ShadingType 4) paints its triangles with no path at all:
// dot-matrix digits, each dot two black triangles.
TEST(CdrPdfDrawnNumbers, APageWithAMeshShadingIsReadByOcr) {
  std::string data;
  const auto u16 = [](double v, double range) {
    const int n = static_cast<int>(v / range * 65535 + 0.5);
    return std::string{static_cast<char>((n >> 8) & 0xFF), static_cast<char>(n & 0xFF)};
  };
  const auto vertex = [&](double x, double y) { data += std::string(1, '\0') + u16(x, 612) + u16(y, 792) + std::string(1, '\0'); };
  each_dot(72, 620, 2.4, [&](double x, double y) {
    vertex(x, y), vertex(x + 2.2, y), vertex(x, y + 2.2);
    vertex(x + 2.2, y), vertex(x + 2.2, y + 2.2), vertex(x, y + 2.2);
  });
  EXPECT_CHECKED(one_page("/Sh0 sh", "/Shading << /Sh0 5 0 R >>",
                          {stream("/ShadingType 4 /ColorSpace /DeviceGray /BitsPerCoordinate 16 /BitsPerComponent 8 /BitsPerFlag 8 /Decode [0 612 0 792 0 1]", data)}),
                 "mesh");
}

// A Type 3 font's glyphs were counted at the size of its LARGEST shape: one glyph never shown that
// draws a big square makes every glyph shown "larger than an inch". The glyphs are the
// outlines of the digits, named a–j: pdftotext reads "bcde fghi jaib".
TEST(CdrPdfDrawnNumbers, Type3GlyphsAreCountedAtTheSizeOfEachGlyphShown) {
  // Glyph space 1000 units an em; each digit's contours (from the outlines, 14 pt at 150 dpi) scaled
  // to the em and moved to the origin. Digits are told apart by their left edges.
  struct Glyph {
    double x0, y0, x1, y1;
    std::string path;
  };
  std::vector<Glyph> glyphs;
  double bottom = 1e9;
  for (const auto& shape : outlines()) {
    double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
    std::string path;
    for (std::size_t i = 0; i < shape.size(); ++i) {
      const auto [x, y] = at(shape[i]);
      x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
      path += num(x * 70) + " " + num(y * 70) + (i == 0 ? " m " : " l ");
    }
    bottom = std::min(bottom, y0);
    // A contour inside the previous glyph's is one of its holes.
    if (!glyphs.empty() && x0 >= glyphs.back().x0 && x1 <= glyphs.back().x1 && y0 >= glyphs.back().y0 && y1 <= glyphs.back().y1) glyphs.back().path += path + "h\n";
    else glyphs.push_back({x0, y0, x1, y1, path + "h\n"});
  }
  ASSERT_EQ(glyphs.size(), 12u);
  const std::string digits = "123456789018";
  std::map<char, std::string> procs;  // digit → its contours in page units × 70, moved to the origin below
  std::map<char, double> lefts;
  for (std::size_t i = 0; i < glyphs.size(); ++i) procs.emplace(digits[i], glyphs[i].path), lefts.emplace(digits[i], glyphs[i].x0);
  std::vector<std::string> extra;
  std::string char_procs, differences;
  int object = 6;
  for (char d = '0'; d <= '9'; ++d) {
    const char name = static_cast<char>('a' + (d - '0'));
    const double dx = -lefts[d] * 70, dy = -bottom * 70;  // to the glyph's origin
    extra.push_back(stream("", "600 0 d0 1 0 0 1 " + num(dx) + " " + num(dy) + " cm " + procs[d] + "f"));
    char_procs += "/" + std::string(1, name) + " " + std::to_string(object++) + " 0 R ";
    differences += "/" + std::string(1, name) + " ";
  }
  const std::string font = "<< /Type /Font /Subtype /Type3 /FontBBox [0 0 1000 1000] /FontMatrix [0.001 0 0 0.001 0 0] /CharProcs << " + char_procs +
                           "%HUGE% >> /Encoding << /Type /Encoding /Differences [97 " + differences + "/z] >> /FirstChar 97 /LastChar 107 /Widths [600 600 600 600 600 600 600 600 600 600 600] >>";
  std::string shown;
  for (char d : std::string("1234 5678 9018")) shown += d == ' ' ? ' ' : static_cast<char>('a' + (d - '0'));
  const std::string contents = "BT /F3 20 Tf 72 600 Td (" + shown + ") Tj ET";
  std::vector<std::string> with = extra;
  std::vector<std::string> objects_plain = {font.substr(0, font.find("%HUGE%")) + font.substr(font.find("%HUGE%") + 6)};
  objects_plain.insert(objects_plain.end(), extra.begin(), extra.end());
  const Verdict plain = check(one_page(contents, "/Font << /F3 5 0 R >>", objects_plain), "type3-plain");
  EXPECT_TRUE(plain.caught) << "control: the digits' outlines as a Type 3 font are read by OCR";
  std::vector<std::string> objects_huge = {font.substr(0, font.find("%HUGE%")) + "/z " + std::to_string(object) + " 0 R" + font.substr(font.find("%HUGE%") + 6)};
  objects_huge.insert(objects_huge.end(), extra.begin(), extra.end());
  objects_huge.push_back(stream("", "1000 0 d0 0 0 m 200000 0 l 200000 200000 l 0 200000 l h f"));
  EXPECT_CHECKED(one_page(contents, "/Font << /F3 5 0 R >>", objects_huge), "type3-huge");
}

std::string cid_font_pdf(const std::string& program, const std::string& to_unicode) {
  std::string shown;
  for (char c : std::string("123456789018")) {
    char h[8];
    std::snprintf(h, sizeof h, "%04X", 19 + (c - '0'));  // DejaVu Sans's digits are glyphs 19–28
    shown += h;
  }
  const std::string cmap = "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /T def /CMapType 2 def 1 begincodespacerange <0000> <FFFF> endcodespacerange " +
                           to_unicode + " endcmap CMapName currentdict /CMap defineresource pop end end";
  return one_page("BT /F1 24 Tf 72 600 Td <" + shown + "> Tj ET", "/Font << /F1 5 0 R >>",
                  {"<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H /DescendantFonts [6 0 R]" + std::string(to_unicode.empty() ? "" : " /ToUnicode 8 0 R") + " >>",
                   "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /X /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 7 0 R "
                   "/CIDToGIDMap /Identity >>",
                   "<< /Type /FontDescriptor /FontName /X /Flags 4 /FontBBox [0 0 1000 1000] /ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 /FontFile2 9 0 R >>",
                   stream("", cmap), stream("", program)});
}

// False hold: an ordinary 20-page document whose pages carry thumbnails (/Thumb, as Acrobat's
// "embed page thumbnails" and some scanners write them) was held: past 16 thumbnails were "unread".
TEST(CdrPdfDrawnNumbers, TwentyPagesWithThumbnailsAreNotHeldAndTheThumbnailsAreRead) {
  std::vector<std::string> objects = {"<< /Type /Catalog /Pages 2 0 R >>", ""};
  std::string kids;
  const std::string thumb(106 * 137 * 3, '\xF0');
  for (int page = 0; page < 20; ++page) {
    const int at = static_cast<int>(objects.size()) + 1;
    kids += std::to_string(at) + " 0 R ";
    objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 " + std::to_string(at + 2) + " 0 R >> >> /Contents " +
                      std::to_string(at + 1) + " 0 R /Thumb " + std::to_string(at + 3) + " 0 R >>");
    objects.push_back(stream("", "BT /F1 12 Tf 72 700 Td (Page " + std::to_string(page + 1) + " of the minutes.) Tj ET"));
    objects.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
    objects.push_back(stream("/Width 106 /Height 137 /ColorSpace /DeviceRGB /BitsPerComponent 8", thumb));
  }
  objects[1] = "<< /Type /Pages /Kids [" + kids + "] /Count 20 >>";
  std::string held, read;
  std::size_t thumbnail_pages = 0;
  for (const ExtractedText& p : extract_texts(testing::pdf_of(objects), "t.pdf")) {
    read += p.where + " ";
    if (!p.unreadable.empty() && p.pages.empty()) held += p.where + ": " + p.unreadable + "; ";
    if (p.where.find("thumbnail") != std::string::npos) thumbnail_pages += p.pages.size();
  }
  EXPECT_EQ(held, "") << "an ordinary document is held";
  // The thumbnails are still pictures a reader shows: read by OCR, all on one sheet (one page).
  EXPECT_EQ(thumbnail_pages, 1u) << read;
}

// The /ToUnicode is read to its 1 048 576th token only; poppler reads it all. 600 000 harmless
// bfchar pairs first, then the digits' glyphs mapped to letters: the check read no misreading.
TEST(CdrPdfDrawnNumbers, AToUnicodeThatReachesItsTokenCapIsTakenAsMisreading) {
  std::ifstream in("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", std::ios::binary);
  const std::string real((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (real.empty()) GTEST_SKIP() << "DejaVu Sans not installed";
  std::string filler = "600000 beginbfchar\n";
  for (int i = 0; i < 600000; ++i) {
    char pair[32];
    std::snprintf(pair, sizeof pair, "<%04X> <0041>\n", 0x1000 + i % 0xE000);
    filler += pair;
  }
  filler += "endbfchar\n";
  EXPECT_CHECKED(cid_font_pdf(real, filler + "1 beginbfrange <0013> <001C> <0061> endbfrange"), "cid-tounicode-past-cap");
}
}  // namespace
}  // namespace sanso::cdr
