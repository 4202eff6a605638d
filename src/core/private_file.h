// Files that hold the store, its keys, or what is exported from it (password hashes, second-factor
// secrets, originals, the audit log): readable and writable by their owner only — files 0600,
// directories 0700 — whatever the umask of whoever started the process.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace sanso {

// Creates `path` and any missing parents with mode 0700; directories already there keep theirs.
Result<void> create_private_directories(const std::string& path);

// Writes `bytes` to `path` (created, or truncated) with mode 0600; a file already there is
// narrowed to 0600 before a byte is written.
Result<void> write_private_file(const std::string& path, std::string_view bytes);

// The same, through a temporary file renamed over `path`: a reader sees the old content or the
// new, never a part.
Result<void> replace_private_file(const std::string& path, std::string_view bytes);

// Narrows an existing file to 0600 (a store created by an older version, 0644); absent is fine.
Result<void> make_private(const std::string& path);

}  // namespace sanso
