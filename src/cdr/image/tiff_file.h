// TIFF without libtiff in our process: Debian's libtiff links JBIG-KIT (GPL-2+), which the brief
// keeps out of it. A TIFF's pages are decoded to RGBA by libtiff's own `tiff2rgba` as a separate
// program in the converter sandbox (convert.cc); in the engine, the file's structure is walked
// here before that (pages, sizes, tags: the pixel limit and what will not pass are judged first),
// the converter's uncompressed RGBA output is read back (still hostile: the converter read the
// sender's bytes), and the pages are written as a new baseline TIFF. Private to src/cdr.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cdr/image/codecs.h"
#include "core/result.h"

namespace sanso::cdr::internal::image {

inline constexpr std::size_t kMaxTiffPages = 1000;

struct TiffLayout {
  struct Page {
    std::uint32_t width = 0;
    std::uint32_t height = 0;
  };
  std::vector<Page> pages;
  bool metadata = false;     // a tag that describes no pixel (EXIF, GPS, XMP, IPTC, text, private)
  bool icc_profile = false;  // tiff2rgba does not apply it: the profile goes
};

// Classic TIFF (either byte order): every directory's size and tags, bounds-checked, loops and
// more than kMaxTiffPages pages refused. BigTIFF is not read.
Result<TiffLayout> read_tiff_layout(std::string_view bytes);

// tiff2rgba's output: 8-bit RGBA (associated alpha) or RGB, uncompressed, in strips; a picture a
// page, within `max_pixels` in all. Grey pages come back grey, opaque ones without alpha.
Result<std::vector<Picture>> read_rgba_tiff(std::string_view bytes, std::uint64_t max_pixels);

// tiff2rgba's output checked against the original's layout: every page, each of its size
// (tiff2rgba stops at a directory it cannot read and still succeeds — the pages after it would be
// lost without a word). The engine's 'T' job.
Result<std::vector<Picture>> pages_of_original(std::string_view original, std::string_view rgba, std::uint64_t max_pixels);

// A new little-endian baseline TIFF: one Deflate strip a page, grey or RGB, alpha as associated.
Result<std::string> write_tiff(const std::vector<Picture>& pages);

}  // namespace sanso::cdr::internal::image
