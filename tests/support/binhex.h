// BinHex 4.0 written as an encoder writes it, for tests of the readers that must find and decode
// it (mime/embedded, the outgoing check).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sanso::testing {

// BinHex 4.0 as an encoder writes it: header, data fork, resource fork, each with its
// CRC-16/XMODEM.
inline std::uint16_t crc16(const std::string& bytes) {
  std::uint16_t crc = 0;
  for (char ch : bytes) {
    crc = static_cast<std::uint16_t>(crc ^ (static_cast<unsigned char>(ch) << 8));
    for (int i = 0; i < 8; ++i) crc = static_cast<std::uint16_t>((crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1);
  }
  return crc;
}

inline std::string be(std::uint32_t v, int n) {
  std::string out;
  for (int i = n - 1; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
  return out;
}

// Raw BinHex bytes (header, forks, CRCs) in its alphabet between ':'s: runs of four or more bytes
// coded with 0x90 (`rle`), 0x90 itself as "0x90 0", 64 characters a line (`line` 0: one line).
inline std::string binhex_encode(const std::string& raw, bool rle = true, std::size_t line = 64) {
  std::string coded;
  for (std::size_t i = 0; i < raw.size();) {
    std::size_t run = 1;
    while (i + run < raw.size() && raw[i + run] == raw[i] && run < 255) ++run;
    const char c = raw[i];
    coded += c;
    if (c == '\x90') coded += '\0';
    if (rle && run >= 4 && c != '\x90') {
      coded += '\x90';
      coded += static_cast<char>(run);
      i += run;
    } else {
      ++i;
    }
  }
  static constexpr std::string_view kAlphabet = "!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr";
  std::string chars;
  unsigned acc = 0;
  int bits = 0;
  for (char ch : coded) {
    acc = (acc << 8) | static_cast<unsigned char>(ch);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      chars += kAlphabet[(acc >> bits) & 0x3F];
    }
    acc &= (1u << bits) - 1;
  }
  if (bits > 0) chars += kAlphabet[(acc << (6 - bits)) & 0x3F];
  std::string out = ":";
  for (std::size_t i = 0; i < chars.size(); ++i) {
    // Lines of `line` characters in all, the opening ':' counted in the first.
    if (line != 0 && (i + 1) % line == 0) out += "\n";
    out += chars[i];
  }
  return out + ":";
}

// `after`: bytes an encoder never writes, after the resource fork's CRC.
inline std::string binhex(const std::string& name, const std::string& data, const std::string& resource = "", bool rle = true, std::size_t line = 64,
                   bool break_data_crc = false, const std::string& after = "") {
  std::string header = std::string(1, static_cast<char>(name.size())) + name + std::string(1, '\0') + "TEXTttxt" + std::string(2, '\0') +
                       be(static_cast<std::uint32_t>(data.size()), 4) + be(static_cast<std::uint32_t>(resource.size()), 4);
  std::string raw = header + be(crc16(header), 2) + data + be(crc16(data) ^ (break_data_crc ? 1 : 0), 2) + resource + be(crc16(resource), 2) + after;
  return binhex_encode(raw, rle, line);
}

}  // namespace sanso::testing
