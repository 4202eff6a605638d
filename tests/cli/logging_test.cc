// [log] end to end: the real `sanso` binary sends an "audit" line for every entry it commits to a
// real rsyslogd (RFC 5424 over TCP), with the entry's seq as `sanso audit export` has it — and a
// 個人番号 in a file's name reaches neither the log server nor stderr.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "support/cli_runner.h"
#include "support/files.h"
#include "support/rsyslog_server.h"
#include "support/test_store.h"

namespace {

namespace fs = std::filesystem;
using sanso::testing::run_sanso;

class LoggingCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sanso-logging-" + sanso::testing::random_hex(4));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write_config(const std::string& log_section) {
    std::ofstream(dir_ / "sanso.toml") << "[service]\nnode = \"gw-log\"\ndata_dir = \"data\"\npolicy = \"" << SANSO_SOURCE_DIR
                                       << "/examples/minamata/policy.toml\"\n[[users]]\nname = \"kato\"\nroles = [\"system_admin\"]\n"
                                       << log_section;
    return " --config " + (dir_ / "sanso.toml").string();
  }
  fs::path dir_;
};

TEST_F(LoggingCli, EveryCommittedAuditEntryReachesTheSyslogServerWithItsSeqAndWithoutTheNumber) {
  sanso::testing::RsyslogServer rsyslog(dir_ / "rsyslog");
  if (!rsyslog.available()) GTEST_SKIP() << rsyslog.why();
  const std::string config =
      write_config("[log]\nsyslog = \"tcp://127.0.0.1:" + std::to_string(rsyslog.tcp_port()) + "\"\nfacility = \"local4\"\n");
  const fs::path file = dir_ / "住民票_1234-5678-9018.txt";
  std::ofstream(file) << "申請書\n";
  auto r = run_sanso("file sanitize " + file.string() + " -o " + (dir_ / "out").string() + " --as kato" + config, "SANSO_LOG=info ");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // stderr at info carries the same line, masked as well (stdout's report to the administrator
  // names the file as it is).
  EXPECT_NE(r.output.find(" audit #"), std::string::npos) << r.output;
  // The record's subject is the name with its number masked as findings are (the last four digits:
  // a clerk can tell which file; the number is not there), since the intake masks names (#17).
  EXPECT_NE(r.output.find("subject=住民票_********9018.txt"), std::string::npos) << r.output;

  auto exported = run_sanso("audit export" + config, "SANSO_LOG=error ");
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  std::istringstream lines(exported.output);
  std::string record;
  int checked = 0;
  const std::string got = rsyslog.wait_for("file.sanitize");
  while (std::getline(lines, record)) {
    auto j = nlohmann::json::parse(record, nullptr, false);
    if (j.is_discarded() || j["action"] != "file.sanitize") continue;
    ++checked;
    // <165> = local4 (20) * 8 + notice (5).
    const std::string seq = std::to_string(j["seq"].get<long long>());
    const std::regex line("<165>1 [^ ]+ gw-log sanso [0-9]+ audit \\[sanso@32473 seq=\"" + seq + "\" action=\"file\\.sanitize\" outcome=\"" +
                          j["outcome"].get<std::string>() + "\" actor=\"kato\" subject=\"住民票_\\*{8}9018\\.txt\"");
    EXPECT_TRUE(std::regex_search(got, line)) << "entry " << seq << " missing or different in:\n" << got;
  }
  EXPECT_EQ(checked, 1) << exported.output;
  EXPECT_EQ(got.find("1234-5678"), std::string::npos) << got;
  EXPECT_EQ(got.find("12345678"), std::string::npos) << got;
}

TEST_F(LoggingCli, ABadLogSectionIsAConfigErrorThatNamesTheLine) {
  const std::string config = write_config("[log]\nsyslog = \"syslog.city.example:514\"\n");
  auto r = run_sanso("audit verify" + config);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("[log] 'syslog'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("sanso.toml:9"), std::string::npos) << r.output;
  const std::string config2 = write_config("[log]\nfacility = \"local9\"\n");
  auto r2 = run_sanso("audit verify" + config2);
  EXPECT_NE(r2.exit_code, 0);
  EXPECT_NE(r2.output.find("not a syslog facility"), std::string::npos) << r2.output;
}

TEST_F(LoggingCli, ALogServerThatIsNotThereCostsNoAuditEntryNorTheCommand) {
  // Nothing listens on this port: the command still does its work and records it; the line waits
  // for the server a few seconds at exit and is then given up.
  const std::string config = write_config("[log]\nsyslog = \"tcp://127.0.0.1:9\"\n");
  const fs::path file = dir_ / "memo.txt";
  std::ofstream(file) << "memo\n";
  auto r = run_sanso("file sanitize " + file.string() + " -o " + (dir_ / "out").string() + " --as kato" + config);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto exported = run_sanso("audit export" + config);
  EXPECT_NE(exported.output.find("\"action\":\"file.sanitize\""), std::string::npos) << exported.output;
}

}  // namespace
