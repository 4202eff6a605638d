#include "sandbox/sandbox.h"
#include "sandbox/internal/answer.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "metrics/metrics.h"

namespace sanso::sandbox {
namespace {

TEST(Sandbox, ValuesAndErrorsCrossBack) {
  auto upper = run([](std::string_view in) -> Result<std::string> {
    std::string out(in);
    for (char& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    return out;
  }, std::string("hello\0world", 11));
  ASSERT_TRUE(upper) << upper.error().to_string();
  EXPECT_EQ(*upper, std::string("HELLO\0WORLD", 11));
  auto err = run([](std::string_view) -> Result<std::string> { return make_error("mail.bad-mime", "1.2", "boundary missing"); }, "x");
  ASSERT_FALSE(err);
  EXPECT_EQ(err.error().code, "mail.bad-mime");
  EXPECT_EQ(err.error().where, "1.2");
  EXPECT_EQ(err.error().message, "boundary missing");
  std::string big(3 << 20, 'q');
  auto echo = run([](std::string_view in) -> Result<std::string> { return std::string(in); }, big);
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->size(), big.size());
}

TEST(Sandbox, ACrashIsAnErrorNotAnOutage) {
  auto r = run([](std::string_view) -> Result<std::string> {
    std::raise(SIGSEGV);
    return std::string();
  }, "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "sandbox.crash");
}

TEST(Sandbox, OpeningFilesOrSocketsIsForbidden) {
  auto r = run([](std::string_view) -> Result<std::string> {
    int fd = ::open("/etc/passwd", O_RDONLY);
    return std::string(fd >= 0 ? "opened" : "refused");
  }, "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "sandbox.crash");
  EXPECT_NE(r.error().message.find("forbidden system call"), std::string::npos);
}

// A thread a library started in the set-up, before the filter, is under the filter too: it
// cannot open a file once the job runs (without TSYNC it could, a parser outside the sandbox).
std::atomic<bool> g_thread_may_open{false};
std::atomic<int> g_thread_opened{0};

TEST(Sandbox, AThreadStartedBeforeTheFilterIsFilteredToo) {
  auto r = run(
      [](std::string_view) -> Result<std::string> {
        g_thread_may_open = true;
        for (int i = 0; i < 200 && g_thread_opened == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return std::string(g_thread_opened == 1 ? "the thread opened a file" : "the thread did not finish");
      },
      "x", {}, [] {
        std::thread([] {
          while (!g_thread_may_open) std::this_thread::sleep_for(std::chrono::milliseconds(1));
          const int fd = ::open("/etc/passwd", O_RDONLY);
          g_thread_opened = fd >= 0 ? 1 : 2;
        }).detach();
      });
  ASSERT_FALSE(r) << *r;
  EXPECT_EQ(r.error().code, "sandbox.crash");
  EXPECT_NE(r.error().message.find("forbidden system call"), std::string::npos) << r.error().message;
}

// access() is answered without the kernel: existence and reading "yes" (fontconfig asks of fonts
// it holds), writing and executing "no" — whatever the path.
TEST(Sandbox, AccessIsAnsweredWithoutLookingAndNeverGrantsWritingOrExecuting) {
  auto r = run([](std::string_view) -> Result<std::string> {
    std::string out;
    out += ::access("/nonexistent/file", F_OK) == 0 ? "F" : "f";
    out += ::access("/nonexistent/file", R_OK) == 0 ? "R" : "r";
    out += ::access("/bin/sh", X_OK) == 0 ? "X" : (errno == EACCES ? "x" : "?");
    out += ::access("/tmp", W_OK) == 0 ? "W" : (errno == EACCES ? "w" : "?");
    out += ::faccessat(AT_FDCWD, "/bin/sh", R_OK | X_OK, 0) == 0 ? "X" : (errno == EACCES ? "x" : "?");
    return out;
  }, "x");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(*r, "FRxwx");
}

TEST(Sandbox, AHangIsStoppedAtTheTimeout) {
  auto start = std::chrono::steady_clock::now();
  auto r = run([](std::string_view) -> Result<std::string> {
    volatile unsigned long n = 0;
    while (true) n = n + 1;
  }, "x", Limits{std::chrono::milliseconds(300)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "sandbox.timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// A busy machine starves a child: it waits for a core, using no CPU. The time limit is a CPU
// budget, so such a child gets more wall time (up to two budgets) instead of being stopped as a
// hang; a child that spins is still stopped at its budget (AHangIsStoppedAtTheTimeout).
TEST(WorkerPool, AJobStarvedOfTheCpuIsNotStoppedAsAHang) {
  using namespace std::chrono_literals;
  // The worker stops itself as its job begins (set-up runs before the filter) and is let go after
  // 1.2 s of a 1 s budget: as long as a worker waits on a busy machine.
  Task task{[](std::string_view in) -> Result<std::string> { return std::string(in); }, [] { std::raise(SIGSTOP); }, {}};
  task.limits.timeout = 1s;
  auto pool = WorkerPool::create(task, 1);
  ASSERT_TRUE(pool);
  std::thread waker([] {
    std::this_thread::sleep_for(1200ms);
    // The stopped processes of our process group: the worker (no other test stops itself).
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
      const std::string name = e.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::ifstream stat(e.path() / "stat");
      std::string line;
      std::getline(stat, line);
      const auto close = line.rfind(')');
      if (close == std::string::npos) continue;
      std::istringstream fields(line.substr(close + 1));
      char state = 0;
      pid_t parent = 0, group = 0;
      fields >> state >> parent >> group;
      if (state == 'T' && group == ::getpgrp()) ::kill(static_cast<pid_t>(std::stol(name)), SIGCONT);
    }
  });
  const auto began = std::chrono::steady_clock::now();
  auto r = (*pool)->run("done");
  waker.join();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(*r, "done");
  EXPECT_GE(std::chrono::steady_clock::now() - began, 1100ms);
}

TEST(Sandbox, MemoryIsLimited) {
  Limits limits;
  limits.memory_bytes = std::size_t{1} << 30;
  auto r = run([](std::string_view) -> Result<std::string> {
    std::vector<std::string> hog;
    for (int i = 0; i < 64; ++i) hog.emplace_back(std::size_t{64} << 20, 'x');  // 4 GiB
    return std::to_string(hog.size());
  }, "x", limits);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().code == "sandbox.memory" || r.error().code == "sandbox.crash") << r.error().to_string();
}

TEST(Sandbox, OutputIsLimited) {
  Limits limits;
  limits.output_bytes = 1024;
  auto r = run([](std::string_view) -> Result<std::string> { return std::string(1 << 20, 'y'); }, "x", limits);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "sandbox.output-too-large");
}

}  // namespace
}  // namespace sanso::sandbox

namespace sanso::sandbox {
namespace {

using namespace std::chrono_literals;

// A worker's answer names its process, so reuse and replacement can be seen.
Result<std::string> pid_echo(std::string_view in) {
  if (in == "crash") std::raise(SIGSEGV);
  if (in == "open") (void)::open("/etc/passwd", O_RDONLY);
  if (in == "hang") {
    volatile unsigned long n = 0;
    while (true) n = n + 1;
  }
  if (in == "error") return make_error("test.bad", "here", "refused");
  return std::to_string(::getpid()) + ":" + std::string(in);
}

std::string pid_of(const Result<std::string>& r) { return r ? r->substr(0, r->find(':')) : ""; }

TEST(WorkerPool, WorkersAreReusedAndRecycledAfterTheirQuota) {
  Task task{pid_echo, {}, {}, 3};
  auto pool = WorkerPool::create(task, 1);
  ASSERT_TRUE(pool) << pool.error().to_string();
  auto a = (*pool)->run("a"), b = (*pool)->run("b"), c = (*pool)->run("c"), d = (*pool)->run("d");
  ASSERT_TRUE(a && b && c && d);
  EXPECT_EQ(a->substr(a->find(':')), ":a");
  EXPECT_EQ(pid_of(a), pid_of(b));
  EXPECT_EQ(pid_of(a), pid_of(c));
  EXPECT_NE(pid_of(c), pid_of(d)) << "recycled after 3 jobs";
  EXPECT_NE(pid_of(a), std::to_string(::getpid()));
  auto err = (*pool)->run("error");
  ASSERT_FALSE(err);
  EXPECT_EQ(err.error().code, "test.bad");
  EXPECT_EQ(err.error().where, "here");
}

// The service's /metrics counts what the sandbox stopped: a violation, and each worker replaced.
std::uint64_t counted(std::string_view name) { return metrics::Registry::global().counter(name, "").value(); }

TEST(WorkerPool, ACrashAViolationAndAHangEndOnlyTheirJob) {
  Task task{pid_echo, {}, {}};
  task.limits.timeout = 1s;
  auto pool = WorkerPool::create(task, 1);
  ASSERT_TRUE(pool);
  const std::uint64_t restarts = counted("sanso_sandbox_worker_restarts_total");
  auto before = (*pool)->run("x");
  auto crash = (*pool)->run("crash");
  ASSERT_FALSE(crash);
  EXPECT_EQ(crash.error().code, "sandbox.crash");
  auto after = (*pool)->run("y");
  ASSERT_TRUE(after) << after.error().to_string();
  EXPECT_NE(pid_of(before), pid_of(after)) << "a fresh worker replaced the crashed one";
  // Measured around the forbidden call alone: under AddressSanitizer the crash's report is itself
  // stopped by the filter.
  const std::uint64_t violations = counted("sanso_sandbox_violations_total");
  auto open = (*pool)->run("open");
  EXPECT_EQ(counted("sanso_sandbox_violations_total") - violations, 1u);
  ASSERT_FALSE(open);
  EXPECT_NE(open.error().message.find("forbidden system call"), std::string::npos);
  auto hang = (*pool)->run("hang");
  ASSERT_FALSE(hang);
  EXPECT_EQ(hang.error().code, "sandbox.timeout");
  EXPECT_TRUE((*pool)->run("z").has_value());
  EXPECT_EQ(counted("sanso_sandbox_worker_restarts_total") - restarts, 3u) << "the crash, the violation and the hang";
  EXPECT_EQ(metrics::Registry::global().gauge("sanso_sandbox_jobs_waiting", "").value(), 0);
}

// What a worker's set-up did, for the work to report: the set-up ran in this process, before it.
std::string g_set_up_in;

// A worker's set-up is the costly part (the CDR engine's loads hundreds of modules): it runs when
// the worker's first job arrives, so workers that get none never pay for it. Each set-up leaves an
// empty file named by its pid (files may still be opened then, not after).
TEST(WorkerPool, AWorkerIsSetUpWhenItsFirstJobArrivesNotBefore) {
  char dir_template[] = "/tmp/sanso-set-up-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  auto set_ups = [&] {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
    return n;
  };
  Prepare prepare = [dir] {
    g_set_up_in = std::to_string(::getpid());
    std::ofstream(dir + "/" + g_set_up_in);  // empty: the set-up runs with no file size allowed
  };
  Work work = [](std::string_view in) -> Result<std::string> { return g_set_up_in + ":" + std::string(in); };
  {
    auto pool = WorkerPool::create(Task{work, prepare, {}}, 3);
    ASSERT_TRUE(pool) << pool.error().to_string();
    auto first = (*pool)->run("a");
    ASSERT_TRUE(first) << first.error().to_string();
    EXPECT_EQ(*first, pid_of(first) + ":a") << "the first job ran after its worker's set-up";
    EXPECT_FALSE(pid_of(first).empty());
    // One job at a time goes to the first idle worker: the other two never get one.
    auto second = (*pool)->run("b");
    ASSERT_TRUE(second);
    EXPECT_EQ(pid_of(second), pid_of(first)) << "set up once, then reused";
  }
  EXPECT_EQ(set_ups(), 1) << "only the worker that got jobs was set up";
  std::filesystem::remove_all(dir);
}

// The shared set-up (the CDR engine's image modules, fontconfig) is paid once per pool, in the
// template process the workers are forked from — not once per worker, nor again for each worker
// that replaces a recycled one — and never in the caller's process.
std::string g_shared_set_up_in;

TEST(WorkerPool, TheSharedSetUpRunsOncePerPoolInItsTemplate) {
  char dir_template[] = "/tmp/sanso-set-up-once-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  auto set_ups = [&] {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
    return n;
  };
  Task task{[](std::string_view in) -> Result<std::string> { return std::to_string(::getpid()) + ":" + g_shared_set_up_in + ":" + std::string(in); },
            {}, {}, 1};
  task.prepare_once = [dir] {
    g_shared_set_up_in = std::to_string(::getpid());
    std::ofstream(dir + "/" + g_shared_set_up_in);
  };
  std::set<std::string> workers, set_up_in;
  {
    auto pool = WorkerPool::create(task, 2);
    ASSERT_TRUE(pool) << pool.error().to_string();
    EXPECT_EQ(set_ups(), 0) << "nothing is set up before a job arrives";
    for (const char* in : {"a", "b", "c", "d"}) {
      auto r = (*pool)->run(in);
      ASSERT_TRUE(r) << r.error().to_string();
      const auto first = r->find(':'), second = r->find(':', first + 1);
      workers.insert(r->substr(0, first));
      set_up_in.insert(r->substr(first + 1, second - first - 1));
      EXPECT_EQ(r->substr(second + 1), in);
    }
  }
  EXPECT_EQ(workers.size(), 4u) << "one job per worker: each job had a fresh worker";
  ASSERT_EQ(set_up_in.size(), 1u) << "every worker inherited the one set-up";
  EXPECT_EQ(workers.count(*set_up_in.begin()), 0u) << "the set-up ran in the template, not in a worker";
  EXPECT_NE(*set_up_in.begin(), std::to_string(::getpid())) << "nor in the caller";
  EXPECT_TRUE(g_shared_set_up_in.empty()) << "the caller's process never ran it";
  EXPECT_EQ(set_ups(), 1);
  std::filesystem::remove_all(dir);
}

// A fork copies only the forking thread: a worker forked from a set-up that left a thread running
// would wait on it, or on a lock it held, forever. The pool refuses (fail closed) instead.
TEST(WorkerPool, ASharedSetUpThatLeavesThreadsIsRefused) {
  Task task{pid_echo, {}, {}};
  // The thread sleeps as a library's would (clock_nanosleep, which the filter allows): pause() is not
  // allowed, and under load the thread reached it only after the job's filter applied (TSYNC: every
  // thread filtered), which killed the fork-per-job child below.
  task.prepare_once = [] {
    std::thread([] {
      for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
    }).detach();
  };
  auto pool = WorkerPool::create(task, 1);
  ASSERT_TRUE(pool) << pool.error().to_string();
  auto r = (*pool)->run("x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "sandbox.unavailable");
  EXPECT_NE(r.error().message.find("threads"), std::string::npos) << r.error().message;
  // A fork per job runs the same set-up in the job's own child, which forks no further.
  ForkPerJob once(task);
  auto alone = once.run("y");
  ASSERT_TRUE(alone) << alone.error().to_string();
  EXPECT_EQ(alone->substr(alone->find(':')), ":y");
}

// The caller may have many threads by the time a worker is replaced (a service's connections); the
// replacement still comes from the one-thread template, with the set-up already done.
TEST(WorkerPool, ReplacementsComeFromTheTemplateWhileTheCallerRunsThreads) {
  Task task{[](std::string_view in) -> Result<std::string> {
              if (in == "open") return std::string(::open("/etc/passwd", O_RDONLY) >= 0 ? "opened" : "refused");
              return g_shared_set_up_in + ":" + std::to_string(::getpid());
            },
            {}, {}};
  task.prepare_once = [] { g_shared_set_up_in = "set up in " + std::to_string(::getpid()); };
  auto pool = WorkerPool::create(task, 1);
  ASSERT_TRUE(pool);
  auto first = (*pool)->run("x");
  ASSERT_TRUE(first) << first.error().to_string();
  std::atomic<bool> stop{false};
  std::vector<std::thread> busy;
  for (int i = 0; i < 3; ++i) busy.emplace_back([&] {
    while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  auto crash = (*pool)->run("open");
  auto after = (*pool)->run("y");
  stop = true;
  for (auto& t : busy) t.join();
  ASSERT_FALSE(crash);
  EXPECT_EQ(crash.error().code, "sandbox.crash");
  EXPECT_NE(crash.error().message.find("forbidden system call"), std::string::npos) << "how the worker ended still comes back: " << crash.error().message;
  ASSERT_TRUE(after) << after.error().to_string();
  EXPECT_EQ(after->substr(0, after->find(':')), first->substr(0, first->find(':'))) << "the same template forked both";
  EXPECT_NE(after->substr(after->find(':')), first->substr(first->find(':'))) << "a fresh worker";
}

TEST(WorkerPool, ServesSeveralThreadsAtOnce) {
  auto pool = WorkerPool::create(Task{pid_echo, {}, {}}, 2);
  ASSERT_TRUE(pool);
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        std::string in = std::to_string(t) + "-" + std::to_string(i);
        auto r = (*pool)->run(in);
        if (r && r->substr(r->find(':') + 1) == in) ++good;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), 80);
}

}  // namespace
}  // namespace sanso::sandbox

namespace sanso::sandbox {
namespace {

// A child must not hold the parent's descriptors: a worker that kept another pool's channel or a
// service's client connection open would stop it from ever closing (it deadlocked the milter).
TEST(Sandbox, ChildrenHoldNoneOfTheParentsDescriptors) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  const int inherited = sv[1];
  struct stat ours {};
  ASSERT_EQ(::fstat(inherited, &ours), 0);
  // The same socket under its number, not just any descriptor that number has in the child (a
  // pool's workers come from its template, whose own descriptors reuse the low numbers).
  auto leak = [inherited, ours](std::string_view) -> Result<std::string> {
    struct stat there {};
    const bool came_along = ::fstat(inherited, &there) == 0 && there.st_dev == ours.st_dev && there.st_ino == ours.st_ino;
    return std::string(came_along ? "wrote" : "closed");
  };
  auto once = run(leak, "");
  ASSERT_TRUE(once) << once.error().to_string();
  EXPECT_EQ(*once, "closed");
  auto pool = WorkerPool::create(Task{leak, {}, {}}, 1);
  ASSERT_TRUE(pool);
  auto pooled = (*pool)->run("");
  ASSERT_TRUE(pooled);
  EXPECT_EQ(*pooled, "closed");
  ::close(sv[0]);
  ::close(sv[1]);
}

}  // namespace
}  // namespace sanso::sandbox

namespace sanso::sandbox {
namespace {

using namespace std::chrono_literals;

// The one contract every executor keeps, whichever way its children come to be: the engines are
// written against Executor and must not be able to tell a fork per job from a pool.
struct ExecutorKind {
  const char* name;
  Launch launch;
};

class ExecutorContract : public ::testing::TestWithParam<ExecutorKind> {
 protected:
  std::unique_ptr<Executor> executor(Work work, Limits limits = {}) {
    auto made = start(Task{std::move(work), {}, limits}, GetParam().launch);
    EXPECT_TRUE(made) << made.error().to_string();
    return made ? std::move(made).value() : nullptr;
  }
};

TEST_P(ExecutorContract, ValuesAndErrorsCrossBack) {
  auto e = executor([](std::string_view in) -> Result<std::string> {
    if (in == "error") return make_error("test.bad", "1.2", "refused");
    return "<" + std::string(in) + ">";
  });
  ASSERT_TRUE(e);
  auto value = e->run(std::string("a\0b", 3));
  ASSERT_TRUE(value) << value.error().to_string();
  EXPECT_EQ(*value, std::string("<a\0b>", 5));
  auto err = e->run("error");
  ASSERT_FALSE(err);
  EXPECT_EQ(err.error().code, "test.bad");
  EXPECT_EQ(err.error().where, "1.2");
  EXPECT_EQ(err.error().message, "refused");
}

TEST_P(ExecutorContract, ACrashIsSandboxCrashAndTheNextJobRuns) {
  auto e = executor([](std::string_view in) -> Result<std::string> {
    if (in == "crash") std::raise(SIGSEGV);
    return std::string(in);
  });
  ASSERT_TRUE(e);
  auto crash = e->run("crash");
  ASSERT_FALSE(crash);
  EXPECT_EQ(crash.error().code, "sandbox.crash");
  auto after = e->run("next");
  ASSERT_TRUE(after) << after.error().to_string();
  EXPECT_EQ(*after, "next");
}

TEST_P(ExecutorContract, AHangIsStoppedAtTheTimeout) {
  Limits limits;
  limits.timeout = 300ms;
  auto e = executor([](std::string_view) -> Result<std::string> {
    volatile unsigned long n = 0;
    while (true) n = n + 1;
  }, limits);
  ASSERT_TRUE(e);
  const auto began = std::chrono::steady_clock::now();
  auto r = e->run("x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "sandbox.timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - began, 5s);
}

TEST_P(ExecutorContract, TooMuchOutputIsAnError) {
  Limits limits;
  limits.output_bytes = 1024;
  auto e = executor([](std::string_view) -> Result<std::string> { return std::string(1 << 20, 'y'); }, limits);
  ASSERT_TRUE(e);
  auto r = e->run("x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "sandbox.output-too-large");
}

TEST_P(ExecutorContract, AForbiddenSystemCallKillsTheJob) {
  auto e = executor([](std::string_view) -> Result<std::string> {
    int fd = ::open("/etc/passwd", O_RDONLY);
    return std::string(fd >= 0 ? "opened" : "refused");
  });
  ASSERT_TRUE(e);
  auto r = e->run("x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "sandbox.crash");
  EXPECT_NE(r.error().message.find("forbidden system call"), std::string::npos) << r.error().message;
}

INSTANTIATE_TEST_SUITE_P(Sandbox, ExecutorContract,
                         ::testing::Values(ExecutorKind{"ForkPerJob", Launch::fork_per_job()}, ExecutorKind{"WorkerPool", Launch::pool(1)}),
                         [](const ::testing::TestParamInfo<ExecutorKind>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace sanso::sandbox

namespace sanso::sandbox {
namespace {

// review21a: what a worker of ours never writes — an unknown status byte, an error without its three
// parts — is a crash, and marks the worker as not to be trusted with another job; a value is handed
// on as it came, an empty one too.
TEST(SandboxAnswer, AnAnswerNoWorkerOfOursWritesIsACrashAndMarksItsWorker) {
  bool malformed = true;
  auto value = internal::decode_answer('V', std::string("rebuilt\0bytes", 13), malformed);
  ASSERT_TRUE(value);
  EXPECT_EQ(*value, std::string("rebuilt\0bytes", 13));
  EXPECT_FALSE(malformed);
  auto empty = internal::decode_answer('V', "", malformed);
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, "");
  auto error = internal::decode_answer('E', std::string("cdr.limit\0page 3\0too many pixels", 32), malformed);
  ASSERT_FALSE(error);
  EXPECT_FALSE(malformed);
  EXPECT_EQ(error.error().code, "cdr.limit");
  EXPECT_EQ(error.error().where, "page 3");
  EXPECT_EQ(error.error().message, "too many pixels");
  for (const auto& [status, rest] : std::vector<std::pair<char, std::string>>{{'X', "anything"}, {'E', "no parts"}, {'E', std::string("one\0part", 8)}, {'\0', ""}}) {
    auto bad = internal::decode_answer(status, rest, malformed);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, "sandbox.crash");
    EXPECT_TRUE(malformed) << "status " << static_cast<int>(status);
  }
}

}  // namespace
}  // namespace sanso::sandbox
