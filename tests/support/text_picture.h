// Pictures with text in them, rendered at test time by libvips (Pango, Noto CJK): what a scanned
// card or a screenshot looks like to OCR.
#pragma once

#include <vips/vips.h>

#include <string>

namespace sanso::testing {

// `text` (Pango markup; lines by "\n") black on white with a margin, as a PNG at `dpi`; "" when it
// could not be rendered.
inline std::string picture_of(const std::string& text, int dpi = 150) {
  if (VIPS_INIT("sanso-test") != 0) return "";
  VipsImage *mask = nullptr, *ink = nullptr, *page = nullptr;
  std::string out;
  // vips_text gives the glyphs' coverage (255 where ink is): inverted, dark text on white, as paper.
  if (vips_text(&mask, text.c_str(), "font", "Noto Sans CJK JP 14", "dpi", dpi, nullptr) == 0 && vips_invert(mask, &ink, nullptr) == 0) {
    const int margin = 40;
    if (vips_embed(ink, &page, margin, margin, vips_image_get_width(ink) + 2 * margin, vips_image_get_height(ink) + 2 * margin, "extend",
                   VIPS_EXTEND_WHITE, nullptr) == 0) {
      void* buf = nullptr;
      std::size_t len = 0;
      if (vips_pngsave_buffer(page, &buf, &len, nullptr) == 0) out.assign(static_cast<const char*>(buf), len);
      g_free(buf);
    }
  }
  for (VipsImage* i : {mask, ink, page}) {
    if (i != nullptr) g_object_unref(i);
  }
  return out;
}

// A plain grey picture of `width` × `height` (a logo's background): no text in it.
inline std::string plain_picture(int width = 200, int height = 120) {
  if (VIPS_INIT("sanso-test") != 0) return "";
  VipsImage *black = nullptr, *grey = nullptr;
  std::string out;
  if (vips_black(&black, width, height, "bands", 1, nullptr) == 0 && vips_linear1(black, &grey, 1.0, 180.0, "uchar", TRUE, nullptr) == 0) {
    void* buf = nullptr;
    std::size_t len = 0;
    if (vips_pngsave_buffer(grey, &buf, &len, nullptr) == 0) out.assign(static_cast<const char*>(buf), len);
    g_free(buf);
  }
  for (VipsImage* i : {black, grey}) {
    if (i != nullptr) g_object_unref(i);
  }
  return out;
}

}  // namespace sanso::testing
