#include "cdr/image/tiff_file.h"

#include <zlib.h>

#include <algorithm>
#include <optional>
#include <set>

namespace sanso::cdr::internal::image {
namespace {

constexpr std::uint16_t kWidth = 256, kLength = 257, kBitsPerSample = 258, kCompression = 259, kPhotometric = 262, kStripOffsets = 273,
                        kSamplesPerPixel = 277, kRowsPerStrip = 278, kStripByteCounts = 279, kPlanar = 284, kExtraSamples = 338, kIccProfile = 34675;

// Tags that describe the pixels or their storage; any other is something else riding along.
bool describes_pixels(std::uint16_t tag) {
  static const std::set<std::uint16_t> kPixelTags = {254, 255, 256, 257, 258, 259, 262, 263, 264, 265, 266, 273, 274, 277, 278, 279, 280, 281, 282,
                                                     283, 284, 286, 287, 290, 291, 292, 293, 296, 297, 301, 317, 318, 319, 320, 321, 322, 323, 324,
                                                     325, 332, 334, 338, 339, 340, 341, 347, 512, 513, 514, 515, 517, 518, 519, 520, 521, 529, 530, 531, 532};
  return kPixelTags.count(tag) != 0;
}

class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b), little_(b.size() >= 2 && b[0] == 'I') {}
  bool has(std::uint64_t at, std::uint64_t n) const { return at <= b_.size() && n <= b_.size() - at; }
  std::uint16_t u16(std::uint64_t at) const {
    const auto* p = reinterpret_cast<const unsigned char*>(b_.data() + at);
    return static_cast<std::uint16_t>(little_ ? p[0] | (p[1] << 8) : (p[0] << 8) | p[1]);
  }
  std::uint32_t u32(std::uint64_t at) const {
    const auto* p = reinterpret_cast<const unsigned char*>(b_.data() + at);
    return little_ ? static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) | (static_cast<std::uint32_t>(p[2]) << 16) |
                         (static_cast<std::uint32_t>(p[3]) << 24)
                   : (static_cast<std::uint32_t>(p[0]) << 24) | (static_cast<std::uint32_t>(p[1]) << 16) | (static_cast<std::uint32_t>(p[2]) << 8) |
                         static_cast<std::uint32_t>(p[3]);
  }
  std::string_view bytes() const { return b_; }

 private:
  std::string_view b_;
  bool little_;
};

struct Entry {
  std::uint16_t tag = 0, type = 0;
  std::uint32_t count = 0;
  std::uint64_t at = 0;  // where the entry's 12 bytes start
};

std::size_t type_size(std::uint16_t type) {
  switch (type) {
    case 1: case 2: case 6: case 7: return 1;  // BYTE, ASCII, SBYTE, UNDEFINED
    case 3: case 8: return 2;                  // SHORT, SSHORT
    case 4: case 9: case 11: case 13: return 4;  // LONG, SLONG, FLOAT, IFD
    case 5: case 10: case 12: return 8;        // RATIONAL, SRATIONAL, DOUBLE
    default: return 0;
  }
}

// The n-th value of a SHORT or LONG entry, inline or at its offset; nothing when out of bounds.
std::optional<std::uint32_t> value(const Reader& r, const Entry& e, std::uint32_t n = 0) {
  const std::size_t size = type_size(e.type);
  if ((e.type != 3 && e.type != 4) || n >= e.count) return std::nullopt;
  const std::uint64_t total = static_cast<std::uint64_t>(e.count) * size;
  const std::uint64_t base = total <= 4 ? e.at + 8 : r.u32(e.at + 8);
  if (!r.has(base, total)) return std::nullopt;
  return e.type == 3 ? r.u16(base + n * 2u) : r.u32(base + n * 4u);
}

// The directories of the file, each as its entries; an Error for anything out of bounds.
Result<std::vector<std::vector<Entry>>> directories(const Reader& r) {
  const std::string_view b = r.bytes();
  if (b.size() < 8 || !((b[0] == 'I' && b[1] == 'I') || (b[0] == 'M' && b[1] == 'M'))) return malformed_error("not a TIFF file");
  if (r.u16(2) == 43) return malformed_error("BigTIFF files are not read; ask the sender for a classic TIFF, PNG or PDF");
  if (r.u16(2) != 42) return malformed_error("not a TIFF file (no 42 after the byte order)");
  std::vector<std::vector<Entry>> out;
  std::set<std::uint32_t> seen;
  // Directories may overlap: a small file can declare a million entries in all. A page has a few
  // dozen; more than this in one file is no image's.
  constexpr std::size_t kMostEntries = 1 << 16;
  std::size_t entries_seen = 0;
  for (std::uint32_t ifd = r.u32(4); ifd != 0;) {
    if (!seen.insert(ifd).second) return malformed_error("the TIFF's directories form a loop");
    if (out.size() == kMaxTiffPages) return limit_error("the TIFF has more than " + std::to_string(kMaxTiffPages) + " pages");
    if (!r.has(ifd, 2)) return malformed_error("a TIFF directory lies past the end of the file");
    const std::uint16_t count = r.u16(ifd);
    if (!r.has(ifd + 2, static_cast<std::uint64_t>(count) * 12 + 4)) return malformed_error("a TIFF directory runs past the end of the file");
    entries_seen += count;
    if (entries_seen > kMostEntries) return malformed_error("the TIFF's directories declare more than " + std::to_string(kMostEntries) + " entries in all");
    std::vector<Entry> entries;
    for (std::uint16_t i = 0; i < count; ++i) {
      const std::uint64_t at = ifd + 2 + static_cast<std::uint64_t>(i) * 12;
      entries.push_back({r.u16(at), r.u16(at + 2), r.u32(at + 4), at});
    }
    out.push_back(std::move(entries));
    ifd = r.u32(ifd + 2 + static_cast<std::uint64_t>(count) * 12);
  }
  if (out.empty()) return malformed_error("the TIFF holds no image");
  return out;
}

const Entry* find(const std::vector<Entry>& entries, std::uint16_t tag) {
  for (const Entry& e : entries) {
    if (e.tag == tag) return &e;
  }
  return nullptr;
}

std::optional<std::uint32_t> field(const Reader& r, const std::vector<Entry>& entries, std::uint16_t tag, std::uint32_t n = 0) {
  const Entry* e = find(entries, tag);
  return e == nullptr ? std::nullopt : value(r, *e, n);
}

// Little-endian writing.
void put16(std::string& s, std::uint16_t v) {
  s.push_back(static_cast<char>(v & 0xFF));
  s.push_back(static_cast<char>(v >> 8));
}
void put32(std::string& s, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

}  // namespace

Result<TiffLayout> read_tiff_layout(std::string_view bytes) {
  const Reader r(bytes);
  auto dirs = SANSO_TRY(directories(r));
  TiffLayout out;
  for (const auto& entries : dirs) {
    const auto w = field(r, entries, kWidth), h = field(r, entries, kLength);
    if (!w || !h || *w == 0 || *h == 0) return malformed_error("a TIFF page has no width or height");
    out.pages.push_back({*w, *h});
    for (const Entry& e : entries) {
      if (e.tag == kIccProfile) {
        out.icc_profile = true;
      } else if (!describes_pixels(e.tag)) {
        out.metadata = true;
      }
    }
  }
  return out;
}

Result<std::vector<Picture>> read_rgba_tiff(std::string_view bytes, std::uint64_t max_pixels) {
  const Reader r(bytes);
  auto dirs = SANSO_TRY(directories(r));
  std::vector<Picture> pages;
  std::uint64_t pixels = 0;
  for (const auto& entries : dirs) {
    const auto w = field(r, entries, kWidth), h = field(r, entries, kLength);
    const auto spp = field(r, entries, kSamplesPerPixel);
    if (!w || !h || *w == 0 || *h == 0 || !spp || (*spp != 3 && *spp != 4)) return malformed_error("the converted TIFF page is not RGB or RGBA");
    pixels += static_cast<std::uint64_t>(*w) * *h;
    if (!fits(*w, *h, 1, max_pixels) || pixels > max_pixels) {
      return limit_error("the TIFF's pages hold more than " + std::to_string(max_pixels) + " pixels in all (a decompression bomb)");
    }
    for (std::uint32_t c = 0; c < *spp; ++c) {
      if (field(r, entries, kBitsPerSample, c).value_or(0) != 8) return malformed_error("the converted TIFF page is not 8 bits a sample");
    }
    if (field(r, entries, kCompression).value_or(1) != 1 || field(r, entries, kPhotometric).value_or(0) != 2 || field(r, entries, kPlanar).value_or(1) != 1) {
      return malformed_error("the converted TIFF page is not uncompressed contiguous RGB");
    }
    const Entry* offsets = find(entries, kStripOffsets);
    const Entry* counts = find(entries, kStripByteCounts);
    if (offsets == nullptr || counts == nullptr || offsets->count != counts->count || offsets->count == 0) {
      return malformed_error("the converted TIFF page's strips are not described");
    }
    Picture p;
    p.width = *w;
    p.height = *h;
    p.channels = static_cast<int>(*spp);
    const std::uint64_t size = static_cast<std::uint64_t>(*w) * *h * *spp;
    p.pixels.reserve(size);
    for (std::uint32_t s = 0; s < offsets->count; ++s) {
      const auto at = value(r, *offsets, s), n = value(r, *counts, s);
      if (!at || !n || !r.has(*at, *n) || p.pixels.size() + *n > size) return malformed_error("a strip of the converted TIFF lies outside the file");
      p.pixels.insert(p.pixels.end(), bytes.begin() + *at, bytes.begin() + *at + *n);
    }
    if (p.pixels.size() != size) return malformed_error("the converted TIFF page's strips do not hold its pixels");
    // Opaque pages lose the alpha tiff2rgba adds; grey ones their three equal channels.
    if (p.channels == 4) {
      bool opaque = true;
      for (std::size_t i = 3; i < p.pixels.size() && opaque; i += 4) opaque = p.pixels[i] == 255;
      if (opaque) {
        std::size_t o = 0;
        for (std::size_t i = 0; i < p.pixels.size(); i += 4) {
          p.pixels[o++] = p.pixels[i];
          p.pixels[o++] = p.pixels[i + 1];
          p.pixels[o++] = p.pixels[i + 2];
        }
        p.pixels.resize(o);
        p.channels = 3;
      }
    }
    if (p.channels == 3) {
      bool grey = true;
      for (std::size_t i = 0; i < p.pixels.size() && grey; i += 3) grey = p.pixels[i] == p.pixels[i + 1] && p.pixels[i] == p.pixels[i + 2];
      if (grey) {
        for (std::size_t i = 0, o = 0; i < p.pixels.size(); i += 3) p.pixels[o++] = p.pixels[i];
        p.pixels.resize(p.pixels.size() / 3);
        p.channels = 1;
      }
    }
    pages.push_back(std::move(p));
  }
  return pages;
}

Result<std::vector<Picture>> pages_of_original(std::string_view original, std::string_view rgba, std::uint64_t max_pixels) {
  const TiffLayout layout = SANSO_TRY(read_tiff_layout(original));
  auto pages = SANSO_TRY(read_rgba_tiff(rgba, max_pixels));
  if (pages.size() != layout.pages.size()) {
    return malformed_error("only " + std::to_string(pages.size()) + " of the TIFF's " + std::to_string(layout.pages.size()) +
                           " pages could be decoded (a broken page stops the decoder)");
  }
  for (std::size_t n = 0; n < pages.size(); ++n) {
    if (pages[n].width != layout.pages[n].width || pages[n].height != layout.pages[n].height) {
      return malformed_error("page " + std::to_string(n + 1) + " of the TIFF was decoded at another size than it declares");
    }
  }
  return pages;
}

Result<std::string> write_tiff(const std::vector<Picture>& pages) {
  if (pages.empty()) return malformed_error("no page to write");
  std::string out = "II";
  put16(out, 42);
  put32(out, 0);  // the first directory's offset, filled in below
  std::uint64_t link = 4;  // where the offset of the next directory goes
  for (std::size_t n = 0; n < pages.size(); ++n) {
    const Picture& p = pages[n];
    if (p.cmyk || p.channels < 1 || p.channels > 4 || p.width == 0 || p.height == 0) return malformed_error("a page has no pixels TIFF can hold here");
    uLongf packed = compressBound(static_cast<uLong>(p.pixels.size()));
    std::string strip(packed, '\0');
    if (compress2(reinterpret_cast<Bytef*>(strip.data()), &packed, p.pixels.data(), static_cast<uLong>(p.pixels.size()), 6) != Z_OK) {
      return malformed_error("a page could not be compressed");
    }
    strip.resize(packed);
    if (out.size() % 2 != 0) out.push_back('\0');  // word alignment
    const auto strip_at = static_cast<std::uint32_t>(out.size());
    out += strip;
    // BitsPerSample for more than two samples lives outside the entry.
    if (out.size() % 2 != 0) out.push_back('\0');
    const auto bits_at = static_cast<std::uint32_t>(out.size());
    for (int c = 0; c < p.channels; ++c) put16(out, 8);
    if (out.size() % 2 != 0) out.push_back('\0');
    if (out.size() > 0xFFFFFFF0u) return limit_error("the rebuilt TIFF would be larger than 4 GiB");
    const auto ifd_at = static_cast<std::uint32_t>(out.size());
    out[link] = static_cast<char>(ifd_at & 0xFF);
    out[link + 1] = static_cast<char>((ifd_at >> 8) & 0xFF);
    out[link + 2] = static_cast<char>((ifd_at >> 16) & 0xFF);
    out[link + 3] = static_cast<char>((ifd_at >> 24) & 0xFF);
    const bool alpha = p.channels == 2 || p.channels == 4, multi = pages.size() > 1;
    struct Field {
      std::uint16_t tag, type;
      std::uint32_t count, value;
    };
    std::vector<Field> fields;
    if (multi) fields.push_back({254, 4, 1, 2});  // NewSubfileType: a page of a multi-page document
    fields.push_back({kWidth, 4, 1, p.width});
    fields.push_back({kLength, 4, 1, p.height});
    if (p.channels <= 2) {
      fields.push_back({kBitsPerSample, 3, static_cast<std::uint32_t>(p.channels), p.channels == 1 ? 8u : 8u | (8u << 16)});
    } else {
      fields.push_back({kBitsPerSample, 3, static_cast<std::uint32_t>(p.channels), bits_at});
    }
    fields.push_back({kCompression, 3, 1, 8});  // Adobe Deflate
    fields.push_back({kPhotometric, 3, 1, p.channels <= 2 ? 1u : 2u});
    fields.push_back({kStripOffsets, 4, 1, strip_at});
    fields.push_back({274, 3, 1, 1});  // Orientation: top left
    fields.push_back({kSamplesPerPixel, 3, 1, static_cast<std::uint32_t>(p.channels)});
    fields.push_back({kRowsPerStrip, 4, 1, p.height});
    fields.push_back({kStripByteCounts, 4, 1, static_cast<std::uint32_t>(strip.size())});
    fields.push_back({kPlanar, 3, 1, 1});
    if (multi) fields.push_back({297, 3, 2, static_cast<std::uint32_t>(n) | (static_cast<std::uint32_t>(pages.size()) << 16)});  // PageNumber
    if (alpha) fields.push_back({kExtraSamples, 3, 1, 1});  // associated alpha, as tiff2rgba wrote it
    put16(out, static_cast<std::uint16_t>(fields.size()));
    for (const Field& f : fields) {
      put16(out, f.tag);
      put16(out, f.type);
      put32(out, f.count);
      put32(out, f.value);  // SHORTs inline are little-endian pairs in these four bytes
    }
    link = out.size();
    put32(out, 0);
  }
  return out;
}

}  // namespace sanso::cdr::internal::image
