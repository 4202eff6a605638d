// A device-independent bitmap to pixels OCR can read. Decoded here rather than by gdk-pixbuf's BMP
// loader: a DIB inside a metafile has no file header and its loader modules are not what the
// outgoing check's sandbox loads; uncompressed DIBs are rows of palette indices or packed colours.
#include <algorithm>
#include <array>
#include <cstdint>

#include "cdr/image/codecs.h"
#include "cdr/internal/metafile.h"
#include "cdr/metafile/drawing.h"

namespace sanso::cdr::internal {
namespace {

using metafile::u16;
using metafile::u32;

constexpr std::uint32_t kBiRgb = 0, kBiRle8 = 1, kBiRle4 = 2, kBiBitfields = 3, kBiJpeg = 4, kBiPng = 5, kBiAlphaBitfields = 6;

// A colour mask's shift and width, to scale its field to eight bits.
struct Field {
  std::uint32_t mask = 0;
  int shift = 0;
  int bits = 0;
  explicit Field(std::uint32_t m) : mask(m) {
    if (m == 0) return;
    while (((m >> shift) & 1u) == 0) ++shift;
    while (shift + bits < 32 && ((m >> (shift + bits)) & 1u) != 0) ++bits;
  }
  std::uint8_t of(std::uint32_t pixel) const {
    if (bits == 0) return 0;
    const std::uint32_t v = (pixel & mask) >> shift, most = bits >= 32 ? 0xFFFFFFFFu : (1u << bits) - 1u;
    return static_cast<std::uint8_t>(static_cast<std::uint64_t>(v) * 255u / most);
  }
};

}  // namespace

Result<DibPicture> dib_picture(std::string_view b, const Context& ctx) {
  if (b.size() < 12) return blocked("malformed", "", "a bitmap's header is cut short");
  const std::uint32_t header = u32(b, 0);
  std::uint32_t width = 0, bits = 0, compression = kBiRgb, used = 0;
  std::int64_t height = 0;
  std::size_t palette_entry = 4;
  std::array<std::uint32_t, 3> masks{};
  std::size_t at = header;
  if (header == 12) {
    width = u16(b, 4);
    height = u16(b, 6);
    bits = u16(b, 10);
    palette_entry = 3;
  } else if (header == 40 || header == 52 || header == 56 || header == 108 || header == 124) {
    if (b.size() < header) return blocked("malformed", "", "a bitmap's header is cut short");
    width = u32(b, 4);
    height = static_cast<std::int32_t>(u32(b, 8));
    bits = u16(b, 14);
    compression = u32(b, 16);
    used = u32(b, 32);
    if (compression == kBiBitfields || compression == kBiAlphaBitfields) {
      if (header == 40) {  // the masks follow the header
        const std::size_t n = compression == kBiAlphaBitfields ? 4 : 3;
        if (b.size() < 40 + 4 * n) return blocked("malformed", "", "a bitmap's colour masks are cut short");
        at += 4 * n;
      }
      for (std::size_t i = 0; i < 3; ++i) masks[i] = u32(b, 40 + 4 * i);
    }
  } else {
    return blocked("malformed", "", "a bitmap's header size (" + std::to_string(header) + ") is none that Windows writes");
  }
  if (compression == kBiJpeg || compression == kBiPng) {
    // The bits are a whole JPEG or PNG file: read as the picture it is.
    return DibPicture{std::string(b.substr(std::min(at, b.size()))), compression == kBiJpeg ? "jpg" : "png", width, static_cast<std::uint32_t>(height < 0 ? -height : height)};
  }
  if (compression == kBiRle8 || compression == kBiRle4) return blocked("unsupported", "", "a run-length compressed bitmap is not decoded");
  if (compression != kBiRgb && compression != kBiBitfields && compression != kBiAlphaBitfields) {
    return blocked("unsupported", "", "a bitmap of compression " + std::to_string(compression) + " (CMYK or unknown) is not decoded");
  }
  if (bits != 1 && bits != 4 && bits != 8 && bits != 16 && bits != 24 && bits != 32) {
    return blocked("malformed", "", "a bitmap of " + std::to_string(bits) + " bits a pixel");
  }
  const std::uint64_t rows = static_cast<std::uint64_t>(height < 0 ? -height : height);
  if (width == 0 || rows == 0) return blocked("malformed", "", "a bitmap without pixels");
  if (static_cast<std::uint64_t>(width) * rows > ctx.policy.max_pixels) {
    return blocked("limit", "", "a bitmap of " + std::to_string(width) + " × " + std::to_string(rows) + " pixels, more than the limit of " + std::to_string(ctx.policy.max_pixels));
  }
  std::uint64_t colours = 0;
  if (bits <= 8) colours = used != 0 ? std::min<std::uint64_t>(used, 1u << bits) : 1u << bits;
  else if (header != 12) colours = std::min<std::uint64_t>(used, 1u << 16);
  const std::uint64_t palette_at = at, bits_at = palette_at + colours * palette_entry;
  const std::uint64_t stride = (static_cast<std::uint64_t>(width) * bits + 31) / 32 * 4;
  if (bits_at > b.size() || stride * rows > b.size() - bits_at) return blocked("malformed", "", "a bitmap's pixels are cut short");
  SANSO_TRY(ctx.charge(static_cast<std::uint64_t>(width) * rows * 3, "bitmap"));
  if (bits == 16 && compression == kBiRgb) masks = {0x7C00, 0x03E0, 0x001F};
  if (bits == 32 && compression == kBiRgb) masks = {0xFF0000, 0x00FF00, 0x0000FF};
  const Field red(masks[0]), green(masks[1]), blue(masks[2]);
  image::Picture picture;
  picture.width = width;
  picture.height = static_cast<std::uint32_t>(rows);
  picture.channels = 3;
  picture.pixels.resize(static_cast<std::size_t>(width) * rows * 3);
  for (std::uint64_t y = 0; y < rows; ++y) {
    // Rows run bottom-up unless the height is negative.
    const std::string_view row = b.substr(bits_at + stride * (height < 0 ? y : rows - 1 - y), stride);
    std::uint8_t* out = picture.pixels.data() + y * width * 3;
    for (std::uint32_t x = 0; x < width; ++x, out += 3) {
      if (bits <= 8) {
        const std::size_t bit = static_cast<std::size_t>(x) * bits;
        const unsigned index = (static_cast<unsigned char>(row[bit / 8]) >> (8 - bits - bit % 8)) & ((1u << bits) - 1u);
        if (index >= colours) {
          out[0] = out[1] = out[2] = 0;
          continue;
        }
        const std::size_t p = palette_at + index * palette_entry;
        out[0] = static_cast<std::uint8_t>(b[p + 2]);
        out[1] = static_cast<std::uint8_t>(b[p + 1]);
        out[2] = static_cast<std::uint8_t>(b[p]);
      } else if (bits == 24) {
        out[0] = static_cast<std::uint8_t>(row[x * 3 + 2]);
        out[1] = static_cast<std::uint8_t>(row[x * 3 + 1]);
        out[2] = static_cast<std::uint8_t>(row[x * 3]);
      } else {
        const std::uint32_t pixel = bits == 16 ? u16(row, x * 2) : u32(row, x * 4);
        out[0] = red.of(pixel);
        out[1] = green.of(pixel);
        out[2] = blue.of(pixel);
      }
    }
  }
  auto png = image::encode_png(picture);
  if (!png) return blocked("malformed", "", png.error().message);
  return DibPicture{std::move(png).value(), "png", width, static_cast<std::uint32_t>(rows)};
}

}  // namespace sanso::cdr::internal
