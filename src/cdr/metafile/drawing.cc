#include "cdr/metafile/drawing.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "mime/charset.h"

namespace sanso::cdr::internal::metafile {
namespace {

// The page at 300 dpi: kRenderWidth × kRenderHeight hundredths of a millimetre.
constexpr double kPagePixelsWide = kRenderWidth * 300.0 / 2540, kPagePixelsHigh = kRenderHeight * 300.0 / 2540;
// A digit a hundred-and-fiftieth of the page's width high, below which OCR reads nothing.
constexpr double kLeastLegiblePixels = kPagePixelsWide / 150;

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

bool Extent::add(double x, double y, double& to_x, double& to_y) {
  to_x = map_.a * x + map_.c * y + map_.e, to_y = map_.b * x + map_.d * y + map_.f;
  if (!(to_x > -1e15 && to_x < 1e15 && to_y > -1e15 && to_y < 1e15)) {
    unknown("座標が大きすぎる", "a coordinate past any page", true);
    return false;
  }
  left_ = std::min(left_, to_x), top_ = std::min(top_, to_y), right_ = std::max(right_, to_x), bottom_ = std::max(bottom_, to_y);
  return true;
}

void Extent::mark(const Box& box, std::uint64_t points, bool whole) {
  if (marks_.size() >= kMostMarks) {
    marks_lost_ = true;
    return;
  }
  marks_.push_back({box, points, whole});
}

void Extent::close_run() {
  if (run_points_ >= 2) mark(run_, run_points_, false);
  run_points_ = 0;
}

void Extent::point(double x, double y) {
  double to_x = 0, to_y = 0;
  if (!add(x, y, to_x, to_y)) return;
  if (run_points_ > 0 && std::max(std::abs(to_x - last_x_), std::abs(to_y - last_y_)) > reach_) close_run();
  if (run_points_ == 0) run_ = {to_x, to_y, to_x, to_y};
  run_ = {std::min(run_.left, to_x), std::min(run_.top, to_y), std::max(run_.right, to_x), std::max(run_.bottom, to_y)};
  ++run_points_, last_x_ = to_x, last_y_ = to_y;
}

void Extent::box(double left, double top, double right, double bottom) {
  Box b{1e300, 1e300, -1e300, -1e300};
  for (const auto& [x, y] : {std::pair{left, top}, std::pair{right, top}, std::pair{left, bottom}, std::pair{right, bottom}}) {
    double to_x = 0, to_y = 0;
    if (!add(x, y, to_x, to_y)) return;
    b = {std::min(b.left, to_x), std::min(b.top, to_y), std::max(b.right, to_x), std::max(b.bottom, to_y)};
  }
  mark(b, 4, true);
}

std::vector<Extent::Mark> Extent::marks() const {
  std::vector<Mark> all = marks_;
  if (run_points_ >= 2) all.push_back({run_, run_points_, false});
  return all;
}

void Extent::text(double x, double y, std::uint64_t chars, std::uint64_t advance, std::int64_t font_height, bool turned) {
  if (chars == 0) return;
  if (font_height == 0) return unknown("大きさの分からない字体の文字", "text in a font of no known height", false);
  if (turned) return unknown("傾けた字体の文字", "text in a font turned off its baseline", false);
  const double h = static_cast<double>(font_height < 0 ? -font_height : font_height);
  const double reach = std::max(static_cast<double>(advance), h * static_cast<double>(chars + 1));
  const std::size_t before = marks_.size();
  box(x - reach, y - 2 * h, x + reach, y + 2 * h);
  // Text is no shape drawn whole: its characters may be as small as its font.
  if (marks_.size() > before) marks_.back().points = 0, marks_.back().whole = false;
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
  constexpr double kLeastDigit = kLeastTextHeight;
  if (!extent.any_size() || !(width > 0) || !(height > 0)) return "";
  const double scale = std::min(kPagePixelsWide / width, kPagePixelsHigh / height);
  if (scale * kLeastDigit >= kLeastLegiblePixels) return "";
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

namespace {

// Places of a drawing gathered at once; more, and they are merged before going on, and held past
// kMostApartPlaces. Places apart are more than kPartReach apart on x or y: no more than some 500
// fit in a drawing rendered at kLeastPagePixelsAPixel or more (748 × 1090 reference pixels), so
// only a drawing read in parts, which such a count would take past kMostParts anyway, is held so.
constexpr std::size_t kMostPlaces = 1024, kMostApartPlaces = 768;
// Small marks closer than this (reference pixels: 48 page pixels at the most a copy is enlarged,
// wider than the gap between the characters of a line under kLeastShownPixels) are one figure.
constexpr double kFigureReach = 4;

struct Place {
  Box box;
  std::uint64_t points = 0;
};

bool near(const Box& a, const Box& b, double reach) {
  return b.left <= a.right + reach && a.left <= b.right + reach && b.top <= a.bottom + reach && a.top <= b.bottom + reach;
}

void merge(Place& into, const Place& from) {
  into.box = {std::min(into.box.left, from.box.left), std::min(into.box.top, from.box.top), std::max(into.box.right, from.box.right),
              std::max(into.box.bottom, from.box.bottom)};
  into.points += from.points;
}

// Places near each other merged, until none is near another.
void gather(std::vector<Place>& places, double reach) {
  for (bool merged = true; merged;) {
    merged = false;
    for (std::size_t i = 0; i < places.size(); ++i) {
      for (std::size_t j = i + 1; j < places.size();) {
        if (near(places[i].box, places[j].box, reach)) {
          merge(places[i], places[j]);
          places.erase(places.begin() + static_cast<std::ptrdiff_t>(j));
          merged = true;
        } else {
          ++j;
        }
      }
    }
  }
}

// The marks (in reference pixels) gathered into places: those within `reach` of each other one
// place. A shape drawn whole that shows kLeastLegiblePixels or more at `whole_scale` is none.
// False when more than kMostApartPlaces stay apart.
bool places_of(const std::vector<Place>& marks, const std::vector<bool>& shown_whole, double reach, std::vector<Place>& places) {
  places.clear();
  places.reserve(kMostPlaces + 1);
  Place* last = nullptr;  // the place the last mark went to: the next is most often near it
  for (std::size_t i = 0; i < marks.size(); ++i) {
    const Place& p = marks[i];
    if (shown_whole[i]) continue;
    if (last == nullptr || !near(last->box, p.box, reach)) {
      last = nullptr;
      for (Place& q : places) {
        if (near(q.box, p.box, reach)) {
          last = &q;
          break;
        }
      }
    }
    if (last != nullptr) {
      merge(*last, p);
      continue;
    }
    if (places.size() >= kMostPlaces) {
      // Merged, they must leave room for more: else gathering would be redone at every mark.
      gather(places, reach);
      if (places.size() > kMostApartPlaces) return false;
    }
    places.push_back(p);
    last = &places.back();
  }
  gather(places, reach);
  return true;
}

// Starts of tiles `tile` long, each at most `step` past the last, across [from, to].
std::vector<double> tile_starts(double from, double to, double tile, double step) {
  if (to - from <= tile) return {from};
  const auto n = static_cast<std::size_t>(std::ceil((to - from - tile) / step)) + 1;
  std::vector<double> starts;
  for (std::size_t i = 0; i < n; ++i) starts.push_back(from + (to - from - tile) * static_cast<double>(i) / static_cast<double>(n - 1));
  return starts;
}

// Comparisons of marks runs_along() makes at most: a drawing of many marks stacked on one line
// (65 536 at one place) would take billions; past it the drawing is held.
constexpr std::uint64_t kMostRunComparisons = std::uint64_t{1} << 24;

// Runs of marks along lines (review27 H6: a number longer than the tiles' overlap was cut at every
// seam): marks overlapping across the line (`along_x`: on one row) and within kPartReach along it,
// chained, each kLeastTextHeight reference pixels or more across the line (a rule or hairline
// holds no legible glyph and lies under every line). The boxes of the runs; false past
// kMostRunComparisons.
bool runs_along(const std::vector<Place>& marks, const std::vector<bool>& skip, bool along_x, std::vector<Box>& runs) {
  const auto start = [&](const Box& b) { return along_x ? b.left : b.top; };
  const auto end = [&](const Box& b) { return along_x ? b.right : b.bottom; };
  const auto across = [&](const Box& b) { return along_x ? b.height() : b.width(); };
  const auto overlap_across = [&](const Box& a, const Box& b) { return along_x ? a.top <= b.bottom && b.top <= a.bottom : a.left <= b.right && b.left <= a.right; };
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < marks.size(); ++i) {
    if (!skip[i] && across(marks[i].box) >= kLeastTextHeight) order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return start(marks[a].box) < start(marks[b].box); });
  std::vector<std::size_t> root(marks.size());
  for (std::size_t i = 0; i < root.size(); ++i) root[i] = i;
  const auto find = [&](std::size_t i) {
    while (root[i] != i) i = root[i] = root[root[i]];
    return i;
  };
  std::vector<std::size_t> active;  // marks that may still reach the next one along the line
  std::uint64_t comparisons = 0;
  for (const std::size_t i : order) {
    const Box& b = marks[i].box;
    std::erase_if(active, [&](std::size_t j) { return end(marks[j].box) + kPartReach < start(b); });
    for (const std::size_t j : active) {
      if (++comparisons > kMostRunComparisons) return false;
      if (overlap_across(marks[j].box, b)) root[find(j)] = find(i);
    }
    active.push_back(i);
  }
  std::vector<std::optional<Box>> of_root(marks.size());
  for (const std::size_t i : order) {
    std::optional<Box>& r = of_root[find(i)];
    const Box& b = marks[i].box;
    r = r ? Box{std::min(r->left, b.left), std::min(r->top, b.top), std::max(r->right, b.right), std::max(r->bottom, b.bottom)} : b;
  }
  runs.clear();
  for (const auto& r : of_root) {
    if (r) runs.push_back(*r);
  }
  return true;
}

std::string pixels(double wide, double high) { return std::to_string(std::llround(wide)) + " × " + std::to_string(std::llround(high)); }

}  // namespace

Parts painted_parts(const Extent& extent, double unit_x, double unit_y, double whole_scale) {
  Parts parts;
  std::vector<Place> marks;
  std::vector<bool> shown_whole;
  for (const Extent::Mark& m : extent.marks()) {
    marks.push_back({{m.box.left / unit_x, m.box.top / unit_y, m.box.right / unit_x + 1, m.box.bottom / unit_y + 1}, m.points});
    shown_whole.push_back(m.whole && std::max(marks.back().box.width(), marks.back().box.height()) * whole_scale >= kLeastLegiblePixels);
  }
  const std::string too_many = "描画の描く場所が多すぎて（" + std::to_string(kMostApartPlaces) + " か所を超える）部分ごとに読めない / the drawing paints in more than " +
                               std::to_string(kMostApartPlaces) + " places apart, too many to read each: it cannot be rendered for OCR";
  // A figure drawn small, however far from the rest: at the most a rendering enlarges, it shows
  // under kLeastShownPixels (review26 H1: a number drawn through a 1/2000 transform, a far dot
  // widening what is painted past the rule the whole drawing is held by). Figures are gathered
  // closer than places (kFigureReach): a dot ten reference pixels off is no part of the number.
  // Only marks that small themselves make one: one larger, near it, does not make it legible.
  std::vector<bool> not_small = shown_whole;
  for (std::size_t i = 0; i < marks.size(); ++i) {
    if (std::max(marks[i].box.width(), marks[i].box.height()) * kMostPagePixelsAPixel >= kLeastShownPixels) not_small[i] = true;
  }
  std::vector<Place> places;
  if (!places_of(marks, not_small, kFigureReach, places)) {
    parts.held = too_many;
    return parts;
  }
  for (const Place& p : places) {
    const double wide = p.box.width() * kMostPagePixelsAPixel, high = p.box.height() * kMostPagePixelsAPixel;
    if (p.points >= kLeastFigurePoints && std::max(wide, high) < kLeastShownPixels) {
      parts.held = "描画の一部（" + std::to_string(p.points) + " 点で描く図形）が小さく、拡大の上限まで拡大しても " + pixels(wide, high) +
                   " 画素にしかならず、中の文字が読めない大きさになりうる / a part of the drawing (a figure of " + std::to_string(p.points) +
                   " points) is small: enlarged as far as a rendering copy is, it comes out " + pixels(wide, high) +
                   " page pixels, where a number in it could be below legibility: it cannot be rendered for OCR";
      return parts;
    }
  }
  if (whole_scale >= kLeastPagePixelsAPixel) return parts;
  if (extent.marks_lost()) {
    parts.held = "描画が大きく、全体では小さな文字が読めない大きさになり、描く記録が多すぎて（" + std::to_string(Extent::kMostMarks) +
                 " を超える）部分に分けられない / the drawing is large: rendered whole a small number in it comes out below legibility, and it paints by more than " +
                 std::to_string(Extent::kMostMarks) + " marks, too many to read it in parts: it cannot be rendered for OCR";
    return parts;
  }
  if (!places_of(marks, shown_whole, kPartReach, places)) {
    parts.held = too_many;
    return parts;
  }
  std::sort(places.begin(), places.end(), [](const Place& a, const Place& b) { return a.box.top != b.box.top ? a.box.top < b.box.top : a.box.left < b.box.left; });
  const double tile_wide = kPagePixelsWide / kLeastPagePixelsAPixel, tile_high = kPagePixelsHigh / kLeastPagePixelsAPixel;
  std::vector<Box> rows, columns;
  if (!runs_along(marks, shown_whole, true, rows) || !runs_along(marks, shown_whole, false, columns)) {
    parts.held = "描画が大きく、全体では小さな文字が読めない大きさになり、一か所に重なる記録が多すぎて部分に分けられない / the drawing is large: rendered whole a small "
                 "number in it comes out below legibility, and it paints too many marks on top of each other to read it in parts: it cannot be rendered for OCR";
    return parts;
  }
  // The longest run in `p` along x (or y): tiles overlap by at least that, so that the run lies
  // whole in one of them (a seam cuts it in the others), with kFigureReach on either side.
  const auto longest = [](const std::vector<Box>& runs, const Box& in, bool along_x) {
    double most = 0;
    for (const Box& r : runs) {
      const double x = (r.left + r.right) / 2, y = (r.top + r.bottom) / 2;
      if (x >= in.left && x <= in.right && y >= in.top && y <= in.bottom) most = std::max(most, (along_x ? r.width() : r.height()) + 2 * kFigureReach);
    }
    return most;
  };
  for (const Place& p : places) {
    if (parts.boxes.size() > kMostParts) break;
    // Only a place that can hold a number (kLeastFigurePoints) and does not show large whole (half
    // the page's width: a drawing a metre wide of large glyphs is read whole) is read apart.
    if (p.points < kLeastFigurePoints || std::max(p.box.width(), p.box.height()) * whole_scale >= kPagePixelsWide / 2) continue;
    const Box framed{p.box.left - kPartReach, p.box.top - kPartReach, p.box.right + kPartReach, p.box.bottom + kPartReach};
    const double wide = std::min(framed.width(), tile_wide), high = std::min(framed.height(), tile_high);
    const double row = framed.width() > wide ? longest(rows, p.box, true) : 0, column = framed.height() > high ? longest(columns, p.box, false) : 0;
    if (row >= wide || column >= high) {
      const double run = row >= wide ? row : column, part = row >= wide ? wide : high;
      parts.held = "描画が大きく、全体では小さな文字が読めない大きさになり、一列に並ぶ記号（" + std::to_string(std::llround(run)) + " 基準画素）が読める大きさの部分（" +
                   std::to_string(std::llround(part)) + " 基準画素）より長く、どの部分にも全体が入らない / the drawing is large: rendered whole a small number in it comes out below legibility, and a line of marks in it runs " +
                   std::to_string(std::llround(run)) + " reference pixels, longer than a part large enough to read (" + std::to_string(std::llround(part)) +
                   "): no part shows it whole: it cannot be rendered for OCR";
      parts.boxes.clear();
      return parts;
    }
    for (const double y : tile_starts(framed.top, framed.bottom, high, std::min(high / 2, high - column))) {
      for (const double x : tile_starts(framed.left, framed.right, wide, std::min(wide / 2, wide - row))) {
        parts.boxes.push_back({x, y, x + wide, y + high});
      }
    }
  }
  if (parts.boxes.size() > kMostParts) {
    parts.held = "描画が大きく、全体では小さな文字が読めない大きさになり、読める大きさの部分に分けると " + std::to_string(parts.boxes.size()) + " 個（上限 " +
                 std::to_string(kMostParts) + " 個）になる / the drawing is large: rendered whole a small number in it comes out below legibility (" +
                 std::to_string(std::llround(whole_scale * 10) / 10) + "." + std::to_string(std::llround(whole_scale * 10) % 10) + " page pixels to a reference pixel), and read in parts large enough it takes " +
                 std::to_string(parts.boxes.size()) + " of them, more than the " + std::to_string(kMostParts) + " read: it cannot be rendered for OCR";
    parts.boxes.clear();
  }
  return parts;
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
      out_.more_drawings = std::move(more_renderings_);
    }
  }
  return std::move(out_);
}

}  // namespace sanso::cdr::internal::metafile
