// `sanso transfer` end to end: the sides people act from come from [[users]] zone, a file from
// the internet side reaches its LGWAN recipient rebuilt with its findings, and an outgoing
// transfer waits for someone other than its sender.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "support/cli_runner.h"
#include "support/files.h"
#include "support/ppap.h"
#include "support/test_store.h"

namespace {

namespace fs = std::filesystem;
using sanso::testing::last_line;
using sanso::testing::run_sanso;

class TransferCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sanso-transfer-cli-" + sanso::testing::random_hex(4));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "sanso.toml") << "[service]\nnode = \"gw-test\"\ndata_dir = \"data\"\npolicy = \"" << SANSO_SOURCE_DIR
                                       << "/examples/minamata/policy.toml\"\n[transfer]\nmax_files = 5\n"
                                          "[[users]]\nname = \"yamada\"\nzone = \"internet\"\n"
                                          "[[users]]\nname = \"kato\"\nroles = [\"system_admin\"]\nzone = \"lgwan\"\n"
                                          "[[users]]\nname = \"suzuki\"\nroles = [\"security_manager\"]\nzone = \"lgwan\"\n";
    config_ = " --config " + (dir_ / "sanso.toml").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::string config_;
};

TEST_F(TransferCli, AMacroDocumentSentFromTheInternetSideArrivesRebuiltWithItsFindings) {
  const fs::path docm = fs::path(SANSO_SOURCE_DIR) / "examples/minamata/files/見積書.docm";
  auto sent = run_sanso("transfer send " + docm.string() + " --to kato --as yamada" + config_);
  ASSERT_EQ(sent.exit_code, 0) << sent.output;
  const std::string id = last_line(sent.output);
  ASSERT_EQ(id.size(), 33u) << sent.output;

  EXPECT_NE(run_sanso("transfer get " + id + " -o " + (dir_ / "x").string() + " --as suzuki" + config_).exit_code, 0) << "not suzuki's";
  auto got = run_sanso("transfer get " + id + " -o " + (dir_ / "in").string() + " --as kato" + config_);
  ASSERT_EQ(got.exit_code, 0) << got.output;
  EXPECT_TRUE(fs::exists(dir_ / "in" / "見積書.docx")) << got.output;
  EXPECT_NE(got.output.find("vba_macro"), std::string::npos) << got.output;

  auto list = run_sanso("transfer list --json --as kato" + config_);
  ASSERT_EQ(list.exit_code, 0) << list.output;
  auto j = nlohmann::json::parse(list.output.substr(list.output.find('[')));
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["id"], id);
  EXPECT_EQ(j[0]["state"], "downloaded");
  EXPECT_EQ(j[0]["rule"], "profile.inet-lgwan-file");
  EXPECT_EQ(j[0]["files"][0]["verdict"], "sanitized");
}

TEST_F(TransferCli, AnOutgoingTransferNeedsAReasonAndAnotherPersonsApproval) {
  std::ofstream(dir_ / "報告.csv") << "品目,数量\n封筒,100\n";
  const std::string file = (dir_ / "報告.csv").string();
  auto no_reason = run_sanso("transfer send " + file + " --to vendor@example.com --as suzuki" + config_);
  EXPECT_EQ(no_reason.exit_code, 1);
  EXPECT_NE(no_reason.output.find("transfer.reason"), std::string::npos) << no_reason.output;
  auto sent = run_sanso("transfer send " + file + " --to vendor@example.com --reason 委託先への報告 --as suzuki" + config_);
  ASSERT_EQ(sent.exit_code, 0) << sent.output;
  const std::string id = last_line(sent.output);
  EXPECT_NE(sent.output.find("承認待ち"), std::string::npos) << sent.output;
  auto own = run_sanso("transfer approve " + id + " --as suzuki" + config_);
  EXPECT_EQ(own.exit_code, 1);
  EXPECT_NE(own.output.find("transfer.own"), std::string::npos) << own.output;
  // Another name from the operating-system account the transfer was sent from is still its sender.
  auto same_account = run_sanso("transfer approve " + id + " --as kato" + config_);
  EXPECT_EQ(same_account.exit_code, 1);
  EXPECT_NE(same_account.output.find("transfer.own"), std::string::npos) << same_account.output;
  auto list = run_sanso("transfer list --json --as suzuki" + config_);
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_EQ(nlohmann::json::parse(list.output.substr(list.output.find('[')))[0]["state"], "pending-approval");
  auto from_internet = run_sanso("transfer send " + file + " --to vendor@example.com --as yamada" + config_);
  EXPECT_NE(from_internet.output.find("transfer.unknown-recipient"), std::string::npos) << "an internet user sends only to people of the configuration";
}

TEST_F(TransferCli, PpapIsUnlockedWithThePasswordOnStdinByItsSenderOnly) {
  std::ofstream(dir_ / "書類.zip", std::ios::binary) << sanso::testing::encrypted_zip({{"案内.txt", "説明会のご案内\n"}}, ZIP_EM_TRAD_PKWARE, "cli-Secret-77");
  auto sent = run_sanso("transfer send " + (dir_ / "書類.zip").string() + " --to kato --as yamada" + config_);
  ASSERT_EQ(sent.exit_code, 0) << sent.output;
  const std::string id = last_line(sent.output);
  auto list = run_sanso("transfer list --json --as yamada" + config_);
  ASSERT_EQ(list.exit_code, 0) << list.output;
  auto j = nlohmann::json::parse(list.output.substr(list.output.find('[')));
  EXPECT_EQ(j[0]["files"][0]["verdict"], "blocked");
  EXPECT_EQ(j[0]["files"][0]["awaits_password"], true);

  auto not_sender = run_sanso("transfer unlock " + id + " --as kato" + config_, "printf 'cli-Secret-77\\n' | ");
  EXPECT_EQ(not_sender.exit_code, 1) << not_sender.output;
  auto wrong = run_sanso("transfer unlock " + id + " --as yamada" + config_, "printf 'cli-secret-77\\n' | ");
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.output.find("transfer.password"), std::string::npos) << wrong.output;
  auto right = run_sanso("transfer unlock " + id + " --as yamada" + config_, "printf 'cli-Secret-77\\n' | ");
  ASSERT_EQ(right.exit_code, 0) << right.output;
  EXPECT_NE(right.output.find("書類.zip"), std::string::npos) << right.output;
  EXPECT_EQ(right.output.find("Secret-77"), std::string::npos) << "the password is never printed";

  auto got = run_sanso("transfer get " + id + " -o " + (dir_ / "in").string() + " --as kato" + config_);
  ASSERT_EQ(got.exit_code, 0) << got.output;
  EXPECT_TRUE(fs::exists(dir_ / "in" / "書類.zip")) << got.output;
  auto audit = run_sanso("audit export" + config_);
  ASSERT_EQ(audit.exit_code, 0) << audit.output.substr(0, 2000);
  EXPECT_NE(audit.output.find("transfer.unlock"), std::string::npos) << audit.output.substr(0, 2000);
  EXPECT_EQ(audit.output.find("Secret-77"), std::string::npos);
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "data")) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find("Secret-77"), std::string::npos) << "the password is kept in " << e.path();
  }
}

}  // namespace
