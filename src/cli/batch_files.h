// The files a command reads and writes for the person who runs it: paths named on the command line,
// and what the batch commands read from and write into folders that others can write into too (a
// Maildir the mail system fills, a folder of files from outside, an output folder). Nothing here
// follows a link planted in a folder or waits on a pipe, and nothing unbounded is read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <sys/stat.h>

#include "core/io.h"
#include "core/result.h"

namespace sanso::cli {

// While alive, this thread opens, creates and renames files as the person who runs the command
// (core/os_identity.h: the login uid, else the verified sudo user), not as the account sanso runs
// as. Under sudo a path typed on the command line must not reach what that person could not read
// or write themselves — another person's mail, the store's key, /etc/shadow — nor put a file where
// they could not. Nothing changes when the two are the same account. Per thread (setfsuid(2));
// where the process cannot take the person's identity (run as an unprivileged service account),
// `may_read()` checks what the person may read by the file's mode instead.
class AsThePerson {
 public:
  AsThePerson();
  ~AsThePerson();
  AsThePerson(const AsThePerson&) = delete;
  AsThePerson& operator=(const AsThePerson&) = delete;
  // For a file opened under this guard: whether the person may read it (always true when this
  // thread took their identity, or when the person is the process's own account).
  bool may_read(int fd, const struct ::stat& st) const;
  // True where this thread could not take the person's identity and acts for someone else: what
  // they may do is then judged by mode bits (read_named_file and write_named_file do so).
  bool checks_by_mode() const;

 private:
  bool switched_ = false;
  bool saved_ = false;
  bool groups_set_ = false;
  uid_t previous_uid_ = 0;
  gid_t previous_gid_ = 0;
  std::vector<gid_t> previous_groups_;
};

// The bytes of a regular file at `relative` under `root` (the folder the person named), reached
// folder by folder without following a link and checked on the opened file, so a link or a pipe
// swapped in after the folder was listed is refused too, and holds at most `max_bytes`
// (`cli.unreadable` otherwise, saying which and why; the file itself is left as it is).
Result<std::string> read_batch_input(const std::filesystem::path& root, const std::filesystem::path& relative, std::uint64_t max_bytes);

// An error when who runs the command cannot be told (a sudo claimed in the environment that no
// sudo among the process's ancestors bears out): the person's paths are then not opened at all.
Result<void> person_known(const std::string& where);

// Where a configuration (`--config`, $SANSO_CONFIG) is to be loaded from: the path as given when
// the person runs sanso as themselves; under sudo its real path, and only when it and every folder
// above it belong to root and no one else may write them (`config.untrusted` otherwise).
Result<std::string> trusted_configuration(const std::string& path);

// Whether the person could read `path` themselves (as read_named_file would let them).
bool person_may_read(const std::string& path);

// The bytes of a file the person named on the command line, opened as them (a link they typed is
// followed: the path is theirs): a regular file or a pipe, at most `max_bytes` (`cli.too-large`),
// never a device. `cli.unreadable` says which and why.
Result<std::string> read_named_file(const std::filesystem::path& path, std::uint64_t max_bytes);
// The same file opened, for reading it in pieces (an mbox message by message).
Result<UniqueFd> open_named_file(const std::filesystem::path& path);

// Writes `content` to a file the person named, created or emptied as them and flushed to disk.
// `mode` for a new file; a private mode (no group or other bits) narrows an existing file first.
Result<void> write_named_file(const std::filesystem::path& path, std::string_view content, mode_t mode = 0644);

// For what a library writes by path (a workbook, a printed PDF): `produce` writes into a private
// folder of sanso's under the output's own file name, and the result is then written to `output`
// as write_named_file does. The private folder is removed either way.
Result<void> write_named_file_from(const std::filesystem::path& output, const std::function<Result<void>(const std::string& path)>& produce,
                                   mode_t mode = 0644);

enum class Existing {
  kReplace,     // an entry of the name is replaced (a link is replaced, never written through)
  kNumberAnew,  // a free name is found: "a (2).docx", "a (3).docx", ...
};

// An output folder opened once, as the person, at the start of a run: every file of the run goes
// into it, even if the folder is renamed or a link put in its place meanwhile.
class OutputFolder {
 public:
  // The folder and any missing parents made as the person (with `mode`; one that exists keeps its
  // own), then opened: one walk, so that the folder made is the folder written into.
  static Result<OutputFolder> create(const std::filesystem::path& root, mode_t mode = 0755);
  // Writes `content` at `relative` under the folder: each folder of `relative` is made or opened
  // without following a link (a link or a file where a folder should be is refused), and the file
  // is written new (with `mode`; flushed to disk when `durable`), then put in place. Returns the
  // path written. `relative` may not climb out ("..", an absolute path).
  Result<std::filesystem::path> write(const std::filesystem::path& relative, std::string_view content, Existing existing, mode_t mode = 0644,
                                      bool durable = false) const;

 private:
  std::filesystem::path root_;
  std::shared_ptr<UniqueFd> fd_;
};

// True when `inner` is `outer` or lies inside it, both resolved as the file system has them now.
bool same_or_inside(const std::filesystem::path& inner, const std::filesystem::path& outer);

}  // namespace sanso::cli
