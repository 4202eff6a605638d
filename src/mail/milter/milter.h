// The Postfix side of the gateway: a libmilter filter that collects each message with its
// envelope, asks the MailGateway, and applies the answer through the milter protocol — replace
// the headers and body, reject, tempfail or hold. Anything unexpected tempfails (fail closed).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sanso::mail {

class MailGateway;

struct MilterOptions {
  std::string listen;         // "unix:/run/sanso/milter.sock" or "inet:8891@127.0.0.1"
  int timeout_seconds = 600;  // libmilter's I/O timeout towards Postfix
};

// A listen address as libmilter reads it: a bare path, "unix:" or "local:" (any case) is a Unix
// socket at `path`; "inet:" / "inet6:" take "port@host" (`inet`). nullopt for another protocol.
struct MilterListen {
  bool unix_socket = false;
  std::string path;
  std::string inet;
};
std::optional<MilterListen> read_milter_listen(std::string_view listen);

// Serves until SIGTERM/SIGINT/SIGHUP. One gateway for all connections (it is thread-safe).
Result<void> run_milter(MailGateway& gateway, const MilterOptions& options);

}  // namespace sanso::mail
