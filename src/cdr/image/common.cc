// What the codecs share: the engine's error codes, the pixel budget, the colour conversion.
#include <lcms2.h>

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
  if (picture.cmyk && space == cmsSigCmykData) {
    in_format = TYPE_CMYK_8;
    out_channels = 3;
  } else if (!picture.cmyk && (picture.channels == 1 || picture.channels == 2) && space == cmsSigGrayData) {
    in_format = picture.channels == 1 ? TYPE_GRAY_8 : TYPE_GRAYA_8;
    out_channels = picture.channels == 1 ? 3 : 4;
  } else if (!picture.cmyk && (picture.channels == 3 || picture.channels == 4) && space == cmsSigRgbData) {
    in_format = picture.channels == 3 ? TYPE_RGB_8 : TYPE_RGBA_8;
    out_channels = picture.channels;
  }
  if (in_format == 0) {  // a profile for another colour model than the pixels': it describes nothing here
    cmsCloseProfile(in);
    return false;
  }
  cmsHPROFILE srgb = cmsCreate_sRGBProfile();
  const bool alpha = out_channels == 4;
  cmsHTRANSFORM transform = cmsCreateTransform(in, in_format, srgb, alpha ? TYPE_RGBA_8 : TYPE_RGB_8, INTENT_RELATIVE_COLORIMETRIC,
                                               alpha ? cmsFLAGS_COPY_ALPHA : 0);
  cmsCloseProfile(in);
  cmsCloseProfile(srgb);
  if (transform == nullptr) return false;
  std::vector<std::uint8_t> out(static_cast<std::size_t>(picture.width) * picture.height * static_cast<std::size_t>(out_channels));
  const std::size_t in_stride = static_cast<std::size_t>(picture.width) * static_cast<std::size_t>(picture.cmyk ? 4 : picture.channels);
  for (std::uint32_t y = 0; y < picture.height; ++y) {
    cmsDoTransform(transform, picture.pixels.data() + y * in_stride, out.data() + static_cast<std::size_t>(y) * picture.width * static_cast<std::size_t>(out_channels),
                   picture.width);
  }
  cmsDeleteTransform(transform);
  picture.pixels = std::move(out);
  picture.channels = out_channels;
  picture.cmyk = false;
  return true;
}

}  // namespace sanso::cdr::internal::image
