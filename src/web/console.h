// The web console (`sanso web`): where the people of 情報政策係 sign in to see what the gateway
// kept in quarantine, request, approve, deny and carry out releases (four-eyes), and read the
// audit log — in Japanese, with English available. Every sign-in and every action is recorded
// in the audit log by the component that performs it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "quarantine/quarantine.h"
#include "store/shared_database.h"

namespace sanso::config {
struct ServiceConfig;
}
namespace sanso::policy {
struct Policy;
}
namespace sanso::audit {
class AuditLog;
}
namespace sanso::transfer {
class TransferService;
}
namespace sanso::audit {
class AuditLog;
struct SigningKey;
}

namespace sanso::web {

class ApiTokens;
class ConsoleAccounts;

// Where the console listens and what it shows in its title bar.
struct ConsoleOptions {
  std::string host = "127.0.0.1";
  int port = 8443;            // 0: any free port (tests)
  std::string tls_cert;       // PEM files; both empty: plain HTTP, allowed on loopback only
  std::string tls_key;
  std::string municipality;   // e.g. "水俣市"
  std::string node;
  std::size_t audit_page = 100;  // entries per page of the audit log view
  int read_timeout_ms = 10000;   // a client that sends nothing for this long is dropped
  // A request's line, headers and body must all arrive within this, however steadily they trickle
  // in; a TLS handshake too. Slow clients cannot hold the console's threads.
  int request_timeout_ms = 15000;
  int max_connections_per_address = 8;  // open connections from one address (trusted proxies exempt)
  // POSTs that no session vouches for (a PPAP password, a link's download, a sign-in, a form the
  // console refuses) from one internet-side client in a window: counted before anything is
  // audited or stored, so that a flood writes at most this many records and one that it was cut.
  int unauthenticated_posts_per_window = 60;
  int unauthenticated_post_window_seconds = 600;
  int threads = 32;                     // connections served at once
  int listen_backlog = 128;             // connections the kernel queues before they are served
  // [web] public_origin: forms are also accepted from there ("https://console.city.example.lg.jp").
  std::string public_origin;
  // [web] internet_origin: the address internet-side browsers use (download links for them; their
  // forms' Origin); empty: public_origin.
  std::string internet_origin;
  // [web] trusted_proxies, canonical: only their X-Forwarded-For and -Proto are believed.
  std::vector<std::string> trusted_proxies;
  // [web] metrics_from: addresses and networks that may read /metrics without a token.
  std::vector<std::string> metrics_from;
  // [web] nat64_prefixes: the city's network-specific NAT64 prefixes (RFC 6052, e.g.
  // "2001:db8:64::/96"): a client seen through one counts as the IPv4 address it carries.
  std::vector<std::string> nat64_prefixes;
  // [listeners] web_zones: the zone this console serves ("internet", "lgwan"); empty: every
  // page, to every address. A zone's console answers only browsers whose address (behind a
  // trusted proxy: the X-Forwarded-For it vouches for) is in that zone's cidrs, and only people
  // who act from that zone; everyone else gets 403, recorded. It needs the policy.
  std::string zone;
};

// Delivers an approved original on behalf of the person who pressed "release".
using ReleaseDelivery = std::function<Result<std::string>(const quarantine::Item& item, const std::string& original,
                                                          const quarantine::Actor& actor)>;

// What the registers' and the self-inspection's pages (docs/registers.md, docs/inspect.md) act
// through; without the audit log and the policy, the console offers neither.
struct ProofServices {
  audit::AuditLog* audit = nullptr;  // the service's log, on the console's store connection
  const policy::Policy* policy = nullptr;
  std::string policy_sha256;         // of the policy file in force: the automatic items cite its policy.change
  // Signs the log right after each evaluation, and proves evaluations on the campaign's page
  // (inspect::prove_evaluations). Without it, evaluations are shown as not proved.
  const audit::SigningKey* signing_key = nullptr;
};

// What the console acts through; all must outlive it.
struct ConsoleServices {
  ConsoleAccounts& accounts;
  quarantine::QuarantineStore& quarantine;
  store::SharedDatabase& store;  // the service's connection: the audit log is read on it
  const config::ServiceConfig& config;
  ReleaseDelivery deliver;
  // The file transfer pages (docs/transfer.md); without both, the console offers none. The
  // policy's zone cidrs say which side a browser's address is on.
  transfer::TransferService* transfers = nullptr;
  const policy::Policy* policy = nullptr;
  // The JSON API's tokens (docs/api.md); without them, /api/ answers 404. The policy above is
  // what /api/v1/decide decides by.
  ApiTokens* api_tokens = nullptr;
  // Records acknowledgments of the flow monitor's findings; without it the findings page only reads.
  audit::AuditLog* audit_log = nullptr;
  ProofServices proof = {};
};

// "host:port" ([listeners] web); a bare port means 127.0.0.1.
Result<ConsoleOptions> console_address(const std::string& listen);

// A running console: it serves from its own threads until stopped or destroyed.
class Console {
 public:
  // Binds the address (so a taken port is an error here, not later) and starts serving.
  static Result<std::unique_ptr<Console>> start(ConsoleOptions options, ConsoleServices services);
  ~Console();
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  int port() const;    // the bound port, useful when 0 was asked for
  bool tls() const;
  void stop();
  // Blocks until stop() is called (from a signal handler's thread, say).
  void wait();

 private:
  struct Impl;
  explicit Console(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sanso::web
