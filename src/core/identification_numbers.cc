#include "core/identification_numbers.h"

#include <algorithm>

namespace sanso::numbers {

bool is_individual_number(std::string_view d) {
  if (d.size() != 12) return false;
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
  if (d.size() != 13) return false;
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
  if (i >= t.size()) {
    len = 0;
    return -1;
  }
  unsigned char c = static_cast<unsigned char>(t[i]);
  if (c >= '0' && c <= '9') {
    len = 1;
    return c - '0';
  }
  // U+FF10..U+FF19: EF BC 90..99
  if (c == 0xEF && i + 2 < t.size() && static_cast<unsigned char>(t[i + 1]) == 0xBC) {
    unsigned char d = static_cast<unsigned char>(t[i + 2]);
    if (d >= 0x90 && d <= 0x99) {
      len = 3;
      return d - 0x90;
    }
  }
  len = 0;
  return -1;
}

namespace {

// The separator at text[i] that may stand between two groups of a number, and its length in bytes;
// 0 when none. Hyphens and spaces as people type them, '_' and '.' as tools and file names write
// them, and the full-width and Japanese dashes an IME gives for a hyphen: －, ー (the long vowel
// mark, typed for a dash), ‐ and ―.
std::size_t separator_at(std::string_view t, std::size_t i) {
  const char c = t[i];
  if (c == ' ' || c == '-' || c == '_' || c == '.' || c == '\t') return 1;
  // The spaces and dashes Japanese text and word processors write: 　 (U+3000, the full-width
  // space an IME types), the no-break space, －, ー (the long vowel mark, typed for a dash), ‐, ―,
  // − (U+2212), – and —.
  for (std::string_view other : {"\xE3\x80\x80", "\xC2\xA0", "\xEF\xBC\x8D", "\xE3\x83\xBC", "\xE2\x80\x90", "\xE2\x80\x95", "\xE2\x88\x92",
                                 "\xE2\x80\x93", "\xE2\x80\x94"}) {
    if (t.compare(i, other.size(), other) == 0) return other.size();
  }
  return 0;
}

// Separators a number has been found split by since before issue #17 (space, hyphen, ‐, －), and
// the other spaces (full-width, no-break, tab): with these, 12 or 13 digits in any grouping are a
// number, as they always were.
bool loose_separator(std::string_view sep) {
  return sep == " " || sep == "-" || sep == "\t" || sep == "\xE2\x80\x90" || sep == "\xEF\xBC\x8D" || sep == "\xE3\x80\x80" || sep == "\xC2\xA0";
}

struct Group {
  std::string digits;
  std::size_t begin = 0, end = 0;  // bytes in the text
  std::string_view sep;  // the separator before it ("" for the first)
};

// Groups [from, to) written the way a number is written: one group of 12 or 13 digits, or groups
// of 4-4-4 (個人番号) or 1-4-4-4 (法人番号: its check digit first) split by one separator, the same
// each time. Dates (2026.12.06), addresses (192.168.100.120), amounts (1.234.567) and times are
// not of that shape, so '.', '_' and the dashes make none of them a finding.
bool written_as_a_number(const std::vector<Group>& g, std::size_t from, std::size_t to) {
  if (to - from > 4) return false;  // a number has at most four groups
  if (to - from == 1) return g[from].digits.size() == 12 || g[from].digits.size() == 13;
  std::vector<std::size_t> sizes;
  for (std::size_t k = from; k < to; ++k) {
    if (k > from + 1 && g[k].sep != g[from + 1].sep) return false;
    sizes.push_back(g[k].digits.size());
  }
  return sizes == std::vector<std::size_t>{4, 4, 4} || sizes == std::vector<std::size_t>{1, 4, 4, 4};
}

}  // namespace

std::vector<Span> find(std::string_view t) {
  std::vector<Span> out;
  // The number in groups [from, to), when it is a valid one.
  const auto take = [&](const std::vector<Group>& g, std::size_t from, std::size_t to) {
    std::string digits;
    for (std::size_t k = from; k < to; ++k) digits += g[k].digits;
    const std::size_t begin = g[from].begin, length = g[to - 1].end - g[from].begin;
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
    // A run of digit groups, one separator between each two.
    std::vector<Group> groups(1);
    groups.back().begin = i;
    std::size_t j = i;
    while (j < t.size()) {
      std::size_t l = 0;
      if (const int d = digit_at(t, j, l); d >= 0) {
        groups.back().digits.push_back(static_cast<char>('0' + d));
        j += l;
        groups.back().end = j;
        continue;
      }
      const std::size_t sep = separator_at(t, j);
      std::size_t l2 = 0;
      if (sep == 0 || j + sep >= t.size() || digit_at(t, j + sep, l2) < 0) break;
      groups.push_back({"", j + sep, j + sep, t.substr(j, sep)});
      j += sep;
    }
    std::size_t total = 0;
    bool loose = true;
    for (std::size_t k = 0; k < groups.size(); ++k) {
      total += groups[k].digits.size();
      if (k > 0 && !loose_separator(groups[k].sep)) loose = false;
    }
    // The whole run is the number (as before issue #17, and in the new spellings when written as
    // one); else a number written as one inside a longer run ("2026_123456789018",
    // "No.1 1234.5678.9018"), the first that is valid from each place.
    if ((total == 12 || total == 13) && (loose || written_as_a_number(groups, 0, groups.size())) && take(groups, 0, groups.size())) {
      i = j;
      continue;
    }
    // At most four groups from each place: a run of thousands of groups is read in linear time
    // (every sub-range of it was tried before — minutes for a few kilobytes of "1 1 1 …"). Every
    // place is tried, also inside a number already taken: in "2018.1234.5678.9018" both
    // 201812345678 and 123456789018 are valid, and the one written second is as much a number as
    // the first (the masking covers both).
    for (std::size_t from = 0; from < groups.size() && groups.size() > 1; ++from) {
      for (std::size_t to = from + 1; to <= std::min(groups.size(), from + 4); ++to) {
        if (!(from == 0 && to == groups.size()) && written_as_a_number(groups, from, to) && take(groups, from, to)) break;
      }
    }
    i = j;
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
