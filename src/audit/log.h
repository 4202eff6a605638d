// The audit log: every decision, verdict and quarantine action as a canonical JSON record (RFC
// 8785), a leaf of an RFC 9162 Merkle tree kept in the store, with C2SP signed checkpoints. An
// auditor verifies it offline with the verifier key alone (docs/audit-format.md).
//
// Appends happen inside the caller's transaction, so an action and its record commit together.
// The tree's state row is locked for the append, so several nodes on one PostgreSQL append in
// one total order; a rolled-back transaction leaves no trace in the tree.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "audit/merkle.h"
#include "audit/note.h"
#include "core/clock.h"
#include "store/audit_sink.h"
#include "store/database.h"
#include "store/shared_database.h"

namespace sanso::audit {

inline constexpr std::size_t kMaxRecordBytes = 64 * 1024;

struct LogOptions {
  std::string node;            // this node's name, in every record
  std::string policy_sha256;   // hex; the policy file in force
  // How the process writing was started, for a record that does not say how its actor proved who
  // they are (a command-line action: "os user root (uid 0); login uid 1000 (tanaka)"). Empty in
  // services, whose records name their own actor.
  std::string via;
  const Clock* clock = nullptr;
  // Checkpoints are signed during appends when due (every N entries or T seconds) if a key is set.
  std::optional<SigningKey> signing_key;
  std::int64_t checkpoint_every = 1000;
  std::int64_t checkpoint_seconds = 60;
};

struct SignedCheckpoint {
  Checkpoint checkpoint;
  std::string note;            // the signed note, as an auditor's tool reads it
  std::int64_t signed_at = 0;
};

struct InclusionProof {
  std::uint64_t index = 0;
  std::uint64_t tree_size = 0;
  Hash leaf_hash{};
  Hash root_hash{};
  std::vector<Hash> proof;
};

struct Entry {
  std::uint64_t index = 0;
  std::int64_t time = 0;
  std::string action;
  std::string record;  // canonical JSON
};

// What `sanso audit verify` found. `problem` is empty when the log is intact.
struct VerifyReport {
  std::uint64_t entries = 0;
  std::uint64_t checkpoints = 0;
  std::uint64_t tree_size = 0;
  Hash root{};
  std::string problem;  // "modified", "deleted", "reordered", "truncated", "rolled-back", "bad-signature", "bad-node", "forked"
  std::optional<std::uint64_t> first_bad_index;
  std::string detail;
  bool ok() const { return problem.empty(); }
};

// Builds the canonical record for an event at position `index`.
Result<std::string> make_record(const store::AuditEvent& event, std::uint64_t index, const std::string& node,
                                const std::string& policy_sha256);

class AuditLog final : public store::AuditSink {
 public:
  explicit AuditLog(LogOptions options);
  ~AuditLog() override;

  // Within the caller's open transaction on `db`.
  Result<void> append(store::Database& db, const store::AuditEvent& event) override;
  // Several events in the caller's transaction, locking the tree once; returns the first index.
  Result<std::uint64_t> append_batch(store::Database& db, std::span<const store::AuditEvent> events);
  // In a transaction of its own; returns the entry's index.
  Result<std::uint64_t> append_now(store::Database& db, const store::AuditEvent& event);
  // On a service's shared connection, in its group commit: from many threads, events (and the
  // quarantine's puts) queued at one moment share one transaction. Returns once the event is
  // durable, with the entry's index.
  Result<std::uint64_t> record(store::SharedDatabase& db, const store::AuditEvent& event);

  // Signs the current tree if it grew since the last checkpoint (after checking the two are
  // consistent); returns the latest checkpoint either way.
  Result<SignedCheckpoint> checkpoint(store::Database& db, const SigningKey& key);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Every hash of a tree of one size, in memory, for serving many proofs (an API, an export of
// proofs for every entry). 64 bytes per entry.
class TreeSnapshot {
 public:
  static Result<TreeSnapshot> load(store::Database& db, std::uint64_t tree_size);
  std::uint64_t size() const { return size_; }
  const Hash& root() const { return root_; }
  Result<InclusionProof> prove(std::uint64_t index) const;

 private:
  std::uint64_t size_ = 0;
  Hash root_{};
  std::vector<std::vector<Hash>> levels_;  // levels_[l][i]: node over leaves [i·2^l, (i+1)·2^l)
};

// A file whose every change is an audit event ("policy", "config").
struct TrackedFile {
  std::string name;
  std::string path;
  std::string sha256;  // hex, of its bytes now
};

// Records `<name>.change` (outcome "first-seen" or "changed", old and new hash) for each file
// whose hash differs from the one last seen by any node; returns how many changed.
Result<int> record_file_changes(store::Database& db, AuditLog& log, std::span<const TrackedFile> files, const std::string& actor);

// Reading the log (no transaction needed; never writes).
Result<std::optional<SignedCheckpoint>> latest_checkpoint(store::Database& db);
Result<std::optional<SignedCheckpoint>> checkpoint_at(store::Database& db, std::uint64_t size);
Result<std::uint64_t> tree_size(store::Database& db);
Result<InclusionProof> prove_inclusion(store::Database& db, std::uint64_t index, std::uint64_t tree_size);
Result<std::vector<Hash>> prove_consistency(store::Database& db, std::uint64_t old_size, std::uint64_t new_size);
Result<std::vector<Entry>> read_entries(store::Database& db, std::int64_t from_time, std::int64_t to_time);
Result<std::vector<Entry>> last_entries(store::Database& db, std::uint64_t count);

// What a person browsing the log asks for (the web console); answered newest first.
struct EntryQuery {
  std::uint64_t before = UINT64_MAX;  // only entries with a smaller index
  std::string action_prefix;          // "console." finds every sign-in and sign-out
  std::string actor;                  // exact; empty: anyone
  std::size_t limit = 100;
};
Result<std::vector<Entry>> find_entries(store::Database& db, const EntryQuery& query);

// Recomputes the whole tree from the records and checks every stored node, every checkpoint's
// signature and root, and (when given) a checkpoint the auditor saved earlier.
Result<VerifyReport> verify_log(store::Database& db, const VerifierKey& key, const std::optional<std::string>& saved_note);

}  // namespace sanso::audit
