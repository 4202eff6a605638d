// The JSON API's responses checked against docs/api/openapi.json by tests/web/check_openapi.py
// (python3-jsonschema): shared by the API's tests (tests/web/api_test.cc, api_transfer_test.cc).
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sanso::testing {

// One response a test saw, under its path template (/api/v1/transfers/{id}).
struct ApiExchange {
  std::string method, path_template;
  int status;
  nlohmann::json body;
};

// What the checker says is wrong ("" when nothing): every body against its documented schema;
// with `cover` given, every documented operation whose path starts with one of them must have
// been exercised too.
inline std::string openapi_problems(const std::vector<ApiExchange>& exchanges, const std::filesystem::path& dir,
                                    const std::vector<std::string>& cover = {}) {
  nlohmann::json all = nlohmann::json::array();
  for (const auto& e : exchanges) all.push_back({{"method", e.method}, {"path", e.path_template}, {"status", e.status}, {"body", e.body}});
  const auto file = dir / "exchanges.json";
  std::ofstream(file) << all.dump();
  const std::string source = SANSO_SOURCE_DIR;
  std::string cmd = "python3 " + source + "/tests/web/check_openapi.py " + source + "/docs/api/openapi.json " + file.string();
  if (cover.empty()) cmd += " --partial";
  for (const auto& prefix : cover) cmd += " --cover '" + prefix + "'";
  cmd += " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return "cannot run " + cmd;
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  return ::pclose(p) == 0 ? std::string() : out;
}

}  // namespace sanso::testing
