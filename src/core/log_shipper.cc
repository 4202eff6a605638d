#include "core/internal/log_shipper.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "core/text.h"

namespace sanso::log::internal {
namespace {

constexpr std::size_t kQueueLimit = 10000;
constexpr auto kDrainAtExit = std::chrono::seconds(3);
constexpr auto kRetryAfter = std::chrono::seconds(1);
constexpr int kConnectTimeoutMs = 2000;
// RFC 5424's example private enterprise number (RFC 5612); docs/logging.md says how to read it.
constexpr const char* kSdId = "sanso@32473";

int severity_of(const Line& line) {
  if (line.notice) return 5;
  switch (line.level) {
    case Level::kDebug: return 7;
    case Level::kInfo: return 6;
    case Level::kWarn: return 4;
    case Level::kError: return 3;
  }
  return 6;
}

std::string timestamp(std::int64_t unix_micros) {
  const std::time_t seconds = static_cast<std::time_t>(unix_micros / 1000000);
  std::tm tm{};
  localtime_r(&seconds, &tm);  // the city's own time (JST), with its offset
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  const long offset = tm.tm_gmtoff;
  char out[64];
  std::snprintf(out, sizeof out, "%s.%06lld%c%02ld:%02ld", date, static_cast<long long>(unix_micros % 1000000), offset < 0 ? '-' : '+',
                std::labs(offset) / 3600, (std::labs(offset) % 3600) / 60);
  return out;
}

// RFC 5424's header fields are printable US-ASCII without spaces, or "-".
std::string header_word(std::string_view text, std::size_t limit) {
  std::string out;
  for (char c : text.substr(0, limit)) {
    if (c > 32 && c < 127) out += c;
  }
  return out.empty() ? "-" : out;
}

}  // namespace

Result<Target> parse_target(std::string_view text) {
  Target t;
  auto bad = [&](const std::string& why) {
    return make_error("log.target", std::string(text), why + ": use udp://HOST:PORT, tcp://HOST:PORT or unix:/PATH (e.g. unix:/dev/log)");
  };
  if (text.starts_with("unix:")) {
    t.kind = Target::Kind::kUnix;
    t.host = std::string(text.substr(5));
    if (t.host.empty() || t.host.front() != '/') return bad("a local socket needs an absolute path");
    if (t.host.size() >= sizeof(sockaddr_un{}.sun_path)) return bad("the socket's path is too long");
    return t;
  }
  std::string_view rest;
  if (text.starts_with("udp://")) {
    t.kind = Target::Kind::kUdp;
    rest = text.substr(6);
  } else if (text.starts_with("tcp://")) {
    t.kind = Target::Kind::kTcp;
    rest = text.substr(6);
  } else {
    return bad("unknown kind of target");
  }
  auto hp = split_host_port(rest);
  if (!hp || hp->host.empty() || hp->port == 0) return bad("HOST:PORT is missing or not valid");
  for (char c : hp->host) {
    if (c <= 32 || c >= 127) return bad("the host has characters no host name has");
  }
  t.host = hp->host;
  t.port = hp->port;
  return t;
}

std::optional<int> facility_code(std::string_view name) {
  static constexpr std::pair<const char*, int> kNames[] = {{"kern", 0},   {"user", 1},   {"mail", 2},   {"daemon", 3}, {"auth", 4},
                                                            {"syslog", 5}, {"lpr", 6},    {"news", 7},   {"uucp", 8},   {"cron", 9},
                                                            {"authpriv", 10}, {"ftp", 11}, {"local0", 16}, {"local1", 17}, {"local2", 18},
                                                            {"local3", 19}, {"local4", 20}, {"local5", 21}, {"local6", 22}, {"local7", 23}};
  for (const auto& [n, code] : kNames) {
    if (name == n) return code;
  }
  return std::nullopt;
}

std::string format_rfc5424(const Line& line, int facility, std::string_view hostname, long pid) {
  std::string out = "<" + std::to_string(facility * 8 + severity_of(line)) + ">1 " + timestamp(line.unix_micros) + " " +
                    header_word(hostname, 255) + " sanso " + std::to_string(pid) + " " + header_word(line.name, 32) + " ";
  if (line.fields.empty()) {
    out += "-";
  } else {
    out += "[";
    out += kSdId;
    for (const auto& [key, value] : line.fields) {
      out += ' ';
      out += key;
      out += "=\"";
      for (char c : value) {
        if (c == '"' || c == '\\' || c == ']') out += '\\';
        out += c;
      }
      out += '"';
    }
    out += "]";
  }
  if (!line.message.empty()) {
    out += " \xEF\xBB\xBF";  // the BOM that says MSG is UTF-8 (RFC 5424 6.4)
    out += line.message;
  }
  return out;
}

Shipper::Shipper(std::optional<Target> syslog, bool journal) : syslog_(std::move(syslog)), journal_(journal), pid_(static_cast<long>(::getpid())) {
  thread_ = std::thread([this] { run(); });
}

Shipper::~Shipper() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  close_socket();
}

bool Shipper::owned_by_this_process() const { return pid_ == static_cast<long>(::getpid()); }

void Shipper::push(Line line, const std::string& facility, const std::string& hostname) {
  if (!owned_by_this_process()) return;
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= kQueueLimit) {
      ++dropped_;
      return;
    }
    queue_.push_back({std::move(line), facility_code(facility).value_or(3), hostname});
  }
  cv_.notify_one();
}

void Shipper::close_socket() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool Shipper::send_syslog(const std::string& text) {
  const Target& t = *syslog_;
  if (fd_ < 0) {
    if (t.kind == Target::Kind::kUnix) {
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      std::memcpy(addr.sun_path, t.host.c_str(), t.host.size() + 1);
      fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close_socket();
        return false;
      }
    } else {
      addrinfo hints{};
      hints.ai_socktype = t.kind == Target::Kind::kUdp ? SOCK_DGRAM : SOCK_STREAM;
      addrinfo* found = nullptr;
      if (::getaddrinfo(t.host.c_str(), std::to_string(t.port).c_str(), &hints, &found) != 0 || found == nullptr) return false;
      for (addrinfo* a = found; a != nullptr && fd_ < 0; a = a->ai_next) {
        fd_ = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
        if (fd_ < 0) continue;
        int rc = ::connect(fd_, a->ai_addr, a->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
          pollfd p{fd_, POLLOUT, 0};
          int err = 0;
          socklen_t len = sizeof err;
          rc = ::poll(&p, 1, kConnectTimeoutMs) == 1 && ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0 ? 0 : -1;
        }
        if (rc != 0) close_socket();
      }
      ::freeaddrinfo(found);
      if (fd_ < 0) return false;
      // Blocking from here, but never for long: this thread is the only one that waits.
      ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
      timeval timeout{2, 0};
      ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    }
  }
  if (t.kind == Target::Kind::kTcp) {
    // Octet counting (RFC 6587 3.4.1): a message may carry any byte, a newline included.
    const std::string framed = std::to_string(text.size()) + " " + text;
    std::size_t sent = 0;
    while (sent < framed.size()) {
      const ssize_t n = ::send(fd_, framed.data() + sent, framed.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        close_socket();
        return false;
      }
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }
  // A datagram is whole or not at all; a server that refused one (ICMP) may take the next.
  const std::string_view datagram = std::string_view(text).substr(0, 8192);
  if (::send(fd_, datagram.data(), datagram.size(), MSG_NOSIGNAL) < 0) {
    const int error = errno;
    if (t.kind == Target::Kind::kUnix) close_socket();
    return error == ECONNREFUSED && t.kind == Target::Kind::kUdp;  // refused by the server: the line is lost, not retried forever
  }
  return true;
}

void Shipper::send_journal(const Line& line) {
  std::vector<std::string> fields;
  fields.push_back("MESSAGE=" + line.message);
  fields.push_back("PRIORITY=" + std::to_string(severity_of(line)));
  fields.push_back("SYSLOG_IDENTIFIER=sanso");
  fields.push_back("SANSO_EVENT=" + line.name);
  for (const auto& [key, value] : line.fields) {
    std::string name = "SANSO_";
    for (char c : key) name += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    fields.push_back(name + "=" + value);
  }
  std::vector<iovec> iov;
  for (auto& f : fields) iov.push_back({f.data(), f.size()});
  (void)sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));  // a journal that is not there loses the line, never the service
}

void Shipper::run() {
  const long pid = static_cast<long>(::getpid());
  std::optional<std::chrono::steady_clock::time_point> drain_until;
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_ && !drain_until) drain_until = std::chrono::steady_clock::now() + kDrainAtExit;
    if (queue_.empty() || (drain_until && std::chrono::steady_clock::now() >= *drain_until)) {
      if (stopping_) return;
      continue;
    }
    Queued q = std::move(queue_.front());
    queue_.pop_front();
    const std::uint64_t dropped = std::exchange(dropped_, 0);
    lock.unlock();
    if (dropped > 0) {
      Line note;
      note.level = Level::kWarn;
      note.name = "log.dropped";
      note.message = std::to_string(dropped) + " log lines were dropped: the log server did not take them in time";
      note.unix_micros = q.line.unix_micros;
      note.fields = {{"dropped", std::to_string(dropped)}};
      if (journal_) send_journal(note);
      if (syslog_) (void)send_syslog(format_rfc5424(note, q.facility, q.hostname, pid));
    }
    if (journal_ && !q.journaled) send_journal(q.line);
    q.journaled = true;
    bool delivered = true;
    if (syslog_) {
      const std::string text = format_rfc5424(q.line, q.facility, q.hostname, pid);
      delivered = send_syslog(text);
      if (!delivered) {
        // The server is away: wait a little (or until the process ends) and try the line again.
        lock.lock();
        if (!drain_until) {
          queue_.push_front(std::move(q));
          cv_.wait_for(lock, kRetryAfter, [&] { return stopping_; });
        }
        continue;
      }
    }
    lock.lock();
  }
}

}  // namespace sanso::log::internal
