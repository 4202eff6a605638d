#include "core/identification_numbers.h"

#include <algorithm>
#include <initializer_list>
#include <iterator>

#include "core/internal/unicode_digits.h"
#include "core/text.h"

namespace sanso::numbers {

namespace {
// All zeros pass both check digits, and are a form's placeholder ("記入例: 0000-0000-0000"), a
// zero-padding number format ("000000000000"), never anyone's number.
bool all_zeros(std::string_view d) { return d.find_first_not_of('0') == std::string_view::npos; }
}  // namespace

bool is_individual_number(std::string_view d) {
  if (d.size() != 12 || all_zeros(d)) return false;
  for (char c : d) {
    if (c < '0' || c > '9') return false;
  }
  int sum = 0;
  for (int n = 1; n <= 11; ++n) {
    int p = d[static_cast<std::size_t>(11 - n)] - '0';
    int q = n <= 6 ? n + 1 : n - 5;
    sum += p * q;
  }
  int r = sum % 11;
  int check = r <= 1 ? 0 : 11 - r;
  return d[11] - '0' == check;
}

bool is_corporate_number(std::string_view d) {
  if (d.size() != 13 || all_zeros(d)) return false;
  for (char c : d) {
    if (c < '0' || c > '9') return false;
  }
  int sum = 0;
  for (int n = 1; n <= 12; ++n) {
    int p = d[static_cast<std::size_t>(13 - n)] - '0';
    sum += p * (n % 2 == 1 ? 1 : 2);
  }
  return d[0] - '0' == 9 - sum % 9;
}

int digit_at(std::string_view t, std::size_t i, std::size_t& len) {
  len = 0;
  if (i >= t.size()) return -1;
  const unsigned char c = static_cast<unsigned char>(t[i]);
  if (c < 0x80) {
    if (c < '0' || c > '9') return -1;
    len = 1;
    return c - '0';
  }
  // Bytes that are no well-formed UTF-8 (a stray continuation byte, an overlong form, a
  // surrogate) are no digit, as no reader shows them as one.
  const auto [cp, n] = utf8_code_point_at(t, i);
  if (n == 0) return -1;
  // Every other digit form Unicode gives a single value (the generated table: full-width ０–９,
  // every script's decimal digits, 𝟏𝟐𝟑, ¹²³, ₁₂₃, ①–⑨ and ⓪, ⑴, ⒈, ❶, ➀): a reader sees the number
  // in each, and so a number written in them must be found as its ASCII twin is.
  const auto* table_end = std::end(internal::kUnicodeDigits);
  const auto* r = std::upper_bound(std::begin(internal::kUnicodeDigits), table_end, cp,
                                   [](char32_t v, const internal::DigitRange& range) { return v < range.first; });
  if (r != std::begin(internal::kUnicodeDigits) && cp <= (r - 1)->last) {
    len = n;
    return (r - 1)->value + static_cast<int>(cp - (r - 1)->first);
  }
  // Kanji numerals written digit by digit, as vertical text (縦書き) and hand-copied forms write a
  // number: 〇一二三四五六七八九, and 零 for 0. Positional only — 十, 百 and 千 make an amount, not a
  // number's digits.
  static constexpr char32_t kKanji[] = {U'〇', U'一', U'二', U'三', U'四', U'五', U'六', U'七', U'八', U'九'};
  for (int d = 0; d < 10; ++d) {
    if (cp == kKanji[d]) {
      len = n;
      return d;
    }
  }
  if (cp == U'零') {
    len = n;
    return 0;
  }
  return -1;
}

std::size_t invisible_at(std::string_view t, std::size_t i) {
  if (i >= t.size()) return 0;
  const auto byte = [&](std::size_t k) { return i + k < t.size() ? static_cast<unsigned char>(t[i + k]) : 0u; };
  const unsigned c = byte(0);
  // C0 and C1 controls but the ones that end a line or a field (tab, line feed, form feed, carriage
  // return); the soft hyphen (C2 AD).
  if ((c < 0x20 && c != '\t' && c != '\n' && c != '\v' && c != '\f' && c != '\r') || c == 0x7F) return 1;
  if (c == 0xC2 && ((byte(1) >= 0x80 && byte(1) <= 0x9F) || byte(1) == 0xAD)) return 2;
  // Zero-width space, non-joiner, joiner and the direction marks (U+200B–U+200F), the word joiner
  // and invisible operators (U+2060–U+2064), the byte-order mark (U+FEFF).
  if (c == 0xE2 && byte(1) == 0x80 && byte(2) >= 0x8B && byte(2) <= 0x8F) return 3;
  if (c == 0xE2 && byte(1) == 0x81 && byte(2) >= 0xA0 && byte(2) <= 0xA4) return 3;
  if (c == 0xEF && byte(1) == 0xBB && byte(2) == 0xBF) return 3;
  return 0;
}

namespace {

struct SeparatorUnit {
  std::string_view bytes;
  bool loose;
};

// What may stand between two groups of a number. Loose ones (spaces and hyphens as people type
// them, and the ones they have been found split by since before issue #17): with these, 12 or 13
// digits in any grouping are a number. The others ('_' and '.' as tools and file names write them,
// the dashes an IME offers, '/', ',', '・') only in the 4-4-4 and 1-4-4-4 shapes: dates
// (2026.12.06), addresses (192.168.100.120), amounts (1,234,567) and times are not of that shape.
constexpr SeparatorUnit kSeparators[] = {
    {" ", true}, {"-", true}, {"\t", true},
    {"\xE3\x80\x80", true},  // U+3000 ideographic space, the full-width space an IME types
    {"\xC2\xA0", true},      // no-break space
    {"\xE2\x80\x90", true},  // ‐ hyphen
    {"\xE2\x80\x91", true},  // non-breaking hyphen (Word's Ctrl+Shift+-)
    {"\xE2\x80\x92", true},  // figure dash
    {"\xEF\xBC\x8D", true},  // － full-width hyphen-minus
    {"\xEF\xB9\xA3", true},  // small hyphen-minus
    {"_", false}, {".", false}, {"/", false}, {",", false},
    {"\xE3\x83\xBC", false},  // ー the long vowel mark, typed for a dash
    {"\xEF\xBD\xB0", false},  // ｰ its half-width form
    {"\xE2\x80\x93", false},  // – en dash
    {"\xE2\x80\x94", false},  // — em dash
    {"\xE2\x80\x95", false},  // ― horizontal bar
    {"\xE2\x88\x92", false},  // − minus sign
    {"\xE2\x94\x80", false},  // ─ box drawing, offered for a dash
    {"\xE3\x83\xBB", false},  // ・ katakana middle dot
    {"\xEF\xBC\x8E", false},  // ． full-width full stop
};

// The separator at text[i]: up to three units ("1234 - 5678", two spaces), its length in bytes
// (0 when none) and whether every unit of it is loose.
std::size_t separator_at(std::string_view t, std::size_t i, bool& loose) {
  std::size_t length = 0;
  loose = true;
  for (int units = 0; units < 3; ++units) {
    bool matched = false;
    for (const auto& unit : kSeparators) {
      if (t.compare(i + length, unit.bytes.size(), unit.bytes) == 0) {
        length += unit.bytes.size();
        loose = loose && unit.loose;
        matched = true;
        break;
      }
    }
    if (!matched) break;
  }
  return length;
}

struct Group {
  std::size_t digits = 0;
  std::size_t begin = 0, end = 0;  // bytes in the text: its first digit, and past its last
  std::string_view sep;            // the separator before it ("" for a run's first)
  bool loose = true;               // that separator is loose
};

// Reads a run of digit groups, one separator between each two, from a digit. Invisible characters
// (a zero-width space, a soft hyphen) inside a number are passed over: a reader sees
// "1234<U+200B>5678<U+200B>9018" as the number it is.
class RunReader {
 public:
  RunReader(std::string_view t, std::size_t start) : t_(t), at_(start) {}

  // The next group of the run; false at the run's end (end() is then past it).
  bool next(Group& g) {
    if (done_) return false;
    g = Group{};
    if (!first_) {
      std::size_t p = at_;
      while (const std::size_t n = invisible_at(t_, p)) p += n;
      bool loose = true;
      const std::size_t sep = separator_at(t_, p, loose);
      std::size_t q = p + sep;
      while (const std::size_t n = invisible_at(t_, q)) q += n;
      std::size_t l = 0;
      if (sep == 0 || digit_at(t_, q, l) < 0) {
        done_ = true;
        return false;
      }
      g.sep = t_.substr(p, sep);
      g.loose = loose;
      at_ = q;
    }
    first_ = false;
    g.begin = at_;
    while (at_ < t_.size()) {
      std::size_t l = 0;
      if (digit_at(t_, at_, l) >= 0) {
        ++g.digits;
        at_ += l;
        g.end = at_;
        continue;
      }
      std::size_t p = at_;
      while (const std::size_t n = invisible_at(t_, p)) p += n;
      if (p != at_ && digit_at(t_, p, l) >= 0) {
        at_ = p;
        continue;
      }
      break;
    }
    end_ = at_;
    return true;
  }
  std::size_t end() const { return end_; }

 private:
  std::string_view t_;
  std::size_t at_;
  std::size_t end_ = 0;
  bool first_ = true, done_ = false;
};

// Groups written the way a number is written: one group of 12 or 13 digits; groups of 4-4-4
// (個人番号) or 1-4-4-4 (法人番号: its check digit first) split by one separator, the same each time;
// or 12 or 13 digits in any grouping split by loose separators ("12345678 9018").
bool written_as_a_number(const Group* g, std::size_t count) {
  if (count == 0 || count > 4) return false;  // a number has at most four groups
  std::size_t total = 0;
  bool loose = true;
  for (std::size_t k = 0; k < count; ++k) {
    total += g[k].digits;
    if (k > 0) loose = loose && g[k].loose;
  }
  if (count == 1) return total == 12 || total == 13;
  if (loose && (total == 12 || total == 13)) return true;
  for (std::size_t k = 2; k < count; ++k) {
    if (g[k].sep != g[1].sep) return false;
  }
  const auto sizes_are = [&](std::initializer_list<std::size_t> sizes) {
    if (sizes.size() != count) return false;
    std::size_t k = 0;
    for (std::size_t s : sizes) {
      if (g[k++].digits != s) return false;
    }
    return true;
  };
  return sizes_are({4, 4, 4}) || sizes_are({1, 4, 4, 4});
}

}  // namespace

std::vector<Span> find(std::string_view t) {
  std::vector<Span> out;
  // The number in groups g[0, count), when it is a valid one.
  const auto take = [&](const Group* g, std::size_t count) {
    const std::size_t begin = g[0].begin, length = g[count - 1].end - g[0].begin;
    std::string digits = digits_in(t, begin, length);
    if (!(digits.size() == 12 && is_individual_number(digits)) && !(digits.size() == 13 && is_corporate_number(digits))) return false;
    out.push_back({begin, length, std::move(digits)});
    return true;
  };
  std::size_t i = 0;
  while (i < t.size()) {
    std::size_t len = 0;
    if (digit_at(t, i, len) < 0) {
      ++i;
      continue;
    }
    // First the run as a whole: its groups counted, the first few kept (a run that is one number
    // has at most thirteen). Nothing is kept per group beyond those: a hostile run of millions of
    // groups (a subject, a file name: outside the sandbox) is read in constant memory.
    RunReader whole(t, i);
    Group g;
    std::vector<Group> first;
    std::size_t groups = 0, total = 0;
    bool loose = true;
    while (whole.next(g)) {
      if (groups < 13) first.push_back(g);
      if (groups > 0) loose = loose && g.loose;
      ++groups;
      total += g.digits;
    }
    const std::size_t run_end = whole.end();
    // The whole run is the number (as before issue #17, and in the new spellings when written as one).
    if ((total == 12 || total == 13) && (loose || written_as_a_number(first.data(), groups)) && take(first.data(), groups)) {
      i = run_end;
      continue;
    }
    // Else a number written as one inside a longer run ("2026_123456789018", "No.1 1234.5678.9018"):
    // at most four groups from each place, in linear time (every sub-range of a run was tried
    // before: minutes for a few kilobytes of "1 1 1 …"). Every place is tried, also inside a number
    // already taken: in "2018.1234.5678.9018" both 201812345678 and 123456789018 are valid, and the
    // one written second is as much a number as the first (the masking covers both).
    if (groups > 1) {
      RunReader again(t, i);
      Group window[4];
      std::size_t filled = 0, from = 0;
      bool more = true;
      while (true) {
        while (more && filled < 4) {
          more = again.next(window[filled]);
          if (more) ++filled;
        }
        if (filled == 0) break;
        for (std::size_t count = 1; count <= filled; ++count) {
          if (!(from == 0 && count == groups) && written_as_a_number(window, count) && take(window, count)) break;
        }
        for (std::size_t k = 1; k < filled; ++k) window[k - 1] = window[k];
        --filled;
        ++from;
      }
    }
    i = run_end;
  }
  return out;
}

std::string digits_in(std::string_view text, std::size_t offset, std::size_t length) {
  std::string digits;
  const std::size_t end = std::min(text.size(), offset + length);
  for (std::size_t i = offset, len = 0; i < end; i += std::max<std::size_t>(len, 1)) {
    if (const int d = digit_at(text, i, len); d >= 0) digits.push_back(static_cast<char>('0' + d));
  }
  return digits;
}

}  // namespace sanso::numbers
