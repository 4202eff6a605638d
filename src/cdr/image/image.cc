// Images: decoded and encoded again with libvips, so metadata (EXIF, XMP, IPTC), trailing data and
// polyglot payloads do not survive — only pixels cross. The pixel count is checked from the header
// before anything is decoded. SVG is checked for script and external references and, when clean,
// rendered to PNG: no SVG reaches LGWAN as markup. BMP, which libvips reads only through
// ImageMagick, is decoded by ImageMagick's BMP coder alone and re-encoded as PNG.
#include <dlfcn.h>
#include <gmodule.h>
#include <pugixml.hpp>
#include <vips/vips.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "cdr/internal/format.h"
#include "cdr/internal/image_setup.h"

namespace sanso::cdr::internal {
namespace {

struct ImageRef {
  VipsImage* image = nullptr;
  ~ImageRef() {
    if (image != nullptr) g_object_unref(image);
  }
};

std::string vips_failure() {
  std::string e = vips_error_buffer();
  vips_error_clear();
  while (!e.empty() && (e.back() == '\n' || e.back() == ' ')) e.pop_back();
  return e;
}

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


// ImageMagick reads the whole BMP into memory before libvips sees a header, so the pixel limit is
// checked on the header's own width and height first (BITMAPCOREHEADER has 16-bit ones).
bool bmp_fits(std::string_view b, std::uint64_t max_pixels) {
  if (b.size() < 26) return false;
  auto u32 = [&](std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) | (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 8) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 2])) << 16) | (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 3])) << 24);
  };
  const std::uint32_t header_size = u32(14);
  std::uint64_t w = 0, h = 0;
  if (header_size == 12) {
    w = u32(18) & 0xFFFF;
    h = (u32(18) >> 16) & 0xFFFF;
  } else {
    w = u32(18);
    const auto sh = static_cast<std::int32_t>(u32(22));
    h = sh < 0 ? static_cast<std::uint64_t>(-static_cast<std::int64_t>(sh)) : static_cast<std::uint64_t>(sh);
    if (static_cast<std::int32_t>(w) < 0) return false;
  }
  return w * h <= max_pixels;
}

Result<std::string> save(VipsImage* image, std::string_view type, std::string* out_type) {
  void* buf = nullptr;
  std::size_t len = 0;
  int rc = -1;
  *out_type = std::string(type);
  if (type == "jpeg") {
    rc = vips_jpegsave_buffer(image, &buf, &len, "Q", 92, "strip", TRUE, nullptr);
  } else if (type == "webp") {
    rc = vips_webpsave_buffer(image, &buf, &len, "Q", 92, "strip", TRUE, nullptr);
  } else if (type == "tiff") {
    rc = vips_tiffsave_buffer(image, &buf, &len, "compression", VIPS_FOREIGN_TIFF_COMPRESSION_DEFLATE, "strip", TRUE, nullptr);
  } else if (type == "gif") {
    rc = vips_gifsave_buffer(image, &buf, &len, "strip", TRUE, nullptr);
  }
  if (rc != 0) {  // png, bmp (libvips has no BMP writer) and anything whose own writer failed
    vips_error_clear();
    *out_type = "png";
    rc = vips_pngsave_buffer(image, &buf, &len, "strip", TRUE, "compression", 6, nullptr);
  }
  if (rc != 0) return make_error("cdr.malformed", "", "the image cannot be encoded: " + vips_failure());
  std::string out(static_cast<const char*>(buf), len);
  g_free(buf);
  return out;
}

bool has_metadata(VipsImage* image) {
  for (const char* field : {"exif-data", "xmp-data", "iptc-data", "gif-comment", "png-comment-0-Comment", "jpeg-comment"}) {
    if (vips_image_get_typeof(image, field) != 0) return true;
  }
  return false;
}

// ImageMagick is untrusted in libvips as a whole; its BMP coder is the one part used, and only
// for bytes already identified as BMP by their header.
VipsImage* decode_bmp(std::string_view bytes) {
  if (bytes.size() < 26 || bytes.substr(0, 2) != "BM") return nullptr;
  vips_operation_block_set("VipsForeignLoadMagickBuffer", FALSE);
  VipsImage* image = nullptr;
  const int rc = vips_magickload_buffer(const_cast<char*>(bytes.data()), bytes.size(), &image, nullptr);
  vips_operation_block_set("VipsForeignLoadMagickBuffer", TRUE);
  return rc == 0 ? image : nullptr;
}

// A one-pixel BMP that loads the BMP coder.
std::string_view warm_bmp() {
  static const unsigned char kWarmBmp[] = {'B', 'M', 58, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 24, 0,
                                           0,   0,   0,  0, 0, 0, 4, 0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                           0,   0,   0xFF, 0};
  return std::string_view(reinterpret_cast<const char*>(kWarmBmp), sizeof kWarmBmp);
}

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

void load_magick_module() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&vips_init), &info) == 0 || info.dli_fname == nullptr) return;
  std::string dir(info.dli_fname);
  dir.erase(dir.find_last_of('/') + 1);
  const std::string path = dir + "vips-modules-" + std::to_string(VIPS_MAJOR_VERSION) + "." + std::to_string(VIPS_MINOR_VERSION) + "/vips-magick.so";
  // Resident for the process's life, as libvips keeps the modules it loads itself. Without it
  // BMP is refused as a file libvips cannot read: fail closed.
  if (GModule* module = g_module_open(path.c_str(), G_MODULE_BIND_LAZY)) g_module_make_resident(module);
}

void load_images() {
  static bool done = false;
  if (done) return;
  done = true;
  // ImageMagick's OpenMP pool would not survive the fork into a sandbox worker (a child waits for
  // threads that are not there): one thread, like libvips below.
  ::setenv("MAGICK_THREAD_LIMIT", "1", 1);
  // libvips loads every module of its directory at start-up: the HEIF, JPEG XL, OpenSlide and
  // Poppler loaders, some fifty libraries more in every engine process, Poppler's under the GPL
  // (the brief keeps copyleft code out of our processes), and none of them used here. Its
  // prefix is pointed at a path that holds no module directory, and the one module Sanso uses
  // (ImageMagick, for BMP) is loaded by name from beside libvips itself.
  ::setenv("VIPSHOME", "/dev/null", 1);
  if (VIPS_INIT("sanso") != 0) return;
  load_magick_module();
  vips_concurrency_set(1);
  vips_cache_set_max(0);
  vips_block_untrusted_set(TRUE);  // loaders libvips itself does not trust with hostile input
  // librsvg counts as untrusted; SVG reaches it only after the markup check, inside the sandbox.
  vips_operation_block_set("VipsForeignLoadSvg", FALSE);
  // ImageMagick loads its configuration and each coder from disk on first use, which the sandbox
  // forbids: open one BMP now so the BMP coder is resident (its header only: reading pixels would
  // start libvips' threads). The loader stays blocked except around the BMP call itself, so no
  // other format ever reaches ImageMagick.
  if (VipsImage* bmp = decode_bmp(warm_bmp())) g_object_unref(bmp);
  vips_error_clear();
}

void prepare_images() {
  static bool done = false;
  if (done) return;
  done = true;
  load_images();
  // Loaders initialise lazily (librsvg reads its locale files, fontconfig its configuration and
  // the fonts it picks): one small render of each now, while the process may still open files.
  static const char kWarmSvg[] =
      "<svg xmlns='http://www.w3.org/2000/svg' width='8' height='8'><rect width='8' height='8' fill='red'/>"
      "<text x='0' y='8' font-family='sans-serif' font-size='8'>Aあ</text></svg>";
  VipsImage* warm = nullptr;
  if (vips_svgload_buffer(const_cast<char*>(kWarmSvg), sizeof kWarmSvg - 1, &warm, nullptr) == 0) {
    for (const char* type : {"png", "jpeg", "gif", "webp", "tiff"}) {
      void* buf = nullptr;
      std::size_t len = 0;
      int rc = std::string_view(type) == "png"    ? vips_pngsave_buffer(warm, &buf, &len, nullptr)
               : std::string_view(type) == "jpeg" ? vips_jpegsave_buffer(warm, &buf, &len, nullptr)
               : std::string_view(type) == "gif"  ? vips_gifsave_buffer(warm, &buf, &len, nullptr)
               : std::string_view(type) == "webp" ? vips_webpsave_buffer(warm, &buf, &len, nullptr)
                                                  : vips_tiffsave_buffer(warm, &buf, &len, nullptr);
      if (rc == 0) {
        VipsImage* back = vips_image_new_from_buffer(buf, len, "", nullptr);
        if (back != nullptr) {
          double avg = 0;
          vips_avg(back, &avg, nullptr);
          g_object_unref(back);
        }
        g_free(buf);
      }
    }
    g_object_unref(warm);
  }
  // The BMP coder's pixels, through libvips' pipeline as a job's would go.
  VipsImage* bmp = decode_bmp(warm_bmp());
  if (bmp != nullptr) {
    double avg = 0;
    vips_avg(bmp, &avg, nullptr);
    g_object_unref(bmp);
  }
  vips_error_clear();
}

Result<Rebuilt> sanitize_image(std::string_view bytes, std::string_view type, const Context& ctx) {
  prepare_images();
  const std::string where = ctx.prefix.empty() ? std::string("image") : ctx.prefix.substr(0, ctx.prefix.size() - 1);
  if (type == "png" && !png_chunks_fit(bytes)) return blocked("malformed", where, "a PNG chunk claims to be longer than the file");
  ImageRef header;
  // Header only: nothing is decoded until the pixels are asked for.
  if (type == "bmp") {
    if (!bmp_fits(bytes, ctx.policy.max_pixels)) return blocked("limit", where, "the BMP header declares more pixels than the limit (a decompression bomb)");
    header.image = decode_bmp(bytes);
  } else {
    header.image = vips_image_new_from_buffer(bytes.data(), bytes.size(), type == "gif" ? "[n=-1]" : "", "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                                            VIPS_FAIL_ON_ERROR, nullptr);
  }
  if (header.image == nullptr) return blocked("malformed", where, "the image cannot be decoded: " + vips_failure());
  const std::uint64_t pixels = static_cast<std::uint64_t>(vips_image_get_width(header.image)) * static_cast<std::uint64_t>(vips_image_get_height(header.image));
  if (pixels > ctx.policy.max_pixels) {
    return blocked("limit", where,
                   "the image is " + std::to_string(vips_image_get_width(header.image)) + " × " + std::to_string(vips_image_get_height(header.image)) +
                       " pixels, more than the limit of " + std::to_string(ctx.policy.max_pixels) + " (a decompression bomb)");
  }
  if (has_metadata(header.image)) ctx.add(FindingKind::kImageMetadata, "", FindingAction::kRemoved);
  if (has_trailing_data(bytes, type)) ctx.add(FindingKind::kTrailingData, "", FindingAction::kRemoved);
  // The output carries no ICC profile (strip), so the colours a profile described are converted
  // to sRGB first, which is what a viewer assumes without one. A profile lcms cannot use goes
  // without conversion: the pixels stay, the profile does not.
  ImageRef converted;
  VipsImage* rendered = header.image;
  if (vips_image_get_typeof(header.image, VIPS_META_ICC_NAME) != 0) {
    if (vips_icc_transform(header.image, &converted.image, "srgb", "embedded", TRUE, "intent", VIPS_INTENT_RELATIVE, nullptr) == 0) {
      rendered = converted.image;
      ctx.add(FindingKind::kIccProfile, "→ sRGB", FindingAction::kConverted);
    } else {
      vips_error_clear();
      ctx.add(FindingKind::kIccProfile, "", FindingAction::kRemoved);
    }
  }
  std::string out_type;
  auto out = save(rendered, type, &out_type);
  if (!out) return blocked("malformed", where, out.error().message);
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
  ImageRef image;
  if (vips_svgload_buffer(const_cast<char*>(bytes.data()), bytes.size(), &image.image, "access", VIPS_ACCESS_SEQUENTIAL, nullptr) != 0) {
    return blocked("malformed", where, "the SVG cannot be rendered: " + vips_failure());
  }
  std::uint64_t pixels = static_cast<std::uint64_t>(vips_image_get_width(image.image)) * static_cast<std::uint64_t>(vips_image_get_height(image.image));
  if (pixels > ctx.policy.max_pixels) return blocked("limit", where, "the SVG renders to more pixels than the limit");
  std::string out_type;
  auto out = save(image.image, "png", &out_type);
  if (!out) return blocked("malformed", where, out.error().message);
  ctx.add(FindingKind::kSvgRasterized, "", FindingAction::kConverted);
  return Rebuilt{std::move(out).value(), "png"};
}

}  // namespace sanso::cdr::internal
