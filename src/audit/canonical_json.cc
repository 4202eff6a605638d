#include "audit/canonical_json.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "core/text.h"

namespace sanso::audit {
namespace {

// UTF-8 → UTF-16 code units, for the RFC 8785 §3.2.3 sort order (which differs from code point
// order for characters beyond the BMP against U+E000–U+FFFF).
std::u16string utf16(const std::string& s) {
  std::u16string out;
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    char32_t cp;
    int len;
    if (c < 0x80) { cp = c; len = 1; }
    else if (c < 0xE0) { cp = c & 0x1F; len = 2; }
    else if (c < 0xF0) { cp = c & 0x0F; len = 3; }
    else { cp = c & 0x07; len = 4; }
    for (int k = 1; k < len && i + static_cast<std::size_t>(k) < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0x3F);
    i += static_cast<std::size_t>(len);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out += static_cast<char16_t>(0xD800 + (cp >> 10));
      out += static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
    } else {
      out += static_cast<char16_t>(cp);
    }
  }
  return out;
}

Result<void> write_string(const std::string& s, std::string& out) {
  if (!is_valid_utf8(s)) return make_error("audit.json", "", "a record string is not valid UTF-8");
  append_json_string(out, s);
  return ok();
}

Result<void> write(const nlohmann::json& v, std::string& out) {
  switch (v.type()) {
    case nlohmann::json::value_t::null: out += "null"; return ok();
    case nlohmann::json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; return ok();
    case nlohmann::json::value_t::number_integer: out += std::to_string(v.get<std::int64_t>()); return ok();
    case nlohmann::json::value_t::number_unsigned: out += std::to_string(v.get<std::uint64_t>()); return ok();
    case nlohmann::json::value_t::number_float: {
      double d = v.get<double>();
      // Integral values within 2^53 serialize as ES6 does (no exponent, no fraction); other
      // floats would need the full ES6 algorithm, which records never need.
      if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) <= 9007199254740992.0) {
        out += std::to_string(static_cast<std::int64_t>(d));
        return ok();
      }
      return make_error("audit.json", "", "audit records hold no fractional numbers");
    }
    case nlohmann::json::value_t::string: return write_string(v.get_ref<const std::string&>(), out);
    case nlohmann::json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v) {
        if (!first) out += ',';
        first = false;
        SANSO_TRY(write(item, out));
      }
      out += ']';
      return ok();
    }
    case nlohmann::json::value_t::object: {
      std::vector<std::pair<std::u16string, const std::string*>> keys;
      for (auto it = v.begin(); it != v.end(); ++it) keys.emplace_back(utf16(it.key()), &it.key());
      std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      out += '{';
      bool first = true;
      for (const auto& [sort_key, key] : keys) {
        if (!first) out += ',';
        first = false;
        SANSO_TRY(write_string(*key, out));
        out += ':';
        SANSO_TRY(write(v.at(*key), out));
      }
      out += '}';
      return ok();
    }
    default:
      return make_error("audit.json", "", "binary values are not JSON");
  }
}

}  // namespace

Result<std::string> canonical_json(const nlohmann::json& value) {
  std::string out;
  SANSO_TRY(write(value, out));
  return out;
}

}  // namespace sanso::audit
