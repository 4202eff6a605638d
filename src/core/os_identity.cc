#include "core/os_identity.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>
#include <vector>

namespace sanso {
namespace {

constexpr std::uint32_t kUnsetLoginUid = 4294967295u;
// Deeper than any real chain of shells, tmux and sudo; a loop in a hostile /proc ends here.
constexpr int kMaxAncestors = 64;

std::optional<std::uint32_t> parse_uid(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  std::uint32_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::string read_small_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text(4096, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

struct ProcessStatus {
  int parent_pid = 0;
  std::optional<std::uint64_t> start;  // clock ticks after boot (/proc/<pid>/stat, field 22)
  std::uint32_t real_uid = 0;
  std::optional<std::uint32_t> effective_uid;
  std::string name;  // "Name:", the command's first 15 bytes
};

// Field 22 of /proc/<pid>/stat, counted after the command's closing parenthesis (a command may
// contain spaces and parentheses of its own).
std::optional<std::uint64_t> start_time(const std::string& proc, const std::string& pid) {
  const std::string stat = read_small_file(proc + "/" + pid + "/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  // Field 3 (state) is the first after the parenthesis; 22 is the twentieth.
  for (int i = 3; i <= 22; ++i) {
    if (!(fields >> field)) return std::nullopt;
  }
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
  if (ec != std::errc() || end != field.data() + field.size()) return std::nullopt;
  return v;
}

// "PPid:\t123" and "Uid:\treal\teffective\tsaved\tfs" from /proc/<pid>/status.
std::optional<ProcessStatus> read_status(const std::string& proc, int pid) {
  std::istringstream lines(read_small_file(proc + "/" + std::to_string(pid) + "/status"));
  ProcessStatus s;
  bool have_parent = false, have_uid = false;
  std::string line;
  while (std::getline(lines, line)) {
    std::string_view l(line);
    if (l.starts_with("PPid:")) {
      std::string_view v = l.substr(5);
      while (!v.empty() && (v.front() == '\t' || v.front() == ' ')) v.remove_prefix(1);
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), s.parent_pid);
      have_parent = ec == std::errc();
    } else if (l.starts_with("Uid:")) {
      std::string_view v = l.substr(4);
      while (!v.empty() && (v.front() == '\t' || v.front() == ' ')) v.remove_prefix(1);
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), s.real_uid);
      have_uid = ec == std::errc();
      std::string_view rest(end, static_cast<std::size_t>(v.data() + v.size() - end));
      while (!rest.empty() && (rest.front() == '\t' || rest.front() == ' ')) rest.remove_prefix(1);
      std::uint32_t effective = 0;
      if (auto [e2, ec2] = std::from_chars(rest.data(), rest.data() + rest.size(), effective); ec2 == std::errc()) s.effective_uid = effective;
    } else if (l.starts_with("Name:")) {
      std::string_view v = l.substr(5);
      while (!v.empty() && (v.front() == '\t' || v.front() == ' ')) v.remove_prefix(1);
      s.name = std::string(v);
    }
  }
  if (!have_parent || !have_uid) return std::nullopt;
  s.start = start_time(proc, std::to_string(pid));
  return s;
}

// A parent's status, unless its pid now names a process started after the child: the parent
// exited and its pid was reused between our reading the child and reading it. `child_start` is
// empty where the kernel does not say (a test's /proc).
std::optional<ProcessStatus> read_parent(const std::string& proc, int pid, std::optional<std::uint64_t> child_start) {
  auto status = read_status(proc, pid);
  if (status && status->start && child_start && *status->start > *child_start) return std::nullopt;
  return status;
}

enum class Sudo { kNo, kYes, kUnseen };

// The program a process runs, as installed: set-uid, owned by root, writable by nobody else.
// stat() through /proc/<pid>/exe reaches the file actually executed, even when a different file
// now has its name. kUnseen: the kernel does not show this process's program to us (an
// unprivileged process, `sudo -u sanso`, may not follow a root process's exe link).
struct Program {
  Sudo set_uid_root = Sudo::kNo;
  std::string name;  // the executable's file name
  std::string path;  // where it was run from, as the kernel names it
  bool root_owned = false;  // a regular file of root's that nobody else may write
};

Program program_of(const std::string& proc, int pid) {
  std::string exe = proc + "/" + std::to_string(pid) + "/exe";
  char target[4096];
  ssize_t n = ::readlink(exe.c_str(), target, sizeof target - 1);
  if (n <= 0) return {errno == EACCES || errno == EPERM ? Sudo::kUnseen : Sudo::kNo, ""};
  std::string_view path(target, static_cast<std::size_t>(n));
  auto slash = path.rfind('/');
  Program p{Sudo::kNo, std::string(path.substr(slash == std::string_view::npos ? 0 : slash + 1)), std::string(path)};
  struct stat st {};
  if (::stat(exe.c_str(), &st) != 0) return p;
  p.root_owned = S_ISREG(st.st_mode) && st.st_uid == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
  if (p.root_owned && (st.st_mode & S_ISUID) != 0) p.set_uid_root = Sudo::kYes;
  return p;
}

// The process runs a sudo binary as installed (see program_of).
Sudo runs_sudo(const std::string& proc, int pid) {
  const Program p = program_of(proc, pid);
  if (p.set_uid_root == Sudo::kUnseen) return Sudo::kUnseen;
  return p.name == "sudo" ? p.set_uid_root : Sudo::kNo;
}

std::string named(std::uint32_t uid) {
  std::string name = user_name_of(uid);
  return name.empty() ? "uid " + std::to_string(uid) : name;
}

// Environment text as evidence: bounded, printable.
std::string quoted_claim(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 64)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  return out;
}

// Whether the process that set our login uid is a strict ancestor running as root one of the
// login programs — as pam_loginuid runs in sshd, login and cron. Walking up, the last process
// that still carries the value (and our session id, which the kernel renews on every write) is
// the one that wrote it: a login uid is written once, and children inherit it.
bool login_uid_set_by_root(const OsIdentitySources& src, std::uint32_t login, std::optional<std::uint64_t> self_start) {
  const std::string session = read_small_file(src.proc + "/self/sessionid");
  int pid = src.parent_pid;
  std::optional<std::uint64_t> child_start = self_start;
  std::optional<ProcessStatus> setter;
  int setter_pid = 0;
  for (int depth = 0;; ++depth) {
    if (depth >= kMaxAncestors) return false;  // the top of the chain was not reached
    if (pid <= 0) break;
    auto carried = parse_uid(read_small_file(src.proc + "/" + std::to_string(pid) + "/loginuid"));
    if (!carried || *carried != login || read_small_file(src.proc + "/" + std::to_string(pid) + "/sessionid") != session) break;
    auto status = read_parent(src.proc, pid, child_start);
    if (!status) return false;
    setter = status;
    setter_pid = pid;
    if (pid == 1) break;
    pid = status->parent_pid;
    child_start = status->start;
  }
  // No ancestor carries it: this process (or an earlier program of its pid) wrote it.
  if (!setter) return false;
  // Its present uid and program, not its past: a clerk's process that wrote the value may since
  // have become root in place (doas, pkexec) running another program — never one of these, which
  // only root starts. A program we cannot see (run as an unprivileged service account) is not
  // known to be one.
  if (setter->real_uid != 0) return false;
  const Program program = program_of(src.proc, setter_pid);
  return program.root_owned && program.set_uid_root == Sudo::kNo &&
         std::find(src.login_programs.begin(), src.login_programs.end(), program.path) != src.login_programs.end();
}

// N of the first "user-N.slice" in /proc/self/cgroup's paths (systemd puts every login session
// and a person's own services under it); nullopt when there is none or two hierarchies disagree.
std::optional<std::uint32_t> session_slice_uid(const std::string& cgroups) {
  std::optional<std::uint32_t> found;
  std::istringstream lines(cgroups);
  std::string line;
  while (std::getline(lines, line)) {
    const auto path_at = line.find(':', line.find(':') + 1);
    if (path_at == std::string::npos) continue;
    std::string_view path = std::string_view(line).substr(path_at + 1);
    for (std::size_t at = path.find("/user-"); at != std::string_view::npos; at = path.find("/user-", at + 1)) {
      std::string_view rest = path.substr(at + 6);
      const auto dot = rest.find(".slice");
      if (dot == std::string_view::npos || (dot + 6 < rest.size() && rest[dot + 6] != '/')) continue;
      auto uid = parse_uid(rest.substr(0, dot));
      if (!uid) continue;
      if (found && *found != *uid) return std::nullopt;
      found = uid;
      break;
    }
  }
  return found;
}

}  // namespace

std::string user_name_of(std::uint32_t uid) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (::getpwuid_r(uid, &pw, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) return "";
  return found->pw_name;
}

std::uint32_t OsIdentity::person_uid() const {
  if (login_uid) return *login_uid;
  if (sudo_uid) return *sudo_uid;
  if (elevated_from) return *elevated_from;
  if (session_uid) return *session_uid;
  return real_uid;
}

std::string OsIdentity::account() const { return "uid " + std::to_string(person_uid()); }

std::string OsIdentity::via() const {
  std::string out = "os user " + named(real_uid) + " (uid " + std::to_string(real_uid) + ")";
  if (login_uid) out += "; login uid " + std::to_string(*login_uid) + " (" + named(*login_uid) + ")";
  if (sudo_uid) out += "; sudo by uid " + std::to_string(*sudo_uid) + " (" + named(*sudo_uid) + "), pid " + std::to_string(sudo_pid);
  if (elevated_from) out += "; started by uid " + std::to_string(*elevated_from) + " (" + named(*elevated_from) + "), pid " + std::to_string(elevated_pid);
  if (session_uid) out += "; in the login session of uid " + std::to_string(*session_uid) + " (" + named(*session_uid) + ")";
  if (unverified_login_uid) out += "; unverified login uid " + std::to_string(*unverified_login_uid);
  if (!unverified_sudo_claim.empty()) out += "; unverified " + unverified_sudo_claim;
  return out;
}

OsIdentity read_os_identity(const OsIdentitySources& src) {
  OsIdentity id;
  id.real_uid = src.real_uid;
  const std::optional<std::uint64_t> self_start = start_time(src.proc, "self");
  if (auto login = parse_uid(read_small_file(src.proc + "/self/loginuid")); login && *login != kUnsetLoginUid) {
    if (login_uid_set_by_root(src, *login, self_start)) id.login_uid = login;
    else id.unverified_login_uid = login;
  }

  if (src.sudo_uid_env || src.sudo_user_env) {
    // The claim holds only when a real sudo is among our ancestors and the process that started
    // it (or sudo itself, before it became root) ran with the claimed real uid.
    std::optional<std::uint32_t> claimed = src.sudo_uid_env ? parse_uid(*src.sudo_uid_env) : std::nullopt;
    int pid = src.parent_pid;
    std::optional<std::uint64_t> child_start = self_start;
    for (int depth = 0; claimed && pid > 1 && depth < kMaxAncestors; ++depth) {
      auto status = read_parent(src.proc, pid, child_start);
      if (!status) break;
      const Sudo sudo = runs_sudo(src.proc, pid);
      if (sudo == Sudo::kYes) {
        auto invoker = read_parent(src.proc, status->parent_pid, status->start);
        if (status->real_uid == *claimed || (invoker && invoker->real_uid == *claimed)) {
          id.sudo_uid = claimed;
          id.sudo_pid = pid;
        }
        break;
      }
      // Its program unseen, a sudo still shows what only a set-uid-root program started by the
      // claimed person has: effective uid 0 with that person's real uid. (Any root process has
      // effective 0, so its real uid must be the claim's, never its invoker's; a name alone is
      // anyone's to choose, an effective uid of 0 is not.)
      if (sudo == Sudo::kUnseen && status->name == "sudo" && status->effective_uid == 0u) {
        if (status->real_uid == *claimed) {
          id.sudo_uid = claimed;
          id.sudo_pid = pid;
        }
        break;
      }
      pid = status->parent_pid;
      child_start = status->start;
    }
    if (!id.sudo_uid) {
      if (src.sudo_user_env) id.unverified_sudo_claim += "SUDO_USER=" + quoted_claim(*src.sudo_user_env);
      if (src.sudo_uid_env) id.unverified_sudo_claim += (id.unverified_sudo_claim.empty() ? "" : " ") + std::string("SUDO_UID=") + quoted_claim(*src.sudo_uid_env);
    }
  }
  if (!id.login_uid && !id.sudo_uid) {
    // pkexec and doas leave no variable the kernel bears out (PKEXEC_UID is anyone's to set) and
    // sudo's may be missing or wrong; who started the chain of our own account's processes is not.
    int pid = src.parent_pid;
    std::optional<std::uint64_t> child_start = self_start;
    for (int depth = 0; pid > 0 && depth < kMaxAncestors; ++depth) {
      auto status = read_parent(src.proc, pid, child_start);
      if (!status) break;
      // A set-uid program that has made itself root (sudo's parent half) was started by its parent.
      const bool elevator = status->real_uid == 0 && program_of(src.proc, pid).set_uid_root == Sudo::kYes;
      if (status->real_uid != src.real_uid && !elevator) {
        if (status->real_uid != 0) {
          id.elevated_from = status->real_uid;
          id.elevated_pid = pid;
        }
        break;
      }
      if (pid == 1) break;
      pid = status->parent_pid;
      child_start = status->start;
    }
  }
  if (!id.login_uid && !id.sudo_uid && !id.elevated_from) {
    if (auto session = session_slice_uid(read_small_file(src.proc + "/self/cgroup")); session && *session != src.real_uid) id.session_uid = session;
  }
  return id;
}

OsIdentity os_identity_of_this_process() {
  OsIdentitySources src;
  src.real_uid = ::getuid();
  src.parent_pid = ::getppid();
  if (const char* v = std::getenv("SUDO_UID")) src.sudo_uid_env = v;
  if (const char* v = std::getenv("SUDO_USER")) src.sudo_user_env = v;
  return read_os_identity(src);
}

}  // namespace sanso
