#include "sandbox/sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>

namespace sanso::sandbox {
namespace {

// Everything a parser needs to compute and allocate, and nothing that reaches outside the process.
bool apply_filter() {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
  if (ctx == nullptr) return false;
  const int allowed[] = {SCMP_SYS(read),       SCMP_SYS(write),         SCMP_SYS(close),        SCMP_SYS(exit),
                         SCMP_SYS(exit_group), SCMP_SYS(brk),           SCMP_SYS(mmap),         SCMP_SYS(munmap),
                         SCMP_SYS(mremap),     SCMP_SYS(madvise),       SCMP_SYS(mprotect),     SCMP_SYS(futex),
                         SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction), SCMP_SYS(sigaltstack),
                         SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(getrandom), SCMP_SYS(fstat),
                         SCMP_SYS(newfstatat), SCMP_SYS(lseek),         SCMP_SYS(getpid),       SCMP_SYS(gettid),
                         SCMP_SYS(tgkill),     SCMP_SYS(sched_yield),   SCMP_SYS(getrusage),    SCMP_SYS(prlimit64),
                         // in-process only: GLib wakeups, sanitizer runtime probes
                         SCMP_SYS(pipe2),      SCMP_SYS(pipe),          SCMP_SYS(eventfd2),
                         // threads of image and PDF libraries: compute only, same process
                         SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(sched_getaffinity), SCMP_SYS(nanosleep),
                         SCMP_SYS(clock_nanosleep), SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(getuid), SCMP_SYS(geteuid)};
  for (int sys : allowed) {
    if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sys, 0) != 0) {
      seccomp_release(ctx);
      return false;
    }
  }
  // A new thread, never a new process: clone only with CLONE_THREAD. clone3 passes its flags in
  // memory the filter cannot read, so it fails with ENOSYS and glibc falls back to clone.
  if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)) != 0 ||
      seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) != 0 ||
      // Worker threads name themselves; no other prctl.
      seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME)) != 0) {
    seccomp_release(ctx);
    return false;
  }
  bool ok = seccomp_load(ctx) == 0;
  seccomp_release(ctx);
  return ok;
}

bool write_all(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Child → parent: one status byte ('V' value, 'E' error), then for an error the code, where and
// message separated by NUL, for a value the bytes.
[[noreturn]] void child(int fd, const Work& work, std::string_view input, const Limits& limits, const Prepare& prepare) {
  // The limit is on growth: what the process maps already (a lot under AddressSanitizer, whose
  // shadow memory is reserved up front) plus the allowance.
  std::size_t mapped = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    unsigned long pages = 0;
    if (std::fscanf(f, "%lu", &pages) == 1) mapped = pages * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    std::fclose(f);
  }
  rlimit mem{mapped + limits.memory_bytes, mapped + limits.memory_bytes};
  setrlimit(RLIMIT_AS, &mem);
  rlim_t cpu = static_cast<rlim_t>(limits.timeout.count() / 1000 + 1);
  rlimit cpu_limit{cpu, cpu + 1};
  setrlimit(RLIMIT_CPU, &cpu_limit);
  rlimit no_files{0, 0};
  setrlimit(RLIMIT_FSIZE, &no_files);
  if (prepare) prepare();
  if (!apply_filter()) _exit(70);
  std::string out;
  try {
    Result<std::string> r = work(input);
    if (r) {
      out = "V" + std::move(r).value();
    } else {
      const Error& e = r.error();
      out = "E" + e.code + std::string(1, '\0') + e.where + std::string(1, '\0') + e.message;
    }
  } catch (const std::bad_alloc&) {
    out = std::string("E") + "sandbox.memory" + std::string(1, '\0') + std::string(1, '\0') + "the input needs more memory than the sandbox allows";
  } catch (const std::exception& e) {
    out = std::string("E") + "sandbox.exception" + std::string(1, '\0') + std::string(1, '\0') + e.what();
  }
  // _exit, not exit: no atexit handlers (leak checkers, stdio) run under the filter.
  _exit(write_all(fd, out.data(), out.size()) ? 0 : 71);
}

}  // namespace

Result<std::string> run(const Work& work, std::string_view input, const Limits& limits, const Prepare& prepare) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return make_error("sandbox.unavailable", "", std::string("pipe: ") + std::strerror(errno));
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return make_error("sandbox.unavailable", "", std::string("fork: ") + std::strerror(e));
  }
  if (pid == 0) {
    ::close(fds[0]);
    child(fds[1], work, input, limits, prepare);
  }
  ::close(fds[1]);
  std::string out;
  bool timed_out = false, too_large = false;
  const auto deadline = std::chrono::steady_clock::now() + limits.timeout;
  char buf[65536];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(left));
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) {
      timed_out = true;
      break;
    }
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > limits.output_bytes + 1) {
      too_large = true;
      break;
    }
  }
  ::close(fds[0]);
  if (timed_out || too_large) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return make_error("sandbox.timeout", "", "the parser did not finish within " + std::to_string(limits.timeout.count()) + " ms");
  }
  if (too_large) return make_error("sandbox.output-too-large", "", "the parser's output exceeded the limit");
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    std::string why = sig == SIGSYS ? "it attempted a forbidden system call" : sig == SIGXCPU ? "it used too much CPU" : std::string("signal ") + strsignal(sig);
    return make_error("sandbox.crash", "", "the parser was stopped: " + why);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || out.empty()) {
    return make_error("sandbox.crash", "", "the parser exited abnormally (status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  }
  if (out[0] == 'V') return out.substr(1);
  std::string_view rest = std::string_view(out).substr(1);
  auto a = rest.find('\0');
  auto b = a == std::string_view::npos ? a : rest.find('\0', a + 1);
  if (b == std::string_view::npos) return make_error("sandbox.crash", "", "the parser's answer was malformed");
  return make_error(std::string(rest.substr(0, a)), std::string(rest.substr(a + 1, b - a - 1)), std::string(rest.substr(b + 1)));
}

}  // namespace sanso::sandbox
