// `sanso register` end to end through the real binary: policy items listed, an entry added, a
// CP932 CSV imported, a hostile import refused with nothing changed, and the XLSX export read back
// with python3-openpyxl: every cell a string, none a formula.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/cli_runner.h"
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
    std::ifstream in(std::string(SANSO_SOURCE_DIR) + "/examples/minamata/sanso.toml");
    std::stringstream text;
    text << in.rdbuf();
    std::string cfg = text.str();
    const std::string from = "policy = \"policy.toml\"";
    const auto at = cfg.find(from);
    ASSERT_NE(at, std::string::npos);
    cfg.replace(at, from.size(), "policy = \"" + std::string(SANSO_SOURCE_DIR) + "/examples/minamata/policy.toml\"");
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

}  // namespace
