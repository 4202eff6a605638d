// Synthetic policies and request streams for benchmarks: a policy with many city zones, roles and
// rules that still passes the static checks, and a reproducible sample of requests over it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "policy/decide.h"

namespace sanso::bench {

// TOML for a valid α policy with `rules` city rules over 3 + `extra_zones` zones.
std::string generated_policy_toml(int rules, int extra_zones = 20, int extra_roles = 18, std::uint32_t seed = 42);

// `count` requests drawn uniformly over zones × channels × levels × roles (role -1 = none).
std::vector<policy::Request> sample_requests(const policy::CompiledPolicy& policy, std::size_t count, std::uint32_t seed = 7);

}  // namespace sanso::bench
