// `sanso api token` and the API of `sanso web` end to end: the real binary on a copy of the
// example city — a token made on the command line opens /api/v1/decide until it is revoked.
#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include <gtest/gtest.h>

#include "support/audit_records.h"
#include "support/cli_runner.h"
#include "support/files.h"
#include "support/smtp_sink.h"
#include "support/test_store.h"

namespace {

namespace fs = std::filesystem;
using sanso::testing::exported_audit_records;
using sanso::testing::read_file;
using sanso::testing::run_sanso;

class ApiCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sanso-api-" + sanso::testing::random_hex(4));
    fs::create_directories(dir_);
    std::string cfg = read_file(std::string(SANSO_SOURCE_DIR) + "/examples/minamata/sanso.toml");
    const std::string from = "policy = \"policy.toml\"";
    cfg.replace(cfg.find(from), from.size(), "policy = \"" + std::string(SANSO_SOURCE_DIR) + "/examples/minamata/policy.toml\"");
    std::ofstream(dir_ / "sanso.toml") << cfg;
    config_ = " --config " + (dir_ / "sanso.toml").string();
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    fs::remove_all(dir_);
  }

  void start_web(int port) {
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      std::string log = (dir_ / "web.log").string();
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::string cfg = (dir_ / "sanso.toml").string();
      std::string listen = "127.0.0.1:" + std::to_string(port);
      ::execl(SANSO_CLI, "sanso", "web", "--config", cfg.c_str(), "--listen", listen.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    httplib::Client c("127.0.0.1", port);
    for (int i = 0; i < 300; ++i) {
      if (auto r = c.Get("/healthz"); r && r->status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "sanso web did not answer: " << read_file(dir_ / "web.log");
  }

  fs::path dir_;
  std::string config_;
  pid_t pid_ = -1;
};

TEST_F(ApiCli, ATokenMadeOnTheCommandLineOpensTheApiUntilRevoked) {
  auto refused = run_sanso("api token create fileserver --scope decide --as sato" + config_);
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("admin_roles"), std::string::npos) << refused.output;
  auto bad_scope = run_sanso("api token create fileserver --scope everything --as kato" + config_);
  EXPECT_EQ(bad_scope.exit_code, 1) << bad_scope.output;

  auto created = run_sanso("api token create fileserver --for tanaka --scope decide,quarantine --as kato" + config_);
  ASSERT_EQ(created.exit_code, 0) << created.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(created.output, m, std::regex("sanso_[0-9a-f]{64}"))) << created.output;
  const std::string token = m[0];
  auto list = run_sanso("api token list" + config_);
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find("fileserver"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("decide,quarantine"), std::string::npos) << list.output;
  EXPECT_EQ(list.output.find(token.substr(6)), std::string::npos) << "the token is shown once, never listed";

  int port = sanso::testing::free_tcp_port();
  start_web(port);
  httplib::Client c("127.0.0.1", port);
  const httplib::Headers auth = {{"Authorization", "Bearer " + token}};
  const std::string ask = R"({"who":"sato","from":"mynumber","to":"lgwan","channel":"mail","asset":"resident_register"})";
  auto decided = c.Post("/api/v1/decide", auth, ask, "application/json");
  ASSERT_TRUE(decided);
  ASSERT_EQ(decided->status, 200) << decided->body;
  auto answer = nlohmann::json::parse(decided->body);
  EXPECT_EQ(answer["decision"], "deny");
  EXPECT_EQ(answer["rule_id"], "profile.mynumber-egress");

  auto revoked = run_sanso("api token revoke fileserver --as kato" + config_);
  ASSERT_EQ(revoked.exit_code, 0) << revoked.output;
  auto after = c.Post("/api/v1/decide", auth, ask, "application/json");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 401) << after->body;

  EXPECT_EQ(exported_audit_records(config_, "api.decide").size(), 1u);
  auto made = exported_audit_records(config_, "api.token-create");
  ASSERT_EQ(made.size(), 2u);  // sato's refused attempt and kato's token
  EXPECT_EQ(made[0]["outcome"], "refused");
  EXPECT_EQ(made[1]["actor"], "kato");
  EXPECT_EQ(exported_audit_records(config_, "api.token-revoke").size(), 1u);
  EXPECT_EQ(exported_audit_records(config_, "api.token-refused").size(), 1u);
}

}  // namespace
