#include "monitor/parsers.h"
#include "core/text.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <ctime>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <tmmintrin.h>
#endif

namespace sanso::monitor {
namespace {

using policy::parse_ip;
using policy::ipv4_mapped;

constexpr std::array<std::string_view, 7> kFormatNames = {"auto", "zeek", "zeek-json", "syslog", "fortigate", "paloalto", "csv"};

// The small parsers below run several times a line: inlined into the parsers that call them,
// they no longer pass optionals through memory (a tenth of a Zeek line's time went to the calls).
#define SANSO_HOT inline __attribute__((always_inline))
#define SANSO_HOT_LAMBDA __attribute__((always_inline))

// Eight ASCII digits at `p` (little-endian load) → their value; false when any byte is not a
// digit. Three multiplications instead of eight dependent multiply-adds: a Zeek line's time alone
// has sixteen digits.
SANSO_HOT bool parse_eight_digits(const char* p, std::uint64_t& out) {
  std::uint64_t chunk;
  std::memcpy(&chunk, p, 8);
  // Every byte 0x30..0x39: high nibble 3, and adding 6 keeps it 3 (no byte can carry into the next).
  if ((chunk & 0xf0f0f0f0f0f0f0f0ULL) != 0x3030303030303030ULL || ((chunk + 0x0606060606060606ULL) & 0xf0f0f0f0f0f0f0f0ULL) != 0x3030303030303030ULL) {
    return false;
  }
  chunk -= 0x3030303030303030ULL;
  chunk = (chunk * 10 + (chunk >> 8)) & 0x00ff00ff00ff00ffULL;
  chunk = (chunk * 100 + (chunk >> 16)) & 0x0000ffff0000ffffULL;
  chunk = (chunk * 10000 + (chunk >> 32)) & 0x00000000ffffffffULL;
  out = chunk;
  return true;
}

// One to eight ASCII digits at `p` → their value, with the same eight-byte load: the bytes are
// shifted so that the digits end the word and '0's fill the front. Only when eight bytes from `p`
// may be read (the caller knows its buffer); false when any of the `n` bytes is not a digit.
SANSO_HOT bool parse_few_digits(const char* p, std::size_t n, std::uint64_t& out) {
  std::uint64_t chunk;
  std::memcpy(&chunk, p, 8);
  const unsigned drop = static_cast<unsigned>(8 - n) * 8;  // bytes past the number, as bits
  if (drop != 0) chunk = (chunk << drop) | (0x3030303030303030ULL >> (64 - drop));
  char bytes[8];
  std::memcpy(bytes, &chunk, 8);
  return parse_eight_digits(bytes, out);
}

// Digits only, no sign, no overflow past `max`; nullopt otherwise. `readable_end`, when given,
// is where the caller's memory ends (at or after the text's end): short numbers then take one
// eight-byte load instead of a loop whose length varies from line to line.
SANSO_HOT std::optional<std::uint64_t> parse_uint(std::string_view text, std::uint64_t max = UINT64_MAX, const char* readable_end = nullptr) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  const char* p = text.data();
  std::size_t left = text.size();
  if (left <= 8 && readable_end != nullptr && readable_end - p >= 8) {
    std::uint64_t v = 0;
    if (!parse_few_digits(p, left, v) || v > max) return std::nullopt;
    return v;
  }
  std::uint64_t v = 0;
  // Up to 19 digits cannot overflow 64 bits (10^19 - 1 < 2^64): no check per digit (a scan parses
  // several numbers a line); only a twentieth digit is checked.
  if (left == 20) {
    if (*p < '0' || *p > '9') return std::nullopt;
    v = static_cast<std::uint64_t>(*p++ - '0');
    --left;
  }
  std::uint64_t rest = 0;
  while (left >= 8) {
    std::uint64_t eight = 0;
    if (!parse_eight_digits(p, eight)) return std::nullopt;
    rest = rest * 100000000 + eight;
    p += 8;
    left -= 8;
  }
  if (left > 0 && readable_end != nullptr && readable_end - p >= 8) {
    std::uint64_t few = 0;
    if (!parse_few_digits(p, left, few)) return std::nullopt;
    static constexpr std::uint64_t kPow10[8] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};
    rest = rest * kPow10[left] + few;
    left = 0;
  }
  for (; left > 0; --left, ++p) {
    if (*p < '0' || *p > '9') return std::nullopt;
    rest = rest * 10 + static_cast<std::uint64_t>(*p - '0');
  }
  if (text.size() == 20) {
    // v is the leading digit: v * 10^19 + rest, checked.
    if (__builtin_mul_overflow(v, 10000000000000000000ULL, &v) || __builtin_add_overflow(v, rest, &v)) return std::nullopt;
  } else {
    v = rest;
  }
  if (v > max) return std::nullopt;
  return v;
}

// True when `text` is one or more ASCII digits (a fraction that is checked, not used).
SANSO_HOT bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

SANSO_HOT std::optional<std::uint16_t> parse_port(std::string_view text, const char* readable_end = nullptr) {
  auto v = parse_uint(text, 65535, readable_end);
  if (!v) return std::nullopt;
  return static_cast<std::uint16_t>(*v);
}

// A byte count that may be absent ("-", "(empty)", "", JSON null): 0 then.
SANSO_HOT std::optional<std::uint64_t> parse_bytes(std::string_view text, const char* readable_end = nullptr) {
  if (!text.empty() && static_cast<unsigned>(text[0] - '0') <= 9) return parse_uint(text, UINT64_MAX, readable_end);
  if (text.empty() || text == "-" || text == "(empty)" || text == "null") return std::uint64_t{0};
  return std::nullopt;
}

// Dotted-quad IPv4 as policy::parse_ipv4 reads it (four decimal octets up to 255, no leading
// zeros, nothing else), here where it can be inlined: at most three digits an octet, unrolled.
// `kTerminated`: the caller knows that the byte at the text's end may be read and is neither a
// digit nor a dot (a Zeek column's separator): the reader then stops there by itself and needs no
// check of the end before each byte (two addresses a line; the end was checked before every byte).
template <bool kTerminated = false>
SANSO_HOT bool parse_ipv4_inline(std::string_view text, std::uint32_t& out) {
  const char* p = text.data();
  const char* const end = p + text.size();
  std::uint32_t v = 0;
  auto digit = [&](const char* at) { return (kTerminated || at < end) && static_cast<unsigned>(*at - '0') <= 9; };
  for (int octet = 0; octet < 4; ++octet) {
    if (!digit(p)) return false;
    std::uint32_t n = static_cast<std::uint32_t>(*p++ - '0');
    if (digit(p)) {
      if (n == 0) return false;  // a leading zero ("010" is octal to some tools)
      n = n * 10 + static_cast<std::uint32_t>(*p++ - '0');
      if (digit(p)) {
        n = n * 10 + static_cast<std::uint32_t>(*p++ - '0');
        if (n > 255 || digit(p)) return false;
      }
    }
    v = (v << 8) | n;
    if (octet < 3) {
      if ((!kTerminated && p >= end) || *p != '.') return false;
      ++p;
    }
  }
  if (p != end) return false;
  out = v;
  return true;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SANSO_WIDE_IPV4 1
// A dotted quad of 7 to 15 bytes read from one 16-byte load, without a branch on its octets'
// lengths (two addresses a line, each octet's length a coin toss in a real log): the dots' places
// pick one of the 81 layouts (each octet one to three digits), whose shuffle puts every octet's
// digits under the place values 100, 10, 1; two multiply-adds make the four octets. Each octet
// is held to its layout's bounds (none above 255, none with a leading zero: "010" is at least
// 10), so that it accepts exactly what parse_ipv4_inline accepts; anything it does not accept
// goes to that reader, which decides. SSSE3 (pshufb, pmaddubsw): chosen at run time.
struct Ipv4Layout {
  alignas(16) std::uint8_t shuffle[16];  // per octet: hundreds, tens, units, nothing (0x80: a zero)
  alignas(16) std::int32_t least[4];     // per octet: 0, 10 or 100 (one, two or three digits)
};
constexpr std::array<Ipv4Layout, 81> make_ipv4_layouts() {
  std::array<Ipv4Layout, 81> layouts{};
  for (int index = 0; index < 81; ++index) {
    const int lengths[4] = {index / 27 + 1, index / 9 % 3 + 1, index / 3 % 3 + 1, index % 3 + 1};
    int start = 0;
    for (int octet = 0; octet < 4; ++octet) {
      const int n = lengths[octet];
      std::uint8_t* s = layouts[index].shuffle + 4 * octet;
      s[0] = n == 3 ? static_cast<std::uint8_t>(start) : 0x80;
      s[1] = n >= 2 ? static_cast<std::uint8_t>(start + n - 2) : 0x80;
      s[2] = static_cast<std::uint8_t>(start + n - 1);
      s[3] = 0x80;
      layouts[index].least[octet] = n == 3 ? 100 : n == 2 ? 10 : 0;
      start += n + 1;
    }
  }
  return layouts;
}
constexpr std::array<Ipv4Layout, 81> kIpv4Layouts = make_ipv4_layouts();

// Whether the processor has SSSE3 (asked once; __builtin_cpu_init first, as static
// initialisation may run before the library's own).
const bool kHaveSsse3 = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("ssse3") != 0;
}();

// `p` has 16 readable bytes and the text is its first `size` (7 to 15) of them. The address in
// the low 32 bits and bit 32 set, or 0 when the text is not a dotted quad this reader accepts.
__attribute__((target("ssse3"))) inline std::uint64_t parse_ipv4_wide(const char* p, std::size_t size) {
  const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i digits = _mm_sub_epi8(bytes, _mm_set1_epi8('0'));
  const __m128i is_digit = _mm_cmpeq_epi8(_mm_min_epu8(digits, _mm_set1_epi8(9)), digits);
  const unsigned dots = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('.'))));
  const unsigned numerals = static_cast<unsigned>(_mm_movemask_epi8(is_digit));
  const unsigned text = (1u << size) - 1;
  // The text's dots, and marks at bits 16 to 18: a missing dot makes an octet too long, and no
  // count of trailing zeros is asked of nothing.
  unsigned left = (dots & text) | 0x70000u;
  const unsigned d1 = static_cast<unsigned>(__builtin_ctz(left));
  left &= left - 1;
  const unsigned d2 = static_cast<unsigned>(__builtin_ctz(left));
  left &= left - 1;
  const unsigned d3 = static_cast<unsigned>(__builtin_ctz(left));
  left &= left - 1;
  // Octets' lengths less one, each 0..2 when the text is four octets of one to three bytes.
  const unsigned l1 = d1 - 1, l2 = d2 - d1 - 2, l3 = d3 - d2 - 2, l4 = static_cast<unsigned>(size) - d3 - 2;
  const bool shaped = ((numerals | dots) & text) == text && left == 0x70000u && l1 <= 2 && l2 <= 2 && l3 <= 2 && l4 <= 2;
  if (!shaped) return 0;
  const Ipv4Layout& layout = kIpv4Layouts[l1 * 27 + l2 * 9 + l3 * 3 + l4];
  const __m128i placed = _mm_shuffle_epi8(digits, _mm_load_si128(reinterpret_cast<const __m128i*>(layout.shuffle)));
  const __m128i pairs = _mm_maddubs_epi16(placed, _mm_setr_epi8(100, 10, 1, 0, 100, 10, 1, 0, 100, 10, 1, 0, 100, 10, 1, 0));
  const __m128i octets = _mm_madd_epi16(pairs, _mm_set1_epi16(1));
  const __m128i out_of_bounds =
      _mm_or_si128(_mm_cmpgt_epi32(octets, _mm_set1_epi32(255)), _mm_cmplt_epi32(octets, _mm_load_si128(reinterpret_cast<const __m128i*>(layout.least))));
  if (_mm_movemask_epi8(out_of_bounds) != 0) return 0;
  // Each octet is its 32-bit lane's low byte; the first octet becomes the address's high byte.
  const __m128i gathered = _mm_shuffle_epi8(octets, _mm_setr_epi8(12, 8, 4, 0, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128));
  return static_cast<std::uint32_t>(_mm_cvtsi128_si32(gathered)) | (std::uint64_t{1} << 32);
}
#endif

// IPv4 by hand (the common case), anything else through parse_ip. `kWide` (only in a parse
// compiled for SSSE3): an address with 16 bytes readable from its start, before `readable_end`
// (where the caller's memory ends), is read by parse_ipv4_wide.
template <bool kTerminated = false, bool kWide = false>
SANSO_HOT std::optional<Address128> parse_address(std::string_view text, [[maybe_unused]] const char* readable_end = nullptr) {
#if defined(SANSO_WIDE_IPV4)
  if constexpr (kWide) {
    if (text.size() - 7 <= 8 && readable_end - text.data() >= 16) {
      if (const std::uint64_t wide = parse_ipv4_wide(text.data(), text.size()); wide != 0) return ipv4_mapped(static_cast<std::uint32_t>(wide));
    }
  }
#endif
  if (std::uint32_t v4 = 0; parse_ipv4_inline<kTerminated>(text, v4)) return ipv4_mapped(v4);
  if (text.find(':') == std::string_view::npos) return std::nullopt;
  if (auto ip = parse_ip(text)) return ip->value;
  return std::nullopt;
}

// "1591367999.305988" or "1591367999" → whole seconds. Times before 1970 or after 9999 are refused.
SANSO_HOT std::optional<std::int64_t> parse_epoch(std::string_view text, const char* readable_end = nullptr) {
  // Zeek's own form (ten digits, a dot, six: every time from 2001 to 2286) in two eight-byte
  // reads inside the text: bytes 8-15 are two digits, the dot (read as a '0') and five digits.
  if (text.size() == 17 && text[10] == '.') {
    std::uint64_t high = 0, low = 0;
    char middle[8];
    std::memcpy(middle, text.data() + 8, 8);
    middle[2] = '0';
    if (parse_eight_digits(text.data(), high) && parse_eight_digits(middle, low) && static_cast<unsigned>(text[16] - '0') <= 9) {
      return static_cast<std::int64_t>(high * 100 + low / 1000000);
    }
  }
  // Every time from 2001 to 2286 has ten digits before its dot: looked there first, rather than
  // through a call to memchr per line. Any dot before it makes the whole part no number, as the
  // first dot found would have made the fraction none: the same times are refused.
  const auto dot = text.size() > 10 && text[10] == '.' ? std::size_t{10} : text.find('.');
  const std::string_view whole = text.substr(0, dot);
  if (dot != std::string_view::npos) {
    const std::string_view frac = text.substr(dot + 1);
    if (frac.empty() || frac.size() > 9) return std::nullopt;
    // Zeek writes six digits: checked with one eight-byte load where the caller's memory allows.
    std::uint64_t ignored = 0;
    const bool digits = frac.size() <= 8 && readable_end != nullptr && readable_end - frac.data() >= 8 ? parse_few_digits(frac.data(), frac.size(), ignored)
                                                                                                     : all_digits(frac);
    if (!digits) return std::nullopt;
  }
  auto v = parse_uint(whole, 253402300799, readable_end);  // 9999-12-31T23:59:59Z
  if (!v) return std::nullopt;
  return static_cast<std::int64_t>(*v);
}

LineResult malformed(const char* why) { return {Verdict::kMalformed, why}; }
constexpr LineResult kFlowOk{Verdict::kFlow, ""};
constexpr LineResult kSkipped{Verdict::kSkip, ""};

// ---- Zeek conn.log, TSV with its #fields header --------------------------------------------

class ZeekTsvParser : public FlowParser {
 public:
  LineResult parse(std::string_view line, Flow& out) override { return parse_line<false>(line, out); }

 protected:
  // kSsse3: compiled into ZeekTsvParserSsse3's parse, where the addresses' wide reader is inlined.
  template <bool kSsse3>
  SANSO_HOT LineResult parse_line(std::string_view line, Flow& out) {
    if (line.empty()) return kSkipped;
    if (line.front() == '#') return header(line);
    if (!have_fields_) return malformed("a data line before the #fields header");
    // Hand-rolled split, only up to the last column we need, no allocation: where each column
    // ends (the offset of its separator, or of the line's end), kept for every separator without
    // asking which column it closes (half the split's instructions went to that question); the
    // columns wanted are read from it afterwards. bounds[0] is -1, so that column i is
    // (bounds[i], bounds[i + 1]) for the first column too.
    std::ptrdiff_t* const bounds = bounds_.data();
    const char* const begin = line.data();
    const char* const end = begin + line.size();
    std::size_t found = 1;  // bounds recorded; columns split: found - 1
    const std::size_t wanted = last_needed_ + 2;
    const char* search = begin;
#if defined(__SSE2__)
    // Thirty-two bytes at a time, then sixteen: every separator of a block from one compare each
    // half (a call to memchr per column was a tenth of the scan; 32-byte blocks halve the blocks
    // a line takes and so the inner loops' mispredicted ends). A block may record up to 31
    // columns past the last needed one: bounds_ has room for them.
    const __m128i needle = _mm_set1_epi8(separator_);
    while (found < wanted && end - search >= 32) {
      const auto low = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(search)), needle)));
      const auto high = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(search + 16)), needle)));
      auto mask = low | (high << 16);
      const std::ptrdiff_t at = search - begin;
      while (mask != 0) {
        bounds[found++] = at + __builtin_ctz(mask);
        mask &= mask - 1;
      }
      search += 32;
    }
    while (found < wanted && end - search >= 16) {
      auto mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(search)), needle)));
      const std::ptrdiff_t at = search - begin;
      while (mask != 0) {
        bounds[found++] = at + __builtin_ctz(mask);
        mask &= mask - 1;
      }
      search += 16;
    }
    // Fewer than 16 bytes left before the line's end, and a column still open (the last ones
    // wanted often end there): the line's last 16 bytes in one compare, those before `search`
    // dropped, instead of a call to memchr per column (some 4 % of a scan).
    if (found < wanted && end - search < 16 && end - begin >= 16) {
      const char* const last = end - 16;
      auto mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(last)), needle)));
      mask >>= search - last;
      const std::ptrdiff_t at = search - begin;
      while (mask != 0) {
        bounds[found++] = at + __builtin_ctz(mask);
        mask &= mask - 1;
      }
      // The line's end closes the column after its last separator (once: a line short of
      // columns stays short).
      if (found < wanted) bounds[found++] = end - begin;
    } else
#endif
    while (found < wanted) {
      const auto* sep = static_cast<const char*>(std::memchr(search, separator_, static_cast<std::size_t>(end - search)));
      bounds[found++] = (sep == nullptr ? end : sep) - begin;
      if (sep == nullptr) break;
      search = sep + 1;
    }
    if (found < wanted) return malformed("fewer columns than the #fields header names");
    auto column = [&](Slot slot) SANSO_HOT_LAMBDA {
      const std::size_t c = column_of_[slot];
      return std::string_view(begin + bounds[c] + 1, static_cast<std::size_t>(bounds[c + 1] - bounds[c] - 1));
    };
    // Numbers may be read eight bytes at a time up to the line's end.
    auto ts = parse_epoch(column(kTs), end);
    if (!ts) return malformed("ts is not a Unix time");
    // An address column that ends at a separator (not at the line's end) is read to its
    // separator without checking the end at every byte, when the separator can end no number.
    auto address = [&](Slot slot) SANSO_HOT_LAMBDA {
      const bool terminated = terminated_addresses_ && begin + bounds[column_of_[slot] + 1] != end;
      return terminated ? parse_address<true, kSsse3>(column(slot), end) : parse_address<false, kSsse3>(column(slot), end);
    };
    auto src = address(kSrc);
    auto dst = address(kDst);
    if (!src || !dst) return malformed("id.orig_h or id.resp_h is not an IP address");
    auto sport = parse_port(column(kSport), end);
    auto dport = parse_port(column(kDport), end);
    if (!sport || !dport) return malformed("id.orig_p or id.resp_p is not a port");
    const std::string_view proto = column(kProto);
    // Three bytes compared inline (a call to memcmp per line otherwise).
    const bool three = proto.size() == 3;
    out.proto = three && proto[0] == 't' && proto[1] == 'c' && proto[2] == 'p'   ? kProtoTcp
                : three && proto[0] == 'u' && proto[1] == 'd' && proto[2] == 'p' ? kProtoUdp
                                                                                  : parse_protocol(proto);
    auto bytes = slot_of_bytes_ ? parse_bytes(column(kBytes), end) : std::optional<std::uint64_t>{0};
    if (!bytes) return malformed("orig_bytes is not a number");
    out.time = *ts;
    out.src = *src;
    out.dst = *dst;
    out.sport = *sport;
    out.dport = *dport;
    out.bytes = *bytes;
    return kFlowOk;
  }

 private:
  enum Slot { kTs, kSrc, kSport, kDst, kDport, kProto, kBytes, kWanted };

  LineResult header(std::string_view line) {
    if (line.starts_with("#separator ")) {
      const std::string_view sep = line.substr(11);
      if (sep == "\\x09") {
        separator_ = '\t';
      } else if (sep.size() == 4 && sep.starts_with("\\x")) {
        auto hex = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; };
        const int hi = hex(sep[2]), lo = hex(sep[3]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return malformed("#separator is not a \\xNN byte");
        separator_ = static_cast<char>(hi * 16 + lo);
      } else if (sep.size() == 1) {
        separator_ = sep[0];
      } else {
        return malformed("#separator is not a \\xNN byte");
      }
      terminated_addresses_ = static_cast<unsigned>(separator_ - '0') > 9 && separator_ != '.';
      return kSkipped;
    }
    if (!line.starts_with("#fields")) return kSkipped;  // #path, #types, #open, #close, ...
    have_fields_ = false;
    slot_of_bytes_ = false;
    column_of_ = {};
    std::array<bool, kWanted> seen{};
    std::size_t field = 0, start = 8;
    if (line.size() < 8 || line[7] != separator_) return malformed("#fields without columns");
    for (std::size_t i = start; i <= line.size(); ++i) {
      if (i == line.size() || line[i] == separator_) {
        const std::string_view name = line.substr(start, i - start);
        int slot = -1;
        if (name == "ts") slot = kTs;
        else if (name == "id.orig_h") slot = kSrc;
        else if (name == "id.orig_p") slot = kSport;
        else if (name == "id.resp_h") slot = kDst;
        else if (name == "id.resp_p") slot = kDport;
        else if (name == "proto") slot = kProto;
        else if (name == "orig_bytes") slot = kBytes;
        if (slot >= 0 && seen[slot]) slot = -1;  // a repeated name: the first one counts
        if (slot >= 0) {
          seen[slot] = true;
          column_of_[slot] = field;
        }
        ++field;
        start = i + 1;
        if (field > 4096) return malformed("#fields names more than 4096 columns");
      }
    }
    for (int s = kTs; s < kBytes; ++s) {
      if (!seen[s]) return malformed("#fields lacks one of ts, id.orig_h, id.orig_p, id.resp_h, id.resp_p, proto");
    }
    slot_of_bytes_ = seen[kBytes];
    last_needed_ = *std::max_element(column_of_.begin(), column_of_.end());  // an absent orig_bytes is column 0, read and not used
    bounds_.assign(last_needed_ + 34, -1);
    have_fields_ = true;
    return kSkipped;
  }

  char separator_ = '\t';
  // The separator is neither a digit nor a dot: an address column's end needs no check of its own.
  bool terminated_addresses_ = true;
  bool have_fields_ = false;
  bool slot_of_bytes_ = false;
  std::array<std::size_t, kWanted> column_of_{};  // per slot: its column
  std::size_t last_needed_ = 0;
  // Per line: -1, then the offset where each column up to last_needed_ ends, and room for a
  // 32-byte block's worth past it.
  std::vector<std::ptrdiff_t> bounds_;
};

#if defined(SANSO_WIDE_IPV4)
// The same parser compiled for SSSE3, chosen where the processor has it: the two addresses' wide
// reader inlined into the line's parse instead of called (flatten: GCC inlines no SSSE3 function
// into one compiled without it, even through an always_inline one).
class ZeekTsvParserSsse3 final : public ZeekTsvParser {
 public:
  __attribute__((target("ssse3"), flatten)) LineResult parse(std::string_view line, Flow& out) override { return parse_line<true>(line, out); }
};
#endif

// ---- A flat JSON object, scanned without building it ---------------------------------------

// Calls `on(key, value)` for every top-level member: strings without their quotes (escapes left
// as written), numbers, true/false/null as written; nested objects and arrays are skipped. False
// when the text is not one well-formed object.
template <typename On>
bool scan_json_object(std::string_view s, On&& on) {
  std::size_t i = 0;
  auto ws = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
  };
  auto string = [&](std::string_view& out) {
    if (i >= s.size() || s[i] != '"') return false;
    const std::size_t start = ++i;
    while (i < s.size() && s[i] != '"') {
      if (static_cast<unsigned char>(s[i]) < 0x20) return false;
      if (s[i] == '\\') {
        if (++i >= s.size()) return false;
      }
      ++i;
    }
    if (i >= s.size()) return false;
    out = s.substr(start, i - start);
    ++i;
    return true;
  };
  // A nested value: brackets counted (depth bounded by the line length), strings respected.
  auto skip_nested = [&] {
    std::size_t depth = 0;
    do {
      if (i >= s.size()) return false;
      const char c = s[i];
      if (c == '"') {
        std::string_view ignored;
        if (!string(ignored)) return false;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (depth == 0) return false;
        --depth;
      }
      ++i;
    } while (depth > 0);
    return true;
  };
  ws();
  if (i >= s.size() || s[i] != '{') return false;
  ++i;
  ws();
  if (i < s.size() && s[i] == '}') {
    ++i;
    ws();
    return i == s.size();
  }
  for (;;) {
    ws();
    std::string_view key, value;
    if (!string(key)) return false;
    ws();
    if (i >= s.size() || s[i] != ':') return false;
    ++i;
    ws();
    if (i >= s.size()) return false;
    if (s[i] == '"') {
      if (!string(value)) return false;
      on(key, value, true);
    } else if (s[i] == '{' || s[i] == '[') {
      if (!skip_nested()) return false;
    } else {
      const std::size_t start = i;
      while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ' ' && s[i] != '\t') ++i;
      value = s.substr(start, i - start);
      if (value.empty()) return false;
      on(key, value, false);
    }
    ws();
    if (i >= s.size()) return false;
    if (s[i] == ',') {
      ++i;
      continue;
    }
    if (s[i] != '}') return false;
    ++i;
    ws();
    return i == s.size();
  }
}

class ZeekJsonParser final : public FlowParser {
 public:
  LineResult parse(std::string_view line, Flow& out) override {
    if (trim_blanks(line).empty()) return kSkipped;
    std::string_view ts, src, dst, sport, dport, proto, bytes, path;
    bool ts_string = false;
    const bool ok = scan_json_object(line, [&](std::string_view k, std::string_view v, bool is_string) {
      if (k == "ts") {
        ts = v;
        ts_string = is_string;
      } else if (k == "id.orig_h") {
        src = v;
      } else if (k == "id.resp_h") {
        dst = v;
      } else if (k == "id.orig_p") {
        sport = v;
      } else if (k == "id.resp_p") {
        dport = v;
      } else if (k == "proto") {
        proto = v;
      } else if (k == "orig_bytes") {
        bytes = v;
      } else if (k == "_path") {
        path = v;
      }
    });
    if (!ok) return malformed("not one well-formed JSON object");
    if (!path.empty() && path != "conn") return kSkipped;  // another Zeek log on the same stream
    auto time = ts_string ? parse_iso_time(ts) : parse_epoch(ts);
    if (!time) return malformed("ts is neither a Unix time nor an ISO 8601 time");
    auto s = parse_address(src);
    auto d = parse_address(dst);
    if (!s || !d) return malformed("id.orig_h or id.resp_h is missing or not an IP address");
    auto sp = parse_port(sport);
    auto dp = parse_port(dport);
    if (!sp || !dp) return malformed("id.orig_p or id.resp_p is missing or not a port");
    auto b = parse_bytes(bytes);
    if (!b) return malformed("orig_bytes is not a number");
    out = Flow{*time, *s, *d, *sp, *dp, parse_protocol(proto), *b};
    return kFlowOk;
  }
};

// ---- key=value tokens (iptables/nftables LOG, FortiGate) -----------------------------------

// The first of two bytes in [p, end), or end. Sixteen bytes a compare: a FortiGate line is a few
// hundred bytes of tokens, and a byte at a time was most of its parsing.
SANSO_HOT const char* find_either(const char* p, const char* const end, char a, char b) {
#if defined(__SSE2__)
  const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
  while (end - p >= 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(block, va), _mm_cmpeq_epi8(block, vb))));
    if (mask != 0) return p + __builtin_ctz(mask);
    p += 16;
  }
#endif
  while (p < end && *p != a && *p != b) ++p;
  return p;
}

// Calls `on(key, value)` for each `key=value` token; values may be "quoted" (FortiGate) with
// backslash escapes left as written. Tokens without '=' are passed over.
template <typename On>
void scan_key_values(std::string_view s, On&& on) {
  const char* p = s.data();
  const char* const end = p + s.size();
  while (p < end) {
    while (p < end && *p == ' ') ++p;
    const char* const key_start = p;
    p = find_either(p, end, '=', ' ');
    if (p >= end || *p == ' ') continue;
    const std::string_view key(key_start, static_cast<std::size_t>(p - key_start));
    ++p;  // '='
    const char* start = p;
    if (p < end && *p == '"') {
      start = ++p;
      for (;;) {
        p = find_either(p, end, '"', '\\');
        if (p >= end || *p == '"') break;
        p += p + 1 < end ? 2 : 1;  // a backslash and the byte it escapes
      }
      on(key, std::string_view(start, static_cast<std::size_t>(std::min(p, end) - start)));
      if (p < end) ++p;
    } else {
      p = find_either(p, end, ' ', ' ');  // values are short: inline, rather than a call to memchr
      on(key, std::string_view(start, static_cast<std::size_t>(p - start)));
    }
  }
}

// The same walk as scan_key_values — the same tokens, in the same order — for the FortiGate
// parser, whose lines are ten times a Zeek line's bytes. scan_key_values finds a token's '=' and
// its value's end with a 16-byte compare that starts where the last one ended, so each token waits
// for the one before it (load, compare, mask, count: some 27 cycles a token, most of a FortiGate
// line's time). Here the line is first turned into bitmaps, 64 bytes a word, with nothing in one
// word waiting for another; a token's start is the next bit of one bitmap (a byte that is no
// space, first in the line or after a space), taken with one instruction, and what a token needs
// is found from its start alone, so the processor works on several tokens at once. Only a quoted
// value can move the next start: spaces inside it begin no token, and a token may begin right
// after its closing quote. Both are checked after every quoted value (a branch taken only on
// such a line), and the walk is then set to where scan_key_values would be.
class KeyValueMasks {
 public:
  // `want(key)` says where a key's value goes (a view, empty until the first value is put
  // there: a field the device writes once is kept from its first occurrence) or nullptr for a key
  // not wanted, whose value's end is then never looked for (unless it is quoted: the walk must
  // know where it ends).
  template <typename Want>
  SANSO_HOT void scan(std::string_view s, Want&& want) {
    const std::size_t n = s.size();
    if (n == 0) return;
    build(s);
    const char* const d = s.data();
    const std::size_t count = (n + 63) / 64;
    std::size_t w = 0;
    std::uint64_t starts = words_[0].start;
    for (;;) {
      while (starts == 0) {
        if (++w == count) return;
        starts = words_[w].start;
      }
      const std::size_t start = w * 64 + static_cast<std::size_t>(__builtin_ctzll(starts));
      starts &= starts - 1;
      const std::size_t key_end = next<&Word::key_end>(start);
      if (key_end >= n || d[key_end] == ' ') continue;  // no '=' before a space: passed over
      std::string_view* const slot = want(std::string_view(d + start, key_end - start));
      const bool keep = slot != nullptr && slot->data() == nullptr;
      std::size_t p = key_end + 1;
      if (p < n && d[p] == '"') {
        const std::size_t value = ++p;
        for (;;) {
          p = next<&Word::quote>(p);
          if (p >= n || d[p] == '"') break;
          p += p + 1 < n ? 2 : 1;  // a backslash and the byte it escapes
        }
        if (keep) *slot = std::string_view(d + value, std::min(p, n) - value);
        if (p >= n) return;
        ++p;  // past the closing quote
        // The next token starts at the first byte from here that is no space. When no start fell
        // inside the value and a space (or the end) follows it, that is the next start in hand:
        // the lowest of this word's, or when none is left, the first of a later word's.
        const std::size_t word_end = (w + 1) * 64;
        const bool inside = starts != 0 ? w * 64 + static_cast<std::size_t>(__builtin_ctzll(starts)) < p
                                        : p > word_end && next<&Word::start>(word_end) < p;
        if (__builtin_expect((p < n && d[p] != ' ') || inside, 0)) {
          if (p >= n) return;
          w = p / 64;
          starts = words_[w].start & (~std::uint64_t{0} << (p % 64));
          if (d[p] != ' ') starts |= std::uint64_t{1} << (p % 64);
        }
      } else if (keep) {
        *slot = std::string_view(d + p, std::min(next<&Word::space>(p), n) - p);
      }
    }
  }

 private:
  struct Word {
    std::uint64_t space;    // ' '
    std::uint64_t key_end;  // '=' or ' '
    std::uint64_t quote;    // '"' or '\\'
    std::uint64_t start;    // no space, and the line's first byte or one after a space
  };

  // The first bit of `kField` at or after byte `i` (at most the line's length), or a position at
  // or past the line's end: the word after the line's last has every bit set.
  template <std::uint64_t Word::*kField>
  SANSO_HOT std::size_t next(std::size_t i) const {
    std::size_t w = i / 64;
    std::uint64_t bits = words_[w].*kField >> (i % 64);
    if (bits != 0) return i + static_cast<std::size_t>(__builtin_ctzll(bits));
    do {
      bits = words_[++w].*kField;
    } while (bits == 0);
    return w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits));
  }

  // One word's bitmaps from 64 bytes (the line's last word: its bytes, then zeros, which are
  // none of the bytes looked for). `after_space`: the byte before these is a space, or there is
  // none (the line's first byte can start a token).
  static SANSO_HOT Word word_of(const char* b, bool after_space) {
    Word word{};
#if defined(__SSE2__)
    const __m128i space = _mm_set1_epi8(' '), equals = _mm_set1_epi8('='), quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
#pragma GCC unroll 4
    for (int c = 0; c < 4; ++c) {
      const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 16 * c));
      const __m128i sp = _mm_cmpeq_epi8(block, space);
      const auto shift = static_cast<unsigned>(16 * c);
      word.space |= std::uint64_t{static_cast<std::uint16_t>(_mm_movemask_epi8(sp))} << shift;
      word.key_end |= std::uint64_t{static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_or_si128(sp, _mm_cmpeq_epi8(block, equals))))} << shift;
      word.quote |= std::uint64_t{static_cast<std::uint16_t>(
                        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(block, quote), _mm_cmpeq_epi8(block, backslash))))}
                    << shift;
    }
#else
    for (unsigned i = 0; i < 64; ++i) {
      const std::uint64_t bit = std::uint64_t{1} << i;
      if (b[i] == ' ') word.space |= bit;
      if (b[i] == ' ' || b[i] == '=') word.key_end |= bit;
      if (b[i] == '"' || b[i] == '\\') word.quote |= bit;
    }
#endif
    word.start = ~word.space & ((word.space << 1) | std::uint64_t{after_space});
    return word;
  }

  SANSO_HOT void build(std::string_view s) {
    const std::size_t n = s.size();
    const std::size_t count = (n + 63) / 64;
    if (words_.size() < count + 1) words_.resize(count + 1);  // grows to the longest line's once (kMaxLineBytes at most)
    bool after_space = true;
    std::size_t w = 0;
    for (; w + 1 < count; ++w) {
      words_[w] = word_of(s.data() + w * 64, after_space);
      after_space = (words_[w].space >> 63) != 0;
    }
    char tail[64] = {};
    std::memcpy(tail, s.data() + w * 64, n - w * 64);
    words_[w] = word_of(tail, after_space);
    // The zeros past the line's end are no spaces: they must start nothing.
    if (n % 64 != 0) words_[w].start &= (std::uint64_t{1} << (n % 64)) - 1;
    words_[count] = Word{~std::uint64_t{0}, ~std::uint64_t{0}, ~std::uint64_t{0}, ~std::uint64_t{0}};  // where next() stops
  }

  std::vector<Word> words_;
};

// A key of known length against a wanted one, as a compare of that many bytes, which the compiler
// turns into a load or two; `k == "srcip"` became a call to memcmp once the bitmap walk made the
// FortiGate parser too large to inline it (5 % of a scan).
template <std::size_t N>
SANSO_HOT bool is(std::string_view key, const char (&wanted)[N]) {
  return std::memcmp(key.data(), wanted, N - 1) == 0;
}

// A field the device writes once: its first occurrence is the device's. A later one can only come
// from text inside another value (a host name, a URL, a user name a device did not escape), which
// must not replace the flow's addresses.
void keep_first(std::string_view& field, std::string_view value) {
  if (field.data() == nullptr) field = value;
}

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// "<PRI>" of a syslog message; the rest after it. Accepts no PRI (a file written by rsyslog).
std::string_view strip_pri(std::string_view line) {
  if (line.size() >= 3 && line[0] == '<') {
    const auto close = line.find('>');
    if (close != std::string_view::npos && close <= 4 && parse_uint(line.substr(1, close - 1), 191)) return line.substr(close + 1);
  }
  return line;
}

// The timestamp at the head of a syslog message (RFC 5424 or 3164), and the text after the
// header's host name; nullopt when the head is neither.
struct SyslogHead {
  std::optional<std::int64_t> time;
  std::string_view message;  // from the host name on
  bool rfc5424 = false;
};

// The program that wrote a syslog message, from its text after the time: RFC 5424's APP-NAME, or
// RFC 3164's TAG ("kernel:", "sshd[812]:", the host name before it or not); empty when it names
// none (ulogd's files: "fw1 IN=eth0 ...").
std::string_view program_of(std::string_view text, bool rfc5424) {
  auto word = [&] {
    const auto sp = text.find(' ');
    const std::string_view w = text.substr(0, sp);
    text = sp == std::string_view::npos ? std::string_view() : text.substr(sp + 1);
    return w;
  };
  std::string_view tag = word();
  if (rfc5424) {
    tag = word();
    return tag == "-" ? std::string_view() : tag;
  }
  if (tag.empty() || tag.back() != ':') tag = word();  // that was the host name
  if (tag.empty() || tag.back() != ':') return {};
  tag.remove_suffix(1);
  return tag.substr(0, tag.find('['));
}

SyslogHead split_syslog(std::string_view line, std::int64_t now, std::int64_t zoneless_offset) {
  SyslogHead head{std::nullopt, line};
  std::string_view rest = strip_pri(line);
  // RFC 5424: VERSION SP TIMESTAMP SP HOST SP APP SP PROCID SP MSGID SP SD [SP MSG]
  if (rest.size() > 2 && rest[0] >= '1' && rest[0] <= '9' && rest[1] == ' ') {
    rest.remove_prefix(2);
    const auto sp = rest.find(' ');
    head.time = parse_iso_time(rest.substr(0, sp), zoneless_offset);
    head.message = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    head.rfc5424 = true;
    return head;
  }
  // RFC 3164: "Mmm dd hh:mm:ss HOST MSG" (day space-padded); or an ISO time (rsyslog's high-precision format).
  if (rest.size() >= 16 && rest[3] == ' ' && rest[6] == ' ' && rest[9] == ':' && rest[12] == ':') {
    unsigned month = 0;
    for (unsigned m = 0; m < 12; ++m) {
      if (rest.substr(0, 3) == kMonths[m]) month = m + 1;
    }
    const auto day = parse_uint(trim_blanks(rest.substr(4, 2)), 31);
    const auto hh = parse_uint(rest.substr(7, 2), 23), mm = parse_uint(rest.substr(10, 2), 59), ss = parse_uint(rest.substr(13, 2), 60);
    if (month != 0 && day && *day >= 1 && hh && mm && ss) {
      std::int64_t year = 1970 + now / 31556952;
      std::int64_t t = 0;
      for (int attempt = 0; attempt < 3; ++attempt, --year) {
        t = days_from_civil(year + 1, month, static_cast<unsigned>(*day)) * 86400 + static_cast<std::int64_t>(*hh * 3600 + *mm * 60 + *ss) -
            zoneless_offset;
        if (t <= now + 86400) break;
      }
      head.time = t;
    }
    rest.remove_prefix(std::min<std::size_t>(16, rest.size()));
    head.message = rest;
    return head;
  }
  const auto sp = rest.find(' ');
  if (auto t = parse_iso_time(rest.substr(0, sp), zoneless_offset)) {
    head.time = t;
    head.message = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
  }
  return head;
}

// iptables / nftables `log` lines: "... IN=eth0 OUT=eth1 SRC=a DST=b LEN=60 ... PROTO=TCP SPT=1 DPT=2 ..."
// in a syslog message or a kernel-log record (/dev/kmsg: "6,1234,5678,-;..."). Other messages
// on the stream are skipped.
class SyslogParser final : public FlowParser {
 public:
  SyslogParser(std::int64_t now, std::int64_t zoneless_offset) : now_(now), zoneless_offset_(zoneless_offset) {}
  void set_now(std::int64_t now) override { now_ = now; }
  LineResult parse(std::string_view line, Flow& out) override {
    if (trim_blanks(line).empty()) return kSkipped;
    if (line.find("SRC=") == std::string_view::npos) return kSkipped;  // not a packet log
    std::optional<std::int64_t> time;
    std::string_view message = line;
    const auto semi = line.find(';');
    if (line[0] >= '0' && line[0] <= '9' && semi != std::string_view::npos && semi < 64) {
      message = line.substr(semi + 1);  // /dev/kmsg: the kernel's clock is no wall time
      time = now_;
    } else {
      SyslogHead head = split_syslog(line, now_, zoneless_offset_);
      // Packet logs are the kernel's (or ulogd's, which writes them from userspace). Another
      // program's message is not one, whatever it quotes: "sshd[812]: Invalid user IN=a SRC=…
      // DST=…" is a name an attacker chose at the login prompt, a forged flow if read.
      if (const std::string_view program = program_of(head.message, head.rfc5424); !program.empty() && program != "kernel" && program != "ulogd") {
        return kSkipped;
      }
      time = head.time;
      message = head.message;
    }
    std::string_view src, dst, proto, spt, dpt, len;
    scan_key_values(message, [&](std::string_view k, std::string_view v) {
      if (k == "SRC") keep_first(src, v);
      else if (k == "DST") keep_first(dst, v);
      else if (k == "PROTO") keep_first(proto, v);
      else if (k == "SPT") keep_first(spt, v);
      else if (k == "DPT") keep_first(dpt, v);
      else if (k == "LEN") keep_first(len, v);
    });
    if (!time) return malformed("the syslog header has no time this parser reads (RFC 3164 or 5424)");
    auto s = parse_address(src);
    auto d = parse_address(dst);
    if (!s || !d) return malformed("SRC or DST is not an IP address");
    Flow f;
    f.time = *time;
    f.src = *s;
    f.dst = *d;
    f.proto = parse_protocol(proto);
    if (!spt.empty() || !dpt.empty()) {
      auto sp = parse_port(spt);
      auto dp = parse_port(dpt);
      if (!sp || !dp) return malformed("SPT or DPT is not a port");
      f.sport = *sp;
      f.dport = *dp;
    }
    f.bytes = parse_uint(len).value_or(0);
    out = f;
    return kFlowOk;
  }

 private:
  std::int64_t now_;
  std::int64_t zoneless_offset_;
};

// FortiGate traffic logs: key=value, values often quoted; over syslog or as written to disk.
class FortigateParser : public FlowParser {
 public:
  explicit FortigateParser(std::int64_t zoneless_offset) : zoneless_offset_(zoneless_offset) {}
  LineResult parse(std::string_view line, Flow& out) override { return parse_line<false>(line, out); }

 protected:
  // kSsse3: compiled into FortigateParserSsse3's parse, as ZeekTsvParser::parse_line.
  template <bool kSsse3>
  SANSO_HOT LineResult parse_line(std::string_view line, Flow& out) {
    if (trim_blanks(line).empty()) return kSkipped;
    std::string_view type, src, dst, sport, dport, proto, sent, date, time, eventtime, tz;
    // Where a key's value goes, inlined into the token walk: called some sixteen times a line, a
    // call was a tenth of the parse's instructions.
    masks_.scan(strip_pri(line), [&](std::string_view k) SANSO_HOT_LAMBDA -> std::string_view* {
      // By length first: a line has a few dozen keys, and most are none of these.
      switch (k.size()) {
        case 2:
          if (is(k, "tz")) return &tz;
          break;
        case 4:
          if (is(k, "type")) return &type;
          if (is(k, "date")) return &date;
          if (is(k, "time")) return &time;
          break;
        case 5:
          if (is(k, "srcip")) return &src;
          if (is(k, "dstip")) return &dst;
          if (is(k, "proto")) return &proto;
          break;
        case 7:
          if (is(k, "srcport")) return &sport;
          if (is(k, "dstport")) return &dport;
          break;
        case 8:
          if (is(k, "sentbyte")) return &sent;
          break;
        case 9:
          if (is(k, "eventtime")) return &eventtime;
          break;
        default:
          break;
      }
      return nullptr;
    });
    if (type.empty() && src.empty()) return kSkipped;
    if (type != "traffic") return kSkipped;  // event, utm, ...: not flows
    // Every value is a view into the line: numbers may be read eight bytes at a time up to its end.
    const char* const line_end = line.data() + line.size();
    std::optional<std::int64_t> t;
    if (!eventtime.empty()) {
      // Seconds, or nanoseconds (FortiOS 6.2+: 19 digits); microseconds on some builds.
      auto v = parse_uint(eventtime, UINT64_MAX, line_end);
      if (v) {
        std::uint64_t secs = *v;
        while (secs > 253402300799ULL) secs /= 1000;
        t = static_cast<std::int64_t>(secs);
      }
    }
    if (!t && !date.empty() && !time.empty()) {
      std::string stamp;
      stamp.reserve(40);
      stamp.append(date).append("T").append(time);
      // tz="+0900" → "+09:00"
      if (tz.size() == 5 && (tz[0] == '+' || tz[0] == '-')) stamp.append(tz.substr(0, 3)).append(":").append(tz.substr(3));
      t = parse_iso_time(stamp, zoneless_offset_);
    }
    if (!t) return malformed("neither eventtime nor date and time give the flow's time");
    // A value that does not end the line is followed by a space or its closing quote, which ends
    // no address: read to there without checking the end before every byte (as Zeek's columns).
    auto address = [&](std::string_view value) SANSO_HOT_LAMBDA {
      return !value.empty() && value.data() + value.size() != line_end ? parse_address<true, kSsse3>(value, line_end) : parse_address<false, kSsse3>(value, line_end);
    };
    auto s = address(src);
    auto d = address(dst);
    if (!s || !d) return malformed("srcip or dstip is not an IP address");
    auto sp = sport.empty() ? std::optional<std::uint16_t>{0} : parse_port(sport, line_end);
    auto dp = dport.empty() ? std::optional<std::uint16_t>{0} : parse_port(dport, line_end);
    if (!sp || !dp) return malformed("srcport or dstport is not a port");
    auto b = parse_bytes(sent, line_end);
    if (!b) return malformed("sentbyte is not a number");
    // FortiGate writes the protocol's number: read as parse_protocol reads a number, with one load.
    const std::uint8_t protocol = !proto.empty() && static_cast<unsigned>(proto[0] - '0') <= 9
                                      ? static_cast<std::uint8_t>(parse_uint(proto, 254, line_end).value_or(kProtoUnknown))
                                      : parse_protocol(proto);
    out = Flow{*t, *s, *d, *sp, *dp, protocol, *b};
    return kFlowOk;
  }

 private:
  std::int64_t zoneless_offset_;
  KeyValueMasks masks_;
};

#if defined(SANSO_WIDE_IPV4)
// The same parser compiled for SSSE3, chosen where the processor has it (as ZeekTsvParserSsse3).
class FortigateParserSsse3 final : public FortigateParser {
 public:
  using FortigateParser::FortigateParser;
  __attribute__((target("ssse3"), flatten)) LineResult parse(std::string_view line, Flow& out) override { return parse_line<true>(line, out); }
};
#endif

// Splits one CSV record (RFC 4180 quoting) into at most `max` fields; false when quoting is broken.
bool split_csv(std::string_view line, char sep, std::vector<std::string_view>& fields, std::size_t max) {
  fields.clear();
  std::size_t i = 0;
  while (fields.size() < max) {
    if (i < line.size() && line[i] == '"') {
      const std::size_t start = ++i;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            i += 2;
            continue;
          }
          break;
        }
        ++i;
      }
      if (i >= line.size()) return false;
      fields.push_back(line.substr(start, i - start));  // doubled quotes left doubled: no field we read has them
      ++i;
      if (i < line.size() && line[i] != sep) return false;
    } else {
      const std::size_t start = i;
      while (i < line.size() && line[i] != sep) ++i;
      fields.push_back(line.substr(start, i - start));
    }
    if (i >= line.size()) break;
    ++i;  // separator
    if (i == line.size()) {
      fields.push_back({});
      break;
    }
  }
  return true;
}

// Palo Alto Networks traffic logs (PAN-OS syslog CSV), optionally behind a syslog header.
class PaloAltoParser final : public FlowParser {
 public:
  explicit PaloAltoParser(std::int64_t zoneless_offset) : zoneless_offset_(zoneless_offset) {}
  LineResult parse(std::string_view line, Flow& out) override {
    if (trim_blanks(line).empty()) return kSkipped;
    std::string_view csv = line;
    if (line[0] == '<') {
      // The CSV starts at the word before the first comma (the header's words hold none).
      const auto comma = line.find(',');
      if (comma == std::string_view::npos) return kSkipped;
      const auto space = line.rfind(' ', comma);
      csv = line.substr(space == std::string_view::npos ? 0 : space + 1);
    }
    if (!split_csv(csv, ',', fields_, 40)) return malformed("broken CSV quoting");
    if (fields_.size() < 4) return malformed("fewer than 4 CSV fields: not a PAN-OS log");
    if (fields_[3] != "TRAFFIC") return kSkipped;  // THREAT, SYSTEM, CONFIG, ...
    if (fields_.size() < 33) return malformed("a TRAFFIC log with fewer than 33 fields");
    auto t = parse_iso_time(fields_[1], zoneless_offset_);
    if (!t) return malformed("receive time is not a time");
    auto s = parse_address(fields_[7]);
    auto d = parse_address(fields_[8]);
    if (!s || !d) return malformed("source or destination address is not an IP address");
    auto sp = parse_port(fields_[24]);
    auto dp = parse_port(fields_[25]);
    if (!sp || !dp) return malformed("source or destination port is not a port");
    auto b = parse_bytes(fields_[32]);
    if (!b) return malformed("bytes sent is not a number");
    out = Flow{*t, *s, *d, *sp, *dp, parse_protocol(fields_[29]), *b};
    return kFlowOk;
  }

 private:
  std::vector<std::string_view> fields_;  // reused: no allocation per line once grown
  std::int64_t zoneless_offset_;
};

class CsvParser final : public FlowParser {
 public:
  explicit CsvParser(CsvColumns columns) : c_(std::move(columns)) {
    by_name_ = !c_.src.name.empty();
    for (const CsvColumns::Field* f : all()) max_index_ = std::max(max_index_, f->index);
  }

  LineResult parse(std::string_view line, Flow& out) override {
    if (trim_blanks(line).empty()) return kSkipped;
    if (by_name_ && !have_header_) return header(line);
    if (!split_csv(line, c_.separator, fields_, static_cast<std::size_t>(max_index_) + 1)) return malformed("broken CSV quoting");
    if (fields_.size() <= static_cast<std::size_t>(max_index_)) return malformed("fewer columns than the column map needs");
    auto field = [&](const CsvColumns::Field& f) { return f.index < 0 ? std::string_view() : trim_blanks(fields_[f.index]); };
    auto s = parse_address(field(c_.src));
    auto d = parse_address(field(c_.dst));
    if (!s || !d) {
      // A header line in front of numbered columns: the first line only.
      if (!by_name_ && !seen_data_) {
        seen_data_ = true;
        return kSkipped;
      }
      return malformed("src or dst is not an IP address");
    }
    seen_data_ = true;
    std::optional<std::int64_t> t = std::int64_t{0};
    if (c_.time.index >= 0) {
      const std::string_view text = field(c_.time);
      t = parse_epoch(text);
      if (!t) t = parse_iso_time(text);
      if (!t) return malformed("time is neither a Unix time nor an ISO 8601 time");
    }
    auto sp = c_.sport.index < 0 ? std::optional<std::uint16_t>{0} : parse_port(field(c_.sport));
    auto dp = c_.dport.index < 0 ? std::optional<std::uint16_t>{0} : parse_port(field(c_.dport));
    if (!sp || !dp) return malformed("sport or dport is not a port");
    auto b = c_.bytes.index < 0 ? std::optional<std::uint64_t>{0} : parse_bytes(field(c_.bytes));
    if (!b) return malformed("bytes is not a number");
    out = Flow{*t, *s, *d, *sp, *dp, c_.proto.index < 0 ? kProtoUnknown : parse_protocol(field(c_.proto)), *b};
    return kFlowOk;
  }

 private:
  std::array<CsvColumns::Field*, 7> all() { return {&c_.time, &c_.src, &c_.dst, &c_.sport, &c_.dport, &c_.proto, &c_.bytes}; }

  LineResult header(std::string_view line) {
    if (!split_csv(line, c_.separator, fields_, 1024)) return malformed("broken CSV quoting in the header");
    for (CsvColumns::Field* f : all()) {
      if (f->name.empty()) continue;
      f->index = -1;
      for (std::size_t i = 0; i < fields_.size(); ++i) {
        if (trim_blanks(fields_[i]) == f->name) f->index = static_cast<int>(i);
      }
      if (f->index < 0) return malformed("the header lacks a column the column map names");
      max_index_ = std::max(max_index_, f->index);
    }
    have_header_ = true;
    return kSkipped;
  }

  CsvColumns c_;
  bool by_name_ = false;
  bool have_header_ = false;
  bool seen_data_ = false;
  int max_index_ = -1;
  std::vector<std::string_view> fields_;
};

}  // namespace

std::string_view protocol_name(std::uint8_t proto, char (&buf)[4]) {
  switch (proto) {
    case kProtoTcp: return "tcp";
    case kProtoUdp: return "udp";
    case kProtoIcmp: return "icmp";
    case kProtoIcmp6: return "icmp6";
    case kProtoUnknown: return "unknown";
    default: break;
  }
  int n = 0;
  if (proto >= 100) buf[n++] = static_cast<char>('0' + proto / 100);
  if (proto >= 10) buf[n++] = static_cast<char>('0' + proto / 10 % 10);
  buf[n++] = static_cast<char>('0' + proto % 10);
  return std::string_view(buf, static_cast<std::size_t>(n));
}

std::uint8_t parse_protocol(std::string_view t) {
  auto is = [&](std::string_view word) {
    if (t.size() != word.size()) return false;
    for (std::size_t i = 0; i < t.size(); ++i) {
      if ((t[i] | 0x20) != word[i]) return false;
    }
    return true;
  };
  if (is("tcp")) return kProtoTcp;
  if (is("udp")) return kProtoUdp;
  if (is("icmp")) return kProtoIcmp;
  if (is("icmpv6") || is("icmp6") || is("ipv6-icmp")) return kProtoIcmp6;
  if (auto n = parse_uint(t, 254)) return static_cast<std::uint8_t>(*n);
  return kProtoUnknown;
}

std::string_view to_string(Format f) { return kFormatNames[static_cast<int>(f)]; }

std::optional<Format> parse_format(std::string_view text) {
  for (std::size_t i = 0; i < kFormatNames.size(); ++i) {
    if (kFormatNames[i] == text) return static_cast<Format>(i);
  }
  return std::nullopt;
}

std::optional<Format> sniff_format(std::string_view head) {
  // The first non-empty line decides; FortiGate and PAN-OS markers may sit behind a syslog header.
  std::string_view line = head;
  while (!line.empty()) {
    const auto nl = line.find('\n');
    const std::string_view first = trim_blanks(line.substr(0, nl));
    if (!first.empty()) {
      line = first;
      break;
    }
    if (nl == std::string_view::npos) return std::nullopt;
    line.remove_prefix(nl + 1);
  }
  if (line.empty()) return std::nullopt;
  if (line.starts_with("#separator") || line.starts_with("#fields") || line.starts_with("#path")) return Format::kZeek;
  if (line.front() == '{') return Format::kZeekJson;
  if (line.find("type=\"traffic\"") != std::string_view::npos || line.find("type=traffic") != std::string_view::npos ||
      (line.find("srcip=") != std::string_view::npos && line.find("dstip=") != std::string_view::npos)) {
    return Format::kFortigate;
  }
  if (line.find(",TRAFFIC,") != std::string_view::npos || line.find(",THREAT,") != std::string_view::npos) return Format::kPaloAlto;
  if (line.find("SRC=") != std::string_view::npos && line.find("DST=") != std::string_view::npos) return Format::kSyslog;
  if (line.front() == '<') return Format::kSyslog;  // a syslog stream whose first message is not a packet log
  const CsvColumns d = default_csv_columns();
  if (line.find(',') != std::string_view::npos && line.find(d.src.name) != std::string_view::npos && line.find(d.dst.name) != std::string_view::npos) {
    return Format::kCsv;
  }
  return std::nullopt;
}

CsvColumns default_csv_columns() {
  CsvColumns c;
  c.time.name = "time";
  c.src.name = "src";
  c.dst.name = "dst";
  c.sport.name = "sport";
  c.dport.name = "dport";
  c.proto.name = "proto";
  c.bytes.name = "bytes";
  return c;
}

Result<CsvColumns> parse_csv_columns(std::string_view spec) {
  CsvColumns c;
  bool named = false, numbered = false;
  while (!spec.empty()) {
    const auto comma = spec.find(',');
    const std::string_view item = trim_blanks(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) return make_error("monitor.csv-columns", std::string(item), "expected field=column, e.g. src=source_ip or src=2");
    const std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    CsvColumns::Field* f = key == "time" ? &c.time : key == "src" ? &c.src : key == "dst" ? &c.dst : key == "sport" ? &c.sport
                         : key == "dport" ? &c.dport : key == "proto" ? &c.proto : key == "bytes" ? &c.bytes : nullptr;
    if (f == nullptr) {
      if (key == "separator" && value == "tab") {
        c.separator = '\t';
        continue;
      }
      if (key == "separator" && value.size() == 1) {
        c.separator = value[0];
        continue;
      }
      return make_error("monitor.csv-columns", std::string(item), "unknown field (known: time, src, dst, sport, dport, proto, bytes, separator)");
    }
    if (value.empty()) return make_error("monitor.csv-columns", std::string(item), "no column given");
    if (auto n = parse_uint(value, 1024)) {
      if (*n == 0) return make_error("monitor.csv-columns", std::string(item), "column numbers start at 1");
      f->index = static_cast<int>(*n - 1);
      numbered = true;
    } else {
      f->name = std::string(value);
      named = true;
    }
  }
  if (named && numbered) return make_error("monitor.csv-columns", "", "give every column by header name or every one by number, not a mix");
  if (c.src.index < 0 && c.src.name.empty()) return make_error("monitor.csv-columns", "", "the column map must name src");
  if (c.dst.index < 0 && c.dst.name.empty()) return make_error("monitor.csv-columns", "", "the column map must name dst");
  return c;
}

std::unique_ptr<FlowParser> FlowParser::make(Format format, const ParserContext& context) {
  switch (format) {
    case Format::kZeek:
#if defined(SANSO_WIDE_IPV4)
      if (kHaveSsse3 && !context.plain) return std::make_unique<ZeekTsvParserSsse3>();
#endif
      return std::make_unique<ZeekTsvParser>();
    case Format::kZeekJson: return std::make_unique<ZeekJsonParser>();
    case Format::kSyslog: return std::make_unique<SyslogParser>(context.now, context.zoneless_offset);
    case Format::kFortigate:
#if defined(SANSO_WIDE_IPV4)
      if (kHaveSsse3 && !context.plain) return std::make_unique<FortigateParserSsse3>(context.zoneless_offset);
#endif
      return std::make_unique<FortigateParser>(context.zoneless_offset);
    case Format::kPaloAlto: return std::make_unique<PaloAltoParser>(context.zoneless_offset);
    case Format::kCsv: return std::make_unique<CsvParser>(context.csv);
    case Format::kAuto: break;
  }
  return nullptr;
}

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  // Howard Hinnant's algorithm.
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::int64_t local_utc_offset(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  return static_cast<std::int64_t>(tm.tm_gmtoff);
}

std::optional<std::int64_t> parse_iso_time(std::string_view t, std::int64_t zoneless_offset) {
  // YYYY-MM-DD[T| ]hh:mm:ss[.frac][Z|±hh:mm|±hhmm]
  if (t.size() < 19 || t.size() > 40) return std::nullopt;
  const char ds = t[4];
  if ((ds != '-' && ds != '/') || t[7] != ds || (t[10] != 'T' && t[10] != ' ') || t[13] != ':' || t[16] != ':') return std::nullopt;
  auto y = parse_uint(t.substr(0, 4)), mo = parse_uint(t.substr(5, 2)), d = parse_uint(t.substr(8, 2));
  auto h = parse_uint(t.substr(11, 2)), mi = parse_uint(t.substr(14, 2)), s = parse_uint(t.substr(17, 2));
  if (!y || !mo || !d || !h || !mi || !s || *y < 1970 || *mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 || *mi > 59 || *s > 60) return std::nullopt;
  std::string_view rest = t.substr(19);
  if (!rest.empty() && rest[0] == '.') {
    std::size_t i = 1;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') ++i;
    if (i == 1) return std::nullopt;
    rest.remove_prefix(i);
  }
  std::int64_t offset = 0;
  if (rest.empty()) {
    offset = zoneless_offset;  // the writer's local time
  } else if (rest == "Z") {
    // UTC
  } else if ((rest[0] == '+' || rest[0] == '-') && (rest.size() == 6 || rest.size() == 5)) {
    const std::string_view hh = rest.substr(1, 2), mm = rest.size() == 6 ? rest.substr(4, 2) : rest.substr(3, 2);
    if (rest.size() == 6 && rest[3] != ':') return std::nullopt;
    auto oh = parse_uint(hh, 23), om = parse_uint(mm, 59);
    if (!oh || !om) return std::nullopt;
    offset = static_cast<std::int64_t>(*oh * 3600 + *om * 60) * (rest[0] == '+' ? 1 : -1);
  } else {
    return std::nullopt;
  }
  return days_from_civil(static_cast<std::int64_t>(*y), static_cast<unsigned>(*mo), static_cast<unsigned>(*d)) * 86400 +
         static_cast<std::int64_t>(*h * 3600 + *mi * 60 + *s) - offset;
}

std::vector<std::pair<std::string_view, std::string_view>> key_value_tokens(std::string_view line, bool masked) {
  std::vector<std::pair<std::string_view, std::string_view>> tokens;
  auto on = [&](std::string_view key, std::string_view value) { tokens.emplace_back(key, value); };
  if (masked) {
    KeyValueMasks masks;
    masks.scan(line, [&](std::string_view key) {
      tokens.emplace_back(key, std::string_view());
      return &tokens.back().second;
    });
  } else {
    scan_key_values(line, on);
  }
  return tokens;
}

}  // namespace sanso::monitor
