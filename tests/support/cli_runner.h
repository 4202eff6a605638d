// Runs the real `sanso` binary as an administrator would, capturing output and exit code.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>

namespace sanso::testing {

struct CliRun {
  int exit_code;
  std::string output;  // stdout and stderr together
};

// A command refused as it should be: exit code 1 and the error code in what it printed.
inline bool refused_with(const CliRun& run, const std::string& code) {
  return run.exit_code == 1 && run.output.find(code) != std::string::npos;
}

// `prefix` goes before the binary: environment assignments ("SUDO_USER=x "), or a wrapper.
inline CliRun run_sanso(const std::string& args, const std::string& prefix = "") {
  const std::string cmd = prefix + std::string(SANSO_CLI) + " " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return {-1, "popen failed"};
  std::string out;
  std::array<char, 4096> buf;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// A second person on an account of their own, for four-eyes: the command runs with real uid
// `uid` (the kernel's account of who runs it) and keeps root's effective uid to reach the store.
// Possible only as root in a session without a login uid (containers, CI); else "" and `why`.
inline std::string other_account_prefix(unsigned uid, std::string* why) {
  std::ifstream in("/proc/self/loginuid");
  std::string login;
  std::getline(in, login);
  if (::getuid() != 0) {
    *why = "acting as a second operating-system account needs root";
  } else if (!login.empty() && login != "4294967295") {
    *why = "this session has a login uid, which names one person for every command it runs";
  } else if (::access("/usr/bin/setpriv", X_OK) != 0) {
    *why = "setpriv (util-linux) is missing";
  } else {
    return "setpriv --ruid=" + std::to_string(uid) + " ";
  }
  return "";
}

// The last non-empty line of the output (e.g. the id `quarantine add` prints after any notices).
inline std::string last_line(const std::string& output) {
  std::string s = output;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  auto nl = s.rfind('\n');
  return nl == std::string::npos ? s : s.substr(nl + 1);
}

}  // namespace sanso::testing
