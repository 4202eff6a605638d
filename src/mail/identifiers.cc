#include "mail/identifiers.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace sanso::mail {

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

namespace {

// The digit at text[i] (ASCII or full-width ０–９) and its length in bytes; -1 when none.
int digit_at(std::string_view t, std::size_t i, std::size_t& len) {
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

std::string mask(const std::string& digits) { return std::string(digits.size() - 4, '*') + digits.substr(digits.size() - 4); }

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

std::vector<NumberMatch> find_identification_numbers(std::string_view t) {
  std::vector<NumberMatch> out;
  // The number in groups [from, to), when it is a valid one.
  const auto take = [&](const std::vector<Group>& g, std::size_t from, std::size_t to) {
    std::string digits;
    for (std::size_t k = from; k < to; ++k) digits += g[k].digits;
    const std::size_t begin = g[from].begin, length = g[to - 1].end - g[from].begin;
    if (digits.size() == 12 && is_individual_number(digits)) out.push_back({NumberKind::kIndividual, mask(digits), begin, length});
    else if (digits.size() == 13 && is_corporate_number(digits)) out.push_back({NumberKind::kCorporate, mask(digits), begin, length});
    else return false;
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
    // (every sub-range of it was tried before — minutes for a few kilobytes of "1 1 1 …").
    for (std::size_t from = 0; from < groups.size() && groups.size() > 1;) {
      std::size_t to = from + 1;
      for (; to <= std::min(groups.size(), from + 4); ++to) {
        if (!(from == 0 && to == groups.size()) && written_as_a_number(groups, from, to) && take(groups, from, to)) break;
      }
      from = to <= std::min(groups.size(), from + 4) ? to : from + 1;
    }
    i = j;
  }
  return out;
}

std::string mask_identification_numbers(std::string_view text) {
  std::string out;
  std::size_t copied = 0;
  for (const auto& m : find_identification_numbers(text)) {
    out.append(text.substr(copied, m.offset - copied));
    out += m.masked;
    copied = m.offset + m.length;
  }
  out.append(text.substr(copied));
  return out;
}

std::string mask_identification_numbers_in_json(std::string_view json) {
  // Ordered: the keys stay in the order the report was written in.
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(json, nullptr, false);
  if (j.is_discarded()) return mask_identification_numbers(json);
  const auto walk = [](auto& self, const nlohmann::ordered_json& in) -> nlohmann::ordered_json {
    if (in.is_string()) return mask_identification_numbers(in.get_ref<const std::string&>());
    if (in.is_array()) {
      nlohmann::ordered_json out = nlohmann::ordered_json::array();
      for (const auto& v : in) out.push_back(self(self, v));
      return out;
    }
    if (in.is_object()) {
      nlohmann::ordered_json out = nlohmann::ordered_json::object();
      for (const auto& [key, v] : in.items()) out[mask_identification_numbers(key)] = self(self, v);
      return out;
    }
    return in;
  };
  return walk(walk, j).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sanso::mail
