// cdr::picture_text: the text a person reads in a picture, by Tesseract in the converter sandbox —
// what the outgoing check needs to see a 個人番号 on a scanned card or a screenshot.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cdr/cdr.h"
#include "cdr/fixtures.h"
#include "cdr/internal/convert.h"
#include "support/japanese_pdf.h"
#include "support/text_picture.h"
#include "support/wmf_file.h"

namespace sanso::cdr {
namespace {

using sanso::testing::picture_of;
using sanso::testing::plain_picture;

// A card with its number, photographed turned by `degrees` (0, 90, 180, 270): a one-page PDF whose
// page says /Rotate, rendered by pdftoppm — the test turns the picture itself, whatever renders the
// other test pictures. "" when pdftoppm is missing or fails.
std::string turned_card(int degrees) {
  const std::string content = "BT /F1 28 Tf 60 700 Td (Kojin Bango 1234 5678 9018) Tj 0 -40 Td (Yamada Taro, Minamata City) Tj ET";
  const std::vector<std::string> objects = {
      "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Rotate " + std::to_string(degrees) + " /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
      "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"};
  std::string pdf = "%PDF-1.4\n", xref;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    char row[24];
    std::snprintf(row, sizeof row, "%010zu 00000 n \n", pdf.size());
    xref += row;
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  const std::size_t at = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n" + xref + "trailer\n<< /Size " + std::to_string(objects.size() + 1) +
         " /Root 1 0 R >>\nstartxref\n" + std::to_string(at) + "\n%%EOF\n";
  const auto dir = std::filesystem::temp_directory_path() / ("sanso-turned-" + std::to_string(::getpid()) + "-" + std::to_string(degrees));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "card.pdf", std::ios::binary) << pdf;
  const std::string command = "pdftoppm -r 150 -png -singlefile '" + (dir / "card.pdf").string() + "' '" + (dir / "card").string() + "'";
  std::string png;
  if (std::system(command.c_str()) == 0) {
    std::ifstream in(dir / "card.png", std::ios::binary);
    png.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::filesystem::remove_all(dir);
  return png;
}

std::string without_spaces(std::string s) {
  std::erase_if(s, [](char c) { return c == ' ' || c == '\n' || c == '\t'; });
  return s;
}

// The metafile `bytes` named `name` read, its drawing rendered and read by OCR: `shown` (spaces
// aside) found.
void expect_read_rendered(const std::string& name, const std::string& bytes, const std::string& shown = "123456789018") {
  const auto pieces = extract_texts(bytes, name);
  const auto drawn = std::find_if(pieces.begin(), pieces.end(), [&](const ExtractedText& p) { return p.where == name + "/drawing"; });
  ASSERT_NE(drawn, pieces.end()) << name;
  ASSERT_TRUE(drawn->drawing) << name << ": " << drawn->unreadable;
  const auto png = metafile_picture(drawn->picture);
  ASSERT_TRUE(png) << name << ": " << png.error().to_string();
  const auto read = picture_text(*png);
  ASSERT_TRUE(read) << name << ": " << read.error().to_string();
  EXPECT_NE(without_spaces(*read).find(shown), std::string::npos) << name << " read as: " << *read;
}

TEST(PictureText, TheNumberOnAScannedCardIsReadInJapaneseAndDigits) {
  const std::string png = picture_of("個人番号 1234 5678 9018\n氏名 山田太郎");
  ASSERT_FALSE(png.empty()) << "the test could not render its picture";
  auto text = picture_text(png);
  ASSERT_TRUE(text) << text.error().to_string();
  EXPECT_NE(without_spaces(*text).find("123456789018"), std::string::npos) << *text;
  EXPECT_NE(without_spaces(*text).find("個人番号"), std::string::npos) << *text;
}

// A number drawn as shapes — its glyphs' outlines filled, no character in the file — in a metafile
// a few millimetres wide, or one a metre wide: extract_texts sizes each to fill the page,
// metafile_picture renders it by LibreOffice, and OCR reads the number in it.
TEST(PictureText, AMetafileDrawnAsShapesIsRenderedAndItsNumberRead) {
  const auto outlines = sanso::testing::outlines_of("個人番号\n1234 5678 9018", 150, 10);
  ASSERT_GT(outlines.size(), 12u) << "the test could not lay out its glyphs";
  int right = 0, bottom = 0;
  for (const auto& shape : outlines) {
    for (const auto& [x, y] : shape) right = std::max(right, x + 10), bottom = std::max(bottom, y + 10);
  }
  namespace emf = sanso::testing::emf;
  namespace wmf = sanso::testing::wmf;
  struct Case {
    std::string name, bytes;
  };
  std::string tiny = emf::file({emf::polygons(outlines)}, u"", true, right, bottom);
  for (std::size_t at = 24; at < 40; ++at) tiny[at] = '\0';
  tiny[32] = 4, tiny[36] = 1;  // a frame of 0.04 × 0.01 mm
  for (std::size_t at = 72; at < 88; ++at) tiny[at] = '\0';  // and a reference device of no size
  auto metre = outlines;  // the same drawing a hundred times as large: its frame some metres wide
  for (auto& shape : metre) {
    for (auto& point : shape) point.first *= 100, point.second *= 100;
  }
  // A frame of 0.04 mm over a drawing of centimetres shows a viewer a part nobody can know: held.
  const auto held = extract_texts(tiny, "tiny.emf");
  const auto tiny_drawing = std::find_if(held.begin(), held.end(), [](const ExtractedText& p) { return p.where == "tiny.emf/drawing"; });
  ASSERT_NE(tiny_drawing, held.end());
  EXPECT_FALSE(tiny_drawing->drawing);
  EXPECT_EQ(tiny_drawing->unreadable.rfind("unsupported:", 0), 0u) << tiny_drawing->unreadable;
  std::string screenless = emf::file({emf::polygons(outlines)}, u"", true, right, bottom);
  for (std::size_t at = 72; at < 88; ++at) screenless[at] = '\0';  // a reference device of no size: a screen's
  const std::vector<Case> cases = {{"screenless.emf", screenless},
                                   {"metre.emf", emf::file({emf::polygons(metre)}, u"", true, right * 100, bottom * 100)},
                                   {"figure.wmf", wmf::file({wmf::polygons(outlines)}, true, 4, static_cast<std::int16_t>(right), static_cast<std::int16_t>(bottom))}};
  for (const auto& c : cases) {
    const auto pieces = extract_texts(c.bytes, c.name);
    const auto drawn = std::find_if(pieces.begin(), pieces.end(), [&](const ExtractedText& p) { return p.where == c.name + "/drawing"; });
    ASSERT_NE(drawn, pieces.end()) << c.name;
    ASSERT_TRUE(drawn->drawing) << c.name << ": " << drawn->unreadable;
    const auto png = metafile_picture(drawn->picture);
    ASSERT_TRUE(png) << c.name << ": " << png.error().to_string();
    EXPECT_EQ(png->rfind("\x89PNG", 0), 0u) << c.name;
    const auto text = picture_text(*png);
    ASSERT_TRUE(text) << c.name << ": " << text.error().to_string();
    EXPECT_NE(without_spaces(*text).find("123456789018"), std::string::npos) << c.name << " read as: " << *text;
  }
}

// review23a: the rendering copy shows what a viewer shows. Runs of text interleaved by their
// advances ("135791" and "246808" half an advance apart show 123456789018, which no joining of the
// runs gives); a frame 1 m from the origin with its drawing in it; a reference device 100 times as
// dense as a screen with a frame of a few millimetres.
TEST(PictureText, AMetafilesRenderingShowsWhatAViewerShows) {
  namespace emf = sanso::testing::emf;
  const auto s32 = [](std::int32_t v) { return emf::u32(static_cast<std::uint32_t>(v)); };
  const auto text = [&](std::int32_t x, std::int32_t y, const std::u16string& t, std::int32_t advance) {
    std::string dx, str = emf::utf16(t);
    for (std::size_t i = 0; i < t.size(); ++i) dx += s32(advance);
    while (str.size() % 4 != 0) str += '\0';
    return emf::record(84, std::string(16, '\0') + emf::u32(1) + emf::u32(0) + emf::u32(0) + s32(x) + s32(y) + emf::u32(static_cast<std::uint32_t>(t.size())) +
                               emf::u32(76) + emf::u32(0) + std::string(16, '\0') + emf::u32(76 + static_cast<std::uint32_t>(str.size())) + str + dx);
  };
  std::string logfont = s32(-80) + std::string(19, '\0') + '\0' + std::string(4, '\0') + emf::utf16(u"DejaVu Sans");
  logfont.resize(92, '\0');
  const std::string font = emf::record(82, emf::u32(1) + logfont) + emf::record(37, emf::u32(1)) + emf::record(18, emf::u32(1));
  const std::string interleaved = emf::file({font, text(20, 100, u"135791", 100), text(70, 100, u"246808", 100)}, u"", true, 1300, 250);

  int right = 0, bottom = 0;
  auto outlines = sanso::testing::outlines_of("個人番号\n1234 5678 9018", 150, 10);
  ASSERT_GT(outlines.size(), 12u) << "the test could not lay out its glyphs";
  for (const auto& shape : outlines) {
    for (const auto& [x, y] : shape) right = std::max(right, x + 10), bottom = std::max(bottom, y + 10);
  }
  const auto header = [&](std::string e, const std::vector<std::pair<std::size_t, std::int32_t>>& fields) {
    for (const auto& [at, v] : fields) e.replace(at, 4, s32(v));
    return e;
  };
  auto moved = outlines;
  for (auto& shape : moved) {
    for (auto& point : shape) point.first += 3780;
  }
  const std::string away = header(emf::file({emf::polygons(moved)}, u"", true, right, bottom),
                                  {{8, 3780}, {16, 3780 + right}, {24, 100000}, {32, 100000 + right * 2646 / 100}, {36, bottom * 2646 / 100}});
  const std::string dense = header(emf::file({emf::polygons(outlines)}, u"", true, right, bottom),
                                   {{32, right * 50800 / 192000}, {36, bottom * 50800 / 192000}, {72, 192000}, {76, 108000}});
  for (const auto& [name, bytes] : std::vector<std::pair<std::string, std::string>>{{"interleaved.emf", interleaved}, {"away.emf", away}, {"dense.emf", dense}}) {
    expect_read_rendered(name, bytes);
  }
}

// Issue #17 (out24): a drawing much smaller than the frame it declares — a number some 4 mm wide in a
// corner of a 20 cm frame — came out a few pixels high and OCR read nothing. The reader frames
// what the records paint (their points), so the number fills the page and is read. A drawing
// that fills its frame is rendered by its frame as before.
TEST(PictureText, ANumberSmallInALargeFrameIsRenderedLargeEnoughToRead) {
  namespace emf = sanso::testing::emf;
  const auto s32 = [](std::int32_t v) { return emf::u32(static_cast<std::uint32_t>(v)); };
  const auto outlines = sanso::testing::outlines_of("個人番号\n1234 5678 9018", 150, 10);
  ASSERT_GT(outlines.size(), 12u) << "the test could not lay out its glyphs";
  int right = 0, bottom = 0;
  for (const auto& shape : outlines) {
    for (const auto& [x, y] : shape) right = std::max(right, x + 10), bottom = std::max(bottom, y + 10);
  }
  // A reference device 100 times as dense as a screen: the drawing's device units are
  // hundredths of a screen pixel, some 4 mm across; the frame 20 × 20 cm.
  std::string small = emf::file({emf::polygons(outlines)}, u"", true, right, bottom);
  for (const auto& [at, v] : std::vector<std::pair<std::size_t, std::int32_t>>{{24, 0}, {28, 0}, {32, 20000}, {36, 20000}, {72, 192000}, {76, 108000}}) {
    small.replace(at, 4, s32(v));
  }
  expect_read_rendered("corner.emf", small);

  // Issue #17 (out25): the same in a WMF — a number in a corner of a placeable box 53 cm wide, of a
  // window of 30000 units, of both (as Outlook writes an icon) — and in an EMF whose points are
  // four times as large, drawn through a world transform that quarters them: the reader frames
  // what the records paint (their points through the window and the transform), and OCR reads
  // the number. Before, the box or the frame filled the page and the number came out some 60
  // pixels wide, read as nothing.
  namespace wmf = sanso::testing::wmf;
  const std::string window = wmf::record(0x020B, wmf::u16(0) + wmf::u16(0)) + wmf::record(0x020C, wmf::u16(30000) + wmf::u16(30000));
  auto large = outlines;
  for (auto& shape : large) {
    for (auto& point : shape) point.first *= 4, point.second *= 4;
  }
  std::string quartered_scale;
  for (const float f : {0.25F, 0.0F, 0.0F, 0.25F, 0.0F, 0.0F}) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &f, 4);
    quartered_scale += emf::u32(bits);
  }
  std::string turned = emf::file({emf::record(35, quartered_scale), emf::polygons(large)}, u"", true, right, bottom);
  for (const auto& [at, v] : std::vector<std::pair<std::size_t, std::int32_t>>{{24, 0}, {28, 0}, {32, 20000}, {36, 20000}, {72, 192000}, {76, 108000}}) {
    turned.replace(at, 4, s32(v));
  }
  expect_read_rendered("box.wmf", wmf::file({wmf::polygons(outlines)}, true, 4, 30000, 30000));
  expect_read_rendered("window.wmf", wmf::body({window, wmf::polygons(outlines)}));
  expect_read_rendered("icon.wmf", wmf::file({window, wmf::polygons(outlines)}, true, 4, 30000, 30000));
  expect_read_rendered("transformed.emf", turned);
}


// Issue #17 (out25): an honest Outlook attachment icon (support/wmf_file.h outlook_icon: a 32 × 32
// icon drawn by its mask and colours, the file name under it in a created font, a window of
// their size, no placeable header) renders with ink, and OCR reads the name in it — out24's held
// icons were a StretchDIB of no destination size, which no icon Outlook writes has. Enlarged to
// fill the page, the name's characters were some 220 pixels high and Tesseract read 名簿 as "SS":
// a copy is enlarged at most 12 page pixels to a pixel of its own (kMostPagePixelsAPixel).
// The metafile `bytes` named `name` read and its drawing held, not rendered: its reason, Japanese
// first, has `why` in it.
void expect_held(const std::string& name, const std::string& bytes, const std::string& why) {
  const auto pieces = extract_texts(bytes, name);
  const auto drawn = std::find_if(pieces.begin(), pieces.end(), [&](const ExtractedText& p) { return p.where == name + "/drawing"; });
  ASSERT_NE(drawn, pieces.end()) << name;
  EXPECT_FALSE(drawn->drawing) << name << " was handed on to render";
  EXPECT_GE(static_cast<unsigned char>(drawn->unreadable.substr(drawn->unreadable.find(' ') + 1)[0]), 0x80) << name << ": " << drawn->unreadable;
  EXPECT_NE(drawn->unreadable.find(why), std::string::npos) << name << ": " << drawn->unreadable;
}

// `text` as a drawing's outlines (outlines_of at 150 dpi, 10 units from the origin), and `right`
// and `bottom` as far as they reach, a margin of 10 beyond.
std::vector<std::vector<std::pair<int, int>>> outlines_reaching(const std::string& text, int& right, int& bottom) {
  auto outlines = sanso::testing::outlines_of(text, 150, 10);
  right = 0, bottom = 0;
  for (const auto& shape : outlines) {
    for (const auto& [x, y] : shape) right = std::max(right, x + 10), bottom = std::max(bottom, y + 10);
  }
  return outlines;
}

// `values` as an EMF's FLOATs (an XForm, an EMF+ RectF), little-endian.
std::string floats(std::initializer_list<float> values) {
  std::string out;
  for (const float f : values) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &f, 4);
    out += sanso::testing::emf::u32(bits);
  }
  return out;
}

// review25b H2: a copy is enlarged at most kMostPagePixelsAPixel page pixels to a reference pixel. A
// drawing of coarse reference pixels — a placeable WMF of 65 000 units an inch (the number's box
// half a millimetre), an EMF whose reference device has pixels of 2 cm with the number drawn
// through a world transform of 1/2000 — came out some 24 page pixels wide and OCR read nothing,
// while a document places it at any size it likes. Held, with the reason.
TEST(PictureText, ADrawingOfCoarseReferencePixelsIsHeldNotRenderedTooSmall) {
  namespace emf = sanso::testing::emf;
  namespace wmf = sanso::testing::wmf;
  const auto s32 = [](std::int32_t v) { return emf::u32(static_cast<std::uint32_t>(v)); };
  int right = 0, bottom = 0;
  const auto outlines = outlines_reaching("個人番号\n1234 5678 9018", right, bottom);
  ASSERT_GT(outlines.size(), 12u) << "the test could not lay out its glyphs";
  const std::string figure = wmf::file({wmf::polygons(outlines)}, true, 4, static_cast<std::int16_t>(right), static_cast<std::int16_t>(bottom));
  expect_read_rendered("figure.wmf", figure);  // 1440 units an inch: read
  std::string fine = figure;
  fine.replace(14, 2, wmf::u16(65000));  // units an inch
  std::uint32_t checksum = 0;
  for (std::size_t i = 0; i < 20; i += 2) checksum ^= static_cast<unsigned char>(fine[i]) | static_cast<unsigned char>(fine[i + 1]) << 8;
  fine.replace(20, 2, wmf::u16(checksum));
  expect_held("fine.wmf", fine, "基準画素が粗く");
  std::string coarse = emf::file({emf::record(35, floats({0.0005F, 0.0F, 0.0F, 0.0005F, 0.0F, 0.0F})), emf::polygons(outlines)}, u"", true, right, bottom);
  // bounds 0,0,0,0; frame 4 × 1 cm; a reference device of 2 × 2 pixels of 40 × 40 mm
  for (const auto& [at, v] : std::vector<std::pair<std::size_t, std::int32_t>>{
           {8, 0}, {12, 0}, {16, 0}, {20, 0}, {24, 0}, {28, 0}, {32, 4000}, {36, 1000}, {72, 2}, {76, 2}, {80, 40}, {84, 40}}) {
    coarse.replace(at, 4, s32(v));
  }
  expect_held("coarse.emf", coarse, "基準画素が粗く");
}

TEST(PictureText, AnOutlookAttachmentIconRendersWithInkAndItsNameIsRead) {
  for (const auto& [label, read_as] : std::vector<std::pair<std::string, std::string>>{{"keikaku 2026.xlsx", "keikaku2026.xlsx"},
                                                                                       {"\x96\xBC\x95\xEB 2026.xlsx", "名簿2026.xlsx"}}) {  // 名簿 in CP932
    expect_read_rendered("icon.wmf", sanso::testing::wmf::outlook_icon(label), read_as);
  }
}

// Issue #17 (out24): a rendering that comes out blank is no reading. An EMF+ header before EMF
// records that paint: LibreOffice then plays only EMF+ records and renders an empty page, while
// a viewer playing the EMF records (GDI) shows the number. The reader saw records that paint, so
// the blank page is held with why ("描画が白紙に描かれた"), never read by OCR as nothing; without
// the header the same records render and are read.
TEST(PictureText, AMetafileRenderedBlankIsHeldNotReadAsNothing) {
  namespace emf = sanso::testing::emf;
  const auto outlines = sanso::testing::outlines_of("1234 5678 9018", 150, 10);
  ASSERT_GT(outlines.size(), 12u) << "the test could not lay out its glyphs";
  int right = 0, bottom = 0;
  for (const auto& shape : outlines) {
    for (const auto& [x, y] : shape) right = std::max(right, x + 10), bottom = std::max(bottom, y + 10);
  }
  // EmfPlusHeader (flags 0: EMF+ only; 1, dual, renders the same), then no EMF+ drawing at all.
  const std::string plus_only = emf::emf_plus({emf::plus_record(0x4001, 0, emf::u32(0xDBC01002) + emf::u32(1) + emf::u32(96) + emf::u32(96))});
  const auto rendered = [&](const std::vector<std::string>& records) {
    const auto pieces = extract_texts(emf::file(records, u"", true, right, bottom), "chart.emf");
    const auto drawn = std::find_if(pieces.begin(), pieces.end(), [](const ExtractedText& p) { return p.where == "chart.emf/drawing" && p.drawing; });
    return drawn == pieces.end() ? Result<std::string>(make_error("test", "", "no drawing to render")) : metafile_picture(drawn->picture);
  };
  const auto blank = rendered({plus_only, emf::polygons(outlines)});
  ASSERT_FALSE(blank) << "rendered with ink: the test no longer shows a blank rendering";
  EXPECT_EQ(blank.error().code, "cdr.drawing");
  EXPECT_EQ(blank.error().message.rfind("描画が白紙に描かれた", 0), 0u) << blank.error().message;
  const auto drawn = rendered({emf::polygons(outlines)});
  ASSERT_TRUE(drawn) << drawn.error().to_string();
}

// review25b H3, review26: an EmfPlusHeader and one EmfPlusFillRects (a 4 × 4 square) before the
// EMF records that draw the number. LibreOffice plays the EMF+ records only: its rendering of the
// file has ink (the square), the blank-render hold above does not fire, and OCR reads nothing in
// it, while a GDI viewer shows the number. Such a dual EMF (Office charts are written so) was
// held; now both are read: the file as it is ("dot.emf/drawing") and a copy without its EMF+
// comments ("dot.emf/drawing-gdi"), which LibreOffice plays as a GDI viewer does — the number is
// read in it. Either part alone is rendered as before, with no second copy.
TEST(PictureText, AnEmfPaintingBothByEmfPlusAndByEmfRecordsIsReadInBothRenderings) {
  namespace emf = sanso::testing::emf;
  int right = 0, bottom = 0;
  const auto outlines = outlines_reaching("1234 5678 9018", right, bottom);
  ASSERT_GT(outlines.size(), 12u) << "the test could not lay out its glyphs";
  // The EMF records alone: rendered and read (at this size Tesseract reads 1234 56/8 9018: the last
  // group is asked for).
  expect_read_rendered("plain.emf", emf::file({emf::polygons(outlines)}, u"", true, right, bottom), "9018");
  const std::string fill = emf::plus_record(0x400A, 0x8000, emf::u32(0xFF000000) + emf::u32(1) + floats({0.0F, 0.0F, 4.0F, 4.0F}));
  for (const std::uint16_t header_flags : {std::uint16_t{0}, std::uint16_t{1}}) {  // EMF+ only, dual: LibreOffice plays the same
    const std::string header = emf::plus_record(0x4001, header_flags, emf::u32(0xDBC01002) + emf::u32(1) + emf::u32(96) + emf::u32(96));
    const std::string name = "dot" + std::to_string(header_flags) + ".emf";
    const auto pieces = extract_texts(emf::file({emf::emf_plus({header, fill}), emf::polygons(outlines)}, u"", true, right, bottom), name);
    const auto whole = std::find_if(pieces.begin(), pieces.end(), [&](const ExtractedText& p) { return p.where == name + "/drawing"; });
    const auto gdi = std::find_if(pieces.begin(), pieces.end(), [&](const ExtractedText& p) { return p.where == name + "/drawing-gdi"; });
    ASSERT_NE(whole, pieces.end()) << name;
    ASSERT_NE(gdi, pieces.end()) << name << " has no copy of its EMF records alone";
    ASSERT_TRUE(whole->drawing && gdi->drawing) << name << ": " << whole->unreadable;
    // The copy holds no EMF+ comment, and the same EMF records.
    EXPECT_EQ(gdi->picture.find("EMF+"), std::string::npos);
    EXPECT_NE(gdi->picture.find(emf::polygons(outlines)), std::string::npos);
    const auto as_is = metafile_picture(whole->picture);  // the square: ink, no number
    ASSERT_TRUE(as_is) << as_is.error().to_string();
    const auto png = metafile_picture(gdi->picture);
    ASSERT_TRUE(png) << name << ": " << png.error().to_string();
    const auto read = picture_text(*png);
    ASSERT_TRUE(read) << read.error().to_string();
    EXPECT_NE(without_spaces(*read).find("9018"), std::string::npos) << name << "'s EMF records read as: " << *read;
    // The EMF+ part alone is rendered as before, alone.
    const auto alone = extract_texts(emf::file({emf::emf_plus({header, fill})}, u"", true, right, bottom), "alone.emf");
    const auto drawn = std::find_if(alone.begin(), alone.end(), [](const ExtractedText& p) { return p.where == "alone.emf/drawing"; });
    ASSERT_NE(drawn, alone.end());
    EXPECT_TRUE(drawn->drawing) << drawn->unreadable;
    EXPECT_TRUE(std::none_of(alone.begin(), alone.end(), [](const ExtractedText& p) { return p.where == "alone.emf/drawing-gdi"; }));
  }
}

// Every rendering of the metafile `bytes` named `name` ("name/drawing", its parts, …) read by OCR,
// each handed on to render (none held): `shown` (spaces aside) found in one of them, and not in
// the whole rendering ("name/drawing": what was read before parts, where the test's number is too
// small — else the test shows nothing). How many parts were read.
long expect_read_in_a_part(const std::string& name, const std::string& bytes, const std::string& shown = "123456789018") {
  long parts = 0;
  std::string texts;
  for (const ExtractedText& p : extract_texts(bytes, name)) {
    if (!p.where.starts_with(name + "/drawing")) continue;
    EXPECT_TRUE(p.drawing) << p.where << ": " << p.unreadable;
    if (!p.drawing) continue;
    parts += p.where.find("/part-") != std::string::npos ? 1 : 0;
    const auto png = metafile_picture(p.picture);
    EXPECT_TRUE(png) << p.where << ": " << png.error().to_string();
    if (!png) continue;
    const auto read = picture_text(*png);
    EXPECT_TRUE(read) << p.where << ": " << read.error().to_string();
    if (!read) continue;
    texts += p.where + ": " + *read + "\n";
    if (p.where == name + "/drawing") EXPECT_EQ(without_spaces(*read).find(shown), std::string::npos) << name << "'s number is legible whole: " << *read;
  }
  EXPECT_NE(without_spaces(texts).find(shown), std::string::npos) << name << " read as: " << texts;
  return parts;
}

// review26 H1: a number drawn as outlines some 25 reference pixels high, and a dot in the far
// corner of a frame 10 000 pixels wide — a pixel set (EMR_SETPIXELV), a 2 × 2 rectangle —, or a
// white rectangle the frame's size behind it: the painted extent is known but large, the whole
// drawing renders the number some 5 page pixels high, and OCR read nothing. A rendering that shows a
// reference pixel under 3 page pixels is read in parts: the places the drawing paints, each
// framed apart ("a.emf/drawing/part-K") — the number's part is read; the dot, of too few points to
// hold a number, has none. A background drawn whole is no place of its own. The same in a placeable WMF (its number 2 page pixels high rendered whole).
TEST(PictureText, ANumberTinyInALargePaintedExtentIsReadInParts) {
  namespace emf = sanso::testing::emf;
  namespace wmf = sanso::testing::wmf;
  const auto s32 = [](std::int32_t v) { return emf::u32(static_cast<std::uint32_t>(v)); };
  int right = 0, bottom = 0;
  const auto outlines = outlines_reaching("個人番号\n1234 5678 9018", right, bottom);
  ASSERT_GT(outlines.size(), 12u) << "the test could not lay out its glyphs";
  constexpr std::int32_t kFar = 10000;  // device pixels (96 dpi): 2.6 m; the number's digits some 5 page pixels high rendered whole
  const std::string dot = emf::record(15, s32(kFar - 1) + s32(kFar - 1) + emf::u32(0));  // EMR_SETPIXELV: a point, a colour
  const std::string square = emf::record(43, s32(kFar - 3) + s32(kFar - 3) + s32(kFar - 1) + s32(kFar - 1));  // EMR_RECTANGLE
  // A white brush (EMR_CREATEBRUSHINDIRECT: solid, white), selected, and a rectangle the frame's size.
  const std::string white = emf::record(39, emf::u32(2) + emf::u32(0) + emf::u32(0x00FFFFFF) + emf::u32(0)) + emf::record(37, emf::u32(2)) +
                            emf::record(43, s32(0) + s32(0) + s32(kFar) + s32(kFar));
  EXPECT_EQ(expect_read_in_a_part("pixel.emf", emf::file({emf::polygons(outlines), dot}, u"", true, kFar, kFar)), 1);
  EXPECT_EQ(expect_read_in_a_part("square.emf", emf::file({emf::polygons(outlines), square}, u"", true, kFar, kFar)), 1);
  EXPECT_EQ(expect_read_in_a_part("behind.emf", emf::file({white, emf::polygons(outlines)}, u"", true, kFar, kFar)), 1);
  // A placeable WMF of 1440 units an inch (15 to a reference pixel), a box of 30 000 units, a pixel
  // set in its far corner (META_SETPIXEL: a colour, y, x).
  const std::string far_pixel = wmf::record(0x041F, wmf::u32(0) + wmf::u16(29990) + wmf::u16(29990));
  EXPECT_EQ(expect_read_in_a_part("pixel.wmf", wmf::file({wmf::polygons(outlines), far_pixel}, true, 4, 30000, 30000)), 1);
}

// review27 H6/H7 (Review27Meta): a placeable WMF (96 units an inch: a unit is a reference pixel)
// of a number some 50 reference pixels high and 503 long, a dotted rule under it that makes its
// place 1120 wide framed, and a pixel set 20 000 away. Tiles overlapping by half (374) cut the
// number in both ("1234 5678 901", "34 5678 9018"); the overlap is now the longest run of marks
// along a line, and the number is whole in a part. The rule, a hairline, is no run. Without
// window records (H7) each part gets its own, and renders framed to its tile, not the whole.
std::string number_across_seams(bool windowed, int dpi = 375) {
  namespace wmf = sanso::testing::wmf;
  const auto shapes = sanso::testing::outlines_of("1234 5678 9018", dpi, 0);
  std::vector<std::vector<std::pair<int, int>>> placed;
  int left = 1 << 30, bottom = 0;
  for (const auto& s : shapes) {
    placed.emplace_back();
    for (const auto& [x, y] : s) placed.back().push_back({x + 1000, y + 1000}), left = std::min(left, x + 1000), bottom = std::max(bottom, y + 1000);
  }
  const int rule_left = left - 260, rule_right = rule_left + 1120 - 80 - 1;
  std::string rule_points;
  int points = 0;
  for (int x = rule_left; x <= rule_right; x += 30) rule_points += wmf::u16(x) + wmf::u16(bottom + 12), ++points;
  rule_points += wmf::u16(rule_right) + wmf::u16(bottom + 12), ++points;
  const std::string rule = wmf::record(0x0325, wmf::u16(points) + rule_points);                      // META_POLYLINE
  const std::string dot = wmf::record(0x041F, wmf::u32(0) + wmf::u16(1000) + wmf::u16(21000));       // META_SETPIXEL: colour, y, x
  std::string placeable = wmf::u32(0x9AC6CDD7) + wmf::u16(0) + wmf::u16(0) + wmf::u16(0) + wmf::u16(22000) + wmf::u16(3000) + wmf::u16(96) + wmf::u32(0);
  std::uint32_t checksum = 0;
  for (std::size_t i = 0; i < placeable.size(); i += 2) checksum ^= static_cast<unsigned char>(placeable[i]) | static_cast<unsigned char>(placeable[i + 1]) << 8;
  const std::string window = wmf::record(0x020B, wmf::u16(0) + wmf::u16(0)) + wmf::record(0x020C, wmf::u16(3000) + wmf::u16(22000));
  return placeable + wmf::u16(checksum) + wmf::body({windowed ? window : std::string(), wmf::polygons(placed), rule, dot});
}

TEST(PictureText, ANumberLongerThanHalfAPartIsWholeInOne) {
  EXPECT_GE(expect_read_in_a_part("seam.wmf", number_across_seams(true)), 2);
  EXPECT_GE(expect_read_in_a_part("windowless.wmf", number_across_seams(false)), 2);
  // Some 860 long (at 640 dpi): longer than a part (748), no overlap holds it whole — held.
  expect_held("long.wmf", number_across_seams(true, 640), "一列に並ぶ記号");
}

// review26 H1: the far dot also widened what a drawing of coarse reference pixels paints past
// the rule that holds it (kLeastShownPixels): the number drawn through a 1/2000 world transform on
// a reference device of 2 cm pixels, a pixel set 10 reference pixels away. A figure of many points
// that comes out under 120 page pixels however far a copy is enlarged is held, wherever the rest
// lies; a dot of its own (a pixel set, few points) is no figure.
TEST(PictureText, AFigureTooSmallToReadIsHeldWhateverElseIsPainted) {
  namespace emf = sanso::testing::emf;
  const auto s32 = [](std::int32_t v) { return emf::u32(static_cast<std::uint32_t>(v)); };
  int right = 0, bottom = 0;
  const auto outlines = outlines_reaching("個人番号\n1234 5678 9018", right, bottom);
  ASSERT_GT(outlines.size(), 12u) << "the test could not lay out its glyphs";
  const std::string transform = emf::record(35, floats({0.0005F, 0.0F, 0.0F, 0.0005F, 0.0F, 0.0F}));
  const std::string dot = emf::record(15, s32(20000) + s32(20000) + emf::u32(0));  // 10 reference pixels through the transform
  std::string coarse = emf::file({transform, emf::polygons(outlines), dot}, u"", true, right, bottom);
  // bounds 0,0,0,0; frame 44 × 44 cm; a reference device of 2 × 2 pixels of 40 × 40 mm
  for (const auto& [at, v] : std::vector<std::pair<std::size_t, std::int32_t>>{
           {8, 0}, {12, 0}, {16, 0}, {20, 0}, {24, 0}, {28, 0}, {32, 44000}, {36, 44000}, {72, 2}, {76, 2}, {80, 40}, {84, 40}}) {
    coarse.replace(at, 4, s32(v));
  }
  expect_held("coarse.emf", coarse, "描画の一部");
}

// The ink check itself, through its own function: a PNG of one colour (white, transparent, a
// logo's grey) has none, a picture of text has; what is no PNG it checks is an error, never "blank".
TEST(PictureText, APicturesInkIsCheckedInTheConverterSandbox) {
  const std::string text = picture_of("1234 5678 9018");
  ASSERT_FALSE(text.empty());
  const auto inked = picture_has_ink(text);
  ASSERT_TRUE(inked) << inked.error().to_string();
  EXPECT_TRUE(*inked);
  const auto grey = picture_has_ink(plain_picture());
  ASSERT_TRUE(grey) << grey.error().to_string();
  EXPECT_FALSE(*grey);
  for (const std::string& broken : {std::string("not a picture"), text.substr(0, text.size() / 2), std::string("\x89PNG\r\n\x1A\n")}) {
    const auto checked = picture_has_ink(broken);
    ASSERT_FALSE(checked) << broken.size() << " bytes read as " << (*checked ? "ink" : "blank");
    EXPECT_EQ(checked.error().code, "cdr.ink");
  }
  const auto missing = picture_has_ink(text, "/nonexistent/python3");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("python3"), std::string::npos) << missing.error().message;
}

TEST(PictureText, AMetafileThatCannotBeRenderedIsAnError) {
  const auto broken = metafile_picture("not a metafile at all");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code, "cdr.drawing");
  const auto missing = metafile_picture(sanso::testing::wmf::file({}), "/nonexistent/soffice.bin");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "cdr.drawing");
  EXPECT_NE(missing.error().message.find("libreoffice-draw-nogui"), std::string::npos) << missing.error().message;
}

TEST(PictureText, APictureWithoutTextReadsAsNoText) {
  // A plain grey square (a logo's background): read, and no words in it.
  const std::string png = plain_picture();
  ASSERT_FALSE(png.empty());
  auto text = picture_text(png);
  ASSERT_TRUE(text) << text.error().to_string();
  EXPECT_EQ(without_spaces(*text), "") << *text;
}

// Hostile or broken input is an error that says so, never text passed as read.
TEST(PictureText, WhatIsNoPictureOrBrokenIsAnErrorNotAnEmptyText) {
  auto not_a_picture = picture_text("個人番号 1234 5678 9018 in a text file, not a picture");
  EXPECT_FALSE(not_a_picture) << *not_a_picture;
  const std::string png = picture_of("1234 5678 9018");
  ASSERT_GT(png.size(), 100u);
  auto cut = picture_text(png.substr(0, png.size() / 3));
  if (cut) {
    EXPECT_EQ(without_spaces(*cut).find("123456789018"), std::string::npos) << "a third of the file cannot show the whole number";
  }
  // A header that claims 60,000 × 60,000 pixels: refused within the job's memory and time.
  std::string bomb = png.substr(0, 33);
  bomb[16] = 0, bomb[17] = 0, bomb[18] = static_cast<char>(0xEA), bomb[19] = 0x60;
  bomb[20] = 0, bomb[21] = 0, bomb[22] = static_cast<char>(0xEA), bomb[23] = 0x60;
  auto huge = picture_text(bomb + png.substr(33), "/usr/bin/tesseract", std::chrono::seconds(20));
  EXPECT_FALSE(huge && without_spaces(*huge).size() > 0) << "nothing read from a bomb";
  EXPECT_FALSE(picture_text(png, "/nonexistent/tesseract")) << "a missing program is an error";
}

// A card photographed sideways or upside down: read turned upright (orientation detection), so its
// number is found as on a card lying straight. Read as it lay, upside down gave noise and sideways
// (270) nothing like the number.
TEST(PictureText, ACardTurnedSidewaysOrUpsideDownIsReadUpright) {
  for (int degrees : {0, 90, 180, 270}) {
    const std::string png = turned_card(degrees);
    ASSERT_GT(png.size(), 1000u) << "pdftoppm could not render the card turned " << degrees;
    auto text = picture_text(png);
    ASSERT_TRUE(text) << degrees << ": " << text.error().to_string();
    EXPECT_NE(without_spaces(*text).find("123456789018"), std::string::npos) << "turned " << degrees << ": " << *text;
  }
}

// review20b 12: incoming conversions (a LibreOffice or tiff2rgba run per core, from a flood of
// legacy documents) do not take the outgoing check's converters: its text is still read.
TEST(PictureText, IncomingConversionsOnEveryCoreLeaveTheOutgoingCheckItsConverters) {
  using internal::ConverterWork;
  std::vector<std::unique_ptr<internal::ConverterSlot>> converting;
  for (unsigned i = 0; i < internal::ConverterSlot::total(ConverterWork::kRebuild); ++i) {
    converting.push_back(std::make_unique<internal::ConverterSlot>(ConverterWork::kRebuild, std::chrono::milliseconds(0)));
    ASSERT_TRUE(converting.back()->held());
  }
  EXPECT_FALSE(internal::ConverterSlot(ConverterWork::kRebuild, std::chrono::milliseconds(0)).held()) << "every rebuild slot is taken";
  const std::string png = picture_of("個人番号 1234 5678 9018");
  ASSERT_FALSE(png.empty());
  auto text = picture_text(png, "/usr/bin/tesseract", std::chrono::seconds(60));
  ASSERT_TRUE(text) << text.error().to_string();
  EXPECT_NE(without_spaces(*text).find("123456789018"), std::string::npos) << *text;
}

// Every converter busy (a flood of pictures, a LibreOffice conversion per core): the call waits no
// longer than the time it was given, and says why it read nothing.
TEST(PictureText, NoConverterFreeWithinTheTimeLeftIsAnErrorSoonNotAWait) {
  const std::string png = picture_of("個人番号 1234 5678 9018");
  ASSERT_FALSE(png.empty());
  using internal::ConverterWork;
  std::vector<std::unique_ptr<internal::ConverterSlot>> busy;
  for (unsigned i = 0; i < internal::ConverterSlot::total(ConverterWork::kTextCheck); ++i) {
    busy.push_back(std::make_unique<internal::ConverterSlot>(ConverterWork::kTextCheck, std::chrono::milliseconds(0)));
    ASSERT_TRUE(busy.back()->held());
  }
  EXPECT_FALSE(internal::ConverterSlot(ConverterWork::kTextCheck, std::chrono::milliseconds(0)).held()) << "every slot is taken";
  const auto started = std::chrono::steady_clock::now();
  auto text = picture_text(png, "/usr/bin/tesseract", std::chrono::milliseconds(200));
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(text) << *text;
  EXPECT_NE(text.error().message.find("no converter came free within the 200 ms"), std::string::npos) << text.error().to_string();
  EXPECT_EQ(text.error().code, "cdr.picture-text");
  EXPECT_LT(took, std::chrono::seconds(2));
  auto pdf = pdf_text("%PDF-1.4\n", "/usr/bin/pdftotext", std::chrono::milliseconds(50));
  ASSERT_FALSE(pdf);
  EXPECT_NE(pdf.error().message.find("no converter came free"), std::string::npos) << pdf.error().to_string();

  // A slot that comes free while there is time left is taken, and the picture read; the run gets
  // what the wait left of the time.
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    busy.pop_back();
  });
  auto read = picture_text(png, "/usr/bin/tesseract", std::chrono::seconds(60));
  release.join();
  ASSERT_TRUE(read) << read.error().to_string();
  EXPECT_NE(without_spaces(*read).find("123456789018"), std::string::npos) << *read;
}

// review25b (attack, pdf25): tiles overlap by an inch (kPdfTileOverlap), but a 個人番号 printed at
// 12 pt with its spaces ("1234 5678 9018") is longer than an inch. A banner scan 40 × 1 inches at
// 1200 dpi on an A0 page (landscape) needs 600 dpi; its region (41 × 2 inches, 24 600 × 1 200
// pixels) does not fit as two strips one above the other, so it is cut into two tiles side by side
// whose seam is vertical: the number centred on the seam is whole in neither tile. SHOULD: some
// part shows the whole number (or the page is held). Regions are now cut only into strips, and this
// one is held (CdrExtract.PdfRegionsLargerThanTheBudgetAreTiledOrHeld asserts that, unread).
TEST(PictureText, ANumberLongerThanTheTileOverlapOnAVerticalSeamIsReadInSomePart) {
  int width = 0, height = 0, number_width = 0, number_height = 0;
  const std::string line = sanso::testing::rgb_of("個人番号 1234 5678 9018", width, height, 1030);  // 12 pt print at 1200 dpi
  const std::string number = sanso::testing::rgb_of("1234 5678 9018", number_width, number_height, 1030);
  ASSERT_FALSE(line.empty() || number.empty()) << "the test could not render its picture";
  ASSERT_GT(number_width, 1300) << "the number must be longer than the inch (1200 pixels) the tiles overlap by";
  const int across = 48000, down = 1200, row_bytes = across / 8;
  ASSERT_LT(height, down);
  // The number's middle on the seam: the seam's overlap is at page x 1504–1576 pt, image x 24000 ± 600.
  const int left = 24000 - (width - number_width / 2);
  std::string bits(static_cast<std::size_t>(row_bytes) * down, '\xFF');
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      if (static_cast<unsigned char>(line[(static_cast<std::size_t>(y) * width + x) * 3 + 1]) >= 128) continue;
      const std::size_t at = static_cast<std::size_t>(down / 2 - height / 2 + y) * row_bytes + static_cast<std::size_t>((left + x) / 8);
      bits[at] = static_cast<char>(static_cast<unsigned char>(bits[at]) & ~(0x80u >> ((left + x) % 8)));
    }
  }
  const std::string deflated = fixtures::zlib_compress(bits);
  const std::string contents = "q 2880 0 0 72 100 1000 cm /Im1 Do Q";
  const std::string pdf = sanso::testing::pdf_of(
      {"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
       "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 3370 2384] /Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>",
       "<< /Type /XObject /Subtype /Image /Width " + std::to_string(across) + " /Height " + std::to_string(down) +
           " /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /FlateDecode /Length " + std::to_string(deflated.size()) + " >>\nstream\n" + deflated + "\nendstream",
       "<< /Length " + std::to_string(contents.size()) + " >>\nstream\n" + contents + "\nendstream"});
  const auto pieces = extract_texts(pdf, "banner.pdf");
  const auto pages = std::find_if(pieces.begin(), pieces.end(), [](const ExtractedText& p) { return p.where == "banner.pdf/pages"; });
  ASSERT_NE(pages, pieces.end());
  // Held is right too (and what happens now: strips do not fit): then it says why.
  if (pages->pages.empty()) {
    EXPECT_NE(pages->unreadable.find("parts"), std::string::npos) << pages->unreadable;
    return;
  }
  std::string all;
  bool whole = false;
  for (const PdfPage& part : pages->pages) {
    ASSERT_TRUE(part.region);
    all += "part " + std::to_string(part.region->x) + "+" + std::to_string(part.region->width) + " × " + std::to_string(part.region->y) + "+" +
           std::to_string(part.region->height) + " at " + std::to_string(part.dpi) + " dpi: ";
    const auto png = pdf_page_picture(pdf, part);
    ASSERT_TRUE(png) << png.error().to_string();
    const auto read = picture_text(*png);
    ASSERT_TRUE(read) << read.error().to_string();
    all += "'" + *read + "'\n";
    whole = whole || without_spaces(*read).find("123456789018") != std::string::npos;
  }
  EXPECT_TRUE(whole) << "the number on the seam is whole in no part; read:\n" << all;
}

// Issue #17 (H7): a 個人番号 drawn in a PDF as its glyphs' outlines, filled — no character in the
// file, nothing for pdftotext — is named for OCR (twelve glyph-sized shapes or more), its page
// rendered by pdftoppm and the number read by Tesseract.
TEST(PictureText, ANumberDrawnAsOutlinesInAPdfIsRenderedAndRead) {
  const auto outlines = sanso::testing::outlines_of("個人番号\n1234 5678 9018", 150, 40);
  ASSERT_GT(outlines.size(), 12u) << "the test could not lay out its glyphs";
  const std::string contents = "0 g " + sanso::testing::pdf_path_of(outlines, 150, 792, "f");
  const std::string pdf = sanso::testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                                  "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
                                                  "<< /Length " + std::to_string(contents.size()) + " >>\nstream\n" + contents + "\nendstream"});
  const auto pieces = extract_texts(pdf, "outlined.pdf");
  const auto pages = std::find_if(pieces.begin(), pieces.end(), [](const ExtractedText& p) { return p.where == "outlined.pdf/pages"; });
  ASSERT_NE(pages, pieces.end()) << "the page passed unread";
  ASSERT_FALSE(pages->pages.empty()) << pages->unreadable;
  std::string all;
  for (const PdfPage& part : pages->pages) {
    const auto png = pdf_page_picture(pdf, part);
    ASSERT_TRUE(png) << png.error().to_string();
    const auto read = picture_text(*png);
    ASSERT_TRUE(read) << read.error().to_string();
    all += *read;
  }
  EXPECT_NE(without_spaces(all).find("123456789018"), std::string::npos) << "read as: " << all;
}

// Issue #17 (M1): on an A1 drawing "1234 5678" is typed and "9018" is a stamp scanned at 1200 dpi
// beside it on the same line. The page is read in parts (whole it would be 279 million pixels at
// 600 dpi); the stamp's part reaches 3 inches further each way along the line, so OCR reads the
// whole number in it — a part of the stamp alone read "9018", and pdftotext "1234 5678".
TEST(PictureText, ANumberHalfTypedHalfInAFinePictureOnALargePageIsReadWhole) {
  int width = 0, height = 0;
  const std::string half = sanso::testing::rgb_of("9018", width, height, 1030);  // 12 pt print at 1200 dpi
  ASSERT_FALSE(half.empty()) << "the test could not render its picture";
  const int row_bytes = (width + 7) / 8;
  std::string bits(static_cast<std::size_t>(row_bytes) * height, '\xFF');
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      if (static_cast<unsigned char>(half[(static_cast<std::size_t>(y) * width + x) * 3 + 1]) >= 128) continue;
      const std::size_t at = static_cast<std::size_t>(y) * row_bytes + static_cast<std::size_t>(x / 8);
      bits[at] = static_cast<char>(static_cast<unsigned char>(bits[at]) & ~(0x80u >> (x % 8)));
    }
  }
  const double across = width * 72.0 / 1200, down = height * 72.0 / 1200;
  // The typed half ends at 797 pt; the picture's text, in its middle, on the typed line's baseline.
  const std::string contents = "BT /F1 12 Tf 740 1200 Td (1234 5678) Tj ET q " + std::to_string(across) + " 0 0 " + std::to_string(down) + " 802 " +
                               std::to_string(1205.5 - down / 2) + " cm /Im1 Do Q";
  const std::string pdf = sanso::testing::pdf_of(
      {"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
       "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 1684 2384] /Resources << /XObject << /Im1 4 0 R >> /Font << /F1 6 0 R >> >> /Contents 5 0 R >>",
       "<< /Type /XObject /Subtype /Image /Width " + std::to_string(width) + " /Height " + std::to_string(height) +
           " /ColorSpace /DeviceGray /BitsPerComponent 1 /Length " + std::to_string(bits.size()) + " >>\nstream\n" + bits + "\nendstream",
       "<< /Length " + std::to_string(contents.size()) + " >>\nstream\n" + contents + "\nendstream", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"});
  const auto pieces = extract_texts(pdf, "drawing.pdf");
  const auto pages = std::find_if(pieces.begin(), pieces.end(), [](const ExtractedText& p) { return p.where == "drawing.pdf/pages"; });
  ASSERT_NE(pages, pieces.end());
  ASSERT_FALSE(pages->pages.empty()) << pages->unreadable;
  std::string all;
  bool whole = false;
  for (const PdfPage& part : pages->pages) {
    ASSERT_TRUE(part.region) << "an A1 page at 600 dpi is read in parts";
    const auto png = pdf_page_picture(pdf, part);
    ASSERT_TRUE(png) << png.error().to_string();
    const auto read = picture_text(*png);
    ASSERT_TRUE(read) << read.error().to_string();
    all += "'" + *read + "'\n";
    whole = whole || without_spaces(*read).find("123456789018") != std::string::npos;
  }
  EXPECT_TRUE(whole) << "no part reads the whole number; read:\n" << all;
}

}  // namespace
}  // namespace sanso::cdr
