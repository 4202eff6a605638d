// Paths named on the command line are the person's (cli/batch_files.h): under sudo every command
// that reads or writes one does so as the person who typed it — evidence kept with an inspection,
// a register import, a policy file, a signed checkpoint, a report or table written out — and where
// sanso runs as an unprivileged service account for someone else, what that person may do is
// judged by the files' modes and the folders above them. And an mbox is read message by message.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/cli_runner.h"
#include "support/files.h"
#include "support/example_policy.h"
#include "support/notice_text.h"
#include "support/test_store.h"

namespace {

namespace fs = std::filesystem;
using sanso::testing::read_file;
using sanso::testing::run_sanso;


class NamedFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sanso-named-files-" + sanso::testing::random_hex(4));
    fs::create_directories(dir_);
    ::chmod(dir_.c_str(), 0755);
    std::ofstream(dir_ / "sanso.toml") << sanso::testing::example_service_config();
    config_ = " --config " + (dir_ / "sanso.toml").string();
    as_1001_ = sanso::testing::other_account_prefix(1001, &why_);
    // Root-only files a person must not reach through sanso.
    std::ofstream(dir_ / "secret.eml") << "From: a@example.com\nSubject: s\n\nROOT-ONLY-SECRET\n";
    ::chmod((dir_ / "secret.eml").c_str(), 0600);
    fs::copy_file(policy_, dir_ / "secret-policy.toml");
    ::chmod((dir_ / "secret-policy.toml").c_str(), 0600);
    fs::create_directories(dir_ / "mine");
    if (::getuid() == 0) {
      EXPECT_EQ(::chown((dir_ / "mine").c_str(), 1001, 1001), 0);
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  // sanso as an unprivileged service account (uid 2001) for another person (real uid 1001); "" and
  // `why_` where that cannot be arranged.
  std::string service_account_for_1001() {
    if (::getuid() != 0 || ::access("/usr/bin/setpriv", X_OK) != 0) {
      why_ = "needs root and setpriv";
      return "";
    }
    std::string login;
    std::getline(std::ifstream("/proc/self/loginuid"), login);
    if (!login.empty() && login != "4294967295") {
      why_ = "this session has a login uid already";
      return "";
    }
    // A process of the person (real uid 1001, keeping root's effective uid only to switch) starts
    // sanso as the service account: "started by uid 1001", as doas -u or a person's job would.
    return "setpriv --ruid=1001 timeout 120 setpriv --reuid=2001 --regid=2001 --clear-groups ";
  }

  static uid_t owner(const fs::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 ? st.st_uid : static_cast<uid_t>(-1);
  }

  const std::string policy_ = std::string(SANSO_SOURCE_DIR) + "/examples/minamata/policy.toml";
  fs::path dir_;
  std::string config_;
  std::string as_1001_;
  std::string why_;
};

// setfsuid/setfsgid leave the thread's supplementary groups as they were: root's group 0 let the
// person read a root:root 0640 file (group-readable configuration, logs, exports).
TEST_F(NamedFiles, RootsGroupsDoNotLendThePersonTheirFiles) {
  if (as_1001_.empty()) GTEST_SKIP() << why_;
  std::ofstream(dir_ / "group.eml") << "From: a@example.com\nSubject: g\n\nROOT-GROUP-SECRET\n";
  ASSERT_EQ(::chown((dir_ / "group.eml").c_str(), 0, 0), 0);
  ::chmod((dir_ / "group.eml").c_str(), 0640);
  auto read = run_sanso("mail sanitize " + (dir_ / "group.eml").string() + " -o " + (dir_ / "mine" / "g.eml").string(), as_1001_);
  EXPECT_EQ(read.exit_code, 1) << read.output;
  EXPECT_FALSE(fs::exists(dir_ / "mine" / "g.eml"));
  // A group-writable root folder is not theirs to write into either.
  fs::create_directories(dir_ / "rootgroup");
  ::chmod((dir_ / "rootgroup").c_str(), 0775);
  std::ofstream(dir_ / "public.eml") << "From: a@example.com\nSubject: p\n\nPUBLIC\n";
  ::chmod((dir_ / "public.eml").c_str(), 0644);
  auto wrote = run_sanso("mail sanitize " + (dir_ / "public.eml").string() + " -o " + (dir_ / "rootgroup" / "p.eml").string(), as_1001_);
  EXPECT_EQ(wrote.exit_code, 1) << wrote.output;
  EXPECT_FALSE(fs::exists(dir_ / "rootgroup" / "p.eml"));
}

// Evidence is stored with the answer and shown in the console; an import lands in a register that
// is listed and exported again: neither may bring in a file the person could not read.
TEST_F(NamedFiles, EvidenceAndImportsAreReadAsThePerson) {
  if (as_1001_.empty()) GTEST_SKIP() << why_;
  auto created = run_sanso("inspect campaign create --template minamata-monthly --body mayor --period 2026-11 --assignee tanaka --as kato" + config_);
  ASSERT_EQ(created.exit_code, 0) << created.output;
  const std::string id = sanso::testing::last_line(created.output);
  auto evidence = run_sanso("inspect answer " + id + " monthly-mynumber-export yes --evidence " + (dir_ / "secret.eml").string() + " --as tanaka" + config_,
                            as_1001_);
  EXPECT_TRUE(sanso::testing::refused_with(evidence, "inspect.unreadable")) << evidence.output;
  auto shown = run_sanso("inspect show " + id + config_);
  EXPECT_EQ(shown.output.find("secret.eml"), std::string::npos) << shown.output;

  std::ofstream(dir_ / "assets.csv") << "識別子,名称,形態,管理者\nusb-09,秘密の台帳,紙,x\n";
  ::chmod((dir_ / "assets.csv").c_str(), 0600);
  auto imported = run_sanso("register import assets --format csv -f " + (dir_ / "assets.csv").string() + " --as tanaka" + config_, as_1001_);
  EXPECT_TRUE(sanso::testing::refused_with(imported, "register.unreadable")) << imported.output;
  EXPECT_EQ(run_sanso("register list assets" + config_).output.find("usb-09"), std::string::npos);
  // Readable by them, it goes in.
  ::chmod((dir_ / "assets.csv").c_str(), 0644);
  auto theirs = run_sanso("register import assets --format csv -f " + (dir_ / "assets.csv").string() + " --as tanaka" + config_, as_1001_);
  EXPECT_EQ(theirs.exit_code, 0) << theirs.output;
}

// A policy file, a cases file and a signed checkpoint named on the command line are read as the
// person; what `policy graph`, `register export` and `inspect report` write is theirs, only where
// they may write.
TEST_F(NamedFiles, PolicyInputsAndWrittenReportsAreThePersons) {
  if (as_1001_.empty()) GTEST_SKIP() << why_;
  auto check = run_sanso("policy check " + (dir_ / "secret-policy.toml").string(), as_1001_);
  EXPECT_TRUE(sanso::testing::refused_with(check, "cli.unreadable")) << check.output;
  EXPECT_EQ(run_sanso("policy check " + (dir_ / "secret-policy.toml").string()).exit_code, 0) << "root may read its own file";
  auto cases = run_sanso("policy test " + policy_ + " " + (dir_ / "secret.eml").string(), as_1001_);
  EXPECT_TRUE(sanso::testing::refused_with(cases, "cli.unreadable")) << cases.output;
  ASSERT_EQ(run_sanso("audit keygen" + config_).exit_code, 0);
  auto consistency = run_sanso("audit consistency " + (dir_ / "secret.eml").string() + config_, as_1001_);
  EXPECT_TRUE(sanso::testing::refused_with(consistency, "cli.unreadable")) << consistency.output;

  auto graph_root = run_sanso("policy graph " + policy_ + " -o " + (dir_ / "zones.svg").string(), as_1001_);
  EXPECT_EQ(graph_root.exit_code, 1) << graph_root.output;
  EXPECT_FALSE(fs::exists(dir_ / "zones.svg"));
  auto graph = run_sanso("policy graph " + policy_ + " -o " + (dir_ / "mine" / "zones.svg").string(), as_1001_);
  ASSERT_EQ(graph.exit_code, 0) << graph.output;
  EXPECT_EQ(owner(dir_ / "mine" / "zones.svg"), 1001u);

  auto table_root = run_sanso("register export assets -f " + (dir_ / "assets.xlsx").string() + config_, as_1001_);
  EXPECT_EQ(table_root.exit_code, 1) << table_root.output;
  EXPECT_FALSE(fs::exists(dir_ / "assets.xlsx"));
  auto table = run_sanso("register export assets -f " + (dir_ / "mine" / "assets.xlsx").string() + config_, as_1001_);
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_EQ(owner(dir_ / "mine" / "assets.xlsx"), 1001u);
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_ / "mine", ec)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << "no temporary left beside it: " << e.path();
  }
}

// sanso run as an unprivileged service account (uid 2001) for another person (real uid 1001):
// it cannot take their identity, so it reads only files whose mode and folders let the person
// read them, and writes only into folders the person may write into.
TEST_F(NamedFiles, AServiceAccountActsOnlyWithinWhatThePersonMay) {
  const std::string as_service = service_account_for_1001();
  if (as_service.empty()) GTEST_SKIP() << why_;
  // The service account's own folder: 0700, with a private key and a file of mode 0644 in it.
  const fs::path own = dir_ / "service";
  fs::create_directories(own);
  std::ofstream(own / "quarantine.key") << "From: a@example.com\nSubject: k\n\nSERVICE-KEY\n";
  std::ofstream(own / "open.eml") << "From: a@example.com\nSubject: o\n\nSERVICE-OPEN\n";
  ::chmod((own / "quarantine.key").c_str(), 0600);
  ::chmod((own / "open.eml").c_str(), 0644);
  ASSERT_EQ(::chown(own.c_str(), 2001, 2001), 0);
  ASSERT_EQ(::chown((own / "quarantine.key").c_str(), 2001, 2001), 0);
  ASSERT_EQ(::chown((own / "open.eml").c_str(), 2001, 2001), 0);
  ::chmod(own.c_str(), 0700);
  // The person's folder, which the service account may write into too.
  ::chmod((dir_ / "mine").c_str(), 0777);
  std::ofstream(dir_ / "public.eml") << "From: a@example.com\nSubject: p\n\nPUBLIC-TEXT\n";
  ::chmod((dir_ / "public.eml").c_str(), 0644);

  auto key = run_sanso("mail sanitize " + (own / "quarantine.key").string() + " -o " + (dir_ / "mine" / "k.eml").string(), as_service);
  EXPECT_TRUE(sanso::testing::refused_with(key, "cli.unreadable")) << key.output;
  auto hidden = run_sanso("mail sanitize " + (own / "open.eml").string() + " -o " + (dir_ / "mine" / "o.eml").string(), as_service);
  EXPECT_TRUE(sanso::testing::refused_with(hidden, "cli.unreadable")) << "0644 in a 0700 folder is not theirs: " << hidden.output;
  EXPECT_FALSE(fs::exists(dir_ / "mine" / "k.eml"));
  EXPECT_FALSE(fs::exists(dir_ / "mine" / "o.eml"));
  // Nor written into the service account's own folder, nor through a link of theirs into it.
  auto into = run_sanso("mail sanitize " + (dir_ / "public.eml").string() + " -o " + (own / "open.eml").string(), as_service);
  EXPECT_TRUE(sanso::testing::refused_with(into, "cli.unwritable")) << into.output;
  fs::create_symlink(own / "open.eml", dir_ / "mine" / "link.eml");
  auto through = run_sanso("mail sanitize " + (dir_ / "public.eml").string() + " -o " + (dir_ / "mine" / "link.eml").string(), as_service);
  EXPECT_TRUE(sanso::testing::refused_with(through, "cli.unwritable")) << through.output;
  EXPECT_NE(read_file(own / "open.eml").find("SERVICE-OPEN"), std::string::npos) << "the service's file is as it was";
  auto batch = run_sanso("mail sanitize --input " + dir_.string() + "/mine --output-dir " + own.string() + "/out", as_service);
  EXPECT_EQ(batch.exit_code, 1) << batch.output;
  EXPECT_FALSE(fs::exists(own / "out"));
  // What the person may read and write goes through.
  auto fine = run_sanso("mail sanitize " + (dir_ / "public.eml").string() + " -o " + (dir_ / "mine" / "p.eml").string(), as_service);
  EXPECT_EQ(fine.exit_code, 0) << fine.output;
  EXPECT_TRUE(fs::exists(dir_ / "mine" / "p.eml"));
}

// An mbox is split as it is read and each message read when its turn comes: a message over
// [mail] max_message_mb is named and not read while the others go through; ">From " lines come
// back as "From ".
TEST_F(NamedFiles, AnMboxIsTakenMessageByMessage) {
  std::ofstream(dir_ / "small.toml") << "[service]\nnode = \"gw-test\"\ndata_dir = \"data\"\npolicy = \"" << policy_
                                     << "\"\n[mail]\nlang = \"en\"\nmax_message_mb = 1\n";
  {
    std::ofstream mbox(dir_ / "box.mbox", std::ios::binary);
    mbox << "From a@example.com Mon Dec  7 10:00:00 2026\nFrom: a@example.com\nSubject: one\n\nFIRST-BODY\n>From the start\n\n";
    mbox << "From b@example.com Mon Dec  7 10:01:00 2026\nFrom: b@example.com\nSubject: two\n\n" << std::string(1100000, 'x') << "\n\n";
    mbox << "From c@example.com Mon Dec  7 10:02:00 2026\nFrom: c@example.com\nSubject: three\n\nTHIRD-BODY\n";
  }
  auto run = run_sanso("mail sanitize --input " + (dir_ / "box.mbox").string() + " --output-dir " + (dir_ / "out").string() + " --config " +
                       (dir_ / "small.toml").string());
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("message-2"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("cli.too-large"), std::string::npos) << run.output;
  EXPECT_TRUE(fs::exists(dir_ / "out" / "message-1.eml"));
  EXPECT_FALSE(fs::exists(dir_ / "out" / "message-2.eml"));
  EXPECT_TRUE(fs::exists(dir_ / "out" / "message-3.eml"));
  const std::string first = sanso::testing::notice_text(read_file(dir_ / "out" / "message-1.eml"));
  EXPECT_NE(first.find("FIRST-BODY"), std::string::npos) << first;
  EXPECT_NE(first.find("\nFrom the start"), std::string::npos) << "mboxrd: one '>' less: " << first;
  EXPECT_EQ(first.find("THIRD-BODY"), std::string::npos) << first;
  EXPECT_NE(sanso::testing::notice_text(read_file(dir_ / "out" / "message-3.eml")).find("THIRD-BODY"), std::string::npos);
  fs::create_directories(dir_ / "bad");
  std::ofstream(dir_ / "bad" / "x.mbox") << "Fromage\nFrom a@b\n\nbody\n";
  auto bad = run_sanso("mail sanitize --input " + (dir_ / "bad" / "x.mbox").string() + " --output-dir " + (dir_ / "out2").string());
  EXPECT_TRUE(sanso::testing::refused_with(bad, "mail.mbox")) << bad.output;
}

}  // namespace

namespace {

// Under sudo a root-owned file in root's folders passes as a configuration's owner; when it is no
// configuration, what is wrong with it (line, column, what the parser expected) would describe a
// file the person may not read — /etc/shadow's shape. Shown only to whoever can read it.
TEST_F(NamedFiles, ANonConfigurationThePersonCannotReadIsNotDescribed) {
  if (as_1001_.empty()) GTEST_SKIP() << why_;
  std::ofstream(dir_ / "shadow") << "root:$y$j9T$SECRETHASH:20228:0:99999:7:::\n";
  ::chmod((dir_ / "shadow").c_str(), 0600);
  auto theirs = run_sanso("quarantine list --config " + (dir_ / "shadow").string(), as_1001_);
  EXPECT_EQ(theirs.exit_code, 1) << theirs.output;
  EXPECT_EQ(theirs.output.find(":1:"), std::string::npos) << theirs.output;
  EXPECT_EQ(theirs.output.find("expected"), std::string::npos) << theirs.output;
  EXPECT_NE(theirs.output.find("not shown"), std::string::npos) << theirs.output;
  auto roots = run_sanso("quarantine list --config " + (dir_ / "shadow").string());
  EXPECT_EQ(roots.exit_code, 1) << roots.output;
  EXPECT_NE(roots.output.find(":1:"), std::string::npos) << "root, who may read it, is told where: " << roots.output;
}

// pkexec and doas make themselves root and run the command in their own process: sanso is root,
// its parent the person's shell, and nothing in the environment the kernel bears out. The person
// was taken to be root, and a root-only file came out. `timeout` stands in for the person's shell
// (a process of real uid 1001 that forks), `setpriv --ruid=0` for the elevating program.
TEST_F(NamedFiles, ACommandElevatedInPlaceIsThePersonsWhoStartedIt) {
  if (as_1001_.empty()) GTEST_SKIP() << why_;
  if (::access("/usr/bin/timeout", X_OK) != 0) GTEST_SKIP() << "timeout (coreutils) is missing";
  const std::string elevated = "setpriv --ruid=1001 timeout 120 setpriv --ruid=0 ";
  auto secret = run_sanso("mail sanitize " + (dir_ / "secret.eml").string() + " -o " + (dir_ / "mine" / "s.eml").string(), elevated);
  EXPECT_TRUE(sanso::testing::refused_with(secret, "cli.unreadable")) << secret.output;
  EXPECT_FALSE(fs::exists(dir_ / "mine" / "s.eml"));
  // What the person may read goes through, and what is written is theirs.
  std::ofstream(dir_ / "public.eml") << "From: a@example.com\nSubject: p\n\nPUBLIC\n";
  ::chmod((dir_ / "public.eml").c_str(), 0644);
  auto honest = run_sanso("mail sanitize " + (dir_ / "public.eml").string() + " -o " + (dir_ / "mine" / "p.eml").string(), elevated);
  EXPECT_EQ(honest.exit_code, 0) << honest.output;
  EXPECT_EQ(owner(dir_ / "mine" / "p.eml"), 1001u);
}

// CLI11's checks that a named file exists ran as root before anything was opened as the person:
// "File does not exist" for one name, "Permission denied" for another told them what lies in a
// folder closed to them. Now the person's own open answers, the same for both.
TEST_F(NamedFiles, WhatLiesInAFolderClosedToThePersonIsNotTold) {
  if (as_1001_.empty()) GTEST_SKIP() << why_;
  fs::create_directories(dir_ / "closed");
  ::chmod((dir_ / "closed").c_str(), 0700);
  std::ofstream(dir_ / "closed" / "there.eml") << "From: a@example.com\nSubject: s\n\nx\n";
  for (const std::string& command : std::vector<std::string>{"mail sanitize ", "quarantine add" + config_ + " --as tanaka ", "register import" + config_ + " --as tanaka -f ",
                                    "audit verify" + config_ + " --checkpoint "}) {
    auto there = run_sanso(command + (dir_ / "closed" / "there.eml").string(), as_1001_);
    auto absent = run_sanso(command + (dir_ / "closed" / "absent.eml").string(), as_1001_);
    EXPECT_NE(there.exit_code, 0) << command << there.output;
    EXPECT_EQ(there.exit_code, absent.exit_code) << command << there.output << absent.output;
    // The last line: the first command with --config also says it made the store's keys.
    std::string told = sanso::testing::last_line(absent.output);
    for (auto at = told.find("absent.eml"); at != std::string::npos; at = told.find("absent.eml")) told.replace(at, 10, "there.eml");
    EXPECT_EQ(sanso::testing::last_line(there.output), told) << command;
  }
}

// An access ACL (setfacl -m u:1001:---) that denies the person what the mode bits let everyone
// do: the service account judged by the mode alone read the file for them, and wrote into the
// folder. Raw ACLs as Linux stores them (system.posix_acl_access): version 2, then tag, perm, id.
std::string acl_denying_1001(unsigned owner_perm, unsigned rest) {
  std::string raw = {2, 0, 0, 0};
  const auto entry = [&raw](unsigned tag, unsigned perm, std::uint32_t id) {
    for (unsigned v : {tag & 0xff, tag >> 8, perm & 0xff, perm >> 8, id & 0xff, (id >> 8) & 0xff, (id >> 16) & 0xff, id >> 24}) raw += static_cast<char>(v);
  };
  entry(0x01, owner_perm, 0xffffffffu);  // the owner
  entry(0x02, 0, 1001);                   // user 1001: nothing
  entry(0x04, rest, 0xffffffffu);         // the owning group
  entry(0x10, rest, 0xffffffffu);         // the mask
  entry(0x20, rest, 0xffffffffu);         // others
  return raw;
}

TEST_F(NamedFiles, AnAclThatDeniesThePersonIsHeldToByTheServiceAccount) {
  const std::string as_service = service_account_for_1001();
  if (as_service.empty()) GTEST_SKIP() << why_;
  std::ofstream(dir_ / "denied.eml") << "From: a@example.com\nSubject: d\n\nACL-DENIED\n";
  ::chmod((dir_ / "denied.eml").c_str(), 0644);
  const std::string file_acl = acl_denying_1001(6, 4);
  if (::setxattr((dir_ / "denied.eml").c_str(), "system.posix_acl_access", file_acl.data(), file_acl.size(), 0) != 0) {
    GTEST_SKIP() << "this file system takes no ACLs: " << std::strerror(errno);
  }
  fs::create_directories(dir_ / "shut");
  ::chmod((dir_ / "shut").c_str(), 0755);
  std::ofstream(dir_ / "shut" / "inside.eml") << "From: a@example.com\nSubject: i\n\nBEHIND-ACL\n";
  ::chmod((dir_ / "shut" / "inside.eml").c_str(), 0644);
  const std::string folder_acl = acl_denying_1001(7, 5);
  ASSERT_EQ(::setxattr((dir_ / "shut").c_str(), "system.posix_acl_access", folder_acl.data(), folder_acl.size(), 0), 0);
  ::chmod((dir_ / "mine").c_str(), 0777);
  fs::create_directories(dir_ / "nowrite");
  ::chmod((dir_ / "nowrite").c_str(), 0777);
  const std::string write_acl = acl_denying_1001(7, 7);
  ASSERT_EQ(::setxattr((dir_ / "nowrite").c_str(), "system.posix_acl_access", write_acl.data(), write_acl.size(), 0), 0);
  std::ofstream(dir_ / "public.eml") << "From: a@example.com\nSubject: p\n\nPUBLIC\n";
  ::chmod((dir_ / "public.eml").c_str(), 0644);

  auto file = run_sanso("mail sanitize " + (dir_ / "denied.eml").string() + " -o " + (dir_ / "mine" / "d.eml").string(), as_service);
  EXPECT_TRUE(sanso::testing::refused_with(file, "cli.unreadable")) << file.output;
  auto folder = run_sanso("mail sanitize " + (dir_ / "shut" / "inside.eml").string() + " -o " + (dir_ / "mine" / "i.eml").string(), as_service);
  EXPECT_TRUE(sanso::testing::refused_with(folder, "cli.unreadable")) << folder.output;
  auto write = run_sanso("mail sanitize " + (dir_ / "public.eml").string() + " -o " + (dir_ / "nowrite" / "p.eml").string(), as_service);
  EXPECT_TRUE(sanso::testing::refused_with(write, "cli.unwritable")) << write.output;
  EXPECT_FALSE(fs::exists(dir_ / "mine" / "d.eml"));
  EXPECT_FALSE(fs::exists(dir_ / "mine" / "i.eml"));
  EXPECT_FALSE(fs::exists(dir_ / "nowrite" / "p.eml"));
  // Where the ACL does not name the person, the mode decides as before.
  auto fine = run_sanso("mail sanitize " + (dir_ / "public.eml").string() + " -o " + (dir_ / "mine" / "p.eml").string(), as_service);
  EXPECT_EQ(fine.exit_code, 0) << fine.output;
}

}  // namespace
