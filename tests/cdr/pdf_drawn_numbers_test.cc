// Issue #17, the outgoing check's PDFs (review27's findings): a number a person reads on the page —
// 1234 5678 9018 drawn as outlines joined into one subpath or reversed out of small boxes, half
// typed and half drawn, with a pen, as seven segments or a dot matrix, over an inch high or small
// on a page of a large /UserUnit, through a clip, by a mesh shading, as Type 3 glyphs beside a
// glyph never shown, or in a font whose /ToUnicode hides its misreading past the token cap — is
// read by OCR (or held); typed digits beside rules and leaders, and a document whose pages carry
// thumbnails, are not held or read for them. Each PDF's rendering was
// checked readable with pdftoppm and tesseract by review27. Set PDF_DRAWN_DUMP=dir to write each
// PDF there for a look.
#include <gtest/gtest.h>

#include <algorithm>
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
    EXPECT_TRUE(verdict.caught || verdict.number_in_text) << (name) << ": passes unread (neither OCR nor a hold nor text)" << verdict.why; \
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

// Review27 H1: the outline rule counted subpaths. One compound subpath — every glyph's contours
// joined by bridges drawn there and back (no area), as a drawing program's "unite" or an outlined
// underline joins them — was one shape 150 pt wide: no glyph-sized shape at all.
TEST(CdrPdfDrawnNumbers, OutlinesJoinedIntoOneSubpathAreReadByOcr) {
  std::string path;
  std::vector<std::pair<double, double>> starts;
  for (const auto& shape : outlines()) {
    for (std::size_t i = 0; i < shape.size(); ++i) {
      const auto [x, y] = at(shape[i]);
      path += num(x) + " " + num(y) + (path.empty() ? " m " : " l ");
    }
    const auto [x, y] = at(shape[0]);
    path += num(x) + " " + num(y) + " l\n";  // back to its start: the contour closed
    starts.push_back({x, y});
  }
  for (auto it = starts.rbegin(); it != starts.rend(); ++it) path += num(it->first) + " " + num(it->second) + " l ";  // the bridges back
  EXPECT_CHECKED(one_page("0 g " + path + "h f\n", ""), "joined");
}

// Review27 H1: reversed out — each pair of digits in a box (under 3 × a digit's size) filled
// even-odd around them, white digits in black boxes. The holes rule took the digits for the boxes'
// holes and counted 6.
TEST(CdrPdfDrawnNumbers, DigitsReversedOutOfSmallBoxesAreReadByOcr) {
  std::string path;
  double bx0 = 1e9, by0 = 1e9, bx1 = -1e9, by1 = -1e9;
  int in_box = 0;
  const auto flush = [&]() {
    if (in_box == 0) return;
    path += num(bx0 - 1) + " " + num(by0 - 1) + " m " + num(bx1 + 1) + " " + num(by0 - 1) + " l " + num(bx1 + 1) + " " + num(by1 + 1) + " l " + num(bx0 - 1) + " " +
            num(by1 + 1) + " l h\n";
    bx0 = by0 = 1e9, bx1 = by1 = -1e9, in_box = 0;
  };
  // Contours in order; a contour inside the previous one is a hole of the same digit.
  double px0 = 0, py0 = 0, px1 = -1, py1 = -1;
  for (const auto& shape : outlines()) {
    double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
    for (const auto& p : shape) {
      const auto [x, y] = at(p);
      x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
    }
    const bool hole = x0 >= px0 && x1 <= px1 && y0 >= py0 && y1 <= py1;
    if (!hole) {
      if (in_box == 2) flush();
      ++in_box;
      px0 = x0, py0 = y0, px1 = x1, py1 = y1;
    }
    bx0 = std::min(bx0, x0), by0 = std::min(by0, y0), bx1 = std::max(bx1, x1), by1 = std::max(by1, y1);
    for (std::size_t i = 0; i < shape.size(); ++i) {
      const auto [x, y] = at(shape[i]);
      path += num(x) + " " + num(y) + (i == 0 ? " m " : " l ");
    }
    path += "h\n";
  }
  flush();
  EXPECT_CHECKED(one_page("0 g " + path + "f*\n", ""), "reversed");
}

// Review27 H1: half typed, half outlined — "1234 5678" in Helvetica (pdftotext reads 8 digits, no
// number) and "9018" as outlines beside it: 4 shapes, under any count that makes a page read by
// OCR on its own. Drawn ink on a line of typed digits is read however little there is.
TEST(CdrPdfDrawnNumbers, ANumberHalfTypedAndHalfDrawnIsReadByOcr) {
  const Shapes whole = testing::outlines_of("1234 5678 ", 150, 40);
  int right = 0;
  for (const auto& shape : whole) {
    for (const auto& p : shape) right = std::max(right, p.first);
  }
  Shapes tail;
  for (const auto& shape : outlines()) {
    if (shape[0].first > right + 4) tail.push_back(shape);
  }
  ASSERT_GE(tail.size(), 4u);
  const std::string typed = "BT /F1 14 Tf " + num(40 * 72.0 / 150) + " " + num(792 - 40 * 72.0 / 150 - 15) + " Td (1234 5678) Tj ET ";
  EXPECT_CHECKED(one_page(typed + "0 g " + testing::pdf_path_of(tail, 150, 792, "f"), "/Font << /F1 5 0 R >>", {"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}),
                 "half-typed");
  // Moved down the page by Td and T* (the line matrix followed), the typed half on a later line.
  const std::string later = "BT /F1 14 Tf 12 TL 0 800 Td T* " + num(40 * 72.0 / 150) + " " + num(-8 - 40 * 72.0 / 150 - 15 + 12) + " Td (1234 5678) Tj ET ";
  EXPECT_CHECKED(one_page(later + "0 g " + testing::pdf_path_of(tail, 150, 792, "f"), "/Font << /F1 5 0 R >>", {"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}),
                 "half-typed-moved");
}

// Seven-segment points: TL TR ML MR BL BR as (0,2) (1,2) (0,1) (1,1) (0,0) (1,0).
const std::map<char, std::vector<std::string>> kPen = {
    {'0', {"TL TR BR BL TL"}}, {'1', {"TR BR"}},       {'2', {"TL TR MR ML BL BR"}}, {'3', {"TL TR BR BL", "ML MR"}}, {'4', {"TL ML MR", "TR BR"}},
    {'5', {"TR TL ML MR BR BL"}}, {'6', {"TR TL BL BR MR ML"}}, {'7', {"TL TR BR"}}, {'8', {"ML TL TR BR BL ML MR"}}, {'9', {"MR ML TL TR BR BL"}},
};
const std::map<char, std::string> kSegments = {  // seven segments, each one straight stroke
    {'0', "a b c d e f"}, {'1', "b c"}, {'2', "a b g e d"}, {'3', "a b g c d"}, {'4', "f g b c"}, {'5', "a f g c d"}, {'6', "a f g e c d"}, {'7', "a b c"}, {'8', "a b c d e f g"}, {'9', "a b c d f g"}};

// Review27 H1, H3: pen-drawn digits (CAD lettering, a plotter font), each one polyline: every digit
// bends but a 1, which is straight — two of them, so 10 were counted, under 12. Seven-segment digits,
// each segment one straight stroke: none counted.
TEST(CdrPdfDrawnNumbers, DigitsDrawnWithAPenOrAsSevenSegmentsAreReadByOcr) {
  const std::map<std::string, std::pair<double, double>> point = {{"TL", {0, 2}}, {"TR", {1, 2}}, {"ML", {0, 1}}, {"MR", {1, 1}}, {"BL", {0, 0}}, {"BR", {1, 0}}};
  std::string pen, segments;
  double x = 72;
  for (char c : std::string("1234 5678 9018")) {
    if (c != ' ') {
      for (const std::string& line : kPen.at(c)) {
        std::size_t i = 0;
        for (std::size_t from = 0; from < line.size(); from += 3, ++i) {
          const auto [px, py] = point.at(line.substr(from, 2));
          pen += num(x + px * 8) + " " + num(600 + py * 8) + (i == 0 ? " m " : " l ");
        }
        pen += "\n";
      }
      const std::map<char, std::pair<std::string, std::string>> ends = {{'a', {"TL", "TR"}}, {'b', {"TR", "MR"}}, {'c', {"MR", "BR"}}, {'d', {"BL", "BR"}},
                                                                        {'e', {"ML", "BL"}}, {'f', {"TL", "ML"}}, {'g', {"ML", "MR"}}};
      for (char s : kSegments.at(c)) {
        if (s == ' ') continue;
        const auto [ax, ay] = point.at(ends.at(s).first);
        const auto [bx, by] = point.at(ends.at(s).second);
        segments += num(x + ax * 8) + " " + num(600 + ay * 8) + " m " + num(x + bx * 8) + " " + num(600 + by * 8) + " l\n";
      }
    }
    x += 14;
  }
  EXPECT_CHECKED(one_page("1.2 w 1 J 1 j " + pen + "S", ""), "pen");
  EXPECT_CHECKED(one_page("1.6 w 1 J " + segments + "S", ""), "segments");
}

// Review27 H3: dot-matrix digits, each dot a filled square under 3 pt (a "speck"), or a zero-length
// stroke with round caps (2.2 w): 12 pt digits a person reads at once.
TEST(CdrPdfDrawnNumbers, DotMatrixDigitsAreReadByOcr) {
  std::string squares, strokes;
  each_dot(72, 620, 2.4, [&](double x, double y) { squares += num(x) + " " + num(y) + " 2.2 2.2 re\n"; });
  each_dot(72, 620, 2.4, [&](double x, double y) { strokes += num(x) + " " + num(y) + " m " + num(x) + " " + num(y) + " l\n"; });
  EXPECT_CHECKED(one_page("0 g " + squares + "f", ""), "dots-squares");
  EXPECT_CHECKED(one_page("1 J 2.2 w " + strokes + "S", ""), "dots-strokes");
  // The width and the cap set by a graphics state (/LW, /LC).
  EXPECT_CHECKED(one_page("/G0 gs " + strokes + "S", "/ExtGState << /G0 << /LW 2.2 /LC 1 >> >>"), "dots-strokes-gs");
}

// Review27 M1: digits over an inch high (a poster, a slide: 10 × the outlines, 100 pt digits on
// A2), and digits under 3 pt on a page of /UserUnit 8 (Acrobat shows them 8 × as large).
TEST(CdrPdfDrawnNumbers, DigitsOverAnInchOrSmallOnAPageOfALargeUserUnitAreReadByOcr) {
  EXPECT_CHECKED(one_page("0 g " + testing::pdf_path_of(outlines(), 150, 1191, "f", 10), "", {}, "0 0 1684 1191"), "big");
  EXPECT_CHECKED(one_page("0 g " + testing::pdf_path_of(outlines(), 150, 99, "f", 0.25), "", {}, "0 0 76.5 99", "/UserUnit 8"), "small-userunit");
}

// What the measure of ink leaves alone: a page of typed text with digits (dates, page numbers), its
// lines underlined, ruled into a table of stroked and filled cells, a table of contents' dotted
// leaders (zero-length round dots, and a dash pattern) and a dashed rule. Nothing goes to OCR.
TEST(CdrPdfDrawnNumbers, TypedDigitsBesideRulesAndLeadersAreNotReadByOcr) {
  std::string contents = "BT /F1 11 Tf 13 TL 72 720 Td";
  for (int line = 0; line < 40; ++line) contents += " (Item " + std::to_string(line + 1) + " of 2024-04-01 ............ page " + std::to_string(line * 3 + 7) + ") '";
  contents += " ET 0.5 w\n";
  for (int line = 0; line < 40; ++line) {
    const double y = 720 - 13 * (line + 1) - 2;
    contents += "72 " + num(y) + " m 300 " + num(y) + " l S ";                  // an underline
    contents += "320 " + num(y) + " 200 0.5 re f ";                                // a rule as a thin fill
    contents += "320 " + num(y) + " 60 13 re 380 " + num(y) + " 60 13 re S ";     // table cells
  }
  contents += "1 J 1 w ";
  for (int dot = 0; dot < 60; ++dot) contents += num(72 + dot * 3) + " 100 m " + num(72 + dot * 3) + " 100 l ";
  contents += "S [0 3] 0 d 72 90 m 400 90 l S [4 2] 0 d 72 80 m 400 80 l S\n";
  const Verdict verdict = check(one_page(contents, "/Font << /F1 5 0 R >>", {"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}), "typed-and-ruled");
  EXPECT_FALSE(verdict.caught) << verdict.why;
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
  // Its font (Identity-H, DejaVu Sans embedded) goes on a glyph sheet: pdftotext's reading of its
  // codes is not known there, so a digit OCR sees on the sheet sends the page to OCR
  // (tests/mail/pdf_glyphs_test.cc).
  std::size_t cells = 0, known = 0;
  for (const ExtractedText& p : extract_texts(cid_font_pdf(real, filler + "1 beginbfrange <0013> <001C> <0061> endbfrange"), "r.pdf")) {
    for (const GlyphSheet& sheet : p.glyph_sheets) {
      for (const GlyphFont& font : sheet.fonts) {
        cells += font.cells.size();
        known += static_cast<std::size_t>(std::count_if(font.cells.begin(), font.cells.end(), [](const GlyphCell& c) { return c.read_known; }));
      }
    }
  }
  EXPECT_GT(cells, 0u);
  EXPECT_EQ(known, 0u) << "a /ToUnicode past the token cap is not read: its readings are not known";
}
}  // namespace
}  // namespace sanso::cdr
