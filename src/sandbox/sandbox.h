// sandbox: untrusted bytes are parsed in a child process that can do nothing but compute — no
// opening files, no network, no exec — under memory and CPU limits and a wall-clock timeout. A
// parser that crashes, hangs or runs out of memory becomes an error value for the caller (a
// verdict), never an outage of the service.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.h"

namespace sanso::sandbox {

struct Limits {
  // A CPU budget (RLIMIT_CPU in the child), kept by the wall clock: a child that has used well
  // under it when the time is up (a busy machine) gets the rest, up to twice it in all.
  std::chrono::milliseconds timeout{10000};
  std::size_t memory_bytes = std::size_t{1} << 30;  // address space of the child
  std::size_t output_bytes = std::size_t{64} << 20;
};

// The work to do in the child: bytes in, bytes out (or an Error, which crosses back intact).
using Work = std::function<Result<std::string>(std::string_view input)>;
// Runs in the child before the filter is applied: load tables, initialise libraries.
using Prepare = std::function<void()>;

// Runs `work(input)` in a sandboxed child. Errors: "sandbox.timeout", "sandbox.crash" (a signal,
// including a forbidden system call), "sandbox.output-too-large", "sandbox.unavailable" (fork
// failed: a temporary condition), or the work's own Error.
Result<std::string> run(const Work& work, std::string_view input, const Limits& limits = {}, const Prepare& prepare = {});

// One kind of sandboxed work, as an executor runs it: the work on each input, what a child loads
// first, its limits, and how many jobs one pooled worker serves before a fresh one takes over
// (state one input leaves behind — memory, caches — stays short-lived).
//
// A child's set-up comes in two parts. `prepare_once` loads what every child of the task shares
// and no input changes (libraries and their modules, configuration): a pool runs it once, in the
// template process its workers are forked from, not once per worker. It must leave the process
// with one thread (a fork copies only the forking thread); a pool whose template has more refuses
// to fork from it. `prepare` runs in each child itself, after the limits and before the filter:
// whatever starts threads or is cheap enough to repeat. A fork per job runs both.
struct Task {
  Work work;
  Prepare prepare;
  Limits limits;
  std::size_t jobs_per_worker = 100;
  Prepare prepare_once = {};
};

// Runs the jobs of one fixed Task in the sandbox. Every engine takes its sandboxed work through
// this interface, so a command on one item and a service on many run the same code; only how the
// children come to be differs. Safe to call run() from several threads. Errors as sandbox::run.
class Executor {
 public:
  virtual ~Executor() = default;
  virtual Result<std::string> run(std::string_view input) = 0;
};

// A fresh child per job: nothing is started ahead, and no state survives a job. For a command on
// one item, and for tests.
class ForkPerJob final : public Executor {
 public:
  explicit ForkPerJob(Task task) : task_(std::move(task)) {}
  Result<std::string> run(std::string_view input) override;

 private:
  Task task_;
};

// Pre-forked sandboxed workers: the fork, library set-up and filter are paid once per worker,
// not per job. A worker that crashes, hangs (killed at the job's timeout) or breaks the filter
// ends only its own job; a fresh worker takes its place. Workers are recycled after
// `task.jobs_per_worker` jobs.
// create() forks the pool's template process: call it while the process has one thread (before a
// service starts its threads). The template holds none of the caller's descriptors, never sees an
// input, runs `task.prepare_once` when the first worker is asked for, and forks every worker of
// the pool, first ones and replacements alike — so the shared set-up is paid once per pool, and a
// worker is always forked from a process of one thread, whatever threads the caller has by then.
// A worker runs the task's limits, prepare and filter when its first job arrives, so one that
// never gets a job never pays for its own set-up, and a pool that never gets a job pays for none.
class WorkerPool final : public Executor {
 public:
  static Result<std::unique_ptr<WorkerPool>> create(Task task, std::size_t workers);
  ~WorkerPool() override;
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  Result<std::string> run(std::string_view input) override;

 private:
  WorkerPool() = default;
  struct State;
  std::unique_ptr<State> state_;
};

// How a caller wants its engines' executors made: a fresh child per job, or a pool of `workers`
// started at once (several jobs in flight, one per worker).
struct Launch {
  std::size_t workers = 0;  // 0: a fork per job
  static Launch fork_per_job() { return {}; }
  static Launch pool(std::size_t workers) { return {workers > 0 ? workers : 1}; }
};

// The executor `launch` asks for, running `task`.
Result<std::unique_ptr<Executor>> start(Task task, const Launch& launch);

}  // namespace sanso::sandbox
