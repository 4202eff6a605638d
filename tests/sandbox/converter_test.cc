// The converter box: a real program runs and writes in its scratch directory, and cannot read
// outside what it is given, write elsewhere, exec another program, open an internet socket or
// outlive its timeout.
#include <gtest/gtest.h>

#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "sandbox/converter.h"

namespace sanso::sandbox {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct Scratch {
  fs::path dir;
  Scratch() {
    std::string tmpl = (fs::temp_directory_path() / "sanso-conv-test-XXXXXX").string();
    dir = ::mkdtemp(tmpl.data());
  }
  ~Scratch() { fs::remove_all(dir); }
};

ConverterJob shell(const Scratch& s, std::string script) {
  ConverterJob job;
  job.argv = {"/bin/sh", "-c", std::move(script)};
  job.work_dir = s.dir.string();
  job.timeout = 20s;
  return job;
}

class ConverterBox : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto available = converter_sandbox_available(); !available) GTEST_SKIP() << available.error().message;
  }
};

TEST_F(ConverterBox, WritesItsOutputInTheScratchDirectory) {
  Scratch s;
  auto r = run_converter(shell(s, "echo converted > out.txt && echo done"));
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  EXPECT_EQ(r->exit_code, 0) << r->log;
  EXPECT_EQ(r->log, "done\n");
  std::ifstream in(s.dir / "out.txt");
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "converted");
}

TEST_F(ConverterBox, CannotReadOrWriteOutsideItsBox) {
  Scratch s, secret_dir;
  { std::ofstream(secret_dir.dir / "key") << "secret"; }
  auto read = run_converter(shell(s, "cat " + (secret_dir.dir / "key").string()));
  ASSERT_TRUE(read.has_value());
  EXPECT_NE(read->exit_code, 0);
  EXPECT_EQ(read->log.find("secret"), std::string::npos) << read->log;
  // World-readable, yet outside the box: Landlock, not file permissions, refuses it.
  auto etc = run_converter(shell(s, "cat /etc/hostname"));
  ASSERT_TRUE(etc.has_value());
  EXPECT_NE(etc->exit_code, 0);
  EXPECT_NE(etc->log.find("Permission denied"), std::string::npos) << etc->log;
  auto write = run_converter(shell(s, "echo x > " + (secret_dir.dir / "planted").string()));
  ASSERT_TRUE(write.has_value());
  EXPECT_NE(write->exit_code, 0);
  EXPECT_FALSE(fs::exists(secret_dir.dir / "planted"));
}

TEST_F(ConverterBox, CannotExecAnotherProgramOrOpenAnInternetSocket) {
  Scratch s;
  // The shell itself was the one exec allowed; the programs it tries to start are refused.
  auto exec = run_converter(shell(s, "/bin/true && echo ran || echo refused"));
  ASSERT_TRUE(exec.has_value());
  EXPECT_NE(exec->log.find("refused"), std::string::npos) << exec->log;
  EXPECT_EQ(exec->log.find("ran"), std::string::npos) << exec->log;
  ConverterJob net;
  net.argv = {"/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/25 && echo connected || echo refused"};
  net.work_dir = s.dir.string();
  auto r = run_converter(net);
  ASSERT_TRUE(r.has_value());
  EXPECT_NE(r->log.find("refused"), std::string::npos) << r->log;
}

TEST_F(ConverterBox, AConverterThatHangsIsKilledWithItsChildren) {
  Scratch s;
  ConverterJob job = shell(s, "sleep 30 & sleep 30");
  job.argv = {"/bin/bash", "-c", "while :; do :; done & while :; do :; done"};
  job.timeout = 1s;
  const auto start = std::chrono::steady_clock::now();
  auto r = run_converter(job);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "sandbox.timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST_F(ConverterBox, WorksTheSameForAServiceThatIsNotRoot) {
  // sanso-milter.service runs as user sanso: the box is then built without privileges (a user
  // namespace for the network one), and must confine just as well.
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to become another user for the test";
  Scratch s;
  ASSERT_EQ(::chown(s.dir.c_str(), 65534, 65534), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) _exit(10);
    auto wrote = run_converter(shell(s, "echo converted > out.txt"));
    if (!wrote || wrote->exit_code != 0) _exit(11);
    auto read = run_converter(shell(s, "cat /etc/hostname"));
    if (!read || read->exit_code == 0 || read->log.find("Permission denied") == std::string::npos) _exit(12);
    ConverterJob tcp = shell(s, "");
    tcp.argv = {"/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/25 && echo connected || echo refused"};
    auto net = run_converter(tcp);
    if (!net || net->log.find("refused") == std::string::npos) _exit(13);
    _exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: could not drop privileges; 11: no output; 12: read outside the box; 13: socket not refused";
  EXPECT_TRUE(fs::exists(s.dir / "out.txt"));
}

TEST(ConverterJobs, ARelativeProgramPathIsRefused) {
  ConverterJob job;
  job.argv = {"soffice"};
  job.work_dir = "/tmp";
  auto r = run_converter(job);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "sandbox.unavailable");
}

}  // namespace
}  // namespace sanso::sandbox
