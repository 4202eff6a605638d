// SVG through librsvg, onto a cairo surface: only the rendered pixels leave (as PNG). The markup
// was checked for scripts and outside references before it gets here (image.cc).
#include <cairo.h>
#include <librsvg/rsvg.h>

#include <cmath>

#include "cdr/image/codecs.h"

namespace sanso::cdr::internal::image {
namespace {

struct HandleRef {
  RsvgHandle* handle = nullptr;
  ~HandleRef() {
    if (handle != nullptr) g_object_unref(handle);
  }
};

std::string take_message(GError* error, const char* otherwise) {
  std::string s = error != nullptr && error->message != nullptr ? error->message : otherwise;
  if (error != nullptr) g_error_free(error);
  return s;
}

}  // namespace

Result<Picture> render_svg(std::string_view bytes, std::uint64_t max_pixels) {
  GError* error = nullptr;
  HandleRef h;
  // No base file: librsvg then loads nothing from outside the document.
  h.handle = rsvg_handle_new_from_data(reinterpret_cast<const guint8*>(bytes.data()), bytes.size(), &error);
  if (h.handle == nullptr) return malformed_error("the SVG cannot be rendered: " + take_message(error, "librsvg refused it"));
  gdouble w = 0, h_px = 0;
  if (!rsvg_handle_get_intrinsic_size_in_pixels(h.handle, &w, &h_px)) {
    // Only a viewBox: its size, as a browser without a layout would draw it.
    gboolean has_width = FALSE, has_height = FALSE, has_viewbox = FALSE;
    RsvgLength lw{}, lh{};
    RsvgRectangle viewbox{};
    rsvg_handle_get_intrinsic_dimensions(h.handle, &has_width, &lw, &has_height, &lh, &has_viewbox, &viewbox);
    if (has_viewbox) {
      w = viewbox.width;
      h_px = viewbox.height;
    }
  }
  if (!(w >= 0.5 && h_px >= 0.5) || w > 1e6 || h_px > 1e6) return malformed_error("the SVG has no size it can be drawn at");
  const auto width = static_cast<std::uint32_t>(std::ceil(w)), height = static_cast<std::uint32_t>(std::ceil(h_px));
  if (!fits(width, height, 1, max_pixels)) return limit_error("the SVG renders to more pixels than the limit");
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, static_cast<int>(width), static_cast<int>(height));
  if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(surface);
    return malformed_error("the SVG's surface cannot be made");
  }
  cairo_t* cr = cairo_create(surface);
  const RsvgRectangle viewport{0, 0, static_cast<double>(width), static_cast<double>(height)};
  const gboolean drawn = rsvg_handle_render_document(h.handle, cr, &viewport, &error);
  cairo_destroy(cr);
  cairo_surface_flush(surface);
  if (!drawn) {
    cairo_surface_destroy(surface);
    return malformed_error("the SVG cannot be rendered: " + take_message(error, "librsvg failed"));
  }
  Picture p;
  p.width = width;
  p.height = height;
  p.channels = 4;
  p.pixels.resize(static_cast<std::size_t>(width) * height * 4);
  const unsigned char* data = cairo_image_surface_get_data(surface);
  const int stride = cairo_image_surface_get_stride(surface);
  std::uint8_t* out = p.pixels.data();
  for (std::uint32_t y = 0; y < height; ++y) {
    const auto* row = reinterpret_cast<const std::uint32_t*>(data + static_cast<std::size_t>(y) * static_cast<std::size_t>(stride));
    for (std::uint32_t x = 0; x < width; ++x) {
      // cairo's ARGB32 is premultiplied, in native byte order.
      const std::uint32_t v = row[x];
      const unsigned a = v >> 24;
      auto channel = [&](unsigned c) { return static_cast<std::uint8_t>(a == 0 ? 0 : (c * 255 + a / 2) / a); };
      *out++ = channel((v >> 16) & 0xFF);
      *out++ = channel((v >> 8) & 0xFF);
      *out++ = channel(v & 0xFF);
      *out++ = static_cast<std::uint8_t>(a);
    }
  }
  cairo_surface_destroy(surface);
  return p;
}

}  // namespace sanso::cdr::internal::image
