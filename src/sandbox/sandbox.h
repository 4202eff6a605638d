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

#include "core/result.h"

namespace sanso::sandbox {

struct Limits {
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

// Pre-forked sandboxed workers that each run many jobs of one fixed Work: the fork, library
// set-up and filter are paid once per worker, not per job. A worker that crashes, hangs (killed
// at the job's timeout) or breaks the filter ends only its own job; a fresh worker takes its place.
// Workers are recycled after `jobs_per_worker` jobs so that state one input leaves behind
// (memory, caches) is short-lived. Safe to call run() from several threads.
class WorkerPool {
 public:
  struct Options {
    std::size_t workers = 1;
    std::size_t jobs_per_worker = 100;
    Limits limits;
  };
  static Result<std::unique_ptr<WorkerPool>> create(Work work, Prepare prepare, Options options);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Same errors as sandbox::run.
  Result<std::string> run(std::string_view input);

 private:
  WorkerPool() = default;
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sanso::sandbox
