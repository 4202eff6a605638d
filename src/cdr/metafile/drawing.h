// What a metafile reader (wmf.cc, emf.cc) collects as it walks the records: the text drawn, the
// pictures painted, what it could not read. Private to src/cdr/metafile.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cdr/internal/metafile.h"

namespace sanso::cdr::internal::metafile {

// The page a rendering copy is sized to fill (A4 less margins), in hundredths of a millimetre: the
// drawing rendered at 300 dpi of it, whatever size it declares — a tiny drawing is read enlarged, a
// huge one reduced to the page, as a person sees it fitted to the screen.
constexpr std::int64_t kRenderWidth = 19000, kRenderHeight = 27700;
// The most a rendering copy is enlarged: page pixels (300 dpi) to a pixel of its reference device
// (an EMF's; a WMF's at 96 dpi by its units an inch, else a unit a pixel). An icon 113 pixels
// wide filled the page at 19 to one, its name's characters some 220 pixels high, and Tesseract
// read 名簿 as "SS"; at 12 a 12-pixel font is some 144 high and read. A digit of two pixels still
// comes out 24 high.
constexpr double kMostPagePixelsAPixel = 12;

// Little-endian fields, as every metafile structure stores them; the caller has checked the bounds.
inline std::uint32_t u16(std::string_view b, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) | static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 8;
}
inline std::uint32_t u32(std::string_view b, std::size_t at) { return u16(b, at) | u16(b, at + 2) << 16; }
// The same written in place (a rendering copy's header fields); the caller has checked the bounds.
inline void put_u32(std::string& b, std::size_t at, std::uint32_t v) {
  for (int k = 0; k < 4; ++k) b[at + k] = static_cast<char>((v >> (8 * k)) & 0xFF);
}

// The charset of a font's CharSet ([MS-WMF] 2.1.1.5, the same in an EMF LogFont): its Windows code
// page's, as mime::charset_for_code_page names it; "" for the ones that name none (DEFAULT,
// SYMBOL, MAC, OEM).
std::string code_page(unsigned charset);

// A box in the units a frame is declared in.
struct Box {
  double left = 0, top = 0, right = 0, bottom = 0;
  double width() const { return right - left; }
  double height() const { return bottom - top; }
};

// What a metafile's painting records cover (review24, issue #17): a drawing much smaller than
// the frame it declares — a number in a 2 mm corner of a 20 cm frame — renders too small to read
// when the frame fills the page, so the readers frame what is painted instead. Read from the
// points the painting records carry (never from the bounds they declare, which a sender writes as
// it likes), mapped by `map` — the transforms a reader follows (an EMF's world transform, window
// and viewport) — into the units the frame is declared in. A painting record whose points are not
// read, or a transform not followed, makes it unknown.
class Extent {
 public:
  // x' = a·x + c·y + e, y' = b·x + d·y + f ([MS-EMF] 2.2.28 XForm's order).
  struct Map {
    double a = 1, b = 0, c = 0, d = 1, e = 0, f = 0;
  };
  void map(const Map& m) { map_ = m; }
  // A point of a line, polygon, curve or path. Points drawn one after another closer than the
  // reach (set_reach) are one mark: a figure drawn as a polygon, a number as its outlines. A lone
  // point between longer steps (the corner of a large triangle, the far end of a spike) is no
  // mark of its own: the line to it is as long as the step, and shows at any size.
  void point(double x, double y);
  // A box's four corners (a turned map makes it a parallelogram): one shape drawn whole — a
  // rectangle, an ellipse, a bitmap stretched —, a mark of its own.
  void box(double left, double top, double right, double bottom);
  // A pixel set by a record of its own (SetPixel): a mark however far from the others.
  void dot(double x, double y) { box(x, y, x, y); }
  // How close (in the units the extent is kept in) points drawn one after another are to be one
  // mark: kPartReach reference pixels. Set before the points it applies to.
  void set_reach(double reach) {
    close_run();
    reach_ = reach;
  }
  // What painting records drew, each as a box in the extent's units (review26 H1: a far dot makes
  // the extent large and leaves a number tiny; the marks find where the painting gathers, and
  // painted_parts() renders each place apart). `points`: how many points drew it (a box four, a
  // text run none: its text is read from its record); `whole`: one shape drawn whole (a box, a
  // bitmap), which holds nothing finer than itself.
  struct Mark {
    Box box;
    std::uint64_t points = 0;
    bool whole = false;
  };
  std::vector<Mark> marks() const;
  // Whether more marks than kMostMarks were drawn: the marks are not all kept.
  static constexpr std::size_t kMostMarks = std::size_t{1} << 16;
  bool marks_lost() const { return marks_lost_; }
  // Text drawn at (x, y): its alignment (left, centre, right; top, baseline, bottom) is not
  // followed, so it may lie on either side — as far as its characters reach (a font's height
  // each, or their advances when those are longer) and twice its font's height up or down. A font
  // of no known height, or one turned off its baseline, makes the extent unknown.
  void text(double x, double y, std::uint64_t chars, std::uint64_t advance, std::int64_t font_height, bool turned);
  // What is not followed, for a person (`ja` "EMF+ の描画", `en` "EMF+ records"). `any_size`: it
  // may paint at any size (EMF+ records, regions, a mapping not followed), not only somewhere
  // else (text at the current position, in a font of its size turned, a mirrored layout): the
  // first such is kept, for illegible_unknown_extent.
  void unknown(const char* ja, const char* en, bool any_size) {
    known_ = false;
    if (any_size && !any_size_) why_ja_ = ja, why_en_ = en, any_size_ = true;
  }
  bool any_size() const { return any_size_; }
  const char* why_ja() const { return why_ja_; }
  const char* why_en() const { return why_en_; }
  // Whether every painting record's points were read and there were any.
  bool known() const { return known_ && left_ <= right_ && top_ <= bottom_; }
  double left() const { return left_; }
  double top() const { return top_; }
  double right() const { return right_; }
  double bottom() const { return bottom_; }

 private:
  // A point through the map, into the extent; false when it lies past any page (unknown()).
  bool add(double x, double y, double& to_x, double& to_y);
  void mark(const Box& box, std::uint64_t points, bool whole);
  void close_run();
  Map map_;
  double left_ = 1e300, top_ = 1e300, right_ = -1e300, bottom_ = -1e300;
  bool known_ = true, any_size_ = false;
  std::vector<Mark> marks_;
  bool marks_lost_ = false;
  double reach_ = 0;
  Box run_;                       // the points drawn one after another so far
  std::uint64_t run_points_ = 0;
  double last_x_ = 0, last_y_ = 0;
  const char* why_ja_ = "";
  const char* why_en_ = "";
};

// What a rendering copy shows: `painted` (the extent, in the frame's units, with a margin of a
// twentieth of its size and at least `least_margin`) when it lies in `frame` (a tenth of it
// allowed: what lies outside, a viewer does not show) and fills the page at least twice as large
// as the frame does; else `frame`, as declared.
Box rendered_box(const Box& frame, Box painted, double least_margin);

// Whether a drawing whose painted extent is not known, by records that may paint at any size,
// could hold something a viewer shows that comes out below legibility when its whole frame is
// rendered to fill the page (what is only placed elsewhere — text in a font of its size — is as
// legible as the frame was before the extent was read): the frame,
// `width` × `height` reference-device pixels, fills the page's 300 dpi at fewer than three page
// pixels to each of its own — a digit of five device pixels (the least one shows, as a bitmap's
// kLeastTextHeight) then stays under fifteen, a hundred-and-fiftieth of the page's width, below
// which OCR reads nothing. "" when it cannot; else why it is held, Japanese first.
std::string illegible_unknown_extent(double width, double height, const Extent& extent);

// The least a rendering copy may show its painted part at, in page pixels (300 dpi) along its
// longer side. kMostPagePixelsAPixel stops the enlarging of a drawing of coarse reference
// pixels (review25b H2: a WMF of 65 000 units an inch, an EMF whose 2 × 2 pixel reference device
// maps a number through a 1/2000 world transform), and the number a document places at any size it
// likes comes out some 24 pixels wide, where OCR reads nothing. A number as it is written,
// "1234 5678 9018" (fourteen characters, each some 0.55 of its height wide), is some 115 page
// pixels long at the least height OCR reads (15, a hundred-and-fiftieth of the page's width, as in
// illegible_unknown_extent): a drawing shown shorter than 120 cannot hold it on a line legibly.
// Above it OCR reads (the tests' figure of "個人番号" over the number at 1440 units an inch comes
// out 180 × 78 and is read); an Outlook icon (32 × 32 pixels, 384 at 12 to one) is read.
constexpr double kLeastShownPixels = 120;

// Whether a rendering copy shows its painted part `wide` × `high` page pixels (300 dpi), its longer
// side under kLeastShownPixels: "" when not; else why it is held, Japanese first.
std::string illegible_capped(double wide, double high);

// A drawing whose rendering shows a reference pixel as fewer than kLeastPagePixelsAPixel page
// pixels (300 dpi) shows a digit of five reference pixels (the least one shows, as a bitmap's
// kLeastTextHeight) under fifteen, a hundred-and-fiftieth of the page's width, below which OCR
// reads nothing (illegible_unknown_extent's measure): read in parts (painted_parts).
constexpr double kLeastPagePixelsAPixel = 3;
// Marks closer than this (reference pixels: some 1 cm at 96 dpi) are one place of a drawing, one
// part: the digits of a number, the characters of a line and the lines of a label lie closer, a
// far dot or a legend's corner farther.
constexpr double kPartReach = 40;
// The most parts a drawing is read in (each a rendering and an OCR pass, some seconds): past it
// the drawing is held.
constexpr std::size_t kMostParts = 6;
// A figure (small marks within a few reference pixels of each other) drawn by this many points or
// more that comes out under kLeastShownPixels however it is enlarged could hold a number no part
// shows legibly: held. Twelve digits take four points each at the least (a seven-segment 1 as a
// rectangle, a 7 as a stroke of three); a dot, a tick, a bullet's circle, a short label take fewer.
constexpr std::uint64_t kLeastFigurePoints = 48;

// The parts a drawing is read in besides its whole rendering, in reference pixels, or why it is
// held (Japanese first; "" when it is not). `extent`'s marks (in its units, `unit_x` × `unit_y`
// of them to a reference pixel) are gathered into places: marks within kPartReach of each other
// one place, a shape drawn whole that shows at least fifteen page pixels in the whole rendering
// (a background, a frame-sized white rectangle, a large bitmap — its pixels are read apart) no
// place of its own but rendered inside any part it lies in. A figure — marks each under
// kLeastShownPixels at the 12× cap, within 4 reference pixels of each other (a dot ten pixels off
// is no part of it) — of kLeastFigurePoints or more, that cannot come out kLeastShownPixels long,
// is held whatever else is painted; so is a drawing of more than 768 places or figures apart
// (a scatter of dots). When the whole rendering shows a
// reference pixel as `whole_scale` page pixels, fewer than kLeastPagePixelsAPixel, each place that
// can hold a number (kLeastFigurePoints) and shows under half the page's width whole becomes a
// part framed to it with kPartReach around, cut into tiles of the page's size at
// kLeastPagePixelsAPixel when it is larger, overlapping by half or by the longest run of marks
// along a line in it (a line of digits on a seam is whole in another tile; review27 H6), held
// when a run is longer than a tile; more than kMostParts parts, or marks not all kept, and it is
// held.
struct Parts {
  std::vector<Box> boxes;
  std::string held;
};
Parts painted_parts(const Extent& extent, double unit_x, double unit_y, double whole_scale);

class Drawing {
 public:
  explicit Drawing(const Context& ctx) : ctx_(ctx) {}

  // The height of the font text is drawn in from now on (its em or cell height, in the same
  // logical units as the coordinates; 0 when unknown): runs closer than half of it on y are on one
  // line to a reader.
  void font_height(std::int64_t height) { height_ = height < 0 ? -height : height; }
  // 8-bit text drawn at (x, y) in the font of `charset`.
  void text_8bit(std::int64_t y, std::int64_t x, std::string_view bytes, unsigned charset);
  // UTF-16LE text drawn at (x, y).
  void text_utf16(std::int64_t y, std::int64_t x, std::string_view bytes);
  // Text the file carries but does not draw (a font's name, a description, a comment): a line of
  // its own, 8-bit bytes read as a guess and as `charset`'s code page.
  void carried_8bit(std::string_view bytes, unsigned charset = 1);
  void carried_utf16(std::string_view bytes);
  // A bitmap the file paints: a picture for OCR when it can show a digit, else passed; a "limit"
  // error (pixels) is the caller's to return.
  Result<void> picture(Result<DibPicture> decoded, const std::string& which);
  // A file carried inside (an enhanced metafile in a WMF's comments, a picture in an EMF+ object),
  // read by extract_texts as the file it is.
  void embed(std::string name, std::string bytes);
  void unread(std::string name, std::string why);
  // Something painted besides text and bitmaps: a line, a shape, a path, a region, a fill, a pixel
  // set by a record of its own. A number drawn so (text converted to curves, as a PDF or a drawing
  // program writes it; a seven-segment figure; dots) is in no text record: a metafile that paints
  // anything but text is read whole, rendered, by OCR (finish()).
  void shape() { painted_ = true; }
  // Whether anything was drawn (shapes, a bitmap of any size — a 1×1 bitmap stretched is a
  // rectangle —, or text: where a viewer puts each run depends on advances, origins, transforms and
  // alignment the text reader does not follow, review23a): the reader then hands finish() a copy to
  // render.
  bool painted() const { return painted_ || !runs_.empty(); }
  // The metafile as it is rendered for OCR (see rendering_copy in the readers): its bytes sized to
  // fill a page, or empty when it declares no size to render it at or `why_not` (then it stays
  // unread).
  void rendering(std::string bytes, std::string why_not = {}) {
    rendering_ = std::move(bytes);
    unrenderable_ = std::move(why_not);
  }
  // A further copy rendered for OCR beside the whole one, under `name` ("drawing/part-1", a part;
  // "drawing-gdi", a dual EMF's EMF records alone): read only with the whole one.
  void also_rendering(std::string name, std::string bytes) { more_renderings_.emplace_back(std::move(name), std::move(bytes)); }
  // Text drawn by glyph index is shapes of a font the file does not carry: what it says cannot be
  // read without the font's own character map.
  Result<void> glyph_indices(const std::string& which);
  // A DIB whose colours are indices into the logical palette (DIB_PAL_COLORS) has no colours of its
  // own to decode with.
  Result<void> palette_indices(const std::string& which);
  // `after`: the bytes past the end record. Drawn by nobody and read by whoever looks at the
  // bytes: unread, unless they are zeros (padding).
  void after_end(std::string_view after);
  // Data of no known structure (escape and comment data): read as text up to 4 KiB, else unread.
  void opaque(std::string_view data, const std::string& which, const char* what);
  // An escape record's data (`function`, its escape number): read as opaque data, and kept as the
  // PostScript a printer driver passes through, its shows read joined in finish().
  void escape(std::uint32_t function, std::string_view data, const std::string& which);

  // The text — every run on a line of its own; each line's runs (y within half the font's height)
  // joined left to right and right to left (a mirrored window or a right-to-left layout draws them
  // so) when it has more than one, as a viewer shows "1234" "5678" "9018" drawn side by side as one
  // number; and every run in the order drawn, a space apart (text drawn at the current position,
  // TA_UPDATECP, ignores the coordinates its records carry) — and what was collected; when
  // anything but text was painted, the rendering copy as `drawing` and why it is not read as text
  // (`drawing_unread`) until OCR reads it rendered. The strings the escapes' PostScript shows, in
  // the order shown and joined, are a line too: a printer puts "(1234) show (5678) show" side by
  // side as the text runs above are joined.
  ReadContent finish();

 private:
  struct Run {
    std::int64_t y = 0, x = 0;
    std::string joined;  // one reading, for joining along a baseline
    std::int64_t height = 0;
  };
  const Context& ctx_;
  ReadContent out_;
  std::string text_;
  std::vector<Run> runs_;
  std::size_t pictures_ = 0;
  std::int64_t height_ = 0;
  bool painted_ = false;
  std::string rendering_, unrenderable_;
  std::vector<std::pair<std::string, std::string>> more_renderings_;
  std::string postscript_;  // the escapes' data, in order: a string may go on in the next record
};

}  // namespace sanso::cdr::internal::metafile
