// `sanso inspect` end to end through the real binary: a campaign created, answered with evidence,
// evaluated, reported as XLSX (read back with openpyxl), signed off by someone else and locked.
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "support/audit_records.h"
#include "support/cli_runner.h"
#include "support/example_policy.h"
#include "support/pdf_text.h"
#include "support/xlsx_cells.h"
#include "support/test_store.h"

namespace {

namespace fs = std::filesystem;
using sanso::testing::find_cell;
using sanso::testing::read_xlsx;
using sanso::testing::run_sanso;

class InspectCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sanso-inspect-" + sanso::testing::random_hex(4));
    fs::create_directories(dir_);
    std::string cfg = sanso::testing::example_service_config();
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
  // And by the audit log's own tool: `sanso audit prove` proves each evaluation's record from the
  // checkpoint signed right after it, as an auditor would without the inspection's commands.
  for (const auto& r : results) {
    const auto index = r["audit_index"].get<std::uint64_t>();
    auto proved = run_sanso("audit prove " + std::to_string(index) + " --json" + config_);
    ASSERT_EQ(proved.exit_code, 0) << proved.output;
    auto j = nlohmann::json::parse(proved.output.substr(proved.output.find('{')), nullptr, false);
    ASSERT_TRUE(j.is_object()) << proved.output;
    EXPECT_EQ(j["index"].get<std::uint64_t>(), index) << proved.output;
    EXPECT_NE(j["record"].get<std::string>().find("\"inspect.evaluate\""), std::string::npos) << proved.output;
    EXPECT_NE(j["checkpoint"].get<std::string>().find(j["root_hash"].get<std::string>()), std::string::npos) << proved.output;
  }

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

  // The same report printed to PDF by Chromium in the converter sandbox, read back by pdftotext.
  if (::access("/usr/lib/chromium/chromium", X_OK) == 0 && ::access(sanso::testing::kPdfToText, X_OK) == 0) {
    const fs::path pdf = dir_ / "report.pdf";
    auto printed = inspect("report " + id + " --format pdf -o " + pdf.string());
    ASSERT_EQ(printed.exit_code, 0) << printed.output;
    const std::string text = sanso::testing::pdf_text(pdf);
    EXPECT_NE(text.find("市長部局"), std::string::npos) << text;
    EXPECT_NE(text.find("鍵を交換する"), std::string::npos) << text;
    EXPECT_NE(text.find("監査ログの検証"), std::string::npos) << text;
  }
  auto bad_format = inspect("report " + id + " --format docx -o " + (dir_ / "r.docx").string());
  EXPECT_EQ(bad_format.exit_code, 1);
  EXPECT_NE(bad_format.output.find("inspect.report-format"), std::string::npos) << bad_format.output;

  for (const char* action : {"inspect.campaign.create", "inspect.answer", "inspect.evidence.add", "inspect.evaluate", "inspect.action.add",
                             "inspect.signoff"}) {
    EXPECT_FALSE(sanso::testing::exported_audit_records(config_, action).empty()) << action;
  }
}

// Campaigns per section (課/係): two sections of one body for the same month, shown in the list and
// in the report (the 点検表's header and one line each in the summary); hostile section text refused.
// One assignee per item through the binary: assigned with `inspect assign`, shown by `inspect
// items`, answered only by that person (or an inspector), named in the 点検表's 担当 column.
TEST_F(InspectCli, AnItemIsAssignedToOnePersonShownAnsweredByThemAndReported) {
  auto created = inspect("campaign create --template minamata-monthly --body mayor --period 2026-11 --assignee tanaka --as kato");
  ASSERT_EQ(created.exit_code, 0) << created.output;
  const std::string id = sanso::testing::last_line(created.output);
  auto unknown = inspect("assign " + id + " monthly-incidents nobody --as tanaka");
  EXPECT_TRUE(sanso::testing::refused_with(unknown, "inspect.unknown-person")) << unknown.output;
  auto not_allowed = inspect("assign " + id + " monthly-incidents sato --as suzuki");
  EXPECT_TRUE(sanso::testing::refused_with(not_allowed, "inspect.not-assignee")) << not_allowed.output;
  auto assigned = inspect("assign " + id + " monthly-incidents sato --as tanaka");
  ASSERT_EQ(assigned.exit_code, 0) << assigned.output;
  EXPECT_NE(assigned.output.find("monthly-incidents → sato"), std::string::npos) << assigned.output;

  auto items = inspect("items " + id + " --json");
  ASSERT_EQ(items.exit_code, 0) << items.output;
  const auto listed = nlohmann::json::parse(items.output.substr(items.output.find('[')), nullptr, false);
  ASSERT_FALSE(listed.is_discarded()) << items.output;
  for (const auto& item : listed) {
    if (item["item"] == "monthly-incidents") EXPECT_EQ(item["assignee"], "sato");
    else if (item["manual"].get<bool>()) EXPECT_EQ(item["assignee"], "tanaka") << item.dump();
  }
  // suzuki holds no inspector role: someone else's item is refused.
  auto other = inspect("answer " + id + " monthly-incidents yes --as suzuki");
  EXPECT_TRUE(sanso::testing::refused_with(other, "inspect.not-assignee")) << other.output;
  EXPECT_NE(other.output.find("sato"), std::string::npos) << other.output;
  ASSERT_EQ(inspect("answer " + id + " monthly-incidents yes --as sato").exit_code, 0);
  // kato holds system_admin, one of [quarantine] inspector_roles: answers anyone's item.
  ASSERT_EQ(inspect("answer " + id + " monthly-physical yes --as kato").exit_code, 0);

  const fs::path xlsx = dir_ / "assigned.xlsx";
  ASSERT_EQ(inspect("report " + id + " --format xlsx -o " + xlsx.string()).exit_code, 0);
  const auto book = read_xlsx(xlsx);
  const auto& sheet = book["点検表"];
  bool found = false;
  for (const auto& row : sheet) {
    if (row.size() < 10 || row[0]["v"] != "monthly-incidents") continue;
    found = true;
    EXPECT_EQ(row[9]["v"], "sato") << row.dump();
  }
  EXPECT_TRUE(found) << sheet.dump();
  EXPECT_NE(find_cell(sheet, "担当"), nullptr);
}

TEST_F(InspectCli, TwoSectionsOfOneBodyAreListedAndReportedApart) {
  auto policy_section = inspect("campaign create --template minamata-monthly --body mayor --period 2026-11 --assignee tanaka "
                                "--section 総務課情報政策係 --as kato");
  ASSERT_EQ(policy_section.exit_code, 0) << policy_section.output;
  const std::string id = sanso::testing::last_line(policy_section.output);
  EXPECT_EQ(id.rfind("minamata-monthly:mayor:2026-11:", 0), 0u) << id;
  auto tax_section = inspect("campaign create --template minamata-monthly --body mayor --period 2026-11 --assignee suzuki "
                             "--section 税務課市民税係 --as kato");
  ASSERT_EQ(tax_section.exit_code, 0) << tax_section.output;
  auto twice = inspect("campaign create --template minamata-monthly --body mayor --period 2026-11 --assignee suzuki "
                       "--section 税務課市民税係 --as kato");
  EXPECT_TRUE(sanso::testing::refused_with(twice, "inspect.exists")) << twice.output;
  auto hostile = inspect("campaign create --template minamata-monthly --body mayor --period 2026-12 --assignee suzuki "
                         "--section \"$(printf '総務課\\033[2J')\" --as kato");  // popen's sh is dash: printf, not $'...'
  EXPECT_TRUE(sanso::testing::refused_with(hostile, "inspect.bad-section")) << hostile.output;
  auto overlong = inspect("campaign create --template minamata-monthly --body mayor --period 2026-12 --assignee suzuki --section " +
                          std::string(300, 'k') + " --as kato");
  EXPECT_TRUE(sanso::testing::refused_with(overlong, "inspect.bad-section")) << overlong.output;

  auto list = inspect("campaign list");
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find("市長部局 総務課情報政策係"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("市長部局 税務課市民税係"), std::string::npos) << list.output;
  auto listed = inspect("campaign list --json");
  auto json = nlohmann::json::parse(listed.output.substr(listed.output.find('[')), nullptr, false);
  ASSERT_TRUE(json.is_array() && json.size() == 2u) << listed.output;
  // Listed by creation time, then id: two made within one second may come either way.
  std::set<std::string> sections{json[0]["section"].get<std::string>(), json[1]["section"].get<std::string>()};
  EXPECT_EQ(sections, (std::set<std::string>{"総務課情報政策係", "税務課市民税係"}));

  const fs::path xlsx = dir_ / "section.xlsx";
  auto report = inspect("report " + id + " --format xlsx -o " + xlsx.string());
  ASSERT_EQ(report.exit_code, 0) << report.output;
  const auto book = read_xlsx(xlsx);
  ASSERT_NE(find_cell(book["点検表"], "課・係"), nullptr) << book["点検表"].dump();
  EXPECT_NE(find_cell(book["点検表"], "総務課情報政策係"), nullptr) << book["点検表"].dump();
  EXPECT_EQ(find_cell(book["点検表"], "税務課市民税係"), nullptr) << "the 点検表 is one section's";
  EXPECT_NE(find_cell(book["集計"], "総務課情報政策係"), nullptr) << book["集計"].dump();
  EXPECT_NE(find_cell(book["集計"], "税務課市民税係"), nullptr) << book["集計"].dump();
  if (::access("/usr/lib/chromium/chromium", X_OK) == 0 && ::access(sanso::testing::kPdfToText, X_OK) == 0) {
    const fs::path pdf = dir_ / "section.pdf";
    auto printed = inspect("report " + id + " --format pdf -o " + pdf.string());
    ASSERT_EQ(printed.exit_code, 0) << printed.output;
    const std::string text = sanso::testing::pdf_text(pdf);
    EXPECT_NE(text.find("総務課情報政策係"), std::string::npos) << text;
    EXPECT_NE(text.find("税務課市民税係"), std::string::npos) << text;
  }
}

// The month's statistics through the binary: every measure, counted from the store's audit log
// (a fresh store holds only what these commands recorded), and the report's auditor's sheet
// verified with the configured key.
TEST_F(InspectCli, MonthlyStatisticsAndTheReportsAuditSheetComeFromTheLog) {
  const std::time_t japan = std::time(nullptr) + 9 * 3600;
  std::tm t{};
  gmtime_r(&japan, &t);
  char month[16];
  std::snprintf(month, sizeof month, "%04d-%02d", t.tm_year + 1900, t.tm_mon + 1);
  auto created = inspect(std::string("campaign create --template minamata-monthly --body mayor --period ") + month + " --assignee tanaka --as kato");
  ASSERT_EQ(created.exit_code, 0) << created.output;

  auto stats = inspect(std::string("stats --month ") + month + " --json");
  ASSERT_EQ(stats.exit_code, 0) << stats.output;
  auto j = nlohmann::json::parse(stats.output.substr(stats.output.find('{')), nullptr, false);
  ASSERT_TRUE(j.is_object()) << stats.output;
  EXPECT_EQ(j["month"], month);
  std::vector<std::string> ids;
  for (const auto& m : j["measures"]) ids.push_back(m["id"]);
  EXPECT_EQ(ids, (std::vector<std::string>{"mail", "file", "upload", "transfer", "transfer-file", "quarantine", "release-request", "approval",
                                           "release", "finding"}));
  const auto exported = sanso::testing::exported_audit_records(config_, "inspect.campaign.create");
  ASSERT_EQ(exported.size(), 1u);
  // Everything this store holds was recorded this month, by these commands.
  std::istringstream all(run_sanso("audit export" + config_).output);
  std::uint64_t records = 0;
  for (std::string line; std::getline(all, line);) records += line.starts_with("{") ? 1 : 0;
  EXPECT_EQ(j["entries"].get<std::uint64_t>(), records) << stats.output;
  EXPECT_EQ(j["measures"][0]["total"], 0);

  auto text = inspect(std::string("stats --month ") + month);
  EXPECT_NE(text.output.find("メール（ゲートウェイ）"), std::string::npos) << text.output;
  for (const char* bad : {"2026-13", "11-2026", "2026"}) {
    auto refused = inspect(std::string("stats --month ") + bad);
    EXPECT_EQ(refused.exit_code, 1) << bad;
    EXPECT_NE(refused.output.find("inspect.bad-period"), std::string::npos) << refused.output;
  }

  const fs::path xlsx = dir_ / "report.xlsx";
  auto report = inspect("report " + sanso::testing::last_line(created.output) + " -o " + xlsx.string());
  ASSERT_EQ(report.exit_code, 0) << report.output;
  const auto book = read_xlsx(xlsx);
  ASSERT_TRUE(book.contains("監査") && book.contains("運用統計") && book.contains("前回比較")) << book.dump();
  EXPECT_NE(find_cell(book["監査"], "改ざんなし"), nullptr) << book["監査"].dump();
  EXPECT_NE(find_cell(book["前回比較"], "前回の点検はありません"), nullptr) << book["前回比較"].dump();
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
  // PDF is a report format: what is refused here is the campaign that does not exist.
  auto pdf = inspect("report x --format pdf -o " + (dir_ / "r.pdf").string());
  EXPECT_EQ(pdf.exit_code, 1);
  EXPECT_NE(pdf.output.find("inspect.no-campaign"), std::string::npos) << pdf.output;
  EXPECT_FALSE(fs::exists(dir_ / "r.pdf"));
}

}  // namespace
