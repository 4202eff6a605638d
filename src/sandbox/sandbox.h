// sandbox: untrusted bytes are parsed in a child process that can do nothing but compute — no
// opening files, no network, no exec — under memory and CPU limits and a wall-clock timeout. A
// parser that crashes, hangs or runs out of memory becomes an error value for the caller (a
// verdict), never an outage of the service.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
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

}  // namespace sanso::sandbox
