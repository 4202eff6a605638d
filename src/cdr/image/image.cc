// Images: decoded and encoded again with each format's own library (codecs.h), so metadata
// (EXIF, XMP, IPTC, comments), trailing data and polyglot payloads do not survive — only pixels
// cross. The pixel count is checked from the header before anything is decoded. SVG is checked
// for script and external references and, when clean, rendered to PNG: no SVG reaches LGWAN as
// markup. BMP is decoded by gdk-pixbuf's BMP loader alone and re-encoded as PNG.
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <lcms2.h>
#include <pugixml.hpp>

#include <cstdint>
#include <cstring>

#include "cdr/image/codecs.h"
#include "cdr/image/tiff_file.h"
#include "cdr/internal/format.h"
#include "cdr/internal/image_setup.h"

namespace sanso::cdr::internal {
namespace {

// Bytes after the image's end marker: appended archives, scripts, a second file.
bool has_trailing_data(std::string_view b, std::string_view type) {
  if (type == "jpeg") {
    auto end = b.rfind("\xFF\xD9");
    if (end == std::string_view::npos) return false;
    std::string_view rest = b.substr(end + 2);
    return rest.find_first_not_of(std::string_view("\0\r\n ", 4)) != std::string_view::npos;
  }
  if (type == "png") {
    auto end = b.rfind("IEND");
    return end != std::string_view::npos && end + 8 < b.size();
  }
  return false;
}

// A one-pixel BMP that loads the BMP module.
std::string_view warm_bmp() {
  static const unsigned char kWarmBmp[] = {'B', 'M', 58, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 24, 0,
                                           0,   0,   0,  0, 0, 0, 4, 0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                           0,   0,   0xFF, 0};
  return std::string_view(reinterpret_cast<const char*>(kWarmBmp), sizeof kWarmBmp);
}

void quiet_lcms(cmsContext, cmsUInt32Number, const char*) {}

}  // namespace

// PNG chunk lengths must fit in the file: libpng allocates a chunk's declared length before it
// reads it, so a 200-byte file could make it ask for 2 GiB (found by fuzzing).
bool png_chunks_fit(std::string_view b) {
  std::size_t at = 8;
  while (at + 12 <= b.size()) {
    const std::uint32_t len = (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) << 24) |
                              (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 16) |
                              (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 2])) << 8) | static_cast<unsigned char>(b[at + 3]);
    if (len > b.size() - at - 12) return false;
    if (b.substr(at + 4, 4) == "IEND") return true;
    at += 12 + len;
  }
  return at == b.size() || at + 12 > b.size();  // a truncated tail is libpng's to judge
}

void load_images() {
  static bool done = false;
  if (done) return;
  done = true;
  // lcms reports through a global handler: it prints nothing (libpng's and libjpeg's messages
  // arrive as the codecs' errors, per call).
  cmsSetLogErrorHandler(&quiet_lcms);
  // gdk-pixbuf reads its loader list and opens the BMP module on first use, which the sandbox
  // forbids: one BMP now, in the one thread of a pool's template, so workers inherit the module.
  auto bmp = image::decode_bmp(warm_bmp(), 1);
  (void)bmp;
  // librsvg hands a picture embedded in an SVG (data:image/…) to gdk-pixbuf: PNG and JPEG are
  // built in, GIF is a module of its own.
  static const unsigned char kWarmGif[] = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF,
                                           ',', 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 1, 0, ';'};
  if (GdkPixbufLoader* gif = gdk_pixbuf_loader_new_with_type("gif", nullptr)) {
    gdk_pixbuf_loader_write(gif, kWarmGif, sizeof kWarmGif, nullptr);
    gdk_pixbuf_loader_close(gif, nullptr);
    g_object_unref(gif);
  }
}

void prepare_images() {
  static bool done = false;
  if (done) return;
  done = true;
  load_images();
  // librsvg reads its locale files and fontconfig its configuration and the fonts it picks on
  // first use: one small render with Japanese text in the generic families and weights now, while
  // the process may still open files. A blur wide enough starts librsvg's thread pool (it reads
  // /proc on start): here, so that the threads exist — and are filtered with the process — before
  // a job.
  static const char kWarmSvg[] =
      "<svg xmlns='http://www.w3.org/2000/svg' width='64' height='64'><filter id='b'><feGaussianBlur stdDeviation='3'/></filter>"
      "<rect width='64' height='64' fill='red' filter='url(#b)'/>"
      "<text x='0' y='8' font-family='sans-serif' font-size='8'>Aあ水</text>"
      "<text x='0' y='18' font-family='sans-serif' font-weight='bold' font-size='8'>Aあ水</text>"
      "<text x='0' y='28' font-family='serif' font-size='8'>Aあ水</text>"
      "<text x='0' y='38' font-family='serif' font-weight='bold' font-size='8'>Aあ水</text>"
      "<text x='0' y='48' font-family='monospace' font-size='8'>Aあ水</text>"
      "<text x='0' y='58' font-family='sans-serif' font-style='italic' font-size='8'>Aあ水</text></svg>";
  auto warm = image::render_svg(std::string_view(kWarmSvg, sizeof kWarmSvg - 1), 64 * 64);
  if (warm) {
    // The pixels through PNG once, as a job's would go (nothing else here loads lazily: libjpeg,
    // giflib and libwebp need no file).
    image::Observed seen;
    if (auto png = image::encode_png(*warm)) (void)image::rebuild_png(*png, 64, seen);
  }
}

// A TIFF's structure judged here (pixel limit, what will not pass); its pages are decoded by a
// separate program (tiff_file.h), so the engine's answer is "unsupported" and the sandboxed entry
// points convert a file of its own (convert.cc). Inside another file it stays unsupported.
Result<Rebuilt> judge_tiff(std::string_view bytes, const std::string& where, const Context& ctx) {
  auto layout = image::read_tiff_layout(bytes);
  if (!layout) return blocked(layout.error().code, where, layout.error().message);
  std::uint64_t pixels = 0;
  for (const auto& page : layout->pages) {
    pixels += static_cast<std::uint64_t>(page.width) * page.height;
    if (!image::fits(page.width, page.height, 1, ctx.policy.max_pixels) || pixels > ctx.policy.max_pixels) {
      return blocked("limit", where,
                     "the TIFF's " + std::to_string(layout->pages.size()) + (layout->pages.size() == 1 ? " page holds" : " pages hold") +
                         " more pixels than the limit of " + std::to_string(ctx.policy.max_pixels) + " (a decompression bomb)");
    }
  }
  if (layout->metadata) ctx.add(FindingKind::kImageMetadata, "", FindingAction::kRemoved);
  if (layout->icc_profile) ctx.add(FindingKind::kIccProfile, "", FindingAction::kRemoved);
  return blocked("unsupported", where,
                 ctx.prefix.empty() ? "a TIFF's pages are decoded by a separate program (tiff2rgba), which only the sandboxed engine runs"
                                    : "a TIFF inside another file is not rebuilt (its pages are decoded by a separate program, for files of their own)");
}

Result<Rebuilt> sanitize_image(std::string_view bytes, std::string_view type, const Context& ctx) {
  prepare_images();
  const std::string where = ctx.prefix.empty() ? std::string("image") : ctx.prefix.substr(0, ctx.prefix.size() - 1);
  if (type == "png" && !png_chunks_fit(bytes)) return blocked("malformed", where, "a PNG chunk claims to be longer than the file");
  image::Observed seen;
  std::string out_type(type);
  Result<std::string> out = make_error("malformed", "", "the image format " + std::string(type) + " is not rebuilt");
  if (type == "jpeg") {
    out = image::rebuild_jpeg(bytes, ctx.policy.max_pixels, seen);
  } else if (type == "png") {
    out = image::rebuild_png(bytes, ctx.policy.max_pixels, seen);
  } else if (type == "gif") {
    out = image::rebuild_gif(bytes, ctx.policy.max_pixels, seen);
  } else if (type == "webp") {
    out = image::rebuild_webp(bytes, ctx.policy.max_pixels, seen);
  } else if (type == "tiff") {
    return judge_tiff(bytes, where, ctx);
  } else if (type == "bmp") {
    out_type = "png";  // no writer of BMP is used: PNG holds the same pixels
    auto picture = image::decode_bmp(bytes, ctx.policy.max_pixels);
    out = picture ? image::encode_png(*picture) : Result<std::string>(picture.error());
  }
  if (!out) return blocked(out.error().code, where, out.error().message);
  if (seen.metadata) ctx.add(FindingKind::kImageMetadata, "", FindingAction::kRemoved);
  if (seen.trailing || has_trailing_data(bytes, type)) ctx.add(FindingKind::kTrailingData, "", FindingAction::kRemoved);
  if (seen.colour == image::Observed::Colour::kConverted) ctx.add(FindingKind::kIccProfile, "→ sRGB", FindingAction::kConverted);
  if (seen.colour == image::Observed::Colour::kProfileRemoved) ctx.add(FindingKind::kIccProfile, "", FindingAction::kRemoved);
  if (out_type != type) ctx.add(FindingKind::kImageConverted, std::string(type) + " → " + out_type, FindingAction::kConverted);
  return Rebuilt{std::move(out).value(), out_type};
}

Result<Rebuilt> sanitize_svg(std::string_view bytes, const Context& ctx) {
  prepare_images();
  const std::string where = ctx.prefix.empty() ? std::string("image") : ctx.prefix.substr(0, ctx.prefix.size() - 1);
  pugi::xml_document doc;
  auto parsed = doc.load_buffer(bytes.data(), bytes.size(), pugi::parse_default | pugi::parse_doctype);
  if (!parsed) return blocked("malformed", where, std::string("the SVG is not well-formed XML: ") + parsed.description());
  for (pugi::xml_node n = doc.first_child(); n; n = n.next_sibling()) {
    if (n.type() == pugi::node_doctype && std::string_view(n.value()).find("ENTITY") != std::string_view::npos) {
      return blocked("active-content", where, "the SVG declares XML entities (entity expansion or external entities)");
    }
  }
  struct Walker : pugi::xml_tree_walker {
    std::string problem;
    bool for_each(pugi::xml_node& node) override {
      if (node.type() != pugi::node_element) return true;
      std::string name = node.name();
      auto colon = name.find(':');
      std::string local = colon == std::string::npos ? name : name.substr(colon + 1);
      for (char& c : local) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (local == "script" || local == "foreignobject" || local == "iframe" || local == "embed" || local == "object" || local == "handler" ||
          local == "listener") {
        problem = "the SVG contains <" + name + ">";
        return false;
      }
      for (pugi::xml_attribute a : node.attributes()) {
        std::string an = a.name();
        for (char& c : an) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (an.rfind("on", 0) == 0) {
          problem = "the SVG has an event handler (" + std::string(a.name()) + ")";
          return false;
        }
        if (an == "href" || an == "xlink:href" || an == "src" || (an.size() > 5 && an.substr(an.size() - 5) == ":href")) {
          std::string_view v = a.value();
          while (!v.empty() && (v.front() == ' ' || v.front() == '\t' || v.front() == '\n')) v.remove_prefix(1);
          if (!(v.rfind("#", 0) == 0 || v.rfind("data:image/png", 0) == 0 || v.rfind("data:image/jpeg", 0) == 0 || v.rfind("data:image/gif", 0) == 0)) {
            problem = "the SVG refers to something outside itself (" + std::string(a.value()).substr(0, 80) + ")";
            return false;
          }
        }
        if (std::string_view(a.value()).find("url(") != std::string_view::npos && std::string_view(a.value()).find("url(#") == std::string_view::npos) {
          problem = "the SVG loads a resource through url()";
          return false;
        }
      }
      return true;
    }
  } walker;
  doc.traverse(walker);
  if (!walker.problem.empty()) return blocked("active-content", where, walker.problem);
  auto picture = image::render_svg(bytes, ctx.policy.max_pixels);
  if (!picture) return blocked(picture.error().code, where, picture.error().message);
  auto out = image::encode_png(*picture);
  if (!out) return blocked("malformed", where, out.error().message);
  ctx.add(FindingKind::kSvgRasterized, "", FindingAction::kConverted);
  return Rebuilt{std::move(out).value(), "png"};
}

}  // namespace sanso::cdr::internal
