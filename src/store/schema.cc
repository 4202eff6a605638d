#include "store/schema.h"

#include <chrono>
#include <ctime>
#include <set>

namespace sanso::store {
namespace {

struct Migration {
  int version;
  const char* description;
  std::vector<const char*> scripts;  // portable SQL with {blob} and {serial_key} tokens
};

// Version 1: quarantine. Times are Unix seconds (UTC) in BIGINT so both backends agree exactly.
constexpr const char* kQuarantineItems = R"sql(
CREATE TABLE quarantine_items (
  id TEXT PRIMARY KEY,
  sha256 TEXT NOT NULL,
  size BIGINT NOT NULL,
  origin_kind TEXT NOT NULL,
  message_id TEXT NOT NULL DEFAULT '',
  envelope_from TEXT NOT NULL DEFAULT '',
  envelope_to TEXT NOT NULL DEFAULT '',
  subject TEXT NOT NULL DEFAULT '',
  file_name TEXT NOT NULL DEFAULT '',
  uploader TEXT NOT NULL DEFAULT '',
  verdict TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  report TEXT NOT NULL DEFAULT '[]',
  classification TEXT NOT NULL DEFAULT '',
  received_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  state TEXT NOT NULL,
  state_changed_at BIGINT NOT NULL,
  damage TEXT NOT NULL DEFAULT ''
);
CREATE INDEX quarantine_items_received ON quarantine_items(received_at);
CREATE INDEX quarantine_items_sha256 ON quarantine_items(sha256);
CREATE INDEX quarantine_items_expires ON quarantine_items(expires_at);
)sql";

constexpr const char* kQuarantineTables = R"sql(
CREATE TABLE quarantine_blobs (
  sha256 TEXT PRIMARY KEY,
  size BIGINT NOT NULL,
  sealed {blob} NOT NULL
);
CREATE TABLE quarantine_releases (
  id {serial_key},
  item_id TEXT NOT NULL REFERENCES quarantine_items(id) ON DELETE CASCADE,
  sha256 TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  reason TEXT NOT NULL,
  requested_at BIGINT NOT NULL,
  decision TEXT NOT NULL DEFAULT '',
  decided_by TEXT NOT NULL DEFAULT '',
  decided_role TEXT NOT NULL DEFAULT '',
  decision_note TEXT NOT NULL DEFAULT '',
  decided_at BIGINT NOT NULL DEFAULT 0,
  released_by TEXT NOT NULL DEFAULT '',
  released_to TEXT NOT NULL DEFAULT '',
  released_at BIGINT NOT NULL DEFAULT 0
);
)sql";

// Version 2: the audit log (src/audit, docs/audit-format.md). Level-0 nodes are the entries'
// leaf hashes; audit_nodes keeps every complete interior node, so proofs are O(log n) lookups.
constexpr const char* kAuditTables = R"sql(
CREATE TABLE audit_state (
  id INTEGER PRIMARY KEY,
  tree_size BIGINT NOT NULL,
  root {blob} NOT NULL
);
CREATE TABLE audit_entries (
  idx BIGINT PRIMARY KEY,
  time BIGINT NOT NULL,
  action TEXT NOT NULL,
  record TEXT NOT NULL,
  leaf_hash {blob} NOT NULL
);
CREATE INDEX audit_entries_time ON audit_entries(time);
CREATE TABLE audit_nodes (
  level INTEGER NOT NULL,
  idx BIGINT NOT NULL,
  hash {blob} NOT NULL,
  PRIMARY KEY (level, idx)
);
CREATE TABLE audit_checkpoints (
  tree_size BIGINT PRIMARY KEY,
  root {blob} NOT NULL,
  note TEXT NOT NULL,
  signed_at BIGINT NOT NULL
);
)sql";

// Version 3: the last seen hash of each file whose change must be audited (policy, sanso.toml).
constexpr const char* kTrackedFiles = R"sql(
CREATE TABLE audit_tracked_files (
  name TEXT PRIMARY KEY,
  path TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  seen_at BIGINT NOT NULL
);
)sql";

// Version 4: senders the mail gateway has delivered from, so a first-time sender can be handled
// more strictly.
constexpr const char* kMailSenders = R"sql(
CREATE TABLE mail_senders (
  address TEXT PRIMARY KEY,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  messages BIGINT NOT NULL
);
)sql";

// Version 5: the web console. Passwords are Argon2id hashes (libsodium's encoded form); a session
// is kept under the SHA-256 of its token, so the table alone cannot be used to sign in.
constexpr const char* kConsoleTables = R"sql(
CREATE TABLE console_accounts (
  name TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  changed_at BIGINT NOT NULL,
  failures INTEGER NOT NULL DEFAULT 0,
  locked_until BIGINT NOT NULL DEFAULT 0,
  last_login BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE console_sessions (
  token_sha256 TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  csrf TEXT NOT NULL,
  source TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_seen BIGINT NOT NULL
);
CREATE INDEX console_sessions_name ON console_sessions(name);
)sql";

// Version 6: the console's optional second factor (TOTP). The secret is kept base32, as an
// authenticator app was given it; the last step used refuses a code seen before.
constexpr const char* kConsoleSecondFactor = R"sql(
ALTER TABLE console_accounts ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE console_accounts ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
)sql";

// Version 7: who is delivering a release right now (machine, boot, node, process and its start
// time), and the relay's answer recorded the moment it came, so a release interrupted by a dead
// process is resolved at the next start (delivered, or back to approved) instead of staying
// "releasing"; the role a policy rule names as the approver of a held item; and which
// operating-system account asked for a release, so that its approval cannot come from the same
// account under another name.
constexpr const char* kReleaseClaims = R"sql(
ALTER TABLE quarantine_releases ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE quarantine_releases ADD COLUMN claimed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE quarantine_items ADD COLUMN approver_role TEXT NOT NULL DEFAULT '';
ALTER TABLE quarantine_releases ADD COLUMN requested_account TEXT NOT NULL DEFAULT '';
)sql";

// Version 8: the store's own identity. The same id is kept outside the store, in the data
// directory (store.id), so that a store deleted or replaced under a running installation is
// noticed instead of silently started afresh.
constexpr const char* kStoreIdentity = R"sql(
CREATE TABLE sanso_store_identity (
  slot INTEGER PRIMARY KEY CHECK (slot = 1),
  id TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
)sql";

// Version 9: what names a delivery however often it is retried (the mail gateway's digest of the
// envelope and the message), so that a retried hold keeps the message once and its sender is told
// once. Unique where set: two retries committing at once cannot both keep it.
constexpr const char* kRetryKeys = R"sql(
ALTER TABLE quarantine_items ADD COLUMN retry_key TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX quarantine_items_retry_key ON quarantine_items (retry_key) WHERE retry_key <> '';
)sql";

// Version 10: findings of the flow monitor (src/monitor, `sanso monitor listen`). A finding is
// written when it opens, so a collector that restarts adopts it instead of raising it again;
// several collectors on one PostgreSQL share the table. `state` is "open" until a person
// acknowledges it.
constexpr const char* kMonitorFindings = R"sql(
CREATE TABLE monitor_findings (
  id {serial_key},
  rule TEXT NOT NULL,
  clause TEXT NOT NULL,
  src TEXT NOT NULL,
  dst TEXT NOT NULL,
  dport BIGINT NOT NULL,
  proto TEXT NOT NULL,
  src_zone TEXT NOT NULL,
  dst_zone TEXT NOT NULL,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  count BIGINT NOT NULL,
  source TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '',
  node TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'open',
  acknowledged_by TEXT NOT NULL DEFAULT '',
  acknowledged_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX monitor_findings_key ON monitor_findings(rule, src, dst, dport, proto, last_seen);
)sql";

// Version 16: two collectors on one PostgreSQL opening the same finding at the same instant. Each
// distinct finding key (rule, addresses, port, protocol) has one row here, which a collector
// inserts or, when it is there, updates before it looks for an open finding: the unique key
// makes the second collector wait until the first has committed, and then it sees that finding
// and counts on it instead of storing a second one. And the reason a person gave when
// acknowledging a finding in the console.
constexpr const char* kMonitorFindingKeys = R"sql(
CREATE TABLE monitor_finding_keys (
  rule TEXT NOT NULL,
  src TEXT NOT NULL,
  dst TEXT NOT NULL,
  dport BIGINT NOT NULL,
  proto TEXT NOT NULL,
  PRIMARY KEY (rule, src, dst, dport, proto)
);
ALTER TABLE monitor_findings ADD COLUMN acknowledged_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX monitor_findings_state ON monitor_findings(state, id);
)sql";

// Version 11: inter-zone file transfers (src/transfer, `sanso transfer`). A transfer's id is
// unguessable; each file names the quarantine item that keeps its original, and what the
// recipient gets is kept sealed like the quarantine's blobs (its key, its format), bound to its
// SHA-256. A download link is kept only as the SHA-256 of its token, its password only as an
// Argon2id hash.
constexpr const char* kTransfers = R"sql(
CREATE TABLE transfers (
  id TEXT PRIMARY KEY,
  from_zone TEXT NOT NULL,
  to_zone TEXT NOT NULL,
  sender TEXT NOT NULL,
  sender_account TEXT NOT NULL DEFAULT '',
  recipient TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  action TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  clause TEXT NOT NULL,
  hold_reason TEXT NOT NULL DEFAULT '',
  approver_role TEXT NOT NULL DEFAULT '',
  decided_by TEXT NOT NULL DEFAULT '',
  decision_note TEXT NOT NULL DEFAULT '',
  decided_at BIGINT NOT NULL DEFAULT 0,
  link_sha256 TEXT NOT NULL DEFAULT '',
  link_password TEXT NOT NULL DEFAULT '',
  link_expires_at BIGINT NOT NULL DEFAULT 0,
  link_failures INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  state_changed_at BIGINT NOT NULL
);
CREATE INDEX transfers_sender ON transfers(sender);
CREATE INDEX transfers_recipient ON transfers(recipient);
CREATE INDEX transfers_expires ON transfers(expires_at);
CREATE INDEX transfers_link ON transfers(link_sha256);
CREATE TABLE transfer_files (
  transfer_id TEXT NOT NULL REFERENCES transfers(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  name TEXT NOT NULL,
  size BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  quarantine_id TEXT NOT NULL,
  verdict TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  findings TEXT NOT NULL DEFAULT '[]',
  output_name TEXT NOT NULL DEFAULT '',
  output_sha256 TEXT NOT NULL DEFAULT '',
  output_sealed {blob},
  PRIMARY KEY (transfer_id, seq)
);
)sql";

// Version 12: console sessions of people the directory signed in. Their roles and zone come from
// the directory's groups at sign-in, not from sanso.toml, so the session carries them.
constexpr const char* kDirectorySessions = R"sql(
ALTER TABLE console_sessions ADD COLUMN origin TEXT NOT NULL DEFAULT 'local';
ALTER TABLE console_sessions ADD COLUMN roles TEXT NOT NULL DEFAULT '';
ALTER TABLE console_sessions ADD COLUMN display TEXT NOT NULL DEFAULT '';
ALTER TABLE console_sessions ADD COLUMN zone TEXT NOT NULL DEFAULT '';
)sql";

// Version 13: self-inspection (src/inspect, `sanso inspect`). A campaign keeps the template's items
// as they were when it was created (JSON), so a later edit of the template changes no campaign.
// Evidence is kept whole with its SHA-256 and checked against it on every read. Corrective actions
// belong to a body, not a campaign, so that the next campaign of the body carries them. Tables of
// their own, named inspect_*: this version depends on no other version but 1–10's tables, and
// applies whether or not version 11 (transfers) is there yet.
// Version 15: who answered an inspection item by their operating-system account too, since a
// name on the command line is a claim: sign-off is refused from the account that answered.
constexpr const char* kInspectAnswerAccounts = R"sql(
ALTER TABLE inspect_answers ADD COLUMN answered_account TEXT NOT NULL DEFAULT ''
)sql";

constexpr const char* kInspectTables = R"sql(
CREATE TABLE inspect_campaigns (
  id TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  template_id TEXT NOT NULL,
  template_title TEXT NOT NULL,
  template_sha256 TEXT NOT NULL,
  items TEXT NOT NULL,
  period TEXT NOT NULL,
  period_label TEXT NOT NULL,
  period_start BIGINT NOT NULL,
  period_end BIGINT NOT NULL,
  assignee TEXT NOT NULL,
  reviewer TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  state TEXT NOT NULL DEFAULT 'open',
  signed_by TEXT NOT NULL DEFAULT '',
  signed_at BIGINT NOT NULL DEFAULT 0,
  signoff_note TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX inspect_campaigns_period ON inspect_campaigns(template_id, body, period_label);
CREATE TABLE inspect_answers (
  campaign TEXT NOT NULL,
  item TEXT NOT NULL,
  answer TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  answered_by TEXT NOT NULL,
  answered_at BIGINT NOT NULL,
  PRIMARY KEY (campaign, item)
);
CREATE TABLE inspect_results (
  campaign TEXT NOT NULL,
  item TEXT NOT NULL,
  check_id TEXT NOT NULL,
  passed INTEGER NOT NULL,
  summary TEXT NOT NULL,
  evidence TEXT NOT NULL DEFAULT '[]',
  audit_index BIGINT NOT NULL,
  evaluated_at BIGINT NOT NULL,
  PRIMARY KEY (campaign, item)
);
CREATE TABLE inspect_evidence (
  id {serial_key},
  campaign TEXT NOT NULL,
  item TEXT NOT NULL,
  file_name TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  size BIGINT NOT NULL,
  content {blob} NOT NULL,
  added_by TEXT NOT NULL,
  added_at BIGINT NOT NULL
);
CREATE INDEX inspect_evidence_campaign ON inspect_evidence(campaign, item);
CREATE TABLE inspect_actions (
  id {serial_key},
  body TEXT NOT NULL,
  campaign TEXT NOT NULL,
  item TEXT NOT NULL,
  clause TEXT NOT NULL,
  finding TEXT NOT NULL,
  description TEXT NOT NULL,
  owner TEXT NOT NULL,
  due TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  state TEXT NOT NULL DEFAULT 'open',
  closed_in TEXT NOT NULL DEFAULT '',
  closed_by TEXT NOT NULL DEFAULT '',
  closed_at BIGINT NOT NULL DEFAULT 0,
  closing_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX inspect_actions_body ON inspect_actions(body, state);
)sql";

// Version 14: the registers (src/register, `sanso register`). One table for every register: an
// entry's typed fields are a JSON object checked against the register's field types on every
// write (src/register/kinds.h), so a new field needs no migration. register_history keeps every
// version with who wrote it and the audit entry that records it.
constexpr const char* kRegisterTables = R"sql(
CREATE TABLE register_entries (
  kind TEXT NOT NULL,
  entry_key TEXT NOT NULL,
  fields TEXT NOT NULL,
  from_policy INTEGER NOT NULL DEFAULT 0,
  version BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  changed_by TEXT NOT NULL,
  changed_at BIGINT NOT NULL,
  PRIMARY KEY (kind, entry_key)
);
CREATE TABLE register_history (
  kind TEXT NOT NULL,
  entry_key TEXT NOT NULL,
  version BIGINT NOT NULL,
  change_kind TEXT NOT NULL,
  fields TEXT NOT NULL,
  changed_by TEXT NOT NULL,
  changed_at BIGINT NOT NULL,
  audit_index BIGINT NOT NULL,
  PRIMARY KEY (kind, entry_key, version)
);
)sql";

// Version 17: tokens of the JSON API (src/web/api_tokens.h, docs/api.md). Only the token's
// SHA-256 is kept; a name stays after revocation, so that the audit log's records of it always
// mean one token.
constexpr const char* kApiTokens = R"sql(
CREATE TABLE api_tokens (
  name TEXT PRIMARY KEY,
  token_sha256 TEXT NOT NULL UNIQUE,
  person TEXT NOT NULL,
  scopes TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_by TEXT NOT NULL DEFAULT '',
  revoked_at BIGINT NOT NULL DEFAULT 0,
  last_used_at BIGINT NOT NULL DEFAULT 0
);
)sql";

// Version 18: every version of the policy that took effect, its text kept once per SHA-256 with
// who first loaded it, when, and the audit entry that recorded it (clause 8's review;
// src/audit/versions.cc, `sanso policy versions`, `sanso policy diff @3 …`).
constexpr const char* kTrackedFileVersions = R"sql(
CREATE TABLE tracked_file_versions (
  name TEXT NOT NULL,
  number BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  path TEXT NOT NULL,
  content TEXT NOT NULL,
  size BIGINT NOT NULL,
  seen_by TEXT NOT NULL,
  seen_at BIGINT NOT NULL,
  audit_index BIGINT NOT NULL,
  PRIMARY KEY (name, number),
  UNIQUE (name, sha256)
);
)sql";

// Version 19: PPAP unlock of transfer files blocked as encrypted. Attempts are counted per file
// (the limit is [transfer] unlock_attempts); the password itself is never kept anywhere.
constexpr const char* kTransferUnlock = R"sql(
ALTER TABLE transfer_files ADD COLUMN unlock_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE transfer_files ADD COLUMN unlocked_at BIGINT NOT NULL DEFAULT 0;
)sql";

// Version 20: a campaign names a section (課/係) of its body, free text, empty for the whole body.
// Two sections of one body answer the same template for the same period side by side, and a
// corrective action follows its own section into the next campaign, not another section's.
constexpr const char* kInspectSections = R"sql(
ALTER TABLE inspect_campaigns ADD COLUMN section TEXT NOT NULL DEFAULT '';
DROP INDEX inspect_campaigns_period;
CREATE UNIQUE INDEX inspect_campaigns_period ON inspect_campaigns(template_id, body, section, period_label);
ALTER TABLE inspect_actions ADD COLUMN section TEXT NOT NULL DEFAULT '';
ALTER TABLE inspect_actions ADD COLUMN template_id TEXT NOT NULL DEFAULT '';
UPDATE inspect_actions SET template_id = COALESCE((SELECT template_id FROM inspect_campaigns WHERE inspect_campaigns.id = inspect_actions.campaign), '');
)sql";

// Version 21: PPAP from mail. An encrypted attachment of inbound mail becomes a transfer whose
// file keeps the attachment sealed (the quarantine keeps only the whole mail); its sender unlocks
// it through a one-time link, kept only as the SHA-256 of its token, until it expires or is spent.
constexpr const char* kMailPpap = R"sql(
ALTER TABLE transfers ADD COLUMN ppap_sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE transfers ADD COLUMN ppap_expires_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX transfers_ppap ON transfers(ppap_sha256);
ALTER TABLE transfer_files ADD COLUMN original_sealed {blob};
)sql";

// Version 22: every check of a contractor's required contract clause (6(8)), appended and never
// overwritten: when, with what result, by whom, a note and when that clause is next due. The
// automatic item contract-check reads the latest check per clause. And the reminders mailed
// (`sanso register remind`): what was sent to whom on which day, so that a second run the same
// day sends nothing new. And one assignee per checklist item of a campaign (who answers it).
constexpr const char* kContractChecks = R"sql(
CREATE TABLE contractor_checks (
  contractor TEXT NOT NULL,
  number BIGINT NOT NULL,
  clause TEXT NOT NULL,
  checked_on TEXT NOT NULL,
  result TEXT NOT NULL,
  checked_by TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  next_check TEXT NOT NULL DEFAULT '',
  recorded_by TEXT NOT NULL,
  recorded_at BIGINT NOT NULL,
  audit_index BIGINT NOT NULL,
  PRIMARY KEY (contractor, number)
);
CREATE TABLE register_reminders (
  day TEXT NOT NULL,
  recipient TEXT NOT NULL,
  item TEXT NOT NULL,
  sent_at BIGINT NOT NULL,
  audit_index BIGINT NOT NULL,
  PRIMARY KEY (day, recipient, item)
);
CREATE TABLE inspect_item_assignees (
  campaign TEXT NOT NULL,
  item TEXT NOT NULL,
  assignee TEXT NOT NULL,
  assigned_by TEXT NOT NULL,
  assigned_at BIGINT NOT NULL,
  PRIMARY KEY (campaign, item)
);
)sql";

// Version 23: PPAP from mail, a retried delivery. Postfix retries a message whose answer was lost;
// the retry must find the transfer (and link) the first attempt made, by a key of the delivery
// (the message without its trace headers, the envelope, the recipient), not make a second.
constexpr const char* kMailPpapDelivery = R"sql(
ALTER TABLE transfers ADD COLUMN ppap_delivery TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX transfers_ppap_delivery ON transfers(ppap_delivery) WHERE ppap_delivery <> '';
)sql";

// Version 24: a purged mail's PPAP attachments are found by its quarantine id
// (transfer::discard_with_purged_mail) inside the purge's transaction, once per purged item:
// without an index, every purged item read all of transfer_files while the store was locked.
constexpr const char* kTransferFilesByQuarantineId = R"sql(
CREATE INDEX transfer_files_quarantine ON transfer_files(quarantine_id);
)sql";

// The only two spellings the backends disagree on.
std::string for_backend(std::string sql, Backend backend) {
  const bool pg = backend == Backend::kPostgres;
  const std::pair<std::string_view, std::string_view> words[] = {
      {"{blob}", pg ? "BYTEA" : "BLOB"},
      {"{serial_key}", pg ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT"}};
  for (const auto& [token, word] : words) {
    for (auto at = sql.find(token); at != std::string::npos; at = sql.find(token, at + word.size())) {
      sql.replace(at, token.size(), word);
    }
  }
  return sql;
}

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kAll = {
      {1, "quarantine: items, encrypted blobs, release requests", {kQuarantineItems, kQuarantineTables}},
      {2, "audit log: entries, Merkle tree nodes, signed checkpoints", {kAuditTables}},
      {3, "audit log: policy and configuration files whose changes are recorded", {kTrackedFiles}},
      {4, "mail gateway: senders seen before", {kMailSenders}},
      {5, "web console: passwords and sessions", {kConsoleTables}},
      {6, "web console: one-time codes as a second factor", {kConsoleSecondFactor}},
      {7, "quarantine: release claims, the approver role a rule names, the account that asked for a release", {kReleaseClaims}},
      {8, "store: its identity, also kept in the data directory", {kStoreIdentity}},
      {9, "quarantine: the retry key of a delivery, kept once however often it is retried", {kRetryKeys}},
      {10, "flow monitor: findings, kept across collector restarts", {kMonitorFindings}},
      {11, "file transfers: transfers between zones, their files and sealed rebuilt outputs, one-time links", {kTransfers}},
      {12, "web console: sessions of people the directory signed in, with their roles and zone", {kDirectorySessions}},
      {13, "self-inspection: campaigns, answers, evidence, automatic results, corrective actions", {kInspectTables}},
      {14, "registers: assets, contractors, cloud services, social-media accounts, incidents, exceptions, risks, training", {kRegisterTables}},
      {15, "self-inspection: the operating-system account behind each answer", {kInspectAnswerAccounts}},
      {16, "flow monitor: one key per finding so that collectors sharing a store raise it once; the reason of an acknowledgment",
       {kMonitorFindingKeys}},
      {17, "JSON API: client tokens, kept as hashes", {kApiTokens}},
      {18, "policy review: the text of every policy version that took effect", {kTrackedFileVersions}},
      {19, "file transfers: PPAP unlock attempts per encrypted file", {kTransferUnlock}},
      {20, "self-inspection: the section (課/係) of a campaign and of its corrective actions", {kInspectSections}},
      {21, "file transfers: PPAP from mail, the sealed attachment and its sender's one-time unlock link", {kMailPpap}},
      {22, "registers: every check of a contractor's required contract clauses; the reminders mailed; self-inspection: an assignee per item",
       {kContractChecks}},
      {23, "file transfers: PPAP from mail, one transfer per delivery however often Postfix retries it", {kMailPpapDelivery}},
      {24, "file transfers: the files of a quarantine item found by an index, for its purge", {kTransferFilesByQuarantineId}},
  };
  return kAll;
}

std::string iso_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<void> ensure_version_table(Database& db) {
  return db.execute_script(
      "CREATE TABLE IF NOT EXISTS sanso_schema (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
      "applied_at TEXT NOT NULL)");
}

}  // namespace

Result<SchemaStatus> schema_status(Database& db) {
  SANSO_TRY(ensure_version_table(db));
  SchemaStatus status;
  auto rows = SANSO_TRY(db.query("SELECT version, description, applied_at FROM sanso_schema ORDER BY version"));
  std::set<int> applied;
  for (const auto& row : rows) {
    status.applied.push_back({static_cast<int>(row.integer(0)), row.text(1), row.text(2)});
    status.current = std::max(status.current, static_cast<int>(row.integer(0)));
    applied.insert(static_cast<int>(row.integer(0)));
  }
  // Pending is every version not applied, not only those above the highest: versions developed
  // side by side (11 and 12) may reach a store in either order, and migrate() applies each one
  // that is missing.
  for (const auto& m : migrations()) {
    status.latest = std::max(status.latest, m.version);
    if (!applied.contains(m.version)) status.pending.push_back({m.version, m.description, ""});
  }
  return status;
}

namespace {

constexpr std::int64_t kMigrationLock = 726354;

Result<std::vector<SchemaVersion>> migrate_locked(Database& db) {
  std::vector<SchemaVersion> applied;
  // Every pending version in one transaction: the store is at the old schema or the new one,
  // never between, and a new store is made with one durable commit, not one per version — the
  // version table too (in a store that has it, creating it again writes nothing).
  auto tx = SANSO_TRY(Transaction::begin(db));
  SANSO_TRY(ensure_version_table(db));
  for (const auto& m : migrations()) {
    auto done = SANSO_TRY(db.query_one("SELECT 1 FROM sanso_schema WHERE version = ?", {std::int64_t{m.version}}));
    if (done) continue;
    for (const char* script : m.scripts) SANSO_TRY(db.execute_script(for_backend(script, db.backend())));
    std::string when = iso_now();
    SANSO_TRY(db.execute("INSERT INTO sanso_schema (version, description, applied_at) VALUES (?, ?, ?)",
                         {std::int64_t{m.version}, std::string(m.description), when}));
    applied.push_back({m.version, m.description, when});
  }
  SANSO_TRY(tx.commit());
  return applied;
}

}  // namespace

Result<std::vector<SchemaVersion>> migrate(Database& db) {
  if (db.backend() == Backend::kSqlite) return migrate_locked(db);  // BEGIN IMMEDIATE serializes
  // PostgreSQL: one session lock around everything, even the version table's creation, which
  // is not safe to race on.
  SANSO_TRY(db.query("SELECT pg_advisory_lock(?)", {kMigrationLock}));
  auto result = migrate_locked(db);
  (void)db.query("SELECT pg_advisory_unlock(?)", {kMigrationLock});
  return result;
}

Result<void> require_current_schema(Database& db) {
  auto status = SANSO_TRY(schema_status(db));
  if (!status.pending.empty()) {
    return make_error("store.schema-old", db.describe(),
                      "the store's schema lacks version " + std::to_string(status.pending.front().version) +
                          " (at version " + std::to_string(status.current) + "), this Sanso needs " +
                          std::to_string(status.latest) + ": run `sanso store migrate --config FILE`");
  }
  if (status.current > status.latest) {
    return make_error("store.schema-new", db.describe(),
                      "the store's schema is at version " + std::to_string(status.current) +
                          ", newer than this Sanso understands (" + std::to_string(status.latest) +
                          "): upgrade Sanso on this node");
  }
  return ok();
}

}  // namespace sanso::store
