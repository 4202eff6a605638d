// The image codecs the engine rebuilds pictures with: each format's own permissive library
// (libjpeg-turbo, libpng, giflib, libwebp; lcms2 for colour, librsvg for SVG and gdk-pixbuf's BMP
// loader), called directly; TIFF apart (tiff_file.h). libvips was used before; Debian links it with
// FFTW, CFITSIO and more, FFTW under the GPL, which the brief keeps out of our processes.
// Private to src/cdr/image.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sanso::cdr::internal::image {

// What a rebuild saw and did that the person receiving the file should be told.
struct Observed {
  bool metadata = false;  // EXIF, XMP, IPTC, comments, text chunks: dropped
  bool trailing = false;  // bytes after the image's end (an appended archive, a second file): dropped
  enum class Colour { kUntouched, kConverted, kProfileRemoved } colour = Colour::kUntouched;
};

// Decoded pixels, rows top-down and tightly packed, `bits` a sample: 8, or 16 (a 16-bit PNG kept
// at its depth; samples in the host's byte order). `channels`: 1 grey, 2 grey and alpha, 3 RGB,
// 4 RGBA — or CMYK when `cmyk` (JPEG only).
struct Picture {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  int channels = 0;
  bool cmyk = false;
  int bits = 8;
  std::vector<std::uint8_t> pixels;
};

// Errors carry the engine's block reasons as their code: "limit" (more pixels than allowed,
// judged from the header before any pixel is decoded) or "malformed".
Error limit_error(std::string message);
Error malformed_error(std::string message);
// "the image is W × H pixels, more than the limit of N (a decompression bomb)"
Error too_many_pixels(std::uint64_t width, std::uint64_t height, std::uint64_t max_pixels);

// Every pixel the frames of one file declare, against the limit: false when over it.
bool fits(std::uint64_t width, std::uint64_t height, std::uint64_t frames, std::uint64_t max_pixels);

// Each rebuild decodes the file and encodes its pixels again in the same format.
Result<std::string> rebuild_jpeg(std::string_view bytes, std::uint64_t max_pixels, Observed& seen);
Result<std::string> rebuild_png(std::string_view bytes, std::uint64_t max_pixels, Observed& seen);
Result<std::string> rebuild_gif(std::string_view bytes, std::uint64_t max_pixels, Observed& seen);
Result<std::string> rebuild_webp(std::string_view bytes, std::uint64_t max_pixels, Observed& seen);

// Formats rebuilt as PNG.
Result<Picture> decode_bmp(std::string_view bytes, std::uint64_t max_pixels);
Result<Picture> render_svg(std::string_view bytes, std::uint64_t max_pixels);
// 8 bits a sample unless `keep_16` (the PNG rebuild: a 16-bit picture stays 16-bit).
Result<Picture> decode_png(std::string_view bytes, std::uint64_t max_pixels, Observed& seen, bool keep_16 = false);
Result<std::string> encode_png(const Picture& picture);
Result<std::string> encode_jpeg(const Picture& picture, int quality);

// Pixels described by an ICC profile, converted to sRGB in place (the output carries no profile,
// and sRGB is what a viewer assumes without one). False when lcms cannot use the profile for
// these pixels: they stay as they are, and the profile goes.
bool convert_to_srgb(Picture& picture, std::string_view profile);

// The orientation an EXIF block (from its "II"/"MM" TIFF header on) gives its picture: 1–8 as
// TIFF tag 274 numbers them, 1 (as stored) when the block names none or cannot be read.
int exif_orientation(std::string_view tiff);
// The picture turned and mirrored the way a viewer shows one of that orientation, so that the
// rebuild, which carries no EXIF, looks as the sender's did.
void apply_orientation(Picture& picture, int orientation);

// Loads what the codecs read lazily from disk (gdk-pixbuf's BMP module, fontconfig and librsvg's
// set-up) while the process may still open files: before a sandbox filter applies.
void load_codecs();

}  // namespace sanso::cdr::internal::image
