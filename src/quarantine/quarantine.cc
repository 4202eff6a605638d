#include "quarantine/quarantine.h"

#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>

#include "core/log.h"
#include "core/private_file.h"
#include "core/text.h"
#include "core/vocabulary.h"
#include "quarantine/internal/sealed_blob.h"
#include "store/shared_database.h"

namespace sanso::quarantine {
namespace {

namespace fs = std::filesystem;
using store::Database;
using store::Transaction;

// In the order of the enumerators: the stored name (quarantine_items.state), then what the CLI
// and the console show.
constexpr Vocabulary<ItemState, 7> kStates{{{
                                               {"held", "保留中", "Held"},
                                               {"release_requested", "解放申請中", "Release requested"},
                                               {"approved", "承認済み", "Approved"},
                                               {"releasing", "解放処理中", "Releasing"},
                                               {"released", "解放済み", "Released"},
                                               {"denied", "却下", "Denied"},
                                               {"damaged", "破損", "Damaged"},
                                           }},
                                           "a quarantine state",
                                           "quarantine.value"};

constexpr Vocabulary<Origin::Kind, 2> kOriginKinds{{{
                                                      {"mail", "メール", "mail"},
                                                      {"file", "ファイル", "file"},
                                                  }},
                                                  "an origin kind",
                                                  "quarantine.value"};

// The state of a stored row. A word no version of Sanso wrote means the row was tampered with:
// the item is not trusted (damaged), never taken for some other state.
ItemState stored_state(std::string_view name) {
  auto state = kStates.parse(name, "quarantine_items.state");
  return state ? *state : ItemState::kDamaged;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// Crockford base32 without I, L, O, U: an id read aloud over the phone survives.
std::string new_item_id(std::int64_t now) {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::time_t t = static_cast<std::time_t>(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[16];
  std::strftime(date, sizeof date, "%Y%m%d", &tm);
  unsigned char random[8];
  randombytes_buf(random, sizeof random);
  std::string id = "Q";
  id += date;
  id += '-';
  for (unsigned char b : random) id += kAlphabet[b & 31];
  return id;
}

constexpr const char* kItemColumns =
    "id, sha256, size, origin_kind, message_id, envelope_from, envelope_to, subject, file_name, uploader, "
    "verdict, reason, report, classification, received_at, expires_at, state, state_changed_at, damage, approver_role";

Item item_from(const store::Row& r) {
  Item it;
  it.id = r.text(0);
  it.sha256 = r.text(1);
  it.size = r.integer(2);
  // Anything but "mail" was always read as a file; a word Sanso did not write stays that.
  auto origin = kOriginKinds.parse(r.text(3), "quarantine_items.origin_kind");
  it.origin.kind = origin ? *origin : Origin::Kind::kFile;
  it.origin.message_id = r.text(4);
  it.origin.envelope_from = r.text(5);
  it.origin.envelope_to = split_lines(r.text(6));
  it.origin.subject = r.text(7);
  it.origin.file_name = r.text(8);
  it.origin.uploader = r.text(9);
  // Before the set was closed, `quarantine add --verdict` kept any word; such an item reads as held
  // (it was kept for a person to look at), never as an error that hides it from the list.
  auto verdict = parse_verdict(r.text(10), "quarantine_items.verdict");
  it.verdict = verdict ? *verdict : Verdict::kHeld;
  it.reason = r.text(11);
  it.report_json = r.text(12);
  it.classification = r.text(13);
  it.received_at = r.integer(14);
  it.expires_at = r.integer(15);
  it.state = stored_state(r.text(16));
  it.state_changed_at = r.integer(17);
  it.damage = r.text(18);
  it.approver_role = r.text(19);
  return it;
}

constexpr const char* kReleaseColumns =
    "id, item_id, sha256, requested_by, reason, requested_at, decision, decided_by, decided_role, decision_note, "
    "decided_at, released_by, released_to, released_at, requested_account";

// A decision the code never writes means the table was changed behind Sanso's back: an error,
// never read as some answer.
Result<ReleaseRequest> release_from(const store::Row& r) {
  ReleaseRequest q;
  q.id = r.integer(0);
  q.item_id = r.text(1);
  q.sha256 = r.text(2);
  q.requested_by = r.text(3);
  q.reason = r.text(4);
  q.requested_at = r.integer(5);
  q.decision = SANSO_TRY(parse_decision(r.text(6), "quarantine_releases.decision of request " + std::to_string(q.id)));
  q.decided_by = r.text(7);
  q.decided_role = r.text(8);
  q.decision_note = r.text(9);
  q.decided_at = r.integer(10);
  q.released_by = r.text(11);
  q.released_to = r.text(12);
  q.released_at = r.integer(13);
  q.requested_account = r.text(14);
  return q;
}

std::string code_for_errno(int e) {
  return (e == ENOSPC || e == EDQUOT || e == EFBIG) ? "store.disk-full" : "store.io";
}

Result<void> write_durably(const fs::path& path, std::string_view data) {
  if (auto made = create_private_directories(path.parent_path().string()); !made) {
    return make_error("store.io", path.parent_path().string(), "cannot create the blob directory: " + made.error().message);
  }
  unsigned char r[6];
  randombytes_buf(r, sizeof r);
  char suffix[16];
  sodium_bin2hex(suffix, sizeof suffix, r, sizeof r);
  fs::path tmp = path;
  tmp += std::string(".tmp-") + suffix;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(code_for_errno(errno), tmp.string(), std::strerror(errno));
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return make_error(code_for_errno(e), tmp.string(), std::string("write failed: ") + std::strerror(e));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int e = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return make_error(code_for_errno(e), tmp.string(), std::string("fsync failed: ") + std::strerror(e));
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return make_error("store.io", path.string(), std::string("rename failed: ") + std::strerror(e));
  }
  // The rename is durable only once the directory is.
  int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    int rc = ::fsync(dir);
    ::close(dir);
    if (rc != 0) return make_error("store.io", path.parent_path().string(), std::string("fsync of directory failed: ") + std::strerror(errno));
  }
  return ok();
}

}  // namespace

std::string_view to_string(ItemState state) { return kStates.name(state); }
std::string_view to_string(Origin::Kind kind) { return kOriginKinds.name(kind); }
Result<Origin::Kind> parse_origin_kind(std::string_view text, std::string_view where) { return kOriginKinds.parse(text, where); }

std::string label_of(const Item& it) {
  if (it.origin.kind == Origin::Kind::kMail) return it.origin.subject.empty() ? it.origin.message_id : it.origin.subject;
  return it.origin.file_name;
}

std::string_view state_label(ItemState state, std::string_view lang) { return kStates.label(state, lang); }

namespace {
constexpr Vocabulary<ReleaseDecision, 3> kDecisions{{{
                                                        {"", "", ""},
                                                        {"approved", "承認", "Approved"},
                                                        {"denied", "却下", "Denied"},
                                                    }},
                                                    "a release decision",
                                                    "quarantine.value"};
}  // namespace

std::string_view to_string(ReleaseDecision d) { return kDecisions.name(d); }
std::string_view decision_label(ReleaseDecision d, std::string_view lang) { return kDecisions.label(d, lang); }
Result<ReleaseDecision> parse_decision(std::string_view text, std::string_view where) { return kDecisions.parse(text, where); }

Result<ItemState> parse_state(std::string_view name, std::string_view where) { return kStates.parse(name, where); }
std::string state_names() { return kStates.names(); }

std::span<const ItemState> all_states() {
  static constexpr ItemState kAll[] = {ItemState::kHeld,     ItemState::kReleaseRequested, ItemState::kApproved, ItemState::kReleasing,
                                       ItemState::kReleased, ItemState::kDenied,           ItemState::kDamaged};
  static_assert(std::size(kAll) == kStates.terms.size());
  return kAll;
}

bool Actor::has_any_role(const std::vector<std::string>& wanted) const {
  for (const auto& r : roles) {
    if (std::find(wanted.begin(), wanted.end(), r) != wanted.end()) return true;
  }
  return false;
}

struct QuarantineStore::Impl {
  Database* db = nullptr;
  Options options;
  std::mutex hooks_mutex;
  std::vector<PurgeHook> purge_hooks;
  internal::SealKey key;
  bool blobs_in_db = false;

  // The service's connection (`db` is it), touched only under `shared->use()` or inside the work
  // of `shared->commit()`.
  store::SharedDatabase* shared = nullptr;

  struct Pending {
    Item item;
    std::string sealed;  // for blobs kept in the database
    std::string actor;
    std::string retry_key;
    std::function<Result<void>(store::Database&, const Item&)> with_item;
  };

  std::int64_t now() const {
    const Clock& c = options.clock != nullptr ? *options.clock : system_clock();
    return std::chrono::duration_cast<std::chrono::seconds>(c.now().time_since_epoch()).count();
  }

  fs::path blob_path(const std::string& sha) const {
    return fs::path(options.blob_dir) / sha.substr(0, 2) / (sha + ".sealed");
  }

  Result<void> audit(const store::AuditEvent& e) {
    if (options.audit == nullptr) return ok();
    return options.audit->append(*db, e);
  }

  // A refused attempt is evidence too (threat 3(1): 内部不正): it is recorded in the open
  // transaction `tx`, which is committed, and the refusal is returned.
  Error refused(Transaction& tx, const Actor& actor, std::string action, const Item& item, Error why) {
    auto e = event(actor, std::move(action), item, "refused");
    e.details.emplace_back("reason", why.code);
    if (auto recorded = audit(e); !recorded) return std::move(recorded).error();
    if (auto committed = tx.commit(); !committed) return std::move(committed).error();
    return why;
  }

  // An action of a person: the record also says how they proved who they are.
  store::AuditEvent event(const Actor& actor, std::string action, const Item& item, std::string outcome) {
    auto e = event(actor.name, std::move(action), item, std::move(outcome));
    if (!actor.via.empty()) e.details.emplace_back("via", actor.via);
    return e;
  }

  store::AuditEvent event(const std::string& actor, std::string action, const Item& item, std::string outcome) {
    store::AuditEvent e;
    e.time = now();
    e.actor = actor;
    e.action = std::move(action);
    e.subject = item.id;
    e.outcome = std::move(outcome);
    e.input_sha256 = item.sha256;
    return e;
  }

  Result<void> insert_item(const Pending& p) {
    const Item& it = p.item;
    if (!p.sealed.empty()) {
      SANSO_TRY(db->execute(
          "INSERT INTO quarantine_blobs (sha256, size, sealed) VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
          {it.sha256, it.size, store::Bytes{p.sealed}}));
    }
    // retry_key has a unique index: a second put of one delivery fails here (store.constraint),
    // so retries committing at once keep the message once.
    SANSO_TRY(db->execute(
        std::string("INSERT INTO quarantine_items (") + kItemColumns +
            ", retry_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {it.id, it.sha256, it.size, std::string(to_string(it.origin.kind)),
         it.origin.message_id, it.origin.envelope_from, join(it.origin.envelope_to, "\n"), it.origin.subject,
         it.origin.file_name, it.origin.uploader, std::string(to_string(it.verdict)), it.reason, it.report_json, it.classification,
         it.received_at, it.expires_at, std::string(to_string(it.state)), it.state_changed_at, std::string(), it.approver_role, p.retry_key}));
    auto e = event(p.actor.empty() ? options.node : p.actor, "quarantine.store", it, std::string(to_string(it.verdict)));
    e.details = {{"origin", std::string(to_string(it.origin.kind))},
                 {"size", std::to_string(it.size)},
                 {"reason", it.reason}};
    if (!it.origin.message_id.empty()) e.details.emplace_back("message_id", it.origin.message_id);
    if (!it.origin.file_name.empty()) e.details.emplace_back("file_name", it.origin.file_name);
    if (!it.approver_role.empty()) e.details.emplace_back("approver_role", it.approver_role);
    SANSO_TRY(audit(e));
    if (p.with_item) SANSO_TRY(p.with_item(*db, it));
    return ok();
  }

  Result<Item> load_item(const std::string& id) {
    auto row = SANSO_TRY(db->query_one(std::string("SELECT ") + kItemColumns + " FROM quarantine_items WHERE id = ?", {id}));
    if (!row) return make_error("quarantine.not-found", id, "no quarantined item has this id");
    return item_from(*row);
  }

  Result<std::optional<ReleaseRequest>> open_request(const std::string& id) {
    auto row = SANSO_TRY(db->query_one(std::string("SELECT ") + kReleaseColumns +
                                           " FROM quarantine_releases WHERE item_id = ? ORDER BY id DESC LIMIT 1",
                                       {id}));
    if (!row) return std::optional<ReleaseRequest>{};
    return std::optional<ReleaseRequest>{SANSO_TRY(release_from(*row))};
  }

  Result<std::string> read_sealed(const Item& item) {
    // In the database (PostgreSQL always, SQLite for small originals), else a file.
    auto row = SANSO_TRY(db->query_one("SELECT sealed FROM quarantine_blobs WHERE sha256 = ?", {item.sha256}));
    if (row) return row->bytes(0);
    if (blobs_in_db) return make_error("quarantine.damaged", item.id, "the encrypted original is missing from the store");
    fs::path p = blob_path(item.sha256);
    auto sealed = read_blob_file(p);
    if (!sealed) return make_error("quarantine.damaged", p.string(), "the encrypted original is missing from the data directory");
    return std::move(*sealed);
  }

  // A blob file's bytes, or nothing when it cannot be read.
  static std::optional<std::string> read_blob_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (in.bad()) return std::nullopt;
    return bytes.str();
  }

  // An existing blob file at a content's address serves a new item of that content only when it
  // opens with this store's key to that very content: a file of the right size that is damaged, or
  // planted in the data directory, would leave the new item pointing at an original nobody can
  // read. Touched, so that purge() (which spares blobs touched recently) leaves it until the new
  // record commits; one that cannot be touched is written anew.
  bool reusable_blob(const fs::path& path, std::size_t sealed_size, const std::string& sha256) const {
    std::error_code ec;
    if (fs::file_size(path, ec) != sealed_size || ec) return false;
    const auto bytes = read_blob_file(path);
    if (!bytes || !internal::unseal(key, *bytes, sha256)) return false;
    fs::last_write_time(path, fs::file_time_type::clock::now(), ec);
    return !ec;
  }

  // Reads and authenticates the original; on failure marks the item damaged (visible in list).
  Result<std::string> read_original(const Item& item) {
    auto sealed = read_sealed(item);
    Result<std::string> original = sealed ? internal::unseal(key, *sealed, item.sha256) : Result<std::string>(sealed.error());
    if (original) return original;
    Error e = original.error();
    e.where = item.id;
    auto tx = Transaction::begin(*db);
    if (tx) {
      (void)db->execute("UPDATE quarantine_items SET state = 'damaged', damage = ?, state_changed_at = ? WHERE id = ?",
                        {e.message, now(), item.id});
      (void)audit(event(options.node, "quarantine.damaged", item, e.message));
      (void)tx->commit();
    }
    return e;
  }

  Result<void> set_state(const Item& item, ItemState from, ItemState to) {
    auto changed = SANSO_TRY(db->execute(
        "UPDATE quarantine_items SET state = ?, state_changed_at = ? WHERE id = ? AND state = ?",
        {std::string(to_string(to)), now(), item.id, std::string(to_string(from))}));
    if (changed != 1) {
      return make_error("quarantine.conflict", item.id,
                        "the item changed meanwhile (expected '" + std::string(to_string(from)) + "'); look at it again");
    }
    return ok();
  }
};

QuarantineStore::QuarantineStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
QuarantineStore::~QuarantineStore() = default;

std::string QuarantineStore::reserve_id() const { return new_item_id(impl_->now()); }

Result<std::unique_ptr<QuarantineStore>> QuarantineStore::open(store::SharedDatabase& db, Options options) {
  auto impl = std::make_unique<Impl>();
  // A key is made with the store, never after: a store that already keeps originals and finds its
  // key file gone (a restore that left it out, a wrong data directory) would otherwise get a new key,
  // and every original it keeps would be silently unreadable.
  std::error_code missing;
  if (!fs::exists(options.key_file, missing) && !missing) {
    auto use = db.use();
    auto row = SANSO_TRY(use->query_one("SELECT COUNT(*) FROM quarantine_items"));
    if (row && row->integer(0) > 0) {
      return make_error("quarantine.key", options.key_file,
                        "the quarantine key file is missing, but the store keeps " + std::to_string(row->integer(0)) +
                            " originals sealed with it: restore the key file from the backup of the data directory (docs/operations.md); "
                            "a new key would leave every kept original unreadable");
    }
  }
  impl->key = SANSO_TRY(internal::load_or_create_key(options.key_file));
  impl->blobs_in_db = db.backend() == store::Backend::kPostgres;
  if (!impl->blobs_in_db && options.blob_dir.empty()) {
    return make_error("quarantine.config", "", "a SQLite store needs a blob directory");
  }
  impl->shared = &db;
  impl->db = &db.use().db;
  impl->options = std::move(options);
  return std::unique_ptr<QuarantineStore>(new QuarantineStore(std::move(impl)));
}

Result<Item> QuarantineStore::put(Submission s) {
  Impl& m = *impl_;
  Impl::Pending p;
  Item& it = p.item;
  it.sha256 = internal::sha256_hex(s.original);
  it.size = static_cast<std::int64_t>(s.original.size());
  it.origin = std::move(s.origin);
  it.verdict = s.verdict;
  it.reason = std::move(s.reason);
  it.report_json = std::move(s.report_json);
  it.classification = std::move(s.classification);
  it.approver_role = std::move(s.approver_role);
  it.received_at = m.now();
  it.expires_at = it.received_at + std::int64_t{86400} * m.options.settings.retention.days_for(it.verdict);
  it.state = ItemState::kHeld;
  it.state_changed_at = it.received_at;
  if (!s.id.empty() && (s.id.size() != 18 || s.id[0] != 'Q' || s.id[9] != '-')) {
    return make_error("quarantine.input", s.id, "not an id from reserve_id()");
  }
  it.id = s.id.empty() ? new_item_id(it.received_at) : std::move(s.id);
  p.actor = std::move(s.submitted_by);
  p.retry_key = std::move(s.retry_key);
  p.with_item = std::move(s.with_item);
  std::string sealed = internal::seal(m.key, s.original, it.sha256);
  if (m.blobs_in_db || sealed.size() <= m.options.inline_blob_bytes) {
    p.sealed = std::move(sealed);  // written with the record, in its transaction
  } else {
    // Same content, same address: an existing blob of the right shape is reused; written before
    // the record, so a record never points at a blob that is not durable.
    fs::path path = m.blob_path(it.sha256);
    if (!m.reusable_blob(path, sealed.size(), it.sha256)) SANSO_TRY(write_durably(path, sealed));
  }
  // One durable commit shared with the other puts and audit records of this moment; the item's
  // record, its audit record and the caller's writes are in it together.
  SANSO_TRY(m.shared->commit([&](Database&) { return m.insert_item(p); }));
  return it;
}

Result<std::optional<Item>> QuarantineStore::find_retry(const std::string& retry_key) {
  if (retry_key.empty()) return std::optional<Item>();
  auto lock = impl_->shared->use();
  auto row = SANSO_TRY(impl_->db->query_one(std::string("SELECT ") + kItemColumns + " FROM quarantine_items WHERE retry_key = ?", {retry_key}));
  if (!row) return std::optional<Item>();
  return std::optional<Item>(item_from(*row));
}

Result<Item> QuarantineStore::get(const std::string& id) {
  auto lock = impl_->shared->use();
  return impl_->load_item(id);
}

Result<std::vector<Item>> QuarantineStore::list(const ListFilter& filter) {
  auto lock = impl_->shared->use();
  std::vector<store::Row> rows;
  std::string sql = std::string("SELECT ") + kItemColumns + " FROM quarantine_items";
  if (filter.state) {
    rows = SANSO_TRY(impl_->db->query(sql + " WHERE state = ? ORDER BY received_at DESC, id LIMIT ?",
                                      {std::string(to_string(*filter.state)), filter.limit}));
  } else {
    rows = SANSO_TRY(impl_->db->query(sql + " ORDER BY received_at DESC, id LIMIT ?", {filter.limit}));
  }
  std::vector<Item> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(item_from(r));
  return out;
}

Result<std::map<ItemState, std::int64_t>> QuarantineStore::count_by_state() {
  auto lock = impl_->shared->use();
  auto rows = SANSO_TRY(impl_->db->query("SELECT state, COUNT(*) FROM quarantine_items GROUP BY state"));
  std::map<ItemState, std::int64_t> out;
  for (const auto& r : rows) out[stored_state(r.text(0))] += r.integer(1);
  return out;
}

Result<std::vector<ReleaseRequest>> QuarantineStore::releases(const std::string& id) {
  auto lock = impl_->shared->use();
  auto rows = SANSO_TRY(impl_->db->query(
      std::string("SELECT ") + kReleaseColumns + " FROM quarantine_releases WHERE item_id = ? ORDER BY id", {id}));
  std::vector<ReleaseRequest> out;
  for (const auto& r : rows) out.push_back(SANSO_TRY(release_from(r)));
  return out;
}

namespace {

// The roles that may decide an item's release: the one its policy rule named, else any approver
// role of the configuration.
std::vector<std::string> deciding_roles(const Item& item, const config::QuarantineSettings& settings) {
  return item.approver_role.empty() ? settings.approver_roles : std::vector<std::string>{item.approver_role};
}

// Whether `actor` sent this held mail: its envelope sender is one of the addresses they send from.
bool sent_by(const Item& item, const Actor& actor, const QuarantineStore::Options& options) {
  if (item.origin.kind != Origin::Kind::kMail || item.origin.envelope_from.empty()) return false;
  const auto theirs = options.addresses_by_person.find(actor.name);
  if (theirs == options.addresses_by_person.end()) return false;
  const std::string sender = ascii_lower(item.origin.envelope_from);
  return std::any_of(theirs->second.begin(), theirs->second.end(), [&](const std::string& a) { return ascii_lower(a) == sender; });
}

}  // namespace

Result<QuarantineStore::AllowedActions> QuarantineStore::allowed_actions(const std::string& id, const Actor& actor) {
  Impl& m = *impl_;
  auto lock = m.shared->use();
  const Item item = SANSO_TRY(m.load_item(id));
  const auto request = SANSO_TRY(m.open_request(id));
  AllowedActions a;
  a.request_release = item.state == ItemState::kHeld || item.state == ItemState::kDenied;
  a.decide = item.state == ItemState::kReleaseRequested && request && actor.has_any_role(deciding_roles(item, m.options.settings)) &&
             actor.name != request->requested_by && !sent_by(item, actor, m.options);
  a.release = item.state == ItemState::kApproved;
  a.export_original = actor.has_any_role(m.options.settings.inspector_roles) && item.state != ItemState::kDamaged;
  return a;
}

Result<std::string> QuarantineStore::read_for_service(const std::string& id) {
  Impl& m = *impl_;
  auto lock = m.shared->use();
  Item item = SANSO_TRY(m.load_item(id));
  return m.read_original(item);
}

Result<std::string> QuarantineStore::export_original(const std::string& id, const Actor& actor) {
  Impl& m = *impl_;
  auto lock = m.shared->use();
  Item item = SANSO_TRY(m.load_item(id));
  if (!actor.has_any_role(m.options.settings.inspector_roles)) {
    auto tx = SANSO_TRY(Transaction::begin(*m.db));
    return m.refused(tx, actor, "quarantine.export", item,
                     make_error("quarantine.forbidden", id,
                                "'" + actor.name + "' may not export originals: that needs one of the inspector roles in sanso.toml"));
  }
  std::string original = SANSO_TRY(m.read_original(item));
  auto tx = SANSO_TRY(Transaction::begin(*m.db));
  SANSO_TRY(m.audit(m.event(actor, "quarantine.export", item, "ok")));
  SANSO_TRY(tx.commit());
  return original;
}

Result<ReleaseRequest> QuarantineStore::request_release(const std::string& id, const Actor& actor,
                                                         const std::string& reason) {
  Impl& m = *impl_;
  if (reason.empty()) return make_error("quarantine.input", id, "a release request needs a reason (--reason)");
  auto lock = m.shared->use();
  auto tx = SANSO_TRY(Transaction::begin(*m.db));
  Item item = SANSO_TRY(m.load_item(id));
  if (item.state != ItemState::kHeld && item.state != ItemState::kDenied) {
    return make_error("quarantine.state", id,
                      "a release can be requested only for a held or denied item; this one is '" +
                          std::string(to_string(item.state)) + "'");
  }
  SANSO_TRY(m.set_state(item, item.state, ItemState::kReleaseRequested));
  std::int64_t t = m.now();
  SANSO_TRY(m.db->execute(
      "INSERT INTO quarantine_releases (item_id, sha256, requested_by, reason, requested_at, requested_account) VALUES (?, ?, ?, ?, ?, ?)",
      {item.id, item.sha256, actor.name, reason, t, actor.account}));
  auto e = m.event(actor, "quarantine.request-release", item, "requested");
  e.details.insert(e.details.end(), {{"reason", reason}});
  SANSO_TRY(m.audit(e));
  auto request = SANSO_TRY(m.open_request(id));
  SANSO_TRY(tx.commit());
  return *request;
}

namespace {

Result<ReleaseRequest> decide_release(auto& m, const std::string& id, const Actor& actor, const std::string& note,
                                      bool approve) {
  auto lock = m.shared->use();
  auto tx = SANSO_TRY(Transaction::begin(*m.db));
  Item item = SANSO_TRY(m.load_item(id));
  if (item.state != ItemState::kReleaseRequested) {
    return make_error("quarantine.state", id,
                      "there is no open release request for this item (it is '" + std::string(to_string(item.state)) + "')");
  }
  auto request = SANSO_TRY(m.open_request(id));
  if (!request) return make_error("quarantine.state", id, "the release request is missing");
  // The role the policy rule named for this item decides it; otherwise any approver role.
  const std::vector<std::string> roles = deciding_roles(item, m.options.settings);
  std::string role;
  for (const auto& r : actor.roles) {
    if (std::find(roles.begin(), roles.end(), r) != roles.end()) {
      role = r;
      break;
    }
  }
  if (role.empty()) {
    std::string list;
    for (const auto& r : roles) list += (list.empty() ? "" : ", ") + r;
    return m.refused(tx, actor, approve ? "quarantine.approve" : "quarantine.deny", item,
                     make_error("quarantine.forbidden", id,
                                "'" + actor.name + "' holds none of the approver roles (" + list + ")" +
                                    (item.approver_role.empty() ? "" : ": the policy rule that held this item names its approver")));
  }
  if (actor.name == request->requested_by) {
    return m.refused(tx, actor, approve ? "quarantine.approve" : "quarantine.deny", item,
                     make_error("quarantine.four-eyes", id,
                                "'" + actor.name + "' requested this release and cannot also decide it (four-eyes principle)"));
  }
  if (approve && sent_by(item, actor, m.options)) {
    return m.refused(tx, actor, "quarantine.approve", item,
                     make_error("quarantine.own-mail", id,
                                "'" + actor.name + "' sent this mail (" + item.origin.envelope_from +
                                    ") and cannot approve its release (four-eyes principle) / 自分が送ったメールの送信は承認できません"));
  }
  // Two names typed into one shell are one person: the kernel's account decides (threat 3(1)).
  if (approve && !actor.account.empty() && actor.account == request->requested_account) {
    return m.refused(tx, actor, "quarantine.approve", item,
                     make_error("quarantine.same-account", id,
                                "'" + actor.name + "' approves from the operating-system account (" + actor.account +
                                    ") that requested this release as '" + request->requested_by +
                                    "'; four-eyes needs each person on their own account (log in as yourself, then sudo)"));
  }
  if (approve) {
    // The request binds to the blob: approve only what was asked for, and only if it still reads back.
    if (request->sha256 != item.sha256) {
      return make_error("quarantine.changed", id, "the item changed after the request; it cannot be approved");
    }
    SANSO_TRY(m.read_original(item));
  }
  std::int64_t t = m.now();
  SANSO_TRY(m.set_state(item, ItemState::kReleaseRequested, approve ? ItemState::kApproved : ItemState::kDenied));
  SANSO_TRY(m.db->execute(
      "UPDATE quarantine_releases SET decision = ?, decided_by = ?, decided_role = ?, decision_note = ?, decided_at = ? "
      "WHERE id = ? AND decision = ''",
      {std::string(to_string(approve ? ReleaseDecision::kApproved : ReleaseDecision::kDenied)), actor.name, role, note, t, request->id}));
  auto e = m.event(actor, approve ? "quarantine.approve" : "quarantine.deny", item, approve ? "approved" : "denied");
  e.details.insert(e.details.end(), {{"role", role}, {"requested_by", request->requested_by}, {"note", note}});
  SANSO_TRY(m.audit(e));
  auto updated = SANSO_TRY(m.open_request(id));
  SANSO_TRY(tx.commit());
  return *updated;
}

}  // namespace

Result<ReleaseRequest> QuarantineStore::approve(const std::string& id, const Actor& actor, const std::string& note) {
  return decide_release(*impl_, id, actor, note, true);
}

Result<ReleaseRequest> QuarantineStore::deny(const std::string& id, const Actor& actor, const std::string& note) {
  return decide_release(*impl_, id, actor, note, false);
}

namespace {

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// The start time of a process (clock ticks since boot, /proc/PID/stat field 22): with the pid, it
// names one process, so a pid reused after a crash is not taken for the claimant.
std::string process_start(pid_t pid) {
  const std::string stat = first_line("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos) return "";
  std::istringstream fields(stat.substr(close + 2));
  std::string f;
  for (int i = 3; i <= 22 && fields >> f; ++i) {
    if (i == 22) return f;
  }
  return "";
}

// This machine and boot: a claim made under another boot died with it; a claim of another
// machine (two nodes of one PostgreSQL store, perhaps with one node name) cannot be checked here.
std::string this_host() {
  static const std::string host = first_line("/etc/machine-id") + "/" + first_line("/proc/sys/kernel/random/boot_id");
  return host;
}

// "<node> host <machine-id>/<boot-id> pid <pid> start <ticks>"
std::string this_claimant(const std::string& node) {
  const pid_t pid = getpid();
  return node + " host " + this_host() + " pid " + std::to_string(pid) + " start " + process_start(pid);
}

enum class Claimant { kAlive, kDead, kUnknown };

Claimant claimant_state(const std::string& claimed_by) {
  const auto at = claimed_by.find(" host ");
  if (at == std::string::npos) return Claimant::kUnknown;
  std::istringstream in(claimed_by.substr(at + 6));
  std::string host, pid_word, start_word, start;
  long pid = 0;
  if (!(in >> host >> pid_word >> pid >> start_word) || pid <= 0) return Claimant::kUnknown;
  std::getline(in >> std::ws, start);
  const std::string machine = host.substr(0, host.find('/'));
  const std::string here = this_host();
  if (machine.empty() || machine != here.substr(0, here.find('/'))) return Claimant::kUnknown;
  if (host != here) return Claimant::kDead;  // made before this machine's last boot
  // kill(pid, 0) sees processes that /proc may hide (hidepid) or that belong to another user.
  if (kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return Claimant::kDead;
  const std::string now_start = process_start(static_cast<pid_t>(pid));
  if (!now_start.empty() && !start.empty() && now_start != start) return Claimant::kDead;  // the pid was reused
  return Claimant::kAlive;
}

}  // namespace

Result<ReleaseRequest> QuarantineStore::release(const std::string& id, const Actor& actor, const Deliver& deliver) {
  Impl& m = *impl_;
  Item item;
  std::string original;
  std::int64_t request_id = 0;
  {
    auto lock = m.shared->use();
    auto tx = SANSO_TRY(Transaction::begin(*m.db));
    item = SANSO_TRY(m.load_item(id));
    if (item.state != ItemState::kApproved) {
      return make_error("quarantine.state", id,
                        "only an approved item can be released; this one is '" + std::string(to_string(item.state)) + "'");
    }
    // The conditional update is the claim: of two nodes releasing at once, one changes the row.
    SANSO_TRY(m.set_state(item, ItemState::kApproved, ItemState::kReleasing));
    auto request = SANSO_TRY(m.open_request(id));
    if (!request) return make_error("quarantine.state", id, "the approved item has no release request");
    request_id = request->id;
    SANSO_TRY(m.db->execute("UPDATE quarantine_releases SET claimed_by = ?, claimed_at = ?, released_to = '' WHERE id = ?",
                            {this_claimant(m.options.node), m.now(), request_id}));
    SANSO_TRY(tx.commit());
    auto read = m.read_original(item);
    if (!read) return std::move(read).error();
    original = std::move(read).value();
  }
  auto where = deliver(item, original);
  auto lock = m.shared->use();
  if (where) {
    // The relay's answer, durable the moment it came: if this process dies before the release is
    // recorded, the next start knows the message went out and does not offer it again.
    SANSO_TRY(m.db->execute("UPDATE quarantine_releases SET released_to = ? WHERE id = ?", {*where, request_id}));
  }
  auto tx = SANSO_TRY(Transaction::begin(*m.db));
  if (!where) {
    SANSO_TRY(m.set_state(item, ItemState::kReleasing, ItemState::kApproved));
    auto e = m.event(actor, "quarantine.release", item, "failed");
    e.details.emplace_back("error", where.error().to_string());
    SANSO_TRY(m.audit(e));
    SANSO_TRY(tx.commit());
    return std::move(where).error();
  }
  SANSO_TRY(m.set_state(item, ItemState::kReleasing, ItemState::kReleased));
  auto request = SANSO_TRY(m.open_request(id));
  SANSO_TRY(m.db->execute("UPDATE quarantine_releases SET released_by = ?, released_to = ?, released_at = ? WHERE id = ?",
                          {actor.name, *where, m.now(), request->id}));
  auto e = m.event(actor, "quarantine.release", item, "released");
  e.details.insert(e.details.end(), {{"to", *where}, {"approved_by", request->decided_by}});
  SANSO_TRY(m.audit(e));
  auto updated = SANSO_TRY(m.open_request(id));
  SANSO_TRY(tx.commit());
  return *updated;
}

Result<int> QuarantineStore::recover_interrupted_releases(std::chrono::seconds other_hosts_after) {
  Impl& m = *impl_;
  auto lock = m.shared->use();
  auto rows = SANSO_TRY(m.db->query(std::string("SELECT ") + kItemColumns + " FROM quarantine_items WHERE state = 'releasing'"));
  int resolved = 0;
  for (const auto& row : rows) {
    const Item item = item_from(row);
    auto one = [&]() -> Result<bool> {
      auto tx = SANSO_TRY(Transaction::begin(*m.db));
      auto request = SANSO_TRY(m.open_request(item.id));
      auto claim = SANSO_TRY(m.db->query_one("SELECT claimed_by, claimed_at FROM quarantine_releases WHERE id = ?",
                                              {request ? request->id : std::int64_t{-1}}));
      const std::string claimed_by = claim ? claim->text(0) : "";
      // A claim from before schema version 7 has no time of its own: the item's state change is it.
      const std::int64_t claimed_at = claim && claim->integer(1) > 0 ? claim->integer(1) : item.state_changed_at;
      switch (claimant_state(claimed_by)) {
        case Claimant::kAlive: return false;  // still delivering
        case Claimant::kDead: break;
        case Claimant::kUnknown:
          if (m.now() - claimed_at < other_hosts_after.count()) return false;  // not certainly stale yet
          break;
      }
      const bool handed_off = request && !request->released_to.empty();
      store::AuditEvent e = m.event(m.options.node, "quarantine.release", item, handed_off ? "released" : "interrupted");
      e.details.emplace_back("recovered", "the releasing process (" + (claimed_by.empty() ? std::string("unknown") : claimed_by) +
                                              ") ended before recording the result");
      if (handed_off) {
        SANSO_TRY(m.set_state(item, ItemState::kReleasing, ItemState::kReleased));
        SANSO_TRY(m.db->execute("UPDATE quarantine_releases SET released_by = CASE WHEN released_by = '' THEN ? ELSE released_by END, released_at = ? WHERE id = ?",
                                {std::string("recovered by ") + m.options.node, m.now(), request->id}));
        e.details.insert(e.details.end(), {{"to", request->released_to}, {"approved_by", request->decided_by}});
      } else {
        SANSO_TRY(m.set_state(item, ItemState::kReleasing, ItemState::kApproved));
        e.details.emplace_back("note", "whether the relay received it is unknown: look for 'X-Sanso-Released: id=" + item.id +
                                           "' at the recipient or in the relay's log before releasing it again");
      }
      SANSO_TRY(m.audit(e));
      SANSO_TRY(tx.commit());
      return true;
    };
    auto done = one();
    if (done && *done) ++resolved;
    // Another process resolving or finishing the same item at once wins; anything else is said,
    // and the next start tries again — recovery never stops a service from starting.
    if (!done && done.error().code != "quarantine.conflict") {
      log::warn("quarantine: the interrupted release of " + item.id + " could not be resolved now: " + done.error().to_string());
    }
  }
  return resolved;
}

void QuarantineStore::on_purge(PurgeHook hook) {
  std::lock_guard lock(impl_->hooks_mutex);
  impl_->purge_hooks.push_back(std::move(hook));
}

Result<std::int64_t> QuarantineStore::purge(const Actor& actor) {
  Impl& m = *impl_;
  std::vector<PurgeHook> hooks;
  {
    std::lock_guard lock(m.hooks_mutex);
    hooks = m.purge_hooks;
  }
  auto lock = m.shared->use();
  auto tx = SANSO_TRY(Transaction::begin(*m.db));
  std::int64_t t = m.now();
  auto rows = SANSO_TRY(m.db->query(std::string("SELECT ") + kItemColumns +
                                        " FROM quarantine_items WHERE expires_at <= ? AND state <> 'releasing'",
                                    {t}));
  std::vector<std::string> unreferenced;
  for (const auto& r : rows) {
    Item item = item_from(r);
    SANSO_TRY(m.db->execute("DELETE FROM quarantine_releases WHERE item_id = ?", {item.id}));
    SANSO_TRY(m.db->execute("DELETE FROM quarantine_items WHERE id = ?", {item.id}));
    SANSO_TRY(m.audit(m.event(actor, "quarantine.purge", item, "expired")));
    for (const auto& hook : hooks) SANSO_TRY(hook(*m.db, item, actor));
    auto still = SANSO_TRY(m.db->query_one("SELECT 1 FROM quarantine_items WHERE sha256 = ? LIMIT 1", {item.sha256}));
    if (!still && std::find(unreferenced.begin(), unreferenced.end(), item.sha256) == unreferenced.end()) {
      unreferenced.push_back(item.sha256);
      SANSO_TRY(m.db->execute("DELETE FROM quarantine_blobs WHERE sha256 = ?", {item.sha256}));
    }
  }
  SANSO_TRY(tx.commit());
  // Files go only after the records are gone: a crash in between leaves an orphan, never a
  // record without its original.
  if (!m.blobs_in_db) {
    constexpr auto kGrace = std::chrono::minutes(10);
    for (const auto& sha : unreferenced) {
      std::error_code ec;
      fs::path path = m.blob_path(sha);
      auto touched = fs::last_write_time(path, ec);
      if (ec || fs::file_time_type::clock::now() - touched < kGrace) continue;  // a put() may be reusing it
      auto again = SANSO_TRY(m.db->query_one("SELECT 1 FROM quarantine_items WHERE sha256 = ? LIMIT 1", {sha}));
      if (!again) fs::remove(path, ec);
    }
  }
  return static_cast<std::int64_t>(rows.size());
}

}  // namespace sanso::quarantine
