// Built-in data: the national classification schemes and each model profile's default rules,
// written as TOML and parsed by the same loader as a city's own policy.
#pragma once

#include <string>
#include <string_view>

#include "policy/policy.h"

namespace sanso::policy::internal {

std::string_view builtin_schemes_toml();
// The profile's default rules and required controls (table `[profile_defaults]`).
std::string profile_toml(Profile profile);

}  // namespace sanso::policy::internal
