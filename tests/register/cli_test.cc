// `sanso register` end to end through the real binary: policy items listed, an entry added, a
// CP932 CSV imported, a hostile import refused with nothing changed, and the XLSX export read back
// with python3-openpyxl: every cell a string, none a formula.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "auth/totp.h"
#include "support/cli_runner.h"
#include "support/example_policy.h"
#include "support/notice_text.h"
#include "support/smtp_sink.h"
#include "support/xlsx_cells.h"
#include "support/test_store.h"

namespace {

namespace fs = std::filesystem;
using sanso::testing::read_xlsx;

class RegisterCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sanso-register-" + sanso::testing::random_hex(4));
    fs::create_directories(dir_);
    std::string cfg = sanso::testing::example_service_config();
    cfg += "\n[register]\nmax_import_rows = 50\n";
    std::ofstream(dir_ / "sanso.toml") << cfg;
    config_ = " --config " + (dir_ / "sanso.toml").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  sanso::testing::CliRun reg(const std::string& args) { return sanso::testing::run_sanso("register " + args + config_); }

  fs::path dir_;
  std::string config_;
};

TEST_F(RegisterCli, ListAddImportExport) {
  auto list = reg("list sns --json");
  ASSERT_EQ(list.exit_code, 0) << list.output;
  auto j = nlohmann::json::parse(list.output.substr(list.output.find('{')), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << list.output;
  EXPECT_EQ(j["clause"], "6(8)");
  ASSERT_EQ(j["entries"].size(), 2u);
  EXPECT_TRUE(j["entries"][0]["from_policy"].get<bool>());

  auto added = reg("add assets --field id=usb-01 --field 名称=USBメモリ（持出用） --field form=media --field owner=情報政策係 --as tanaka");
  ASSERT_EQ(added.exit_code, 0) << added.output;
  auto unknown_kind = reg("list people");
  EXPECT_EQ(unknown_kind.exit_code, 1);
  EXPECT_NE(unknown_kind.output.find("register.unknown-kind"), std::string::npos) << unknown_kind.output;

  // CP932 as Japanese Excel saves "CSV (comma separated)": 識別子,形態,管理者 / usb-02,紙,総務課
  std::ofstream(dir_ / "assets.csv", std::ios::binary)
      << "\x8E\xAF\x95\xCA\x8E\x71,\x96\xBC\x8F\xCC,\x8C\x60\x91\xD4,\x8A\xC7\x97\x9D\x8E\xD2\r\nusb-02,\x8E\x86\x91\xE4\x92\xA0,\x8E\x86,x\r\n";
  auto imported = reg("import assets --format csv -f " + (dir_ / "assets.csv").string() + " --as tanaka");
  ASSERT_EQ(imported.exit_code, 0) << imported.output;
  EXPECT_NE(imported.output.find("CP932"), std::string::npos) << imported.output;

  // More rows than [register] max_import_rows: refused, nothing added.
  {
    std::ofstream big(dir_ / "big.csv");
    big << "id,名称,形態,管理者\n";
    for (int i = 0; i < 51; ++i) big << "b" << i << ",x,paper,y\n";
  }
  auto too_many = reg("import assets -f " + (dir_ / "big.csv").string() + " --as tanaka");
  EXPECT_EQ(too_many.exit_code, 1);
  EXPECT_NE(too_many.output.find("register.too-many-rows"), std::string::npos) << too_many.output;
  auto after = nlohmann::json::parse(reg("list assets --json").output, nullptr, false);
  ASSERT_FALSE(after.is_discarded());
  for (const auto& e : after["entries"]) EXPECT_NE(e["id"], "b0");

  const fs::path out = dir_ / "assets.xlsx";
  auto exported = reg("export assets --format xlsx -f " + out.string());
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  const auto book = read_xlsx(out);
  ASSERT_TRUE(book.contains("情報資産台帳")) << book.dump();
  const auto& sheet = book["情報資産台帳"];
  EXPECT_EQ(sheet[0][0]["v"], "識別子");
  bool found = false;
  for (const auto& row : sheet) {
    for (const auto& cell : row) {
      if (!cell["v"].is_null()) EXPECT_EQ(cell["t"], "s") << cell.dump();  // text stays text
      if (cell["v"] == "USBメモリ（持出用）") found = true;
    }
  }
  EXPECT_TRUE(found);
  // The exported workbook imports back without a change.
  auto back = reg("import assets --format xlsx -f " + out.string() + " --as tanaka");
  ASSERT_EQ(back.exit_code, 0) << back.output;
  EXPECT_NE(back.output.find("追加 0、変更 0"), std::string::npos) << back.output;
  // The worksheet by its name (a book of several registers keeps one a sheet); a name the book
  // lacks lists the ones it has.
  auto by_name = reg("import assets --format xlsx -f " + out.string() + " --sheet 情報資産台帳 --as tanaka");
  ASSERT_EQ(by_name.exit_code, 0) << by_name.output;
  auto wrong_sheet = reg("import assets --format xlsx -f " + out.string() + " --sheet 委託事業者台帳 --as tanaka");
  EXPECT_EQ(wrong_sheet.exit_code, 1);
  EXPECT_NE(wrong_sheet.output.find("register.no-sheet"), std::string::npos) << wrong_sheet.output;
  EXPECT_NE(wrong_sheet.output.find("情報資産台帳"), std::string::npos) << wrong_sheet.output;
}

// `sanso register decide`: an exception's decision comes only from a holder of its approver role
// other than its requester. Typing the approval into `register add --update` or approving one's
// own request is refused with the command to use; an approver role with a second factor (every
// role of the example city) approves in the console, where the code is asked; the holder denies
// from here, and the denial is recorded.
TEST_F(RegisterCli, AnExceptionIsDecidedOnlyByAHolderOfItsApproverRole) {
  auto requested = reg("add exceptions --as sato --field id=exc-usb --field rule=city.lgwan-removable-media --field requested_by=sato "
                       "--field requested_on=2026-12-01 --field reason=災害訓練 --field approver_role=general_security_officer --field state=requested");
  ASSERT_EQ(requested.exit_code, 0) << requested.output;
  auto typed = reg("add exceptions --update --as sato --field id=exc-usb --field state=approved --field approved_by=kato "
                   "--field approved_on=2026-12-02 --field expires=2027-03-31");
  EXPECT_TRUE(sanso::testing::refused_with(typed, "register.forbidden")) << typed.output;
  EXPECT_NE(typed.output.find("sanso register decide exceptions exc-usb approve|deny"), std::string::npos) << typed.output;
  auto self = reg("decide exceptions exc-usb approve --reason 自分で --expires 2027-03-31 --as sato");
  EXPECT_TRUE(sanso::testing::refused_with(self, "register.forbidden")) << self.output;
  auto no_role = reg("decide exceptions exc-usb approve --reason 役割なし --expires 2027-03-31 --as kato");
  EXPECT_TRUE(sanso::testing::refused_with(no_role, "register.forbidden")) << no_role.output;
  auto no_reason = reg("decide exceptions exc-usb deny --reason ' ' --as suzuki");
  EXPECT_TRUE(sanso::testing::refused_with(no_reason, "register.missing-value")) << no_reason.output;
  auto needs_code = reg("decide exceptions exc-usb approve --reason 期間を限る --expires 2027-03-31 --as suzuki");
  EXPECT_TRUE(sanso::testing::refused_with(needs_code, "register.second-factor")) << needs_code.output;
  auto listed = reg("list exceptions --json");
  EXPECT_NE(listed.output.find("\"requested\""), std::string::npos) << "still waiting: " << listed.output;

  auto denied = reg("decide exceptions exc-usb deny --reason 代替手段がある --as suzuki");
  ASSERT_EQ(denied.exit_code, 0) << denied.output;
  listed = reg("list exceptions --json");
  auto j = nlohmann::json::parse(listed.output.substr(listed.output.find('{')), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << listed.output;
  bool found = false;
  for (const auto& e : j["entries"]) {
    if (e["id"] != "exc-usb") continue;
    found = true;
    EXPECT_EQ(e["fields"]["state"], "rejected");
    EXPECT_EQ(e["fields"]["approved_by"], "suzuki");
  }
  EXPECT_TRUE(found) << listed.output;
  auto again = reg("decide exceptions exc-usb approve --reason もう一度 --expires 2027-03-31 --as suzuki");
  EXPECT_EQ(again.exit_code, 1);
  auto other_kind = reg("decide assets usb-01 approve --reason x --as suzuki");
  EXPECT_TRUE(sanso::testing::refused_with(other_kind, "register.bad-kind")) << other_kind.output;
}


// 6(8) through the binary: checks of a contractor's clauses appended (`register check`), the
// whole history per clause in `register show`, the latest per clause in `register list`, the
// history as XLSX (read back with openpyxl) and imported back; a hostile check import changes
// nothing.
TEST_F(RegisterCli, ContractClauseChecksAreAppendedShownExportedAndImported) {
  auto clauses = reg("add contractors --update --as tanaka --field id=juki_vendor --field 'required_clauses=秘密保持;再委託の制限'");
  ASSERT_EQ(clauses.exit_code, 0) << clauses.output;
  auto first = reg("check contractors juki_vendor --as tanaka --field clause=秘密保持 --field checked_on=2026-04-01 --field result=pass "
                   "--field checked_by=suzuki --field next_check=2026-10-01");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  auto second = reg("check contractors juki_vendor --as tanaka --field clause=秘密保持 --field checked_on=2026-10-02 --field result=partial "
                    "--field checked_by=sato --field note=返却手順が未記載");
  ASSERT_EQ(second.exit_code, 0) << second.output;
  auto wrong_clause = reg("check contractors juki_vendor --as tanaka --field clause=監査権 --field checked_on=2026-10-02 --field result=pass --field checked_by=sato");
  EXPECT_TRUE(sanso::testing::refused_with(wrong_clause, "register.inconsistent")) << wrong_clause.output;

  auto shown = reg("show contractors juki_vendor");
  ASSERT_EQ(shown.exit_code, 0) << shown.output;
  const auto newer = shown.output.find("2026-10-02  秘密保持  一部不適合  sato");
  const auto older = shown.output.find("2026-04-01  秘密保持  適合  suzuki  次回 2026-10-01");
  ASSERT_NE(newer, std::string::npos) << shown.output;
  ASSERT_NE(older, std::string::npos) << shown.output;
  EXPECT_LT(newer, older) << "newest first: " << shown.output;
  EXPECT_NE(shown.output.find("再委託の制限\n    （確認の記録なし）"), std::string::npos) << shown.output;
  const auto checks_shown = [&] {
    const auto run = reg("show contractors juki_vendor --json");
    return nlohmann::json::parse(run.output.substr(std::min(run.output.find('{'), run.output.size())), nullptr, false)["checks"];
  };
  const auto json = checks_shown();
  ASSERT_EQ(json.size(), 2u) << json.dump();
  EXPECT_EQ(json[1]["note"], "返却手順が未記載");

  auto listed = reg("list contractors");
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_NE(listed.output.find("2026-10-02  秘密保持  一部不適合"), std::string::npos) << listed.output;
  EXPECT_EQ(listed.output.find("2026-04-01  秘密保持"), std::string::npos) << "only the latest per clause: " << listed.output;

  const fs::path out = dir_ / "checks.xlsx";
  auto exported = reg("export contractors --checks --format xlsx -f " + out.string());
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  const auto book = read_xlsx(out);
  ASSERT_TRUE(book.contains("契約条項の確認")) << book.dump();
  const auto& sheet = book["契約条項の確認"];
  ASSERT_EQ(sheet.size(), 3u) << sheet.dump();
  EXPECT_EQ(sheet[0][1]["v"], "契約条項");
  EXPECT_EQ(sheet[1][2]["v"], "2026-04-01");
  EXPECT_EQ(sheet[2][3]["v"], "一部不適合");

  std::ofstream(dir_ / "bad.csv") << "委託事業者,契約条項,確認日,確認結果,確認者\njuki_vendor,再委託の制限,2026-11-01,適合,a\njuki_vendor,秘密保持,2026-11-31,適合,b\n";
  auto bad = reg("import contractors --checks -f " + (dir_ / "bad.csv").string() + " --as tanaka");
  EXPECT_TRUE(sanso::testing::refused_with(bad, "register.bad-value")) << bad.output;
  EXPECT_NE(bad.output.find("bad.csv row 3 column C"), std::string::npos) << bad.output;
  EXPECT_EQ(checks_shown().size(), 2u);

  std::ofstream(dir_ / "good.csv") << "委託事業者,契約条項,確認日,確認結果,確認者\njuki_vendor,再委託の制限,2026-11-01,適合,a\n";
  auto good = reg("import contractors --checks -f " + (dir_ / "good.csv").string() + " --as tanaka");
  ASSERT_EQ(good.exit_code, 0) << good.output;
  EXPECT_EQ(checks_shown().size(), 3u);
}


// `sanso register remind` through the binary and a real SMTP listener: the review falling due is
// mailed to its reviewer (Japanese, then English); the same day again sends nothing new; a relay
// that is down exits non-zero and records nothing as sent, so the next run sends it.
TEST_F(RegisterCli, RemindMailsWhatFallsDueOnceADayThroughTheRelay) {
  sanso::testing::SmtpSink sink(dir_ / "sink");
  std::string cfg;
  {
    std::ifstream in(dir_ / "sanso.toml");
    std::stringstream text;
    text << in.rdbuf();
    cfg = text.str();
  }
  const std::string suzuki = "roles = [\"general_security_officer\"]\nzone = \"lgwan\"\n";
  ASSERT_NE(cfg.find(suzuki), std::string::npos);
  cfg.replace(cfg.find(suzuki), suzuki.size(), suzuki + "mail = \"suzuki@city.minamata.lg.jp\"\n");
  const std::string relay = "smtp_relay = \"127.0.0.1:10026\"";
  ASSERT_NE(cfg.find(relay), std::string::npos);
  std::string down = cfg;
  down.replace(down.find(relay), relay.size(), "smtp_relay = \"127.0.0.1:" + std::to_string(sanso::testing::free_tcp_port()) + "\"");
  cfg.replace(cfg.find(relay), relay.size(), "smtp_relay = \"" + sink.relay() + "\"");
  std::ofstream(dir_ / "sanso.toml") << cfg;
  std::ofstream(dir_ / "down.toml") << down;

  // The review falls due in 10 days (the binary's clock is the machine's).
  const auto in_days = [](int days) {
    const std::time_t t = std::time(nullptr) + static_cast<std::time_t>(days) * 86400;
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return std::string(buf);
  };
  auto review = reg("add reviews --as suzuki --field id=R1 --field reviewed_on=" + in_days(-355) + " --field reviewer=suzuki --field decision=approved "
                    "--field approved_by=tanaka --field next_review=" + in_days(10));
  ASSERT_EQ(review.exit_code, 0) << review.output;

  auto planned = reg("remind --dry-run");
  ASSERT_EQ(planned.exit_code, 0) << planned.output;
  EXPECT_NE(planned.output.find("送信予定 suzuki <suzuki@city.minamata.lg.jp>: 1 件"), std::string::npos) << planned.output;
  auto failed = sanso::testing::run_sanso("register remind --config " + (dir_ / "down.toml").string());
  EXPECT_TRUE(sanso::testing::refused_with(failed, "register.remind-failed")) << failed.output;
  EXPECT_NE(failed.output.find("not recorded as sent"), std::string::npos) << failed.output;
  EXPECT_TRUE(sink.messages(0).empty());

  auto sent = reg("remind");
  ASSERT_EQ(sent.exit_code, 0) << sent.output;
  EXPECT_NE(sent.output.find("送信しました suzuki <suzuki@city.minamata.lg.jp>: 1 件"), std::string::npos) << sent.output;
  EXPECT_NE(sent.output.find("監査ログ #"), std::string::npos) << sent.output;
  auto mails = sink.messages(1);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_NE(mails[0].find("suzuki@city.minamata.lg.jp"), std::string::npos);
  const std::string text = sanso::testing::notice_text(mails[0].substr(mails[0].find("Date:")));
  const auto ja = text.find("ポリシーの見直し（8）の期限 " + in_days(10) + "（あと 10 日）");
  const auto en = text.find("Policy review (8) due " + in_days(10) + " (in 10 days)");
  ASSERT_NE(ja, std::string::npos) << text;
  ASSERT_NE(en, std::string::npos) << text;
  EXPECT_LT(ja, en);

  auto again = reg("remind");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("本日送信済みのため省略: 1 件"), std::string::npos) << again.output;
  EXPECT_NE(again.output.find("新たに送る催促はありません"), std::string::npos) << again.output;
  EXPECT_EQ(sink.messages(1).size(), 1u);
  auto bad_days = reg("remind --days 9999");
  EXPECT_TRUE(sanso::testing::refused_with(bad_days, "cli.bad-value")) << bad_days.output;
}


// An approver role with `mfa` approves from the command line with the one-time code of the
// approver's enrolled authenticator, read from standard input: no code, a wrong code and a code
// used once already are refused (and recorded); the right code approves, recorded with its factor.
// A role with `mfa` is approved in the console only: whoever runs the command line can read the
// store and the console's code secrets with it, so even a right code typed there proves nothing.
TEST_F(RegisterCli, AnApprovalThatNeedsASecondFactorIsRefusedOnTheCommandLine) {
  auto r = reg("add exceptions --as sato --field id=exc-1 --field rule=city.lgwan-removable-media --field requested_by=sato "
               "--field requested_on=2026-12-01 --field reason=災害訓練 --field approver_role=general_security_officer --field state=requested");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ofstream(dir_ / "pw") << "kinmokusei-no-kaori-2026\n";
  auto pw = sanso::testing::run_sanso("user passwd suzuki --as tanaka" + config_ + " < " + (dir_ / "pw").string());
  ASSERT_EQ(pw.exit_code, 0) << pw.output;
  auto enrolled = sanso::testing::run_sanso("user second-factor suzuki --as tanaka" + config_);
  ASSERT_EQ(enrolled.exit_code, 0) << enrolled.output;
  const std::string marker = "鍵 (base32): ";
  const auto at = enrolled.output.find(marker);
  ASSERT_NE(at, std::string::npos) << enrolled.output;
  const auto secret = sanso::auth::base32_decode(enrolled.output.substr(at + marker.size(), enrolled.output.find('\n', at) - at - marker.size()));
  ASSERT_TRUE(secret);
  std::ofstream(dir_ / "code") << sanso::auth::totp_code(*secret, static_cast<std::uint64_t>(std::time(nullptr) / 30)) << "\n";
  auto approved = reg("decide exceptions exc-1 approve --reason 期間を限る --expires 2027-03-31 --as suzuki < " + (dir_ / "code").string());
  EXPECT_TRUE(sanso::testing::refused_with(approved, "register.second-factor")) << approved.output;
  EXPECT_NE(approved.output.find("/approvals"), std::string::npos) << approved.output;
  const auto out = reg("list exceptions --json").output;
  const auto j = nlohmann::json::parse(out.substr(std::min(out.find('{'), out.size())), nullptr, false);
  std::string state = "(none)";
  for (const auto& e : j["entries"]) {
    if (e["id"] == "exc-1") state = e["fields"].value("state", "");
  }
  EXPECT_EQ(state, "requested");
  // Denying asks for no code.
  auto denied = reg("decide exceptions exc-1 deny --reason 不要 --as suzuki < /dev/null");
  EXPECT_EQ(denied.exit_code, 0) << denied.output;
}

}  // namespace
