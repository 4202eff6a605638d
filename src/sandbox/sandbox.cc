#include "sandbox/sandbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/io.h"
#include "metrics/metrics.h"
#include "sandbox/internal/answer.h"

namespace sanso::sandbox {
namespace {

// access()-like calls (`mode_arg`: the argument holding the mode): F_OK and R_OK answered 0,
// W_OK and X_OK answered EACCES, none of them reaching the kernel.
bool answer_access(scmp_filter_ctx ctx, int syscall, unsigned mode_arg) {
  return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(0), syscall, 1, SCMP_CMP(mode_arg, SCMP_CMP_MASKED_EQ, W_OK | X_OK, 0)) == 0 &&
         seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), syscall, 1, SCMP_CMP(mode_arg, SCMP_CMP_MASKED_EQ, W_OK, W_OK)) == 0 &&
         seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), syscall, 1, SCMP_CMP(mode_arg, SCMP_CMP_MASKED_EQ, X_OK, X_OK)) == 0;
}

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
      seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME)) != 0 ||
      // fontconfig asks whether a font file it already holds is still readable at each new text
      // size (librsvg drawing an SVG's text). Asked for existence or reading, the answer is yes
      // without the kernel looking — a parser learns nothing of the file system from it, and
      // opening a file stays forbidden; asked for writing or executing, no (EACCES), so that no
      // library takes a branch that only ends at a forbidden open or exec.
      !answer_access(ctx, SCMP_SYS(access), 1) || !answer_access(ctx, SCMP_SYS(faccessat), 2) || !answer_access(ctx, SCMP_SYS(faccessat2), 2) ||
      // Every thread of the process, not only this one: a library may have started threads in
      // the set-up before the filter (librsvg's for SVG filters), and a thread outside the filter
      // is a parser outside the sandbox.
      seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0) {
    seccomp_release(ctx);
    return false;
  }
  bool ok = seccomp_load(ctx) == 0;
  seccomp_release(ctx);
  return ok;
}


// Limits, set-up and the filter, in that order, in a fresh child; false when the filter failed.
bool harden(const Limits& limits, const Prepare& prepare, std::uint64_t cpu_seconds);

// One job's answer: a status byte ('V' value, 'E' error), then for an error the code, where and
// message separated by NUL, for a value the bytes.
std::string answer(const Work& work, std::string_view input) {
  try {
    Result<std::string> r = work(input);
    if (r) return "V" + std::move(r).value();
    const Error& e = r.error();
    return "E" + e.code + std::string(1, '\0') + e.where + std::string(1, '\0') + e.message;
  } catch (const std::bad_alloc&) {
    return std::string("E") + "sandbox.memory" + std::string(1, '\0') + std::string(1, '\0') + "the input needs more memory than the sandbox allows";
  } catch (const std::exception& e) {
    return std::string("E") + "sandbox.exception" + std::string(1, '\0') + std::string(1, '\0') + e.what();
  }
}

// What the service's /metrics says of its sandbox: a parser the filter stopped is an attack or a
// filter gap, and workers replaced often mean hostile input or a broken engine.
struct SandboxMetrics {
  metrics::Counter& violations = metrics::Registry::global().counter(
      "sanso_sandbox_violations_total", "Sandboxed parsers stopped for a forbidden system call (seccomp)");
  metrics::Counter& restarts = metrics::Registry::global().counter(
      "sanso_sandbox_worker_restarts_total", "Pooled sandbox workers replaced after a crash, a timeout or an oversized answer");
  metrics::Gauge& waiting = metrics::Registry::global().gauge("sanso_sandbox_jobs_waiting", "Jobs waiting for a free sandbox worker");
};
SandboxMetrics& sandbox_metrics() {
  static SandboxMetrics* m = new SandboxMetrics();  // never destroyed: pools may run at exit
  return *m;
}

// How a child that gave no proper answer ended, as an error.
Error exit_error(int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    if (sig == SIGSYS) sandbox_metrics().violations.inc();
    std::string why = sig == SIGSYS ? "it attempted a forbidden system call" : sig == SIGXCPU ? "it used too much CPU" : std::string("signal ") + strsignal(sig);
    return make_error("sandbox.crash", "", "the parser was stopped: " + why);
  }
  return make_error("sandbox.crash", "", "the parser exited abnormally (status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
}

[[noreturn]] void child(int fd, const Work& work, std::string_view input, const Limits& limits, const Prepare& prepare) {
  if (!harden(limits, prepare, static_cast<std::uint64_t>(limits.timeout.count() / 1000 + 1))) _exit(70);
  std::string out = answer(work, input);
  // _exit, not exit: no atexit handlers (leak checkers, stdio) run under the filter.
  _exit(write_all(fd, out.data(), out.size()) ? 0 : 71);
}

bool harden(const Limits& limits, const Prepare& prepare, std::uint64_t cpu_seconds) {
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
  rlim_t cpu = static_cast<rlim_t>(cpu_seconds);
  rlimit cpu_limit{cpu, cpu + 1};
  setrlimit(RLIMIT_CPU, &cpu_limit);
  rlimit no_files{0, 0};
  setrlimit(RLIMIT_FSIZE, &no_files);
  rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  if (prepare) prepare();
  return apply_filter();
}

// In a fresh child: every descriptor but stdin/out/err and `keep` closed. A worker must not hold
// copies of the parent's sockets — another pool's channels (which would then never see EOF) or a
// service's client connections (which would then never close).
void close_other_fds(int keep) {
  const int lo = 3;
  if (keep > lo) ::close_range(lo, static_cast<unsigned>(keep - 1), 0);
  if (::close_range(static_cast<unsigned>(std::max(keep + 1, lo)), ~0U, 0) == 0) return;
  // Kernels before 5.9: close them one by one.
  long max = sysconf(_SC_OPEN_MAX);
  for (long fd = lo; fd < std::min<long>(max > 0 ? max : 65536, 65536); ++fd) {
    if (fd != keep) ::close(static_cast<int>(fd));
  }
}

// fork(), closing the channel's two ends again when it fails.
Result<pid_t> fork_with(int fds[2]) {
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return make_error("sandbox.unavailable", "", std::string("fork: ") + std::strerror(e));
  }
  return pid;
}

}  // namespace

namespace {

// CPU time (user + system) a live process has used; nullopt once it is gone. Read at every job's
// start: the process's CPU clock is one system call, where /proc/PID/stat (the fallback) is a
// path lookup, an open, a read and a parse — a fiftieth of a batch's CPU.
std::optional<std::chrono::milliseconds> cpu_time_of(pid_t pid) {
  clockid_t clock;
  timespec used{};
  if (::clock_getcpuclockid(pid, &clock) == 0 && ::clock_gettime(clock, &used) == 0) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::seconds(used.tv_sec) + std::chrono::nanoseconds(used.tv_nsec));
  }
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[1024];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  buf[n] = '\0';
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return std::nullopt;
  unsigned long long utime = 0, stime = 0;
  if (std::sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) return std::nullopt;
  static const long ticks = ::sysconf(_SC_CLK_TCK);
  return std::chrono::milliseconds(static_cast<std::int64_t>((utime + stime) * 1000 / static_cast<unsigned long long>(ticks > 0 ? ticks : 100)));
}

// A job's time limit is a CPU budget, kept by the wall clock. When the wall-clock deadline passes
// and the child has used well under its budget of CPU, the machine was busy and the child waited
// its turn: it gets the rest of its budget as more wall time, never more than kMostWall times the
// budget in all (a service's callers — Postfix's milter timeouts — must allow for that). A child
// that spins uses the CPU it gets and stops on time (its RLIMIT_CPU too); one starved on a loaded
// machine is not held as if it were hostile.
class JobClock {
 public:
  static constexpr int kMostWall = 2;
  // `cpu_before`: the child's CPU time when the job began (a pooled worker's earlier jobs).
  JobClock(pid_t pid, std::chrono::milliseconds budget, std::chrono::milliseconds cpu_before = std::chrono::milliseconds(0))
      : pid_(pid), budget_(budget), cpu_before_(cpu_before), start_(std::chrono::steady_clock::now()), deadline_(start_ + budget) {}
  std::chrono::steady_clock::time_point deadline() const { return deadline_; }
  // The deadline passed: true, with a later deadline, when the child was starved rather than busy.
  bool extend() {
    const auto now = std::chrono::steady_clock::now();
    const auto last = start_ + budget_ * kMostWall;
    if (now >= last) return false;
    const auto used = cpu_time_of(pid_);
    if (!used) return false;
    const auto left = budget_ - (*used - cpu_before_);
    if (left <= budget_ / 10) return false;
    deadline_ = std::min(last, now + left);
    return true;
  }

 private:
  pid_t pid_;
  std::chrono::milliseconds budget_, cpu_before_;
  std::chrono::steady_clock::time_point start_, deadline_;
};

}  // namespace

Result<std::string> run(const Work& work, std::string_view input, const Limits& limits, const Prepare& prepare) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return make_error("sandbox.unavailable", "", std::string("pipe: ") + std::strerror(errno));
  pid_t pid = SANSO_TRY(fork_with(fds));
  if (pid == 0) {
    close_other_fds(fds[1]);
    child(fds[1], work, input, limits, prepare);
  }
  ::close(fds[1]);
  std::string out;
  bool timed_out = false, too_large = false;
  JobClock clock(pid, limits.timeout);
  char buf[65536];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(clock.deadline() - std::chrono::steady_clock::now()).count();
    pollfd p{fds[0], POLLIN, 0};
    int rc = left > 0 ? ::poll(&p, 1, static_cast<int>(left)) : 0;
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) {  // the time is up, unless the child was starved
      if (clock.extend()) continue;
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
  if (WIFSIGNALED(status) || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || out.empty()) return exit_error(status);
  const char answer_status = out[0];
  out.erase(0, 1);
  bool malformed = false;  // the process is gone either way
  return internal::decode_answer(answer_status, std::move(out), malformed);
}

// --- the pool ------------------------------------------------------------------------------

namespace {

struct Worker {
  pid_t pid = -1;
  int fd = -1;           // our end of the socketpair
  std::size_t jobs = 0;  // done by this process
  bool busy = false;
};

bool read_exact(int fd, char* p, std::size_t n, JobClock& clock, bool& timed_out) {
  while (n > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(clock.deadline() - std::chrono::steady_clock::now()).count();
    pollfd pfd{fd, POLLIN, 0};
    int rc = left > 0 ? ::poll(&pfd, 1, static_cast<int>(left)) : 0;
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) {  // the time is up, unless the child was starved
      if (clock.extend()) continue;
      timed_out = true;
      return false;
    }
    ssize_t got = ::read(fd, p, n);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    p += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

bool read_frame_blocking(int fd, std::string& out) {
  char len[8];
  std::size_t have = 0;
  while (have < 8) {
    ssize_t n = ::read(fd, len + have, 8 - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    have += static_cast<std::size_t>(n);
  }
  std::uint64_t size = 0;
  for (int i = 0; i < 8; ++i) size |= static_cast<std::uint64_t>(static_cast<unsigned char>(len[i])) << (8 * i);
  out.resize(static_cast<std::size_t>(size));
  have = 0;
  while (have < size) {
    ssize_t n = ::read(fd, out.data() + have, static_cast<std::size_t>(size) - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    have += static_cast<std::size_t>(n);
  }
  return true;
}


// A length-prefixed frame. Workers write with write() (their filter has no send()); the parent
// sends without SIGPIPE.
bool write_frame(int fd, std::string_view payload, bool from_worker) {
  char len[8];
  std::uint64_t size = payload.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((size >> (8 * i)) & 0xFF);
  if (from_worker) return write_all(fd, len, 8) && write_all(fd, payload.data(), payload.size());
  return send_all(fd, len, 8) && send_all(fd, payload.data(), payload.size());
}

// The template's requests: one byte, then for kWait the worker's pid.
constexpr char kSpawn = 'S';
constexpr char kWait = 'W';

// How many threads this process has (its entries in /proc/self/task); 0 when it cannot tell.
int thread_count() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/task")) {
    while (const dirent* e = ::readdir(d)) n += e->d_name[0] != '.' ? 1 : 0;
    ::closedir(d);
  }
  return n;
}

// A pooled worker's life: it reads the jobs of its channel until the channel closes.
// Hardened when the first job arrives, not at the fork: a pool's workers that never get a job —
// the attachment batches of a run whose mails have one attachment each — then cost a fork, not a
// set-up each, nor a wait for it at shutdown. Until then the worker only reads the job's bytes;
// nothing parses them before the limits and the filter are in place.
[[noreturn]] void serve(int fd, const Task& task) {
  const auto per_job = static_cast<std::uint64_t>(task.limits.timeout.count() / 1000 + 1);
  bool hardened = false;
  std::string input;
  while (read_frame_blocking(fd, input)) {
    if (!hardened && !harden(task.limits, task.prepare, per_job * task.jobs_per_worker)) _exit(70);
    hardened = true;
    if (!write_frame(fd, answer(task.work, input), true)) break;
  }
  _exit(0);
}

// The template's answer to kSpawn: the worker's pid (or, below zero, the errno of the failure;
// -1000 when the set-up left threads behind) with the parent's end of the worker's channel.
bool send_worker(int control, std::int32_t pid, int channel) {
  msghdr msg{};
  iovec iov{&pid, sizeof pid};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control_buf[CMSG_SPACE(sizeof(int))] = {};
  if (channel >= 0) {
    msg.msg_control = control_buf;
    msg.msg_controllen = sizeof control_buf;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &channel, sizeof(int));
  }
  while (true) {
    ssize_t n = ::sendmsg(control, &msg, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    return n == static_cast<ssize_t>(sizeof pid);
  }
}

constexpr std::int32_t kThreadsLeft = -1000;

// The template process: one thread, none of the caller's descriptors, no input ever. It sets up
// once and forks the pool's workers on request, then reaps them and tells how they ended. It ends
// when the pool closes its end (or the caller's process ends).
[[noreturn]] void run_template(int control, const Task& task) {
  bool prepared = false;
  bool usable = true;
  while (true) {
    char request[1 + sizeof(std::int32_t)];
    ssize_t n = ::recv(control, request, sizeof request, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(0);
    if (request[0] == kWait && n == static_cast<ssize_t>(sizeof request)) {
      std::int32_t pid = 0;
      std::memcpy(&pid, request + 1, sizeof pid);
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      std::int32_t answer = status;
      if (::send(control, &answer, sizeof answer, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof answer)) _exit(0);
      continue;
    }
    if (request[0] != kSpawn) _exit(0);
    if (!prepared) {
      prepared = true;
      if (task.prepare_once) task.prepare_once();
      // A fork copies only the forking thread: a worker forked from a set-up that left threads
      // behind would wait for them forever, or find their locks held.
      usable = thread_count() == 1;
    }
    if (!usable) {
      if (!send_worker(control, kThreadsLeft, -1)) _exit(0);
      continue;
    }
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
      if (!send_worker(control, -errno, -1)) _exit(0);
      continue;
    }
    pid_t pid = ::fork();
    if (pid == 0) {
      // Only the template's own channel and the other end of ours: whatever the set-up opened
      // (and may use again) stays, and the template holds nothing of the caller's.
      ::close(control);
      ::close(fds[0]);
      serve(fds[1], task);
    }
    const int fork_errno = errno;
    ::close(fds[1]);
    const bool sent = send_worker(control, pid > 0 ? pid : -fork_errno, pid > 0 ? fds[0] : -1);
    ::close(fds[0]);
    if (!sent) _exit(0);
  }
}

}  // namespace

struct WorkerPool::State {
  Task task;
  std::mutex mutex;
  std::condition_variable idle;
  std::vector<Worker> workers;
  // The template process and our end of its channel (SOCK_SEQPACKET: one request, one answer).
  pid_t template_pid = -1;
  int template_fd = -1;

  Result<void> start_template() {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
      return make_error("sandbox.unavailable", "", std::string("socketpair: ") + std::strerror(errno));
    }
    pid_t pid = SANSO_TRY(fork_with(fds));
    if (pid == 0) {
      close_other_fds(fds[1]);
      run_template(fds[1], task);
    }
    ::close(fds[1]);
    template_pid = pid;
    template_fd = fds[0];
    return ok();
  }

  void stop_template() {
    if (template_fd >= 0) ::close(template_fd);  // the template ends at the end of its channel
    template_fd = -1;
    if (template_pid > 0) {
      while (waitpid(template_pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    template_pid = -1;
  }

  // One worker from the template: its pid and our end of its channel, or why not (`gone`: the
  // template itself no longer answers).
  Result<std::pair<pid_t, int>> ask_template(bool& gone) {
    gone = false;
    if (template_fd < 0) SANSO_TRY(start_template());
    gone = true;
    if (::send(template_fd, &kSpawn, 1, MSG_NOSIGNAL) != 1) return make_error("sandbox.unavailable", "", "the pool's template process is gone");
    std::int32_t pid = 0;
    msghdr msg{};
    iovec iov{&pid, sizeof pid};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control_buf[CMSG_SPACE(sizeof(int))] = {};
    msg.msg_control = control_buf;
    msg.msg_controllen = sizeof control_buf;
    ssize_t n = 0;
    while ((n = ::recvmsg(template_fd, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
    }
    int channel = -1;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int))) std::memcpy(&channel, CMSG_DATA(c), sizeof(int));
    }
    if (n != static_cast<ssize_t>(sizeof pid) || (pid > 0) != (channel >= 0)) {
      if (channel >= 0) ::close(channel);
      return make_error("sandbox.unavailable", "", "the pool's template process is gone");
    }
    gone = false;
    if (pid == kThreadsLeft) return make_error("sandbox.unavailable", "", "the task's shared set-up left threads behind; no worker can be forked from it");
    if (pid <= 0) return make_error("sandbox.unavailable", "", std::string("fork: ") + std::strerror(-pid));
    return std::pair<pid_t, int>{pid, channel};
  }

  // A new worker process, forked by the template; hardened once, then serving jobs until its
  // socket closes. A template that has gone (killed from outside) is replaced once.
  Result<void> spawn(Worker& w) {
    bool gone = false;
    auto made = ask_template(gone);
    if (!made && gone) {
      stop_template();
      made = ask_template(gone);
    }
    if (!made) return std::move(made).error();
    w.pid = made->first;
    w.fd = made->second;
    w.jobs = 0;
    return ok();
  }

  // How a worker ended, from the template that forked it (and reaps it); 0 when it cannot tell.
  int wait_for(pid_t pid) {
    if (template_fd < 0) return 0;
    char request[1 + sizeof(std::int32_t)];
    request[0] = kWait;
    const std::int32_t p = pid;
    std::memcpy(request + 1, &p, sizeof p);
    if (::send(template_fd, request, sizeof request, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof request)) return 0;
    std::int32_t status = 0;
    ssize_t n = 0;
    while ((n = ::recv(template_fd, &status, sizeof status, 0)) < 0 && errno == EINTR) {
    }
    return n == static_cast<ssize_t>(sizeof status) ? status : 0;
  }

  // Ends a worker; returns how it ended (for the error of a job it was running).
  int reap(Worker& w, bool kill_it) {
    if (w.fd >= 0) ::close(w.fd);
    w.fd = -1;
    int status = 0;
    if (w.pid > 0) {
      if (kill_it) ::kill(w.pid, SIGKILL);
      status = wait_for(w.pid);
    }
    w.pid = -1;
    return status;
  }
};

Result<std::unique_ptr<WorkerPool>> WorkerPool::create(Task task, std::size_t workers) {
  std::unique_ptr<WorkerPool> pool(new WorkerPool());
  pool->state_ = std::make_unique<State>();
  State& st = *pool->state_;
  st.task = std::move(task);
  st.task.jobs_per_worker = std::max<std::size_t>(1, st.task.jobs_per_worker);
  st.workers.resize(std::max<std::size_t>(1, workers));
  SANSO_TRY(st.start_template());  // its workers fork when jobs arrive
  return pool;
}

WorkerPool::~WorkerPool() {
  if (!state_) return;
  for (Worker& w : state_->workers) {
    if (w.pid > 0) state_->reap(w, false);  // closing its socket ends a worker's loop
  }
  state_->stop_template();
}

Result<std::string> WorkerPool::run(std::string_view input) {
  State& st = *state_;
  Worker* w = nullptr;
  {
    std::unique_lock lock(st.mutex);
    sandbox_metrics().waiting.add(1);
    st.idle.wait(lock, [&] {
      for (Worker& x : st.workers) {
        if (!x.busy) return true;
      }
      return false;
    });
    sandbox_metrics().waiting.add(-1);
    for (Worker& x : st.workers) {
      if (!x.busy) {
        w = &x;
        break;
      }
    }
    w->busy = true;
    // Recycled after its quota, or replaced after a failure: a fresh process for this job.
    if (w->pid > 0 && w->jobs >= st.task.jobs_per_worker) st.reap(*w, true);  // idle between jobs: nothing to lose
    if (w->pid <= 0) {
      if (auto spawned = st.spawn(*w); !spawned) {
        w->busy = false;
        st.idle.notify_one();
        return spawned.error();
      }
    }
  }
  auto release = [&](bool dead, int* status) {
    std::lock_guard lock(st.mutex);
    if (dead) {
      sandbox_metrics().restarts.inc();
      int s = st.reap(*w, true);
      if (status != nullptr) *status = s;
    }
    w->busy = false;
    st.idle.notify_one();
  };
  ++w->jobs;
  JobClock clock(w->pid, st.task.limits.timeout, cpu_time_of(w->pid).value_or(std::chrono::milliseconds(0)));
  if (!write_frame(w->fd, input, false)) {
    int status = 0;
    release(true, &status);
    return exit_error(status);
  }
  char len[8];
  bool timed_out = false;
  if (!read_exact(w->fd, len, 8, clock, timed_out)) {
    int status = 0;
    release(true, &status);
    if (timed_out) return make_error("sandbox.timeout", "", "the parser did not finish within " + std::to_string(st.task.limits.timeout.count()) + " ms");
    return exit_error(status);
  }
  std::uint64_t size = 0;
  for (int i = 0; i < 8; ++i) size |= static_cast<std::uint64_t>(static_cast<unsigned char>(len[i])) << (8 * i);
  if (size > st.task.limits.output_bytes + 1) {
    release(true, nullptr);
    return make_error("sandbox.output-too-large", "", "the parser's output exceeded the limit");
  }
  if (size == 0) {
    release(true, nullptr);
    return make_error("sandbox.crash", "", "the parser's answer was empty");
  }
  // The status byte apart, so that the value is read straight into the string handed on.
  char answer_status = 0;
  std::string out(static_cast<std::size_t>(size - 1), '\0');
  if (!read_exact(w->fd, &answer_status, 1, clock, timed_out) || !read_exact(w->fd, out.data(), out.size(), clock, timed_out)) {
    int status = 0;
    release(true, &status);
    if (timed_out) return make_error("sandbox.timeout", "", "the parser did not finish within " + std::to_string(st.task.limits.timeout.count()) + " ms");
    return exit_error(status);
  }
  bool malformed = false;
  Result<std::string> answer = internal::decode_answer(answer_status, std::move(out), malformed);
  release(malformed, nullptr);  // a worker that wrote what ours never write gets no further job
  return answer;
}

Result<std::string> ForkPerJob::run(std::string_view input) {
  if (!task_.prepare_once) return sandbox::run(task_.work, input, task_.limits, task_.prepare);
  const Task& t = task_;
  return sandbox::run(t.work, input, t.limits, [&t] {
    t.prepare_once();
    if (t.prepare) t.prepare();
  });
}

Result<std::unique_ptr<Executor>> start(Task task, const Launch& launch) {
  if (launch.workers == 0) return std::unique_ptr<Executor>(std::make_unique<ForkPerJob>(std::move(task)));
  auto pool = WorkerPool::create(std::move(task), launch.workers);
  if (!pool) return std::move(pool).error();
  return std::unique_ptr<Executor>(std::move(pool).value());
}

}  // namespace sanso::sandbox

namespace sanso::sandbox::internal {

Result<std::string> decode_answer(char status, std::string rest, bool& malformed) {
  malformed = false;
  if (status == 'V') return rest;
  const std::string_view text(rest);
  const auto a = text.find('\0');
  const auto b = a == std::string_view::npos ? a : text.find('\0', a + 1);
  if (status != 'E' || b == std::string_view::npos) {
    malformed = true;
    return make_error("sandbox.crash", "", "the parser's answer was malformed");
  }
  return make_error(std::string(text.substr(0, a)), std::string(text.substr(a + 1, b - a - 1)), std::string(text.substr(b + 1)));
}

}  // namespace sanso::sandbox::internal
