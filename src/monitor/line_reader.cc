#include "monitor/line_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sanso::monitor {
namespace {

// What one read() asks for. Small enough that the bytes the kernel copies in are still in the
// core's L2 cache when the parser reads them (a 1 MiB buffer was not: the copy went out to L3 and
// the parse brought it back); large enough that the calls cost nothing next to the copy.
constexpr std::size_t kBufferBytes = 256 * 1024;
constexpr std::size_t kCompressedChunk = 256 * 1024;

}  // namespace

// Where bytes come from: a file descriptor, raw or through inflate, or a caller's buffer.
struct LineReader::Source {
  int fd = -1;
  bool own_fd = false;
  std::string_view memory;  // when reading a buffer
  bool from_memory = false;
  bool sniffed = false;
  bool gzip = false;
  bool stream_open = false;  // inside a gzip member
  z_stream z{};
  bool z_ready = false;
  std::unique_ptr<unsigned char[]> in;
  std::size_t in_len = 0;
  bool in_eof = false;
  std::uint64_t compressed_offset = 0;
  // A regular file's size at open, and the bytes read from it: a file smaller than either at its
  // end was truncated under the scan (logrotate's copytruncate), and what it held past the cut was
  // not read — an error, not the quiet end of the log.
  bool regular = false;
  std::uint64_t size_seen = 0;
  std::uint64_t raw_read = 0;

  ~Source() {
    if (z_ready) inflateEnd(&z);
    if (own_fd && fd >= 0) close(fd);
  }

  // Raw bytes of the input: from the buffer or the descriptor. 0 at the end.
  Result<std::size_t> read_raw(char* out, std::size_t n, const std::string& name) {
    if (from_memory) {
      const std::size_t take = std::min(n, memory.size());
      std::memcpy(out, memory.data(), take);
      memory.remove_prefix(take);
      return take;
    }
    for (;;) {
      const ssize_t got = ::read(fd, out, n);
      if (got == 0 && regular) {
        struct stat st {};
        if (fstat(fd, &st) == 0 && static_cast<std::uint64_t>(st.st_size) < std::max(size_seen, raw_read)) {
          return make_error("monitor.truncated", name + ": byte " + std::to_string(st.st_size),
                            "the log shrank while it was read (truncated under the scan, as logrotate's copytruncate does); what it held past the cut was not read");
        }
      }
      if (got >= 0) {
        raw_read += static_cast<std::uint64_t>(got);
        return static_cast<std::size_t>(got);
      }
      if (errno == EINTR) continue;
      return make_error("monitor.read", name, std::string("reading failed: ") + std::strerror(errno));
    }
  }

  Result<bool> refill_compressed(const std::string& name) {
    if (in_eof) return false;
    const std::size_t got = SANSO_TRY(read_raw(reinterpret_cast<char*>(in.get()), kCompressedChunk, name));
    if (got == 0) {
      in_eof = true;
      return false;
    }
    z.next_in = in.get();
    z.avail_in = static_cast<uInt>(got);
    in_len = got;
    return true;
  }

  // Decompressed bytes into `out`; 0 at the clean end of the last member.
  Result<std::size_t> read(char* out, std::size_t n, const std::string& name) {
    if (!sniffed) {
      sniffed = true;
      in = std::make_unique<unsigned char[]>(kCompressedChunk);
      // Two bytes decide: the gzip magic (1f 8b). Anything else is read as it is.
      const std::size_t got = SANSO_TRY(read_raw(reinterpret_cast<char*>(in.get()), kCompressedChunk, name));
      in_len = got;
      if (got >= 2 && in[0] == 0x1f && in[1] == 0x8b) {
        gzip = true;
        if (inflateInit2(&z, 15 + 16) != Z_OK) return make_error("monitor.gzip", name, "zlib could not start");
        z_ready = true;
        stream_open = true;
        z.next_in = in.get();
        z.avail_in = static_cast<uInt>(got);
      } else {
        // Hand the sniffed bytes over first.
        const std::size_t take = std::min(n, got);
        std::memcpy(out, in.get(), take);
        if (take < got) {
          leftover.assign(reinterpret_cast<char*>(in.get()) + take, got - take);
        }
        if (got == 0) in_eof = true;
        return take;
      }
    }
    if (!gzip) {
      if (!leftover.empty()) {
        const std::size_t take = std::min(n, leftover.size());
        std::memcpy(out, leftover.data(), take);
        leftover.erase(0, take);
        return take;
      }
      return read_raw(out, n, name);
    }
    for (;;) {
      if (z.avail_in == 0) {
        const bool more = SANSO_TRY(refill_compressed(name));
        if (!more) {
          if (stream_open) {
            return make_error("monitor.gzip-truncated", name + ": byte " + std::to_string(compressed_offset),
                              "the gzip stream ends in the middle of a member (a truncated or partly written file)");
          }
          return std::size_t{0};
        }
      }
      if (!stream_open) {
        // Another member follows the one that ended (concatenated rotations).
        if (inflateReset(&z) != Z_OK) return make_error("monitor.gzip", name, "zlib could not restart");
        stream_open = true;
      }
      z.next_out = reinterpret_cast<unsigned char*>(out);
      z.avail_out = static_cast<uInt>(n);
      const uInt before_in = z.avail_in;
      const int rc = inflate(&z, Z_NO_FLUSH);
      compressed_offset += before_in - z.avail_in;
      const std::size_t produced = n - z.avail_out;
      if (rc == Z_STREAM_END) {
        stream_open = false;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return make_error("monitor.gzip-corrupt", name + ": byte " + std::to_string(compressed_offset),
                          std::string("the gzip stream is corrupt (") + (z.msg != nullptr ? z.msg : "zlib error") + ")");
      }
      if (produced > 0) return produced;
      if (rc == Z_BUF_ERROR && z.avail_in != 0) {
        return make_error("monitor.gzip-corrupt", name + ": byte " + std::to_string(compressed_offset), "the gzip stream makes no progress");
      }
    }
  }

  std::string leftover;
};

LineReader::LineReader(std::unique_ptr<Source> source, std::string name)
    : source_(std::move(source)), name_(std::move(name)), buffer_(new char[kBufferBytes + kMaxLineBytes]), capacity_(kBufferBytes + kMaxLineBytes) {}

LineReader::~LineReader() = default;

Result<std::unique_ptr<LineReader>> LineReader::open_file(const std::string& path, const std::string& name) {
  auto source = std::make_unique<Source>();
  if (path == "-") {
    source->fd = STDIN_FILENO;
  } else {
    source->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (source->fd < 0) return make_error("monitor.open", path, std::string("cannot open the log: ") + std::strerror(errno));
    source->own_fd = true;
  }
  // Read front to back once: the kernel may read further ahead.
  (void)posix_fadvise(source->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  // (Not a file that says it is empty, as those of /proc do whatever they hold.)
  if (struct stat st {}; fstat(source->fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    source->regular = true;
    source->size_seen = static_cast<std::uint64_t>(st.st_size);
  }
  return std::unique_ptr<LineReader>(new LineReader(std::move(source), !name.empty() ? name : path == "-" ? "(stdin)" : path));
}

std::unique_ptr<LineReader> LineReader::over(std::string_view bytes, std::string name) {
  auto source = std::make_unique<Source>();
  source->from_memory = true;
  source->memory = bytes;
  return std::unique_ptr<LineReader>(new LineReader(std::move(source), std::move(name)));
}

Result<bool> LineReader::fill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == capacity_) return true;  // full: the caller deals with an over-long line
  const std::size_t got = SANSO_TRY(source_->read(buffer_.get() + end_, capacity_ - end_, name_));
  if (got == 0) {
    eof_ = true;
    return false;
  }
  end_ += got;
  return true;
}

Result<std::string_view> LineReader::peek(std::size_t bytes) {
  bytes = std::min(bytes, capacity_);
  while (end_ - begin_ < bytes && !eof_) {
    const bool more = SANSO_TRY(fill());
    if (!more) break;
  }
  return std::string_view(buffer_.get() + begin_, std::min(bytes, end_ - begin_));
}

Result<LineReader::Next> LineReader::next(std::string_view& line) {
  std::size_t scanned = begin_;  // bytes before this are known to hold no '\n'
  bool skipping = false;         // inside a line found too long: drop bytes until its end
  for (;;) {
    const char* start = buffer_.get() + scanned;
    const auto* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - scanned));
    if (nl != nullptr) {
      const std::size_t at = static_cast<std::size_t>(nl - buffer_.get());
      ++line_number_;
      if (skipping || at - begin_ > kMaxLineBytes) {
        begin_ = at + 1;
        return Next::kTooLong;
      }
      std::size_t len = at - begin_;
      if (len > 0 && buffer_[begin_ + len - 1] == '\r') --len;
      line = std::string_view(buffer_.get() + begin_, len);
      begin_ = at + 1;
      return Next::kLine;
    }
    if (end_ - begin_ > kMaxLineBytes) {
      // Drop what we have of the over-long line and keep looking for its end.
      skipping = true;
      begin_ = end_;
    }
    const std::size_t kept = end_ - begin_;
    const bool more = SANSO_TRY(fill());
    scanned = kept;  // fill() moved the unconsumed bytes to the front
    if (!more) {
      if (end_ == begin_) {
        if (skipping) {
          ++line_number_;
          return Next::kTooLong;
        }
        return Next::kEnd;
      }
      // A last line without '\n'.
      ++line_number_;
      if (skipping || end_ - begin_ > kMaxLineBytes) {
        begin_ = end_;
        return Next::kTooLong;
      }
      std::size_t len = end_ - begin_;
      if (buffer_[begin_ + len - 1] == '\r') --len;
      line = std::string_view(buffer_.get() + begin_, len);
      begin_ = end_;
      return Next::kLine;
    }
  }
}

}  // namespace sanso::monitor
