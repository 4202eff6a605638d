// Optional antivirus scanning by clamd (its INSTREAM command over a Unix or TCP socket), of each
// original before it is rebuilt and of the rebuilt file after. It runs in the service, not in the
// sandbox: it is I/O with a local daemon, not parsing. A virus, or a scan that cannot be done,
// blocks the file: the engine fails closed.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "cdr/cdr.h"
#include "core/result.h"

namespace sanso::cdr {

struct ClamdVerdict {
  bool infected = false;
  std::string signature;  // "Win.Test.EICAR_HDB-1" when infected
};

// `address`: "unix:/run/clamav/clamd.ctl", "/run/clamav/clamd.ctl", "tcp:127.0.0.1:3310" or
// "127.0.0.1:3310". Errors: "clamd.unavailable" (not reachable, with the address and why),
// "clamd.error" (clamd answered with an error, e.g. its stream size limit).
Result<ClamdVerdict> clamd_scan(std::string_view address, std::string_view bytes, std::chrono::seconds timeout = std::chrono::seconds(60));
// Whether clamd answers at all (PING → PONG): a service checks this when it starts.
Result<void> clamd_ping(std::string_view address);

// `sanitize` with clamd around it (when `address` is not empty).
CdrResult with_antivirus(std::string_view address, std::string_view bytes, std::string_view name, const std::function<CdrResult()>& sanitize);

}  // namespace sanso::cdr
