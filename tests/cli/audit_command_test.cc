// `sanso audit` end to end: quarantine actions land in the log, proofs verify independently,
// and tampering with the database is reported with its kind and first bad index.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "audit/merkle.h"
#include "store/database.h"
#include "support/cli_runner.h"
#include "support/test_store.h"

namespace {

namespace fs = std::filesystem;
using sanso::testing::run_sanso;

class AuditCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sanso-audit-cli-" + sanso::testing::random_hex(4));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "sanso.toml") << "[service]\nnode = \"gw-test\"\ndata_dir = \"data\"\npolicy = \"" << SANSO_SOURCE_DIR
                                       << "/examples/minamata/policy.toml\"\n[audit]\ncheckpoint_every = 1000\n"
                                          "checkpoint_seconds = 100000\n[[users]]\nname = \"tanaka\"\nroles = [\"security_manager\"]\n"
                                          "[[users]]\nname = \"sato\"\nroles = [\"staff\"]\n";
    config_ = " --config " + (dir_ / "sanso.toml").string();
    std::ofstream(dir_ / "f.txt") << "suspicious";
  }
  void TearDown() override { fs::remove_all(dir_); }

  sanso::testing::CliRun sanso(const std::string& args) { return run_sanso(args + config_); }

  // Eight entries: the policy and sanso.toml seen for the first time, the policy's text kept as
  // its version 1, then five quarantine actions (store, request, deny, two more stores).
  void make_history() {
    auto add = sanso("quarantine add " + (dir_ / "f.txt").string() + " --as tanaka");
    ASSERT_EQ(add.exit_code, 0) << add.output;
    std::string id = sanso::testing::last_line(add.output);
    ASSERT_EQ(sanso("quarantine request-release " + id + " --reason r --as sato").exit_code, 0);
    ASSERT_EQ(sanso("quarantine deny " + id + " --as tanaka").exit_code, 0);
    ASSERT_EQ(sanso("quarantine add " + (dir_ / "f.txt").string() + " --as sato").exit_code, 0);
    ASSERT_EQ(sanso("quarantine add " + (dir_ / "f.txt").string() + " --as sato").exit_code, 0);
  }

  std::unique_ptr<sanso::store::Database> db() {
    return std::move(sanso::store::open_database({sanso::store::Backend::kSqlite, (dir_ / "data" / "sanso.db").string()})).value();
  }

  fs::path dir_;
  std::string config_;
};

TEST_F(AuditCli, KeygenPrintsAVerifierKeyAndRefusesToOverwrite) {
  auto k = sanso("audit keygen");
  ASSERT_EQ(k.exit_code, 0) << k.output;
  EXPECT_NE(k.output.find("minamata/sanso/audit+"), std::string::npos) << k.output;
  auto again = sanso("audit keygen");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.output.find("--force"), std::string::npos);
  auto pub = sanso("audit pubkey");
  EXPECT_EQ(pub.exit_code, 0);
  EXPECT_NE(k.output.find(pub.output.substr(0, pub.output.size() - 1)), std::string::npos);
  EXPECT_EQ(fs::status(dir_ / "data" / "audit.key").permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(AuditCli, ProofsFromTheCliVerifyIndependently) {
  make_history();
  auto tail = sanso("audit tail -n 10");
  EXPECT_NE(tail.output.find("quarantine.request-release"), std::string::npos) << tail.output;
  EXPECT_NE(tail.output.find("quarantine.deny"), std::string::npos);
  auto cp = sanso("audit checkpoint -o " + (dir_ / "cp.note").string());
  ASSERT_EQ(cp.exit_code, 0) << cp.output;
  for (int index = 0; index < 8; ++index) {
    auto r = sanso("audit prove " + std::to_string(index) + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto j = nlohmann::json::parse(r.output);
    EXPECT_EQ(j["tree_size"], 8);
    auto leaf = sanso::audit::hash_from_base64(j["leaf_hash"].get<std::string>());
    auto root = sanso::audit::hash_from_base64(j["root_hash"].get<std::string>());
    ASSERT_TRUE(leaf && root);
    EXPECT_EQ(*leaf, sanso::audit::leaf_hash(j["record"].get<std::string>()));
    std::vector<sanso::audit::Hash> proof;
    for (const auto& h : j["proof"]) proof.push_back(*sanso::audit::hash_from_base64(h.get<std::string>()));
    EXPECT_TRUE(sanso::audit::verify_inclusion(static_cast<std::uint64_t>(index), 8, *leaf, proof, *root));
    EXPECT_NE(j["checkpoint"].get<std::string>().find(j["root_hash"].get<std::string>()), std::string::npos);
  }
  EXPECT_EQ(sanso("audit prove 8").exit_code, 1);
  auto v = sanso("audit verify --json --checkpoint " + (dir_ / "cp.note").string());
  ASSERT_EQ(v.exit_code, 0) << v.output;
  EXPECT_EQ(nlohmann::json::parse(v.output)["entries"], 8);
  ASSERT_EQ(sanso("quarantine add " + (dir_ / "f.txt").string() + " --as sato").exit_code, 0);
  ASSERT_EQ(sanso("audit checkpoint").exit_code, 0);
  auto c = sanso("audit consistency " + (dir_ / "cp.note").string() + " --json");
  ASSERT_EQ(c.exit_code, 0) << c.output;
  auto cj = nlohmann::json::parse(c.output);
  EXPECT_EQ(cj["old_size"], 8);
  EXPECT_EQ(cj["new_size"], 9);
  EXPECT_EQ(cj["consistent"], true);
}

TEST_F(AuditCli, TamperingIsReportedWithItsKindAndIndex) {
  make_history();
  ASSERT_EQ(sanso("audit checkpoint -o " + (dir_ / "cp.note").string()).exit_code, 0);
  ASSERT_TRUE(db()->execute("DELETE FROM audit_entries WHERE idx = 4"));
  auto v = sanso("audit verify --json");
  EXPECT_EQ(v.exit_code, 1);
  auto j = nlohmann::json::parse(v.output);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["problem"], "deleted");
  EXPECT_EQ(j["first_bad_index"], 4);
  auto text = sanso("audit verify");
  EXPECT_NE(text.output.find("改ざんを検出しました: deleted (最初の不正エントリ #4)"), std::string::npos) << text.output;
}

TEST_F(AuditCli, ChangesOfThePolicyAndTheConfigurationAreRecorded) {
  fs::copy_file(std::string(SANSO_SOURCE_DIR) + "/examples/minamata/policy.toml", dir_ / "policy.toml");
  std::string cfg;
  {
    std::ifstream in(dir_ / "sanso.toml");
    cfg.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  cfg.replace(cfg.find("policy = \""), cfg.find('\n', cfg.find("policy = \"")) - cfg.find("policy = \""), "policy = \"policy.toml\"");
  std::ofstream(dir_ / "sanso.toml") << cfg;
  ASSERT_EQ(sanso("quarantine list").exit_code, 0);
  ASSERT_EQ(sanso("quarantine list").exit_code, 0);  // nothing changed: nothing recorded
  std::ofstream(dir_ / "policy.toml", std::ios::app) << "\n# 2026-11-25 情報政策係: コメントを追加\n";
  ASSERT_EQ(sanso("quarantine list").exit_code, 0);
  auto jsonl = sanso("audit export");
  std::istringstream lines(jsonl.output);
  std::string line;
  std::vector<nlohmann::json> records;
  while (std::getline(lines, line)) records.push_back(nlohmann::json::parse(line));
  // Each policy text that takes effect is also kept as a version (policy.version, clause 8).
  ASSERT_EQ(records.size(), 5u) << jsonl.output;
  EXPECT_EQ(records[0]["action"], "policy.change");
  EXPECT_EQ(records[1]["action"], "config.change");
  EXPECT_EQ(records[2]["action"], "policy.version");
  EXPECT_EQ(records[2]["details"]["version"], "1");
  EXPECT_EQ(records[3]["action"], "policy.change");
  EXPECT_EQ(records[3]["outcome"], "changed");
  EXPECT_EQ(records[3]["input_sha256"], records[0]["output_sha256"]);
  EXPECT_NE(records[3]["output_sha256"], records[0]["output_sha256"]);
  EXPECT_EQ(records[4]["action"], "policy.version");
  EXPECT_EQ(records[4]["details"]["version"], "2");
  EXPECT_EQ(records[4]["output_sha256"], records[3]["output_sha256"]);
}

TEST_F(AuditCli, ExportForAuditors) {
  make_history();
  auto jsonl = sanso("audit export --format jsonl --from 2000-01-01 --to 2100-01-01");
  ASSERT_EQ(jsonl.exit_code, 0) << jsonl.output;
  EXPECT_EQ(std::count(jsonl.output.begin(), jsonl.output.end(), '\n'), 8);
  auto first = nlohmann::json::parse(jsonl.output.substr(0, jsonl.output.find('\n')));
  EXPECT_EQ(first["action"], "policy.change");
  EXPECT_EQ(first["outcome"], "first-seen");
  std::istringstream lines(jsonl.output);
  std::string line;
  std::vector<nlohmann::json> records;
  while (std::getline(lines, line)) records.push_back(nlohmann::json::parse(line));
  EXPECT_EQ(records[2]["action"], "policy.version");
  EXPECT_EQ(records[3]["action"], "quarantine.store");
  EXPECT_EQ(records[3]["actor"], "tanaka");
  auto csv = sanso("audit export --format csv -o " + (dir_ / "a.csv").string());
  ASSERT_EQ(csv.exit_code, 0) << csv.output;
  std::ifstream in(dir_ / "a.csv", std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(content.starts_with("\xEF\xBB\xBFseq,time,node,actor,action")) << content.substr(0, 40);
  EXPECT_EQ(std::count(content.begin(), content.end(), '\n'), 9);
  auto none = sanso("audit export --from 2000-01-01 --to 2000-01-02");
  EXPECT_EQ(none.exit_code, 0);
  EXPECT_TRUE(none.output.empty()) << none.output;
  EXPECT_EQ(sanso("audit export --from yesterday").exit_code, 1);
}

// RFC 4180 rows, quoted fields unquoted.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string cell;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(std::move(cell));
      cell.clear();
    } else if (c == '\n') {
      rows.back().push_back(std::move(cell));
      cell.clear();
      rows.emplace_back();
    } else if (c != '\r') {
      cell += c;
    }
  }
  if (!cell.empty()) rows.back().push_back(std::move(cell));
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

// A file name (or a Message-ID) such as =HYPERLINK(…) became a live formula when an auditor
// opened the export in LibreOffice.
TEST_F(AuditCli, CsvExportNeutralisesCellsASpreadsheetWouldRun) {
  fs::create_directories(dir_ / "in");
  // (A file name cannot hold '/', so the link has no scheme; LibreOffice follows it all the same.)
  const std::string hostile[] = {"=HYPERLINK(\"evil.example\",\"x\").txt", "@SUM(1+1).txt", "-2+3.txt", "+cmd.txt", "＝1+1.txt"};
  std::string inputs;  // each file by itself: its record's subject is then its bare name
  for (const auto& name : hostile) {
    std::ofstream(dir_ / "in" / name) << "plain text";
    inputs += " '" + (dir_ / "in" / name).string() + "'";
  }
  auto r = sanso("file sanitize" + inputs + " -o '" + (dir_ / "out").string() + "' --as tanaka");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto csv = sanso("audit export --format csv --no-bom");
  ASSERT_EQ(csv.exit_code, 0) << csv.output;
  auto rows = parse_csv(csv.output);
  std::set<std::string> cells;
  for (const auto& row : rows) {
    for (const auto& cell : row) {
      cells.insert(cell);
      if (cell.empty()) continue;
      bool plain_number = cell.find_first_not_of("+-0123456789.,") == std::string::npos && cell.find_first_of("0123456789") != std::string::npos;
      EXPECT_FALSE(cell[0] == '=' || cell[0] == '@' || cell[0] == '\t' || cell[0] == '\r' || ((cell[0] == '+' || cell[0] == '-') && !plain_number))
          << "a spreadsheet would run: " << cell;
    }
  }
  for (const auto& name : hostile) EXPECT_TRUE(cells.count("'" + name)) << name << " is missing, or not marked as text";
}

}  // namespace
