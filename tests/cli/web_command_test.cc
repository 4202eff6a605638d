// `sanso user` and `sanso web` end to end: the real binary on a copy of the example city.
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <fstream>
#include <regex>
#include <sstream>
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

class WebCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sanso-web-" + sanso::testing::random_hex(4));
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

  sanso::testing::CliRun passwd(const std::string& name, const std::string& password) {
    std::ofstream(dir_ / "pw") << password << "\n";
    return run_sanso("user passwd " + name + " --as kato" + config_ + " < " + (dir_ / "pw").string());
  }

  // Starts `sanso web` in the background and waits until it answers.
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
    FAIL() << "sanso web did not answer: " << web_log();
  }

  std::string web_log() { return read_file(dir_ / "web.log"); }

  fs::path dir_;
  std::string config_;
  pid_t pid_ = -1;
};

TEST_F(WebCli, PasswordsAreSetFromStandardInputAndListed) {
  auto set = passwd("tanaka", "水俣市の情報政策係が管理します");
  EXPECT_EQ(set.exit_code, 0) << set.output;
  EXPECT_NE(set.output.find("パスワードを設定しました"), std::string::npos) << set.output;
  auto weak = passwd("suzuki", "short");
  EXPECT_EQ(weak.exit_code, 1);
  EXPECT_NE(weak.output.find("at least 12 characters"), std::string::npos) << weak.output;
  auto unknown = passwd("nakamura", "a long enough password");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.output.find("[[users]]"), std::string::npos) << unknown.output;

  // Staff hold the transfer pages ([web.permissions] transfer); mori holds no role any page names.
  std::ofstream(dir_ / "sanso.toml", std::ios::app) << "\n[[users]]\nname = \"mori\"\nroles = []\n";
  auto list = run_sanso("user list" + config_);
  ASSERT_EQ(list.exit_code, 0) << list.output;
  std::istringstream lines(list.output);
  std::string line;
  std::map<std::string, std::string> by_name;
  while (std::getline(lines, line)) by_name[line.substr(0, line.find(' '))] = line;
  EXPECT_NE(by_name["tanaka"].find("利用可"), std::string::npos) << list.output;
  EXPECT_NE(by_name["suzuki"].find("パスワード未設定"), std::string::npos) << list.output;
  EXPECT_NE(by_name["sato"].find("パスワード未設定"), std::string::npos) << list.output;
  EXPECT_NE(by_name["mori"].find("コンソール権限なし"), std::string::npos) << list.output;

  auto second = run_sanso("user second-factor tanaka --as kato" + config_);
  EXPECT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("otpauth://totp/Sanso%20"), std::string::npos) << second.output;
  EXPECT_NE(run_sanso("user list" + config_).output.find("二要素"), std::string::npos);
  EXPECT_EQ(run_sanso("user second-factor suzuki --as kato" + config_).exit_code, 1);  // no password yet
  auto removed = run_sanso("user second-factor tanaka --remove --as kato" + config_);
  EXPECT_EQ(removed.exit_code, 0) << removed.output;
  EXPECT_EQ(run_sanso("user list" + config_).output.find("二要素"), std::string::npos);

  auto records = exported_audit_records(config_, "account.set-password");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["actor"], "kato");
  EXPECT_EQ(records[0]["subject"], "tanaka");
}

TEST_F(WebCli, TheConsoleServesSignInsThatLandInTheAuditLogAndStopsOnSigterm) {
  ASSERT_EQ(passwd("tanaka", "水俣市の情報政策係が管理します").exit_code, 0);
  int port = sanso::testing::free_tcp_port();
  start_web(port);
  httplib::Client c("127.0.0.1", port);
  for (int i = 0; i < 5; ++i) {
    auto bad = c.Post("/login", httplib::Params{{"name", "tanaka"}, {"password", "guess " + std::to_string(i)}});
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 401);
  }
  auto locked = c.Post("/login", httplib::Params{{"name", "tanaka"}, {"password", "水俣市の情報政策係が管理します"}});
  ASSERT_TRUE(locked);
  EXPECT_EQ(locked->status, 401);

  auto list = run_sanso("user list" + config_);
  EXPECT_NE(list.output.find("ロック中"), std::string::npos) << list.output;
  auto unlock = run_sanso("user unlock tanaka --as kato" + config_);
  EXPECT_EQ(unlock.exit_code, 0) << unlock.output;
  auto good = c.Post("/login", httplib::Params{{"name", "tanaka"}, {"password", "水俣市の情報政策係が管理します"}});
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 303);
  std::string cookie = good->get_header_value("Set-Cookie");
  cookie = cookie.substr(0, cookie.find(';'));
  EXPECT_EQ(c.Get("/", {{"Cookie", cookie}})->status, 200);
  auto ended = run_sanso("user sign-out tanaka --as kato" + config_);
  EXPECT_EQ(ended.exit_code, 0) << ended.output;
  EXPECT_NE(ended.output.find("1 件"), std::string::npos) << ended.output;
  EXPECT_EQ(c.Get("/", {{"Cookie", cookie}})->status, 303);  // the running console sees it at once

  ASSERT_EQ(::kill(pid_, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid_, &status, 0), pid_);
  pid_ = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << web_log();
  EXPECT_NE(web_log().find("stopped"), std::string::npos) << web_log();

  auto signins = exported_audit_records(config_, "console.sign-in");
  ASSERT_EQ(signins.size(), 7u);
  EXPECT_EQ(signins[4]["outcome"], "locked-out");
  EXPECT_EQ(signins[5]["details"]["reason"], "locked");
  EXPECT_EQ(signins[6]["outcome"], "ok");
  EXPECT_EQ(exported_audit_records(config_, "account.unlock").size(), 1u);
  auto verify = run_sanso("audit verify" + config_);
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
}

TEST_F(WebCli, TransfersPastTheirRetentionExpireWhenTheConsoleStartsAndAreRecorded) {
  if (std::system("command -v sqlite3 >/dev/null") != 0) GTEST_SKIP() << "the sqlite3 shell is needed (scripts/install-deps.sh installs it)";
  std::ofstream(dir_ / "発注.csv") << "品目,数量\n封筒,100\n";
  auto sent = run_sanso("transfer send " + (dir_ / "発注.csv").string() + " --to kato --as yamada" + config_);
  ASSERT_EQ(sent.exit_code, 0) << sent.output;
  std::smatch printed;
  ASSERT_TRUE(std::regex_search(sent.output, printed, std::regex("(^|\n)(t[0-9a-f]{32})\n"))) << sent.output;
  const std::string id = printed[2];
  auto fresh = run_sanso("transfer send " + (dir_ / "発注.csv").string() + " --to kato --as yamada" + config_);
  ASSERT_EQ(fresh.exit_code, 0) << fresh.output;
  // The first one's retention ran out while no console was running.
  const std::string db = (dir_ / "data" / "sanso.db").string();
  ASSERT_EQ(std::system(("sqlite3 '" + db + "' \"UPDATE transfers SET expires_at = 1 WHERE id = '" + id + "'\"").c_str()), 0);

  start_web(sanso::testing::free_tcp_port());
  std::vector<nlohmann::json> expired;
  for (int i = 0; i < 100 && expired.empty(); ++i) {
    expired = exported_audit_records(config_, "transfer.expire");
    if (expired.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(expired.size(), 1u) << web_log();
  EXPECT_EQ(expired[0]["subject"], id);
  EXPECT_NE(web_log().find("1 transfer(s) past their retention expired"), std::string::npos) << web_log();
  auto listing = run_sanso("transfer list --json --as kato" + config_);
  EXPECT_NE(listing.output.find("\"expired\""), std::string::npos) << listing.output;
  auto got = run_sanso("transfer get " + id + " -o " + (dir_ / "out").string() + " --as kato" + config_);
  EXPECT_NE(got.exit_code, 0) << "nothing of an expired transfer can be fetched: " << got.output;
}

TEST_F(WebCli, AccountsAreAdministeredOnlyByAdministrators) {
  ASSERT_EQ(passwd("tanaka", "水俣市の情報政策係が管理します").exit_code, 0);
  std::ofstream(dir_ / "pw") << "a password chosen by staff\n";
  auto passwd_by_staff = run_sanso("user passwd tanaka --as sato" + config_ + " < " + (dir_ / "pw").string());
  EXPECT_EQ(passwd_by_staff.exit_code, 1);
  EXPECT_NE(passwd_by_staff.output.find("admin_roles"), std::string::npos) << passwd_by_staff.output;
  EXPECT_EQ(run_sanso("user unlock tanaka --as sato" + config_).exit_code, 1);
  EXPECT_EQ(run_sanso("user second-factor tanaka --as sato" + config_).exit_code, 1);
  EXPECT_EQ(run_sanso("user second-factor tanaka --remove --as sato" + config_).exit_code, 1);
  EXPECT_EQ(run_sanso("user sign-out tanaka --as sato" + config_).exit_code, 1);
  // An approver who signs in to the console is not thereby an administrator.
  EXPECT_EQ(run_sanso("user unlock tanaka --as suzuki" + config_).exit_code, 1);

  auto set = exported_audit_records(config_, "account.set-password");
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set[1]["actor"], "sato");
  EXPECT_EQ(set[1]["outcome"], "refused");
  EXPECT_EQ(set[1]["details"]["reason"], "web.forbidden");
  EXPECT_NE(set[1]["details"]["via"].get<std::string>().find("os user"), std::string::npos);
  auto unlocks = exported_audit_records(config_, "account.unlock");
  ASSERT_EQ(unlocks.size(), 2u);
  EXPECT_EQ(unlocks[1]["actor"], "suzuki");
  EXPECT_EQ(unlocks[1]["outcome"], "refused");
  EXPECT_EQ(exported_audit_records(config_, "account.remove-second-factor").size(), 1u);
  // Nothing changed: no second factor was given.
  EXPECT_EQ(run_sanso("user list" + config_).output.find("二要素"), std::string::npos);
}

TEST_F(WebCli, ARunningConsoleEndsTheSessionsOfSomeoneWhoLostTheirRoleAtOnce) {
  ASSERT_EQ(passwd("tanaka", "水俣市の情報政策係が管理します").exit_code, 0);
  int port = sanso::testing::free_tcp_port();
  start_web(port);
  httplib::Client c("127.0.0.1", port);
  auto in = c.Post("/login", httplib::Params{{"name", "tanaka"}, {"password", "水俣市の情報政策係が管理します"}});
  ASSERT_TRUE(in);
  ASSERT_EQ(in->status, 303);
  std::string cookie = in->get_header_value("Set-Cookie");
  cookie = cookie.substr(0, cookie.find(';'));
  ASSERT_EQ(c.Get("/", {{"Cookie", cookie}})->status, 200);

  std::string cfg = read_file(dir_ / "sanso.toml");
  const std::string role = "display = \"田中 情報政策係長\"\nroles = [\"security_manager\"]";
  ASSERT_NE(cfg.find(role), std::string::npos);
  cfg.replace(cfg.find(role), role.size(), "display = \"田中 情報政策係長\"\nroles = []");
  std::ofstream(dir_ / "sanso.toml") << cfg;
  ASSERT_EQ(::kill(pid_, SIGHUP), 0);
  // Ended and recorded by the reload itself: tanaka's browser has not asked for anything.
  std::vector<nlohmann::json> ended;
  for (int i = 0; i < 100 && ended.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (const auto& r : exported_audit_records(config_, "console.sign-out")) {
      if (r["outcome"] == "revoked") ended.push_back(r);
    }
  }
  ASSERT_EQ(ended.size(), 1u) << web_log();
  EXPECT_EQ(ended[0]["subject"], "tanaka");
  EXPECT_NE(web_log().find("reloaded sanso.toml"), std::string::npos) << web_log();
  EXPECT_EQ(c.Get("/", {{"Cookie", cookie}})->status, 303);
  auto again = c.Post("/login", httplib::Params{{"name", "tanaka"}, {"password", "水俣市の情報政策係が管理します"}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 401);
}

TEST_F(WebCli, RefusesToServeTheNetworkWithoutTls) {
  auto r = run_sanso("web --listen 0.0.0.0:" + std::to_string(sanso::testing::free_tcp_port()) + config_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("tls_cert"), std::string::npos) << r.output;
  auto bad = run_sanso("web --listen nowhere" + config_);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("host:port"), std::string::npos) << bad.output;
}

// `sanso api token` and the API of `sanso web`: a token made on the command line opens
// /api/v1/decide until it is revoked.
TEST_F(WebCli, ATokenMadeOnTheCommandLineOpensTheApiUntilRevoked) {
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
