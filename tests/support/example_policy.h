// The example city's policy (examples/minamata/policy.toml), with rules a test adds, loaded and
// compiled as a service would: what the intake and gateway tests decide with.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "core/clock.h"
#include "policy/decide.h"
#include "policy/load.h"

namespace sanso::testing {

struct ExamplePolicy {
  std::unique_ptr<policy::Policy> policy;
  std::unique_ptr<policy::CompiledPolicy> compiled;  // null when it did not load (the test has failed)
};

// `extra_rules` (TOML) are appended to the file.
inline ExamplePolicy example_policy(const std::string& extra_rules = "") {
  std::ifstream in(std::string(SANSO_SOURCE_DIR) + "/examples/minamata/policy.toml");
  std::stringstream text;
  text << in.rdbuf() << "\n" << extra_rules;
  ExamplePolicy out;
  auto loaded = policy::load_policy(text.str(), "policy.toml");
  EXPECT_TRUE(loaded.policy) << "the example policy did not load";
  if (!loaded.policy) return out;
  out.policy = std::make_unique<policy::Policy>(*loaded.policy);
  auto compiled = policy::CompiledPolicy::compile(*out.policy, system_clock().today());
  EXPECT_TRUE(compiled) << compiled.error().to_string();
  if (compiled) out.compiled = std::make_unique<policy::CompiledPolicy>(std::move(compiled).value());
  return out;
}

// The example city's service configuration (examples/minamata/sanso.toml) with its policy named by
// absolute path, for a test's own folder (its data directory is relative: beside the file).
inline std::string example_service_config() {
  std::ifstream in(std::string(SANSO_SOURCE_DIR) + "/examples/minamata/sanso.toml");
  std::stringstream text;
  text << in.rdbuf();
  std::string cfg = text.str();
  const std::string from = "policy = \"policy.toml\"";
  const auto at = cfg.find(from);
  EXPECT_NE(at, std::string::npos) << "the example configuration names no policy.toml";
  if (at != std::string::npos) cfg.replace(at, from.size(), "policy = \"" + std::string(SANSO_SOURCE_DIR) + "/examples/minamata/policy.toml\"");
  return cfg;
}

}  // namespace sanso::testing
