// Streaming lines from a log file, standard input or a byte buffer, gzip undone transparently
// (zlib; several gzip members one after another, as rotated logs are concatenated, are one
// stream). One large buffer, no allocation per line. A line longer than kMaxLineBytes is skipped
// whole and reported as such, never split into pieces that could be read as lines of their own.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sanso::monitor {

inline constexpr std::size_t kMaxLineBytes = 64 * 1024;

class LineReader {
 public:
  enum class Next { kLine, kTooLong, kEnd };

  // `path` "-" is standard input. The file is not read until next(). `name` is what reports call it
  // (default: the path).
  static Result<std::unique_ptr<LineReader>> open_file(const std::string& path, const std::string& name = "");
  // Over bytes the caller keeps alive (tests, fuzzing, datagrams).
  static std::unique_ptr<LineReader> over(std::string_view bytes, std::string name);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line, without its '\n' (and a '\r' before it). kTooLong: a line was skipped; its
  // number is line_number(). An Error when reading or decompressing fails (a truncated or
  // corrupt gzip stream), with the byte offset in the compressed input, or when a regular file
  // ends smaller than it was (truncated under the scan: "monitor.truncated").
  Result<Next> next(std::string_view& line);
  // The next line when it lies whole in what was read already (nearly always): true and the
  // line, as next() would give it; false when next() must run (more to read, a line too long,
  // the end). Inline, without a Result, because a scan calls it for every line.
  bool next_buffered(std::string_view& line) {
    const char* start = buffer_.get() + begin_;
    const auto* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - begin_));
    if (nl == nullptr) return false;
    std::size_t len = static_cast<std::size_t>(nl - start);
    if (len > kMaxLineBytes) return false;
    ++line_number_;
    begin_ += len + 1;
    if (len > 0 && start[len - 1] == '\r') --len;
    line = std::string_view(start, len);
    return true;
  }
  std::uint64_t line_number() const { return line_number_; }
  const std::string& name() const { return name_; }
  // The first bytes of the (decompressed) input, for format sniffing; reads them if needed.
  Result<std::string_view> peek(std::size_t bytes);

 private:
  struct Source;
  LineReader(std::unique_ptr<Source> source, std::string name);
  // Reads more into the buffer after the unconsumed bytes; false at the end of input.
  Result<bool> fill();

  std::unique_ptr<Source> source_;
  std::string name_;
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;  // first unconsumed byte
  std::size_t end_ = 0;    // one past the last byte read
  bool eof_ = false;
  std::uint64_t line_number_ = 0;
};

}  // namespace sanso::monitor
