// What the codecs share: the engine's error codes, the pixel budget, the colour conversion.
#include <lcms2.h>

#include <cstring>
#include <utility>

#include "cdr/image/codecs.h"

namespace sanso::cdr::internal::image {

Error limit_error(std::string message) { return make_error("limit", "", std::move(message)); }
Error malformed_error(std::string message) { return make_error("malformed", "", std::move(message)); }
Error too_many_pixels(std::uint64_t width, std::uint64_t height, std::uint64_t max_pixels) {
  return limit_error("the image is " + std::to_string(width) + " × " + std::to_string(height) + " pixels, more than the limit of " +
                     std::to_string(max_pixels) + " (a decompression bomb)");
}

bool fits(std::uint64_t width, std::uint64_t height, std::uint64_t frames, std::uint64_t max_pixels) {
  if (width == 0 || height == 0 || frames == 0) return true;
  // Each factor is at most 2^32 here; the product is checked by division so that it cannot wrap.
  const std::uint64_t area = width * height;
  if (area / width != height) return false;
  return area <= max_pixels / frames;
}

bool convert_to_srgb(Picture& picture, std::string_view profile) {
  // Cameras and printers write profiles of kilobytes, rarely a few hundred; lcms samples a
  // profile's whole pipeline to build a transform, and one of megabytes of stages is a CPU bomb.
  constexpr std::size_t kMostProfileBytes = 1 << 20;
  if (profile.empty() || profile.size() > kMostProfileBytes || picture.pixels.empty()) return false;
  cmsHPROFILE in = cmsOpenProfileFromMem(profile.data(), static_cast<cmsUInt32Number>(profile.size()));
  if (in == nullptr) return false;
  const cmsColorSpaceSignature space = cmsGetColorSpace(in);
  cmsUInt32Number in_format = 0;
  int out_channels = 0;
  const bool wide = picture.bits == 16;
  if (picture.cmyk && space == cmsSigCmykData && !wide) {
    in_format = TYPE_CMYK_8;
    out_channels = 3;
  } else if (!picture.cmyk && (picture.channels == 1 || picture.channels == 2) && space == cmsSigGrayData) {
    in_format = picture.channels == 1 ? (wide ? TYPE_GRAY_16 : TYPE_GRAY_8) : (wide ? TYPE_GRAYA_16 : TYPE_GRAYA_8);
    out_channels = picture.channels == 1 ? 3 : 4;
  } else if (!picture.cmyk && (picture.channels == 3 || picture.channels == 4) && space == cmsSigRgbData) {
    in_format = picture.channels == 3 ? (wide ? TYPE_RGB_16 : TYPE_RGB_8) : (wide ? TYPE_RGBA_16 : TYPE_RGBA_8);
    out_channels = picture.channels;
  }
  if (in_format == 0) {  // a profile for another colour model than the pixels': it describes nothing here
    cmsCloseProfile(in);
    return false;
  }
  cmsHPROFILE srgb = cmsCreate_sRGBProfile();
  const bool alpha = out_channels == 4;
  const cmsUInt32Number out_format = alpha ? (wide ? TYPE_RGBA_16 : TYPE_RGBA_8) : (wide ? TYPE_RGB_16 : TYPE_RGB_8);
  cmsHTRANSFORM transform = cmsCreateTransform(in, in_format, srgb, out_format, INTENT_RELATIVE_COLORIMETRIC, alpha ? cmsFLAGS_COPY_ALPHA : 0);
  cmsCloseProfile(in);
  cmsCloseProfile(srgb);
  if (transform == nullptr) return false;
  const std::size_t sample = wide ? 2 : 1;
  const std::size_t out_stride = static_cast<std::size_t>(picture.width) * static_cast<std::size_t>(out_channels) * sample;
  std::vector<std::uint8_t> out(out_stride * picture.height);
  const std::size_t in_stride = static_cast<std::size_t>(picture.width) * static_cast<std::size_t>(picture.cmyk ? 4 : picture.channels) * sample;
  for (std::uint32_t y = 0; y < picture.height; ++y) {
    cmsDoTransform(transform, picture.pixels.data() + y * in_stride, out.data() + y * out_stride, picture.width);
  }
  cmsDeleteTransform(transform);
  picture.pixels = std::move(out);
  picture.channels = out_channels;
  picture.cmyk = false;
  return true;
}

int exif_orientation(std::string_view tiff) {
  // A writer may put JPEG's APP1 preamble in front of the TIFF header (seen in PNG eXIf and WebP EXIF).
  if (tiff.starts_with(std::string_view("Exif\0\0", 6))) tiff.remove_prefix(6);
  if (tiff.size() < 8) return 1;
  const bool little = tiff.compare(0, 2, "II") == 0;
  if (!little && tiff.compare(0, 2, "MM") != 0) return 1;
  const auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(tiff[i])); };
  const auto u16 = [&](std::size_t i) { return little ? byte(i) | byte(i + 1) << 8 : byte(i) << 8 | byte(i + 1); };
  const auto u32 = [&](std::size_t i) { return little ? u16(i) | u16(i + 2) << 16 : u16(i) << 16 | u16(i + 2); };
  if (u16(2) != 42) return 1;
  const std::size_t ifd = u32(4);
  if (ifd > tiff.size() || tiff.size() - ifd < 2) return 1;
  const std::size_t entries = u16(ifd);
  if ((tiff.size() - ifd - 2) / 12 < entries) return 1;  // a directory past the block's end is not read at all
  for (std::size_t k = 0; k < entries; ++k) {
    const std::size_t at = ifd + 2 + 12 * k;
    constexpr std::uint32_t kOrientation = 0x0112, kShort = 3;
    if (u16(at) != kOrientation) continue;
    const std::uint32_t value = u16(at + 8);
    return u16(at + 2) == kShort && u32(at + 4) == 1 && value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
  }
  return 1;
}

void apply_orientation(Picture& picture, int orientation) {
  if (orientation < 2 || orientation > 8 || picture.pixels.empty()) return;
  const std::size_t w = picture.width, h = picture.height;
  const std::size_t bytes = static_cast<std::size_t>(picture.cmyk ? 4 : picture.channels) * static_cast<std::size_t>(picture.bits / 8);  // a pixel's
  const bool swaps = orientation >= 5;  // 5–8 turn the picture a quarter: width and height trade
  const std::size_t out_w = swaps ? h : w;
  std::vector<std::uint8_t> out(picture.pixels.size());
  for (std::size_t y = 0; y < h; ++y) {
    for (std::size_t x = 0; x < w; ++x) {
      std::size_t dx = x, dy = y;
      switch (orientation) {
        case 2: dx = w - 1 - x; break;                   // mirrored left to right
        case 3: dx = w - 1 - x, dy = h - 1 - y; break;   // upside down
        case 4: dy = h - 1 - y; break;                   // mirrored top to bottom
        case 5: dx = y, dy = x; break;                   // transposed
        case 6: dx = h - 1 - y, dy = x; break;           // turned a quarter clockwise to show
        case 7: dx = h - 1 - y, dy = w - 1 - x; break;   // transversed
        case 8: dx = y, dy = w - 1 - x; break;           // turned a quarter anticlockwise to show
        default: break;
      }
      std::memcpy(out.data() + (dy * out_w + dx) * bytes, picture.pixels.data() + (y * w + x) * bytes, bytes);
    }
  }
  picture.pixels = std::move(out);
  if (swaps) std::swap(picture.width, picture.height);
}

}  // namespace sanso::cdr::internal::image
