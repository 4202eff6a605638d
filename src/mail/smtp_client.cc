#include "mail/smtp_client.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sanso::mail {
namespace {

class Connection {
 public:
  ~Connection() {
    if (fd_ >= 0) ::close(fd_);
  }

  Result<void> open(const SmtpOptions& o) {
    relay_ = o.relay;
    auto colon = o.relay.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == o.relay.size()) {
      return make_error("smtp.config", o.relay, "the relay must be host:port");
    }
    std::string host = o.relay.substr(0, colon);
    std::string port = o.relay.substr(colon + 1);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
    if (rc != 0) return make_error("smtp.unavailable", relay_, std::string("cannot resolve the relay: ") + gai_strerror(rc));
    std::string last = "no address";
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
      int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) continue;
      timeval tv{static_cast<time_t>(o.timeout.count()), 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
        fd_ = fd;
        break;
      }
      last = std::strerror(errno);
      ::close(fd);
    }
    ::freeaddrinfo(found);
    if (fd_ < 0) return make_error("smtp.unavailable", relay_, "cannot connect to the relay: " + last);
    return ok();
  }

  Result<void> send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return make_error("smtp.unavailable", relay_, std::string("send failed: ") + std::strerror(errno));
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return ok();
  }

  // Reads one (possibly multi-line) reply; returns it when its code is `expected` class.
  Result<std::string> reply(char expected, std::string_view after) {
    std::string text;
    while (true) {
      std::string line = SANSO_TRY(read_line());
      text += (text.empty() ? "" : " ") + line;
      if (line.size() < 3) return make_error("smtp.protocol", relay_, "malformed reply after " + std::string(after) + ": " + line);
      if (line.size() == 3 || line[3] == ' ') {
        if (line[0] == expected) return text;
        std::string code = line[0] == '4' ? "smtp.unavailable" : "smtp.rejected";
        return make_error(code, relay_, "the relay refused " + std::string(after) + ": " + text);
      }
    }
  }

 private:
  Result<std::string> read_line() {
    while (true) {
      auto eol = buffer_.find("\r\n");
      if (eol != std::string::npos) {
        std::string line = buffer_.substr(0, eol);
        buffer_.erase(0, eol + 2);
        return line;
      }
      if (buffer_.size() > 64 * 1024) return make_error("smtp.protocol", relay_, "reply line too long");
      char chunk[4096];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        return make_error("smtp.unavailable", relay_,
                          n == 0 ? "the relay closed the connection" : std::string("receive failed: ") + std::strerror(errno));
      }
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  int fd_ = -1;
  std::string relay_;
  std::string buffer_;
};

// CRLF line ends and dot-stuffing (RFC 5321 §4.5.2), then the terminating ".".
std::string data_block(const std::string& message) {
  std::string out;
  out.reserve(message.size() + message.size() / 40 + 8);
  bool line_start = true;
  for (std::size_t i = 0; i < message.size(); ++i) {
    char c = message[i];
    if (line_start && c == '.') out += '.';
    if (c == '\n' && (i == 0 || message[i - 1] != '\r')) out += '\r';
    out += c;
    line_start = c == '\n';
  }
  if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
  out += ".\r\n";
  return out;
}

bool is_safe_address(const std::string& a) {
  for (char c : a) {
    if (c == '\r' || c == '\n' || c == '<' || c == '>' || c == '\0') return false;
  }
  return true;
}

}  // namespace

Result<std::string> send_mail(const SmtpOptions& options, const SmtpEnvelope& envelope, const std::string& message) {
  if (envelope.to.empty()) return make_error("smtp.input", options.relay, "a message needs at least one recipient");
  for (const auto& a : envelope.to) {
    if (a.empty() || !is_safe_address(a)) return make_error("smtp.input", options.relay, "bad recipient address: '" + a + "'");
  }
  if (!is_safe_address(envelope.from)) return make_error("smtp.input", options.relay, "bad sender address");
  Connection c;
  SANSO_TRY(c.open(options));
  SANSO_TRY(c.reply('2', "the connection"));
  SANSO_TRY(c.send("EHLO " + options.helo + "\r\n"));
  SANSO_TRY(c.reply('2', "EHLO"));
  SANSO_TRY(c.send("MAIL FROM:<" + envelope.from + ">\r\n"));
  SANSO_TRY(c.reply('2', "MAIL FROM"));
  for (const auto& to : envelope.to) {
    SANSO_TRY(c.send("RCPT TO:<" + to + ">\r\n"));
    SANSO_TRY(c.reply('2', "RCPT TO:<" + to + ">"));
  }
  SANSO_TRY(c.send("DATA\r\n"));
  SANSO_TRY(c.reply('3', "DATA"));
  SANSO_TRY(c.send(data_block(message)));
  std::string accepted = SANSO_TRY(c.reply('2', "the message"));
  (void)c.send("QUIT\r\n");
  return accepted;
}

}  // namespace sanso::mail
