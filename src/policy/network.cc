#include "policy/network.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace sanso::policy {

Address128 Cidr::last() const {
  const Address128 host = bits >= 128 ? 0 : (~Address128{0} >> bits);
  return base | host;
}

std::optional<std::uint32_t> parse_ipv4(std::string_view text) {
  std::uint32_t out = 0;
  int octets = 0;
  std::size_t i = 0;
  while (octets < 4) {
    std::uint32_t octet = 0;
    std::size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      octet = octet * 10 + static_cast<std::uint32_t>(text[i] - '0');
      ++i;
      // Leading zeros are refused as inet_pton refuses them: "010" is octal to some tools.
      if (++digits > 3 || octet > 255 || (digits == 2 && octet < 10)) return std::nullopt;
    }
    if (digits == 0) return std::nullopt;
    out = (out << 8) | octet;
    ++octets;
    if (octets < 4) {
      if (i >= text.size() || text[i] != '.') return std::nullopt;
      ++i;
    }
  }
  if (i != text.size()) return std::nullopt;
  return out;
}

bool is_loopback(const IpAddress& address) {
  static const Cidr v4 = *parse_cidr("127.0.0.0/8");
  static const Cidr v6 = *parse_cidr("::1/128");
  return v4.contains(address.value) || v6.contains(address.value);
}

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (auto v4 = parse_ipv4(text)) return IpAddress{ipv4_mapped(*v4), true};
  if (auto pct = text.find('%'); pct != std::string_view::npos) text = text.substr(0, pct);
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  in6_addr a6{};
  if (inet_pton(AF_INET6, buf, &a6) != 1) return std::nullopt;
  Address128 value = 0;
  for (unsigned char byte : a6.s6_addr) value = (value << 8) | byte;
  return IpAddress{value, (value >> 32) == Address128{0xffff}};
}

std::optional<Cidr> parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  const auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return std::nullopt;
  const bool written_v4 = parse_ipv4(text.substr(0, slash)).has_value();
  int bits = written_v4 ? 32 : 128;
  if (slash != std::string_view::npos) {
    const std::string_view len = text.substr(slash + 1);
    if (len.empty() || len.size() > 3) return std::nullopt;
    bits = 0;
    for (char c : len) {
      if (c < '0' || c > '9') return std::nullopt;
      bits = bits * 10 + (c - '0');
    }
    if (bits > (written_v4 ? 32 : 128)) return std::nullopt;
  }
  if (written_v4) bits += 96;
  Cidr c;
  c.bits = bits;
  c.v4 = ip->v4;
  const Address128 mask = bits == 0 ? 0 : ~Address128{0} << (128 - bits);
  c.base = ip->value & mask;
  c.host_bits_set = (ip->value & ~mask) != 0;
  return c;
}

std::string format_ip(Address128 address) {
  char buf[INET6_ADDRSTRLEN];
  if ((address >> 32) == Address128{0xffff}) {
    const auto v4 = static_cast<std::uint32_t>(address);
    in_addr a{htonl(v4)};
    return inet_ntop(AF_INET, &a, buf, sizeof buf);
  }
  in6_addr a6{};
  for (int i = 15; i >= 0; --i) {
    a6.s6_addr[i] = static_cast<unsigned char>(address & 0xff);
    address >>= 8;
  }
  return inet_ntop(AF_INET6, &a6, buf, sizeof buf);
}

}  // namespace sanso::policy
