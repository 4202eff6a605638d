// config: the service configuration (`sanso.toml`) — where data lives, which store, which keys,
// how long quarantined originals are kept, who operates the system, what listens where.
// It is separate from the policy: the policy says what is allowed, this file says how this
// installation runs. Relative paths are resolved when loading, so the rest of Sanso sees only
// absolute ones.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/log.h"
#include "core/result.h"
#include "directory/directory.h"
#include "mail/vocabulary.h"
#include "quarantine/verdict.h"

namespace sanso::config {

// A person who operates Sanso, and the policy roles they hold.
struct Operator {
  std::string name;     // login name, as given to --as
  std::string display;  // e.g. "田中 情報政策係長"
  std::vector<std::string> roles;
  // The zone of the policy they act from ("internet", "lgwan"): which side of a transfer they send
  // from and receive on (src/transfer). Empty: they take no part in transfers.
  std::string zone;
  // Where notices for them go (a transfer waiting for them or for their decision); empty: none.
  std::string mail;
};

// How long originals are kept, per verdict, in days. Keyed by the closed set, so that a key no
// engine ever writes ("rejected") is a configuration error rather than a rule that never applies.
struct Retention {
  std::map<quarantine::Verdict, int> days_by_verdict;
  int default_days = 180;
  int days_for(quarantine::Verdict verdict) const;
};

struct QuarantineSettings {
  Retention retention;
  std::vector<std::string> approver_roles;   // may approve or deny a release (four-eyes)
  std::vector<std::string> inspector_roles;  // may export an original for investigation
  std::string export_dir;                    // released files go here unless -o is given
  std::string smtp_relay;                    // host:port; released mail is re-injected here
  std::string smtp_helo = "localhost";
};

struct AuditSettings {
  std::string key_file;        // Ed25519 signing key (absolute)
  std::string origin;          // checkpoint origin line; default: "<municipality id>/sanso/audit"
  std::int64_t checkpoint_every = 1000;
  std::int64_t checkpoint_seconds = 60;
};

// How internet mail is made text-only (src/mail); every key optional.
struct MailSettings {
  std::string output_charset = "utf-8";  // or "iso-2022-jp"
  std::string prefer = "text";           // or "html"
  bool defang_links = true;
  std::string lang = "ja";
  std::vector<std::string> keep_headers;  // empty: the sanitizer's default allow-list
  std::int64_t max_message_mb = 50;
  std::int64_t max_depth = 32;
  std::int64_t max_parts = 1000;
  std::string contact;                    // who to ask for an original, named in the notice
  std::string notice_from;                // From of the gateway's notices to senders of held mail; default postmaster@ the LGWAN mail domain
  std::string notice_template;            // a Mustache file for the notice (absolute); empty: built in
  // A message whose MIME structure other software may read differently (GMime's critical parser
  // findings): "remove-attachments" (none passes, not even rebuilt), "hold" or "sanitize" (flagged only).
  mail::ParserCriticalAction on_parser_critical = mail::ParserCriticalAction::kRemoveAttachments;
  // Per file extension or content type: "remove", "sanitize" or "reject" (hold the message); the
  // default for the rest is [cdr] attachments.
  std::map<std::string, mail::AttachmentAction, std::less<>> attachment_actions;
  // The gateway (sanso milter): outgoing mail nobody marked with a classification is taken as
  // this level; 個人番号/法人番号 found in outgoing mail: "hold" (for approval) or "reject".
  std::string unmarked_classification = "1";
  mail::IdentifierAction identifier_action = mail::IdentifierAction::kHold;
  // Pictures in outgoing mail: "ocr" (read by Tesseract and checked) or "hold" (unchecked: held).
  mail::PictureReading pictures = mail::PictureReading::kOcr;
  bool strict_on_auth_failure = true;  // SPF/DKIM/DMARC failure: attachments removed, not rebuilt
  bool strict_for_first_time_senders = true;  // a sender the gateway never delivered from: the same
  // Where mail comes from is decided by the network (docs/postfix.md): the client's address against
  // the zones' cidrs, or the Postfix listener ({daemon_name}) mapped here to a zone id.
  std::map<std::string, std::string> listener_zones;
  // An internet client claiming a city mail domain: "reject" (refused) or "internet" (handled as internet mail).
  mail::OutsideCitySender outside_city_sender = mail::OutsideCitySender::kReject;
  // The authserv-id of Sanso's Authentication-Results header (RFC 8601); empty: the host name.
  std::string authserv_id;
  // The authserv-id of the MTA's own verifier (OpenDMARC/OpenDKIM/SPF), never Sanso's: only its
  // Authentication-Results at the top of the header vouch for a sender a PPAP link is mailed to.
  // Empty: no link is ever mailed (docs/postfix.md).
  std::string verifier_authserv_id;
  // Known correspondents, display name → address: the same name from another address is warned
  // about in the banner.
  std::map<std::string, std::string> correspondents;
};

// How files are disarmed and rebuilt (src/cdr); every key optional.
struct CdrSettings {
  bool keep_hyperlinks = true;
  bool remove_pdf_uri = false;
  bool csv_bom = false;
  std::map<std::string, std::string> extension_map;  // "dat" = "pdf": accepted despite the name
  std::int64_t max_depth = 8;
  std::int64_t max_members = 10000;
  std::int64_t max_expanded_mb = 1024;
  std::int64_t max_ratio = 200;
  std::int64_t max_pixels = 100'000'000;
  std::int64_t max_file_mb = 256;
  std::int64_t timeout_seconds = 60;
  mail::AttachmentAction attachments = mail::AttachmentAction::kSanitize;  // mail attachments: sanitize (CDR) or remove
  std::string clamd;                     // "unix:/run/clamav/clamd.ctl" or "tcp:host:port"; empty: no antivirus scan
  std::string mode = "rebuild";          // "rebuild" or "rasterize" (Office/PDF → PDF of page images)
  bool convert_legacy = true;            // doc/xls/ppt → OOXML through LibreOffice, then rebuilt (else blocked)
  std::int64_t max_pages = 200;          // rasterize
  std::int64_t dpi = 150;                // rasterize
  std::string libreoffice = "/usr/lib/libreoffice/program/soffice.bin";
  std::string pdftoppm = "/usr/bin/pdftoppm";
  std::string tiff2rgba = "/usr/bin/tiff2rgba";  // libtiff-tools: TIFF pages decoded apart from Sanso
  std::string chromium = "/usr/lib/chromium/chromium";  // prints the PDF inspection report (its binary, not the launcher script)
  std::int64_t converter_timeout_seconds = 180;
};

struct Listeners {
  std::string milter;
  std::string web;  // host:port of the web console (`sanso web`)
  // [listeners] web_zones: one console per zone (zone id → "host:port"), each serving only the
  // pages of its zone's side to addresses of that zone (docs/web.md); when given, `web` is not
  // started (`sanso web --listen` still starts one console for every page).
  std::map<std::string, std::string> web_zones;
};

// The web console (src/web): who may sign in, and how sign-ins and sessions are limited.
// The console's page groups a permission opens (src/web/permissions.h): the transfer pages of a
// person's own transfers (upload, inbox, download, links, own requests), the approvals inbox,
// the quarantine pages and the audit log.
inline constexpr std::string_view kConsolePermissions[] = {"transfer", "approvals", "quarantine", "audit", "findings", "registers", "inspection"};

struct WebSettings {
  std::string tls_cert;  // PEM (absolute); with tls_key, the console speaks HTTPS
  std::string tls_key;
  // Roles that may sign in; empty: the quarantine's approver and inspector roles. With
  // [web.permissions], the roles it names (giving both is an error: one list says who signs in).
  std::vector<std::string> roles;
  // [web.permissions]: a permission word of kConsolePermissions → the roles that hold it. A page
  // group nobody is given stays closed (default deny). Empty (not given): every group is open to
  // `roles`, as consoles ran before permissions existed. Directory groups hold what their roles do.
  std::map<std::string, std::vector<std::string>> permissions;
  // Roles that may administer console accounts (passwords, locks, second factors, sessions);
  // empty: the quarantine's inspector roles, the people already trusted with originals.
  std::vector<std::string> admin_roles;
  // The console's address as browsers see it behind a TLS reverse proxy ("https://host[:port]",
  // no path): forms must come from there, and cookies are Secure when it is https.
  std::string public_origin;
  // Where internet-side people reach the console ("https://host[:port]", no path), when not at
  // public_origin: the PPAP links mailed to senders and the outgoing transfers' download links
  // name it, and the internet side's forms may come from it. Empty: public_origin.
  std::string internet_origin;
  // Addresses of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed; the
  // headers are ignored from everyone else.
  std::vector<std::string> trusted_proxies;
  // Addresses and networks (a Prometheus server) that may read /metrics without an API token.
  std::vector<std::string> metrics_from;
  // The city's network-specific NAT64 prefixes (RFC 6052), canonical: a console client seen
  // through one is the IPv4 address it carries (the flood limiter counts it as that address).
  std::vector<std::string> nat64_prefixes;
  std::int64_t session_idle_minutes = 30;
  std::int64_t session_max_hours = 12;
  std::int64_t max_failures = 5;      // consecutive failed sign-ins before the account is locked
  std::int64_t lockout_minutes = 15;
  std::int64_t min_password_length = 12;
  bool require_second_factor = false;  // true: no sign-in without a one-time code (TOTP)
};

// Flow monitoring (src/monitor, `sanso monitor`); every key optional.
struct MonitorSettings {
  std::vector<std::string> indicator_files;  // IP/CIDR lists (absolute); reloaded when they change
  std::int64_t window_seconds = 3600;        // the same finding within this is counted, not repeated
  std::int64_t volume_bucket_seconds = 3600;
  std::int64_t volume_factor = 10;           // a host sending this many times its baseline ...
  std::int64_t volume_min_mb = 100;          // ... and at least this much in a bucket
  std::string csv_columns;                   // the generic CSV's column map, e.g. "src=source,dst=dest,dport=port"
  // `sanso monitor listen`: "host:port" each; empty: that collector is off.
  std::string syslog_udp;
  std::string syslog_tcp;
  std::string ipfix_udp;                     // NetFlow v5/v9 and IPFIX
  std::string syslog_format = "syslog";      // what the syslog collectors carry: syslog (iptables/nftables), fortigate, paloalto
  // Mail to the security manager about deny findings, through [quarantine] smtp_relay; empty: none.
  std::vector<std::string> notify_to;
  std::string notify_from;                   // default: [mail] notice_from, else "postmaster"
  std::int64_t notify_interval_seconds = 300;  // at most one mail per interval
  std::int64_t notify_max_listed = 20;       // findings listed in one mail; the rest counted per rule
};

// Inter-zone file transfers (src/transfer, `sanso transfer`); every key optional.
struct TransferSettings {
  std::int64_t max_file_mb = 100;     // one file
  std::int64_t max_files = 20;        // files in one transfer
  std::int64_t max_total_mb = 500;    // all files of one transfer
  std::int64_t retention_days = 7;    // a transfer, its rebuilt files and its link expire after this
  std::int64_t link_hours = 72;       // an outgoing download link lives this long (within the retention)
  std::int64_t max_password_failures = 5;  // wrong link passwords before the link is revoked
  std::int64_t unlock_attempts = 5;  // PPAP: password attempts on one encrypted file before it stays locked
  // What one person's transfers not yet expired may hold in all (the originals they sent): a
  // sender cannot fill the store by sending the per-transfer maximum again and again.
  std::int64_t user_quota_mb = 2048;
  // Notices through [quarantine] smtp_relay to the people a transfer concerns (its recipient when
  // files wait for them, approvers when it waits for a decision, its sender when it is decided),
  // at the address [[users]] mail or the directory gives. Off when there is no relay.
  bool notify = true;
  std::string notify_from;  // default: [mail] notice_from, else "postmaster"
};

// The registers (src/register, `sanso register`); every key optional.
struct RegisterSettings {
  std::int64_t max_import_rows = 10000;  // rows of one CSV/XLSX import, the header not counted
  std::int64_t max_import_mb = 20;       // the import file itself, and each XML part an XLSX expands to
};

// The ICAP service for the web proxy (src/icap, `sanso icap`); every key optional.
struct IcapSettings {
  std::string listen = "127.0.0.1:1344";  // host:port the proxy connects to
  // Proxies whose X-Client-IP is believed (canonical addresses); from anyone else the connection's
  // own address is the client.
  std::vector<std::string> trusted_proxies;
  std::int64_t max_header_kb = 64;    // an ICAP head, or the HTTP headers it carries
  std::int64_t max_body_mb = 100;     // a body above this is blocked (the block page), never passed
  // Offered in OPTIONS when above 0. On by default: with a preview, pages are decided on their
  // first bytes and pass before Squid 5.7 has to hold them (docs/icap.md, "Known bug").
  std::int64_t preview_bytes = 4096;
  std::int64_t max_connections = 64;
  std::int64_t options_ttl_seconds = 300;
  std::int64_t idle_seconds = 60;     // a persistent connection idle this long is closed
  // A request still arriving this long after its first byte is cut: a client that sends a byte
  // now and then (slow loris) never trips idle_seconds, yet holds a thread of max_connections.
  std::int64_t request_seconds = 300;
  // Addresses and networks that may connect besides loopback (the proxies). Required when listen
  // is not a loopback address; trusted_proxies may connect as well.
  std::vector<std::string> from;
  // HTTP content types shown as web pages (channel "web"), not downloaded as files (channel "file"),
  // when their first bytes are no document or program.
  std::vector<std::string> page_types = {"text/html", "text/css", "text/javascript", "application/javascript"};
  std::string contact;  // named on the block page; empty: [mail] contact
};

// /metrics of the services without a web server of their own (src/metrics/exporter.h); the web
// console serves its own under [web] metrics_from. Each "host:port"; empty: that service has none.
struct MetricsSettings {
  std::string milter;   // e.g. "127.0.0.1:9851"
  std::string icap;     // e.g. "127.0.0.1:9852"
  std::string monitor;  // `sanso monitor listen`, e.g. "127.0.0.1:9853"
  // Addresses and networks (a Prometheus server) that may scrape besides loopback.
  std::vector<std::string> from;
};

// The whole of sanso.toml, with every path absolute.
struct ServiceConfig {
  std::string source;      // the file it came from
  std::string node;        // this node's name in audit records
  std::string policy_file;
  std::string data_dir;
  std::string store = "sqlite";
  std::string key_file;    // quarantine encryption key
  bool auto_migrate = true;
  QuarantineSettings quarantine;
  AuditSettings audit;
  MailSettings mail;
  CdrSettings cdr;
  Listeners listeners;
  WebSettings web;
  // The city's directory for signing in (src/directory), parsed once here; without a uri, local
  // accounts only.
  directory::Settings directory;
  MonitorSettings monitor;
  TransferSettings transfer;
  RegisterSettings registers;
  IcapSettings icap;
  MetricsSettings metrics;
  // [log]: stderr's level, a syslog server (RFC 5424) and the journal; hostname is the node.
  log::Settings log;
  std::vector<Operator> operators;
  // Settings that are allowed but do nothing as written ("file:line:col: what, and what to do"):
  // load_config prints each as a warning; parse_config only collects them.
  std::vector<std::string> warnings;
  // The same for what only the mail gateway acts on, printed by `sanso milter` at start (a default
  // that cannot work, which other commands need not repeat).
  std::vector<std::string> gateway_warnings;

  const Operator* find_operator(std::string_view name) const;
};

// An IP address in its canonical text form ("::ffff:192.0.2.1" and "192.0.2.1" alike give
// "192.0.2.1"); nullopt when `text` is not an address. For [web] trusted_proxies and the addresses
// the console compares with them.
std::optional<std::string> canonical_ip(std::string_view text);

// True for "scheme://host[:port]" with scheme http or https, as a browser sends it in Origin.
bool is_web_origin(std::string_view origin);

// An origin as browsers compare it: scheme and host in lower case, the scheme's default port
// (https :443, http :80) and a trailing slash dropped. "HTTPS://Files.Example:443/" and
// "https://files.example" are one origin; another port or host stays another. [web]
// public_origin and internet_origin are kept in this form; the console compares the browser's
// Origin in it too.
std::string normal_origin(std::string_view origin);

// Parses sanso.toml text; `path` names it in errors and anchors relative paths.
Result<ServiceConfig> parse_config(std::string_view text, std::string_view path);
Result<ServiceConfig> load_config(const std::string& path);

}  // namespace sanso::config

namespace sanso::policy {
struct Policy;
}

namespace sanso::config {

// Every role the configuration names (approvers, inspectors, users' roles) must be a role of the
// policy: a typo would otherwise lock everybody out of releases, or nobody.
Result<void> check_config_against_policy(const ServiceConfig& config, const policy::Policy& policy);

}  // namespace sanso::config
