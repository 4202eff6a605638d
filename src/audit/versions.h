// Kept versions of a tracked file (the policy, clause 8's review): the text of every version that
// took effect, once per SHA-256, numbered 1, 2, … in the order they were first loaded, each with
// who loaded it, when, and the audit entry (`<name>.version`) that recorded its keeping. The store
// keeps them in tracked_file_versions (schema version 18); `sanso policy versions` lists them and
// `sanso policy diff @3 @4` compares two.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "audit/log.h"
#include "core/result.h"
#include "store/database.h"

namespace sanso::audit {

struct FileVersion {
  std::int64_t number = 0;
  std::string sha256;
  std::string path;               // where it was read
  std::string seen_by;            // the actor (service or person) that first loaded it
  std::int64_t seen_at = 0;       // Unix seconds
  std::uint64_t audit_index = 0;  // its `<name>.version` record
  std::int64_t size = 0;          // bytes
};

// Keeps `content` (read from `path`) as a version of `name` unless one with its SHA-256 is already
// kept; then records `<name>.version` (outcome "kept", the version's number and hash) in the same
// transaction. `sha256` is the hash taken when the file was loaded: content that differs from it
// (the file replaced between the two reads) is refused ("audit.version-mismatch"). Returns the
// version, new or already kept.
Result<FileVersion> keep_file_version(store::Database& db, AuditLog& log, const std::string& name, const std::string& path,
                                      const std::string& sha256, const std::string& content, const std::string& actor);

// Every kept version of `name`, oldest first.
Result<std::vector<FileVersion>> file_versions(store::Database& db, const std::string& name);

// One version by reference: "@3" (its number) or "@" followed by at least 6 hex digits of its
// SHA-256 (a prefix that must name exactly one). Errors: "audit.bad-version" (not such a
// reference), "audit.no-version" (none or several match).
Result<FileVersion> find_file_version(store::Database& db, const std::string& name, std::string_view reference);

// A kept version's text, checked against its SHA-256 ("audit.version-damaged" when it differs).
Result<std::string> file_version_text(store::Database& db, const std::string& name, std::int64_t number);

}  // namespace sanso::audit
