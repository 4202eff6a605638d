// Pictures with text in them, rendered at test time by Pango and cairo (Noto CJK): what a scanned
// card or a screenshot looks like to OCR.
#pragma once

#include <cairo.h>
#include <pango/pangocairo.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace sanso::testing {

namespace detail {
inline cairo_status_t append_png(void* out, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(out)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

inline std::string png_of_surface(cairo_surface_t* surface) {
  std::string out;
  if (cairo_surface_write_to_png_stream(surface, &append_png, &out) != CAIRO_STATUS_SUCCESS) out.clear();
  return out;
}

// The font every test picture is written in (Noto Sans CJK JP, 14 pt) at `dpi`.
inline void set_test_font(PangoLayout* layout, int dpi) {
  pango_cairo_context_set_resolution(pango_layout_get_context(layout), dpi);
  pango_layout_context_changed(layout);
  PangoFontDescription* font = pango_font_description_from_string("Noto Sans CJK JP 14");
  pango_layout_set_font_description(layout, font);
  pango_font_description_free(font);
}

// `text` (Pango markup; lines by "\n") black on white with a margin at `dpi`: a surface the caller
// destroys, or null when it could not be rendered.
inline cairo_surface_t* text_surface(const std::string& text, int dpi) {
  // The layout is measured on a scratch surface first: the picture is made to its size.
  cairo_surface_t* scratch = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
  cairo_t* measure = cairo_create(scratch);
  PangoLayout* layout = pango_cairo_create_layout(measure);
  // Grey anti-aliasing, as a scanner's or camera's picture has: no colour fringes of subpixel
  // rendering, which OCR misreads.
  cairo_font_options_t* options = cairo_font_options_create();
  cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY);
  cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options(pango_layout_get_context(layout), options);
  cairo_font_options_destroy(options);
  set_test_font(layout, dpi);
  pango_layout_set_markup(layout, text.c_str(), -1);
  int width = 0, height = 0;
  pango_layout_get_pixel_size(layout, &width, &height);
  const int margin = 40;
  cairo_surface_t* page = nullptr;
  if (width > 0 && height > 0) {
    page = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width + 2 * margin, height + 2 * margin);
    cairo_t* cr = cairo_create(page);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, margin, margin);
    pango_cairo_show_layout(cr, layout);
    cairo_destroy(cr);
    cairo_surface_flush(page);
  }
  g_object_unref(layout);
  cairo_destroy(measure);
  cairo_surface_destroy(scratch);
  return page;
}

}  // namespace detail

// `text` (Pango markup; lines by "\n") black on white with a margin, as a PNG at `dpi`; "" when it
// could not be rendered.
inline std::string picture_of(const std::string& text, int dpi = 150) {
  cairo_surface_t* page = detail::text_surface(text, dpi);
  if (page == nullptr) return {};
  std::string out = detail::png_of_surface(page);
  cairo_surface_destroy(page);
  return out;
}

// The same picture as a Windows device-independent bitmap (a BITMAPINFOHEADER, 32 bits a pixel,
// rows top-down): what a metafile's bitmap records carry. "" when it could not be rendered.
inline std::string dib_of(const std::string& text, int dpi = 150) {
  cairo_surface_t* page = detail::text_surface(text, dpi);
  if (page == nullptr) return {};
  const int width = cairo_image_surface_get_width(page), height = cairo_image_surface_get_height(page), stride = cairo_image_surface_get_stride(page);
  std::string dib(40, '\0');
  auto put = [&](std::size_t at, std::uint32_t v, int bytes) {
    for (int k = 0; k < bytes; ++k) dib[at + k] = static_cast<char>((v >> (8 * k)) & 0xFF);
  };
  put(0, 40, 4);
  put(4, static_cast<std::uint32_t>(width), 4);
  put(8, static_cast<std::uint32_t>(-height), 4);
  put(12, 1, 2);
  put(14, 32, 2);
  const unsigned char* data = cairo_image_surface_get_data(page);
  for (int y = 0; y < height; ++y) dib.append(reinterpret_cast<const char*>(data + static_cast<std::size_t>(y) * stride), static_cast<std::size_t>(width) * 4);
  cairo_surface_destroy(page);
  return dib;
}

// The same picture as raw 8-bit RGB samples, rows top-down (a PDF image XObject's /DeviceRGB data),
// its size in `width` and `height`; "" when it could not be rendered.
inline std::string rgb_of(const std::string& text, int& width, int& height, int dpi = 150) {
  cairo_surface_t* page = detail::text_surface(text, dpi);
  if (page == nullptr) return {};
  width = cairo_image_surface_get_width(page);
  height = cairo_image_surface_get_height(page);
  const int stride = cairo_image_surface_get_stride(page);
  const unsigned char* data = cairo_image_surface_get_data(page);
  std::string rgb;
  rgb.reserve(static_cast<std::size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const unsigned char* p = data + static_cast<std::size_t>(y) * stride + static_cast<std::size_t>(x) * 4;  // B, G, R, X in memory
      rgb += {static_cast<char>(p[2]), static_cast<char>(p[1]), static_cast<char>(p[0])};
    }
  }
  cairo_surface_destroy(page);
  return rgb;
}

// The outlines of `text`'s glyphs (Noto Sans CJK JP, 14 pt at `dpi`), flattened to polygons of whole
// units, `margin` from the origin: text converted to curves, as a PDF-to-EMF converter or a drawing
// program writes it — shapes, no character anywhere. Empty when it could not be laid out.
inline std::vector<std::vector<std::pair<int, int>>> outlines_of(const std::string& text, int dpi = 150, int margin = 40) {
  std::vector<std::vector<std::pair<int, int>>> shapes;
  cairo_surface_t* scratch = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
  cairo_t* cr = cairo_create(scratch);
  PangoLayout* layout = pango_cairo_create_layout(cr);
  detail::set_test_font(layout, dpi);
  pango_layout_set_text(layout, text.c_str(), -1);
  cairo_move_to(cr, margin, margin);
  pango_cairo_layout_path(cr, layout);
  cairo_path_t* path = cairo_copy_path_flat(cr);
  for (int i = 0; path != nullptr && i < path->num_data; i += path->data[i].header.length) {
    const cairo_path_data_t& d = path->data[i];
    if (d.header.type == CAIRO_PATH_MOVE_TO) shapes.emplace_back();
    if ((d.header.type == CAIRO_PATH_MOVE_TO || d.header.type == CAIRO_PATH_LINE_TO) && !shapes.empty()) {
      shapes.back().emplace_back(static_cast<int>(path->data[i + 1].point.x + 0.5), static_cast<int>(path->data[i + 1].point.y + 0.5));
    }
  }
  if (path != nullptr) cairo_path_destroy(path);
  g_object_unref(layout);
  cairo_destroy(cr);
  cairo_surface_destroy(scratch);
  std::erase_if(shapes, [](const auto& shape) { return shape.size() < 3; });
  return shapes;
}

// `shapes` (outlines_of(): whole units of 1/`dpi` inch from the top left) as the path operators of a
// PDF page `page_height` pt high, `scale` times their size from the page's top left: each shape
// a closed subpath, all painted at the end by `paint` ("f", "S").
inline std::string pdf_path_of(const std::vector<std::vector<std::pair<int, int>>>& shapes, int dpi, double page_height, const std::string& paint, double scale = 1) {
  std::string path;
  const auto number = [](double v) {
    char s[32];
    std::snprintf(s, sizeof s, "%.2f", v);
    return std::string(s);
  };
  for (const auto& shape : shapes) {
    for (std::size_t i = 0; i < shape.size(); ++i) {
      path += number(shape[i].first * 72.0 / dpi * scale) + " " + number(page_height - shape[i].second * 72.0 / dpi * scale) + (i == 0 ? " m " : " l ");
    }
    path += "h\n";
  }
  return path + paint + "\n";
}

// A plain grey picture of `width` × `height` (a logo's background): no text in it.
inline std::string plain_picture(int width = 200, int height = 120) {
  cairo_surface_t* page = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
  cairo_t* cr = cairo_create(page);
  cairo_set_source_rgb(cr, 180 / 255.0, 180 / 255.0, 180 / 255.0);
  cairo_paint(cr);
  cairo_destroy(cr);
  std::string out = detail::png_of_surface(page);
  cairo_surface_destroy(page);
  return out;
}

}  // namespace sanso::testing
