// A minimal TNEF blob (MS-OXTNEF), as Outlook writes winmail.dat, for the mail tests.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sanso::testing {

// Little-endian integers as TNEF writes them.
inline std::string tnef_u32(std::uint32_t v) {
  std::string out;
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}
inline std::string tnef_u16(std::uint16_t v) { return {static_cast<char>(v & 0xff), static_cast<char>(v >> 8)}; }

// The signature and a key: what every blob starts with.
inline std::string tnef_start() { return tnef_u32(0x223E9F78) + tnef_u16(0x0001); }

// One attribute: level (1 message, 2 attachment), id, length, data and the data's checksum.
inline std::string tnef_attribute(char level, std::uint32_t id, const std::string& data) {
  std::uint32_t sum = 0;
  for (unsigned char c : data) sum += c;
  return std::string(1, level) + tnef_u32(id) + tnef_u32(static_cast<std::uint32_t>(data.size())) + data + tnef_u16(static_cast<std::uint16_t>(sum & 0xffff));
}

// Signature, key, the message's body (attBody, message level) when given, its MAPI properties
// (attMsgProps: a list mapi_properties writes) when given, then for each file an attachment-level
// rendering attribute (which opens the attachment), its title and its data, each checksummed.
inline std::string tnef_with(const std::vector<std::pair<std::string, std::string>>& files, const std::string& body = "",
                             const std::string& message_properties = "") {
  std::string out = tnef_start();
  if (!body.empty()) out += tnef_attribute('\x01', 0x0002800C, body);  // attBody
  if (!message_properties.empty()) out += tnef_attribute('\x01', 0x00069003, message_properties);  // attMsgProps
  for (const auto& [name, data] : files) {
    out += tnef_attribute('\x02', 0x00069002, std::string(14, '\0'));     // attAttachRenddata
    out += tnef_attribute('\x02', 0x00018010, name + std::string(1, '\0'));  // attAttachTitle
    out += tnef_attribute('\x02', 0x0006800F, data);                         // attAttachData
  }
  return out;
}

// A MAPI property list (MS-OXTNEF 2.1.3.5) of string properties: each a tag (type in the low 16
// bits: 0x001E PT_STRING8, 0x001F PT_UNICODE, 0x101E PT_MV_STRING8) and its values' bytes as
// written (UTF-16LE for PT_UNICODE, NUL included); a single value is counted as one.
inline std::string mapi_properties(const std::vector<std::pair<std::uint32_t, std::vector<std::string>>>& properties) {
  std::string out = tnef_u32(static_cast<std::uint32_t>(properties.size()));
  for (const auto& [tag, values] : properties) {
    out += tnef_u32(tag) + tnef_u32(static_cast<std::uint32_t>(values.size()));
    for (const auto& v : values) {
      out += tnef_u32(static_cast<std::uint32_t>(v.size()));
      out += v;
      out.append((4 - v.size() % 4) % 4, '\0');
    }
  }
  return out;
}

}  // namespace sanso::testing
