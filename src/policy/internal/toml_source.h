// Position of a toml++ node as a SourceLoc, for the two readers of TOML (policy and cases).
// Private to src/policy: it pulls in toml++, which only load.cc and cases.cc may include.
#pragma once

#include <cstdint>

#define TOML_EXCEPTIONS 1
#include <toml++/toml.h>

#include "policy/policy.h"

namespace sanso::policy::internal {

inline SourceLoc loc_of(const toml::source_region& r) {
  return SourceLoc{static_cast<std::uint32_t>(r.begin.line), static_cast<std::uint32_t>(r.begin.column)};
}

}  // namespace sanso::policy::internal
