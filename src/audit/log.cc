#include "audit/log.h"

#include "core/log.h"

#include <algorithm>
#include <chrono>
#include <mutex>

#include "audit/internal/tree.h"
#include "core/log.h"

namespace sanso::audit {
namespace {

using namespace internal;
using store::Database;

struct TreeState {
  std::uint64_t size = 0;
  Hash root{};
};

// Locks the tree for this transaction (SQLite's write lock is already held by BEGIN IMMEDIATE).
Result<TreeState> lock_tree(Database& db) {
  const char* select = db.backend() == store::Backend::kPostgres ? "SELECT tree_size, root FROM audit_state WHERE id = 1 FOR UPDATE"
                                                                 : "SELECT tree_size, root FROM audit_state WHERE id = 1";
  auto row = SANSO_TRY(db.query_one(select));
  if (!row) {
    // The first append ever; two nodes may race to create the row, hence ON CONFLICT.
    SANSO_TRY(db.execute("INSERT INTO audit_state (id, tree_size, root) VALUES (1, 0, ?) ON CONFLICT (id) DO NOTHING",
                         {bytes_of(empty_root())}));
    row = SANSO_TRY(db.query_one(select));
  }
  if (!row) return make_error("audit.damaged", "audit_state", "the tree state row is missing");
  return TreeState{static_cast<std::uint64_t>(row->integer(0)), SANSO_TRY(hash_of(*row, 1, "audit_state"))};
}

}  // namespace

struct AuditLog::State {
  LogOptions options;
  std::mutex mu;
  // The tree's frontier as of (size, root); trusted only when the stored state still says so.
  std::uint64_t size = UINT64_MAX;
  Hash root{};
  std::array<Hash, 64> frontier{};
  std::int64_t last_signed_at = -1;

  std::int64_t now() const {
    const Clock& c = options.clock != nullptr ? *options.clock : system_clock();
    return std::chrono::duration_cast<std::chrono::seconds>(c.now().time_since_epoch()).count();
  }

  Result<void> load_frontier(Database& db, const TreeState& t) {
    for (int level = 0; level < 64; ++level) {
      if (((t.size >> level) & 1) == 0) continue;
      frontier[static_cast<std::size_t>(level)] = SANSO_TRY(node(db, level, (t.size >> level) - 1));
    }
    if (fold_root(frontier, t.size) != t.root) {
      size = UINT64_MAX;
      return make_error("audit.damaged", "audit_state",
                        "the stored tree does not match its recorded root; run `sanso audit verify` before appending");
    }
    size = t.size;
    root = t.root;
    return ok();
  }

  Result<SignedCheckpoint> sign(Database& db, const SigningKey& key, const TreeState& t) {
    auto prev = SANSO_TRY(latest_checkpoint(db));
    if (prev) {
      const Checkpoint& p = prev->checkpoint;
      if (p.size > t.size) {
        return make_error("audit.rolled-back", "audit_checkpoints",
                          "the log (" + std::to_string(t.size) + " entries) is behind its own checkpoint (" + std::to_string(p.size) +
                              "); refusing to sign — run `sanso audit verify`");
      }
      if (p.size == t.size) {
        if (p.root != t.root) return make_error("audit.forked", "audit_checkpoints", "the tree differs from its checkpoint of the same size");
        return *prev;
      }
      // Never sign two checkpoints that contradict each other.
      auto proof = SANSO_TRY(prove_consistency(db, p.size, t.size));
      auto consistent = verify_consistency(p.size, t.size, proof, p.root, t.root);
      if (!consistent) {
        return make_error("audit.forked", "audit_checkpoints",
                          "the tree is not an extension of the last signed checkpoint; refusing to sign — run `sanso audit verify`");
      }
    }
    Checkpoint c{key.verifier.name, t.size, t.root, ""};
    SignedCheckpoint s{c, SANSO_TRY(sign_note(key, format_checkpoint(c))), now()};
    SANSO_TRY(db.execute("INSERT INTO audit_checkpoints (tree_size, root, note, signed_at) VALUES (?, ?, ?, ?)",
                         {static_cast<std::int64_t>(t.size), bytes_of(t.root), s.note, s.signed_at}));
    last_signed_at = s.signed_at;
    return s;
  }
};

AuditLog::AuditLog(LogOptions options) : state_(std::make_unique<State>()) { state_->options = std::move(options); }
AuditLog::~AuditLog() = default;

Result<void> AuditLog::append(Database& db, const store::AuditEvent& event) {
  SANSO_TRY(append_batch(db, std::span<const store::AuditEvent>(&event, 1)));
  return ok();
}

Result<std::uint64_t> AuditLog::append_batch(Database& db, std::span<const store::AuditEvent> events) {
  State& s = *state_;
  // The store's lock on the tree first, then the cache's mutex: a transaction of another
  // connection that appended and will append again holds the tree, and must find the mutex free.
  TreeState t = SANSO_TRY(lock_tree(db));
  std::lock_guard lock(s.mu);
  if (t.size != s.size || t.root != s.root) SANSO_TRY(s.load_frontier(db, t));
  std::array<Hash, 64> frontier = s.frontier;
  std::uint64_t size = t.size;
  const std::int64_t now = s.now();
  const bool signing = s.options.signing_key.has_value();
  if (signing && s.last_signed_at < 0) {
    auto prev = SANSO_TRY(latest_checkpoint(db));
    s.last_signed_at = prev ? prev->signed_at : 0;
  }
  for (const store::AuditEvent& event : events) {
    std::int64_t time = event.time == 0 ? now : event.time;
    store::AuditEvent completed;
    const store::AuditEvent* e = &event;
    bool add_via = !s.options.via.empty() &&
                   std::none_of(event.details.begin(), event.details.end(), [](const auto& d) { return d.first == "via"; });
    if (event.time == 0 || add_via) {
      completed = event;
      completed.time = time;
      if (add_via) completed.details.emplace_back("via", s.options.via);
      e = &completed;
    }
    std::string record = SANSO_TRY(make_record(*e, size, s.options.node, s.options.policy_sha256));
    Hash leaf = leaf_hash(record);
    SANSO_TRY(db.execute("INSERT INTO audit_entries (idx, time, action, record, leaf_hash) VALUES (?, ?, ?, ?, ?)",
                         {static_cast<std::int64_t>(size), time, e->action, record, bytes_of(leaf)}));
    Hash carry = leaf;
    int level = 0;
    while (((size >> level) & 1) != 0) {
      carry = node_hash(frontier[static_cast<std::size_t>(level)], carry);
      ++level;
      SANSO_TRY(db.execute("INSERT INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)",
                           {std::int64_t{level}, static_cast<std::int64_t>(size >> level), bytes_of(carry)}));
    }
    frontier[static_cast<std::size_t>(level)] = carry;
    if (log::audit_events()) {
      // Told to the logs (a SIEM) only once the entry is durable: never an entry the store rolled back.
      db.after_commit([index = size, action = e->action, outcome = e->outcome, actor = e->actor, subject = e->subject, rule = e->rule_id,
                       clause = e->clause] { log::audit({index, action, outcome, actor, subject, rule, clause}); });
    }
    ++size;
    bool due = signing && (static_cast<std::int64_t>(size) % s.options.checkpoint_every == 0 ||
                           (&event == &events.back() && now - s.last_signed_at >= s.options.checkpoint_seconds));
    if (due) SANSO_TRY(s.sign(db, *s.options.signing_key, TreeState{size, fold_root(frontier, size)}));
  }
  Hash root = fold_root(frontier, size);
  SANSO_TRY(db.execute("UPDATE audit_state SET tree_size = ?, root = ? WHERE id = 1",
                       {static_cast<std::int64_t>(size), bytes_of(root)}));
  s.frontier = frontier;
  s.size = size;
  s.root = root;
  return t.size;
}

Result<std::uint64_t> AuditLog::append_now(Database& db, const store::AuditEvent& event) {
  auto tx = SANSO_TRY(store::Transaction::begin(db));
  auto index = SANSO_TRY(append_batch(db, std::span<const store::AuditEvent>(&event, 1)));
  SANSO_TRY(tx.commit());
  return index;
}

Result<std::uint64_t> AuditLog::record(store::SharedDatabase& db, const store::AuditEvent& event) {
  std::uint64_t index = 0;
  SANSO_TRY(db.commit([&](Database& connection) -> Result<void> {
    index = SANSO_TRY(append_batch(connection, std::span<const store::AuditEvent>(&event, 1)));
    return ok();
  }));
  return index;
}

Result<SignedCheckpoint> AuditLog::checkpoint(Database& db, const SigningKey& key) {
  State& s = *state_;
  auto tx = SANSO_TRY(store::Transaction::begin(db));
  TreeState t = SANSO_TRY(lock_tree(db));
  std::lock_guard lock(s.mu);  // after the tree's lock, as in append_batch
  if (t.size == 0) return make_error("audit.empty", "", "the log is empty; nothing to sign yet");
  SignedCheckpoint c = SANSO_TRY(s.sign(db, key, t));
  SANSO_TRY(tx.commit());
  return c;
}

Result<int> record_file_changes(Database& db, AuditLog& log, std::span<const TrackedFile> files, const std::string& actor) {
  auto tx = SANSO_TRY(store::Transaction::begin(db));
  int changed = 0;
  for (const TrackedFile& f : files) {
    auto row = SANSO_TRY(db.query_one("SELECT sha256, path FROM audit_tracked_files WHERE name = ?", {f.name}));
    if (row && row->text(0) == f.sha256) continue;
    store::AuditEvent e;
    e.actor = actor;
    e.action = f.name + ".change";
    e.subject = f.path;
    e.outcome = row ? "changed" : "first-seen";
    e.input_sha256 = row ? row->text(0) : "";
    e.output_sha256 = f.sha256;
    if (row && row->text(1) != f.path) e.details = {{"previous_path", row->text(1)}};
    SANSO_TRY(log.append(db, e));
    std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(system_clock().now().time_since_epoch()).count();
    if (row) {
      SANSO_TRY(db.execute("UPDATE audit_tracked_files SET path = ?, sha256 = ?, seen_at = ? WHERE name = ?", {f.path, f.sha256, now, f.name}));
    } else {
      SANSO_TRY(db.execute("INSERT INTO audit_tracked_files (name, path, sha256, seen_at) VALUES (?, ?, ?, ?)", {f.name, f.path, f.sha256, now}));
    }
    ++changed;
  }
  SANSO_TRY(tx.commit());
  return changed;
}

}  // namespace sanso::audit
