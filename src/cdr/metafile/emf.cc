// An enhanced metafile ([MS-EMF], with the EMF+ records of [MS-EMFPLUS] its comments carry) read
// record by record for what it shows: text and bitmaps. Word, Excel and PowerPoint keep pasted
// charts, tables pasted as pictures and clip art as EMF; a label in one leaves with the document.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <vector>

#include "cdr/internal/metafile.h"
#include "cdr/metafile/drawing.h"

namespace sanso::cdr::internal {
namespace {

using metafile::u16;
using metafile::u32;
std::int32_t s32(std::string_view b, std::size_t at) { return static_cast<std::int32_t>(u32(b, at)); }
float f32(std::string_view b, std::size_t at) {
  const std::uint32_t bits = u32(b, at);
  float f = 0;
  static_assert(sizeof f == sizeof bits);
  __builtin_memcpy(&f, &bits, sizeof f);
  return f;
}

// A float coordinate as a baseline's key: the sender's bits, NaN or past any page included.
std::int64_t coordinate(float f) { return f == f && f > -1e15F && f < 1e15F ? static_cast<std::int64_t>(f) : 0; }

constexpr std::uint32_t kEmfSignature = 0x464D4520u;  // " EMF"

// [MS-EMF] 2.1.1 RecordType: the ones read here.
enum : std::uint32_t {
  kHeader = 1,
  kEof = 14,
  kSetPixelV = 15,
  kSelectObject = 37,
  kDeleteObject = 40,
  kComment = 70,
  kBitBlt = 76,
  kStretchBlt = 77,
  kMaskBlt = 78,
  kPlgBlt = 79,
  kSetDiBitsToDevice = 80,
  kStretchDiBits = 81,
  kExtCreateFontIndirectW = 82,
  kExtTextOutA = 83,
  kExtTextOutW = 84,
  kCreateMonoBrush = 93,
  kCreateDibPatternBrushPt = 94,
  kExtCreatePen = 95,
  kPolyTextOutA = 96,
  kPolyTextOutW = 97,
  kCreateColorSpace = 99,
  kGlsRecord = 102,
  kGlsBoundedRecord = 103,
  kDrawEscape = 105,
  kExtEscape = 106,
  kSmallTextOut = 108,
  kNamedEscape = 110,
  kSetIcmProfileA = 112,
  kSetIcmProfileW = 113,
  kAlphaBlend = 114,
  kTransparentBlt = 116,
  kColorMatchToTargetW = 121,
  kCreateColorSpaceW = 122,
};
// Records that paint lines, shapes, paths, regions and fills ([MS-EMF] 2.3.5, 2.3.6): numbers only,
// but what they paint may be a number (Drawing::shape). Every other defined record sets state.
constexpr std::uint32_t kShapeRecords[] = {2,  3,  4,  5,  6,  7,  8,  41, 42, 43, 44, 45, 46, 47, 53, 54, 55, 56,
                                           62, 63, 64, 71, 72, 73, 74, 85, 86, 87, 88, 89, 90, 91, 92, 118};
// EMF+ records that paint ([MS-EMFPLUS] 2.3.4): Clear to DrawBeziers, DrawImage, DrawImagePoints.
constexpr std::uint32_t kFirstPlusShape = 0x4009, kLastPlusShape = 0x401B;

// Records that move what follows them (window and viewport origins and extents, the mapping mode,
// the world transform, a mirrored layout): followed into the painted extent (transform()).
constexpr std::uint32_t kTransformRecords[] = {9, 10, 11, 12, 17, 31, 32, 35, 36, 115};
// EMR_SAVEDC, EMR_RESTOREDC: the transforms kept and taken back.
constexpr std::uint32_t kSaveDc = 33, kRestoreDc = 34;
// Painting records whose points are read for the painted extent: (type, where the count is, where
// the points start — after the polygon counts for the poly-polygons —, bytes a point).
struct PointRecord {
  std::uint32_t type, count_at, points_at, point_bytes;
  bool counts = false;  // a poly-polygon: a count of polygons at count_at, the point count after it, each polygon's count
};
constexpr PointRecord kPointRecords[] = {{2, 24, 28, 8},       {3, 24, 28, 8},       {4, 24, 28, 8},       {5, 24, 28, 8},       {6, 24, 28, 8},
                                         {56, 24, 28, 8},      {85, 24, 28, 4},      {86, 24, 28, 4},      {87, 24, 28, 4},      {88, 24, 28, 4},
                                         {89, 24, 28, 4},      {92, 24, 28, 4},      {7, 24, 32, 8, true}, {8, 24, 32, 8, true}, {90, 24, 32, 4, true},
                                         {91, 24, 32, 4, true}};
// Painting records of one box (RectL at 8: ellipse, rectangle, round rectangle, arc, chord, pie,
// arc-to) and of one point (LineTo, MoveToEx's start of a path, SetPixelV). A flood fill's point
// says nothing of the area it fills.
constexpr std::uint32_t kBoxRecords[] = {42, 43, 44, 45, 46, 47, 55};
constexpr std::uint32_t kPointAt8Records[] = {15, 27, 54};
// Path painting records: the path's points were read as its records built it.
constexpr std::uint32_t kPathPaintRecords[] = {62, 63, 64};

// Types [MS-EMF] reserves: nothing says what they hold.
constexpr std::uint32_t kReserved[] = {69, 107, 117};
constexpr std::uint32_t kLastType = 122;

// ExtTextOut options ([MS-EMF] 2.1.11).
constexpr std::uint32_t kEtoGlyphIndex = 0x0010, kEtoNoRect = 0x0100, kEtoSmallChars = 0x0200, kEtoPdy = 0x2000;

// Comment identifiers ([MS-EMF] 2.3.3).
constexpr std::uint32_t kCommentEmfPlus = 0x2B464D45u;  // "EMF+"
constexpr std::uint32_t kCommentPublic = 0x43494447u;   // "GDIC"
constexpr std::uint32_t kCommentSpool = 0x00000000u;    // EMR_COMMENT_EMFSPOOL ("SPLF" follows)

class EmfReader {
 public:
  EmfReader(std::string_view bytes, const Context& ctx) : b_(bytes), ctx_(ctx), drawing_(ctx) { extent_.set_reach(metafile::kPartReach); }

  Result<ReadContent> read() {
    if (!is_emf(b_)) return malformed("header is not an EMF header record");
    const std::uint32_t header_size = u32(b_, 4);
    if (header_size < 88 || header_size > b_.size() || header_size % 4 != 0) return malformed("header record has a size of " + std::to_string(header_size));
    const std::string_view header = b_.substr(0, header_size);
    // Its description: the application and the picture's title, UTF-16.
    const std::uint64_t chars = u32(header, 60), offset = u32(header, 64);
    if (chars > 0) {
      if (offset > header.size() || chars * 2 > header.size() - offset) return malformed("description lies outside its header");
      drawing_.carried_utf16(header.substr(offset, chars * 2));
    }
    std::size_t at = header_size, records = 0;
    for (std::size_t n = 2;; ++n) {
      if (at + 8 > b_.size()) return malformed("ends without its end record (EMR_EOF)");
      const std::uint32_t type = u32(b_, at), size = u32(b_, at + 4);
      if (size < 8 || size % 4 != 0 || size > b_.size() - at) return malformed("record " + std::to_string(n) + " claims " + std::to_string(size) + " bytes");
      const std::string_view rec = b_.substr(at, size);
      at += size;
      if (type == kEof) {
        records = n;
        break;
      }
      SANSO_TRY(record(type, rec, "record " + std::to_string(n)));
    }
    drawing_.after_end(b_.substr(at));
    for (const auto& [id, object] : pending_) drawing_.unread("emf+ object " + std::to_string(id), "malformed: an EMF+ object continued in records that never end it");
    if (drawing_.painted()) {
      std::string why_not;
      std::vector<std::pair<std::string, std::string>> more;
      std::string copy = rendering_copy(header, std::string(b_.substr(0, at)), records, why_not, &more);
      // A dual EMF (review25b H3, review26): LibreOffice plays its EMF+ records and passes over
      // the EMF records beside them, a GDI viewer (and a reader without EMF+) shows the EMF
      // records only. A sender puts a dot in the one and the number in the other. Office charts
      // are written so: both are read, the EMF records rendered from a copy without the EMF+
      // comments ("drawing-gdi"), which LibreOffice plays as a GDI viewer does. Held when that
      // copy cannot be made.
      if (!copy.empty() && plus_shapes_ && gdi_shapes_) {
        std::size_t gdi_records = 0;
        std::string gdi = without_emf_plus(header_size, at, gdi_records), gdi_why;
        std::string gdi_copy = rendering_copy(header, std::move(gdi), gdi_records, gdi_why, nullptr);
        if (gdi_copy.empty()) {
          copy.clear(), more.clear();
          why_not = "描画を EMF+ の記録と EMF の記録の両方で描き、EMF の記録だけの写しを描けない / the drawing paints both by EMF+ records and by EMF records, and a "
                    "copy of its EMF records alone (what a GDI viewer shows) cannot be made" + (gdi_why.empty() ? std::string() : ": " + gdi_why);
        } else {
          more.emplace_back("drawing-gdi", std::move(gdi_copy));
        }
      }
      drawing_.rendering(std::move(copy), std::move(why_not));
      for (auto& [name, bytes] : more) drawing_.also_rendering(std::move(name), std::move(bytes));
    }
    return drawing_.finish();
  }

 private:
  Error malformed(const std::string& why) const { return blocked("malformed", "", "the EMF's " + why); }

  // The file as LibreOffice is to render it, showing what a viewer shows, enlarged or reduced to
  // fill the page kRenderWidth × kRenderHeight. A viewer places the frame (rclFrame, hundredths of
  // a millimetre) — origin and size — and maps the records' device units to millimetres through
  // the reference device (szlDevice pixels to szlMillimeters): the frame, scaled by k, with the
  // reference device's millimetres scaled by k too, shows the same drawing k times the size, where
  // it was on the frame (review23a: a frame moved to the origin left a drawing 1 m away off the
  // page; a frame enlarged alone left a drawing mapped by a dense device in its corner). A frame
  // of no size takes the bounds' (rclBounds, device units) through the reference device; a
  // reference device of no size a screen's, as a viewer falls back to. Its length and record
  // count are the ones read here (`end`, `records`): a renderer stops where the header says, and a
  // header that says 0 renders blank what a viewer trusting the records shows. "" when no size can
  // be had or the scaled header does not fit its fields (held as unread), with `why_not` when the
  // frame and the bounds disagree.
  //
  // `body`: the bytes to copy (the file up to its end record, or a dual EMF's without its EMF+
  // comments), `records` its record count. When the drawing's extent is known and its whole
  // rendering shows a reference pixel under metafile::kLeastPagePixelsAPixel page pixels, the
  // parts it is read in besides (metafile::painted_parts), each a copy framed to its part, go to
  // `parts` as "drawing/part-K" (held, with why, when they cannot be had; none asked: not made).
  std::string rendering_copy(std::string_view header, std::string body, std::size_t records, std::string& why_not,
                             std::vector<std::pair<std::string, std::string>>* parts) const {
    double device_x = s32(header, 72), device_y = s32(header, 76), mm_x = s32(header, 80), mm_y = s32(header, 84);
    if (device_x <= 0 || device_y <= 0 || mm_x <= 0 || mm_y <= 0) device_x = 1920, device_y = 1080, mm_x = 508, mm_y = 286;
    double left = s32(header, 24), top = s32(header, 28), right = s32(header, 32), bottom = s32(header, 36);
    if (right <= left || bottom <= top) {
      left = s32(header, 8) * mm_x * 100 / device_x, top = s32(header, 12) * mm_y * 100 / device_y;
      right = (s32(header, 16) + 1.0) * mm_x * 100 / device_x, bottom = (s32(header, 20) + 1.0) * mm_y * 100 / device_y;
    }
    if (!(right > left) || !(bottom > top)) return "";
    // What it declares it draws (rclBounds, device units) must lie in what a viewer shows (the
    // frame through the reference device), a margin allowed: a frame of 0.04 mm over a drawing
    // of centimetres, or a frame beside its drawing, shows a viewer a part it cannot know.
    const double bound_left = s32(header, 8), bound_top = s32(header, 12), bound_right = s32(header, 16) + 1.0, bound_bottom = s32(header, 20) + 1.0;
    if (bound_right > bound_left && bound_bottom > bound_top) {
      const double shown_left = left * device_x / (mm_x * 100), shown_right = right * device_x / (mm_x * 100);
      const double shown_top = top * device_y / (mm_y * 100), shown_bottom = bottom * device_y / (mm_y * 100);
      const double margin_x = 2 + (shown_right - shown_left) / 10, margin_y = 2 + (shown_bottom - shown_top) / 10;
      if (bound_left < shown_left - margin_x || bound_right > shown_right + margin_x || bound_top < shown_top - margin_y || bound_bottom > shown_bottom + margin_y) {
        why_not = "its frame does not hold what it declares it draws (bounds of " + std::to_string(static_cast<long long>(bound_right - bound_left)) + " × " +
                  std::to_string(static_cast<long long>(bound_bottom - bound_top)) + " pixels against a frame of " +
                  std::to_string(static_cast<long long>(shown_right - shown_left)) + " × " + std::to_string(static_cast<long long>(shown_bottom - shown_top)) + ")";
        return "";
      }
    }
    // A drawing much smaller than its frame, every painting record's points read: framed by what
    // it paints, so that a number in a corner of a large frame is rendered as large as the page
    // allows. One whose extent is not known is held when its frame is too large for what it may
    // hold to be read.
    const double to_x = mm_x * 100 / device_x, to_y = mm_y * 100 / device_y;
    if (why_not = metafile::illegible_unknown_extent((right - left) / to_x, (bottom - top) / to_y, extent_); !why_not.empty()) return "";
    if (extent_.known()) {
      const metafile::Box shown = metafile::rendered_box(
          {left, top, right, bottom}, {extent_.left() * to_x, extent_.top() * to_y, (extent_.right() + 1) * to_x, (extent_.bottom() + 1) * to_y}, 2 * std::max(to_x, to_y));
      left = shown.left, top = shown.top, right = shown.right, bottom = shown.bottom;
    }
    // Filling the page, enlarged at most kMostPagePixelsAPixel page pixels (300 dpi, 300 / 2540 a
    // hundredth of a millimetre) to a reference pixel.
    const auto scale = [&](double l, double t, double r, double b) {
      return std::min({metafile::kRenderWidth / (r - l), metafile::kRenderHeight / (b - t), metafile::kMostPagePixelsAPixel * 2540 / (300 * std::max(to_x, to_y))});
    };
    const double k = scale(left, top, right, bottom);
    // Held when that cap leaves what it shows too small to read (metafile::kLeastShownPixels).
    if (why_not = metafile::illegible_capped(k * (right - left) * 300 / 2540, k * (bottom - top) * 300 / 2540); !why_not.empty()) return "";
    std::string copy = framed(body, records, left, top, right, bottom, k, device_x, device_y, mm_x, mm_y);
    if (copy.empty() || parts == nullptr || !extent_.known()) return copy;
    const metafile::Parts found = metafile::painted_parts(extent_, 1, 1, k * std::min(to_x, to_y) * 300 / 2540);
    if (why_not = found.held; !why_not.empty()) return "";
    for (const metafile::Box& p : found.boxes) {
      const double l = p.left * to_x, t = p.top * to_y, r = p.right * to_x, b = p.bottom * to_y;
      std::string part = framed(body, records, l, t, r, b, scale(l, t, r, b), device_x, device_y, mm_x, mm_y);
      if (part.empty()) {
        why_not = "a part of it to be rendered apart (" + std::to_string(std::llround(p.width())) + " × " + std::to_string(std::llround(p.height())) +
                  " pixels) does not fit its header's fields";
        parts->clear();
        return "";
      }
      parts->emplace_back("drawing/part-" + std::to_string(parts->size() + 1), std::move(part));
    }
    return copy;
  }

  // `body` with its header framed to (left, top, right, bottom), hundredths of a millimetre, `k`
  // times their size, its reference device's millimetres `k` times too; its length and record
  // count the ones read. "" when the scaled header does not fit its fields.
  static std::string framed(std::string body, std::size_t records, double left, double top, double right, double bottom, double k, double device_x,
                            double device_y, double mm_x, double mm_y) {
    // The reference device's millimetres as whole numbers: scaled by k, and with its pixels by a
    // common factor when k leaves them too few to keep the ratio to a thousandth.
    const double spread = std::max(1.0, std::ceil(1000.0 / std::min(k * mm_x, k * mm_y)));
    const double fields[] = {k * left, k * top, k * right, k * bottom, device_x * spread, device_y * spread, k * mm_x * spread, k * mm_y * spread};
    for (const double v : fields) {
      if (!(v > -2147483647.0 && v < 2147483647.0)) return "";
    }
    const std::size_t at[] = {24, 28, 32, 36, 72, 76, 80, 84};
    for (std::size_t i = 0; i < 8; ++i) metafile::put_u32(body, at[i], static_cast<std::uint32_t>(static_cast<std::int32_t>(std::llround(fields[i]))));
    metafile::put_u32(body, 48, static_cast<std::uint32_t>(body.size())), metafile::put_u32(body, 52, static_cast<std::uint32_t>(records));
    return body;
  }

  // The file up to its end record (`end`) without the comments that carry EMF+ records, and its
  // record count (`records`): what a GDI viewer plays of a dual EMF, for LibreOffice, which plays
  // the EMF records of a file that has no EMF+ ones.
  std::string without_emf_plus(std::size_t header_size, std::size_t end, std::size_t& records) const {
    std::string out(b_.substr(0, header_size));
    records = 1;
    for (std::size_t at = header_size; at < end;) {
      const std::uint32_t size = u32(b_, at + 4);
      const std::string_view rec = b_.substr(at, size);
      at += size;
      if (u32(rec, 0) == kComment && rec.size() >= 16 && u32(rec, 12) == kCommentEmfPlus) continue;
      out.append(rec);
      ++records;
    }
    return out;
  }

  Result<void> need(std::string_view rec, std::size_t bytes, const std::string& which) const {
    if (rec.size() < bytes) return malformed(which + " is cut short");
    return ok();
  }

  Result<void> record(std::uint32_t type, std::string_view rec, const std::string& which) {
    track_extent(type, rec);
    switch (type) {
      case kExtTextOutA:
      case kExtTextOutW:
        SANSO_TRY(need(rec, 76, which));
        return text(rec, 36, type == kExtTextOutW, which);
      case kPolyTextOutA:
      case kPolyTextOutW: {
        SANSO_TRY(need(rec, 40, which));
        const std::uint64_t count = u32(rec, 36);
        if (count > (rec.size() - 40) / 40) return malformed(which + " lists more strings than it holds");
        for (std::uint64_t i = 0; i < count; ++i) SANSO_TRY(text(rec, 40 + 40 * i, type == kPolyTextOutW, which));
        return ok();
      }
      case kSmallTextOut: {
        SANSO_TRY(need(rec, 36, which));
        const std::uint32_t options = u32(rec, 20);
        const bool wide = (options & kEtoSmallChars) == 0;
        const std::uint64_t from = 36 + ((options & kEtoNoRect) != 0 ? 0 : 16), bytes = std::uint64_t{u32(rec, 16)} * (wide ? 2 : 1);
        if (from > rec.size() || bytes > rec.size() - from) return malformed(which + "'s text lies outside it");
        if ((options & kEtoGlyphIndex) != 0) {
          extent_.unknown("字形番号で描く文字", "text drawn by glyph index", false);
          return drawing_.glyph_indices(which);
        }
        extent_.text(s32(rec, 8), s32(rec, 12), u32(rec, 16), 0, font_.height, font_.turned);
        if (wide) drawing_.text_utf16(s32(rec, 12), s32(rec, 8), rec.substr(from, bytes));
        else drawing_.text_8bit(s32(rec, 12), s32(rec, 8), rec.substr(from, bytes), charset_);
        return ok();
      }
      case kExtCreateFontIndirectW: {
        SANSO_TRY(need(rec, 12 + 92, which));
        fonts_[u32(rec, 8)] = {static_cast<unsigned char>(rec[12 + 23]), s32(rec, 12), s32(rec, 12 + 8) != 0 || s32(rec, 12 + 12) != 0};
        // The face name, and a LogFontEx's full name, style and script after it: UTF-16 names.
        drawing_.carried_utf16(rec.substr(12 + 28));
        return ok();
      }
      case kSelectObject: {
        SANSO_TRY(need(rec, 12, which));
        const std::uint32_t handle = u32(rec, 8);
        if ((handle & 0x80000000u) != 0) {
          charset_ = 1;  // a stock font: the system's default
          drawing_.font_height(0);
          font_ = {};
        } else if (const auto it = fonts_.find(handle); it != fonts_.end()) {
          charset_ = it->second.charset;
          drawing_.font_height(it->second.height);
          font_ = it->second;
        }
        return ok();
      }
      case kDeleteObject:
        SANSO_TRY(need(rec, 12, which));
        fonts_.erase(u32(rec, 8));
        return ok();
      // Each bitmap record: where its BITMAPINFO and bits are described, and where its colour usage
      // (DIB_RGB_COLORS, or DIB_PAL_COLORS: indices into a palette) is; kNoUsage where it has none.
      case kBitBlt:
      case kStretchBlt:
      case kAlphaBlend:
      case kTransparentBlt:
        return bitmap(rec, 84, 80, which);
      case kMaskBlt:
        SANSO_TRY(bitmap(rec, 84, 80, which));
        return bitmap(rec, 112, 108, which + " mask");
      case kPlgBlt:
        SANSO_TRY(bitmap(rec, 96, 92, which));
        return bitmap(rec, 124, 120, which + " mask");
      case kSetDiBitsToDevice:
      case kStretchDiBits:
        return bitmap(rec, 48, 64, which);
      case kCreateMonoBrush:
      case kCreateDibPatternBrushPt:
        return bitmap(rec, 16, 12, which);
      case kExtCreatePen:
        return bitmap(rec, 12, kNoUsage, which);
      case kComment: {
        SANSO_TRY(need(rec, 12, which));
        const std::uint64_t size = u32(rec, 8);
        if (size > rec.size() - 12) return malformed(which + "'s comment runs past it");
        return comment(rec.substr(12, size), which);
      }
      case kDrawEscape:
      case kExtEscape: {
        SANSO_TRY(need(rec, 16, which));
        drawing_.escape(u32(rec, 8), rec.substr(16), which);
        return ok();
      }
      case kNamedEscape: {
        SANSO_TRY(need(rec, 20, which));
        drawing_.opaque(rec.substr(20), which, "an escape record's driver name and data");
        return ok();
      }
      case kCreateColorSpace:
      case kSetIcmProfileA:
      case kSetIcmProfileW:
      case kColorMatchToTargetW:
      case kCreateColorSpaceW:
        // A colour profile's file name and, sometimes, the profile itself.
        drawing_.opaque(rec.substr(8), which, "a colour profile");
        return ok();
      case kGlsRecord:
      case kGlsBoundedRecord:
        drawing_.unread(which, "unsupported: OpenGL records are not read");
        return ok();
      case kHeader:
        drawing_.unread(which, "unsupported: a second header record is not read");
        return ok();
      case kSetPixelV:
        drawing_.shape();
        gdi_shapes_ = true;
        return ok();
      default:
        if (type == 0 || type > kLastType || std::find(std::begin(kReserved), std::end(kReserved), type) != std::end(kReserved)) {
          drawing_.unread(which, "unsupported: a record of a kind [MS-EMF] does not define (" + std::to_string(type) + ") is not read");
        }
        if (std::find(std::begin(kShapeRecords), std::end(kShapeRecords), type) != std::end(kShapeRecords)) drawing_.shape(), gdi_shapes_ = true;
        return ok();
    }
  }

  // An EmrText at `at` of `rec` ([MS-EMF] 2.2.5): its reference point, its characters.
  Result<void> text(std::string_view rec, std::uint64_t at, bool wide, const std::string& which) {
    if (at + 40 > rec.size()) return malformed(which + "'s text is cut short");
    const std::uint64_t chars = u32(rec, at + 8), offset = u32(rec, at + 12), options = u32(rec, at + 16);
    const std::uint64_t bytes = chars * (wide ? 2 : 1);
    if (offset > rec.size() || bytes > rec.size() - offset) return malformed(which + "'s text lies outside it");
    if ((options & kEtoGlyphIndex) != 0 && chars > 0) {
      extent_.unknown("字形番号で描く文字", "text drawn by glyph index", false);
      return drawing_.glyph_indices(which);
    }
    // The advance of each character (offDx): one that steps back or sideways (ETO_PDY gives a
    // vertical one too) draws the characters in another order than the string's — "8109" drawn
    // right to left shows 9018. All text is read rendered as well; such text also counts as
    // painting, so that a file of it with no size to render at is held, not read from its string.
    const std::uint64_t dx = u32(rec, at + 36), step = (options & kEtoPdy) != 0 ? 8 : 4;
    if (dx != 0 && chars > 0 && dx <= rec.size() && chars * step <= rec.size() - dx) {
      for (std::uint64_t i = 0; i < chars; ++i) {
        if (s32(rec, dx + i * step) < 0 || (step == 8 && s32(rec, dx + i * step + 4) != 0)) {
          drawing_.shape();
          break;
        }
      }
    }
    // Vertical advances (ETO_PDY) carry text off its baseline by as much as they say: not followed.
    if ((options & kEtoPdy) != 0 && chars > 0) extent_.unknown("縦にも送る文字", "text advanced vertically (ETO_PDY)", false);
    std::uint64_t advance = 0;
    if (dx != 0 && chars > 0 && dx <= rec.size() && chars * step <= rec.size() - dx) {
      for (std::uint64_t i = 0; i < chars; ++i) advance += static_cast<std::uint64_t>(std::abs(static_cast<std::int64_t>(s32(rec, dx + i * step))));
    }
    extent_.text(s32(rec, at), s32(rec, at + 4), chars, advance, font_.height, font_.turned);
    if (wide) drawing_.text_utf16(s32(rec, at + 4), s32(rec, at), rec.substr(offset, bytes));
    else drawing_.text_8bit(s32(rec, at + 4), s32(rec, at), rec.substr(offset, bytes), charset_);
    return ok();
  }

  // The painted extent (review24, issue #17; metafile::Extent), in the reference device's units:
  // each painting record's points through the transforms a viewer applies — the world transform,
  // the window and viewport under MM_TEXT and MM_ANISOTROPIC, saved and restored with the DC —,
  // a bitmap by the rectangle it is stretched to (its pixels are read by OCR apart). What is not
  // followed (another mapping mode, a mirrored layout, regions, flood fills, EMF+ records, text
  // by glyph index) leaves it unknown.
  void track_extent(std::uint32_t type, std::string_view rec) {
    const auto in = [type](const auto& list) { return std::find(std::begin(list), std::end(list), type) != std::end(list); };
    if (in(kTransformRecords)) return transform(type, rec);
    if (type == kSaveDc) {
      if (saved_.size() < 4096) saved_.push_back(mapping_);
      else extent_.unknown("保存しすぎた状態", "more saved states than kept", true);
      return;
    }
    if (type == kRestoreDc) {  // iRelative: -1 the last saved, -2 the one before…
      const std::int64_t back = rec.size() >= 12 ? -static_cast<std::int64_t>(s32(rec, 8)) : 0;
      if (back < 1 || static_cast<std::uint64_t>(back) > saved_.size()) return extent_.unknown("保存のない状態への復帰", "a restore of a state never saved", true);
      mapping_ = saved_[saved_.size() - static_cast<std::size_t>(back)];
      saved_.resize(saved_.size() - static_cast<std::size_t>(back));
      return remap();
    }
    if (in(kPathPaintRecords)) return;
    // EMR_SETTEXTALIGN with TA_UPDATECP: text is drawn at the current position, not where its
    // records say.
    if (type == 22 && (rec.size() < 12 || (u32(rec, 8) & 1u) != 0)) return extent_.unknown("現在位置に描く文字", "text drawn at the current position", false);
    if (in(kBoxRecords)) {
      if (rec.size() < 24) return cut_short();
      extent_.box(s32(rec, 8), s32(rec, 12), s32(rec, 16), s32(rec, 20));
      return;
    }
    if (in(kPointAt8Records)) {
      if (rec.size() < 16) return cut_short();
      if (type == kSetPixelV) extent_.dot(s32(rec, 8), s32(rec, 12));
      else extent_.point(s32(rec, 8), s32(rec, 12));
      return;
    }
    if (type == 41) {  // EMR_ANGLEARC: a centre and a radius
      if (rec.size() < 20) return cut_short();
      const double r = u32(rec, 16);
      extent_.box(s32(rec, 8) - r, s32(rec, 12) - r, s32(rec, 8) + r, s32(rec, 12) + r);
      return;
    }
    if (type == 118) {  // EMR_GRADIENTFILL: its vertices (x, y, colours), 16 bytes each
      if (rec.size() < 36 || u32(rec, 24) > (rec.size() - 36) / 16) return cut_short();
      for (std::uint64_t i = 0; i < u32(rec, 24); ++i) extent_.point(s32(rec, 36 + 16 * i), s32(rec, 36 + 16 * i + 4));
      return;
    }
    for (const PointRecord& r : kPointRecords) {
      if (r.type != type) continue;
      if (rec.size() < r.points_at) return cut_short();
      const std::uint64_t count = r.counts ? u32(rec, r.count_at + 4) : u32(rec, r.count_at);
      const std::uint64_t first = r.points_at + (r.counts ? std::uint64_t{4} * u32(rec, r.count_at) : 0);
      if (first > rec.size() || count > (rec.size() - first) / r.point_bytes) return cut_short();
      for (std::uint64_t i = 0; i < count; ++i) {
        const std::uint64_t p = first + i * r.point_bytes;
        if (r.point_bytes == 8) extent_.point(s32(rec, p), s32(rec, p + 4));
        else extent_.point(static_cast<std::int16_t>(u16(rec, p)), static_cast<std::int16_t>(u16(rec, p + 2)));
      }
      return;
    }
    // Bitmaps: where they are drawn — xDest, yDest at 24 and the destination's size at 32 (BitBlt,
    // StretchBlt, MaskBlt, AlphaBlend, TransparentBlt), at 72 (StretchDIBits) or the source's
    // (SetDIBitsToDevice); PlgBlt's parallelogram of three points.
    if (type == kBitBlt || type == kStretchBlt || type == kMaskBlt || type == kAlphaBlend || type == kTransparentBlt || type == kStretchDiBits ||
        type == kSetDiBitsToDevice) {
      const std::size_t size_at = type == kStretchDiBits ? 72 : type == kSetDiBitsToDevice ? 40 : 32;
      if (rec.size() < size_at + 8) return cut_short();
      const double x = s32(rec, 24), y = s32(rec, 28);
      extent_.box(x, y, x + s32(rec, size_at), y + s32(rec, size_at + 4));
      return;
    }
    if (type == kPlgBlt) {
      if (rec.size() < 48) return cut_short();
      const double x0 = s32(rec, 24), y0 = s32(rec, 28), x1 = s32(rec, 32), y1 = s32(rec, 36), x2 = s32(rec, 40), y2 = s32(rec, 44);
      extent_.point(x0, y0), extent_.point(x1, y1), extent_.point(x2, y2), extent_.point(x1 + x2 - x0, y1 + y2 - y0);
      return;
    }
    // Text is read where it is read (text(), SmallTextOut). A comment's EMF+ records paint by
    // their own transforms; any other comment paints nothing, but one is enough to tell them apart
    // from here.
    const bool text = type == kExtTextOutA || type == kExtTextOutW || type == kPolyTextOutA || type == kPolyTextOutW || type == kSmallTextOut;
    if (type == kComment && rec.size() >= 16 && u32(rec, 12) == kCommentEmfPlus) return extent_.unknown("EMF+ の描画", "EMF+ records", true);
    if (!text && in(kShapeRecords)) extent_.unknown("領域・塗りつぶしの描画", "regions and flood fills", true);
  }
  void cut_short() { extent_.unknown("短すぎる描画記録", "a painting record cut short", true); }

  // The window, viewport, mapping mode and world transform ([MS-EMF] 2.3.11, 2.3.12), and the
  // saved DCs that hold them: composed into the extent's map. What is not followed makes the
  // extent unknown.
  void transform(std::uint32_t type, std::string_view rec) {
    if (rec.size() < 12) return cut_short();
    const double x = s32(rec, 8), y = rec.size() >= 16 ? s32(rec, 12) : 0;
    Mapping& m = mapping_;
    // EMR_SETWINDOWEXTEX, EMR_SETWINDOWORGEX, EMR_SETVIEWPORTEXTEX, EMR_SETVIEWPORTORGEX: a point.
    double* const set[] = {m.window_ext, m.window_org, m.viewport_ext, m.viewport_org};
    switch (type) {
      case 9:
      case 10:
      case 11:
      case 12:
        set[type - 9][0] = x, set[type - 9][1] = y;
        break;
      case 17:  // EMR_SETMAPMODE
        m.mode = u32(rec, 8);
        break;
      case 31:  // EMR_SCALEVIEWPORTEXTEX, EMR_SCALEWINDOWEXTEX: xNum, xDenom, yNum, yDenom
      case 32: {
        if (rec.size() < 24 || s32(rec, 12) == 0 || s32(rec, 20) == 0) return cut_short();
        double* ext = type == 31 ? m.viewport_ext : m.window_ext;
        ext[0] = ext[0] * s32(rec, 8) / s32(rec, 12), ext[1] = ext[1] * s32(rec, 16) / s32(rec, 20);
        break;
      }
      case 35:  // EMR_SETWORLDTRANSFORM
      case 36: {  // EMR_MODIFYWORLDTRANSFORM: an XForm, then how it is applied
        if (rec.size() < 32 || (type == 36 && rec.size() < 36)) return cut_short();
        const metafile::Extent::Map f{f32(rec, 8), f32(rec, 12), f32(rec, 16), f32(rec, 20), f32(rec, 24), f32(rec, 28)};
        const std::uint32_t mode = type == 35 ? 4 : u32(rec, 32);
        if (mode == 1) m.world = {};  // MWT_IDENTITY
        else if (mode == 2) m.world = then(f, m.world);  // MWT_LEFTMULTIPLY: the new one first
        else if (mode == 3) m.world = then(m.world, f);  // MWT_RIGHTMULTIPLY
        else if (mode == 4) m.world = f;  // MWT_SET
        else return extent_.unknown("読めない座標変換", "a transform of a mode [MS-EMF] does not define", true);
        break;
      }
      case 115:  // EMR_SETLAYOUT: a mirrored one (LAYOUT_RTL) turns x about the window
        if ((u32(rec, 8) & 1u) != 0) return extent_.unknown("左右反転の配置", "a mirrored layout", false);
        return;
    }
    remap();
  }
  // `first`, then `second`.
  static metafile::Extent::Map then(const metafile::Extent::Map& first, const metafile::Extent::Map& second) {
    return {first.a * second.a + first.b * second.c,       first.a * second.b + first.b * second.d,
            first.c * second.a + first.d * second.c,       first.c * second.b + first.d * second.d,
            first.e * second.a + first.f * second.c + second.e, first.e * second.b + first.f * second.d + second.f};
  }
  // Page space to the device: MM_TEXT moves by the origins; MM_ANISOTROPIC scales the window's
  // extent to the viewport's too. Others (MM_ISOTROPIC's adjusted viewport, the metric modes) are
  // not followed.
  void remap() {
    const Mapping& m = mapping_;
    double sx = 1, sy = 1;
    if (m.mode == 8) {
      if (m.window_ext[0] == 0 || m.window_ext[1] == 0) return extent_.unknown("大きさのない窓", "a window of no size", true);
      sx = m.viewport_ext[0] / m.window_ext[0], sy = m.viewport_ext[1] / m.window_ext[1];
    } else if (m.mode != 1) {
      return extent_.unknown("追わない写像モード", "a mapping mode not followed", true);
    }
    const metafile::Extent::Map page{sx, 0, 0, sy, m.viewport_org[0] - m.window_org[0] * sx, m.viewport_org[1] - m.window_org[1] * sy};
    extent_.map(then(m.world, page));
  }

  // A DIB whose header and bits a record places at offBmi, cbBmi, offBits, cbBits from `at`, its
  // colour usage at `usage`.
  static constexpr std::uint64_t kNoUsage = 0;
  Result<void> bitmap(std::string_view rec, std::uint64_t at, std::uint64_t usage, const std::string& which) {
    SANSO_TRY(need(rec, std::max(at + 16, usage + 4), which));
    const std::uint64_t bmi = u32(rec, at), bmi_size = u32(rec, at + 4), bits = u32(rec, at + 8), bits_size = u32(rec, at + 12);
    if (bmi_size == 0) {  // no source bitmap: a pattern or a fill
      drawing_.shape();
      return ok();
    }
    if (usage != kNoUsage && u32(rec, usage) == 1) return drawing_.palette_indices(which);
    if (bmi > rec.size() || bmi_size > rec.size() - bmi || bits > rec.size() || bits_size > rec.size() - bits) {
      return malformed(which + "'s bitmap lies outside it");
    }
    std::string dib(rec.substr(bmi, bmi_size));
    dib.append(rec.substr(bits, bits_size));
    return drawing_.picture(dib_picture(dib, ctx_), which);
  }

  Result<void> comment(std::string_view data, const std::string& which) {
    if (data.size() < 4) {
      drawing_.opaque(data, which, "a comment");
      return ok();
    }
    const std::uint32_t id = u32(data, 0);
    if (id == kCommentEmfPlus) return emf_plus(data.substr(4), which);
    if (id == kCommentSpool) {
      drawing_.unread(which, "unsupported: a print spool comment is not read");
      return ok();
    }
    if (id != kCommentPublic || data.size() < 8) {
      drawing_.opaque(data, which, "a private comment");
      return ok();
    }
    switch (u32(data, 4)) {
      case 0x80000001u: {  // EMR_COMMENT_WINDOWS_METAFILE: Version (2), Checksum (2), Flags (4), WinMetafileSize (4), the WMF
        if (data.size() < 20 || u32(data, 16) > data.size() - 20) return malformed(which + "'s Windows metafile is cut short");
        drawing_.embed("embedded-" + std::to_string(++embedded_) + ".wmf", std::string(data.substr(20, u32(data, 16))));
        return ok();
      }
      case 0x00000002u: {  // EMR_COMMENT_BEGINGROUP: a group's description
        if (data.size() < 28 || std::uint64_t{u32(data, 24)} * 2 > data.size() - 28) return malformed(which + "'s group description is cut short");
        drawing_.carried_utf16(data.substr(28, std::uint64_t{u32(data, 24)} * 2));
        return ok();
      }
      case 0x00000003u:  // EMR_COMMENT_ENDGROUP
        return ok();
      case 0x40000004u: {  // EMR_COMMENT_MULTIFORMATS: the picture in other formats (EPS, EMF)
        if (data.size() < 28) return malformed(which + "'s formats are cut short");
        const std::uint64_t count = u32(data, 24);
        if (count > (data.size() - 28) / 16) return malformed(which + " lists more formats than it holds");
        for (std::uint64_t i = 0; i < count; ++i) {
          const std::uint64_t size = u32(data, 28 + 16 * i + 8), offset = u32(data, 28 + 16 * i + 12);
          if (offset > data.size() || size > data.size() - offset) return malformed(which + "'s format lies outside it");
          const bool emf = u32(data, 28 + 16 * i) == kEmfSignature;
          drawing_.embed("format-" + std::to_string(i + 1) + (emf ? ".emf" : ".eps"), std::string(data.substr(offset, size)));
        }
        return ok();
      }
      default:
        drawing_.opaque(data.substr(8), which, "a public comment");
        return ok();
    }
  }

  // EMF+ records ([MS-EMFPLUS] 2.3): Type, Flags, Size, DataSize, data.
  Result<void> emf_plus(std::string_view records, const std::string& which) {
    for (std::size_t at = 0; at < records.size();) {
      if (records.size() - at < 12) return malformed(which + "'s EMF+ record is cut short");
      const std::uint32_t type = u16(records, at), flags = u16(records, at + 2), size = u32(records, at + 4), data_size = u32(records, at + 8);
      if (size < 12 || size > records.size() - at || data_size > size - 12) return malformed(which + "'s EMF+ record claims " + std::to_string(size) + " bytes");
      const std::string_view data = records.substr(at + 12, data_size);
      at += size;
      SANSO_TRY(emf_plus_record(type, flags, data, which));
    }
    return ok();
  }

  Result<void> emf_plus_record(std::uint32_t type, std::uint32_t flags, std::string_view data, const std::string& which) {
    switch (type) {
      case 0x4003:  // EmfPlusComment: private data
        drawing_.opaque(data, which, "an EMF+ comment");
        return ok();
      case 0x4008: {  // EmfPlusObject, maybe continued over several records
        const std::uint32_t id = flags & 0xFF, kind = (flags >> 8) & 0x7F;
        if ((flags & 0x8000u) != 0) {
          if (data.size() < 4) return malformed(which + "'s continued EMF+ object is cut short");
          std::string& pending = pending_[id];
          pending.append(data.substr(4));
          SANSO_TRY(ctx_.charge(data.size(), "emf+ object"));
          return ok();
        }
        if (const auto it = pending_.find(id); it != pending_.end()) {
          std::string whole = std::move(it->second);
          pending_.erase(it);
          whole.append(data);
          return object(kind, whole, which);
        }
        return object(kind, data, which);
      }
      case 0x401C: {  // EmfPlusDrawString: its layout rectangle and its UTF-16 text
        if (data.size() < 28 || std::uint64_t{u32(data, 8)} * 2 > data.size() - 28) return malformed(which + "'s EMF+ string is cut short");
        drawing_.text_utf16(coordinate(f32(data, 16)), coordinate(f32(data, 12)), data.substr(28, std::uint64_t{u32(data, 8)} * 2));
        return ok();
      }
      case 0x4036: {  // EmfPlusDrawDriverString: characters when looked up in the font's map, else glyph indices
        const std::uint64_t count = data.size() >= 16 ? u32(data, 12) : 0;
        if (data.size() < 16 || count * 2 > data.size() - 16) return malformed(which + "'s EMF+ driver string is cut short");
        if ((u32(data, 4) & 0x1u) == 0) return drawing_.glyph_indices(which);
        const std::string_view glyphs = data.substr(16, count * 2);
        drawing_.text_utf16(0, 0, glyphs);
        // Each glyph at its own position (unless only the first is given, RealizedAdvance): the
        // order a viewer shows them in is the positions', not the string's.
        const std::uint64_t positions = 16 + count * 2;
        if ((u32(data, 4) & 0x4u) == 0 && count * 8 <= data.size() - positions) {
          for (std::uint64_t i = 0; i < count; ++i) {
            drawing_.text_utf16(coordinate(f32(data, positions + 8 * i + 4)), coordinate(f32(data, positions + 8 * i)), glyphs.substr(2 * i, 2));
          }
        }
        return ok();
      }
      default:
        if (type < 0x4001 || type > 0x403A) {
          drawing_.unread(which, "unsupported: an EMF+ record of a kind [MS-EMFPLUS] does not define (" + std::to_string(type) + ") is not read");
        }
        if (type >= kFirstPlusShape && type <= kLastPlusShape) drawing_.shape(), plus_shapes_ = true;
        // Header, end, drawing and state records: numbers only.
        return ok();
    }
  }

  // An EMF+ object ([MS-EMFPLUS] 2.2.1): images and fonts carry what a viewer shows; brushes may
  // carry an image (a texture); pens, paths, regions, formats and attributes are numbers.
  Result<void> object(std::uint32_t kind, std::string_view d, const std::string& which) {
    switch (kind) {
      case 1:  // Brush: a texture brush's image
        if (d.size() >= 8 && u32(d, 4) == 2) {
          const std::size_t image_at = 16 + (d.size() >= 12 && (u32(d, 8) & 0x02u) != 0 ? 24 : 0);
          if (d.size() < image_at) return malformed(which + "'s texture brush is cut short");
          return image(d.substr(image_at), which);
        }
        return ok();
      case 2:  // Pen: its brush, after the optional data its flags announce ([MS-EMFPLUS] 2.2.2.35)
        return pen(d, which);
      case 5:
        return image(d, which);
      case 6:  // Font: its family name
        if (d.size() < 24 || std::uint64_t{u32(d, 20)} * 2 > d.size() - 24) return malformed(which + "'s EMF+ font is cut short");
        drawing_.carried_utf16(d.substr(24, std::uint64_t{u32(d, 20)} * 2));
        return ok();
      case 3:
      case 4:
      case 7:
      case 8:
      case 9:
        return ok();
      default:
        drawing_.unread(which, "unsupported: an EMF+ object of a kind [MS-EMFPLUS] does not define (" + std::to_string(kind) + ") is not read");
        return ok();
    }
  }

  // An EmfPlusPen: Version, Type, then PenData — flags, unit, width, the optional fields the flags
  // announce — and the brush it paints with, which may be a texture (an image along every line).
  Result<void> pen(std::string_view d, const std::string& which) {
    if (d.size() < 20) return malformed(which + "'s EMF+ pen is cut short");
    const std::uint32_t flags = u32(d, 8);
    std::uint64_t at = 20;
    const auto skip = [&](std::uint64_t bytes) { at = at + bytes > d.size() ? d.size() + 1 : at + bytes; };
    const auto counted = [&](std::uint64_t unit) {  // a count, then that many units
      if (at + 4 > d.size()) return skip(4);
      const std::uint64_t n = u32(d, at);
      skip(4 + n * unit);
    };
    if ((flags & 0x0001u) != 0) skip(24);  // transform
    for (const std::uint32_t field : {0x0002u, 0x0004u, 0x0008u, 0x0010u, 0x0020u, 0x0040u, 0x0080u}) {
      if ((flags & field) != 0) skip(4);  // start and end cap, join, miter limit, line style, dashed line cap, dash offset
    }
    if ((flags & 0x0100u) != 0) counted(4);   // dash pattern
    if ((flags & 0x0200u) != 0) skip(4);      // alignment
    if ((flags & 0x0400u) != 0) counted(4);   // compound line
    if ((flags & 0x0800u) != 0) counted(1);   // custom start cap: its size, then it
    if ((flags & 0x1000u) != 0) counted(1);   // custom end cap
    if (at > d.size()) return malformed(which + "'s EMF+ pen is cut short");
    return object(1, d.substr(at), which);
  }

  // An EmfPlusImage: a bitmap (compressed: a whole PNG, JPEG, GIF… file, read as the file it is;
  // raw pixels: not decoded here) or a metafile carried whole.
  Result<void> image(std::string_view d, const std::string& which) {
    if (d.size() < 8) return malformed(which + "'s EMF+ image is cut short");
    const std::uint32_t type = u32(d, 4);
    if (type == 1) {
      if (d.size() < 28) return malformed(which + "'s EMF+ bitmap is cut short");
      if (u32(d, 24) == 1) {
        drawing_.embed("image-" + std::to_string(++embedded_), std::string(d.substr(28)));
      } else {
        drawing_.unread(which + "/picture", "unsupported: an EMF+ bitmap of raw pixels is not decoded");
      }
      return ok();
    }
    if (type == 2) {
      if (d.size() < 16 || u32(d, 12) > d.size() - 16) return malformed(which + "'s EMF+ metafile is cut short");
      const std::uint32_t format = u32(d, 8);
      drawing_.embed("embedded-" + std::to_string(++embedded_) + (format <= 2 ? ".wmf" : ".emf"), std::string(d.substr(16, u32(d, 12))));
      return ok();
    }
    drawing_.unread(which + "/picture", "unsupported: an EMF+ image of a kind [MS-EMFPLUS] does not define is not read");
    return ok();
  }

  std::string_view b_;
  const Context& ctx_;
  metafile::Drawing drawing_;
  struct Font {
    unsigned charset = 1;
    std::int64_t height = 0;
    bool turned = false;  // an escapement or orientation: its text runs off its baseline
  };
  std::map<std::uint32_t, Font> fonts_;  // a font object's handle → its charset and height
  Font font_;                              // the one selected
  unsigned charset_ = 1;                     // DEFAULT_CHARSET until a font is selected
  std::map<std::uint32_t, std::string> pending_;  // EMF+ objects continued over records, by id
  // Whether EMF records (kShapeRecords, SetPixelV) and EMF+ records (kFirstPlusShape to
  // kLastPlusShape) paint shapes: both is a dual EMF, read() holds it.
  bool gdi_shapes_ = false, plus_shapes_ = false;
  // What the painting records cover, in the reference device's units (track_extent), and the
  // transforms to it, with those the DC saved (EMR_SAVEDC, EMR_RESTOREDC).
  metafile::Extent extent_;
  struct Mapping {
    metafile::Extent::Map world;
    std::uint32_t mode = 1;  // MM_TEXT
    double window_org[2] = {0, 0}, window_ext[2] = {1, 1}, viewport_org[2] = {0, 0}, viewport_ext[2] = {1, 1};
  };
  Mapping mapping_;
  std::vector<Mapping> saved_;
  std::size_t embedded_ = 0;
};

}  // namespace

bool is_emf(std::string_view b) { return b.size() >= 88 && u32(b, 0) == kHeader && u32(b, 40) == kEmfSignature; }

Result<ReadContent> emf_content(std::string_view bytes, const Context& ctx) { return EmfReader(bytes, ctx).read(); }

}  // namespace sanso::cdr::internal
