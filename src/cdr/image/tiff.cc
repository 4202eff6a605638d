// TIFF through libtiff: every page decoded to RGBA by libtiff's own reader (which knows the
// photometric interpretations, palettes, YCbCr and CMYK) and written again as grey or RGB, with
// or without alpha, deflate-compressed, one page after another. Tags beyond the pixels' own
// (EXIF, GPS, XMP, IPTC, Photoshop, descriptions) do not pass.
#include <tiffio.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>

#include "cdr/image/codecs.h"

namespace sanso::cdr::internal::image {
namespace {

constexpr int kMaxPages = 1000;
// One allocation libtiff may make for a strip or a tag: past it the file is refused.
constexpr tmsize_t kMaxAllocation = 256 << 20;

struct Memory {
  std::string_view in;
  std::string out;
  std::uint64_t at = 0;
  std::string error;
};

// A writer reads back what it wrote (linking one page's directory to the next).
tmsize_t read_proc(thandle_t h, void* buf, tmsize_t size) {
  auto* m = static_cast<Memory*>(h);
  const std::string_view from = m->in.empty() ? std::string_view(m->out) : m->in;
  if (size <= 0 || m->at >= from.size()) return 0;
  const std::size_t n = std::min<std::uint64_t>(static_cast<std::uint64_t>(size), from.size() - m->at);
  std::memcpy(buf, from.data() + m->at, n);
  m->at += n;
  return static_cast<tmsize_t>(n);
}

tmsize_t write_proc(thandle_t h, void* buf, tmsize_t size) {
  auto* m = static_cast<Memory*>(h);
  if (size < 0) return 0;
  if (m->out.size() < m->at + static_cast<std::uint64_t>(size)) m->out.resize(m->at + static_cast<std::uint64_t>(size));
  std::memcpy(m->out.data() + m->at, buf, static_cast<std::size_t>(size));
  m->at += static_cast<std::uint64_t>(size);
  return size;
}

toff_t seek_proc(thandle_t h, toff_t offset, int whence) {
  auto* m = static_cast<Memory*>(h);
  const std::uint64_t size = m->in.empty() ? m->out.size() : m->in.size();
  std::uint64_t to = offset;
  if (whence == SEEK_CUR) to = m->at + offset;
  if (whence == SEEK_END) to = size + offset;
  m->at = to;
  return to;
}

int close_proc(thandle_t) { return 0; }
toff_t size_proc(thandle_t h) {
  auto* m = static_cast<Memory*>(h);
  return m->in.empty() ? m->out.size() : m->in.size();
}
int map_proc(thandle_t, void**, toff_t*) { return 0; }
void unmap_proc(thandle_t, void*, toff_t) {}

int on_error(TIFF*, void* user, const char* module, const char* format, va_list args) {
  auto* m = static_cast<Memory*>(user);
  if (m->error.empty()) {
    char text[512];
    std::vsnprintf(text, sizeof text, format, args);
    m->error = std::string(module != nullptr ? module : "libtiff") + ": " + text;
  }
  return 1;  // handled: nothing is printed
}

int on_warning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

struct Closer {
  void operator()(TIFF* t) const { TIFFClose(t); }
};

TIFF* open(Memory& m, const char* mode) {
  TIFFOpenOptions* options = TIFFOpenOptionsAlloc();
  TIFFOpenOptionsSetMaxSingleMemAlloc(options, kMaxAllocation);
  TIFFOpenOptionsSetErrorHandlerExtR(options, &on_error, &m);
  TIFFOpenOptionsSetWarningHandlerExtR(options, &on_warning, &m);
  TIFF* t = TIFFClientOpenExt("image", mode, &m, &read_proc, &write_proc, &seek_proc, &close_proc, &size_proc, &map_proc, &unmap_proc, options);
  TIFFOpenOptionsFree(options);
  return t;
}

bool has_metadata(TIFF* t) {
  void* data = nullptr;
  std::uint32_t count = 0;
  std::uint64_t offset = 0;
  char* text = nullptr;
  for (ttag_t tag : {TIFFTAG_XMLPACKET, TIFFTAG_RICHTIFFIPTC, TIFFTAG_PHOTOSHOP}) {
    if (TIFFGetField(t, tag, &count, &data) != 0 && count > 0) return true;
  }
  for (ttag_t tag : {TIFFTAG_EXIFIFD, TIFFTAG_GPSIFD}) {
    if (TIFFGetField(t, tag, &offset) != 0) return true;
  }
  for (ttag_t tag : {TIFFTAG_IMAGEDESCRIPTION, TIFFTAG_ARTIST, TIFFTAG_COPYRIGHT, TIFFTAG_DOCUMENTNAME, TIFFTAG_MAKE, TIFFTAG_MODEL, TIFFTAG_HOSTCOMPUTER}) {
    if (TIFFGetField(t, tag, &text) != 0 && text != nullptr && *text != '\0') return true;
  }
  return false;
}

}  // namespace

Result<std::string> rebuild_tiff(std::string_view bytes, std::uint64_t max_pixels, Observed& seen) {
  Memory in;
  in.in = bytes;
  std::unique_ptr<TIFF, Closer> reader(open(in, "rm"));
  if (!reader) return malformed_error("the image cannot be decoded: " + (in.error.empty() ? std::string("not a TIFF file") : in.error));
  std::vector<Picture> pages;
  std::uint64_t pixels = 0;
  do {
    if (pages.size() == static_cast<std::size_t>(kMaxPages)) return limit_error("the TIFF has more than " + std::to_string(kMaxPages) + " pages");
    std::uint32_t width = 0, height = 0;
    TIFFGetField(reader.get(), TIFFTAG_IMAGEWIDTH, &width);
    TIFFGetField(reader.get(), TIFFTAG_IMAGELENGTH, &height);
    if (width == 0 || height == 0) return malformed_error("a TIFF page has no size");
    if (!fits(width, height, 1, max_pixels) || (pixels += static_cast<std::uint64_t>(width) * height) > max_pixels) {
      return limit_error("the image is " + std::to_string(width) + " × " + std::to_string(height) + " pixels" + (pages.empty() ? "" : " on a later page") +
                         ", more than the limit of " + std::to_string(max_pixels) + " (a decompression bomb)");
    }
    seen.metadata = seen.metadata || has_metadata(reader.get());
    std::uint16_t photometric = PHOTOMETRIC_RGB, extra_count = 0;
    std::uint16_t* extra = nullptr;
    TIFFGetFieldDefaulted(reader.get(), TIFFTAG_PHOTOMETRIC, &photometric);
    TIFFGetFieldDefaulted(reader.get(), TIFFTAG_EXTRASAMPLES, &extra_count, &extra);
    std::uint32_t icc_size = 0;
    void* icc = nullptr;
    std::string profile;
    if (TIFFGetField(reader.get(), TIFFTAG_ICCPROFILE, &icc_size, &icc) != 0 && icc != nullptr) profile.assign(static_cast<const char*>(icc), icc_size);
    std::vector<std::uint32_t> raster(static_cast<std::size_t>(width) * height);
    if (TIFFReadRGBAImageOriented(reader.get(), width, height, raster.data(), ORIENTATION_TOPLEFT, 1) == 0) {
      return malformed_error("the image cannot be decoded: " + (in.error.empty() ? std::string("libtiff cannot read its pixels") : in.error));
    }
    const bool grey = photometric == PHOTOMETRIC_MINISBLACK || photometric == PHOTOMETRIC_MINISWHITE;
    const bool alpha = extra_count > 0;
    Picture p;
    p.width = width;
    p.height = height;
    p.channels = (grey ? 1 : 3) + (alpha ? 1 : 0);
    p.pixels.resize(raster.size() * static_cast<std::size_t>(p.channels));
    std::uint8_t* out = p.pixels.data();
    for (std::uint32_t v : raster) {
      if (grey) {
        *out++ = static_cast<std::uint8_t>(TIFFGetR(v));
      } else {
        *out++ = static_cast<std::uint8_t>(TIFFGetR(v));
        *out++ = static_cast<std::uint8_t>(TIFFGetG(v));
        *out++ = static_cast<std::uint8_t>(TIFFGetB(v));
      }
      if (alpha) *out++ = static_cast<std::uint8_t>(TIFFGetA(v));
    }
    // libtiff's reader gives RGB whatever the source's model: a CMYK or Lab profile no longer
    // describes these pixels.
    if (!profile.empty()) {
      const bool applies = photometric == PHOTOMETRIC_RGB || grey || photometric == PHOTOMETRIC_PALETTE || photometric == PHOTOMETRIC_YCBCR;
      seen.colour = applies && convert_to_srgb(p, profile) ? Observed::Colour::kConverted : Observed::Colour::kProfileRemoved;
    }
    pages.push_back(std::move(p));
  } while (TIFFReadDirectory(reader.get()) != 0);
  // A page libtiff failed on ends the loop like the last one would: refused, not passed short.
  if (!in.error.empty()) return malformed_error("the image cannot be decoded: " + in.error);

  Memory out;
  std::unique_ptr<TIFF, Closer> writer(open(out, "w"));
  if (!writer) return malformed_error("the image cannot be encoded: " + out.error);
  for (std::size_t n = 0; n < pages.size(); ++n) {
    const Picture& p = pages[n];
    TIFF* t = writer.get();
    const bool grey = p.channels <= 2, alpha = p.channels == 2 || p.channels == 4;
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, p.width);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, p.height);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, p.channels);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, grey ? PHOTOMETRIC_MINISBLACK : PHOTOMETRIC_RGB);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE);
    TIFFSetField(t, TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL);
    TIFFSetField(t, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT);
    if (alpha) {
      const std::uint16_t kind = EXTRASAMPLE_ASSOCALPHA;  // libtiff's reader premultiplies
      TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, &kind);
    }
    if (pages.size() > 1) {
      TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
      TIFFSetField(t, TIFFTAG_PAGENUMBER, static_cast<std::uint16_t>(n), static_cast<std::uint16_t>(pages.size()));
    }
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, TIFFDefaultStripSize(t, 0));
    const std::size_t stride = static_cast<std::size_t>(p.width) * static_cast<std::size_t>(p.channels);
    for (std::uint32_t y = 0; y < p.height; ++y) {
      if (TIFFWriteScanline(t, const_cast<std::uint8_t*>(p.pixels.data() + y * stride), y, 0) < 0) {
        return malformed_error("the image cannot be encoded: " + out.error);
      }
    }
    if (TIFFWriteDirectory(t) == 0) return malformed_error("the image cannot be encoded: " + out.error);
  }
  writer.reset();
  return std::move(out.out);
}

}  // namespace sanso::cdr::internal::image
