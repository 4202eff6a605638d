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

namespace {

namespace fs = std::filesystem;
using sanso::testing::run_sanso;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The raw text plus every run of base64 lines decoded (leniently), so a token is found either way.
std::string readable_text(const std::string& eml) {
  std::string all = eml, run;
  auto flush = [&] {
    static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned value = 0;
    int bits = 0;
    for (char c : run) {
      const auto at = kAlphabet.find(c);
      if (at == std::string::npos) continue;
      value = ((value << 6) | static_cast<unsigned>(at)) & 0xffffu;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        all += static_cast<char>((value >> bits) & 0xffu);
      }
    }
    run.clear();
  };
  std::istringstream lines(eml);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const bool b64 = !line.empty() && line.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") == std::string::npos;
    if (b64) {
      run += line;
    } else {
      flush();
    }
  }
  flush();
  return all;
}

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

// trusted_configuration checks the file the path reaches (root's, in root's folders), but the
// loader resolves the configuration's relative paths (policy, data_dir, notice_template, key
// files) against the folder of the path as typed: a link of the person's to the administrators'
// sanso.toml (the shipped example uses relative paths) makes every one of them the person's.
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
  const std::string out = fs::exists(dir_ / "mine" / "out.eml", ec) ? readable_text(read(dir_ / "mine" / "out.eml")) : "";
  EXPECT_EQ(out.find("ROOT-ONLY-TEMPLATE-4711"), std::string::npos) << "a root-only file came back in the notice";
  EXPECT_FALSE(fs::exists(dir_ / "mine" / "data", ec)) << "a data directory was made in the person's folder";
}

// Under `sudo -u sanso` trusted_configuration takes any file of sanso's own account in folders no
// one else may write (a sticky /tmp counts) — but sanso's account writes the person's bytes as
// itself into such folders: `file sanitize` of their text file, `quarantine export`. The laundered
// file is then taken as the configuration, and its notice_template reads sanso's secrets.
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
  const std::string out = fs::exists(share / "leak.eml", ec) ? readable_text(read(share / "leak.eml")) : "";
  EXPECT_EQ(out.find("SERVICE-ONLY-KEY-4711"), std::string::npos) << "the service account's key came back in the notice";
  EXPECT_TRUE(sanso::testing::refused_with(run, "config.untrusted")) << run.output;
}

// write_named_file, for a service account writing for someone else, skips the person's write check
// on any file of its own account (meant for the file it has just made): another person's output
// that sanso wrote earlier into a shared sticky folder is emptied and overwritten by anyone.
TEST_F(PersonPaths29, AServiceAccountDoesNotOverwriteItsOwnEarlierFileForSomeoneElse) {
  const fs::path share = dir_ / "share";
  fs::create_directories(share);
  ::chmod(share.c_str(), 01777);  // as /tmp
  std::ofstream(share / "bobs-export.eml") << "BOBS-EXPORT-4711\n";
  ASSERT_EQ(::chown((share / "bobs-export.eml").c_str(), 61001, 61001), 0);
  ::chmod((share / "bobs-export.eml").c_str(), 0600);
  auto run = run_sanso("mail sanitize " + invoice_ + " -o " + (share / "bobs-export.eml").string(), kServiceAccount);
  EXPECT_EQ(read(share / "bobs-export.eml"), "BOBS-EXPORT-4711\n") << run.output;
  EXPECT_TRUE(sanso::testing::refused_with(run, "cli.unwritable")) << run.output;
}

// write_named_file checks the output's folder (opened by path) and then opens the output by its
// whole path again: a folder of the person's swapped for a link to the service account's own
// folder between the two is followed, and the account's own file there (a store, a key) is
// emptied and overwritten. A race: the swap runs in a loop while sanso is run repeatedly.
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
  std::atomic<bool> stop{false};
  std::thread swapper([&] {
    const std::string a = (dir_ / "mine" / "a").string(), b = (dir_ / "mine" / "b").string();
    while (!stop) ::syscall(SYS_renameat2, AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE);
  });
  std::string last;
  for (int i = 0; i < 60 && read(svc / "store.db") == "SERVICE-STORE-4711\n"; ++i) {
    last = run_sanso("mail sanitize " + invoice_ + " -o " + padded, kServiceAccount).output;
  }
  stop = true;
  swapper.join();
  EXPECT_EQ(read(svc / "store.db"), "SERVICE-STORE-4711\n") << "the service account's own file was overwritten through the swapped folder; " << last;
}


// trusted_configuration opens and checks the path, then load_service has config::load_config open
// it again by name: a link of the person's that points at the administrators' file for the check
// and at their own for the load wins the race within a few runs (a padded path widens the window).
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
  std::atomic<bool> stop{false};
  std::thread swapper([&] {
    const std::string a = (dir_ / "mine" / "c.toml").string(), b = (dir_ / "mine" / "x").string();
    while (!stop) ::syscall(SYS_renameat2, AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE);
  });
  bool leaked = false;
  std::error_code ec;
  for (int i = 0; i < 40 && !leaked; ++i) {
    const fs::path out = dir_ / "mine" / ("out" + std::to_string(i) + ".eml");
    run_sanso("mail sanitize " + invoice_ + " -o " + out.string() + " --config " + padded, "setpriv --ruid=1001 --groups=0 ");
    leaked = fs::exists(out, ec) && readable_text(read(out)).find("ROOT-ONLY-TEMPLATE-4711") != std::string::npos;
  }
  stop = true;
  swapper.join();
  EXPECT_FALSE(leaked) << "a configuration other than the one checked was loaded";
}

}  // namespace
