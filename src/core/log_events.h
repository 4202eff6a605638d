// The log's per-request and per-decision events (docs/logging.md): one line for each web or API
// request answered and each message the mail gateway decided, beside the audit line. Written
// through core/log (log.cc), masked and made visible like every event; apart from log.h so that
// only the services that write them include it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sanso::log {

// A web or API request once answered: an "http.request" event at info.
struct RequestLine {
  std::string_view service = "web";
  std::string_view method;
  std::string_view target;  // request_target(): the path and its query, secrets removed
  int status = 0;
  double seconds = 0;       // from its headers read to its answer
  std::string_view actor;   // the signed-in person or the token's ("" for nobody)
  std::string_view client;  // the client's address as the service determined it
};
void request(const RequestLine& line);

// What of a request's address may reach a log: the path and the query, in which the value of a
// parameter whose key names a secret, and any run of 40 or more letters, digits, '-' or '_' (a
// link's token, an API token), is "[redacted]". The rest is masked like every field on the way out.
std::string request_target(std::string_view path, const std::vector<std::pair<std::string, std::string>>& query);

// A message the mail gateway decided: a "mail.decision" event at info.
struct DecisionLine {
  std::string_view queue_id;
  std::string_view verdict;  // the outcome as audited: sanitized, accepted, held, rejected, refused, tempfail
  std::string_view rule_id, clause;
  double seconds = 0;             // from the message's start to its decision
  std::uint64_t audit_index = 0;  // 0: none recorded
};
void decision(const DecisionLine& line);

}  // namespace sanso::log
