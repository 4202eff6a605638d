#include "core/os_identity.h"

#include <sys/stat.h>
#include <sys/wait.h>
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
    // What sshd is on disk: root's, not set-uid, one of the programs a login uid is believed from.
    std::ofstream(dir_ / "bin" / "sshd") << "not really sshd";
    std::ofstream(dir_ / "bin" / "sanso") << "not really sanso";
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

  // /proc/<pid>/loginuid ("self" for this process).
  void login_uid(const std::string& pid, std::uint32_t uid) { std::ofstream(dir_ / "proc" / pid / "loginuid") << uid; }
  // /proc/<pid>/stat with its start time (field 22) and a command that has a ") " of its own.
  void started_at(const std::string& pid, std::uint64_t ticks) {
    fs::create_directories(dir_ / "proc" / pid);
    std::ofstream(dir_ / "proc" / pid / "stat") << pid << " (a) b) S 1 1 1 0 -1 4194560 100 0 0 0 1 1 0 0 20 0 1 0 " << ticks << " 1000 100\n";
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
    s.login_programs = {(dir_ / "bin" / "sshd").string()};
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

// sshd (root) set the login uid through pam_loginuid; the person's shell, su and sudo inherit it.
TEST_F(FakeProc, TheLoginUidNamesThePersonAcrossSuAndSudo) {
  if (!can_fake_sudo()) GTEST_SKIP() << "a stand-in for sshd must be owned by root: run as root";
  process(1, 0, 0, "init");
  login_uid("1", 4294967295u);
  process(100, 1, 0, "sshd");  // sshd's session process: root, a login program
  login_uid("100", 1000);
  process(300, 100, 0, "bash");
  login_uid("300", 1000);
  login_uid("self", 1000);
  auto id = read_os_identity(sources(std::nullopt, std::nullopt));
  ASSERT_TRUE(id.login_uid);
  EXPECT_EQ(id.account(), "uid 1000");
  EXPECT_NE(id.via().find("login uid 1000"), std::string::npos) << id.via();
}

// The kernel lets a process whose login uid is unset write its own once, without privilege
// (review32 C1): a value first carried by a process of an ordinary account — or by this process
// alone — is that account's claim, whatever it names (another approver, root).
TEST_F(FakeProc, ALoginUidAnOrdinaryAccountWroteIsOnlyAClaim) {
  if (!can_fake_sudo()) GTEST_SKIP() << "a stand-in for sudo must be owned by root: run as root";
  for (std::uint32_t claimed : {1001u, 0u}) {
    process(1, 0, 0, "init");
    login_uid("1", 4294967295u);
    process(100, 1, 1000, "bash");  // wrote its own login uid
    login_uid("100", claimed);
    process(300, 100, 0, "sudo");
    login_uid("300", claimed);
    login_uid("self", claimed);
    auto id = read_os_identity(sources("1000", "tanaka"));
    EXPECT_FALSE(id.login_uid) << claimed;
    EXPECT_EQ(id.account(), "uid 1000") << id.via();
    EXPECT_NE(id.via().find("unverified login uid " + std::to_string(claimed)), std::string::npos) << id.via();
    fs::remove_all(dir_ / "proc" / "1");
    fs::remove_all(dir_ / "proc" / "100");
    fs::remove_all(dir_ / "proc" / "300");
  }
}

TEST_F(FakeProc, ALoginUidThisProcessWroteIsOnlyAClaim) {
  process(300, 1, 1000, "bash");
  login_uid("300", 4294967295u);
  login_uid("self", 1001);
  OsIdentitySources s = sources(std::nullopt, std::nullopt);
  s.real_uid = 1000;
  auto id = read_os_identity(s);
  EXPECT_FALSE(id.login_uid);
  EXPECT_EQ(id.account(), "uid 1000") << id.via();
  // And run in place as root (doas, pkexec): the shell that started it is the person.
  auto elevated = read_os_identity(sources(std::nullopt, std::nullopt));
  EXPECT_EQ(elevated.account(), "uid 1000") << elevated.via();
}

// A set-uid program that made itself root could write it for whoever ran it.
TEST_F(FakeProc, ALoginUidASetUidProgramWroteIsOnlyAClaim) {
  if (!can_fake_sudo()) GTEST_SKIP() << "a stand-in for a set-uid program must be owned by root: run as root";
  process(100, 1, 1000, "bash");
  login_uid("100", 4294967295u);
  process(300, 100, 0, "sudo");  // set-uid root, real uid 0 by now, wrote the login uid
  login_uid("300", 1001);
  login_uid("self", 1001);
  auto id = read_os_identity(sources(std::nullopt, std::nullopt));
  EXPECT_FALSE(id.login_uid);
  EXPECT_EQ(id.account(), "uid 1000") << id.via();
}

// The writer of a login uid judged as it is now: a clerk's process that wrote one and then became
// root in place (doas or pkexec running sanso in its own process) is root running a program that
// is no login program (review33 C1). The same chain under sshd is believed.
TEST_F(FakeProc, AWriterThatBecameRootInPlaceIsNoLoginProgram) {
  if (!can_fake_sudo()) GTEST_SKIP() << "the stand-ins must be owned by root: run as root";
  process(1, 0, 0, "init");
  login_uid("1", 4294967295u);
  process(300, 1, 0, "sanso");
  login_uid("300", 1002);
  login_uid("self", 1002);
  auto id = read_os_identity(sources(std::nullopt, std::nullopt));
  EXPECT_FALSE(id.login_uid) << id.via();
  EXPECT_NE(id.via().find("unverified login uid 1002"), std::string::npos) << id.via();
  // A login program's root process wrote it: believed.
  fs::remove(dir_ / "proc" / "300" / "exe");
  fs::create_symlink(dir_ / "bin" / "sshd", dir_ / "proc" / "300" / "exe");
  EXPECT_EQ(read_os_identity(sources(std::nullopt, std::nullopt)).account(), "uid 1002");
  // Unless the file at that name is not root's alone.
  ::chmod((dir_ / "bin" / "sshd").c_str(), 0666);
  EXPECT_FALSE(read_os_identity(sources(std::nullopt, std::nullopt)).login_uid);
}

// A parent's pid that now names a process started after us is not our parent (review32 L3).
TEST_F(FakeProc, APidReusedByALaterProcessIsNotReadAsTheParent) {
  process(300, 1, 1000, "bash");
  started_at("self", 5000);
  started_at("300", 9000);  // pid 300 was reused after our parent exited
  auto id = read_os_identity(sources(std::nullopt, std::nullopt));
  EXPECT_FALSE(id.elevated_from) << id.via();
  started_at("300", 4000);
  EXPECT_EQ(read_os_identity(sources(std::nullopt, std::nullopt)).account(), "uid 1000");
}

// doas or pkexec run in the background from a shell that then ended hang under init, as root's
// services do; systemd's cgroup still says whose login session they came from (review32 H1).
TEST_F(FakeProc, AnOrphanInAPersonsLoginSessionActsForThem) {
  process(1, 0, 0, "init");
  process(300, 1, 0, "doas");
  std::ofstream(dir_ / "proc" / "self" / "cgroup") << "1:name=systemd:/user.slice/user-1000.slice/session-4.scope\n0::/user.slice/user-1000.slice/session-4.scope\n";
  auto id = read_os_identity(sources(std::nullopt, std::nullopt));
  ASSERT_TRUE(id.session_uid);
  EXPECT_EQ(id.account(), "uid 1000");
  EXPECT_NE(id.via().find("login session of uid 1000"), std::string::npos) << id.via();
  // A person's own services (systemd --user) are in their slice too.
  std::ofstream(dir_ / "proc" / "self" / "cgroup") << "0::/user.slice/user-1000.slice/user@1000.service/app.slice/x.service\n";
  EXPECT_EQ(read_os_identity(sources(std::nullopt, std::nullopt)).account(), "uid 1000");
  // Root's services and root's own sessions are root's; a name that only looks like a slice is not one.
  for (const char* cgroup : {"0::/system.slice/cron.service\n", "0::/user.slice/user-0.slice/session-1.scope\n", "0::/user.slice/user-1000.slicer/x\n", "0::/\n"}) {
    std::ofstream(dir_ / "proc" / "self" / "cgroup") << cgroup;
    EXPECT_EQ(read_os_identity(sources(std::nullopt, std::nullopt)).account(), "uid 0") << cgroup;
  }
}

// The kernel itself: a login uid this process writes (allowed while it is unset) is not believed;
// one its root parent wrote is, when that parent runs a login program. Runs where this process's login uid is unset and writable.
TEST(OsIdentity, TheKernelsLoginUidIsBelievedOnlyWhenARootAncestorWroteIt) {
  std::ifstream own("/proc/self/loginuid");
  std::string value;
  own >> value;
  if (value != "4294967295") GTEST_SKIP() << "this process has a login uid already (" << value << ")";
  if (::geteuid() != 0) GTEST_SKIP() << "a root parent that writes the login uid needs root";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    {
      std::ofstream w("/proc/self/loginuid");
      w << 4242;
      w.close();
      if (!w) ::_exit(77);
    }
    // This process wrote it: a claim.
    const OsIdentity self = os_identity_of_this_process();
    if (self.login_uid || !self.unverified_login_uid || *self.unverified_login_uid != 4242u) ::_exit(1);
    // Its child inherits it from a root parent: believed when that parent runs a login program
    // (here this test's own binary stands for one), a claim when it does not.
    const pid_t grandchild = ::fork();
    if (grandchild == 0) {
      if (os_identity_of_this_process().login_uid) ::_exit(4);
      char exe[4096];
      const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
      if (n <= 0) ::_exit(5);
      OsIdentitySources src;
      src.real_uid = ::getuid();
      src.parent_pid = ::getppid();
      src.login_programs = {std::string(exe, static_cast<std::size_t>(n))};
      const OsIdentity id = read_os_identity(src);
      ::_exit(id.login_uid && *id.login_uid == 4242u && id.account() == "uid 4242" ? 0 : 2);
    }
    int status = 0;
    ::waitpid(grandchild, &status, 0);
    ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 3);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "the kernel does not let this process write its login uid";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: this process's own write was believed; 2: its root parent's (a login program) was not; "
                                       "4: a root parent running no login program was believed";
}

TEST(OsIdentity, ThisProcessIsItsRealUid) {
  auto id = os_identity_of_this_process();
  EXPECT_EQ(id.real_uid, ::getuid());
  EXPECT_EQ(id.via().rfind("os user ", 0), 0u);
}

}  // namespace
}  // namespace sanso
