// Small policies for tests: a minimal valid α policy that each test extends with TOML snippets.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "policy/check.h"
#include "policy/decide.h"
#include "policy/load.h"

namespace sanso::policy::testing {

inline constexpr Date kToday{2026, 11, 25};

// Three canonical zones, two roles, α profile, jp-2024 scheme. Valid with zero diagnostics.
inline std::string base_policy(std::string_view model = "alpha", std::string_view internet_controls = "\"antivirus\"") {
  return std::string(R"(
[municipality]
id = "test"
name = "テスト市"
[profile]
model = ")") + std::string(model) + R"("
[[bodies]]
id = "mayor"
name = "市長部局"
[[zones]]
id = "mynumber"
name = "マイナンバー利用事務系"
controls = ["mfa", "no_export"]
[[zones]]
id = "lgwan"
name = "LGWAN接続系"
controls = ["antivirus"]
[[zones]]
id = "internet"
name = "インターネット接続系"
controls = [)" + std::string(internet_controls) + R"(]
[[roles]]
id = "security_manager"
name = "情報セキュリティ管理者"
mfa = true
zones = ["lgwan"]
[[roles]]
id = "staff"
name = "職員"
mfa = true
zones = ["lgwan", "internet"]
)";
}

inline LoadResult load(const std::string& text) { return load_policy(text, "test.toml"); }

// Load diagnostics plus check diagnostics (checks run only when loading succeeded).
inline std::vector<Diagnostic> diagnose(const std::string& text, Date today = kToday) {
  return load_and_check_policy(text, "test.toml", today).diagnostics;
}

inline bool has_check(const std::vector<Diagnostic>& ds, std::string_view id, Severity severity = Severity::kError) {
  return std::any_of(ds.begin(), ds.end(), [&](const Diagnostic& d) { return d.check_id == id && d.severity == severity; });
}

inline const Diagnostic* find_check(const std::vector<Diagnostic>& ds, std::string_view id) {
  auto it = std::find_if(ds.begin(), ds.end(), [&](const Diagnostic& d) { return d.check_id == id; });
  return it == ds.end() ? nullptr : &*it;
}

inline std::string dump(const std::vector<Diagnostic>& ds) {
  std::string out;
  for (const Diagnostic& d : ds) out += format(d, "test.toml") + "\n";
  return out;
}

inline CompiledPolicy compile_text(const std::string& text, Date as_of = kToday) {
  LoadResult r = load(text);
  EXPECT_FALSE(has_errors(r.diagnostics)) << dump(r.diagnostics);
  auto c = CompiledPolicy::compile(std::move(*r.policy), as_of);
  EXPECT_TRUE(c.has_value()) << c.error().to_string();
  return std::move(c).value();
}

}  // namespace sanso::policy::testing
