// A minimal SMTP client for handing a message to the local MTA (RFC 5321): quarantine releases
// re-inject originals through the relay named in sanso.toml. It speaks plain SMTP to a relay on
// the same host or the LGWAN segment; TLS and authentication are the relay's business.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/result.h"

namespace sanso::mail {

struct SmtpEnvelope {
  std::string from;             // "" for the null sender
  std::vector<std::string> to;  // at least one
};

struct SmtpOptions {
  std::string relay;            // "host:port", e.g. "127.0.0.1:10026"
  std::string helo = "localhost";
  std::chrono::seconds timeout{30};
};

// Sends one message; returns the relay's final reply to DATA (e.g. "250 2.0.0 Ok: queued as …").
// Bare LF line ends become CRLF and lines starting with "." are dot-stuffed; the bytes are
// otherwise sent unchanged. Errors carry the code "smtp.unavailable" (connection, 4xx: try again
// later) or "smtp.rejected" (5xx), with the server's words.
Result<std::string> send_mail(const SmtpOptions& options, const SmtpEnvelope& envelope, const std::string& message);

}  // namespace sanso::mail
