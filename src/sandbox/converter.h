// Converter sandbox: an outside program (LibreOffice, pdftoppm, Chromium) run on untrusted input. Unlike the
// parsers' sandbox it must exec and read its own installation, so it gets a different box: a
// scratch directory it alone may write; Landlock lets it read only its installation and the
// system files a program needs (never /etc/sanso, /var/lib/sanso or home directories); a network
// namespace of its own with no interfaces; a seccomp filter that refuses internet sockets, every
// exec after its own, and the kernel's administrative calls; an unprivileged user when started as
// root; CPU, memory and file-size limits and a wall-clock timeout for its whole process group.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "core/result.h"

namespace sanso::sandbox {

struct ConverterJob {
  std::vector<std::string> argv;  // argv[0] is the program's absolute path
  std::string work_dir;           // existing, empty scratch directory; the only writable place
  std::vector<std::string> read_paths;  // beyond the system defaults (the program's installation)
  // Directories where it may create and remove UNIX sockets, nothing else (LibreOffice puts its
  // single-instance pipe in /tmp whatever TMPDIR says).
  std::vector<std::string> socket_dirs;
  std::chrono::milliseconds timeout{120000};
  std::size_t memory_bytes = std::size_t{4} << 30;  // address space (or data, below)
  // Chromium reserves terabytes of address space it never touches (V8's sandbox): for such a
  // program the memory limit counts its data (writable private memory, RLIMIT_DATA) instead.
  bool limit_data_not_address_space = false;
  // Chromium starts its renderer, GPU and utility processes by executing itself again
  // (/proc/self/exe): for it exec stays allowed after the first one. Everything it runs is still
  // inside the same Landlock, network namespace, filter and limits.
  bool reexecutes_itself = false;
  std::size_t file_bytes = std::size_t{512} << 20;  // largest file it may write
  // Environment beyond the fixed one (HOME, TMPDIR, PATH, the locale): "NAME=value" each, e.g.
  // OMP_THREAD_LIMIT=1 so that an OpenMP program keeps to the one slot it was given.
  std::vector<std::string> env;
};

// What the program printed (stdout and stderr, the last 4 KiB) and how it ended.
struct ConverterOutcome {
  int exit_code = -1;
  std::string log;
};

// A private, empty directory under the temporary directory for one job, removed with everything
// in it when this goes; `dir` is empty when it could not be made.
struct ScratchDirectory {
  std::string dir;
  explicit ScratchDirectory(const char* prefix);
  ~ScratchDirectory();
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
};

// Runs the job to its end. Errors: "sandbox.timeout", "sandbox.crash" (a signal, including a
// forbidden system call), "sandbox.unavailable" (fork failed, or Landlock is missing: converters
// are never run without the file-system confinement).
Result<ConverterOutcome> run_converter(const ConverterJob& job);

// Whether this kernel offers what run_converter needs (Landlock); the reason when not.
Result<void> converter_sandbox_available();

}  // namespace sanso::sandbox
