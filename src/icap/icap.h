// icap: the ICAP service (RFC 3507) a city's web proxy (Squid, or any proxy that speaks ICAP) sends
// downloads and uploads through. RESPMOD (icap://host/respmod): a file downloaded from the internet
// goes through the one intake pipeline (intake::Intake::take_file: the policy's ruling for the
// route internet → the zone of the proxy's client, CDR in the sandbox, the original kept in the
// quarantine with its audit record) and the browser gets the rebuilt document, the original when
// the engine found it clean and left it byte for byte as it was, or a Japanese block page (403)
// naming the reason, the quarantine id and whom to ask. Web pages (the configured page types whose
// first bytes are no document or program) are ruled on for the channel "web" and pass unchanged
// with 204 when the policy allows browsing. REQMOD (icap://host/reqmod): a body leaving the city
// is ruled on for its route (client zone → internet, channel "web") and scanned in the sandbox like
// outgoing mail; 個人番号 or a confidentiality mark above the internet's ceiling block it, and
// its original is kept. Whatever fails — a malformed request, the engine, the store — nothing
// raw passes: a protocol error is an ICAP 400, any other failure a block page.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/result.h"
#include "icap/content_coding.h"
#include "icap/protocol.h"
#include "intake/intake.h"
#include "mail/outbound.h"
#include "policy/decide.h"
#include "policy/network.h"
#include "sandbox/sandbox.h"

namespace sanso::audit {
class AuditLog;
}
namespace sanso::quarantine {
class QuarantineStore;
}
namespace sanso::store {
class SharedDatabase;
}

namespace sanso::icap {

struct Settings {
  config::IcapSettings icap;
  std::string node = "sanso";  // in audit records: the actor is "icap@node"
  std::string spool_dir;       // where bodies wait (private, unnamed files)
  std::string istag;           // the service tag (istag_of)
  std::string contact;         // named on the block page
  std::string unmarked_classification = "1";  // an upload without a 【機密性】 mark counts as this level
};

// The engines as the caller runs them in the sandbox.
struct Engines {
  intake::FileSanitizer sanitize;
  // Scans a body leaving the city like outgoing mail (transfer::scan_outgoing_file); a scan
  // that fails sets `error` and the body is blocked.
  std::function<mail::OutboundScan(std::string_view bytes, std::string_view name)> scan_outgoing;
  // Removes a download's content codings (gzip, br, …) in the sandbox, through an executor of
  // decoding_task: all of the body, or with `prefix` > 0 only its first bytes (decode_prefix);
  // unset, a compressed download is blocked and a compressed page taken for a file.
  std::function<Result<std::string>(std::string_view body, const std::vector<ContentCoding>& applied, std::size_t prefix)> decode;
};

// decode_request as sandboxed work: a download's content codings removed, at most `max_bytes`
// decoded ([icap] max_body_mb: a bomb is refused as a body over the limit).
sandbox::Task decoding_task(std::uint64_t max_bytes);

// The ISTag (RFC 3507 §4.7): changes whenever the policy or the engine that judged a response
// changes, so the proxy does not keep answers cached under an older policy. At most 32 characters.
std::string istag_of(std::string_view policy_sha256, std::string_view engine_version);

class Service {
 public:
  // `store`, `log` and `db` null: nothing is kept (tests of the protocol alone); all or none.
  Service(const policy::CompiledPolicy& policy, quarantine::QuarantineStore* store, audit::AuditLog* log, store::SharedDatabase* db, Settings settings,
          Engines engines);

  // Serves one connection's requests until the proxy closes it or a request is malformed (answered
  // with its ICAP error, then closed). `peer` is the connection's own address.
  void serve(ByteSource& in, const std::function<bool(std::string_view)>& out, const std::string& peer);

  const Settings& settings() const { return settings_; }

 private:
  struct Exchange;
  // Answers one request; `x` says afterwards whether the connection can carry another.
  Result<void> answer(Exchange& x);
  const policy::CompiledPolicy& policy_;
  quarantine::QuarantineStore* store_;
  audit::AuditLog* log_;
  store::SharedDatabase* db_;
  Settings settings_;
  Engines engines_;
  intake::Intake intake_;
};

// Accepts connections on `listen` ("host:port") until `stop` is set, each served on its own thread,
// at most [icap] max_connections at once (more are answered 503 and closed). `ready` is called
// with the bound address once listening (port 0 picks one).
// Connections from peers other than loopback, [icap] from and trusted_proxies are closed unserved
// (logged); listening beyond loopback without such a list is an error. A request still arriving
// [icap] request_seconds after its first byte is cut (logged).
Result<void> run_server(Service& service, const std::string& listen, const std::atomic<bool>& stop,
                        const std::function<void(const std::string&)>& ready = {});

// The peers [icap] from and trusted_proxies admit besides loopback; an error when `listen` is not
// a loopback address and the list is empty.
Result<std::vector<policy::Cidr>> allowed_peers(const config::IcapSettings& settings, std::string_view listen);
// Whether a connection from `peer` (an address as text) is served.
bool peer_allowed(const std::vector<policy::Cidr>& allowed, std::string_view peer);

// The Japanese block page a browser gets instead of a blocked download (or upload): the reason in
// Japanese and English, the quarantine id when the original was kept, and whom to contact.
// Everything from the request or the engine is HTML-escaped.
std::string block_page(std::string_view file_name, std::string_view reason_ja, std::string_view reason_en, std::string_view quarantine_id,
                       std::string_view contact, bool upload = false);

}  // namespace sanso::icap
