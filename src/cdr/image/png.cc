// PNG through libpng: palette, low bit depths and transparency expanded, interlacing undone, 16-bit
// kept 16-bit when the PNG is rebuilt (scaled to 8 for other uses); written again with no ancillary
// chunk at all.
#include <png.h>

#include <bit>
#include <csetjmp>
#include <cstring>

#include "cdr/image/codecs.h"

namespace sanso::cdr::internal::image {
namespace {

// Everything the decode and encode change between setjmp and a longjmp lives here, in the
// caller's frame: after a longjmp, locals of the function that called setjmp are indeterminate.
struct Io {
  std::string_view in;
  std::size_t at = 0;
  std::string out;
  std::string error;
  std::vector<png_bytep> rows;
};

// Text and EXIF chunks are kept as they are, never inflated: whether they are there is all the
// rebuild needs to know (a zTXt of 64 MiB inflated from a few kilobytes is a bomb).
constexpr png_byte kMetadataChunks[] = {'t', 'E', 'X', 't', '\0', 'z', 'T', 'X', 't', '\0', 'i', 'T', 'X', 't', '\0', 'e', 'X', 'I', 'f', '\0'};

void on_error(png_structp png, png_const_charp message) {
  auto* io = static_cast<Io*>(png_get_error_ptr(png));
  io->error = message != nullptr ? message : "libpng error";
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}  // a warning drops what it warns about; the pixels decide

void read_bytes(png_structp png, png_bytep data, png_size_t length) {
  auto* io = static_cast<Io*>(png_get_io_ptr(png));
  if (length > io->in.size() - io->at) png_error(png, "the file ends inside the image data");
  std::memcpy(data, io->in.data() + io->at, length);
  io->at += length;
}

void write_bytes(png_structp png, png_bytep data, png_size_t length) {
  static_cast<Io*>(png_get_io_ptr(png))->out.append(reinterpret_cast<const char*>(data), length);
}

void flush(png_structp) {}

// The decode proper, apart so that nothing with a destructor lives between setjmp and longjmp.
bool decode(Io& io, std::uint64_t max_pixels, bool keep_16, Picture& picture, std::string& profile, bool& metadata, bool& too_large, int& orientation) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &io, &on_error, &on_warning);
  if (png == nullptr) return false;
  png_infop info = png_create_info_struct(png);
  png_infop end = png_create_info_struct(png);
  if (info == nullptr || end == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, &end);
    return false;
  }
  png_set_read_fn(png, &io, &read_bytes);
  // Chunks libpng does not know are kept aside to be seen (and dropped): a private chunk can carry
  // anything.
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_ALWAYS, nullptr, 0);
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_ALWAYS, kMetadataChunks, 4);
  png_set_chunk_malloc_max(png, 8u << 20);
  png_read_info(png, info);
  const png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
  if (!fits(width, height, 1, max_pixels)) {
    too_large = true;
    picture.width = width;
    picture.height = height;
    png_destroy_read_struct(&png, &info, &end);
    return false;
  }
  png_charp name = nullptr;
  int compression = 0;
  png_bytep icc = nullptr;
  png_uint_32 icc_size = 0;
  if (png_get_iCCP(png, info, &name, &compression, &icc, &icc_size) != 0 && icc != nullptr) profile.assign(reinterpret_cast<const char*>(icc), icc_size);
  const int bits = keep_16 && png_get_bit_depth(png, info) == 16 ? 16 : 8;
  png_set_expand(png);
  if (bits == 8) png_set_scale_16(png);
  else if constexpr (std::endian::native == std::endian::little) png_set_swap(png);  // samples in the host's order, as lcms and the encoder take them
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const int channels = png_get_channels(png, info);
  if (channels < 1 || channels > 4 || png_get_bit_depth(png, info) != bits) png_error(png, "an unexpected pixel layout after expansion");
  picture.width = width;
  picture.height = height;
  picture.channels = channels;
  picture.bits = bits;
  const std::size_t stride = static_cast<std::size_t>(width) * static_cast<std::size_t>(channels) * static_cast<std::size_t>(bits / 8);
  picture.pixels.resize(stride * height);
  io.rows.resize(height);
  for (png_uint_32 y = 0; y < height; ++y) io.rows[y] = picture.pixels.data() + static_cast<std::size_t>(y) * stride;
  png_read_image(png, io.rows.data());
  png_read_end(png, end);
  png_textp text = nullptr;
  int texts = 0;
  png_unknown_chunkp unknown = nullptr;
  png_bytep exif = nullptr;
  png_uint_32 exif_size = 0;
  for (png_infop i : {info, end}) {
    if (png_get_text(png, i, &text, &texts) > 0 || png_get_unknown_chunks(png, i, &unknown) > 0 || png_get_eXIf_1(png, i, &exif_size, &exif) != 0) {
      metadata = true;
    }
  }
  // An eXIf chunk before the image data is the one viewers follow for the orientation (browsers
  // turn a phone's PNG as they turn its JPEG); one after it is ignored, as the specification says.
  const int chunks = png_get_unknown_chunks(png, info, &unknown);
  for (int k = 0; k < chunks; ++k) {
    if (std::memcmp(unknown[k].name, "eXIf", 4) == 0 && (unknown[k].location & PNG_AFTER_IDAT) == 0) {
      orientation = exif_orientation(std::string_view(reinterpret_cast<const char*>(unknown[k].data), unknown[k].size));
      break;
    }
  }
  png_destroy_read_struct(&png, &info, &end);
  return true;
}

bool encode(Io& io, const Picture& picture) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &io, &on_error, &on_warning);
  if (png == nullptr) return false;
  png_infop info = png_create_info_struct(png);
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  static constexpr int kTypes[] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
  png_set_write_fn(png, &io, &write_bytes, &flush);
  png_set_compression_level(png, 6);
  png_set_IHDR(png, info, picture.width, picture.height, picture.bits, kTypes[picture.channels], PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  if constexpr (std::endian::native == std::endian::little) {
    if (picture.bits == 16) png_set_swap(png);
  }
  io.rows.resize(picture.height);
  const std::size_t stride = static_cast<std::size_t>(picture.width) * static_cast<std::size_t>(picture.channels) * static_cast<std::size_t>(picture.bits / 8);
  for (std::uint32_t y = 0; y < picture.height; ++y) io.rows[y] = const_cast<png_bytep>(picture.pixels.data() + y * stride);
  png_write_image(png, io.rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

}  // namespace

Result<Picture> decode_png(std::string_view bytes, std::uint64_t max_pixels, Observed& seen, bool keep_16) {
  Io io;
  io.in = bytes;
  Picture picture;
  std::string profile;
  bool too_large = false;
  int orientation = 1;
  if (!decode(io, max_pixels, keep_16, picture, profile, seen.metadata, too_large, orientation)) {
    if (too_large) {
      return too_many_pixels(picture.width, picture.height, max_pixels);
    }
    return malformed_error("the image cannot be decoded: " + (io.error.empty() ? std::string("libpng refused it") : io.error));
  }
  if (!profile.empty()) seen.colour = convert_to_srgb(picture, profile) ? Observed::Colour::kConverted : Observed::Colour::kProfileRemoved;
  // The eXIf chunk goes with the other metadata; its orientation is applied to the pixels instead.
  apply_orientation(picture, orientation);
  return picture;
}

Result<std::string> encode_png(const Picture& picture) {
  if (picture.cmyk || picture.channels < 1 || picture.channels > 4 || (picture.bits != 8 && picture.bits != 16) || picture.width == 0 ||
      picture.height == 0) {
    return malformed_error("the image has no pixels PNG can hold");
  }
  Io io;
  if (!encode(io, picture)) return malformed_error("the image cannot be encoded: " + io.error);
  return std::move(io.out);
}

Result<std::string> rebuild_png(std::string_view bytes, std::uint64_t max_pixels, Observed& seen) {
  Picture picture = SANSO_TRY(decode_png(bytes, max_pixels, seen, true));
  return encode_png(picture);
}

}  // namespace sanso::cdr::internal::image
