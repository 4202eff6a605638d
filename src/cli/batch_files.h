// What the batch commands read from and write into folders that others can write into too: a
// Maildir the mail system fills, a folder of files from outside, an output folder. Nothing here
// follows a link planted in them or waits on a pipe, and nothing unbounded is read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sanso::cli {

// The bytes of a regular file that is not a link (checked on the opened file, so a link or a pipe
// swapped in after the folder was listed is refused too) and holds at most `max_bytes`
// (`cli.unreadable` otherwise, saying which and why; the file itself is left as it is).
Result<std::string> read_batch_input(const std::filesystem::path& path, std::uint64_t max_bytes);

enum class Existing {
  kReplace,     // an entry of the name is replaced (a link is replaced, never written through)
  kNumberAnew,  // a free name is found: "a (2).docx", "a (3).docx", ...
};

// Writes `content` at `relative` under `root`: each folder of `relative` is made or opened without
// following a link (a link or a file where a folder should be is refused), and the file is
// written new, then put in place. Returns the path written. `relative` may not climb out ("..",
// an absolute path).
Result<std::filesystem::path> write_under(const std::filesystem::path& root, const std::filesystem::path& relative, std::string_view content,
                                          Existing existing);

// True when `inner` is `outer` or lies inside it, both resolved as the file system has them now.
bool same_or_inside(const std::filesystem::path& inner, const std::filesystem::path& outer);

}  // namespace sanso::cli
