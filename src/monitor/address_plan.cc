#include "monitor/address_plan.h"

#include <algorithm>

namespace sanso::monitor {

using policy::Cidr;
using policy::parse_cidr;

Result<AddressPlan> AddressPlan::build(const policy::Policy& p) {
  AddressPlan plan;
  // Where a place may change inside the IPv4 space: the first address of every network and the
  // one after its last (longest-prefix segments only ever begin at one of these).
  std::vector<std::uint32_t> v4_boundaries;
  auto boundaries_of = [&](const Cidr& c) {
    constexpr Address128 kLow = policy::ipv4_mapped(0), kHigh = policy::ipv4_mapped(0xffffffffu);
    if (c.first() > kLow && c.first() <= kHigh) v4_boundaries.push_back(static_cast<std::uint32_t>(c.first()));
    if (c.last() >= kLow && c.last() < kHigh) v4_boundaries.push_back(static_cast<std::uint32_t>(c.last()) + 1);
  };
  auto network = [&](const std::string& text, const std::string& owner) -> Result<Cidr> {
    auto c = parse_cidr(text);
    if (!c) return make_error("monitor.address-plan", p.source_name, owner + " has an invalid network '" + text + "' (run `sanso policy check`)");
    boundaries_of(*c);
    return *c;
  };
  for (std::size_t i = 0; i < p.zones.size(); ++i) {
    const policy::Zone& z = p.zones[i];
    const auto index = static_cast<ZoneIndex>(i);
    plan.names_.push_back(z.id);
    if (z.id == policy::kZoneMynumber) plan.mynumber_ = index;
    if (z.id == policy::kZoneLgwan) plan.lgwan_ = index;
    if (z.id == policy::kZoneInternet) plan.internet_ = index;
    for (const std::string& text : z.cidrs) plan.zones_.add(SANSO_TRY(network(text, "zone '" + z.id + "'")), index);
  }
  if (p.zones.size() > 60000) return make_error("monitor.address-plan", p.source_name, "too many zones");
  for (const std::string& text : p.city_ranges) plan.city_.add(SANSO_TRY(network(text, "[network] city_ranges")), true);
  // IPv6 unique local addresses are never the internet: one outside every zone is a device the
  // plan does not describe (a rogue router's prefix, a forgotten segment), an unknown device, as
  // for the city's own ranges. A global IPv6 address outside the plan stays the internet, like a
  // public IPv4 one, so an LGWAN or mynumber host reaching it is a breach.
  plan.city_.add(*parse_cidr("fc00::/7"), true);
  for (const char* text : {"127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "255.255.255.255/32", "0.0.0.0/32", "::1/128", "::/128", "fe80::/10", "ff00::/8"}) {
    plan.local_.add(*parse_cidr(text), true);
    boundaries_of(*parse_cidr(text));
  }
  std::vector<Cidr> endpoint_networks;
  for (const policy::Endpoint& e : p.endpoints) {
    Endpoint compiled;
    compiled.id = e.id;
    compiled.ports = e.ports;
    compiled.proto = e.protocol == "tcp" ? kProtoTcp : e.protocol == "udp" ? kProtoUdp : e.protocol == "icmp" ? kProtoIcmp : 0;
    for (const std::string& zone : e.from) {
      auto it = std::find(plan.names_.begin(), plan.names_.end(), zone);
      if (it == plan.names_.end()) return make_error("monitor.address-plan", p.source_name, "endpoint '" + e.id + "' serves unknown zone '" + zone + "'");
      compiled.from.push_back(static_cast<ZoneIndex>(it - plan.names_.begin()));
    }
    plan.endpoints_.push_back(std::move(compiled));
    auto endpoint = parse_cidr(e.address);
    if (!endpoint) return make_error("monitor.address-plan", p.source_name, "endpoint '" + e.id + "' has an invalid network '" + e.address + "' (run `sanso policy check`)");
    endpoint_networks.push_back(*endpoint);
  }
  for (std::size_t i = 0; i < endpoint_networks.size(); ++i) {
    std::vector<std::uint32_t> group;
    for (std::size_t j = 0; j < endpoint_networks.size(); ++j) {
      const Cidr& outer = endpoint_networks[j];
      const Cidr& inner = endpoint_networks[i];
      if (outer.first() <= inner.first() && inner.last() <= outer.last()) group.push_back(static_cast<std::uint32_t>(j));
    }
    plan.endpoint_groups_.add(endpoint_networks[i], std::move(group));
  }
  plan.zones_.build();
  plan.city_.build();
  plan.local_.build();
  plan.endpoint_groups_.build();
  plan.build_v4_directory(std::move(v4_boundaries));
  return plan;
}

void AddressPlan::build_v4_directory(std::vector<std::uint32_t> boundaries) {
  std::sort(boundaries.begin(), boundaries.end());
  // True when no boundary lies in (first, last]: every address of the block has first's place.
  auto uniform = [&](std::uint32_t first, std::uint32_t last) {
    auto it = std::upper_bound(boundaries.begin(), boundaries.end(), first);
    return it == boundaries.end() || *it > last;
  };
  constexpr std::size_t kMaxTables = kV4Unknown - kV4Finer;  // 4,095 split /16s (2 MiB of /24 tables)
  v4_by16_.assign(65536, kV4Unknown);
  v4_by24_.clear();
  for (std::uint32_t b = 0; b < 65536; ++b) {
    const std::uint32_t first = b << 16;
    if (uniform(first, first | 0xffff)) {
      v4_by16_[b] = zone_of_by_prefix(policy::ipv4_mapped(first));
      continue;
    }
    const std::size_t table = v4_by24_.size() / 256;
    if (table >= kMaxTables) continue;  // stays kV4Unknown: the prefix tables answer
    v4_by16_[b] = static_cast<ZoneIndex>(kV4Finer + table);
    for (std::uint32_t c = 0; c < 256; ++c) {
      const std::uint32_t first24 = first | (c << 8);
      v4_by24_.push_back(uniform(first24, first24 | 0xff) ? zone_of_by_prefix(policy::ipv4_mapped(first24)) : kV4Unknown);
    }
  }
}

std::string_view AddressPlan::name(ZoneIndex z) const {
  if (z < names_.size()) return names_[z];
  if (z == unzoned()) return "(unzoned)";
  if (z == external()) return "(external)";
  if (z == local()) return "(local)";
  return "(?)";
}

const AddressPlan::Endpoint* AddressPlan::match(const Flow& flow, ZoneIndex src_zone) const {
  const auto* group = endpoint_groups_.find(flow.dst);
  if (group == nullptr) return nullptr;
  for (std::uint32_t i : *group) {
    const Endpoint& e = endpoints_[i];
    if (e.proto != 0 && e.proto != flow.proto) continue;
    if (!e.ports.empty() && std::find(e.ports.begin(), e.ports.end(), flow.dport) == e.ports.end()) continue;
    const bool serves = e.from.empty() ? src_zone != mynumber_ : std::find(e.from.begin(), e.from.end(), src_zone) != e.from.end();
    if (serves) return &e;
  }
  return nullptr;
}

bool AddressPlan::sanctioned(const Flow& flow, ZoneIndex src_zone) const { return match(flow, src_zone) != nullptr; }

std::string_view AddressPlan::sanctioning_endpoint(const Flow& flow, ZoneIndex src_zone) const {
  const Endpoint* e = match(flow, src_zone);
  return e == nullptr ? std::string_view() : std::string_view(e->id);
}

}  // namespace sanso::monitor
