// The `sanso policy` commands as an administrator runs them: real process, real files, exit codes.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "support/cli_runner.h"

namespace {

const std::string kExample = std::string(SANSO_SOURCE_DIR) + "/examples/minamata/";

using sanso::testing::CliRun;

// A rule that stops files from the internet into LGWAN: one decision changes.
constexpr const char* kNoInboundFiles = R"(
[[rules]]
id = "city.no-inbound-files"
from = "internet"
to = "lgwan"
channels = ["file"]
action = "deny"
clause = "6(3)②"
reason = "ファイル取込の停止"
)";

CliRun sanso(const std::string& args) { return sanso::testing::run_sanso(args); }

TEST(PolicyCheck, CleanExampleExitsZero) {
  CliRun r = sanso("policy check " + kExample + "policy.toml --today 2026-11-25");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("0 error(s), 0 warning(s)"), std::string::npos) << r.output;
}

TEST(PolicyCheck, ErrorsArePrintedWithPositionsAndExitOne) {
  const std::string file = std::string(SANSO_SOURCE_DIR) + "/tests/data/policy/malformed/04-misspelt-key.toml";
  CliRun r = sanso("policy check " + file);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find(file + ":12:1: error: unknown key 'max_confidentialty'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[unknown-key]"), std::string::npos);
  CliRun j = sanso("policy check --json " + file);
  EXPECT_EQ(j.exit_code, 1);
  auto parsed = nlohmann::json::parse(j.output);
  ASSERT_FALSE(parsed.empty());
  EXPECT_EQ(parsed[0]["line"], 12);
  EXPECT_EQ(parsed[0]["check"], "unknown-key");
}

TEST(PolicyCheck, MissingFileExitsOne) {
  CliRun r = sanso("policy check /nonexistent.toml");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("cannot open the policy file"), std::string::npos) << r.output;
}

TEST(PolicyDecide, PrintsActionRuleClauseReason) {
  CliRun r = sanso("policy decide " + kExample + "policy.toml --from internet --to lgwan --channel mail --today 2026-11-25");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.rfind("sanitize rule=profile.inet-lgwan-mail clause=6(3)② インターネットメール", 0), 0u) << r.output;
}

TEST(PolicyDecide, JsonOutput) {
  CliRun r = sanso("policy decide " + kExample +
                "policy.toml --from mynumber --to internet --channel file --asset tax_ledger --json --lang en --today 2026-11-25");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["action"], "deny");
  EXPECT_EQ(j["rule"], "profile.mynumber-egress");
  EXPECT_EQ(j["clause"], "6(3)①");
  EXPECT_EQ(j["default"], false);
  EXPECT_EQ(j["reason"], "The Individual Number zone does not communicate with other zones");
}

TEST(PolicyDecide, UsageErrorsExitTwo) {
  CliRun unknown = sanso("policy decide " + kExample + "policy.toml --from internet --to intranet --channel mail");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.output.find("unknown to zone 'intranet'"), std::string::npos) << unknown.output;
  EXPECT_EQ(sanso("policy decide " + kExample + "policy.toml --from internet --channel mail").exit_code, 2);
  EXPECT_EQ(sanso("policy decide " + kExample + "policy.toml --from a --to b --channel mail --lang fr").exit_code, 2);
  EXPECT_EQ(sanso("policy nosuch").exit_code, 2);
  EXPECT_EQ(sanso("").exit_code, 2);
  // A bad --today is a usage error for every subcommand.
  EXPECT_EQ(sanso("policy decide " + kExample + "policy.toml --from internet --to lgwan --channel mail --today 2026-13-01").exit_code, 2);
  EXPECT_EQ(sanso("policy check " + kExample + "policy.toml --today 2026-02-30").exit_code, 2);
}

TEST(PolicyDecide, BrokenPolicyRefusesToDecide) {
  CliRun r = sanso("policy decide " + std::string(SANSO_SOURCE_DIR) + "/tests/data/policy/malformed/05-unknown-action.toml --from a --to b --channel mail");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("unknown action 'permit'"), std::string::npos) << r.output;
}

TEST(PolicyTest, ExampleCasesPass) {
  CliRun r = sanso("policy test " + kExample + "policy.toml " + kExample + "policy-tests.toml");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(" passed, 0 failed"), std::string::npos) << r.output;
}

TEST(PolicyTest, FailingCaseExitsOne) {
  const auto path = std::filesystem::temp_directory_path() / "sanso-cli-failing-cases.toml";
  std::ofstream(path) << "today = 2026-11-25\n[[cases]]\nname = \"wrong\"\nfrom = \"internet\"\nto = \"lgwan\"\nchannel = \"mail\"\nexpect = \"allow\"\n";
  CliRun r = sanso("policy test " + kExample + "policy.toml " + path.string());
  std::filesystem::remove(path);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("FAIL wrong"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("0 passed, 1 failed"), std::string::npos);
}

TEST(PolicyExplain, JapaneseTableAndJson) {
  CliRun r = sanso("policy explain " + kExample + "policy.toml --lang ja --today 2026-11-25");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("水俣市 通信判定表"), std::string::npos) << r.output.substr(0, 400);
  CliRun j = sanso("policy explain " + kExample + "policy.toml --format json --cross-zone-only --today 2026-11-25");
  EXPECT_EQ(j.exit_code, 0);
  EXPECT_TRUE(nlohmann::json::parse(j.output).is_array());
}

TEST(PolicyGraph, WritesSvg) {
  const auto path = std::filesystem::temp_directory_path() / "sanso-cli-zones.svg";
  std::filesystem::remove(path);
  CliRun r = sanso("policy graph " + kExample + "policy.toml -o " + path.string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(std::filesystem::exists(path));
  EXPECT_GT(std::filesystem::file_size(path), 1000u);
  std::filesystem::remove(path);
  EXPECT_EQ(sanso("policy graph " + kExample + "policy.toml -o /nonexistent/dir/z.svg").exit_code, 1);
}

TEST(PolicyRules, ListsRulesInForceAsJson) {
  CliRun r = sanso("policy rules " + kExample + "policy.toml --today 2026-11-25");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["zones"].size(), 4u);
  ASSERT_FALSE(j["rules"].empty());
  EXPECT_EQ(j["rules"][0]["id"], "city.eltax-import");  // the exception comes first
  // After the exception expires it is no longer in force.
  CliRun later = sanso("policy rules " + kExample + "policy.toml --today 2027-04-01");
  EXPECT_EQ(later.output.find("city.eltax-import"), std::string::npos);
}

TEST(PolicyDiff, SaysWhichDecisionsANewPolicyChangesAndExitsOneWhenAskedTo) {
  const auto dir = std::filesystem::temp_directory_path() / ("sanso-cli-diff-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ifstream in(kExample + "policy.toml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto newer = dir / "new.toml";
  std::ofstream(newer) << text << kNoInboundFiles;
  const std::string old_file = kExample + "policy.toml";
  CliRun same = sanso("policy diff " + old_file + " " + old_file + " --exit-code --today 2026-11-25");
  EXPECT_EQ(same.exit_code, 0) << same.output;
  EXPECT_NE(same.output.find("違いはありません"), std::string::npos) << same.output;
  CliRun text_run = sanso("policy diff " + old_file + " " + newer.string() + " --exit-code --today 2026-11-25");
  EXPECT_EQ(text_run.exit_code, 1);
  EXPECT_NE(text_run.output.find("インターネット接続系→LGWAN接続系 ファイル: 無害化 → 拒否（すべて）"), std::string::npos) << text_run.output;
  CliRun json = sanso("policy diff " + old_file + " " + newer.string() + " --json --today 2026-11-25");
  EXPECT_EQ(json.exit_code, 0) << "without --exit-code a difference is a success";
  auto j = nlohmann::json::parse(json.output);
  ASSERT_EQ(j["decisions"].size(), 1u) << json.output;
  EXPECT_EQ(j["decisions"][0]["after"]["rule"], "city.no-inbound-files");
  // A broken new policy is an error, not "no change".
  std::ofstream(dir / "broken.toml") << "[[rules]]\nid = 1\n";
  CliRun broken = sanso("policy diff " + old_file + " " + (dir / "broken.toml").string() + " --exit-code");
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.output.find("broken.toml"), std::string::npos) << broken.output;
  std::filesystem::remove_all(dir);
}

// Every policy that took effect is kept: a command that loads the service's policy keeps a new
// text as a version; `policy versions` lists them and `policy diff` compares kept versions.
TEST(PolicyVersions, EachPolicyThatTookEffectIsKeptListedAndComparable) {
  const auto dir = std::filesystem::temp_directory_path() / ("sanso-cli-versions-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ifstream in(kExample + "policy.toml");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(dir / "policy.toml") << text;
  std::ofstream(dir / "sanso.toml") << "[service]\nnode = \"gw-test\"\ndata_dir = \"data\"\npolicy = \"policy.toml\"\n";
  const std::string config = " --config " + (dir / "sanso.toml").string();

  CliRun first = sanso("policy versions --json" + config);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  auto v = nlohmann::json::parse(first.output.substr(first.output.find('[')));
  ASSERT_EQ(v.size(), 1u) << first.output;
  EXPECT_EQ(v[0]["number"], 1);
  EXPECT_EQ(v[0]["seen_by"], "gw-test");
  const std::string first_sha = v[0]["sha256"];

  // The city changes its policy; the next command that loads it keeps the new text.
  std::ofstream(dir / "policy.toml") << text << kNoInboundFiles;
  CliRun listed = sanso("policy versions" + config);
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_NE(listed.output.find("@1"), std::string::npos) << listed.output;
  EXPECT_NE(listed.output.find("@2"), std::string::npos) << listed.output;
  EXPECT_NE(listed.output.find(first_sha.substr(0, 16)), std::string::npos) << listed.output;

  CliRun diff = sanso("policy diff @1 @2 --exit-code --today 2026-11-25" + config);
  EXPECT_EQ(diff.exit_code, 1) << diff.output;
  EXPECT_NE(diff.output.find("インターネット接続系→LGWAN接続系 ファイル: 無害化 → 拒否（すべて）"), std::string::npos) << diff.output;
  CliRun by_hash = sanso("policy diff @" + first_sha.substr(0, 8) + " " + (dir / "policy.toml").string() + " --json --today 2026-11-25" + config);
  ASSERT_EQ(by_hash.exit_code, 0) << by_hash.output;
  EXPECT_EQ(nlohmann::json::parse(by_hash.output)["decisions"].size(), 1u) << by_hash.output;

  CliRun missing = sanso("policy diff @7 @1 --today 2026-11-25" + config);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("audit.no-version"), std::string::npos) << missing.output;

  // Back to the first text: no third version.
  std::ofstream(dir / "policy.toml") << text;
  CliRun again = sanso("policy versions --json" + config);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(nlohmann::json::parse(again.output.substr(again.output.find('['))).size(), 2u) << again.output;
  std::filesystem::remove_all(dir);
}

TEST(Cli, HelpAndVersion) {
  EXPECT_EQ(sanso("--help").exit_code, 0);
  EXPECT_EQ(sanso("policy decide --help").exit_code, 0);
  CliRun v = sanso("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.output.find("sanso"), std::string::npos);
}

}  // namespace
