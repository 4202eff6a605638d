#include "cdr/metafile/drawing.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "mime/charset.h"

namespace sanso::cdr::internal::metafile {
namespace {

// Pictures decoded from one metafile; past them it is unread (thousands of brushes are built to be).
constexpr std::size_t kMostPictures = 64;
// A bitmap smaller than this cannot show a digit (the rule a PDF's page pictures follow).
constexpr std::uint32_t kLeastTextWidth = 3, kLeastTextHeight = 5;
// Escape and comment data up to this size is read as text; a larger block of no known kind is unread.
constexpr std::size_t kMostOpaqueTextBytes = 4096;

// Control characters as line breaks, so text with a NUL or a control inside is still read as text.
std::string as_lines(std::string text) {
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') c = '\n';
  }
  return text;
}

// The text as a viewer draws it when a font has no glyph for a control (GDI draws most as nothing):
// "1234\0" "5678" shows as 12345678. Empty when the text holds no control.
std::string without_controls(std::string_view text) {
  std::string out;
  bool any = false;
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      any = true;
    } else {
      out += c;
    }
  }
  return any ? out + "\n" : std::string();
}

// Escapes whose data is a byte count, then the bytes for the printer ([MS-WMF] 2.3.6:
// PASSTHROUGH, POSTSCRIPT_DATA, POSTSCRIPT_PASSTHROUGH).
constexpr std::uint32_t kCountedEscapes[] = {0x0013, 0x0025, 0x1013};
// PostScript's operators that paint a string operand (PLRM 5.2): the most recent string before
// each is what it shows (show, ashow, widthshow, awidthshow take it last; kshow and cshow after
// their procedure; xshow, yshow, xyshow before their displacements).
constexpr std::string_view kShows[] = {"show", "ashow", "widthshow", "awidthshow", "kshow", "cshow", "xshow", "yshow", "xyshow"};

bool postscript_delimiter(char c) {
  return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' || c == '}' || c == '/' || c == '%' ||
         static_cast<unsigned char>(c) <= ' ';
}

// An ASCII85 string's bytes (PLRM 3.13.3): groups of five characters '!'..'u' four bytes, 'z' four
// zeros, a last group of fewer padded; white space and other characters skipped.
std::string ascii85(std::string_view text) {
  std::string out;
  std::uint64_t group = 0;
  int n = 0;
  for (const char c : text) {
    if (c == 'z' && n == 0) {
      out.append(4, '\0');
    } else if (c >= '!' && c <= 'u') {
      group = group * 85 + static_cast<std::uint64_t>(c - '!');
      if (++n == 5) {
        for (int k = 3; k >= 0; --k) out += static_cast<char>((group >> (8 * k)) & 0xFF);
        group = 0, n = 0;
      }
    }
  }
  if (n > 1) {
    for (int k = n; k < 5; ++k) group = group * 85 + 84;
    for (int k = 3; k > 4 - n; --k) out += static_cast<char>((group >> (8 * k)) & 0xFF);
  }
  return out;
}

// The strings `ps` shows, in order, joined: a literal string's escapes (\n, \ddd, a line continued)
// and a hex string's digits decoded, comments skipped. Text a printer would draw apart on the page
// is joined as a line of runs is.
std::string postscript_shows(std::string_view ps) {
  std::string shown, last;
  for (std::size_t i = 0; i < ps.size();) {
    const char c = ps[i];
    if (c == '%') {
      while (i < ps.size() && ps[i] != '\n' && ps[i] != '\r') ++i;
    } else if (c == '(') {
      last.clear();
      int depth = 1;
      for (++i; i < ps.size() && depth > 0; ++i) {
        char d = ps[i];
        if (d == '\\' && i + 1 < ps.size()) {
          d = ps[++i];
          if (d >= '0' && d <= '7') {
            int v = 0;
            for (int k = 0; k < 3 && i < ps.size() && ps[i] >= '0' && ps[i] <= '7'; ++k, ++i) v = v * 8 + (ps[i] - '0');
            --i;
            last += static_cast<char>(v & 0xFF);
          } else if (d == '\r' || d == '\n') {  // a line continued
            if (d == '\r' && i + 1 < ps.size() && ps[i + 1] == '\n') ++i;
          } else {
            static constexpr std::string_view kFrom = "nrtbf", kTo = "\n\r\t\b\f";
            const std::size_t k = kFrom.find(d);
            last += k == std::string_view::npos ? d : kTo[k];
          }
          continue;
        }
        if (d == '(') ++depth;
        if (d == ')' && --depth == 0) break;
        last += d;
      }
      ++i;
    } else if (c == '<' && i + 1 < ps.size() && ps[i + 1] == '<') {  // a dictionary's start
      i += 2;
    } else if (c == '<' && i + 1 < ps.size() && ps[i + 1] == '~') {  // an ASCII85 string
      const std::size_t end = std::min(ps.find("~>", i + 2), ps.size());
      last = ascii85(ps.substr(i + 2, end - i - 2));
      i = std::min(end + 2, ps.size());
    } else if (c == '<') {
      last.clear();
      int high = -1;
      for (++i; i < ps.size() && ps[i] != '>'; ++i) {
        const char h = ps[i];
        const int v = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
        if (v < 0) continue;
        if (high < 0) {
          high = v;
        } else {
          last += static_cast<char>(high * 16 + v);
          high = -1;
        }
      }
      if (high >= 0) last += static_cast<char>(high * 16);
      ++i;
    } else if (postscript_delimiter(c)) {
      ++i;
    } else {
      const std::size_t start = i;
      while (i < ps.size() && !postscript_delimiter(ps[i])) ++i;
      const std::string_view token = ps.substr(start, i - start);
      if (std::find(std::begin(kShows), std::end(kShows), token) != std::end(kShows)) {
        shown += last;
        last.clear();
      }
    }
  }
  return shown;
}

}  // namespace

void Extent::point(double x, double y) {
  const double to_x = map_.a * x + map_.c * y + map_.e, to_y = map_.b * x + map_.d * y + map_.f;
  if (!(to_x > -1e15 && to_x < 1e15 && to_y > -1e15 && to_y < 1e15)) return unknown("座標が大きすぎる", "a coordinate past any page", true);
  left_ = std::min(left_, to_x), top_ = std::min(top_, to_y), right_ = std::max(right_, to_x), bottom_ = std::max(bottom_, to_y);
}

void Extent::box(double left, double top, double right, double bottom) {
  point(left, top), point(right, top), point(left, bottom), point(right, bottom);
}

void Extent::text(double x, double y, std::uint64_t chars, std::uint64_t advance, std::int64_t font_height, bool turned) {
  if (chars == 0) return;
  if (font_height == 0) return unknown("大きさの分からない字体の文字", "text in a font of no known height", false);
  if (turned) return unknown("傾けた字体の文字", "text in a font turned off its baseline", false);
  const double h = static_cast<double>(font_height < 0 ? -font_height : font_height);
  const double reach = std::max(static_cast<double>(advance), h * static_cast<double>(chars + 1));
  box(x - reach, y - 2 * h, x + reach, y + 2 * h);
}

Box rendered_box(const Box& frame, Box painted, double least_margin) {
  const double margin_x = std::max(least_margin, painted.width() / 20), margin_y = std::max(least_margin, painted.height() / 20);
  painted.left -= margin_x, painted.right += margin_x, painted.top -= margin_y, painted.bottom += margin_y;
  const double slack_x = frame.width() / 10, slack_y = frame.height() / 10;
  const bool inside = painted.left >= frame.left - slack_x && painted.right <= frame.right + slack_x && painted.top >= frame.top - slack_y &&
                      painted.bottom <= frame.bottom + slack_y;
  const double framed = std::min(kRenderWidth / frame.width(), kRenderHeight / frame.height());
  const double zoomed = std::min(kRenderWidth / painted.width(), kRenderHeight / painted.height());
  return inside && zoomed >= 2 * framed ? painted : frame;
}

std::string illegible_unknown_extent(double width, double height, const Extent& extent) {
  // The page at 300 dpi: kRenderWidth × kRenderHeight hundredths of a millimetre.
  constexpr double kPagePixelsWide = kRenderWidth * 300.0 / 2540, kPagePixelsHigh = kRenderHeight * 300.0 / 2540;
  constexpr double kLeastLegible = kPagePixelsWide / 150, kLeastDigit = kLeastTextHeight;
  if (!extent.any_size() || !(width > 0) || !(height > 0)) return "";
  const double scale = std::min(kPagePixelsWide / width, kPagePixelsHigh / height);
  if (scale * kLeastDigit >= kLeastLegible) return "";
  const std::string ja = extent.why_ja(), en = extent.why_en();
  return std::string("描画の描く範囲が分からず（") + ja + "）、枠（" + std::to_string(std::llround(width)) + " × " +
         std::to_string(std::llround(height)) + " 画素）全体を描くと小さな文字が読めない大きさになりうる / what the drawing paints cannot be worked out (" +
         en + "), and rendered by its whole frame (" + std::to_string(std::llround(width)) + " × " + std::to_string(std::llround(height)) +
         " pixels) a small number in it could come out below legibility: it cannot be rendered for OCR";
}

std::string illegible_capped(double wide, double high) {
  if (std::max(wide, high) >= kLeastShownPixels) return "";
  const std::string size = std::to_string(std::llround(wide)) + " × " + std::to_string(std::llround(high));
  return "描画の基準画素が粗く、拡大の上限（基準の 1 画素を " + std::to_string(std::llround(kMostPagePixelsAPixel)) + " 画素）まで拡大しても描く部分が " + size +
         " 画素にしかならず、中の文字が読めない大きさになりうる / the drawing's reference pixels are coarse: enlarged as far as a rendering copy is (" +
         std::to_string(std::llround(kMostPagePixelsAPixel)) + " page pixels to a reference pixel), what it paints comes out " + size +
         " page pixels, where a number in it could be below legibility: it cannot be rendered for OCR";
}

std::string code_page(unsigned charset) {
  // CharSet → the Windows code page GDI converts it with.
  static constexpr std::pair<unsigned, std::uint32_t> kCodePages[] = {{0, 1252},   {128, 932},  {129, 949},  {130, 1361}, {134, 936},
                                                                      {136, 950},  {161, 1253}, {162, 1254}, {163, 1258}, {177, 1255},
                                                                      {178, 1256}, {186, 1257}, {204, 1251}, {222, 874},  {238, 1250}};
  for (const auto& [set, page] : kCodePages) {
    if (set == charset) return mime::charset_for_code_page(page);
  }
  return "";
}

void Drawing::carried_8bit(std::string_view bytes, unsigned charset) {
  if (bytes.empty()) return;
  // The font's code page, and a guess unless the font says Shift_JIS: a writer's "ANSI" font may
  // hold the city's own code page, and what the bytes are to a viewer that guesses is what a
  // person may see.
  if (const std::string cp = code_page(charset); !cp.empty()) text_ += as_lines(mime::decode_text(bytes, cp).utf8) + "\n";
  if (charset != 128) text_ += as_lines(mime::text_for_checks(bytes)) + "\n";
}

void Drawing::carried_utf16(std::string_view bytes) {
  if (!bytes.empty()) text_ += as_lines(mime::decode_text(bytes.substr(0, bytes.size() & ~std::size_t{1}), "utf-16le").utf8) + "\n";
}

void Drawing::text_8bit(std::int64_t y, std::int64_t x, std::string_view bytes, unsigned charset) {
  if (bytes.empty()) return;
  carried_8bit(bytes, charset);
  const std::string cp = code_page(charset);
  runs_.push_back({y, x, cp.empty() ? mime::text_for_checks(bytes) : mime::decode_text(bytes, cp).utf8, height_});
  text_ += without_controls(runs_.back().joined);
}

void Drawing::text_utf16(std::int64_t y, std::int64_t x, std::string_view bytes) {
  if (bytes.empty()) return;
  carried_utf16(bytes);
  runs_.push_back({y, x, mime::decode_text(bytes.substr(0, bytes.size() & ~std::size_t{1}), "utf-16le").utf8, height_});
  text_ += without_controls(runs_.back().joined);
}

Result<void> Drawing::picture(Result<DibPicture> decoded, const std::string& which) {
  painted_ = true;
  if (!decoded) {
    const Error& e = decoded.error();
    if (reason_of(e) == "limit") return std::move(decoded).error();
    out_.unread.emplace_back(which + "/picture", reason_of(e) + ": " + e.message);
    return ok();
  }
  if (decoded->width < kLeastTextWidth || decoded->height < kLeastTextHeight) return ok();
  if (++pictures_ > kMostPictures) {
    if (pictures_ == kMostPictures + 1) out_.unread.emplace_back("pictures", "limit: more than " + std::to_string(kMostPictures) + " bitmaps in one metafile");
    return ok();
  }
  out_.embedded.push_back({"picture-" + std::to_string(pictures_) + "." + decoded->extension, std::move(decoded->bytes)});
  return ok();
}

void Drawing::embed(std::string name, std::string bytes) { out_.embedded.push_back({std::move(name), std::move(bytes)}); }

void Drawing::unread(std::string name, std::string why) { out_.unread.emplace_back(std::move(name), std::move(why)); }

Result<void> Drawing::glyph_indices(const std::string& which) {
  unread(which, "unsupported: text drawn by glyph index (the font's glyphs, not characters) is not read");
  return ok();
}

Result<void> Drawing::palette_indices(const std::string& which) {
  painted_ = true;
  unread(which + "/picture", "unsupported: a bitmap whose colours are palette indices is not decoded");
  return ok();
}

void Drawing::after_end(std::string_view after) {
  if (after.find_first_not_of('\0') != std::string_view::npos) {
    unread("trailing-data", "unsupported: " + std::to_string(after.size()) + " bytes after the metafile's end record are not read");
  }
}

void Drawing::opaque(std::string_view data, const std::string& which, const char* what) {
  if (data.size() > kMostOpaqueTextBytes) {
    unread(which, std::string("unsupported: ") + what + " of " + std::to_string(data.size()) + " bytes is not read");
    return;
  }
  carried_8bit(data);
  if (data.size() >= 2) carried_utf16(data);
}

void Drawing::escape(std::uint32_t function, std::string_view data, const std::string& which) {
  opaque(data, which, "an escape record's data");
  if (data.size() > kMostOpaqueTextBytes) return;
  // The byte count of a passthrough, then its bytes (up to three of padding after them): the
  // count is no text, and left in it would cut a string that goes on from the record before.
  if (std::find(std::begin(kCountedEscapes), std::end(kCountedEscapes), function) != std::end(kCountedEscapes) && data.size() >= 2 &&
      u16(data, 0) <= data.size() - 2 && data.size() - 2 - u16(data, 0) < 4) {
    data = data.substr(2, u16(data, 0));
  }
  postscript_.append(data);
}

ReadContent Drawing::finish() {
  if (const std::string shown = postscript_shows(postscript_); !shown.empty()) carried_8bit(shown);
  // Lines: runs sorted by y, a run within half its font's height (at least one unit) of the one
  // before on y is on its line.
  std::vector<const Run*> by_y;
  for (const Run& r : runs_) by_y.push_back(&r);
  std::stable_sort(by_y.begin(), by_y.end(), [](const Run* a, const Run* b) { return a->y < b->y; });
  std::vector<std::vector<const Run*>> lines;
  for (std::size_t i = 0; i < by_y.size(); ++i) {
    const std::int64_t tolerance = std::max<std::int64_t>(1, std::max(by_y[i]->height, i > 0 ? by_y[i - 1]->height : 0) / 2);
    if (i == 0 || by_y[i]->y - by_y[i - 1]->y > tolerance) lines.emplace_back();
    lines.back().push_back(by_y[i]);
  }
  for (auto& line : lines) {
    if (line.size() < 2) continue;
    std::stable_sort(line.begin(), line.end(), [](const Run* a, const Run* b) { return a->x < b->x; });
    for (const Run* r : line) text_ += r->joined;
    text_ += "\n";
    for (auto r = line.rbegin(); r != line.rend(); ++r) text_ += (*r)->joined;
    text_ += "\n";
  }
  if (runs_.size() > 1) {
    for (const Run& r : runs_) text_ += r.joined + " ";
    text_ += "\n";
  }
  out_.text = std::move(text_);
  // Text alone without a size is left to the records' reading (an icon that only writes its
  // name); anything else drawn without one cannot be read at all, nor text held for why it
  // cannot be rendered (out25: what it paints may come out below legibility).
  if (painted_ || (!runs_.empty() && (!rendering_.empty() || !unrenderable_.empty()))) {
    if (rendering_.empty() && !unrenderable_.empty() && static_cast<unsigned char>(unrenderable_[0]) >= 0x80) {
      out_.drawing_unread = "unsupported: " + unrenderable_;  // a reason for a person, Japanese first, whole
    } else if (rendering_.empty()) {
      out_.drawing_unread = "unsupported: the metafile draws but cannot be rendered for OCR: " +
                            (unrenderable_.empty() ? std::string("it declares no size (no placeable header, frame or window extent) to render it at") : unrenderable_);
    } else {
      out_.drawing_unread = "image: what the metafile draws (shapes, paths, fills, pictures, text where a viewer places it) is read by OCR, rendered whole";
      out_.drawing = std::move(rendering_);
    }
  }
  return std::move(out_);
}

}  // namespace sanso::cdr::internal::metafile
