// The Postfix side of the gateway: a libmilter filter that collects each message with its
// envelope, asks the MailGateway, and applies the answer through the milter protocol — replace
// the headers and body, reject, tempfail or hold. Anything unexpected tempfails (fail closed).
#pragma once

#include <string>

#include "core/result.h"

namespace sanso::mail {

class MailGateway;

struct MilterOptions {
  std::string listen;         // "unix:/run/sanso/milter.sock" or "inet:8891@127.0.0.1"
  int timeout_seconds = 600;  // libmilter's I/O timeout towards Postfix
};

// Serves until SIGTERM/SIGINT/SIGHUP. One gateway for all connections (it is thread-safe).
Result<void> run_milter(MailGateway& gateway, const MilterOptions& options);

}  // namespace sanso::mail
