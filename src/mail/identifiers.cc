#include "mail/identifiers.h"

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

}  // namespace

std::vector<NumberMatch> find_identification_numbers(std::string_view t) {
  std::vector<NumberMatch> out;
  std::size_t i = 0;
  while (i < t.size()) {
    std::size_t len = 0;
    if (digit_at(t, i, len) < 0) {
      ++i;
      continue;
    }
    // A run of digits, with single spaces or hyphens between groups.
    const std::size_t start = i;
    std::string digits;
    std::size_t j = i;
    while (j < t.size()) {
      std::size_t l = 0;
      int d = digit_at(t, j, l);
      if (d >= 0) {
        digits.push_back(static_cast<char>('0' + d));
        j += l;
        continue;
      }
      // One separator followed by a digit continues the number.
      std::size_t sep = (t[j] == ' ' || t[j] == '-') ? 1 : (t.compare(j, 3, "\xE2\x80\x90") == 0 || t.compare(j, 3, "\xEF\xBC\x8D") == 0) ? 3 : 0;
      std::size_t l2 = 0;
      if (sep > 0 && j + sep < t.size() && digit_at(t, j + sep, l2) >= 0) {
        j += sep;
        continue;
      }
      break;
    }
    if (digits.size() == 12 && is_individual_number(digits)) out.push_back({NumberKind::kIndividual, mask(digits), start, j - start});
    if (digits.size() == 13 && is_corporate_number(digits)) out.push_back({NumberKind::kCorporate, mask(digits), start, j - start});
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
