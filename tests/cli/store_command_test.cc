// The store as an administrator meets it through `sanso`: private files whatever the umask, and
// a store that is deleted, replaced or rolled back refused instead of silently started afresh.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/audit_records.h"
#include "support/cli_runner.h"
#include "support/files.h"
#include "support/smtp_sink.h"
#include "support/test_store.h"

namespace {

namespace fs = std::filesystem;
using sanso::testing::run_sanso;

class StoreCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sanso-store-cli-" + sanso::testing::random_hex(4));
    fs::create_directories(dir_);
    config_ = write_config(dir_);
    std::ofstream(dir_ / "f.txt") << "suspicious";
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string write_config(const fs::path& dir) {
    std::ofstream(dir / "sanso.toml") << "[service]\nnode = \"gw-test\"\ndata_dir = \"data\"\npolicy = \"" << SANSO_SOURCE_DIR
                                      << "/examples/minamata/policy.toml\"\n[quarantine]\nexport_dir = \"exports\"\n"
                                         "[[users]]\nname = \"tanaka\"\nroles = [\"security_manager\"]\n"
                                         "[[users]]\nname = \"sato\"\nroles = [\"staff\"]\n";
    return " --config " + (dir / "sanso.toml").string();
  }

  sanso::testing::CliRun sanso(const std::string& args, const std::string& prefix = "") { return run_sanso(args + config_, prefix); }

  std::string add() {
    auto r = sanso("quarantine add " + (dir_ / "f.txt").string() + " --as tanaka");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return sanso::testing::last_line(r.output);
  }

  fs::path db() const { return dir_ / "data" / "sanso.db"; }

  void remove_store() {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db().string() + suffix);
  }

  fs::path dir_;
  std::string config_;
};

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0;
}

// `nobody` once read the password hashes and a TOTP secret out of a 0644 sanso.db.
TEST_F(StoreCli, EverythingWrittenIsPrivateWhateverTheUmask) {
  const std::string lax = "umask 022; ";
  std::string big(3 << 20, 'x');  // kept as a file of its own, not inside the database
  std::ofstream(dir_ / "big.bin", std::ios::binary) << big;
  auto added = sanso("quarantine add " + (dir_ / "big.bin").string() + " --as tanaka", lax);
  ASSERT_EQ(added.exit_code, 0) << added.output;
  std::string id = sanso::testing::last_line(added.output);
  ASSERT_EQ(sanso("quarantine export " + id + " -o " + (dir_ / "original.bin").string() + " --as tanaka", lax).exit_code, 0);
  ASSERT_EQ(sanso("audit checkpoint -o " + (dir_ / "cp.note").string(), lax).exit_code, 0);
  ASSERT_EQ(sanso("audit export --format csv -o " + (dir_ / "audit.csv").string(), lax).exit_code, 0);
  ASSERT_EQ(sanso("quarantine request-release " + id + " --reason r --as sato", lax).exit_code, 0);

  EXPECT_EQ(mode_of(dir_ / "data"), 0700u);
  for (const char* name : {"sanso.db", "quarantine.key", "audit.key", "audit.key.pub", "store.id", "audit-checkpoint"}) {
    EXPECT_EQ(mode_of(dir_ / "data" / name), 0600u) << name;
  }
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "data")) {
    EXPECT_EQ(mode_of(e.path()) & 077, 0u) << e.path() << " is open to others";
    files += e.is_regular_file() ? 1 : 0;
  }
  EXPECT_GE(files, 7);  // the six above and the sealed blob
  for (const char* name : {"original.bin", "cp.note", "audit.csv"}) EXPECT_EQ(mode_of(dir_ / name), 0600u) << name;
}

// Deleting sanso.db used to give an empty new store at the next command, and a log that
// `audit verify` called complete.
TEST_F(StoreCli, ADeletedStoreIsNotSilentlyCreatedAgain) {
  add();
  ASSERT_EQ(sanso("audit checkpoint -o " + (dir_ / "auditor.note").string()).exit_code, 0);
  std::string marker = sanso::testing::read_file(dir_ / "data" / "store.id");
  remove_store();

  auto list = sanso("quarantine list");
  EXPECT_EQ(list.exit_code, 1);
  EXPECT_NE(list.output.find("store.missing"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("store init --force"), std::string::npos) << list.output;
  EXPECT_FALSE(fs::exists(db())) << "a new store was created in place of the lost one";
  auto verify = sanso("audit verify");
  EXPECT_EQ(verify.exit_code, 1) << verify.output;
  EXPECT_EQ(sanso("store migrate").exit_code, 1);
  EXPECT_FALSE(fs::exists(db()));
  auto init = sanso("store init");
  EXPECT_EQ(init.exit_code, 1) << init.output;
  EXPECT_FALSE(fs::exists(db()));

  // The deliberate way: a new store, whose log starts with the restart.
  auto forced = sanso("store init --force");
  ASSERT_EQ(forced.exit_code, 0) << forced.output;
  EXPECT_EQ(sanso("quarantine list").exit_code, 0);
  auto restarts = sanso::testing::exported_audit_records(config_, "store.init");
  ASSERT_EQ(restarts.size(), 1u);
  EXPECT_EQ(restarts[0]["outcome"], "replaced");
  EXPECT_EQ(restarts[0]["details"]["reason"], "store.missing");
  EXPECT_NE(marker.find("id=" + restarts[0]["details"]["previous_store"].get<std::string>() + "\n"), std::string::npos) << marker;
  EXPECT_TRUE(restarts[0]["details"].contains("previous_checkpoint"));
  // The auditor's checkpoint shows the new log is not the old one continued: shorter
  // (rolled-back) or, once it has as many entries, different (forked).
  auto against_auditor = sanso("audit verify --json --checkpoint " + (dir_ / "auditor.note").string());
  EXPECT_EQ(against_auditor.exit_code, 1) << against_auditor.output;
  std::string problem = nlohmann::json::parse(against_auditor.output)["problem"];
  EXPECT_TRUE(problem == "rolled-back" || problem == "forked") << against_auditor.output;
}

TEST_F(StoreCli, AStoreFromElsewhereIsRefused) {
  add();
  fs::create_directories(dir_ / "other");
  std::string other = write_config(dir_ / "other");
  ASSERT_EQ(run_sanso("quarantine list" + other).exit_code, 0);
  remove_store();
  fs::copy_file(dir_ / "other" / "data" / "sanso.db", db());
  auto list = sanso("quarantine list");
  EXPECT_EQ(list.exit_code, 1);
  EXPECT_NE(list.output.find("store.replaced"), std::string::npos) << list.output;
}

TEST_F(StoreCli, AStoreRolledBackBehindItsCheckpointIsRefused) {
  add();
  fs::copy_file(db(), dir_ / "old.db");  // no command is running: the file is whole without its WAL
  add();
  ASSERT_EQ(sanso("audit checkpoint").exit_code, 0);
  ASSERT_EQ(sanso("quarantine list").exit_code, 0);  // the data directory now holds the newer checkpoint
  remove_store();
  fs::copy_file(dir_ / "old.db", db());

  auto list = sanso("quarantine list");
  EXPECT_EQ(list.exit_code, 1);
  EXPECT_NE(list.output.find("store.rolled-back"), std::string::npos) << list.output;
  auto verify = sanso("audit verify --json");
  EXPECT_EQ(verify.exit_code, 1) << verify.output;
  EXPECT_EQ(nlohmann::json::parse(verify.output)["problem"], "rolled-back") << verify.output;
}

// A service holding the store notices it deleted under it, and stops with the reason.
TEST_F(StoreCli, AServiceStopsWhenItsStoreIsDeletedUnderIt) {
  add();
  std::string log = (dir_ / "web.log").string();
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::string cfg = (dir_ / "sanso.toml").string();
    std::string listen = "127.0.0.1:" + std::to_string(sanso::testing::free_tcp_port());
    ::execl(SANSO_CLI, "sanso", "web", "--config", cfg.c_str(), "--listen", listen.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  bool up = false;
  for (int i = 0; i < 300 && !up; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    up = sanso::testing::read_file(log).find("console at") != std::string::npos;
  }
  if (!up) ::kill(pid, SIGKILL);
  ASSERT_TRUE(up) << sanso::testing::read_file(log);
  remove_store();
  int status = 0;
  pid_t done = 0;
  for (int i = 0; i < 200 && done == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    done = ::waitpid(pid, &status, WNOHANG);
  }
  if (done == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    FAIL() << "the service went on without its store: " << sanso::testing::read_file(log);
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
  EXPECT_NE(sanso::testing::read_file(log).find("store.replaced"), std::string::npos) << sanso::testing::read_file(log);
  EXPECT_FALSE(fs::exists(db()));
}

}  // namespace
