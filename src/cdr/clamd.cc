#include "cdr/clamd.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/io.h"

namespace sanso::cdr {
namespace {

// A connected socket to clamd, closed on scope exit.
struct Connection {
  int fd = -1;
  ~Connection() {
    if (fd >= 0) ::close(fd);
  }
};

Result<void> connect_to(std::string_view address, Connection& c) {
  std::string a(address);
  auto unavailable = [&](const std::string& why) {
    return make_error("clamd.unavailable", a, "clamd is configured here but not reachable: " + why + " (is clamav-daemon running?)");
  };
  if (a.rfind("unix:", 0) == 0) a = a.substr(5);
  if (!a.empty() && a[0] == '/') {
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    if (a.size() >= sizeof sun.sun_path) return unavailable("the socket path is too long");
    std::memcpy(sun.sun_path, a.c_str(), a.size() + 1);
    c.fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c.fd < 0 || ::connect(c.fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) return unavailable(std::strerror(errno));
    return ok();
  }
  if (a.rfind("tcp:", 0) == 0) a = a.substr(4);
  auto colon = a.rfind(':');
  if (colon == std::string::npos) return make_error("clamd.address", a, "not a clamd address (unix:/path or tcp:host:port)");
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(a.substr(0, colon).c_str(), a.substr(colon + 1).c_str(), &hints, &res) != 0 || res == nullptr) return unavailable("cannot resolve the address");
  c.fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int rc = c.fd < 0 ? -1 : ::connect(c.fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (rc != 0) return unavailable(std::strerror(errno));
  return ok();
}


// clamd's NUL-terminated answer.
Result<std::string> read_reply(int fd, std::chrono::seconds timeout, std::string_view address) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[512];
  while (out.find('\0') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return make_error("clamd.unavailable", std::string(address), "clamd did not answer in time");
    pollfd p{fd, POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(left));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) continue;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  if (auto nul = out.find('\0'); nul != std::string::npos) out.resize(nul);
  if (out.empty()) return make_error("clamd.unavailable", std::string(address), "clamd closed the connection without an answer");
  return out;
}

}  // namespace

Result<void> clamd_ping(std::string_view address) {
  Connection c;
  SANSO_TRY(connect_to(address, c));
  if (!send_all(c.fd, "zPING", 6)) return make_error("clamd.unavailable", std::string(address), "cannot talk to clamd");
  std::string reply = SANSO_TRY(read_reply(c.fd, std::chrono::seconds(10), address));
  if (reply != "PONG") return make_error("clamd.error", std::string(address), "clamd answered '" + reply + "' to PING");
  return ok();
}

Result<ClamdVerdict> clamd_scan(std::string_view address, std::string_view bytes, std::chrono::seconds timeout) {
  Connection c;
  SANSO_TRY(connect_to(address, c));
  auto lost = [&] { return make_error("clamd.unavailable", std::string(address), "the connection to clamd broke during the scan"); };
  if (!send_all(c.fd, "zINSTREAM", 10)) return lost();
  constexpr std::size_t kChunk = 1 << 16;
  for (std::size_t at = 0; at < bytes.size(); at += kChunk) {
    std::size_t n = std::min(kChunk, bytes.size() - at);
    unsigned char len[4] = {static_cast<unsigned char>(n >> 24), static_cast<unsigned char>(n >> 16), static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)};
    // clamd stops reading and answers early when the stream exceeds its limit.
    if (!send_all(c.fd, reinterpret_cast<const char*>(len), 4) || !send_all(c.fd, bytes.data() + at, n)) break;
  }
  const char end[4] = {0, 0, 0, 0};
  (void)send_all(c.fd, end, 4);
  std::string reply = SANSO_TRY(read_reply(c.fd, timeout, address));
  // "stream: OK", "stream: <signature> FOUND", "<message> ERROR"
  ClamdVerdict v;
  if (reply.size() >= 6 && reply.compare(reply.size() - 6, 6, " FOUND") == 0) {
    auto colon = reply.find(": ");
    v.infected = true;
    v.signature = reply.substr(colon == std::string::npos ? 0 : colon + 2, reply.size() - 6 - (colon == std::string::npos ? 0 : colon + 2));
    return v;
  }
  if (reply.size() >= 4 && reply.compare(reply.size() - 4, 4, ": OK") == 0) return v;
  return make_error("clamd.error", std::string(address), "clamd could not scan the file: " + reply);
}

CdrResult with_antivirus(std::string_view address, std::string_view bytes, std::string_view name, const std::function<CdrResult()>& sanitize) {
  if (address.empty()) return sanitize();
  auto blocked = [&](std::string reason, FindingKind kind, std::string location, std::string message) {
    CdrResult r;
    r.verdict = Verdict::blocked;
    r.type = "unknown";
    r.reason = std::move(reason);
    r.message = std::string(name) + ": " + message;
    r.findings.push_back({kind, std::move(location), FindingAction::kBlocked});
    return r;
  };
  auto before = clamd_scan(address, bytes);
  if (!before) return blocked("internal", FindingKind::kInternal, std::string(name), "the antivirus scan failed, so the file is held: " + before.error().message);
  if (before->infected) return blocked("virus", FindingKind::kVirus, before->signature, "clamd found " + before->signature);
  CdrResult r = sanitize();
  if (r.verdict == Verdict::blocked) return r;
  auto after = clamd_scan(address, r.output);
  if (!after) return blocked("internal", FindingKind::kInternal, r.output_name, "the antivirus scan of the rebuilt file failed: " + after.error().message);
  if (after->infected) return blocked("virus", FindingKind::kVirus, after->signature, "clamd found " + after->signature + " in the rebuilt file");
  return r;
}

}  // namespace sanso::cdr
