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
