#include "mail/identifiers.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "mime/header.h"

namespace sanso::mail {

namespace {

std::string mask(const std::string& digits) { return std::string(digits.size() - 4, '*') + digits.substr(digits.size() - 4); }

// The numbers from found[k] on that overlap it, one after another: the index past the last of them,
// and in `end` the byte past their joined span.
std::size_t overlapping_from(const std::vector<NumberMatch>& found, std::size_t k, std::size_t& end) {
  end = found[k].offset + found[k].length;
  std::size_t last = k + 1;
  for (; last < found.size() && found[last].offset < end; ++last) end = std::max(end, found[last].offset + found[last].length);
  return last;
}

}  // namespace

std::vector<NumberMatch> find_identification_numbers(std::string_view text) {
  std::vector<NumberMatch> out;
  for (const auto& n : numbers::find(text)) {
    out.push_back({n.digits.size() == 12 ? NumberKind::kIndividual : NumberKind::kCorporate, mask(n.digits), n.offset, n.length});
  }
  // Numbers that overlap share one mask, the span's: each of "2018.1234.5678.9018"'s two masked
  // on its own would show ********5678 and ********9018 — together, eight digits of the second.
  for (std::size_t k = 0; k < out.size();) {
    std::size_t end = 0;
    const std::size_t last = overlapping_from(out, k, end);
    if (last > k + 1) {
      const std::string shared = mask(numbers::digits_in(text, out[k].offset, end - out[k].offset));
      for (std::size_t m = k; m < last; ++m) out[m].masked = shared;
    }
    k = last;
  }
  return out;
}

namespace {

// `text` with the numbers in its characters masked, as they stand.
std::string mask_as_written(std::string_view text) {
  std::string out;
  std::size_t copied = 0;
  const auto found = find_identification_numbers(text);
  for (std::size_t k = 0; k < found.size();) {
    // Numbers that overlap are replaced as one span by the mask they share (find_identification_numbers
    // gives them the span's): "2018.1234.5678.9018" → "************9018".
    std::size_t end = 0;
    const std::size_t last = overlapping_from(found, k, end);
    out.append(text.substr(copied, found[k].offset - copied));
    out += found[k].masked;
    copied = end;
    k = last;
  }
  out.append(text.substr(copied));
  return out;
}

// Encoded-words decoded one layer after another: a word may hold another (a reader that decodes
// twice shows it); more layers than this are no mail any reader shows.
constexpr int kEncodedLayers = 4;

}  // namespace

std::string mask_identification_numbers(std::string_view text) {
  std::string shown = mask_as_written(text);
  // An RFC 2047 encoded-word (" =?UTF-8?B?55Wq5Y+3IDEyMzQ1Njc4OTAxOA==?=" is "番号 123456789018")
  // carries its number in no digit, and a mail reader shows it decoded: when the decoding holds a
  // number, the decoded text is kept, masked, in place of the words (the raw words would carry it).
  // Text whose decoding holds none stays as written, so a name or an address keeps its form.
  std::string layer = shown;
  for (int depth = 0; depth < kEncodedLayers && layer.find("=?") != std::string::npos; ++depth) {
    const std::string decoded = mime::decode_header_text(layer).utf8;
    if (decoded == layer) break;
    const bool hides_a_number = !find_identification_numbers(decoded).empty();
    layer = mask_as_written(decoded);
    if (hides_a_number) shown = layer;
  }
  return shown;
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
