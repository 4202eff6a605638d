// `sanso inspect` end to end through the real binary: a campaign created, answered with evidence,
// evaluated, reported as XLSX (read back with openpyxl), signed off by someone else and locked.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/audit_records.h"
#include "support/cli_runner.h"
#include "support/test_store.h"

namespace {

namespace fs = std::filesystem;
using sanso::testing::run_sanso;

// The workbook's cells as JSON: {sheet: [[{"v": value, "t": data type}, …], …]}.
nlohmann::json read_xlsx(const fs::path& file) {
  const std::string script =
      "import json, sys, openpyxl\n"
      "wb = openpyxl.load_workbook(sys.argv[1])\n"
      "print(json.dumps({ws.title: [[{'v': c.value, 't': c.data_type} for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}))\n";
  const fs::path py = file.parent_path() / "read.py";
  std::ofstream(py) << script;
  // Debian's interpreter, where python3-openpyxl is installed (scripts/install-deps.sh), not
  // whatever python3 comes first on PATH.
  FILE* p = popen(("/usr/bin/python3 " + py.string() + " " + file.string() + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  while (p && fgets(buf, sizeof buf, p)) out += buf;
  if (p) pclose(p);
  auto j = nlohmann::json::parse(out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << out;
  return j;
}

// The first cell of a sheet whose text starts with `prefix`.
const nlohmann::json* find_cell(const nlohmann::json& sheet, const std::string& prefix) {
  for (const auto& row : sheet) {
    for (const auto& cell : row) {
      if (cell["v"].is_string() && cell["v"].get<std::string>().rfind(prefix, 0) == 0) return &cell;
    }
  }
  return nullptr;
}

class InspectCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sanso-inspect-" + sanso::testing::random_hex(4));
    fs::create_directories(dir_);
    std::ifstream in(std::string(SANSO_SOURCE_DIR) + "/examples/minamata/sanso.toml");
    std::stringstream text;
    text << in.rdbuf();
    std::string cfg = text.str();
    const std::string from = "policy = \"policy.toml\"";
    const auto at = cfg.find(from);
    ASSERT_NE(at, std::string::npos);
    cfg.replace(at, from.size(), "policy = \"" + std::string(SANSO_SOURCE_DIR) + "/examples/minamata/policy.toml\"");
    std::ofstream(dir_ / "sanso.toml") << cfg;
    config_ = " --config " + (dir_ / "sanso.toml").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  sanso::testing::CliRun inspect(const std::string& args) { return run_sanso("inspect " + args + config_); }

  fs::path dir_;
  std::string config_;
};

TEST_F(InspectCli, CampaignFromCreationToALockedSignedReport) {
  auto created = inspect("campaign create --template minamata-monthly --body mayor --period 2026-11 --assignee tanaka --as kato");
  ASSERT_EQ(created.exit_code, 0) << created.output;
  const std::string id = sanso::testing::last_line(created.output);
  EXPECT_EQ(id, "minamata-monthly:mayor:2026-11");
  auto unknown_body = inspect("campaign create --template minamata-monthly --body police --period 2026-11 --assignee tanaka --as kato");
  EXPECT_EQ(unknown_body.exit_code, 1);
  EXPECT_NE(unknown_body.output.find("inspect.unknown-body"), std::string::npos) << unknown_body.output;
  auto list = inspect("campaign list");
  EXPECT_NE(list.output.find("市長部局"), std::string::npos) << list.output;

  auto stranger = inspect("answer " + id + " monthly-incidents yes --as sato");
  EXPECT_EQ(stranger.exit_code, 1);
  EXPECT_NE(stranger.output.find("inspect.not-assignee"), std::string::npos) << stranger.output;

  // Text an attacker might plant to run as a formula when the report is opened.
  std::ofstream(dir_ / "=1+1.csv") << "a,b\n";
  ASSERT_EQ(inspect("answer " + id + " monthly-mynumber-export yes --note '=HYPERLINK(\"http://evil.example/\",\"x\")' --evidence '" +
                    (dir_ / "=1+1.csv").string() + "' --as tanaka")
                .exit_code,
            0);
  ASSERT_EQ(inspect("answer " + id + " monthly-physical no --note '@SUM(1+1)' --as tanaka").exit_code, 0);
  ASSERT_EQ(inspect("answer " + id + " monthly-incidents na --note '-2+3 件なし' --as tanaka").exit_code, 0);

  auto evaluated = inspect("evaluate " + id + " --json --as kato");
  ASSERT_LE(evaluated.exit_code, 1) << evaluated.output;
  auto results = nlohmann::json::parse(evaluated.output.substr(evaluated.output.find('[')), nullptr, false);
  ASSERT_TRUE(results.is_array()) << evaluated.output;
  std::vector<std::string> failed;
  for (const auto& r : results) {
    if (r["item"] == "release-two-person") {
      EXPECT_TRUE(r["passed"].get<bool>()) << r.dump();
    }
    if (!r["passed"].get<bool>()) failed.push_back(r["item"]);
  }

  // Signed at once: the evaluation is proved from its checkpoint with the verifier key.
  auto verified = inspect("verify " + id);
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  EXPECT_NE(verified.output.find("検証済み"), std::string::npos) << verified.output;

  EXPECT_EQ(inspect("action add " + id + " monthly-physical --owner kato --due 2099-01-31 --description 鍵を交換する --as tanaka").exit_code, 0);
  // Which policy-based items fail depends on today's date (review and exception expiry): each gets its action.
  for (const auto& item : failed) {
    ASSERT_EQ(inspect("action add " + id + " " + item + " --owner kato --due 2099-01-31 --description 対応する --as tanaka").exit_code, 0);
  }

  auto self = inspect("signoff " + id + " --as tanaka");
  EXPECT_EQ(self.exit_code, 1);
  EXPECT_NE(self.output.find("inspect.same-person"), std::string::npos) << self.output;
  // Claiming another name from the account that answered is still the one who answered.
  auto same_account = inspect("signoff " + id + " --note 確認済み --as suzuki");
  EXPECT_EQ(same_account.exit_code, 1);
  EXPECT_NE(same_account.output.find("inspect.same-person"), std::string::npos) << same_account.output;
  // suzuki signs off from an operating-system account of her own.
  std::string why;
  const std::string suzukis_account = sanso::testing::other_account_prefix(1001, &why);
  if (suzukis_account.empty()) GTEST_SKIP() << why;
  auto signed_off = run_sanso("inspect signoff " + id + " --note 確認済み --as suzuki" + config_, suzukis_account);
  ASSERT_EQ(signed_off.exit_code, 0) << signed_off.output;
  auto locked = inspect("answer " + id + " monthly-incidents yes --as tanaka");
  EXPECT_EQ(locked.exit_code, 1);
  EXPECT_NE(locked.output.find("inspect.locked"), std::string::npos) << locked.output;

  const fs::path xlsx = dir_ / "report.xlsx";
  auto report = inspect("report " + id + " --format xlsx -o " + xlsx.string());
  ASSERT_EQ(report.exit_code, 0) << report.output;
  EXPECT_FALSE(fs::exists(xlsx.string() + ".tmp"));
  const auto book = read_xlsx(xlsx);
  ASSERT_TRUE(book.contains("点検表") && book.contains("集計") && book.contains("是正措置")) << book.dump();
  const auto& sheet = book["点検表"];
  EXPECT_NE(find_cell(sheet, "市長部局"), nullptr);
  for (const std::string text : {"=HYPERLINK(", "@SUM(1+1)", "-2+3 件なし", "=1+1.csv（証跡"}) {
    const nlohmann::json* cell = find_cell(sheet, text);
    ASSERT_NE(cell, nullptr) << text << " in " << sheet.dump();
    EXPECT_EQ((*cell)["t"], "s") << text << " must be a string cell, not a formula";
  }
  EXPECT_NE(find_cell(sheet, "いいえ"), nullptr);
  EXPECT_NE(find_cell(sheet, "該当なし"), nullptr);
  const nlohmann::json* release_row = find_cell(sheet, "release-two-person");
  ASSERT_NE(release_row, nullptr);
  EXPECT_NE(find_cell(sheet, "評価 #"), nullptr) << "automatic items cite their inspect.evaluate entry";
  EXPECT_NE(find_cell(book["是正措置"], "鍵を交換する"), nullptr) << book["是正措置"].dump();
  const nlohmann::json* summary_body = find_cell(book["集計"], "市長部局");
  ASSERT_NE(summary_body, nullptr) << book["集計"].dump();

  for (const char* action : {"inspect.campaign.create", "inspect.answer", "inspect.evidence.add", "inspect.evaluate", "inspect.action.add",
                             "inspect.signoff"}) {
    EXPECT_FALSE(sanso::testing::exported_audit_records(config_, action).empty()) << action;
  }
}

TEST_F(InspectCli, HostileTemplatesAndReportFormatsAreRefused) {
  fs::create_directories(dir_ / "templates");
  fs::copy_file(std::string(SANSO_SOURCE_DIR) + "/examples/minamata/inspection/clauses.toml", dir_ / "templates/clauses.toml");
  std::ofstream(dir_ / "templates/bad.toml") << "[template]\nid = \"bad\"\ntitle = \"x\"\nperiod = \"monthly\"\n"
                                                 "[[items]]\nid = \"a\"\nclause = \"11(1)\"\nquestion = \"q\"\nkind = \"manual\"\n";
  auto bad = inspect("campaign create --template bad --body mayor --period 2026-11 --assignee tanaka --templates " +
                     (dir_ / "templates").string() + " --as kato");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("bad.toml:7:10"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("inspect.unknown-clause"), std::string::npos) << bad.output;
  auto pdf = inspect("report x --format pdf -o " + (dir_ / "r.pdf").string());
  EXPECT_EQ(pdf.exit_code, 1);
  EXPECT_NE(pdf.output.find("inspect.report-format"), std::string::npos) << pdf.output;
}

}  // namespace
