#include "core/os_identity.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

namespace sanso {
namespace {

namespace fs = std::filesystem;

// A /proc of our own: processes with a parent, a real uid and an executable.
class FakeProc : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sanso-proc-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_ / "proc" / "self");
    fs::create_directories(dir_ / "bin");
    std::ofstream(dir_ / "proc" / "self" / "loginuid") << "4294967295";
    std::ofstream(dir_ / "bin" / "bash") << "not really bash";
    // What sudo is on disk: root's, set-uid, writable by nobody else.
    std::ofstream(dir_ / "bin" / "sudo") << "not really sudo";
    ::chmod((dir_ / "bin" / "sudo").c_str(), 04755);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void process(int pid, int parent, std::uint32_t real_uid, const std::string& exe) {
    fs::path p = dir_ / "proc" / std::to_string(pid);
    fs::create_directories(p);
    std::ofstream(p / "status") << "Name:\t" << exe << "\nUmask:\t0022\nState:\tS (sleeping)\nPid:\t" << pid << "\nPPid:\t" << parent
                                << "\nUid:\t" << real_uid << "\t0\t0\t0\nGid:\t0\t0\t0\t0\n";
    fs::create_symlink(dir_ / "bin" / exe, p / "exe");
  }

  // sanso ← bash (root) ← sudo (root) ← bash (uid 1000): `sudo -s` by uid 1000, then sanso.
  void sudo_chain() {
    process(300, 200, 0, "bash");
    process(200, 100, 0, "sudo");
    process(100, 1, 1000, "bash");
  }

  OsIdentitySources sources(std::optional<std::string> sudo_uid, std::optional<std::string> sudo_user) {
    OsIdentitySources s;
    s.proc = (dir_ / "proc").string();
    s.real_uid = 0;
    s.parent_pid = 300;
    s.sudo_uid_env = std::move(sudo_uid);
    s.sudo_user_env = std::move(sudo_user);
    return s;
  }

  // The set-uid root file stands in for sudo only when this test runs as root.
  bool can_fake_sudo() const { return ::geteuid() == 0; }

  fs::path dir_;
};

TEST_F(FakeProc, WithoutSudoThePersonIsTheRealUid) {
  process(300, 1, 0, "bash");
  auto id = read_os_identity(sources(std::nullopt, std::nullopt));
  EXPECT_EQ(id.person_uid(), 0u);
  EXPECT_EQ(id.account(), "uid 0");
  EXPECT_EQ(id.via().rfind("os user ", 0), 0u) << id.via();
  EXPECT_EQ(id.via().find("unverified"), std::string::npos) << id.via();
}

TEST_F(FakeProc, ASudoVariableWithoutASudoAncestorIsOnlyAClaim) {
  process(300, 1, 0, "bash");  // root's shell, no sudo anywhere
  auto id = read_os_identity(sources("1001", "suzuki"));
  EXPECT_FALSE(id.sudo_uid);
  EXPECT_EQ(id.account(), "uid 0");
  EXPECT_NE(id.via().find("unverified SUDO_USER=suzuki SUDO_UID=1001"), std::string::npos) << id.via();
}

TEST_F(FakeProc, ASudoAncestorStartedByTheClaimedUidBearsTheClaimOut) {
  if (!can_fake_sudo()) GTEST_SKIP() << "a stand-in for sudo must be owned by root: run as root";
  sudo_chain();
  auto id = read_os_identity(sources("1000", "tanaka"));
  ASSERT_TRUE(id.sudo_uid);
  EXPECT_EQ(*id.sudo_uid, 1000u);
  EXPECT_EQ(id.sudo_pid, 200);
  EXPECT_EQ(id.account(), "uid 1000");
  EXPECT_NE(id.via().find("sudo by uid 1000"), std::string::npos) << id.via();
}

TEST_F(FakeProc, ASudoAncestorStartedBySomeoneElseDoesNotBearOutTheClaim) {
  if (!can_fake_sudo()) GTEST_SKIP() << "a stand-in for sudo must be owned by root: run as root";
  sudo_chain();
  auto id = read_os_identity(sources("1001", "suzuki"));  // uid 1000 typed sudo, and claims to be 1001
  EXPECT_FALSE(id.sudo_uid);
  // Not 1001, and not root either: the account that started the chain is who asked.
  EXPECT_EQ(id.account(), "uid 1000");
  EXPECT_NE(id.via().find("unverified"), std::string::npos) << id.via();
  EXPECT_NE(id.via().find("started by uid 1000"), std::string::npos) << id.via();
}

TEST_F(FakeProc, AProgramMerelyNamedSudoIsNotSudo) {
  sudo_chain();
  ::chmod((dir_ / "bin" / "sudo").c_str(), 0755);  // anyone can name a program sudo; not make it set-uid root
  auto id = read_os_identity(sources("1000", "tanaka"));
  EXPECT_FALSE(id.sudo_uid);
  // Still not root's command: a process of uid 1000 started the chain.
  ASSERT_TRUE(id.elevated_from);
  EXPECT_EQ(*id.elevated_from, 1000u);
}

// pkexec and doas run the command in their own process, as root, with no variable the kernel bears
// out: the parent is the person's shell. (Before, the person was root: paths opened as root.)
TEST_F(FakeProc, AProgramThatElevatesInItsOwnProcessLeavesThePersonAsItsParent) {
  process(300, 100, 1000, "bash");
  process(100, 1, 0, "sshd");
  auto id = read_os_identity(sources(std::nullopt, std::nullopt));
  ASSERT_TRUE(id.elevated_from);
  EXPECT_EQ(id.elevated_pid, 300);
  EXPECT_EQ(id.account(), "uid 1000");
  EXPECT_NE(id.via().find("started by uid 1000"), std::string::npos) << id.via();
}

// A forked elevator that made itself root (sudo's parent half, su) is passed through to its parent.
TEST_F(FakeProc, AnElevatorThatMadeItselfRootIsPassedThrough) {
  if (!can_fake_sudo()) GTEST_SKIP() << "a stand-in for a set-uid program must be owned by root: run as root";
  process(300, 200, 0, "sudo");  // set-uid root, real uid 0 by now
  process(200, 1, 1000, "bash");
  OsIdentitySources s = sources(std::nullopt, std::nullopt);
  s.real_uid = 999;  // `sudo -u sanso` without SUDO_UID in the environment
  auto id = read_os_identity(s);
  ASSERT_TRUE(id.elevated_from);
  EXPECT_EQ(*id.elevated_from, 1000u);
}

// Root's processes (cron, systemd) starting us, as root or as the service account: nobody elevated.
TEST_F(FakeProc, ChainsStartedByRootHaveNoElevation) {
  process(300, 200, 0, "bash");
  process(200, 1, 0, "cron");
  process(1, 0, 0, "init");
  auto as_root = read_os_identity(sources(std::nullopt, std::nullopt));
  EXPECT_FALSE(as_root.elevated_from);
  EXPECT_EQ(as_root.account(), "uid 0");
  OsIdentitySources s = sources(std::nullopt, std::nullopt);
  s.real_uid = 999;
  auto as_service = read_os_identity(s);
  EXPECT_FALSE(as_service.elevated_from);
  EXPECT_EQ(as_service.account(), "uid 999");
}

// The service account started by a person's own process acts for that person.
TEST_F(FakeProc, AServiceAccountStartedFromAPersonsShellActsForThem) {
  process(300, 100, 999, "bash");
  process(100, 1, 1000, "bash");
  OsIdentitySources s = sources(std::nullopt, std::nullopt);
  s.real_uid = 999;
  auto id = read_os_identity(s);
  ASSERT_TRUE(id.elevated_from);
  EXPECT_EQ(id.account(), "uid 1000");
}

TEST_F(FakeProc, AParentLoopEnds) {
  process(300, 200, 0, "bash");
  process(200, 300, 0, "bash");
  auto id = read_os_identity(sources("1000", "tanaka"));
  EXPECT_FALSE(id.sudo_uid);
}

TEST_F(FakeProc, TheLoginUidNamesThePersonAcrossSuAndSudo) {
  process(300, 1, 0, "bash");
  std::ofstream(dir_ / "proc" / "self" / "loginuid") << "1000";
  auto id = read_os_identity(sources(std::nullopt, std::nullopt));
  ASSERT_TRUE(id.login_uid);
  EXPECT_EQ(id.account(), "uid 1000");
  EXPECT_NE(id.via().find("login uid 1000"), std::string::npos) << id.via();
}

TEST(OsIdentity, ThisProcessIsItsRealUid) {
  auto id = os_identity_of_this_process();
  EXPECT_EQ(id.real_uid, ::getuid());
  EXPECT_EQ(id.via().rfind("os user ", 0), 0u);
}

}  // namespace
}  // namespace sanso
