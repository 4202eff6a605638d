// The policy's address plan as numbers: IP addresses and CIDR networks parsed once into 128-bit
// integers (IPv4 as ::ffff:a.b.c.d, so one comparison serves both families and a mapped address
// cannot slip past an IPv4 network), and a longest-prefix table that answers "which network holds
// this address" with one binary search. Used by the static checks (overlaps, endpoints outside
// any zone), Policy::zone_of_address and the flow monitor (src/monitor), which asks millions of
// times a second.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sanso::policy {

using Address128 = unsigned __int128;

// An IP address; `v4` when it was written as IPv4 (or is IPv4-mapped IPv6).
struct IpAddress {
  Address128 value = 0;
  bool v4 = false;
};

// A network: every address whose first `bits` bits (of 128) equal `base`'s.
struct Cidr {
  Address128 base = 0;  // host bits cleared
  int bits = 0;         // 0..128; an IPv4 /n is 96 + n
  bool v4 = false;
  bool host_bits_set = false;  // the text had host bits (10.0.0.1/8): it still covers the whole /n
  Address128 first() const { return base; }
  Address128 last() const;
  bool contains(Address128 a) const { return a >= first() && a <= last(); }
  bool overlaps(const Cidr& other) const { return first() <= other.last() && other.first() <= last(); }
};

inline constexpr Address128 kIpv4MappedPrefix = Address128{0xffff} << 32;
inline constexpr Address128 ipv4_mapped(std::uint32_t host_order) { return kIpv4MappedPrefix | host_order; }

// "192.0.2.1", "2001:db8::1", "fe80::1%eth0" (the scope is ignored); nullopt for anything else.
std::optional<IpAddress> parse_ip(std::string_view text);
// 127.0.0.0/8 (mapped into IPv6 as every IPv4 address is) or ::1.
bool is_loopback(const IpAddress& address);
// "10.20.0.0/16", "2001:db8::/32", or a single address (a /32 or /128); nullopt when it does not parse.
std::optional<Cidr> parse_cidr(std::string_view text);
// Canonical text: dotted quad for IPv4 (mapped or not), RFC 5952 for IPv6.
std::string format_ip(Address128 address);
// Dotted-quad IPv4 by hand (no locale, no allocation); nullopt for anything else. The hot path of
// the flow parsers.
std::optional<std::uint32_t> parse_ipv4(std::string_view text);

// Longest-prefix lookup from networks to values, compiled into sorted disjoint intervals.
// Networks nest or are disjoint (two CIDRs never partly overlap), so a sweep over them sorted by
// start (wider first on ties) yields the intervals in O(n log n); a lookup is a binary search.
// When the same network is added twice the later value wins.
template <typename T>
class PrefixTable {
 public:
  void add(const Cidr& network, T value) { pending_.push_back({network, std::move(value), pending_.size()}); }

  // Compiles what was added; call once after the last add() and before find().
  void build() {
    std::sort(pending_.begin(), pending_.end(), [](const Pending& a, const Pending& b) {
      if (a.network.first() != b.network.first()) return a.network.first() < b.network.first();
      if (a.network.bits != b.network.bits) return a.network.bits < b.network.bits;
      return a.order < b.order;
    });
    segments_.clear();
    std::vector<const Pending*> open;  // networks containing the cursor, widest first
    Address128 cursor = 0;
    bool exhausted = false;  // the cursor passed the last address (a network ended at all-ones)
    auto emit_until = [&](Address128 last, const T& value) {
      if (exhausted || cursor > last) return;
      segments_.push_back({cursor, last, value});
      if (last == ~Address128{0}) {
        exhausted = true;
      } else {
        cursor = last + 1;
      }
    };
    auto close_before = [&](const Pending* next) {
      while (!open.empty() && (next == nullptr || open.back()->network.last() < next->network.first())) {
        emit_until(open.back()->network.last(), open.back()->value);
        open.pop_back();
      }
    };
    for (const Pending& p : pending_) {
      close_before(&p);
      if (!open.empty() && p.network.first() > 0) emit_until(p.network.first() - 1, open.back()->value);
      if (!exhausted && cursor < p.network.first()) cursor = p.network.first();
      open.push_back(&p);
    }
    close_before(nullptr);
    pending_.clear();
    pending_.shrink_to_fit();
  }

  // The value of the longest network holding `address`; nullptr when none does.
  const T* find(Address128 address) const {
    auto it = std::upper_bound(segments_.begin(), segments_.end(), address,
                               [](Address128 a, const Segment& s) { return a < s.first; });
    if (it == segments_.begin()) return nullptr;
    --it;
    return address <= it->last ? &it->value : nullptr;
  }

  std::size_t segment_count() const { return segments_.size(); }

 private:
  struct Pending {
    Cidr network;
    T value;
    std::size_t order;
  };
  struct Segment {
    Address128 first;
    Address128 last;
    T value;
  };
  std::vector<Pending> pending_;
  std::vector<Segment> segments_;
};

}  // namespace sanso::policy
