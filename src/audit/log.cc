#include "audit/log.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <chrono>
#include <ctime>
#include <condition_variable>
#include <mutex>

#include <nlohmann/json.hpp>

#include "audit/canonical_json.h"

namespace sanso::audit {
namespace {

using store::Database;

store::Bytes bytes_of(const Hash& h) { return store::Bytes{std::string(reinterpret_cast<const char*>(h.data()), h.size())}; }

Result<Hash> hash_of(const store::Row& row, std::size_t col, std::string_view what) {
  const std::string& b = row.bytes(col);
  if (b.size() != 32) return make_error("audit.damaged", std::string(what), "a stored hash is not 32 bytes");
  Hash h;
  std::copy(b.begin(), b.end(), h.begin());
  return h;
}

const Hash& empty_root() {
  static const Hash kEmpty = root_of(std::span<const Hash>{});
  return kEmpty;
}

std::uint64_t largest_power_below(std::uint64_t n) { return std::bit_floor(n - 1); }  // n ≥ 2

// MTH of a frontier: the complete subtrees of a tree of `size` leaves, smallest first.
Hash fold_root(const std::array<Hash, 64>& frontier, std::uint64_t size) {
  if (size == 0) return empty_root();
  bool have = false;
  Hash root{};
  for (int level = 0; level < 64; ++level) {
    if (((size >> level) & 1) == 0) continue;
    root = have ? node_hash(frontier[static_cast<std::size_t>(level)], root) : frontier[static_cast<std::size_t>(level)];
    have = true;
  }
  return root;
}

// One stored node: level 0 is a leaf hash, higher levels are interior nodes.
Result<Hash> node(Database& db, int level, std::uint64_t index) {
  std::optional<store::Row> row;
  if (level == 0) {
    row = SANSO_TRY(db.query_one("SELECT leaf_hash FROM audit_entries WHERE idx = ?", {static_cast<std::int64_t>(index)}));
  } else {
    row = SANSO_TRY(db.query_one("SELECT hash FROM audit_nodes WHERE level = ? AND idx = ?",
                                 {std::int64_t{level}, static_cast<std::int64_t>(index)}));
  }
  if (!row) {
    return make_error("audit.damaged", "node " + std::to_string(level) + "/" + std::to_string(index),
                      "the log is missing a tree node; run `sanso audit verify`");
  }
  return hash_of(*row, 0, "node");
}

// Where proofs get stored nodes from: the database, or a TreeSnapshot in memory.
using NodeSource = std::function<Result<Hash>(int level, std::uint64_t index)>;

// MTH(D[begin:end]); `begin` is always aligned to the largest power of two below the range.
Result<Hash> subtree_hash(const NodeSource& db, std::uint64_t begin, std::uint64_t end) {
  std::uint64_t n = end - begin;
  if (std::has_single_bit(n) && begin % n == 0) return db(std::countr_zero(n), begin / n);
  std::uint64_t k = largest_power_below(n);
  Hash left = SANSO_TRY(subtree_hash(db, begin, begin + k));
  Hash right = SANSO_TRY(subtree_hash(db, begin + k, end));
  return node_hash(left, right);
}

// RFC 9162 §2.1.3.1 PATH(m, D[begin:end]).
Result<void> inclusion_path(const NodeSource& db, std::uint64_t m, std::uint64_t begin, std::uint64_t end, std::vector<Hash>& out) {
  std::uint64_t n = end - begin;
  if (n <= 1) return ok();
  std::uint64_t k = largest_power_below(n);
  if (m < k) {
    SANSO_TRY(inclusion_path(db, m, begin, begin + k, out));
    out.push_back(SANSO_TRY(subtree_hash(db, begin + k, end)));
  } else {
    SANSO_TRY(inclusion_path(db, m - k, begin + k, end, out));
    out.push_back(SANSO_TRY(subtree_hash(db, begin, begin + k)));
  }
  return ok();
}

// RFC 9162 §2.1.4.1 SUBPROOF(m, D[begin:end], b).
Result<void> consistency_path(const NodeSource& db, std::uint64_t m, std::uint64_t begin, std::uint64_t end, bool whole,
                              std::vector<Hash>& out) {
  std::uint64_t n = end - begin;
  if (m == n) {
    if (!whole) out.push_back(SANSO_TRY(subtree_hash(db, begin, end)));
    return ok();
  }
  std::uint64_t k = largest_power_below(n);
  if (m <= k) {
    SANSO_TRY(consistency_path(db, m, begin, begin + k, whole, out));
    out.push_back(SANSO_TRY(subtree_hash(db, begin + k, end)));
  } else {
    SANSO_TRY(consistency_path(db, m - k, begin + k, end, false, out));
    out.push_back(SANSO_TRY(subtree_hash(db, begin, begin + k)));
  }
  return ok();
}

Result<SignedCheckpoint> checkpoint_from(const store::Row& row) {
  SignedCheckpoint c;
  c.checkpoint.size = static_cast<std::uint64_t>(row.integer(0));
  c.checkpoint.root = SANSO_TRY(hash_of(row, 1, "checkpoint"));
  c.note = row.text(2);
  c.signed_at = row.integer(3);
  auto body = c.note.find("\n\n");
  if (body != std::string::npos) {
    auto parsed = parse_checkpoint(std::string_view(c.note).substr(0, body + 1));
    if (parsed) {
      c.checkpoint.origin = parsed->origin;
      c.checkpoint.extensions = parsed->extensions;
    }
  }
  return c;
}

// The top-level "seq" of a canonical record without parsing all of it (verification reads a
// million of them). In canonical JSON an unescaped `,"seq":` cannot occur inside a string, and
// the only object-valued key, "details", sorts before "seq", so the last occurrence is the
// top-level one. Anything unexpected falls back to a full parse.
std::optional<std::uint64_t> record_seq(const std::string& record) {
  auto at = record.rfind(",\"seq\":");
  if (at != std::string::npos) {
    const char* begin = record.data() + at + 7;
    const char* end = record.data() + record.size();
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(begin, end, v);
    if (ec == std::errc() && p != begin && p < end && (*p == ',' || *p == '}')) return v;
  }
  auto parsed = nlohmann::json::parse(record, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object() || !parsed.contains("seq") || !parsed["seq"].is_number_unsigned()) {
    return std::nullopt;
  }
  return parsed["seq"].get<std::uint64_t>();
}

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

Result<std::string> make_record(const store::AuditEvent& e, std::uint64_t index, const std::string& node,
                                const std::string& policy_sha256) {
  nlohmann::json r = {{"v", 1}, {"seq", index}, {"time", iso_utc(e.time)}, {"node", node}, {"actor", e.actor}, {"action", e.action}};
  auto put = [&](const char* key, const std::string& value) {
    if (!value.empty()) r[key] = value;
  };
  put("subject", e.subject);
  put("outcome", e.outcome);
  put("rule", e.rule_id);
  put("clause", e.clause);
  put("input_sha256", e.input_sha256);
  put("output_sha256", e.output_sha256);
  put("policy_sha256", policy_sha256);
  if (!e.details.empty()) {
    nlohmann::json d = nlohmann::json::object();
    for (const auto& [k, v] : e.details) d[k] = v;
    r["details"] = std::move(d);
  }
  std::string out = SANSO_TRY(canonical_json(r));
  if (out.size() > kMaxRecordBytes) {
    // Long free text (a reason, a note) is cut rather than losing the record; the cut is marked.
    for (auto& [k, v] : r["details"].items()) {
      std::string s = v.get<std::string>();
      if (s.size() <= 1024) continue;
      std::size_t cut = 1024;
      while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
      v = s.substr(0, cut) + "…";
      r["truncated"] = true;
    }
    out = SANSO_TRY(canonical_json(r));
    if (out.size() > kMaxRecordBytes) {
      return make_error("audit.record-too-large", e.action, "an audit record may not exceed 64 KiB");
    }
  }
  return out;
}

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

Result<std::optional<SignedCheckpoint>> latest_checkpoint(Database& db) {
  auto row = SANSO_TRY(db.query_one("SELECT tree_size, root, note, signed_at FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1"));
  if (!row) return std::optional<SignedCheckpoint>{};
  return std::optional<SignedCheckpoint>{SANSO_TRY(checkpoint_from(*row))};
}

Result<std::optional<SignedCheckpoint>> checkpoint_at(Database& db, std::uint64_t size) {
  auto row = SANSO_TRY(db.query_one("SELECT tree_size, root, note, signed_at FROM audit_checkpoints WHERE tree_size = ?",
                                    {static_cast<std::int64_t>(size)}));
  if (!row) return std::optional<SignedCheckpoint>{};
  return std::optional<SignedCheckpoint>{SANSO_TRY(checkpoint_from(*row))};
}

Result<std::uint64_t> tree_size(Database& db) {
  auto row = SANSO_TRY(db.query_one("SELECT tree_size FROM audit_state WHERE id = 1"));
  return row ? static_cast<std::uint64_t>(row->integer(0)) : 0;
}

namespace {

NodeSource from_database(Database& db) {
  return [&db](int level, std::uint64_t index) { return node(db, level, index); };
}

Result<InclusionProof> inclusion(const NodeSource& source, std::uint64_t index, std::uint64_t size) {
  if (index >= size) {
    return make_error("audit.range", std::to_string(index),
                      "index " + std::to_string(index) + " is not in a tree of " + std::to_string(size) + " entries");
  }
  InclusionProof p;
  p.index = index;
  p.tree_size = size;
  p.leaf_hash = SANSO_TRY(source(0, index));
  SANSO_TRY(inclusion_path(source, index, 0, size, p.proof));
  p.root_hash = SANSO_TRY(subtree_hash(source, 0, size));
  return p;
}

}  // namespace

Result<InclusionProof> prove_inclusion(Database& db, std::uint64_t index, std::uint64_t size) {
  return inclusion(from_database(db), index, size);
}

Result<TreeSnapshot> TreeSnapshot::load(Database& db, std::uint64_t size) {
  TreeSnapshot t;
  t.size_ = size;
  for (std::uint64_t count = size; count > 0; count >>= 1) t.levels_.emplace_back(count);
  auto read = [&](const char* sql, int level) -> Result<void> {
    std::vector<Hash>& v = t.levels_[static_cast<std::size_t>(level)];
    for (std::int64_t from = 0; from < static_cast<std::int64_t>(v.size());) {
      auto rows = level == 0 ? SANSO_TRY(db.query(sql, {from, static_cast<std::int64_t>(v.size())}))
                             : SANSO_TRY(db.query(sql, {std::int64_t{level}, from, static_cast<std::int64_t>(v.size())}));
      if (rows.empty()) break;
      for (const auto& r : rows) {
        auto i = static_cast<std::size_t>(r.integer(0));
        if (i < v.size()) v[i] = SANSO_TRY(hash_of(r, 1, "audit tree"));
        from = r.integer(0) + 1;
      }
    }
    return ok();
  };
  if (size > 0) SANSO_TRY(read("SELECT idx, leaf_hash FROM audit_entries WHERE idx >= ? AND idx < ? ORDER BY idx LIMIT 50000", 0));
  for (int level = 1; level < static_cast<int>(t.levels_.size()); ++level) {
    SANSO_TRY(read("SELECT idx, hash FROM audit_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx LIMIT 50000", level));
  }
  auto root = subtree_hash([&t](int level, std::uint64_t index) -> Result<Hash> { return t.levels_[static_cast<std::size_t>(level)][index]; },
                           0, size);
  t.root_ = size == 0 ? empty_root() : SANSO_TRY(root);
  return t;
}

Result<InclusionProof> TreeSnapshot::prove(std::uint64_t index) const {
  return inclusion([this](int level, std::uint64_t i) -> Result<Hash> { return levels_[static_cast<std::size_t>(level)][i]; }, index, size_);
}

struct AuditWriter::Queue {
  std::unique_ptr<Database> db;
  AuditLog* log;
  struct Pending {
    const store::AuditEvent* event;
    Result<std::uint64_t> result = std::uint64_t{0};
    bool done = false;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Pending*> waiting;
  bool leader = false;

  Result<std::uint64_t> commit_all(const std::vector<Pending*>& batch) {
    std::vector<store::AuditEvent> events;
    events.reserve(batch.size());
    for (const Pending* p : batch) events.push_back(*p->event);
    auto tx = SANSO_TRY(store::Transaction::begin(*db));
    auto first = SANSO_TRY(log->append_batch(*db, events));
    SANSO_TRY(tx.commit());
    return first;
  }

  void commit(std::vector<Pending*>& batch) {
    auto first = commit_all(batch);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch[i]->result = first ? Result<std::uint64_t>(*first + i) : Result<std::uint64_t>(first.error());
    }
  }
};

AuditWriter::AuditWriter(std::unique_ptr<Database> db, AuditLog& log) : queue_(std::make_unique<Queue>()) {
  queue_->db = std::move(db);
  queue_->log = &log;
}
AuditWriter::~AuditWriter() = default;

Result<std::uint64_t> AuditWriter::record(const store::AuditEvent& event) {
  Queue& q = *queue_;
  Queue::Pending mine{&event};
  std::unique_lock lock(q.mu);
  q.waiting.push_back(&mine);
  while (!mine.done) {
    if (q.leader) {
      q.cv.wait(lock);
      continue;
    }
    q.leader = true;
    std::vector<Queue::Pending*> batch;
    batch.swap(q.waiting);
    lock.unlock();
    q.commit(batch);
    lock.lock();
    for (auto* p : batch) p->done = true;
    q.leader = false;
    q.cv.notify_all();
  }
  return mine.result;
}

Result<std::vector<Hash>> prove_consistency(Database& db, std::uint64_t old_size, std::uint64_t new_size) {
  if (old_size > new_size) return make_error("audit.range", "", "the old tree is larger than the new one");
  std::vector<Hash> out;
  if (old_size == 0 || old_size == new_size) return out;
  SANSO_TRY(consistency_path(from_database(db), old_size, 0, new_size, true, out));
  return out;
}

namespace {

Result<std::vector<Entry>> entries_from(const std::vector<store::Row>& rows) {
  std::vector<Entry> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back({static_cast<std::uint64_t>(r.integer(0)), r.integer(1), r.text(2), r.text(3)});
  return out;
}

}  // namespace

Result<std::vector<Entry>> read_entries(Database& db, std::int64_t from_time, std::int64_t to_time) {
  auto rows = SANSO_TRY(db.query("SELECT idx, time, action, record FROM audit_entries WHERE time >= ? AND time < ? ORDER BY idx",
                                 {from_time, to_time}));
  return entries_from(rows);
}

Result<std::vector<Entry>> last_entries(Database& db, std::uint64_t count) {
  auto rows = SANSO_TRY(db.query(
      "SELECT idx, time, action, record FROM (SELECT idx, time, action, record FROM audit_entries ORDER BY idx DESC LIMIT ?) t "
      "ORDER BY idx",
      {static_cast<std::int64_t>(count)}));
  return entries_from(rows);
}

Result<std::vector<Entry>> find_entries(Database& db, const EntryQuery& q) {
  // The actor lives inside the record, so rows are read in batches until enough match; the
  // scan is bounded so that a rare actor on a huge log still answers promptly.
  constexpr std::int64_t kBatch = 500;
  constexpr std::size_t kMaxScanned = 200'000;
  std::vector<Entry> out;
  std::uint64_t before = q.before;
  std::size_t scanned = 0;
  const auto prefix_len = static_cast<std::int64_t>(q.action_prefix.size());
  while (out.size() < q.limit && scanned < kMaxScanned) {
    auto upper = static_cast<std::int64_t>(std::min<std::uint64_t>(before, static_cast<std::uint64_t>(INT64_MAX)));
    auto rows = SANSO_TRY(db.query(
        "SELECT idx, time, action, record FROM audit_entries WHERE idx < ? AND substr(action, 1, ?) = ? ORDER BY idx DESC LIMIT ?",
        {upper, prefix_len, q.action_prefix, q.actor.empty() ? static_cast<std::int64_t>(q.limit - out.size()) : kBatch}));
    if (rows.empty()) break;
    for (auto& e : SANSO_TRY(entries_from(rows))) {
      before = e.index;
      if (!q.actor.empty()) {
        auto j = nlohmann::json::parse(e.record, nullptr, false);
        if (!j.is_object() || j.value("actor", "") != q.actor) continue;
      }
      out.push_back(std::move(e));
      if (out.size() == q.limit) break;
    }
    scanned += rows.size();
    if (q.actor.empty()) break;
  }
  return out;
}

Result<VerifyReport> verify_log(Database& db, const VerifierKey& key, const std::optional<std::string>& saved_note) {
  VerifyReport report;
  auto fail = [&](std::string problem, std::optional<std::uint64_t> index, std::string detail) {
    report.problem = std::move(problem);
    report.first_bad_index = index;
    report.detail = std::move(detail);
    return report;
  };

  // Every checkpoint must carry a valid signature over exactly what its row says.
  struct Expected {
    std::uint64_t size;
    Hash root;
  };
  std::vector<Expected> expected;
  auto cps = SANSO_TRY(db.query("SELECT tree_size, root, note, signed_at FROM audit_checkpoints ORDER BY tree_size"));
  for (const auto& row : cps) {
    auto c = SANSO_TRY(checkpoint_from(row));
    auto text = open_note(c.note, key);
    if (!text) return fail("bad-signature", std::nullopt, "checkpoint of size " + std::to_string(c.checkpoint.size) + ": " + text.error().message);
    auto parsed = parse_checkpoint(*text);
    if (!parsed || parsed->size != c.checkpoint.size || parsed->root != c.checkpoint.root || parsed->origin != key.name) {
      return fail("bad-signature", std::nullopt,
                  "checkpoint row of size " + std::to_string(c.checkpoint.size) + " does not match its signed note");
    }
    expected.push_back({parsed->size, parsed->root});
  }
  report.checkpoints = expected.size();
  std::optional<Checkpoint> saved;
  if (saved_note) {
    auto text = open_note(*saved_note, key);
    if (!text) return fail("bad-signature", std::nullopt, "the saved checkpoint: " + text.error().message);
    auto parsed = parse_checkpoint(*text);
    if (!parsed) return fail("bad-signature", std::nullopt, "the saved checkpoint: " + parsed.error().message);
    saved = *parsed;
  }

  // Stored interior nodes, per level, to compare with the recomputed ones.
  std::vector<std::vector<std::optional<Hash>>> stored(64);
  for (std::int64_t level = 1; level < 64; ++level) {
    bool any = false;
    for (std::int64_t from = 0;;) {
      auto rows = SANSO_TRY(db.query("SELECT idx, hash FROM audit_nodes WHERE level = ? AND idx >= ? ORDER BY idx LIMIT 50000",
                                     {level, from}));
      if (rows.empty()) break;
      any = true;
      auto& v = stored[static_cast<std::size_t>(level)];
      for (const auto& r : rows) {
        auto idx = static_cast<std::size_t>(r.integer(0));
        if (idx > (std::size_t{1} << 40)) return fail("modified", std::nullopt, "a tree node has an impossible index");
        if (v.size() <= idx) v.resize(idx + 1);
        v[idx] = SANSO_TRY(hash_of(r, 1, "audit_nodes"));
        from = r.integer(0) + 1;
      }
    }
    if (!any) break;
  }

  std::array<Hash, 64> frontier{};
  std::uint64_t size = 0;
  std::size_t next_cp = 0;
  std::optional<Hash> saved_root_seen;
  auto root_matches = [&]() -> std::optional<VerifyReport> {
    while (next_cp < expected.size() && expected[next_cp].size == size) {
      if (fold_root(frontier, size) != expected[next_cp].root) {
        std::uint64_t from = next_cp == 0 ? 0 : expected[next_cp - 1].size;
        return fail("modified", from,
                    "entries " + std::to_string(from) + "–" + std::to_string(size - 1) +
                        " were rewritten together with their hashes: the tree no longer matches the checkpoint signed at size " +
                        std::to_string(size));
      }
      ++next_cp;
    }
    if (saved && saved->size == size) saved_root_seen = fold_root(frontier, size);
    return std::nullopt;
  };
  if (auto bad = root_matches()) return *bad;
  for (;;) {
    auto rows = SANSO_TRY(db.query("SELECT idx, record, leaf_hash FROM audit_entries WHERE idx >= ? ORDER BY idx LIMIT 20000",
                                   {static_cast<std::int64_t>(size)}));
    if (rows.empty()) break;
    for (const auto& r : rows) {
      auto idx = static_cast<std::uint64_t>(r.integer(0));
      if (idx != size) {
        return fail("deleted", size,
                    idx == size + 1 ? "entry " + std::to_string(size) + " is missing"
                                    : "entries " + std::to_string(size) + "–" + std::to_string(idx - 1) + " are missing");
      }
      const std::string record = r.text(1);
      auto seq = record_seq(record);
      if (!seq) return fail("modified", idx, "entry " + std::to_string(idx) + " is not a well-formed record");
      if (*seq != idx) {
        return fail("reordered", idx, "entry " + std::to_string(idx) + " holds the record written as entry " + std::to_string(*seq));
      }
      Hash leaf = leaf_hash(record);
      if (leaf != SANSO_TRY(hash_of(r, 2, "audit_entries"))) {
        return fail("modified", idx, "entry " + std::to_string(idx) + " was changed after it was written (its leaf hash differs)");
      }
      Hash carry = leaf;
      int level = 0;
      while (((size >> level) & 1) != 0) {
        carry = node_hash(frontier[static_cast<std::size_t>(level)], carry);
        ++level;
        auto at = static_cast<std::size_t>(size >> level);
        const auto& v = stored[static_cast<std::size_t>(level)];
        if (at >= v.size() || !v[at] || *v[at] != carry) {
          return fail("modified", size - (std::uint64_t{1} << level) + 1,
                      "the tree node " + std::to_string(level) + "/" + std::to_string(at) + " over entries " +
                          std::to_string((size >> level) << level) + "–" + std::to_string(size) +
                          " disagrees with the records (a record was rewritten with its hash, or the node was edited)");
        }
      }
      frontier[static_cast<std::size_t>(level)] = carry;
      ++size;
      if (auto bad = root_matches()) return *bad;
    }
  }
  report.entries = size;
  report.tree_size = size;
  report.root = fold_root(frontier, size);
  if (next_cp < expected.size()) {
    return fail("truncated", size,
                "the log ends at " + std::to_string(size) + " entries but a checkpoint was signed at " +
                    std::to_string(expected.back().size));
  }
  auto state = SANSO_TRY(db.query_one("SELECT tree_size, root FROM audit_state WHERE id = 1"));
  if (state && static_cast<std::uint64_t>(state->integer(0)) != size) {
    auto recorded = static_cast<std::uint64_t>(state->integer(0));
    if (recorded > size) return fail("truncated", size, "the log records " + std::to_string(recorded) + " entries but holds " + std::to_string(size));
    return fail("modified", recorded, "entries beyond the recorded tree size " + std::to_string(recorded) + " were inserted");
  }
  if (saved) {
    if (saved->origin != key.name) return fail("bad-signature", std::nullopt, "the saved checkpoint is for another log");
    if (saved->size > size) {
      return fail("rolled-back", size,
                  "the saved checkpoint covers " + std::to_string(saved->size) + " entries but the log now has " +
                      std::to_string(size) + ": it was restored from an older copy or cut short");
    }
    if (!saved_root_seen || *saved_root_seen != saved->root) {
      return fail("forked", std::nullopt,
                  "the log's first " + std::to_string(saved->size) + " entries differ from what the saved checkpoint signed");
    }
  }
  return report;
}

}  // namespace sanso::audit
