// A Windows metafile ([MS-WMF]) read record by record for what it shows: text and bitmaps. Outlook
// draws an attachment's icon as one (TNEF's attAttachMetaFile), Word and PowerPoint keep clip art
// and pasted charts as them; a name under an icon or a label in a chart leaves with the file.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include "cdr/internal/metafile.h"
#include "cdr/metafile/drawing.h"

namespace sanso::cdr::internal {
namespace {

using metafile::u16;
using metafile::u32;
std::int32_t s16(std::string_view b, std::size_t at) { return static_cast<std::int16_t>(u16(b, at)); }

constexpr std::uint32_t kPlaceableKey = 0x9AC6CDD7u;
constexpr std::size_t kPlaceableSize = 22, kHeaderSize = 18;

// [MS-WMF] 2.1.1.1 RecordType.
enum : std::uint16_t {
  kEof = 0x0000,
  kTextOut = 0x0521,
  kExtTextOut = 0x0A32,
  kEscape = 0x0626,
  kSelectObject = 0x012D,
  kDeleteObject = 0x01F0,
  kCreatePalette = 0x00F7,
  kCreatePatternBrush = 0x01F9,
  kCreatePenIndirect = 0x02FA,
  kCreateFontIndirect = 0x02FB,
  kCreateBrushIndirect = 0x02FC,
  kCreateRegion = 0x06FF,
  kDibCreatePatternBrush = 0x0142,
  kBitBlt = 0x0922,
  kStretchBlt = 0x0B23,
  kDibBitBlt = 0x0940,
  kDibStretchBlt = 0x0B41,
  kStretchDib = 0x0F43,
  kSetDibToDev = 0x0D33,
  kSetPixel = 0x041F,
};

// Records that set state — coordinates, colours, modes, palettes, clipping: numbers only, nothing
// painted.
constexpr std::uint16_t kStateRecords[] = {0x0035, 0x0037, 0x0102, 0x0103, 0x0104, 0x0105, 0x0106, 0x0107, 0x0108, 0x0127, 0x0139,
                                           0x0149, 0x0201, 0x0209, 0x0211, 0x0214, 0x0220, 0x0231, 0x0234, 0x020A, 0x020B, 0x020C,
                                           0x020D, 0x020E, 0x020F, 0x0410, 0x0412, 0x0415, 0x0416, 0x0436, 0x001E, 0x012C, 0x012E};
// Records that paint lines, shapes, regions and fills ([MS-WMF] 2.3.3, 2.3.1.4 PATBLT): numbers
// only, but what they paint may be a number (Drawing::shape).
constexpr std::uint16_t kShapeRecords[] = {0x0213, 0x0228, 0x0324, 0x0325, 0x0418, 0x0419, 0x0429, 0x0538, 0x0548,
                                           0x041B, 0x061C, 0x061D, 0x081A, 0x012A, 0x012B, 0x0817, 0x0830};
constexpr std::uint16_t kSetWindowOrg = 0x020B, kSetWindowExt = 0x020C;

// MFCOMMENT escapes that carry an enhanced metafile ([MS-WMF] 2.3.6.1 META_ESCAPE_ENHANCED_METAFILE).
constexpr std::uint16_t kMfComment = 0x000F;
constexpr std::uint32_t kWmfcIdentifier = 0x43464D57u;  // "WMFC"
constexpr std::uint32_t kEtoGlyphIndex = 0x0010;
constexpr std::uint32_t kDibPalColors = 1;  // ColorUsage: the colours are palette indices

class WmfReader {
 public:
  WmfReader(std::string_view bytes, const Context& ctx) : b_(bytes), ctx_(ctx), drawing_(ctx) { extent_.set_reach(metafile::kPartReach * units_a_pixel(0)); }

  Result<ReadContent> read() {
    std::size_t at = 0;
    if (b_.size() >= kPlaceableSize && u32(b_, 0) == kPlaceableKey) at = kPlaceableSize;
    if (b_.size() < at + kHeaderSize) return malformed("the header is cut short");
    objects_.resize(std::min<std::uint32_t>(u16(b_, at + 10), 4096));
    at += kHeaderSize;
    for (std::size_t n = 1;; ++n) {
      if (at + 6 > b_.size()) return malformed("it ends without its end record (META_EOF)");
      const std::uint64_t size = static_cast<std::uint64_t>(u32(b_, at)) * 2;
      const auto function = static_cast<std::uint16_t>(u16(b_, at + 4));
      if (size < 6 || size > b_.size() - at) return malformed("record " + std::to_string(n) + " claims " + std::to_string(size) + " bytes, past the file's end");
      const std::string_view params = b_.substr(at + 6, size - 6);
      params_at_ = at + 6;
      at += size;
      largest_ = std::max<std::uint64_t>(largest_, size / 2);
      if (function == kEof) break;
      if (auto r = record(function, params, n); !r) return std::move(r).error();
    }
    drawing_.after_end(b_.substr(at));
    if (!emf_.empty()) {
      extent_.unknown("埋め込みの EMF", "an enhanced metafile carried in its comments, which a renderer may draw instead", true);
      drawing_.embed("embedded.emf", std::move(emf_));
    }
    if (drawing_.painted()) {
      std::string why_not;
      std::vector<std::pair<std::string, std::string>> parts;
      std::string copy = rendering_copy(at, why_not, parts);
      drawing_.rendering(std::move(copy), std::move(why_not));
      for (auto& [name, bytes] : parts) drawing_.also_rendering(std::move(name), std::move(bytes));
    }
    return drawing_.finish();
  }

 private:
  Error malformed(const std::string& why) const { return blocked("malformed", "", "the WMF " + why); }

  // The file as LibreOffice is to render it: with a placeable header ([MS-WMF] 2.3.2.3) whose
  // bounding box is the one it declares (its placeable header's, else its first window origin and
  // extent) and whose units per inch make it fill the page kRenderWidth × kRenderHeight. Without a
  // placeable header a renderer picks a size of its own: a drawing declared 30,000 units wide with
  // its shapes in a corner would come out too small to read. A drawing much smaller than that box,
  // every painting record's points read (extent_), is framed by what it paints instead — the box
  // and its first window both, so that a renderer mapping either maps the same part — as the EMF
  // reader frames it; one whose extent is not known is held (`why_not`) when the box is too large
  // for what it may hold to be read. Its header's length and largest record are the ones read
  // here, up to its end record (`end`): a renderer stops where the header says. "" when it
  // declares no size. A drawing framed anew whose rendering shows a reference pixel under
  // metafile::kLeastPagePixelsAPixel page pixels is read in parts besides (metafile::painted_parts),
  // each a copy framed to its part in `parts` ("drawing/part-K"; held, with why, when they
  // cannot be had).
  std::string rendering_copy(std::size_t end, std::string& why_not, std::vector<std::pair<std::string, std::string>>& parts) const {
    std::int64_t left = 0, top = 0, right = 0, bottom = 0;
    std::string rest(b_.substr(0, end));
    const bool placeable = b_.size() >= kPlaceableSize && u32(b_, 0) == kPlaceableKey;
    const std::int64_t declared_inch = placeable ? u16(b_, 14) : 0;
    if (placeable) {
      left = s16(b_, 6), top = s16(b_, 8), right = s16(b_, 10), bottom = s16(b_, 12);
      rest.erase(0, kPlaceableSize);
    }
    const bool boxed = placeable && right != left && bottom != top;  // a placeable header's box of no size says nothing
    if (!boxed && window_ext_) {
      left = window_org_ ? window_org_->first : 0, top = window_org_ ? window_org_->second : 0;
      right = left + window_ext_->first, bottom = top + window_ext_->second;
    }
    const std::int64_t width = std::abs(right - left), height = std::abs(bottom - top);
    if (width == 0 || height == 0 || !fits(left) || !fits(top) || !fits(right) || !fits(bottom)) return "";
    // Its size on a screen of 96 dpi: by the placeable header's units per inch, else a logical
    // unit a pixel (MM_TEXT's).
    const double per_pixel = boxed && declared_inch > 0 ? declared_inch / 96.0 : 1.0;
    if (why_not = metafile::illegible_unknown_extent(width / per_pixel, height / per_pixel, extent_); !why_not.empty()) return "";
    // The logical units the records paint in, to the box's: through the window onto a placeable
    // box, else the same.
    const bool windowed = window_ext_ && window_ext_->first > 0 && window_ext_->second > 0;
    const double org_x = window_org_ ? window_org_->first : 0, org_y = window_org_ ? window_org_->second : 0;
    const double scale_x = boxed && windowed ? static_cast<double>(right - left) / window_ext_->first : 1.0;
    const double scale_y = boxed && windowed ? static_cast<double>(bottom - top) / window_ext_->second : 1.0;
    const double shift_x = boxed && windowed ? left - org_x * scale_x : 0, shift_y = boxed && windowed ? top - org_y * scale_y : 0;
    // `rest` framed anew to `shown` (the box's units): the box and its first window both, so that
    // a renderer mapping either maps the same part. False when it does not fit their fields.
    const auto reframe = [&](const metafile::Box& shown, std::string& body, std::int64_t& l, std::int64_t& t, std::int64_t& r, std::int64_t& b) {
      const std::int64_t new_left = static_cast<std::int64_t>(std::floor(shown.left)), new_top = static_cast<std::int64_t>(std::floor(shown.top));
      const std::int64_t new_right = static_cast<std::int64_t>(std::ceil(shown.right)), new_bottom = static_cast<std::int64_t>(std::ceil(shown.bottom));
      if (!fits(new_left) || !fits(new_top) || !fits(new_right) || !fits(new_bottom) || new_right <= new_left || new_bottom <= new_top) return false;
      const auto put16 = [&body](std::size_t at, double v) {
        const auto w = static_cast<std::uint16_t>(static_cast<std::int16_t>(std::llround(v)));
        body[at] = static_cast<char>(w & 0xFF), body[at + 1] = static_cast<char>(w >> 8);
      };
      const std::size_t moved = placeable ? kPlaceableSize : 0;
      // The window over the same part, in logical units (SetWindowOrg, SetWindowExt: y, then x).
      const double window[4] = {(new_left - shift_x) / scale_x, (new_top - shift_y) / scale_y, (new_right - new_left) / scale_x, (new_bottom - new_top) / scale_y};
      for (const double v : window) {
        if (!fits(std::llround(v))) return false;
      }
      if (window_org_at_) put16(*window_org_at_ - moved, window[1]), put16(*window_org_at_ - moved + 2, window[0]);
      if (window_ext_at_) put16(*window_ext_at_ - moved, window[3]), put16(*window_ext_at_ - moved + 2, window[2]);
      l = new_left, t = new_top, r = new_right, b = new_bottom;
      return true;
    };
    // Only a box drawn the ordinary way (left to right, top to bottom) with a window the same, or
    // none, is framed anew.
    const bool reframable = extent_.known() && right > left && bottom > top && (!window_ext_ || windowed) && scale_x > 0 && scale_y > 0;
    if (reframable) {
      const metafile::Box frame{static_cast<double>(left), static_cast<double>(top), static_cast<double>(right), static_cast<double>(bottom)};
      const metafile::Box painted{extent_.left() * scale_x + shift_x, extent_.top() * scale_y + shift_y, (extent_.right() + 1) * scale_x + shift_x,
                                  (extent_.bottom() + 1) * scale_y + shift_y};
      const metafile::Box shown = metafile::rendered_box(frame, painted, 2 * std::max(scale_x, scale_y));
      if (shown.left != frame.left) reframe(shown, rest, left, top, right, bottom);
    }
    const std::int64_t inch = units_an_inch(right - left, bottom - top, per_pixel);
    // Held when that least leaves what it shows too small to read (metafile::kLeastShownPixels).
    if (why_not = metafile::illegible_capped(static_cast<double>(right - left) * 300 / static_cast<double>(inch), static_cast<double>(bottom - top) * 300 / static_cast<double>(inch));
        !why_not.empty()) {
      return "";
    }
    if (reframable) {
      // A drawing whose whole rendering shows a reference pixel too small is read in parts
      // (metafile::painted_parts), each a copy framed to its part.
      const metafile::Parts found = metafile::painted_parts(extent_, per_pixel / scale_x, per_pixel / scale_y, 300 * per_pixel / static_cast<double>(inch));
      if (why_not = found.held; !why_not.empty()) return "";
      for (const metafile::Box& p : found.boxes) {
        std::string body(b_.substr(placeable ? kPlaceableSize : 0, end - (placeable ? kPlaceableSize : 0)));
        std::int64_t l = 0, t = 0, r = 0, b = 0;
        const metafile::Box shown{p.left * per_pixel + shift_x, p.top * per_pixel + shift_y, p.right * per_pixel + shift_x, p.bottom * per_pixel + shift_y};
        const auto logical_fits = [&](double v) { return fits(std::llround(v)); };
        if (!reframe(shown, body, l, t, r, b) || !logical_fits((l - shift_x) / scale_x) || !logical_fits((t - shift_y) / scale_y) ||
            !logical_fits((r - l) / scale_x) || !logical_fits((b - t) / scale_y)) {
          why_not = "a part of it to be rendered apart (" + std::to_string(std::llround(p.width())) + " × " + std::to_string(std::llround(p.height())) +
                    " pixels) does not fit its 16-bit coordinates";
          parts.clear();
          return "";
        }
        // LibreOffice frames a WMF of no window by what its records paint, whatever its placeable
        // box says: the part would come out as the whole. A window over the part, set before the
        // first record, frames it (the logical units are the box's: no window maps them).
        std::string window;
        const auto put16 = [&window](std::int64_t v) { window += static_cast<char>(v & 0xFF), window += static_cast<char>((v >> 8) & 0xFF); };
        if (!window_org_at_) put16(5), put16(0), put16(kSetWindowOrg), put16(static_cast<std::int64_t>(std::llround((t - shift_y) / scale_y))), put16(static_cast<std::int64_t>(std::llround((l - shift_x) / scale_x)));
        if (!window_ext_at_) put16(5), put16(0), put16(kSetWindowExt), put16(static_cast<std::int64_t>(std::llround((b - t) / scale_y))), put16(static_cast<std::int64_t>(std::llround((r - l) / scale_x)));
        body.insert(kHeaderSize, window);
        parts.emplace_back("drawing/part-" + std::to_string(parts.size() + 1), placed(std::move(body), l, t, r, b, units_an_inch(r - l, b - t, per_pixel)));
      }
    }
    return placed(std::move(rest), left, top, right, bottom, inch);
  }

  static bool fits(std::int64_t v) { return v >= -32768 && v <= 32767; }

  // Units per inch for a box `wide` × `high`: the larger of what fits the width and what fits the
  // height, rounded up, and at least what enlarges a pixel kMostPagePixelsAPixel times on the
  // page's 300 dpi.
  static std::int64_t units_an_inch(std::int64_t wide, std::int64_t high, double per_pixel) {
    wide = std::abs(wide), high = std::abs(high);
    return std::max<std::int64_t>({1, (wide * 2540 + metafile::kRenderWidth - 1) / metafile::kRenderWidth,
                                   (high * 2540 + metafile::kRenderHeight - 1) / metafile::kRenderHeight,
                                   static_cast<std::int64_t>(std::ceil(300 * per_pixel / metafile::kMostPagePixelsAPixel))});
  }

  // `rest` (the metafile's header and records) behind a placeable header of the box (left, top,
  // right, bottom) at `inch` units an inch; its header's length and largest record the ones read.
  std::string placed(std::string rest, std::int64_t left, std::int64_t top, std::int64_t right, std::int64_t bottom, std::int64_t inch) const {
    std::string header;
    const auto put16 = [&](std::int64_t v) {
      header += static_cast<char>(v & 0xFF);
      header += static_cast<char>((v >> 8) & 0xFF);
    };
    put16(kPlaceableKey & 0xFFFF), put16(kPlaceableKey >> 16), put16(0);
    put16(left), put16(top), put16(right), put16(bottom), put16(inch), put16(0), put16(0);
    std::uint32_t checksum = 0;
    for (std::size_t i = 0; i < header.size(); i += 2) checksum ^= u16(header, i);
    put16(checksum);
    metafile::put_u32(rest, 6, static_cast<std::uint32_t>(rest.size() / 2)), metafile::put_u32(rest, 12, static_cast<std::uint32_t>(largest_));
    return header + rest;
  }

  // Logical units to a reference pixel (rendering_copy's measure: a placeable box's units per inch
  // at 96 dpi, through a window of `window_width` units onto it; else a unit a pixel), for the
  // extent's reach.
  double units_a_pixel(std::int64_t window_width) const {
    if (b_.size() < kPlaceableSize || u32(b_, 0) != kPlaceableKey) return 1;
    const std::int64_t box = std::abs(s16(b_, 10) - s16(b_, 6)), inch = u16(b_, 14);
    if (box == 0 || inch == 0) return 1;
    const double per_pixel = inch / 96.0, scale = window_width > 0 ? static_cast<double>(box) / static_cast<double>(window_width) : 1.0;
    return per_pixel / scale;
  }

  // The painted extent (metafile::Extent), in logical units: each painting record's points, a
  // bitmap by the rectangle it is stretched to (its pixels are read by OCR apart), text by its
  // font's height. A second window, a viewport, a window or viewport offset or scaled, a mapping
  // mode but MM_TEXT, MM_ISOTROPIC and MM_ANISOTROPIC (whose window a renderer maps onto the
  // box), regions and flood fills, text at the current position and records [MS-WMF] does not
  // define leave it unknown.
  void track(std::uint16_t function, std::string_view p) {
    const auto at = [&](std::size_t i) -> double { return s16(p, i); };
    const auto need = [&](std::size_t bytes) {
      if (p.size() < bytes) extent_.unknown("短すぎる描画記録", "a painting record cut short", true);
      return p.size() >= bytes;
    };
    switch (function) {
      case kSetWindowOrg:
      case kSetWindowExt:
        if ((function == kSetWindowOrg ? window_org_ : window_ext_).has_value()) extent_.unknown("二度目の窓", "a window set again", true);
        if (function == kSetWindowExt && !window_ext_ && need(4)) extent_.set_reach(metafile::kPartReach * units_a_pixel(s16(p, 2)));
        // What was painted before it is mapped by no window a renderer shares with this reader.
        if (extent_.left() <= extent_.right()) extent_.unknown("窓より前の描画", "painting before its window is set", true);
        if (saved_) window_after_save_ = true;
        return;
      case 0x020D:  // META_SETVIEWPORTORG, …EXT, META_OFFSETWINDOWORG, META_SCALEWINDOWEXT, META_OFFSETVIEWPORTORG, META_SCALEVIEWPORTEXT
      case 0x020E:
      case 0x020F:
      case 0x0410:
      case 0x0211:
      case 0x0412:
        return extent_.unknown("窓や表示域の移動", "a viewport, or a window moved or scaled", true);
      case 0x0103:  // META_SETMAPMODE
        if (need(2) && u16(p, 0) != 1 && u16(p, 0) != 7 && u16(p, 0) != 8) extent_.unknown("追わない写像モード", "a mapping mode not followed", true);
        return;
      case 0x001E:  // META_SAVEDC
        saved_ = true;
        return;
      case 0x0127:  // META_RESTOREDC: a window set since a save may be taken back
        if (window_after_save_) extent_.unknown("保存した状態への復帰", "a window taken back by a restored state", true);
        return;
      case 0x012E:  // META_SETTEXTALIGN with TA_UPDATECP: text at the current position
        if (need(2) && (u16(p, 0) & 1u) != 0) extent_.unknown("現在位置に描く文字", "text drawn at the current position", false);
        return;
      case 0x0213:  // META_LINETO, META_MOVETO: y, x
      case 0x0214:
        if (need(4)) extent_.point(at(2), at(0));
        return;
      case 0x0324:  // META_POLYGON, META_POLYLINE: a count, then the points
      case 0x0325:
        if (need(2) && need(2 + std::size_t{4} * u16(p, 0))) {
          for (std::size_t i = 0; i < u16(p, 0); ++i) extent_.point(at(2 + 4 * i), at(4 + 4 * i));
        }
        return;
      case 0x0538: {  // META_POLYPOLYGON: a count of polygons, their counts, the points
        if (!need(2) || !need(2 + std::size_t{2} * u16(p, 0))) return;
        std::size_t points = 0;
        for (std::size_t i = 0; i < u16(p, 0); ++i) points += u16(p, 2 + 2 * i);
        const std::size_t first = 2 + std::size_t{2} * u16(p, 0);
        if (!need(first + 4 * points)) return;
        for (std::size_t i = 0; i < points; ++i) extent_.point(at(first + 4 * i), at(first + 4 * i + 2));
        return;
      }
      case 0x041B:  // META_RECTANGLE, META_ELLIPSE: bottom, right, top, left
      case 0x0418:
        if (need(8)) extent_.box(at(6), at(4), at(2), at(0));
        return;
      case 0x061C:  // META_ROUNDRECT: the corners' height and width first
        if (need(12)) extent_.box(at(10), at(8), at(6), at(4));
        return;
      case 0x0817:  // META_ARC, META_PIE, META_CHORD: the arc's ends first
      case 0x081A:
      case 0x0830:
        if (need(16)) extent_.box(at(14), at(12), at(10), at(8));
        return;
      case kSetPixel:  // a colour, y, x
        if (need(8)) extent_.dot(at(6), at(4));
        return;
      case 0x061D:  // META_PATBLT: an operation, height, width, y, x
        if (need(12)) extent_.box(at(10), at(8), at(10) + at(6), at(8) + at(4));
        return;
      // Blits: the destination's y, x after its height and width, which follow the source's
      // (a blit without a bitmap has a reserved word before them).
      case kBitBlt:
      case kDibBitBlt: {
        const std::size_t d = carries_bitmap(function, p) ? 8 : 10;
        if (need(d + 8)) extent_.box(at(d + 6), at(d + 4), at(d + 6) + at(d + 2), at(d + 4) + at(d));
        return;
      }
      case kStretchBlt:
      case kDibStretchBlt: {
        const std::size_t d = carries_bitmap(function, p) ? 12 : 14;
        if (need(d + 8)) extent_.box(at(d + 6), at(d + 4), at(d + 6) + at(d + 2), at(d + 4) + at(d));
        return;
      }
      case kStretchDib:
        if (need(22)) extent_.box(at(20), at(18), at(20) + at(16), at(18) + at(14));
        return;
      case kSetDibToDev:
        if (need(18)) extent_.box(at(16), at(14), at(16) + at(12), at(14) + at(10));
        return;
      case kTextOut:
        if (need(2) && need(2 + u16(p, 0) + (u16(p, 0) & 1u) + 4)) {
          const std::size_t end = 2 + u16(p, 0) + (u16(p, 0) & 1u);
          extent_.text(at(end + 2), at(end), u16(p, 0), 0, font_height_, font_turned_);
        }
        return;
      case kExtTextOut: {
        if (!need(8)) return;
        const std::size_t length = u16(p, 4), options = u16(p, 6);
        if ((options & kEtoGlyphIndex) != 0) return extent_.unknown("字形番号で描く文字", "text drawn by glyph index", false);
        const std::size_t text_at = 8 + ((options & 0x0006u) != 0 ? 8 : 0);
        if ((options & 0x0002u) != 0 && need(16)) extent_.box(at(8), at(10), at(12), at(14));  // ETO_OPAQUE paints its rectangle
        std::uint64_t advance = 0;
        const std::size_t dx = text_at + length + (length & 1u);
        for (std::size_t i = 0; i < length && dx + 2 * i + 2 <= p.size(); ++i) advance += static_cast<std::uint64_t>(std::abs(s16(p, dx + 2 * i)));
        extent_.text(at(2), at(0), length, advance, font_height_, font_turned_);
        return;
      }
      case 0x0419:  // META_FLOODFILL, META_EXTFLOODFILL, META_FILLREGION, META_FRAMEREGION, META_INVERTREGION, META_PAINTREGION
      case 0x0548:
      case 0x0228:
      case 0x0429:
      case 0x012A:
      case 0x012B:
        return extent_.unknown("領域・塗りつぶしの描画", "regions and flood fills", true);
      default:
        if (function != kEof && function != kEscape && function != kSelectObject && function != kDeleteObject && function != kCreatePalette &&
            function != kCreatePatternBrush && function != kCreatePenIndirect && function != kCreateFontIndirect && function != kCreateBrushIndirect &&
            function != kCreateRegion && function != kDibCreatePatternBrush &&
            std::find(std::begin(kStateRecords), std::end(kStateRecords), function) == std::end(kStateRecords)) {
          extent_.unknown("定義のない記録", "a record [MS-WMF] does not define", true);
        }
        return;
    }
  }

  Result<void> record(std::uint16_t function, std::string_view p, std::size_t n) {
    track(function, p);
    const std::string which = "record " + std::to_string(n);
    auto need = [&](std::size_t bytes) -> Result<void> {
      if (p.size() < bytes) return malformed(which + " is cut short");
      return ok();
    };
    switch (function) {
      case kTextOut: {
        SANSO_TRY(need(2));
        const std::size_t length = u16(p, 0), padded = length + (length & 1u);
        SANSO_TRY(need(2 + padded + 4));
        drawing_.text_8bit(s16(p, 2 + padded), s16(p, 2 + padded + 2), p.substr(2, length), charset_);
        return ok();
      }
      case kExtTextOut: {
        SANSO_TRY(need(8));
        const std::size_t length = u16(p, 4);
        const std::uint32_t options = u16(p, 6);
        if ((options & kEtoGlyphIndex) != 0 && length > 0) return drawing_.glyph_indices(which);
        const std::size_t text_at = 8 + ((options & 0x0006u) != 0 ? 8 : 0);  // ETO_OPAQUE / ETO_CLIPPED: a rectangle first
        SANSO_TRY(need(text_at + length));
        // Each character's advance after the (word-padded) string, when the record carries them:
        // one that steps back draws the characters in another order than the string's — painting,
        // as in emf.cc.
        const std::size_t dx = text_at + length + (length & 1u);
        for (std::size_t i = 0; i < length && dx + 2 * i + 2 <= p.size(); ++i) {
          if (s16(p, dx + 2 * i) < 0) {
            drawing_.shape();
            break;
          }
        }
        drawing_.text_8bit(s16(p, 0), s16(p, 2), p.substr(text_at, length), charset_);
        return ok();
      }
      case kCreateFontIndirect: {
        SANSO_TRY(need(18));
        // The face name is text in the file as much as what is drawn with it.
        std::string_view face = p.substr(18, std::min<std::size_t>(32, p.size() - 18));
        face = face.substr(0, face.find('\0'));
        // [MS-WMF] 2.2.1.2 Font: Height, Width, Escapement, Orientation, Weight (2 bytes each), then
        // Italic, Underline, StrikeOut, CharSet — byte 13.
        const unsigned charset = static_cast<unsigned char>(p[13]);
        drawing_.carried_8bit(face, charset);
        create({charset, static_cast<std::int16_t>(u16(p, 0)), u16(p, 4) != 0 || u16(p, 6) != 0});
        return ok();
      }
      case kCreatePenIndirect:
      case kCreateBrushIndirect:
      case kCreatePalette:
      case kCreateRegion:
        create(kNotAFont);
        return ok();
      case kCreatePatternBrush:
        create(kNotAFont);
        return bitmap16(p, 0, which);
      case kDibCreatePatternBrush: {
        SANSO_TRY(need(4));
        create(kNotAFont);
        // BS_PATTERN (3) carries a device bitmap, every other style a DIB.
        if (u16(p, 0) == 3) return bitmap16(p, 4, which);
        return u16(p, 2) == kDibPalColors ? drawing_.palette_indices(which) : dib(p.substr(4), which);
      }
      case kSelectObject: {
        SANSO_TRY(need(2));
        const std::size_t i = u16(p, 0);
        if (i < objects_.size() && objects_[i] && objects_[i]->charset != kNotAFont.charset) {
          charset_ = objects_[i]->charset;
          drawing_.font_height(objects_[i]->height);
          font_height_ = objects_[i]->height, font_turned_ = objects_[i]->turned;
        }
        return ok();
      }
      case kDeleteObject: {
        SANSO_TRY(need(2));
        if (const std::size_t i = u16(p, 0); i < objects_.size() && objects_[i]) {
          objects_[i].reset();
          free_.insert(i);
        }
        return ok();
      }
      case kDibBitBlt:
      case kDibStretchBlt: {
        if (!carries_bitmap(function, p)) {  // a pattern or a fill
          drawing_.shape();
          return ok();
        }
        const std::size_t header = function == kDibBitBlt ? 16 : 20;
        SANSO_TRY(need(header));
        return dib(p.substr(header), which);
      }
      case kStretchDib:
        SANSO_TRY(need(22));
        return u16(p, 4) == kDibPalColors ? drawing_.palette_indices(which) : dib(p.substr(22), which);
      case kSetDibToDev:
        SANSO_TRY(need(18));
        return u16(p, 0) == kDibPalColors ? drawing_.palette_indices(which) : dib(p.substr(18), which);
      case kBitBlt:
      case kStretchBlt: {
        if (!carries_bitmap(function, p)) {  // a pattern or a fill
          drawing_.shape();
          return ok();
        }
        return bitmap16(p, function == kBitBlt ? 16 : 20, which);
      }
      case kSetPixel:
        drawing_.shape();
        return ok();
      case kEscape:
        SANSO_TRY(need(4));
        return escape(static_cast<std::uint16_t>(u16(p, 0)), p.substr(4, std::min<std::size_t>(u16(p, 2), p.size() - 4)), which);
      case kSetWindowOrg:
      case kSetWindowExt: {
        SANSO_TRY(need(4));
        // The first of each: the extent the drawing is declared in (a later one maps a part of it).
        auto& point = function == kSetWindowOrg ? window_org_ : window_ext_;
        if (!point) {
          point = std::pair<std::int64_t, std::int64_t>{s16(p, 2), s16(p, 0)};
          (function == kSetWindowOrg ? window_org_at_ : window_ext_at_) = params_at_;
        }
        return ok();
      }
      default:
        if (std::find(std::begin(kStateRecords), std::end(kStateRecords), function) != std::end(kStateRecords)) return ok();
        if (std::find(std::begin(kShapeRecords), std::end(kShapeRecords), function) != std::end(kShapeRecords)) {
          drawing_.shape();
          return ok();
        }
        char id[8];
        std::snprintf(id, sizeof id, "0x%04X", static_cast<unsigned>(function));
        drawing_.unread(which, std::string("unsupported: a record of a kind [MS-WMF] does not define (") + id + ") is not read");
        return ok();
    }
  }

  struct Object {
    unsigned charset = 0;
    std::int64_t height = 0;
    bool turned = false;  // an escapement or orientation: its text runs off its baseline
  };
  static constexpr Object kNotAFont{1000, 0, false};
  // Objects take the lowest free slot of the table the header sizes ([MS-WMF] 3.1.4.1); one made
  // when it is full is not made, as GDI fails it. The free slots are kept in order, so that a file
  // of a million creations costs a million steps, not a million scans of the table.
  void create(Object object) {
    if (!free_.empty()) {
      objects_[*free_.begin()] = object;
      free_.erase(free_.begin());
    } else if (next_ < objects_.size()) {
      objects_[next_++] = object;
    }
  }

  // A blit without a bitmap (a pattern or a fill) is (function >> 8) + 3 words long ([MS-WMF]
  // 2.3.1.1–2.3.1.4); one longer carries its source bitmap.
  static bool carries_bitmap(std::uint16_t function, std::string_view params) { return params.size() > ((function >> 8) + 3u) * 2u - 6u; }

  Result<void> dib(std::string_view bytes, const std::string& which) { return drawing_.picture(dib_picture(bytes, ctx_), which); }

  // A device-dependent bitmap ([MS-WMF] 2.2.2.1 Bitmap16) at `at`: a monochrome one is a DIB of one
  // bit with black and white; colour ones depend on the device that wrote them and are not decoded.
  Result<void> bitmap16(std::string_view p, std::size_t at, const std::string& which) {
    if (p.size() < at + 10) return malformed(which + " is cut short");
    const std::uint32_t width = u16(p, at + 2), height = u16(p, at + 4), stride = u16(p, at + 6);
    const unsigned planes = static_cast<unsigned char>(p[at + 8]), bits = static_cast<unsigned char>(p[at + 9]);
    if (planes != 1 || bits != 1) {
      drawing_.unread(which + "/picture", "unsupported: a device-dependent colour bitmap is not decoded");
      return ok();
    }
    // As a top-down 1-bit DIB: rows padded to 32 bits, palette black then white.
    const std::uint32_t dib_stride = (width + 31) / 32 * 4;
    const std::string_view rows = p.substr(at + 10);
    if (static_cast<std::uint64_t>(stride) * height > rows.size() || stride < (width + 7) / 8) return drawing_.picture(blocked("malformed", "", "a bitmap's pixels are cut short"), which);
    std::string dib(40 + 8, '\0');
    auto put32 = [&](std::size_t i, std::uint32_t v) {
      for (int k = 0; k < 4; ++k) dib[i + k] = static_cast<char>((v >> (8 * k)) & 0xFF);
    };
    put32(0, 40);
    put32(4, width);
    put32(8, static_cast<std::uint32_t>(-static_cast<std::int32_t>(height)));
    put32(12, 1u | 1u << 16);
    put32(44, 0x00FFFFFF);
    for (std::uint32_t y = 0; y < height; ++y) {
      std::string row(rows.substr(static_cast<std::size_t>(y) * stride, std::min(stride, dib_stride)));
      row.resize(dib_stride, '\0');
      dib += row;
    }
    return this->dib(dib, which);
  }

  Result<void> escape(std::uint16_t function, std::string_view data, const std::string& which) {
    if (function == kMfComment && data.size() >= 34 && u32(data, 0) == kWmfcIdentifier && u32(data, 4) == 1) {
      // A piece of an enhanced metafile (CommentIdentifier, CommentType, Version, Checksum, Flags,
      // CommentRecordCount, CurrentRecordSize, RemainingBytes, EnhancedMetafileDataSize, data).
      const std::uint32_t piece = u32(data, 22);
      if (piece > data.size() - 34) return malformed(which + ": a piece of its enhanced metafile is cut short");
      emf_.append(data.substr(34, piece));
      SANSO_TRY(ctx_.charge(piece, "embedded.emf"));
      return ok();
    }
    drawing_.escape(function, data, which);
    return ok();
  }

  std::string_view b_;
  const Context& ctx_;
  metafile::Drawing drawing_;
  std::vector<std::optional<Object>> objects_;  // a font's charset and height, kNotAFont for other objects
  std::set<std::size_t> free_;                    // slots freed below next_
  std::size_t next_ = 0;                          // slots from here on were never used
  unsigned charset_ = 1;                          // DEFAULT_CHARSET until a font is selected
  std::string emf_;
  std::optional<std::pair<std::int64_t, std::int64_t>> window_org_, window_ext_;  // x, y
  std::uint64_t largest_ = 0;                                                      // the largest record, in 16-bit words
  std::size_t params_at_ = 0;                                                      // the record being read's parameters, in b_
  std::optional<std::size_t> window_org_at_, window_ext_at_;                       // the first window's records' parameters, in b_
  metafile::Extent extent_;
  std::int64_t font_height_ = 0;  // the selected font's (0 until one is)
  bool font_turned_ = false;
  bool saved_ = false, window_after_save_ = false;
};

}  // namespace

bool is_wmf(std::string_view b) {
  std::size_t at = 0;
  if (b.size() >= kPlaceableSize && u32(b, 0) == kPlaceableKey) at = kPlaceableSize;
  if (b.size() < at + kHeaderSize) return false;
  const std::uint32_t type = u16(b, at), words = u16(b, at + 2), version = u16(b, at + 4);
  return (type == 1 || type == 2) && words == 9 && (version == 0x0100 || version == 0x0300);
}

Result<ReadContent> wmf_content(std::string_view bytes, const Context& ctx) { return WmfReader(bytes, ctx).read(); }

}  // namespace sanso::cdr::internal
