// "Files named on the command line are the person's" (cli/batch_files) against a read-only
// attack (review28): root's supplementary groups, a configuration of the person's choosing, a
// service account reading for someone else, an input folder swapped for a link after listing, an
// output folder swapped mid-run. Each failed before its fix. The person is simulated as
// tests/cli/batch_inputs_test.cc does: `setpriv --ruid=1001` (root's effective uid, no login uid).
#include <gtest/gtest.h>

#include <sys/stat.h>
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



std::string everything_under(const fs::path& dir) {
  std::string all;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) all += readable_text(read_file(e.path()));
  }
  return all;
}

class PersonPaths : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sanso-person-paths-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    fs::create_directories(dir_);
    ::chmod(dir_.c_str(), 0755);
    fs::create_directories(dir_ / "mine");
    if (::getuid() == 0) {
      if (::chown((dir_ / "mine").c_str(), 1001, 1001) != 0) GTEST_FAIL();
    }
    invoice_ = std::string(SANSO_SOURCE_DIR) + "/examples/minamata/mail/invoice.eml";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string as_1001() {
    std::string why;
    std::string prefix = sanso::testing::other_account_prefix(1001, &why);
    // As sudo leaves the process: root's supplementary groups (initgroups of root: group 0).
    if (!prefix.empty()) prefix += "--groups=0 ";
    if (prefix.empty()) why_ = why;
    return prefix;
  }
  fs::path dir_;
  std::string invoice_;
  std::string why_;
};

// setfsuid/setfsgid change one uid and one gid and leave the thread's supplementary groups (root's:
// group 0 under sudo): a file readable by group root only — /etc/sudoers (0440 root:root) on Debian —
// came out through sanso for anyone allowed to run it. The person's own groups apply instead.
TEST_F(PersonPaths, AFileReadableOnlyByRootsGroupIsNotThePersons) {
  const std::string as = as_1001();
  if (as.empty()) GTEST_SKIP() << why_;
  std::ofstream(dir_ / "group-root.txt") << "GROUP-ROOT-ONLY-4711\n";
  ASSERT_EQ(::chown((dir_ / "group-root.txt").c_str(), 0, 0), 0);
  ::chmod((dir_ / "group-root.txt").c_str(), 0640);
  auto run = run_sanso("file sanitize " + (dir_ / "group-root.txt").string() + " -o " + (dir_ / "mine" / "out").string(), as);
  EXPECT_EQ(everything_under(dir_ / "mine").find("GROUP-ROOT-ONLY-4711"), std::string::npos) << run.output;
  EXPECT_EQ(run.exit_code, 1) << run.output;
}

// Every path in a configuration (notice_template, policy, data_dir, key files) is read or written as
// sanso's account: a configuration of the person's choosing put a root-only file into the sanitized
// message they got back. Under sudo only the administrators' configuration is taken.
TEST_F(PersonPaths, AConfigurationOfThePersonsChoosingReadsNothingAsRoot) {
  const std::string as = as_1001();
  if (as.empty()) GTEST_SKIP() << why_;
  std::ofstream(dir_ / "root-only.txt") << "ROOT-ONLY-TEMPLATE-4711\n";
  ::chmod((dir_ / "root-only.txt").c_str(), 0600);
  std::ofstream(dir_ / "mine" / "sanso.toml") << "[service]\nnode = \"evil\"\ndata_dir = \"data\"\npolicy = \"" << SANSO_SOURCE_DIR
                                             << "/examples/minamata/policy.toml\"\n[mail]\nlang = \"en\"\nnotice_template = \""
                                             << (dir_ / "root-only.txt").string() << "\"\n";
  auto run = run_sanso("mail sanitize " + invoice_ + " -o " + (dir_ / "mine" / "out.eml").string() + " --config " +
                           (dir_ / "mine" / "sanso.toml").string(),
                       as);
  std::error_code ec;
  const std::string out = fs::exists(dir_ / "mine" / "out.eml", ec) ? readable_text(read_file(dir_ / "mine" / "out.eml")) : "";
  EXPECT_EQ(out.find("ROOT-ONLY-TEMPLATE-4711"), std::string::npos) << "a root-only file came back in the notice";
  EXPECT_NE(run.exit_code, 0) << run.output;
}

// Where sanso cannot take the person's identity (an unprivileged service account: here euid 61001,
// the person real uid 1001), the single message of `mail sanitize IN -o OUT` was read without asking
// whether the person may read it; only what the person's modes allow is read.
TEST_F(PersonPaths, AsAServiceAccountASingleMessageThePersonCannotReadIsNotRead) {
  if (::getuid() != 0 || ::access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "needs root and setpriv";
  std::ifstream login_in("/proc/self/loginuid");
  std::string login;
  std::getline(login_in, login);
  if (!login.empty() && login != "4294967295") GTEST_SKIP() << "this session has a login uid";
  const fs::path svc = dir_ / "svc";
  fs::create_directories(svc);
  ASSERT_EQ(::chown(svc.c_str(), 61001, 61001), 0);
  std::ofstream(svc / "secret.eml") << "From: a@example.com\nSubject: s\n\nSERVICE-ONLY-4711\n";
  ASSERT_EQ(::chown((svc / "secret.eml").c_str(), 61001, 61001), 0);
  ::chmod((svc / "secret.eml").c_str(), 0600);
  auto run = run_sanso("mail sanitize " + (svc / "secret.eml").string() + " -o " + (svc / "out.eml").string(),
                       "ASAN_OPTIONS=detect_leaks=0 setpriv --ruid=1001 --euid=61001 --rgid=1001 --egid=61001 --clear-groups ");
  std::error_code ec;
  const std::string out = fs::exists(svc / "out.eml", ec) ? readable_text(read_file(svc / "out.eml")) : "";
  EXPECT_EQ(out.find("SERVICE-ONLY-4711"), std::string::npos) << run.output;
  EXPECT_TRUE(sanso::testing::refused_with(run, "cli.unreadable")) << run.output;
}

// O_NOFOLLOW on a listed path guards its last component only. Whoever can write into the input
// folder lets the listing see a regular file d/shadow, then swaps d for a link to a folder with a
// file of that name: the batch (here run by root, the person) read the file the link reached and
// wrote it out. Entries are reached folder by folder, no link followed.
TEST_F(PersonPaths, AFolderOfTheInputSwappedForALinkAfterListingIsNotFollowed) {
  if (::getuid() != 0) GTEST_SKIP() << "needs root";
  const fs::path in = dir_ / "in", out = dir_ / "out", elsewhere = dir_ / "elsewhere";
  fs::create_directories(in / "a");
  fs::create_directories(in / "z");
  fs::create_directories(elsewhere);
  for (int i = 0; i < 300; ++i) std::ofstream(in / "a" / ("f" + std::to_string(1000 + i) + ".txt")) << "hello " << i << "\n";
  std::ofstream(in / "z" / "shadow") << "decoy\n";
  std::ofstream(elsewhere / "shadow") << "OUTSIDE-THE-INPUT-4711\n";
  ::chmod((elsewhere / "shadow").c_str(), 0600);
  std::atomic<bool> swapped{false}, stop{false};
  std::thread swapper([&] {
    std::error_code ec;
    while (!stop && !fs::exists(out / "in" / "a" / "f1000.txt", ec)) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (stop) return;
    fs::rename(in / "z", in / "z.old", ec);
    fs::create_directory_symlink(elsewhere, in / "z", ec);
    swapped = !ec;
  });
  auto run = run_sanso("file sanitize " + in.string() + " -o " + out.string());
  stop = true;
  swapper.join();
  if (!swapped) GTEST_SKIP() << "the swap came too late to test anything";
  EXPECT_EQ(everything_under(out).find("OUTSIDE-THE-INPUT-4711"), std::string::npos) << "a file outside the input was read through a link";
}

// The output folder was opened by its path again for every file: whoever can rename entries of its
// parent swapped it for a link between two files, and root created files, named and filled by
// whoever put them in the input, in the folder the link reached (/etc/cron.d). It is opened once.
TEST_F(PersonPaths, TheOutputFolderSwappedForALinkMidRunIsNotWrittenThrough) {
  if (::getuid() != 0) GTEST_SKIP() << "needs root";
  const fs::path in = dir_ / "in", share = dir_ / "share", target = dir_ / "target";
  fs::create_directories(in);
  fs::create_directories(share / "out");
  fs::create_directories(target);
  std::vector<std::string> args;
  std::string inputs;
  for (int i = 0; i < 300; ++i) {
    const fs::path f = in / ("f" + std::to_string(1000 + i) + ".txt");
    std::ofstream(f) << "hello " << i << "\n";
    inputs += " " + f.string();
  }
  std::ofstream(in / "zz-evil") << "* * * * * root touch /tmp/pwned\n";
  inputs += " " + (in / "zz-evil").string();
  std::atomic<bool> swapped{false}, stop{false};
  std::thread swapper([&] {
    std::error_code ec;
    while (!stop && !fs::exists(share / "out" / "f1000.txt", ec)) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (stop) return;
    fs::rename(share / "out", share / "out.old", ec);
    fs::create_directory_symlink(target, share / "out", ec);
    swapped = !ec;
  });
  auto run = run_sanso("file sanitize" + inputs + " -o " + (share / "out").string());
  stop = true;
  swapper.join();
  if (!swapped) GTEST_SKIP() << "the swap came too late to test anything";
  std::error_code ec;
  EXPECT_FALSE(fs::exists(target / "zz-evil", ec)) << "written through a link put in the output folder's place";
}

}  // namespace
