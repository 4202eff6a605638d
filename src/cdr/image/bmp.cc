// BMP through gdk-pixbuf's BMP loader (LGPL, loaded as a module): the one reader of the format
// among the libraries Sanso uses. Only bytes whose header says BMP reach it, and only after the
// header's width and height were judged against the pixel limit (image.cc).
#include <gdk-pixbuf/gdk-pixbuf.h>

#include <algorithm>

#include "cdr/image/codecs.h"

namespace sanso::cdr::internal::image {
namespace {

struct LoaderRef {
  GdkPixbufLoader* loader = nullptr;
  ~LoaderRef() {
    if (loader != nullptr) {
      gdk_pixbuf_loader_close(loader, nullptr);
      g_object_unref(loader);
    }
  }
};

std::string take_message(GError* error, const char* otherwise) {
  std::string s = error != nullptr && error->message != nullptr ? error->message : otherwise;
  if (error != nullptr) g_error_free(error);
  return s;
}

std::uint32_t u32(std::string_view b, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) | (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 8) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 2])) << 16) | (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 3])) << 24);
}

// Whether an RLE8/RLE4 stream reaches its end-of-bitmap mark or its last row; gdk-pixbuf
// leaves the rows a stream that stops early never reached transparent and reports success.
bool rle_complete(std::string_view rle, bool four_bit, std::uint64_t rows) {
  std::uint64_t row = 0;
  std::size_t at = 0;
  while (at + 2 <= rle.size()) {
    const auto count = static_cast<unsigned char>(rle[at]), value = static_cast<unsigned char>(rle[at + 1]);
    at += 2;
    if (count != 0) continue;  // a run
    if (value == 0) {          // end of a row
      if (++row >= rows) return true;
    } else if (value == 1) {  // end of the bitmap
      return true;
    } else if (value == 2) {  // a move right and down
      if (at + 2 > rle.size()) return false;
      row += static_cast<unsigned char>(rle[at + 1]);
      at += 2;
      if (row >= rows) return true;
    } else {  // `value` pixels as they are, padded to an even number of bytes
      const std::size_t bytes = four_bit ? (value + 1u) / 2u : value;
      at += bytes + (bytes & 1u);
    }
  }
  return false;
}

// The header judged before gdk-pixbuf sees the file: it reads the whole file into memory before it
// reports a size, so the pixel limit is checked on the header's own width and height (a
// BITMAPCOREHEADER has 16-bit ones); and it fills what a cut-short BMP lacks and reports success,
// so the pixel data the header declares must be in the file.
Result<void> judge_header(std::string_view b, std::uint64_t max_pixels) {
  if (b.size() < 30) return malformed_error("the BMP header is cut short");
  const std::uint64_t offset = u32(b, 10), header = u32(b, 14);
  // The info header is one of the sizes Windows and OS/2 define; gdk-pixbuf allocates whatever
  // size the file claims before it reads it (found by fuzzing: 3.6 GB for a 60-byte file).
  bool known = false;
  for (std::uint64_t size : {12, 16, 40, 52, 56, 64, 108, 124}) known = known || header == size;
  if (!known) return malformed_error("the BMP's header size is none that Windows or OS/2 writes");
  if (offset < 14 + header) return malformed_error("the BMP's pixel data is said to start inside its header");
  std::uint64_t width = 0, height = 0, bits = 0, compression = 0, declared = 0;
  if (header == 12) {
    width = u32(b, 18) & 0xFFFF;
    height = u32(b, 18) >> 16;
    bits = u32(b, 22) >> 16;
  } else {
    if (header < 40 || b.size() < 14 + 40) return malformed_error("the BMP header is cut short");
    width = u32(b, 18);
    const auto h = static_cast<std::int32_t>(u32(b, 22));
    height = h < 0 ? static_cast<std::uint64_t>(-static_cast<std::int64_t>(h)) : static_cast<std::uint64_t>(h);
    if (static_cast<std::int32_t>(width) < 0) return limit_error("the BMP header declares more pixels than the limit (a decompression bomb)");
    bits = u32(b, 26) >> 16;
    compression = u32(b, 30);
    declared = u32(b, 34);
  }
  if (!fits(width, height, 1, max_pixels)) return limit_error("the BMP header declares more pixels than the limit (a decompression bomb)");
  if (offset >= b.size()) return malformed_error("the BMP's pixel data starts past the end of the file");
  // The colour table: as many entries as the header says it uses (at most 2^bits for up to 8
  // bits a pixel, 256 otherwise), within the bytes between the header and the pixels —
  // gdk-pixbuf allocates what the header claims first (found by fuzzing: 4 GB).
  if (header >= 40) {
    const std::uint64_t used = u32(b, 46), most = bits <= 8 ? (std::uint64_t{1} << bits) : 256;
    if (used > most) return malformed_error("the BMP claims more colours in its table than its pixels can name");
    if (used * 4 > offset - 14 - header) return malformed_error("the BMP's colour table does not fit before its pixels");
  }
  const std::uint64_t available = b.size() - offset;
  switch (compression) {
    case 0:  // BI_RGB
    case 3:  // BI_BITFIELDS
    case 6: {  // BI_ALPHABITFIELDS
      const std::uint64_t row = (width * bits + 31) / 32 * 4;
      if (height != 0 && row > available / height) return malformed_error("the BMP file ends before the pixels its header declares");
      return ok();
    }
    case 1:  // BI_RLE8
    case 2:  // BI_RLE4
      if (declared > available) return malformed_error("the BMP file ends before the compressed pixels its header declares");
      return rle_complete(b.substr(static_cast<std::size_t>(offset)), compression == 2, height) ? ok() : Result<void>(malformed_error("the BMP's compressed pixels end before its last row (a truncated file)"));
    default:
      return malformed_error("the BMP holds compressed data of a kind not read (JPEG or PNG inside a BMP)");
  }
}

}  // namespace

Result<Picture> decode_bmp(std::string_view bytes, std::uint64_t max_pixels) {
  if (bytes.size() < 26 || bytes.substr(0, 2) != "BM") return malformed_error("not a BMP file");
  SANSO_TRY(judge_header(bytes, max_pixels));
  GError* error = nullptr;
  LoaderRef l;
  l.loader = gdk_pixbuf_loader_new_with_type("bmp", &error);
  if (l.loader == nullptr) return malformed_error("the BMP reader is not available: " + take_message(error, "gdk-pixbuf has no BMP loader"));
  if (!gdk_pixbuf_loader_write(l.loader, reinterpret_cast<const guchar*>(bytes.data()), bytes.size(), &error)) {
    return malformed_error("the image cannot be decoded: " + take_message(error, "the BMP reader refused it"));
  }
  const gboolean closed = gdk_pixbuf_loader_close(l.loader, &error);
  if (!closed) return malformed_error("the image cannot be decoded: " + take_message(error, "the BMP ends early"));
  GdkPixbuf* pixbuf = gdk_pixbuf_loader_get_pixbuf(l.loader);
  if (pixbuf == nullptr) return malformed_error("the image cannot be decoded: the BMP holds no picture");
  const int width = gdk_pixbuf_get_width(pixbuf), height = gdk_pixbuf_get_height(pixbuf), channels = gdk_pixbuf_get_n_channels(pixbuf);
  if (width <= 0 || height <= 0 || (channels != 3 && channels != 4) || gdk_pixbuf_get_bits_per_sample(pixbuf) != 8) {
    return malformed_error("the image cannot be decoded: an unexpected BMP layout");
  }
  if (!fits(static_cast<std::uint64_t>(width), static_cast<std::uint64_t>(height), 1, max_pixels)) return limit_error("the BMP holds more pixels than the limit");
  Picture p;
  p.width = static_cast<std::uint32_t>(width);
  p.height = static_cast<std::uint32_t>(height);
  p.channels = channels;
  const std::size_t row = static_cast<std::size_t>(width) * static_cast<std::size_t>(channels);
  p.pixels.resize(row * static_cast<std::size_t>(height));
  const guchar* data = gdk_pixbuf_read_pixels(pixbuf);
  const int stride = gdk_pixbuf_get_rowstride(pixbuf);
  for (int y = 0; y < height; ++y) std::copy_n(data + static_cast<std::size_t>(y) * static_cast<std::size_t>(stride), row, p.pixels.data() + static_cast<std::size_t>(y) * row);
  return p;
}

}  // namespace sanso::cdr::internal::image
