// A private clamd for tests: its own socket, log and database directory holding one test
// signature (the bytes "SANSO-TEST-VIRUS"), so no virus database download is needed. Skips the
// calling test when clamav-daemon is not installed.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace sanso::testing {

inline constexpr const char* kTestVirus = "SANSO-TEST-VIRUS";

class ClamdServer {
 public:
  explicit ClamdServer(const std::filesystem::path& dir) : dir_(dir) {
    if (!std::filesystem::exists("/usr/sbin/clamd")) return;
    std::filesystem::create_directories(dir_ / "db");
    std::ofstream(dir_ / "db" / "sanso-test.ndb") << "SansoTestSignature:0:*:53414e534f2d544553542d5649525553\n";
    socket_ = (dir_ / "clamd.sock").string();
    std::ofstream(dir_ / "clamd.conf") << "LocalSocket " << socket_ << "\nDatabaseDirectory " << (dir_ / "db").string() << "\nForeground yes\nLogFile "
                                       << (dir_ / "clamd.log").string() << "\nStreamMaxLength 50M\n";
    if (geteuid() == 0) std::ofstream(dir_ / "clamd.conf", std::ios::app) << "User root\n";
    pid_ = fork();
    if (pid_ == 0) {
      const std::string conf = (dir_ / "clamd.conf").string();
      // Its log goes to clamd.log; the foreground copy on stdout would clutter the test output.
      if (FILE* null = std::freopen("/dev/null", "w", stdout)) (void)null;
      execl("/usr/sbin/clamd", "clamd", "-c", conf.c_str(), nullptr);
      _exit(127);
    }
    for (int i = 0; i < 300 && !std::filesystem::exists(socket_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ~ClamdServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool available() const { return pid_ > 0 && std::filesystem::exists(socket_); }
  std::string address() const { return "unix:" + socket_; }

 private:
  std::filesystem::path dir_;
  std::string socket_;
  pid_t pid_ = -1;
};

}  // namespace sanso::testing
