// The fixes of review28 ("paths on the command line are the person's") against a second read-only
// attack (review29): the configuration taken under sudo, the service account's writes for someone
// else. Each test failed at a4c3187, before its fix. The person is simulated as
// person_paths_test.cc does: `setpriv --ruid=1001` (root's effective uid, no login uid), and the
// service account as `setpriv --ruid=1001 --euid=61001`.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/cli_runner.h"
#include "support/files.h"
#include "support/notice_text.h"

namespace {

namespace fs = std::filesystem;
using sanso::testing::read_file;
using sanso::testing::readable_text;
using sanso::testing::run_sanso;



// Exchanges two names again and again (renameat2 RENAME_EXCHANGE) for as long as it lives: the
// attacker's side of a race between a check and an open.
class ExchangedInALoop {
 public:
  ExchangedInALoop(const fs::path& a, const fs::path& b)
      : thread_([this, a = a.string(), b = b.string()] {
          while (!stop_) ::syscall(SYS_renameat2, AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE);
        }) {}
  ~ExchangedInALoop() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};  // before thread_: set up before the thread reads it
  std::thread thread_;
};

bool no_login_uid() {
  std::ifstream in("/proc/self/loginuid");
  std::string login;
  std::getline(in, login);
  return login.empty() || login == "4294967295";
}

constexpr const char* kServiceAccount = "ASAN_OPTIONS=detect_leaks=0 setpriv --ruid=1001 --euid=61001 --rgid=1001 --egid=61001 --clear-groups ";

class PersonPaths29 : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::getuid() != 0 || ::access("/usr/bin/setpriv", X_OK) != 0 || !no_login_uid()) {
      GTEST_SKIP() << "needs root, setpriv and a session without a login uid";
    }
    dir_ = fs::temp_directory_path() / ("sanso-person-paths29-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    fs::create_directories(dir_);
    ::chmod(dir_.c_str(), 0755);
    fs::create_directories(dir_ / "mine");
    ASSERT_EQ(::chown((dir_ / "mine").c_str(), 1001, 1001), 0);
    invoice_ = std::string(SANSO_SOURCE_DIR) + "/examples/minamata/mail/invoice.eml";
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  fs::path dir_;
  std::string invoice_;
};

// A configuration's relative paths (policy, data_dir, notice_template, key files) were resolved
// against the folder of the path as typed: a link of the person's to the administrators' sanso.toml
// (the shipped example uses relative paths) made every one of them the person's. It is loaded from
// where it really lies.
TEST_F(PersonPaths29, RelativePathsOfTheAdministratorsConfigurationDoNotResolveInThePersonsFolder) {
  const fs::path etc = dir_ / "etc";
  fs::create_directories(etc);
  ::chmod(etc.c_str(), 0755);
  std::ofstream(etc / "sanso.toml") << "[service]\nnode = \"gw\"\ndata_dir = \"data\"\npolicy = \"policy.toml\"\n[mail]\nlang = \"en\"\n"
                                       "notice_template = \"notice.mustache\"\n";
  ::chmod((etc / "sanso.toml").c_str(), 0644);
  fs::copy_file(std::string(SANSO_SOURCE_DIR) + "/examples/minamata/policy.toml", etc / "policy.toml");
  std::ofstream(etc / "notice.mustache") << "Sanitized by Sanso.\n";
  std::ofstream(dir_ / "root-only.txt") << "ROOT-ONLY-TEMPLATE-4711\n";
  ::chmod((dir_ / "root-only.txt").c_str(), 0600);
  // The person's folder: a link to the administrators' file, their own policy, and a "template".
  fs::create_symlink(etc / "sanso.toml", dir_ / "mine" / "c.toml");
  fs::create_symlink(dir_ / "root-only.txt", dir_ / "mine" / "notice.mustache");
  fs::copy_file(etc / "policy.toml", dir_ / "mine" / "policy.toml");
  for (const char* n : {"c.toml", "notice.mustache", "policy.toml"}) ::lchown((dir_ / "mine" / n).c_str(), 1001, 1001);
  auto run = run_sanso("mail sanitize " + invoice_ + " -o " + (dir_ / "mine" / "out.eml").string() + " --config " +
                           (dir_ / "mine" / "c.toml").string(),
                       "setpriv --ruid=1001 --groups=0 ");
  std::error_code ec;
  const std::string out = fs::exists(dir_ / "mine" / "out.eml", ec) ? readable_text(read_file(dir_ / "mine" / "out.eml")) : "";
  EXPECT_EQ(out.find("ROOT-ONLY-TEMPLATE-4711"), std::string::npos) << "a root-only file came back in the notice";
  EXPECT_FALSE(fs::exists(dir_ / "mine" / "data", ec)) << "a data directory was made in the person's folder";
}

// sanso's account writes the person's bytes as itself (`file sanitize` of their text file,
// `quarantine export`): under `sudo -u sanso` such a laundered file in /tmp was taken as the
// configuration, and its notice_template read sanso's secrets. Only root's configurations are taken.
TEST_F(PersonPaths29, AFileTheServiceAccountWroteForThePersonIsNotTakenAsTheConfiguration) {
  const fs::path svc = dir_ / "svc", share = dir_ / "share";
  fs::create_directories(svc);
  fs::create_directories(share);
  ::chmod(share.c_str(), 01777);  // as /tmp
  ASSERT_EQ(::chown(svc.c_str(), 61001, 61001), 0);
  ::chmod(svc.c_str(), 0700);
  std::ofstream(svc / "audit.key") << "SERVICE-ONLY-KEY-4711\n";
  ASSERT_EQ(::chown((svc / "audit.key").c_str(), 61001, 61001), 0);
  ::chmod((svc / "audit.key").c_str(), 0600);
  std::ofstream(dir_ / "mine" / "evil.txt") << "[service]\nnode = \"evil\"\ndata_dir = \"" << (share / "data").string() << "\"\npolicy = \""
                                          << SANSO_SOURCE_DIR << "/examples/minamata/policy.toml\"\n[mail]\nlang = \"en\"\nnotice_template = \""
                                          << (svc / "audit.key").string() << "\"\n";
  ::chown((dir_ / "mine" / "evil.txt").c_str(), 1001, 1001);
  auto launder = run_sanso("file sanitize " + (dir_ / "mine" / "evil.txt").string() + " -o " + (share / "out").string(), kServiceAccount);
  std::error_code ec;
  if (!fs::exists(share / "out" / "evil.txt", ec)) GTEST_SKIP() << "the text file was not passed through: " << launder.output;
  auto run = run_sanso("mail sanitize " + invoice_ + " -o " + (share / "leak.eml").string() + " --config " + (share / "out" / "evil.txt").string(),
                       kServiceAccount);
  const std::string out = fs::exists(share / "leak.eml", ec) ? readable_text(read_file(share / "leak.eml")) : "";
  EXPECT_EQ(out.find("SERVICE-ONLY-KEY-4711"), std::string::npos) << "the service account's key came back in the notice";
  EXPECT_TRUE(sanso::testing::refused_with(run, "config.untrusted")) << run.output;
}

// A service account writing for someone else skipped the person's write check on any file of its
// own account: another person's output that sanso wrote earlier into a shared sticky folder was
// emptied and overwritten by anyone. Such a file is never replaced.
TEST_F(PersonPaths29, AServiceAccountDoesNotOverwriteItsOwnEarlierFileForSomeoneElse) {
  const fs::path share = dir_ / "share";
  fs::create_directories(share);
  ::chmod(share.c_str(), 01777);  // as /tmp
  std::ofstream(share / "bobs-export.eml") << "BOBS-EXPORT-4711\n";
  ASSERT_EQ(::chown((share / "bobs-export.eml").c_str(), 61001, 61001), 0);
  ::chmod((share / "bobs-export.eml").c_str(), 0600);
  auto run = run_sanso("mail sanitize " + invoice_ + " -o " + (share / "bobs-export.eml").string(), kServiceAccount);
  EXPECT_EQ(read_file(share / "bobs-export.eml"), "BOBS-EXPORT-4711\n") << run.output;
  EXPECT_TRUE(sanso::testing::refused_with(run, "cli.unwritable")) << run.output;
}

// The output's folder was checked, then the output opened by its whole path again: a folder of the
// person's swapped for a link to the service account's own folder between the two was followed,
// and the account's own file there (a store, a key) overwritten. It is written through the folder's
// checked descriptor. A race: the swap runs in a loop while sanso is run repeatedly.
TEST_F(PersonPaths29, AServiceAccountWritesNothingThroughAFolderSwappedAfterItsCheck) {
  const fs::path svc = dir_ / "svc";
  fs::create_directories(svc);
  ASSERT_EQ(::chown(svc.c_str(), 61001, 61001), 0);
  ::chmod(svc.c_str(), 0700);
  std::ofstream(svc / "store.db") << "SERVICE-STORE-4711\n";
  ASSERT_EQ(::chown((svc / "store.db").c_str(), 61001, 61001), 0);
  ::chmod((svc / "store.db").c_str(), 0600);
  fs::create_directories(dir_ / "mine" / "a");
  ::chown((dir_ / "mine" / "a").c_str(), 1001, 1001);
  fs::create_directory_symlink(svc, dir_ / "mine" / "b");
  ::lchown((dir_ / "mine" / "b").c_str(), 1001, 1001);
  // Padding before the swapped name widens the window between the check and the open.
  std::string padded = (dir_ / "mine").string() + "/";
  for (int i = 0; i < 800; ++i) padded += "./";
  padded += "a/store.db";
  std::string last;
  {
    ExchangedInALoop swapping(dir_ / "mine" / "a", dir_ / "mine" / "b");
    for (int i = 0; i < 60 && read_file(svc / "store.db") == "SERVICE-STORE-4711\n"; ++i) {
      last = run_sanso("mail sanitize " + invoice_ + " -o " + padded, kServiceAccount).output;
    }
  }
  EXPECT_EQ(read_file(svc / "store.db"), "SERVICE-STORE-4711\n") << "the service account's own file was overwritten through the swapped folder; " << last;
}


// The configuration was checked, then opened again by name to be loaded: a link of the person's that
// pointed at the administrators' file for the check and at their own for the load won the race
// within a few runs (a padded path widens the window). The file checked is the file loaded.
TEST_F(PersonPaths29, TheConfigurationLoadedIsTheOneChecked) {
  const fs::path etc = dir_ / "etc";
  fs::create_directories(etc);
  ::chmod(etc.c_str(), 0755);
  const std::string policy = std::string(SANSO_SOURCE_DIR) + "/examples/minamata/policy.toml";
  std::ofstream(etc / "sanso.toml") << "[service]\nnode = \"gw\"\ndata_dir = \"" << (etc / "data").string() << "\"\npolicy = \"" << policy
                                     << "\"\n[mail]\nlang = \"en\"\n";
  std::ofstream(dir_ / "root-only.txt") << "ROOT-ONLY-TEMPLATE-4711\n";
  ::chmod((dir_ / "root-only.txt").c_str(), 0600);
  std::ofstream(dir_ / "mine" / "evil.toml") << "[service]\nnode = \"evil\"\ndata_dir = \"" << (etc / "data").string() << "\"\npolicy = \""
                                            << policy << "\"\n[mail]\nlang = \"en\"\nnotice_template = \"" << (dir_ / "root-only.txt").string() << "\"\n";
  fs::create_symlink(etc / "sanso.toml", dir_ / "mine" / "c.toml");
  fs::create_symlink(dir_ / "mine" / "evil.toml", dir_ / "mine" / "x");
  std::string padded = (dir_ / "mine").string() + "/";
  for (int i = 0; i < 900; ++i) padded += "./";
  padded += "c.toml";
  bool leaked = false;
  {
    ExchangedInALoop swapping(dir_ / "mine" / "c.toml", dir_ / "mine" / "x");
    std::error_code ec;
    for (int i = 0; i < 40 && !leaked; ++i) {
      const fs::path out = dir_ / "mine" / ("out" + std::to_string(i) + ".eml");
      run_sanso("mail sanitize " + invoice_ + " -o " + out.string() + " --config " + padded, "setpriv --ruid=1001 --groups=0 ");
      leaked = fs::exists(out, ec) && readable_text(read_file(out)).find("ROOT-ONLY-TEMPLATE-4711") != std::string::npos;
    }
  }
  EXPECT_FALSE(leaked) << "a configuration other than the one checked was loaded";
}

}  // namespace
