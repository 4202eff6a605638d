// GIF through giflib, frame by frame: the palette indices of every frame, its palette, position,
// delay, disposal and transparent colour, and the loop count are written again; comments, plain
// text and application blocks (XMP, anything after the trailer) are not. Colours are not
// re-quantised: the rebuilt frames are the pixels as they were.
#include <gif_lib.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>

#include "cdr/image/codecs.h"

namespace sanso::cdr::internal::image {
namespace {

// Animations with more frames than this are not what a document or a mail carries.
constexpr std::size_t kMaxFrames = 5000;

struct Reader {
  std::string_view in;
  std::size_t at = 0;
};

int read_bytes(GifFileType* gif, GifByteType* data, int length) {
  auto* r = static_cast<Reader*>(gif->UserData);
  const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(length), r->in.size() - r->at);
  std::memcpy(data, r->in.data() + r->at, n);
  r->at += n;
  return static_cast<int>(n);
}

int write_bytes(GifFileType* gif, const GifByteType* data, int length) {
  static_cast<std::string*>(gif->UserData)->append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
  return length;
}

struct Palette {
  int count = 0;
  std::vector<GifColorType> colours;
};

std::optional<Palette> palette_of(const ColorMapObject* map) {
  if (map == nullptr || map->ColorCount <= 0 || map->ColorCount > 256) return std::nullopt;
  return Palette{map->ColorCount, std::vector<GifColorType>(map->Colors, map->Colors + map->ColorCount)};
}

struct Frame {
  int left = 0, top = 0, width = 0, height = 0;
  std::optional<Palette> palette;  // the frame's own; else the screen's
  std::optional<GraphicsControlBlock> control;
  std::vector<GifPixelType> indices;  // rows top-down (interlacing undone)
};

struct Animation {
  int width = 0, height = 0, background = 0;
  std::optional<Palette> palette;
  std::optional<int> loops;
  std::vector<Frame> frames;
};

// Colour table entries no pixel uses are zeroed, and indices that name no entry dropped: only
// colours the picture shows cross (a table of 256 entries is 768 bytes of anything a sender
// likes, once per frame).
void keep_only_used_colours(Animation& a) {
  std::vector<bool> screen_used(256, false);
  if (a.palette && a.background >= 0 && a.background < a.palette->count) {
    screen_used[static_cast<std::size_t>(a.background)] = true;
  } else {
    a.background = 0;
  }
  for (Frame& f : a.frames) {
    const int count = f.palette ? f.palette->count : a.palette->count;
    std::vector<bool> own_used(256, false);
    std::vector<bool>& used = f.palette ? own_used : screen_used;
    // An index past the table would be cut to its bits by the writer (giflib masks it): cut here,
    // so that the colour it shows is one kept.
    for (GifPixelType& i : f.indices) {
      i = static_cast<GifPixelType>(i & (count - 1));
      used[i] = true;
    }
    if (f.control && f.control->TransparentColor != NO_TRANSPARENT_COLOR) {
      if (f.control->TransparentColor < 0 || f.control->TransparentColor >= count) {
        f.control->TransparentColor = NO_TRANSPARENT_COLOR;
      } else {
        used[static_cast<std::size_t>(f.control->TransparentColor)] = true;
      }
    }
    if (f.palette) {
      for (int c = 0; c < f.palette->count; ++c) {
        if (!own_used[static_cast<std::size_t>(c)]) f.palette->colours[static_cast<std::size_t>(c)] = GifColorType{0, 0, 0};
      }
    }
  }
  if (a.palette) {
    for (int c = 0; c < a.palette->count; ++c) {
      if (!screen_used[static_cast<std::size_t>(c)]) a.palette->colours[static_cast<std::size_t>(c)] = GifColorType{0, 0, 0};
    }
  }
}

std::string gif_reason(int code) {
  const char* s = GifErrorString(code);
  return s != nullptr ? s : "giflib error " + std::to_string(code);
}

struct Closer {
  void operator()(GifFileType* gif) const {
    int ignored = 0;
    DGifCloseFile(gif, &ignored);
  }
};

Result<Animation> read_gif(std::string_view bytes, std::uint64_t max_pixels, Observed& seen) {
  Reader reader;
  reader.in = bytes;
  int code = 0;
  std::unique_ptr<GifFileType, Closer> gif(DGifOpen(&reader, &read_bytes, &code));
  if (!gif) return malformed_error("the image cannot be decoded: " + gif_reason(code));
  Animation a;
  a.width = gif->SWidth;
  a.height = gif->SHeight;
  a.background = gif->SBackGroundColor;
  a.palette = palette_of(gif->SColorMap);
  if (a.width <= 0 || a.height <= 0) return malformed_error("the GIF's screen has no size");
  std::optional<GraphicsControlBlock> control;
  std::uint64_t pixels = 0;
  for (;;) {
    GifRecordType type = UNDEFINED_RECORD_TYPE;
    if (DGifGetRecordType(gif.get(), &type) == GIF_ERROR) return malformed_error("the image cannot be decoded: " + gif_reason(gif->Error));
    if (type == TERMINATE_RECORD_TYPE) break;
    if (type == EXTENSION_RECORD_TYPE) {
      int function = 0;
      GifByteType* block = nullptr;
      if (DGifGetExtension(gif.get(), &function, &block) == GIF_ERROR) return malformed_error("the image cannot be decoded: " + gif_reason(gif->Error));
      bool netscape = false;
      if (function == GRAPHICS_EXT_FUNC_CODE && block != nullptr && block[0] >= 4) {
        GraphicsControlBlock gcb{};
        if (DGifExtensionToGCB(block[0], block + 1, &gcb) == GIF_OK) control = gcb;
      } else if (function == APPLICATION_EXT_FUNC_CODE && block != nullptr && block[0] == 11 &&
                 (std::memcmp(block + 1, "NETSCAPE2.0", 11) == 0 || std::memcmp(block + 1, "ANIMEXTS1.0", 11) == 0)) {
        netscape = true;
      } else {
        seen.metadata = true;  // comments, plain text, XMP and other application data
      }
      while (block != nullptr) {
        if (DGifGetExtensionNext(gif.get(), &block) == GIF_ERROR) return malformed_error("the image cannot be decoded: " + gif_reason(gif->Error));
        if (netscape && block != nullptr && block[0] >= 3 && block[1] == 1) a.loops = block[2] | (block[3] << 8);
      }
      continue;
    }
    if (type != IMAGE_DESC_RECORD_TYPE) return malformed_error("the GIF holds a block of an unknown kind");
    if (DGifGetImageDesc(gif.get()) == GIF_ERROR) return malformed_error("the image cannot be decoded: " + gif_reason(gif->Error));
    const GifImageDesc& d = gif->Image;
    if (d.Width <= 0 || d.Height <= 0) return malformed_error("a GIF frame has no size");
    if (a.frames.size() == kMaxFrames) return limit_error("the GIF has more than " + std::to_string(kMaxFrames) + " frames");
    pixels += static_cast<std::uint64_t>(d.Width) * static_cast<std::uint64_t>(d.Height);
    if (pixels > max_pixels || !fits(static_cast<std::uint64_t>(a.width), static_cast<std::uint64_t>(a.height), a.frames.size() + 1, max_pixels)) {
      return limit_error("the GIF's frames hold more pixels than the limit of " + std::to_string(max_pixels) + " (a decompression bomb)");
    }
    Frame f;
    f.left = d.Left;
    f.top = d.Top;
    f.width = d.Width;
    f.height = d.Height;
    f.palette = palette_of(d.ColorMap);
    if (!f.palette && !a.palette) return malformed_error("a GIF frame has no colour table");
    // Frames are drawn on the screen: a frame reaching outside it is cut to it (viewers show no
    // more), one wholly outside is a structure no encoder writes.
    if (f.left >= a.width || f.top >= a.height) return malformed_error("a GIF frame lies wholly outside the picture's screen");
    f.control = control;
    control.reset();
    f.indices.resize(static_cast<std::size_t>(f.width) * static_cast<std::size_t>(f.height));
    // Interlaced frames arrive in four passes of rows.
    static constexpr int kStart[] = {0, 4, 2, 1}, kStep[] = {8, 8, 4, 2};
    const int passes = d.Interlace ? 4 : 1;
    for (int pass = 0; pass < passes; ++pass) {
      const int start = d.Interlace ? kStart[pass] : 0, step = d.Interlace ? kStep[pass] : 1;
      for (int y = start; y < f.height; y += step) {
        if (DGifGetLine(gif.get(), f.indices.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(f.width), f.width) == GIF_ERROR) {
          return malformed_error("the image cannot be decoded: " + gif_reason(gif->Error));
        }
      }
    }
    if (f.left + f.width > a.width || f.top + f.height > a.height) {
      const int w = std::min(f.width, a.width - f.left), h = std::min(f.height, a.height - f.top);
      std::vector<GifPixelType> cut(static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
      for (int y = 0; y < h; ++y) {
        std::copy_n(f.indices.begin() + static_cast<std::ptrdiff_t>(y) * f.width, w, cut.begin() + static_cast<std::ptrdiff_t>(y) * w);
      }
      f.indices = std::move(cut);
      f.width = w;
      f.height = h;
    }
    a.frames.push_back(std::move(f));
  }
  if (a.frames.empty()) return malformed_error("the GIF holds no image");
  keep_only_used_colours(a);
  if (reader.at < bytes.size()) seen.trailing = true;
  return a;
}

struct Writer {
  GifFileType* gif = nullptr;
  ~Writer() {
    if (gif != nullptr) {
      int ignored = 0;
      EGifCloseFile(gif, &ignored);
    }
  }
};

// giflib's colour maps: sizes a power of two, as the format stores them.
ColorMapObject* map_of(const Palette& p) { return GifMakeMapObject(p.count, p.colours.data()); }

Result<std::string> write_gif(const Animation& a) {
  std::string out;
  int code = 0;
  Writer w;
  w.gif = EGifOpen(&out, &write_bytes, &code);
  if (w.gif == nullptr) return malformed_error("the image cannot be encoded: " + gif_reason(code));
  EGifSetGifVersion(w.gif, true);
  auto failed = [&] { return malformed_error("the image cannot be encoded: " + gif_reason(w.gif->Error)); };
  ColorMapObject* screen_map = a.palette ? map_of(*a.palette) : nullptr;
  if (a.palette && screen_map == nullptr) return malformed_error("the GIF's colour table cannot be written");
  const int colour_bits = screen_map != nullptr ? screen_map->BitsPerPixel : 8;
  const int put = EGifPutScreenDesc(w.gif, a.width, a.height, colour_bits, a.background, screen_map);
  GifFreeMapObject(screen_map);
  if (put == GIF_ERROR) return failed();
  if (a.loops) {
    const GifByteType loop[3] = {1, static_cast<GifByteType>(*a.loops & 0xFF), static_cast<GifByteType>((*a.loops >> 8) & 0xFF)};
    if (EGifPutExtensionLeader(w.gif, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR || EGifPutExtensionBlock(w.gif, 11, "NETSCAPE2.0") == GIF_ERROR ||
        EGifPutExtensionBlock(w.gif, 3, loop) == GIF_ERROR || EGifPutExtensionTrailer(w.gif) == GIF_ERROR) {
      return failed();
    }
  }
  for (const Frame& f : a.frames) {
    if (f.control) {
      GraphicsControlBlock gcb = *f.control;
      gcb.UserInputFlag = false;
      if (gcb.DisposalMode < DISPOSAL_UNSPECIFIED || gcb.DisposalMode > DISPOSE_PREVIOUS) gcb.DisposalMode = DISPOSAL_UNSPECIFIED;
      GifByteType block[4];
      const std::size_t n = EGifGCBToExtension(&gcb, block);
      if (EGifPutExtension(w.gif, GRAPHICS_EXT_FUNC_CODE, static_cast<int>(n), block) == GIF_ERROR) return failed();
    }
    ColorMapObject* local = f.palette ? map_of(*f.palette) : nullptr;
    if (f.palette && local == nullptr) return malformed_error("a GIF frame's colour table cannot be written");
    const int desc = EGifPutImageDesc(w.gif, f.left, f.top, f.width, f.height, false, local);
    GifFreeMapObject(local);
    if (desc == GIF_ERROR) return failed();
    for (int y = 0; y < f.height; ++y) {
      if (EGifPutLine(w.gif, const_cast<GifPixelType*>(f.indices.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(f.width)), f.width) == GIF_ERROR) {
        return failed();
      }
    }
  }
  const int closed = EGifCloseFile(w.gif, &code);
  w.gif = nullptr;
  if (closed == GIF_ERROR) return malformed_error("the image cannot be encoded: " + gif_reason(code));
  return out;
}

}  // namespace

Result<std::string> rebuild_gif(std::string_view bytes, std::uint64_t max_pixels, Observed& seen) {
  Animation a = SANSO_TRY(read_gif(bytes, max_pixels, seen));
  return write_gif(a);
}

}  // namespace sanso::cdr::internal::image
