#include "sandbox/converter.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <vector>

namespace sanso::sandbox {
namespace {

// Landlock rights by ABI version; the header of Debian 12 knows only the first two versions.
constexpr std::uint64_t kFsV1 = (1ULL << 13) - 1;       // execute … make_sym
constexpr std::uint64_t kFsRefer = 1ULL << 13;          // ABI 2
constexpr std::uint64_t kFsTruncate = 1ULL << 14;       // ABI 3
constexpr std::uint64_t kFsIoctlDev = 1ULL << 15;       // ABI 5
constexpr std::uint64_t kNetBindTcp = 1ULL << 0;        // ABI 4
constexpr std::uint64_t kNetConnectTcp = 1ULL << 1;     // ABI 4
constexpr std::uint64_t kScopeAbstractUnix = 1ULL << 0; // ABI 6
constexpr std::uint64_t kScopeSignal = 1ULL << 1;       // ABI 6
constexpr std::uint64_t kFileRights = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE | kFsTruncate | kFsIoctlDev;
constexpr std::uint64_t kRead = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;

struct RulesetAttr {
  std::uint64_t handled_access_fs;
  std::uint64_t handled_access_net;
  std::uint64_t scoped;
};

long landlock_abi() { return syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION); }

std::uint64_t fs_rights(long abi) {
  std::uint64_t r = kFsV1;
  if (abi >= 2) r |= kFsRefer;
  if (abi >= 3) r |= kFsTruncate;
  if (abi >= 5) r |= kFsIoctlDev;
  return r;
}

// Read-only for programs in general: libraries, fonts, locale data, the dynamic linker's cache.
const char* const kSystemReadPaths[] = {"/usr", "/lib", "/lib64", "/bin", "/etc/fonts", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
                                        "/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/localtime", "/etc/locale.alias", "/etc/mime.types",
                                        "/var/cache/fontconfig", "/proc/meminfo", "/proc/cpuinfo", "/proc/stat", "/proc/filesystems", "/sys/devices/system/cpu",
                                        "/dev/urandom", "/dev/random", "/dev/zero"};

bool add_rule(int ruleset, const char* path, std::uint64_t access, std::uint64_t handled) {
  int fd = ::open(path, O_PATH | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT;  // absent on this system: nothing to allow
  struct stat st {};
  if (::fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode)) access &= kFileRights;
  landlock_path_beneath_attr attr{};
  attr.allowed_access = access & handled;
  attr.parent_fd = fd;
  long rc = syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &attr, 0);
  ::close(fd);
  return rc == 0;
}

// In the child: only the listed places stay visible, the work directory the only writable one.
bool confine_files(const ConverterJob& job, long abi) {
  RulesetAttr attr{fs_rights(abi), abi >= 4 ? (kNetBindTcp | kNetConnectTcp) : 0, abi >= 6 ? (kScopeAbstractUnix | kScopeSignal) : 0};
  const std::size_t size = abi >= 6 ? sizeof attr : abi >= 4 ? 2 * sizeof(std::uint64_t) : sizeof(std::uint64_t);
  int ruleset = static_cast<int>(syscall(SYS_landlock_create_ruleset, &attr, size, 0));
  if (ruleset < 0) return false;
  const std::uint64_t handled = attr.handled_access_fs;
  bool ok = true;
  for (const char* p : kSystemReadPaths) ok = ok && add_rule(ruleset, p, kRead, handled);
  for (const auto& p : job.read_paths) ok = ok && add_rule(ruleset, p.c_str(), kRead, handled);
  for (const auto& p : job.socket_dirs) {
    ok = ok && add_rule(ruleset, p.c_str(), LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_REMOVE_FILE, handled);
  }
  ok = ok && add_rule(ruleset, "/dev/null", LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE, handled);
  ok = ok && add_rule(ruleset, "/proc/self", kRead, handled);  // resolved now: this process only
  ok = ok && add_rule(ruleset, job.work_dir.c_str(), handled & ~LANDLOCK_ACCESS_FS_EXECUTE, handled);
  ok = ok && syscall(SYS_landlock_restrict_self, ruleset, 0) == 0;
  ::close(ruleset);
  return ok;
}

// Default allow — a converter is a whole application — with the dangerous edges refused: internet
// sockets and any exec but the one about to happen fail; calls that administer the kernel or
// reach into other processes kill it.
// Compiled in the parent, loaded in the child: the child between fork and exec then allocates
// nothing (a forked child of a threaded process must not touch an allocator another thread may
// have held at the fork; glibc's copes, sanitizer runtimes do not).
std::vector<sock_filter> compile_converter_filter(const char* program, bool reexecutes_itself) {
  std::vector<sock_filter> out;
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == nullptr) return out;
  bool ok = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_NE, AF_UNIX)) == 0 &&
            (reexecutes_itself ||
             seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(execve), 1, SCMP_A0(SCMP_CMP_NE, reinterpret_cast<scmp_datum_t>(program))) == 0) &&
            seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(execveat), 0) == 0 &&
            seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(io_uring_setup), 0) == 0;
  const int killed[] = {SCMP_SYS(ptrace),        SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev), SCMP_SYS(mount),
                        SCMP_SYS(umount2),       SCMP_SYS(pivot_root),       SCMP_SYS(chroot),            SCMP_SYS(kexec_load),
                        SCMP_SYS(kexec_file_load), SCMP_SYS(init_module),    SCMP_SYS(finit_module),      SCMP_SYS(delete_module),
                        SCMP_SYS(bpf),           SCMP_SYS(perf_event_open),  SCMP_SYS(userfaultfd),       SCMP_SYS(keyctl),
                        SCMP_SYS(add_key),       SCMP_SYS(request_key),      SCMP_SYS(setns),             SCMP_SYS(unshare),
                        SCMP_SYS(reboot),        SCMP_SYS(swapon),           SCMP_SYS(swapoff),           SCMP_SYS(acct),
                        SCMP_SYS(iopl),          SCMP_SYS(ioperm),           SCMP_SYS(open_by_handle_at), SCMP_SYS(name_to_handle_at),
                        SCMP_SYS(quotactl),      SCMP_SYS(settimeofday),     SCMP_SYS(clock_settime),     SCMP_SYS(adjtimex),
                        SCMP_SYS(syslog),        SCMP_SYS(fanotify_init),    SCMP_SYS(vhangup)};
  for (int sys : killed) ok = ok && seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, sys, 0) == 0;
  int fd = ok ? static_cast<int>(::memfd_create("sanso-seccomp", MFD_CLOEXEC)) : -1;
  if (fd >= 0 && seccomp_export_bpf(ctx, fd) == 0) {
    const off_t size = ::lseek(fd, 0, SEEK_END);
    if (size > 0 && size % static_cast<off_t>(sizeof(sock_filter)) == 0) {
      out.resize(static_cast<std::size_t>(size) / sizeof(sock_filter));
      if (::pread(fd, out.data(), static_cast<std::size_t>(size), 0) != size) out.clear();
    }
  }
  if (fd >= 0) ::close(fd);
  seccomp_release(ctx);
  return out;
}

void limit(int resource, rlim_t value) {
  rlimit r{value, value};
  setrlimit(resource, &r);
}

[[noreturn]] void converter_child(const ConverterJob& job, int log_fd, long abi, char* const* argv, char* const* envp, const sock_fprog& filter) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  ::dup2(::open("/dev/null", O_RDONLY | O_CLOEXEC), 0);
  ::dup2(log_fd, 1);
  ::dup2(log_fd, 2);
  ::close_range(3, ~0U, 0);
  if (::chdir(job.work_dir.c_str()) != 0) _exit(120);
  // A network namespace with no interfaces: as root directly, otherwise inside a user namespace.
  // Where neither is possible the seccomp and Landlock rules below still keep sockets local.
  if (::unshare(CLONE_NEWNET) != 0) ::unshare(CLONE_NEWUSER | CLONE_NEWNET);
  if (::geteuid() == 0) {  // never convert as root
    if (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) _exit(121);
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(122);
  if (!confine_files(job, abi)) _exit(123);
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter, 0, 0) != 0) _exit(124);
  // Limits last: this process may still map far more than the converter will (sanitizer shadow
  // memory in test builds), and building the filter allocates.
  limit(job.limit_data_not_address_space ? RLIMIT_DATA : RLIMIT_AS, job.memory_bytes);
  const auto cpu = static_cast<rlim_t>(job.timeout.count() / 1000 + 1);
  rlimit cpu_limit{cpu, cpu + 1};
  setrlimit(RLIMIT_CPU, &cpu_limit);
  limit(RLIMIT_FSIZE, job.file_bytes);
  limit(RLIMIT_CORE, 0);
  limit(RLIMIT_NOFILE, 1024);
  ::execve(argv[0], argv, envp);
  _exit(127);
}

}  // namespace

ScratchDirectory::ScratchDirectory(const char* prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) != nullptr) dir = tmpl;
}

ScratchDirectory::~ScratchDirectory() {
  std::error_code ec;
  if (!dir.empty()) std::filesystem::remove_all(dir, ec);
}

Result<void> converter_sandbox_available() {
  long abi = landlock_abi();
  if (abi < 1) {
    return make_error("sandbox.unavailable", "landlock",
                      "this kernel does not offer Landlock (Linux 5.13 or later with landlock in the lsm= list): converters are not run "
                      "without file-system confinement");
  }
  return ok();
}

Result<ConverterOutcome> run_converter(const ConverterJob& job) {
  if (job.argv.empty() || job.argv[0].empty() || job.argv[0][0] != '/') {
    return make_error("sandbox.unavailable", "converter", "the converter must be given by its absolute path");
  }
  SANSO_TRY(converter_sandbox_available());
  const long abi = landlock_abi();
  if (::geteuid() == 0) {
    // The unprivileged converter writes here; nothing else of ours is writable to it.
    std::error_code ec;
    if (::chown(job.work_dir.c_str(), 65534, 65534) != 0) {
      return make_error("sandbox.unavailable", job.work_dir, std::string("cannot hand the scratch directory to the converter: ") + std::strerror(errno));
    }
    for (const auto& e : std::filesystem::directory_iterator(job.work_dir, ec)) {
      if (::chown(e.path().c_str(), 65534, 65534) != 0) return make_error("sandbox.unavailable", e.path().string(), std::strerror(errno));
    }
  }
  // Everything the child needs is built before fork: after it, only system calls.
  std::vector<std::string> env_strings = {"HOME=" + job.work_dir, "TMPDIR=" + job.work_dir, "PATH=/usr/bin:/bin", "LANG=C.UTF-8", "LC_ALL=C.UTF-8",
                                          "SAL_USE_VCLPLUGIN=svp"};
  for (const auto& e : job.env) {
    if (e.find('=') == std::string::npos || e.find('\0') != std::string::npos) return make_error("sandbox.unavailable", e, "an environment entry must be NAME=value");
    env_strings.push_back(e);
  }
  std::vector<char*> argv, envp;
  for (const auto& a : job.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env_strings) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  std::vector<sock_filter> filter = compile_converter_filter(argv[0], job.reexecutes_itself);
  if (filter.empty()) return make_error("sandbox.unavailable", "seccomp", "the converter's system-call filter could not be built");
  const sock_fprog program{static_cast<unsigned short>(filter.size()), filter.data()};

  int log[2];
  if (::pipe2(log, O_CLOEXEC) != 0) return make_error("sandbox.unavailable", "", std::string("pipe: ") + std::strerror(errno));
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    ::close(log[0]);
    ::close(log[1]);
    return make_error("sandbox.unavailable", "", std::string("fork: ") + std::strerror(e));
  }
  if (pid == 0) converter_child(job, log[1], abi, argv.data(), envp.data(), program);
  ::close(log[1]);
  ::setpgid(pid, pid);  // also from this side, so the kill below never misses the group
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));

  ConverterOutcome outcome;
  bool timed_out = false, exited = false, log_open = true;
  const auto deadline = std::chrono::steady_clock::now() + job.timeout;
  char buf[8192];
  while (!exited) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p[2] = {{log_open ? log[0] : -1, POLLIN, 0}, {pidfd, POLLIN, 0}};
    int rc = ::poll(p, 2, static_cast<int>(std::min<long long>(left, pidfd < 0 ? 100 : left)));
    if (rc < 0 && errno != EINTR) break;
    if (log_open && (p[0].revents & (POLLIN | POLLHUP)) != 0) {
      ssize_t n = ::read(log[0], buf, sizeof buf);
      if (n > 0) {
        outcome.log.append(buf, static_cast<std::size_t>(n));
        if (outcome.log.size() > 4096) outcome.log.erase(0, outcome.log.size() - 4096);
      } else if (n == 0) {
        log_open = false;
      }
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        ::kill(-pid, SIGKILL);
        ::close(log[0]);
        if (pidfd >= 0) ::close(pidfd);
        return make_error("sandbox.crash", job.argv[0],
                          std::string("the converter was stopped: ") + (sig == SIGSYS ? "it attempted a forbidden system call" : sig == SIGXCPU ? "it used too much CPU" : strsignal(sig)));
      }
    }
  }
  ::kill(-pid, SIGKILL);  // helpers it started, and the converter itself on a timeout
  if (!exited) ::waitpid(pid, nullptr, 0);
  ::close(log[0]);
  if (pidfd >= 0) ::close(pidfd);
  if (timed_out) return make_error("sandbox.timeout", job.argv[0], "the converter did not finish within " + std::to_string(job.timeout.count() / 1000) + " s");
  return outcome;
}

}  // namespace sanso::sandbox
