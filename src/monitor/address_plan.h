// The policy's address plan compiled for the flow monitor: which zone an address is in (longest
// prefix over the zones' networks), whether an address the zones do not hold is still the city's
// ([network] city_ranges) or the internet, and which sanctioned endpoints a destination is.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "monitor/flow.h"
#include "policy/network.h"
#include "policy/policy.h"

namespace sanso::monitor {

// A zone index: 0..zone_count()-1 are the policy's zones in order; then three places of its own.
using ZoneIndex = std::uint16_t;

class AddressPlan {
 public:
  // The policy's networks must parse (the static checks guarantee it for a checked policy; an
  // unchecked one gets the error here rather than a silently smaller plan).
  static Result<AddressPlan> build(const policy::Policy& policy);

  ZoneIndex zone_of(Address128 address) const {
    // IPv4 (nearly every flow): two array reads, /16 then /24, instead of three binary searches
    // over 128-bit segments (a quarter of a scan's time went there).
    if ((address >> 32) == 0xffff && !v4_by16_.empty()) {
      const auto v4 = static_cast<std::uint32_t>(address);
      const ZoneIndex by16 = v4_by16_[v4 >> 16];
      if (by16 < kV4Finer) return by16;
      if (by16 != kV4Unknown) {
        const ZoneIndex by24 = v4_by24_[static_cast<std::size_t>(by16 - kV4Finer) * 256 + ((v4 >> 8) & 0xff)];
        if (by24 != kV4Unknown) return by24;
      }
    }
    return zone_of_by_prefix(address);
  }
  // The same answer from the prefix tables alone (what the IPv4 directory is built from; tests
  // compare the two).
  ZoneIndex zone_of_by_prefix(Address128 address) const {
    if (const ZoneIndex* z = zones_.find(address)) return *z;
    if (local_.find(address) != nullptr) return local();
    return city_.find(address) != nullptr ? unzoned() : external();
  }
  // In the city's ranges but in no zone: an unknown device.
  ZoneIndex unzoned() const { return static_cast<ZoneIndex>(names_.size()); }
  // Outside every zone and every city range: the internet.
  ZoneIndex external() const { return static_cast<ZoneIndex>(names_.size() + 1); }
  // Loopback, link-local, multicast and broadcast: traffic that no router forwards between zones.
  ZoneIndex local() const { return static_cast<ZoneIndex>(names_.size() + 2); }
  std::size_t place_count() const { return names_.size() + 3; }
  // "mynumber", …, "(unzoned)", "(external)", "(local)".
  std::string_view name(ZoneIndex z) const;
  ZoneIndex mynumber() const { return mynumber_; }
  ZoneIndex lgwan() const { return lgwan_; }
  ZoneIndex internet() const { return internet_; }
  // The internet zone or beyond the city.
  bool is_internet(ZoneIndex z) const { return z == internet_ || z == external(); }

  // True when the flow's destination is a sanctioned endpoint (address, port, protocol) that
  // serves the source's zone. An endpoint without `from` serves every zone but mynumber.
  bool sanctioned(const Flow& flow, ZoneIndex src_zone) const;
  // The id of the endpoint that sanctions it, for explanations; empty when none.
  std::string_view sanctioning_endpoint(const Flow& flow, ZoneIndex src_zone) const;

 private:
  struct Endpoint {
    std::string id;
    std::vector<std::uint16_t> ports;  // empty: any
    std::uint8_t proto = 0;            // 0: any
    std::vector<ZoneIndex> from;       // empty: every zone but mynumber
  };
  const Endpoint* match(const Flow& flow, ZoneIndex src_zone) const;

  // The IPv4 directory: per /16 its place, or kV4Finer + k for the k-th /24 table (a network
  // boundary falls inside the /16), or kV4Unknown (too many split /16s: ask the prefix tables);
  // per /24 its place, or kV4Unknown (a boundary inside the /24). Places stay below 60003.
  static constexpr ZoneIndex kV4Finer = 0xf000;
  static constexpr ZoneIndex kV4Unknown = 0xffff;
  void build_v4_directory(std::vector<std::uint32_t> boundaries);
  std::vector<ZoneIndex> v4_by16_;
  std::vector<ZoneIndex> v4_by24_;

  std::vector<std::string> names_;
  ZoneIndex mynumber_ = 0xffff, lgwan_ = 0xffff, internet_ = 0xffff;
  policy::PrefixTable<ZoneIndex> zones_;
  policy::PrefixTable<bool> city_;
  policy::PrefixTable<bool> local_;
  std::vector<Endpoint> endpoints_;
  // Per endpoint network, every endpoint whose network holds it (nested ones included).
  policy::PrefixTable<std::vector<std::uint32_t>> endpoint_groups_;
};

}  // namespace sanso::monitor
