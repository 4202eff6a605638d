// quarantine: where every original that Sanso removed, blocked or rewrote is kept — encrypted,
// content-addressed, for a retention period — and the only way back out: a release requested by
// one person and approved by another who holds a role the configuration names (four-eyes).
//
// An item is acknowledged (put() returns) only after its blob and its record are durable; the
// milter accepts a mail only then. Every action is an audit event committed in the same
// transaction as the action itself.
#pragma once

#include <cstdint>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/result.h"
#include "quarantine/verdict.h"
#include "store/audit_sink.h"
#include "store/database.h"
#include "store/shared_database.h"

namespace sanso::quarantine {

// Where an original came from.
struct Origin {
  enum class Kind : std::uint8_t { kMail, kFile };  // stored as "mail", "file"
  Kind kind = Kind::kFile;
  // mail
  std::string message_id;
  std::string envelope_from;
  std::vector<std::string> envelope_to;
  std::string subject;
  // file
  std::string file_name;
  std::string uploader;
};

// What a caller hands to put().
struct Item;

struct Submission {
  std::string id;              // from reserve_id() when the caller must cite it first; else made by put()
  std::string original;        // the exact bytes, kept byte for byte
  Origin origin;
  Verdict verdict = Verdict::kHeld;  // what the engine said; retention follows it
  std::string reason;          // one line for a person
  std::string report_json = "[]";  // machine-readable findings
  std::string classification;  // e.g. "機密性2", when known
  std::string approver_role;   // the role the policy rule names to decide its release; empty: any approver role
  std::string submitted_by;    // the person who quarantined it by hand; empty: this node's service
  // What names this delivery however often it is retried (the mail gateway's digest of envelope
  // and message): a second put with a key already kept fails, so a retry is kept once. Empty: none.
  std::string retry_key;
  // More writes that must commit with the item, atomically, inside its transaction (the mail
  // gateway's own audit record and sender history): one durable commit for all of them, shared
  // with whatever other puts are grouped with it. A failure fails the put.
  std::function<Result<void>(store::Database&, const Item&)> with_item;
};

enum class ItemState : std::uint8_t {
  kHeld,              // kept; nobody asked for it
  kReleaseRequested,  // someone asked, nobody decided yet
  kApproved,          // approved, not yet released
  kReleasing,         // one node is delivering it right now
  kReleased,
  kDenied,
  kDamaged,           // the blob failed authentication on read
};
std::string_view to_string(Origin::Kind kind);  // "mail", "file"
Result<Origin::Kind> parse_origin_kind(std::string_view text, std::string_view where);
std::string_view to_string(ItemState state);
// The stored name to enum; any other word is an error (code "quarantine.value") naming it,
// `where` and the names allowed.
Result<ItemState> parse_state(std::string_view name, std::string_view where);
std::string state_names();  // "held, release_requested, …", for messages
// The state in words, for people: "ja" (保留中, …) or "en" (Held, …). The CLI and the console
// say the same.
std::string_view state_label(ItemState state, std::string_view lang);
// Every state, in the order above.
std::span<const ItemState> all_states();

// An approver's answer to a release request (four-eyes): none yet, approved or denied. Stored as
// "", "approved", "denied" in quarantine_releases.decision.
enum class ReleaseDecision : std::uint8_t { kNone, kApproved, kDenied };
std::string_view to_string(ReleaseDecision decision);
// In words: "承認" / "却下" (ja), "Approved" / "Denied" (en); "" for none.
std::string_view decision_label(ReleaseDecision decision, std::string_view lang);
// Text to enum; any other word is an error (code "quarantine.value") that names it and `where`.
Result<ReleaseDecision> parse_decision(std::string_view text, std::string_view where);

struct Item {
  std::string id;
  std::string sha256;  // hex, of the original
  std::int64_t size = 0;
  Origin origin;
  Verdict verdict = Verdict::kHeld;
  std::string reason;
  std::string report_json;
  std::string classification;
  std::string approver_role;     // empty: any of [quarantine] approver_roles decides
  std::int64_t received_at = 0;  // Unix seconds
  std::int64_t expires_at = 0;
  ItemState state = ItemState::kHeld;
  std::int64_t state_changed_at = 0;
  std::string damage;
};

// What a list of items shows for one: the mail's subject (its Message-ID when it has none), or
// the file's name.
std::string label_of(const Item& item);

struct ReleaseRequest {
  std::int64_t id = 0;
  std::string item_id;
  std::string sha256;
  std::string requested_by;
  std::string requested_account;  // the requester's operating-system account ("uid 1000"); "" from the console
  std::string reason;
  std::int64_t requested_at = 0;
  ReleaseDecision decision = ReleaseDecision::kNone;
  std::string decided_by;
  std::string decided_role;
  std::string decision_note;
  std::int64_t decided_at = 0;
  std::string released_by;
  std::string released_to;
  std::int64_t released_at = 0;
};

// The person acting, as the configuration knows them.
struct Actor {
  std::string name;
  std::vector<std::string> roles;
  // How they proved who they are, recorded with each of their actions: "console session
  // 1a2b3c4d5e6f7a8b from 192.0.2.10", "os user root (uid 0); sudo by uid 1003 (kato), pid 4242".
  std::string via;
  // The operating-system account behind a command-line action, as the kernel knows it ("uid
  // 1000"); "" for the console, where the session is the proof. A release is not approved from
  // the account that requested it, whatever names were given.
  std::string account = {};
  bool has_any_role(const std::vector<std::string>& wanted) const;
};

struct ListFilter {
  std::optional<ItemState> state;
  std::int64_t limit = 100;
};

// Delivers an approved original (SMTP re-injection, a file export); returns where it went.
using Deliver = std::function<Result<std::string>(const Item& item, const std::string& original)>;

// The quarantine on the service's connection. Thread-safe: concurrent put() calls share one
// commit (the connection's group commit, with the other writes of the service), so throughput
// grows with concurrency while every put() stays durable.
class QuarantineStore {
 public:
  struct Options {
    config::QuarantineSettings settings;
    std::string blob_dir;   // SQLite: sealed blobs larger than inline_blob_bytes as files here
    // SQLite: originals up to this size (sealed) are kept in the database, committed with their
    // record — no file to create and sync per mail. PostgreSQL keeps every blob in the database.
    std::size_t inline_blob_bytes = std::size_t{1} << 20;
    std::string key_file;   // created with mode 0600 on first use
    std::string node = "sanso";
    const Clock* clock = nullptr;         // default: the system clock
    store::AuditSink* audit = nullptr;    // default: no audit (tests only)
    // The mail addresses each person sends from (their [[users]] `mail`), by name: whoever sent a
    // held mail does not approve its release — a manager with the approver role whose own mail
    // was held for a 個人番号 would otherwise have a colleague request it and approve it themselves.
    std::map<std::string, std::vector<std::string>> addresses_by_person = {};
  };

  // On the service's connection, which must outlive the store.
  static Result<std::unique_ptr<QuarantineStore>> open(store::SharedDatabase& db, Options options);
  ~QuarantineStore();

  // Stores an original durably. Returns the new item (its id is what notices and reasons cite).
  Result<Item> put(Submission submission);
  // An id for a put() still to come, for a caller that must write it into what it answers with
  // (the gateway's rebuilt mail names the id of its original) before the original is stored.
  std::string reserve_id() const;

  Result<Item> get(const std::string& id);
  // The item kept for a delivery with this retry key (Submission::retry_key), if there is one.
  Result<std::optional<Item>> find_retry(const std::string& retry_key);
  Result<std::vector<Item>> list(const ListFilter& filter);
  // Oldest first: the last one is the current request.
  Result<std::vector<ReleaseRequest>> releases(const std::string& id);
  // How many items are in each state (states with none are absent).
  Result<std::map<ItemState, std::int64_t>> count_by_state();

  // What `actor` may do with the item now, by the rules the actions themselves enforce (its state,
  // the approver role its rule names or the configured ones, four-eyes, inspector roles): what a
  // console offers, so that it never recomputes them. The actions still check for themselves.
  struct AllowedActions {
    bool request_release = false;
    bool decide = false;  // approve or deny
    bool release = false;
    bool export_original = false;
  };
  Result<AllowedActions> allowed_actions(const std::string& id, const Actor& actor);

  // The original bytes, authenticated and checked against the item's hash; needs an inspector role.
  // A blob that fails authentication marks the item damaged and returns "quarantine.damaged".
  Result<std::string> export_original(const std::string& id, const Actor& actor);
  // The original bytes for a service that examines again what it kept itself (a PPAP unlock of a
  // transfer file, in the sandbox): no role is checked here — the caller has decided who may, and
  // records it — and nothing leaves Sanso through this. Authenticated like export_original.
  Result<std::string> read_for_service(const std::string& id);

  Result<ReleaseRequest> request_release(const std::string& id, const Actor& actor, const std::string& reason);
  Result<ReleaseRequest> approve(const std::string& id, const Actor& actor, const std::string& note);
  Result<ReleaseRequest> deny(const std::string& id, const Actor& actor, const std::string& note);
  // Claims the approved item (exactly one caller across every node wins, and the claim names this
  // node and process), delivers it, records the relay's answer at once, then where it went. A
  // failed delivery returns the item to "approved".
  Result<ReleaseRequest> release(const std::string& id, const Actor& actor, const Deliver& deliver);
  // Resolves releases whose process died mid-way (kill -9, power loss): an item still "releasing"
  // whose claimant is gone — a process of this machine that no longer runs or ran before its last
  // boot, or a claim made on another machine longer than `other_hosts_after` ago — becomes
  // "released" when the relay's answer was recorded before the death, else "approved" again
  // (whether the relay got it is then unknown: the record says to look for its X-Sanso-Released
  // id before releasing it again). Each is audited; an item that cannot be resolved now is logged
  // and left for the next start. Returns how many were resolved. Services and the CLI call it
  // when they open the quarantine.
  Result<int> recover_interrupted_releases(std::chrono::seconds other_hosts_after = std::chrono::minutes(30));

  // Deletes items past their expiry (not one being released) and blobs no item refers to.
  // Every purge hook runs for each item in the same transaction; one that fails undoes the purge.
  Result<std::int64_t> purge(const Actor& actor);

  // What else must go with a purged item, in purge()'s transaction (on `db`, the store's
  // connection, its audit records in the same commit). A hook, not a call into what holds the
  // copies, so that the quarantine depends on nobody: the transfers register theirs (PPAP
  // attachments kept sealed from a mail, transfer::discard_with_purged_mail). Register before
  // purging from other threads; hooks live as long as the store.
  using PurgeHook = std::function<Result<void>(store::Database& db, const Item& item, const Actor& actor)>;
  void on_purge(PurgeHook hook);

 private:
  struct Impl;
  explicit QuarantineStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sanso::quarantine
