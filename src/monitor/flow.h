// One observed network flow, as every log format is reduced to it: who talked to whom, on which
// port and protocol, when, and how many bytes. Fixed size and allocation-free, so that millions a
// second can pass through the detector.
#pragma once

#include <cstdint>
#include <string_view>

#include "policy/network.h"

namespace sanso::monitor {

using policy::Address128;

// IANA protocol numbers the monitor names; any other number is kept as is.
inline constexpr std::uint8_t kProtoIcmp = 1;
inline constexpr std::uint8_t kProtoTcp = 6;
inline constexpr std::uint8_t kProtoUdp = 17;
inline constexpr std::uint8_t kProtoIcmp6 = 58;
inline constexpr std::uint8_t kProtoUnknown = 255;  // IANA reserved: the log did not say

struct Flow {
  std::int64_t time = 0;  // Unix seconds (UTC) of the flow's start
  Address128 src = 0;     // the side that opened it
  Address128 dst = 0;
  std::uint16_t sport = 0;
  std::uint16_t dport = 0;
  std::uint8_t proto = kProtoUnknown;
  std::uint64_t bytes = 0;  // sent by src (orig_bytes, sentbyte, ...); 0 when unknown
  // A record of one direction of a connection (NetFlow, IPFIX): src may be the side that
  // answered, so the record may be the reply half of a sanctioned flow.
  bool unidirectional = false;
};

// "tcp", "udp", "icmp", "icmp6", or the number.
std::string_view protocol_name(std::uint8_t proto, char (&buf)[4]);
// "tcp"/"TCP"/"6" → 6 and so on; kProtoUnknown for anything else.
std::uint8_t parse_protocol(std::string_view text);

}  // namespace sanso::monitor
