// A Windows metafile ([MS-WMF]) read record by record for what it shows: text and bitmaps. Outlook
// draws an attachment's icon as one (TNEF's attAttachMetaFile), Word and PowerPoint keep clip art
// and pasted charts as them; a name under an icon or a label in a chart leaves with the file.
#include <algorithm>
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
  WmfReader(std::string_view bytes, const Context& ctx) : b_(bytes), ctx_(ctx), drawing_(ctx) {}

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
      at += size;
      largest_ = std::max<std::uint64_t>(largest_, size / 2);
      if (function == kEof) break;
      if (auto r = record(function, params, n); !r) return std::move(r).error();
    }
    drawing_.after_end(b_.substr(at));
    if (!emf_.empty()) drawing_.embed("embedded.emf", std::move(emf_));
    if (drawing_.painted()) drawing_.rendering(rendering_copy(at));
    return drawing_.finish();
  }

 private:
  Error malformed(const std::string& why) const { return blocked("malformed", "", "the WMF " + why); }

  // The file as LibreOffice is to render it: with a placeable header ([MS-WMF] 2.3.2.3) whose
  // bounding box is the one it declares (its placeable header's, else its first window origin and
  // extent) and whose units per inch make it fill the page kRenderWidth × kRenderHeight. Without a
  // placeable header a renderer picks a size of its own: a drawing declared 30,000 units wide with
  // its shapes in a corner would come out too small to read. Its header's length and largest record
  // are the ones read here, up to its end record (`end`): a renderer stops where the header says.
  // "" when it declares no size.
  std::string rendering_copy(std::size_t end) const {
    std::int64_t left = 0, top = 0, right = 0, bottom = 0;
    std::string rest(b_.substr(0, end));
    const bool placeable = b_.size() >= kPlaceableSize && u32(b_, 0) == kPlaceableKey;
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
    const auto fits = [](std::int64_t v) { return v >= -32768 && v <= 32767; };
    if (width == 0 || height == 0 || !fits(left) || !fits(top) || !fits(right) || !fits(bottom)) return "";
    // Units per inch: the larger of what fits the width and what fits the height, rounded up.
    const std::int64_t inch = std::max<std::int64_t>({1, (width * 2540 + metafile::kRenderWidth - 1) / metafile::kRenderWidth,
                                                      (height * 2540 + metafile::kRenderHeight - 1) / metafile::kRenderHeight});
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

  Result<void> record(std::uint16_t function, std::string_view p, std::size_t n) {
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
        create({charset, static_cast<std::int16_t>(u16(p, 0))});
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
        if (!point) point = std::pair<std::int64_t, std::int64_t>{s16(p, 2), s16(p, 0)};
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
  };
  static constexpr Object kNotAFont{1000, 0};
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
