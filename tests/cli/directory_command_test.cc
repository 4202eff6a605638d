// `sanso directory test` against a private slapd: what an administrator sees when checking the
// [directory] section of sanso.toml.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/cli_runner.h"
#include "support/files.h"
#include "support/slapd_server.h"

namespace {

namespace fs = std::filesystem;
using sanso::testing::run_sanso;

TEST(DirectoryCli, ShowsTheGroupsRolesAndZoneOfAPersonAndRefusesAWrongPassword) {
  const fs::path dir = fs::temp_directory_path() / ("sanso-dircli-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  sanso::testing::SlapdServer ldap(dir / "slapd", sanso::testing::kCityDirectory);
  if (!ldap.available()) GTEST_SKIP() << "slapd or openssl is not installed (scripts/install-deps.sh installs them)";
  std::string cfg = sanso::testing::read_file(std::string(SANSO_SOURCE_DIR) + "/examples/minamata/sanso.toml");
  const std::string from = "policy = \"policy.toml\"";
  cfg.replace(cfg.find(from), from.size(), "policy = \"" + std::string(SANSO_SOURCE_DIR) + "/examples/minamata/policy.toml\"");
  cfg += "\n[directory]\nuri = \"" + ldap.ldap_uri() + "\"\ntransport = \"starttls\"\nca_file = \"" + ldap.ca_file() +
         "\"\nbind_template = \"uid={user},ou=people,dc=city,dc=example\"\nbase_dn = \"dc=city,dc=example\"\n"
         "[[directory.groups]]\ndn = \"cn=security-managers,ou=groups,dc=city,dc=example\"\nroles = [\"security_manager\"]\nzone = \"lgwan\"\n";
  std::ofstream(dir / "sanso.toml") << cfg;
  const std::string config = " --config " + (dir / "sanso.toml").string();
  std::ofstream(dir / "pw") << "tanaka-pass\n";
  std::ofstream(dir / "wrong") << "guess\n";

  auto shown = run_sanso("directory test tanaka" + config + " < " + (dir / "pw").string());
  EXPECT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_NE(shown.output.find("uid=tanaka,ou=people,dc=city,dc=example"), std::string::npos) << shown.output;
  EXPECT_NE(shown.output.find("情報セキュリティ管理者 (security_manager)"), std::string::npos) << shown.output;
  EXPECT_NE(shown.output.find("acts from: lgwan"), std::string::npos) << shown.output;
  EXPECT_EQ(shown.output.find("tanaka-pass"), std::string::npos) << "the password is never echoed";

  auto json = run_sanso("directory test tanaka --json" + config + " < " + (dir / "pw").string());
  ASSERT_EQ(json.exit_code, 0) << json.output;
  auto j = nlohmann::json::parse(json.output);
  EXPECT_EQ(j["roles"], nlohmann::json::array({"security_manager"}));
  EXPECT_EQ(j["display_name"], "田中 一郎");

  auto wrong = run_sanso("directory test tanaka" + config + " < " + (dir / "wrong").string());
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.output.find("directory.bad-credentials"), std::string::npos) << wrong.output;
  fs::remove_all(dir);
}

}  // namespace
