// Zip containers (OOXML, ODF, plain zip) read from and written to memory with libzip, with the
// engine's limits applied while reading: member count, compression ratio, the unpacking budget.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cdr/internal/format.h"

namespace sanso::cdr::internal {

struct ZipEntry {
  std::string name;          // as stored (raw bytes; UTF-8 for OOXML and ODF)
  std::uint64_t size = 0;    // declared uncompressed size
  std::uint64_t compressed = 0;
  std::uint64_t index = 0;
  bool encrypted = false;
  bool directory = false;
  std::string comment;       // the member's comment in the central directory (raw bytes), "" when none
};

// A zip archive opened over bytes the caller keeps alive.
class ZipReader {
 public:
  static Result<std::unique_ptr<ZipReader>> open(std::string_view bytes, const Context& ctx);
  ~ZipReader();
  ZipReader(const ZipReader&) = delete;
  ZipReader& operator=(const ZipReader&) = delete;

  const std::vector<ZipEntry>& entries() const { return entries_; }
  // The archive's comment (the end of central directory's, raw bytes): 7-Zip, WinRAR and Explorer's
  // properties show it, as they show each member's (ZipEntry::comment).
  const std::string& comment() const { return comment_; }
  const ZipEntry* find(std::string_view name) const;
  // The member's bytes; blocks ("cdr.limit") beyond its declared size, the ratio or the budget.
  // An encrypted member is blocked ("cdr.encrypted") unless a `password` is given (a PPAP unlock,
  // in the sandbox); a password the member rejects is "unlock.password".
  Result<std::string> read(const ZipEntry& entry, const Context& ctx, const char* password = nullptr) const;

 private:
  ZipReader() = default;
  struct State;
  std::unique_ptr<State> state_;
  std::vector<ZipEntry> entries_;
  std::string comment_;
};

// Builds a zip in memory: deflate level 6 (zlib's default) with fixed timestamps, so the same
// content always gives the same bytes.
class ZipWriter {
 public:
  void add(std::string name, std::string bytes, bool compress = true);
  Result<std::string> finish();

 private:
  struct Member {
    std::string name, bytes;
    bool compress;
  };
  std::vector<Member> members_;
};

}  // namespace sanso::cdr::internal
