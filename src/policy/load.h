// Loading a policy from TOML. Malformed TOML, wrong types, missing fields and unknown keys become
// diagnostics with line and column; reference and safety checks are check.h's job.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "policy/diagnostic.h"
#include "policy/policy.h"

namespace sanso::policy {

// What loading produced: the policy when it could be built, and every problem found on the way.
struct LoadResult {
  std::optional<Policy> policy;  // absent when the file is not valid TOML or lacks its skeleton
  std::vector<Diagnostic> diagnostics;
};

// Parses policy text; `source_name` is used in diagnostics. Never throws.
LoadResult load_policy(std::string_view toml_text, std::string source_name);

// Reads and parses a file. An unreadable file is an Error; everything else is in the LoadResult.
Result<LoadResult> load_policy_file(const std::string& path);

// The ids of the built-in classification schemes ("jp-2015", "jp-2024").
std::vector<std::string> builtin_scheme_ids();

}  // namespace sanso::policy
