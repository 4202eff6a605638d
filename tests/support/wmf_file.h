// Windows metafiles ([MS-WMF]) built record by record for tests: what Outlook writes as an
// attachment's icon and Office keeps as clip art, and hostile variations of it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace sanso::testing::wmf {

inline std::string u16(std::uint32_t v) { return {static_cast<char>(v & 0xFF), static_cast<char>((v >> 8) & 0xFF)}; }
inline std::string u32(std::uint32_t v) { return u16(v & 0xFFFF) + u16(v >> 16); }

// One record: its size in 16-bit words (header included), its function, its parameters padded
// to a whole word.
inline std::string record(std::uint16_t function, std::string params) {
  if (params.size() % 2 != 0) params += '\0';
  return u32(static_cast<std::uint32_t>(3 + params.size() / 2)) + u16(function) + params;
}

inline std::string text_out(std::int16_t y, std::int16_t x, const std::string& bytes) {
  std::string s = bytes;
  if (s.size() % 2 != 0) s += '\0';
  return record(0x0521, u16(static_cast<std::uint32_t>(bytes.size())) + s + u16(static_cast<std::uint16_t>(y)) + u16(static_cast<std::uint16_t>(x)));
}

inline std::string ext_text_out(std::int16_t y, std::int16_t x, const std::string& bytes, bool clipped = false) {
  return record(0x0A32, u16(static_cast<std::uint16_t>(y)) + u16(static_cast<std::uint16_t>(x)) + u16(static_cast<std::uint32_t>(bytes.size())) +
                            u16(clipped ? 0x0004 : 0) + (clipped ? std::string(8, '\0') : std::string()) + bytes);
}

// A font of `charset` (128: SHIFTJIS_CHARSET) named `face`, then selected: it takes the object
// table's lowest free slot, `slot`. [MS-WMF] 2.2.1.2: Height, Width, Escapement, Orientation,
// Weight, then Italic, Underline, StrikeOut, CharSet (byte 13), …, FaceName at 18.
inline std::string font(unsigned charset, const std::string& face, std::uint16_t slot = 0) {
  std::string params = std::string(13, '\0') + static_cast<char>(charset) + std::string(4, '\0') + face;
  params.resize(18 + 32, '\0');
  return record(0x02FB, params) + record(0x012D, u16(slot));
}

// META_STRETCHDIB painting `dib` (a BITMAPINFOHEADER and its bits).
inline std::string stretch_dib(const std::string& dib) { return record(0x0F43, u32(0x00CC0020) + std::string(18, '\0') + dib); }

// A `width` × `height` DIB of 24 bits a pixel, all white.
inline std::string white_dib(std::uint32_t width, std::uint32_t height) {
  const std::uint32_t stride = (width * 3 + 3) / 4 * 4;
  return u32(40) + u32(width) + u32(height) + u16(1) + u16(24) + std::string(24, '\0') + std::string(static_cast<std::size_t>(stride) * height, '\xFF');
}

inline std::string escape(std::uint16_t function, const std::string& data) {
  return record(0x0626, u16(function) + u16(static_cast<std::uint32_t>(data.size())) + data);
}

// A piece of an enhanced metafile carried in an MFCOMMENT escape (META_ESCAPE_ENHANCED_METAFILE).
inline std::string emf_comment(const std::string& emf) {
  return escape(0x000F, u32(0x43464D57) + u32(1) + u32(0x00010000) + u16(0) + u32(0) + u32(1) + u32(static_cast<std::uint32_t>(emf.size())) + u32(0) +
                            u32(static_cast<std::uint32_t>(emf.size())) + emf);
}

inline std::string eof() { return record(0x0000, ""); }

// The WMF records without their placeable header or file header (`records`, ended by META_EOF).
inline std::string body(const std::vector<std::string>& records, bool end = true, std::uint16_t objects = 4) {
  std::string body;
  for (const auto& r : records) body += r;
  if (end) body += eof();
  return u16(1) + u16(9) + u16(0x0300) + u32(static_cast<std::uint32_t>((18 + body.size()) / 2)) + u16(objects) + u32(64) + u16(0) + body;
}

// A placeable WMF (as Outlook writes an icon) of `records`, ended by META_EOF unless `end` is false:
// a bounding box of `width` × `height` units, 1440 to the inch.
inline std::string file(const std::vector<std::string>& records, bool end = true, std::uint16_t objects = 4, std::int16_t width = 1440,
                        std::int16_t height = 1440) {
  std::string placeable = u32(0x9AC6CDD7) + u16(0) + u16(0) + u16(0) + u16(static_cast<std::uint16_t>(width)) + u16(static_cast<std::uint16_t>(height)) + u16(1440) + u32(0);
  std::uint32_t checksum = 0;
  for (std::size_t i = 0; i < placeable.size(); i += 2) checksum ^= static_cast<unsigned char>(placeable[i]) | static_cast<unsigned char>(placeable[i + 1]) << 8;
  return placeable + u16(checksum) + body(records, end, objects);
}

// Polygons (points in logical units) filled black, even-odd: a black brush made in object slot
// `slot` and selected, then META_POLYPOLYGON — text converted to curves, as a drawing program
// writes it.
inline std::string polygons(const std::vector<std::vector<std::pair<int, int>>>& shapes, std::uint16_t slot = 0) {
  std::string counts, points;
  for (const auto& shape : shapes) {
    counts += u16(static_cast<std::uint32_t>(shape.size()));
    for (const auto& [x, y] : shape) points += u16(static_cast<std::uint16_t>(x)) + u16(static_cast<std::uint16_t>(y));
  }
  return record(0x02FC, u16(0) + u32(0) + u16(0)) + record(0x012D, u16(slot)) + record(0x0538, u16(static_cast<std::uint32_t>(shapes.size())) + counts + points);
}

// An attachment's icon as Outlook writes it (OleMetafilePictFromIconAndLabel; TNEF's
// attAttachMetaFile, MAPI's PR_ATTACH_RENDERING): no placeable header (the METAFILEPICT that held
// it said MM_ANISOTROPIC), a window as wide as the icon or its label and as high as both, the icon
// as DrawIcon records it — its mask ANDed (SRCAND), its colours XORed on (SRCINVERT), each a
// StretchDIB of 32 × 32 to 32 × 32 —, an "IconOnly" comment after it, then the label, `label`
// (bytes of CP932), in a created font (the icon title font: MS UI Gothic, 12 pixels) centred under
// it.
inline std::string outlook_icon(const std::string& label) {
  const std::uint16_t width = static_cast<std::uint16_t>(std::max<std::size_t>(32, label.size() * 7 + 8)), height = 32 + 2 + 14;
  // The colours: a sheet of paper, white with a black edge and three black lines of "text".
  std::string colours = u32(40) + u32(32) + u32(32) + u16(1) + u16(24) + std::string(24, '\0');
  for (int y = 31; y >= 0; --y) {  // bottom-up rows
    for (int x = 0; x < 32; ++x) {
      const bool edge = x == 4 || x == 27 || y == 1 || y == 30;
      const bool line = x >= 8 && x <= 23 && (y == 9 || y == 14 || y == 19);
      colours += (edge || line) && x >= 4 && x <= 27 && y >= 1 && y <= 30 ? std::string(3, '\0') : std::string(3, '\xFF');
    }
  }
  // The mask: 0 where the icon is opaque (its paper), 1 around it; one bit a pixel, rows of 4 bytes.
  std::string mask = u32(40) + u32(32) + u32(32) + u16(1) + u16(1) + std::string(24, '\0') + u32(0x000000) + u32(0xFFFFFF);
  for (int y = 31; y >= 0; --y) {
    std::uint32_t row = 0;
    for (int x = 0; x < 32; ++x) {
      if (!(x >= 4 && x <= 27 && y >= 1 && y <= 30)) row |= 1u << (31 - x);
    }
    mask += static_cast<char>(row >> 24), mask += static_cast<char>(row >> 16), mask += static_cast<char>(row >> 8), mask += static_cast<char>(row);
  }
  const std::uint16_t icon_x = static_cast<std::uint16_t>((width - 32) / 2);
  const auto stretch = [&](std::uint32_t operation, const std::string& dib) {
    return record(0x0F43, u32(operation) + u16(0) + u16(32) + u16(32) + u16(0) + u16(0) + u16(32) + u16(32) + u16(0) + u16(icon_x) + dib);
  };
  std::string face = std::string(13, '\0') + static_cast<char>(128) + std::string(4, '\0') + "MS UI Gothic";
  face.replace(0, 2, u16(static_cast<std::uint16_t>(-12)));  // lfHeight: a character 12 units high
  face.resize(18 + 32, '\0');
  const std::uint16_t label_x = static_cast<std::uint16_t>((width - std::min<std::size_t>(width, label.size() * 6)) / 2);
  return body({record(0x020B, u16(0) + u16(0)), record(0x020C, u16(height) + u16(width)), stretch(0x008800C6, mask), stretch(0x00660046, colours),
               escape(0x000F, std::string("IconOnly", 9)), record(0x02FB, face), record(0x012D, u16(0)), record(0x0209, u32(0)), record(0x0102, u16(1)),
               text_out(34, static_cast<std::int16_t>(label_x), label)});
}

}  // namespace sanso::testing::wmf

// Enhanced metafiles ([MS-EMF], with EMF+ records in comments), built the same way.
namespace sanso::testing::emf {

using wmf::u16;
using wmf::u32;

inline std::string utf16(const std::u16string& s) {
  std::string out;
  for (char16_t c : s) out += u16(c);
  return out;
}

// One record: its type, its size (header included, a multiple of 4), its parameters.
inline std::string record(std::uint32_t type, std::string params) {
  while (params.size() % 4 != 0) params += '\0';
  return u32(type) + u32(static_cast<std::uint32_t>(8 + params.size())) + params;
}

// EMR_EXTTEXTOUTW (or A, with 8-bit `text`) at (x, y): bounds, graphics mode, scales, one EmrText
// whose string follows it at offset 76.
inline std::string ext_text_out(std::int32_t x, std::int32_t y, const std::string& text, bool wide, std::uint32_t options = 0) {
  const std::uint32_t chars = static_cast<std::uint32_t>(wide ? text.size() / 2 : text.size());
  return record(wide ? 84 : 83, std::string(16, '\0') + u32(1) + u32(0) + u32(0) + u32(static_cast<std::uint32_t>(x)) + u32(static_cast<std::uint32_t>(y)) + u32(chars) +
                                    u32(76) + u32(options) + std::string(16, '\0') + u32(0) + text);
}

// EMR_EXTCREATEFONTINDIRECTW of `charset` named `face` as object `handle`, then selected.
inline std::string font(std::uint32_t handle, unsigned charset, const std::u16string& face) {
  std::string logfont = std::string(23, '\0') + static_cast<char>(charset) + std::string(4, '\0') + utf16(face);
  logfont.resize(92, '\0');
  return record(82, u32(handle) + logfont) + record(37, u32(handle));
}

// EMR_STRETCHDIBITS painting a DIB whose header is its first 40 bytes (no palette).
inline std::string stretch_dibits(const std::string& dib) {
  return record(81, std::string(16, '\0') + std::string(24, '\0') + u32(80) + u32(40) + u32(120) + u32(static_cast<std::uint32_t>(dib.size() - 40)) + u32(0) +
                        u32(0x00CC0020) + u32(0) + u32(0) + dib);
}

inline std::string comment(const std::string& data) { return record(70, u32(static_cast<std::uint32_t>(data.size())) + data); }

// EMF+ records carried in one comment.
inline std::string emf_plus(const std::vector<std::string>& records) {
  std::string all = u32(0x2B464D45);
  for (const auto& r : records) all += r;
  return comment(all);
}
inline std::string plus_record(std::uint16_t type, std::uint16_t flags, const std::string& data) {
  return u16(type) + u16(flags) + u32(static_cast<std::uint32_t>(12 + data.size())) + u32(static_cast<std::uint32_t>(data.size())) + data;
}
// EmfPlusDrawString of `text` in a layout rectangle at (0, 0).
inline std::string draw_string(const std::u16string& text) {
  return plus_record(0x401C, 0, u32(0) + u32(0) + u32(static_cast<std::uint32_t>(text.size())) + std::string(16, '\0') + utf16(text));
}

// Polygons (points in logical units) filled black: a black brush as object `handle`, selected, then
// EMR_POLYPOLYGON (bounds, counts, points).
inline std::string polygons(const std::vector<std::vector<std::pair<int, int>>>& shapes, std::uint32_t handle = 1) {
  std::string counts, points;
  std::uint32_t total = 0;
  int left = 1 << 30, top = 1 << 30, right = 0, bottom = 0;  // the bounds a writer puts before the points
  for (const auto& shape : shapes) {
    counts += u32(static_cast<std::uint32_t>(shape.size()));
    total += static_cast<std::uint32_t>(shape.size());
    for (const auto& [x, y] : shape) {
      points += u32(static_cast<std::uint32_t>(x)) + u32(static_cast<std::uint32_t>(y));
      left = std::min(left, x), top = std::min(top, y), right = std::max(right, x), bottom = std::max(bottom, y);
    }
  }
  const std::string bounds = u32(static_cast<std::uint32_t>(left)) + u32(static_cast<std::uint32_t>(top)) + u32(static_cast<std::uint32_t>(right)) +
                             u32(static_cast<std::uint32_t>(bottom));
  return record(39, u32(handle) + u32(0) + u32(0) + u32(0)) + record(37, u32(handle)) +
         record(8, bounds + u32(static_cast<std::uint32_t>(shapes.size())) + u32(total) + counts + points);
}

// An EMF: its header (with `description`; bounds of `width` × `height` device pixels of a screen
// of 1920 × 1080 pixels and 508 × 286 mm, a frame of the same size in hundredths of a millimetre),
// `records`, EMR_EOF unless `end` is false.
inline std::string file(const std::vector<std::string>& records, const std::u16string& description = u"", bool end = true, std::int32_t width = 1000,
                        std::int32_t height = 1000) {
  std::string desc = utf16(description);
  while (desc.size() % 4 != 0) desc += '\0';
  const std::string bounds = u32(0) + u32(0) + u32(static_cast<std::uint32_t>(width)) + u32(static_cast<std::uint32_t>(height));
  const std::string frame = u32(0) + u32(0) + u32(static_cast<std::uint32_t>(width * 2646 / 100)) + u32(static_cast<std::uint32_t>(height * 2646 / 100));
  std::string header = u32(1) + u32(static_cast<std::uint32_t>(88 + desc.size())) + bounds + frame + u32(0x464D4520) + u32(0x00010000) + u32(0) + u32(0) +
                       u16(1) + u16(0) + u32(static_cast<std::uint32_t>(description.size())) + u32(description.empty() ? 0 : 88) + u32(0) + u32(1920) + u32(1080) + u32(508) + u32(286) + desc;
  for (const auto& r : records) header += r;
  if (end) header += record(14, u32(0) + u32(16) + u32(20));
  return header;
}

}  // namespace sanso::testing::emf
