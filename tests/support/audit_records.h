// The audit log as an auditor exports it (`sanso audit export`, JSON lines), filtered by action:
// what the CLI and gateway tests check their decisions against.
#pragma once

#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "support/cli_runner.h"

namespace sanso::testing {

// `service_flags` is e.g. " --config /tmp/x/sanso.toml".
inline std::vector<nlohmann::json> exported_audit_records(const std::string& service_flags, const std::string& action) {
  std::vector<nlohmann::json> out;
  std::istringstream lines(run_sanso("audit export" + service_flags).output);
  std::string line;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("action", "") == action) out.push_back(std::move(j));
  }
  return out;
}

}  // namespace sanso::testing
