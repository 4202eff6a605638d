// A minimal TNEF blob (MS-OXTNEF), as Outlook writes winmail.dat, for the mail tests.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sanso::testing {

// Signature, key, the message's body (attBody, message level) when given, then for each file an
// attachment-level rendering attribute (which opens the attachment), its title and its data, each
// checksummed.
inline std::string tnef_with(const std::vector<std::pair<std::string, std::string>>& files, const std::string& body = "") {
  std::string out;
  auto u32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  };
  auto u16 = [&](std::uint16_t v) {
    out += static_cast<char>(v & 0xff);
    out += static_cast<char>(v >> 8);
  };
  auto attribute = [&](char level, std::uint32_t id, const std::string& data) {
    out += level;
    u32(id);
    u32(static_cast<std::uint32_t>(data.size()));
    out += data;
    std::uint32_t sum = 0;
    for (unsigned char c : data) sum += c;
    u16(static_cast<std::uint16_t>(sum & 0xffff));
  };
  u32(0x223E9F78);
  u16(0x0001);
  if (!body.empty()) attribute('\x01', 0x0002800C, body);  // attBody
  for (const auto& [name, data] : files) {
    attribute('\x02', 0x00069002, std::string(14, '\0'));     // attAttachRenddata
    attribute('\x02', 0x00018010, name + std::string(1, '\0'));  // attAttachTitle
    attribute('\x02', 0x0006800F, data);                         // attAttachData
  }
  return out;
}

}  // namespace sanso::testing
