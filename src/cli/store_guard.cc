// A store is never started afresh where one existed. Beside the store, in the data directory,
// `store.id` names the store this installation uses (the store keeps the same id) and
// `audit-checkpoint` the latest signed checkpoint of its audit log seen here. A store that is
// missing, another one, or whose log is behind or beside that checkpoint is refused with what
// happened and what to do; `sanso store init --force` is the one deliberate way past it.
#include <sodium.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "audit/log.h"
#include "cli/service.h"
#include "core/private_file.h"

namespace sanso::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRecoverHint =
    " Restore the store from its backup; or, to begin a new store here on purpose, run `sanso store init --force` "
    "(docs/operations.md: the old id and checkpoint are kept and the new log records the restart).";

fs::path marker_path(const config::ServiceConfig& c) { return fs::path(c.data_dir) / "store.id"; }
fs::path checkpoint_path(const config::ServiceConfig& c) { return fs::path(c.data_dir) / "audit-checkpoint"; }

std::string describe(const store::StoreLocation& location) {
  return location.backend == store::Backend::kSqlite ? location.target : store::redact_url(location.target);
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Result<std::optional<std::string>> read_text_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(path, ec) && !ec) return std::optional<std::string>{};
    return make_error("store.marker", path.string(), "exists but cannot be read");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return std::optional<std::string>{text.str()};
}

}  // namespace

Result<std::optional<std::string>> read_store_marker(const config::ServiceConfig& config) {
  auto text = SANSO_TRY(read_text_file(marker_path(config)));
  if (!text) return std::optional<std::string>{};
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("id=", 0) == 0 && line.size() > 3) return std::optional<std::string>{line.substr(3)};
  }
  return make_error("store.marker", marker_path(config).string(),
                    "holds no store id (id=…): it was edited or damaged. It names the store this installation uses; "
                    "restore it from a backup of the data directory");
}

Result<void> refuse_missing_store(const config::ServiceConfig& config, const store::StoreLocation& location) {
  if (location.backend != store::Backend::kSqlite) return ok();
  auto marker = SANSO_TRY(read_store_marker(config));
  std::error_code ec;
  if (marker && !fs::exists(location.target, ec)) {
    return make_error("store.missing", location.target,
                      "the store is gone, but " + marker_path(config).string() + " says store " + *marker +
                          " was here; no new store is created in its place." + kRecoverHint);
  }
  return ok();
}

Result<void> guard_store_identity(store::Database& db, const config::ServiceConfig& config, const store::StoreLocation& location) {
  auto marker = SANSO_TRY(read_store_marker(config));
  auto row = SANSO_TRY(db.query_one("SELECT id FROM sanso_store_identity WHERE slot = 1"));
  if (marker) {
    if (!row) {
      return make_error("store.replaced", describe(location),
                        "this store has no identity, but " + marker_path(config).string() + " says store " + *marker +
                            " was used here: it was replaced by a new or foreign store." + kRecoverHint);
    }
    if (row->text(0) != *marker) {
      return make_error("store.replaced", describe(location),
                        "this is store " + row->text(0) + ", but " + marker_path(config).string() + " says store " + *marker +
                            " was used here: it was replaced." + kRecoverHint);
    }
    return ok();
  }
  // First use of this data directory: the store gets an id if it has none (a new store, or one
  // from before identities), and the data directory learns it.
  if (!row) {
    unsigned char r[16];
    randombytes_buf(r, sizeof r);
    char id[33];
    sodium_bin2hex(id, sizeof id, r, sizeof r);
    SANSO_TRY(db.execute("INSERT INTO sanso_store_identity (slot, id, created_at) VALUES (1, ?, ?) ON CONFLICT (slot) DO NOTHING",
                         {std::string(id), unix_now()}));
    row = SANSO_TRY(db.query_one("SELECT id FROM sanso_store_identity WHERE slot = 1"));
    if (!row) return make_error("store.marker", describe(location), "the store's identity could not be recorded");
  }
  SANSO_TRY(create_private_directories(config.data_dir));
  std::string text = "# The store this installation uses. Sanso refuses a store with another id, or none, here:\n"
                     "# see docs/operations.md before changing it.\nid=" + row->text(0) + "\nstore=" + describe(location) + "\n";
  // Two commands starting at once write the same id; the rename makes either one whole.
  return replace_private_file(marker_path(config), text);
}

Result<std::optional<audit::Checkpoint>> read_saved_checkpoint(const config::ServiceConfig& config) {
  auto note = SANSO_TRY(read_text_file(checkpoint_path(config)));
  if (!note) return std::optional<audit::Checkpoint>{};
  auto body_end = note->find("\n\n");
  auto parsed = audit::parse_checkpoint(body_end == std::string::npos ? *note : note->substr(0, body_end + 1));
  if (!parsed) {
    return make_error("store.checkpoint", checkpoint_path(config).string(),
                      "is not a signed checkpoint (" + parsed.error().message + "); restore it from a backup of the data directory");
  }
  return std::optional<audit::Checkpoint>{*parsed};
}

Result<void> guard_store_checkpoint(store::Database& db, const config::ServiceConfig& config, const store::StoreLocation& location) {
  auto saved = SANSO_TRY(read_saved_checkpoint(config));
  auto latest = SANSO_TRY(audit::latest_checkpoint(db));
  if (saved) {
    std::string seen = "the checkpoint saved in " + checkpoint_path(config).string() + " (" + std::to_string(saved->size) + " entries)";
    if (!latest || latest->checkpoint.size < saved->size) {
      return make_error("store.rolled-back", describe(location),
                        "the audit log is behind " + seen + ": the store was restored from an older copy or cut short." + kRecoverHint);
    }
    bool consistent = latest->checkpoint.size == saved->size ? latest->checkpoint.root == saved->root : false;
    if (latest->checkpoint.size > saved->size) {
      auto proof = audit::prove_consistency(db, saved->size, latest->checkpoint.size);
      consistent = proof && audit::verify_consistency(saved->size, latest->checkpoint.size, *proof, saved->root, latest->checkpoint.root);
    }
    if (!consistent) {
      return make_error("store.forked", describe(location),
                        "the audit log does not extend " + seen + ": its history was rewritten. Run `sanso audit verify`." + kRecoverHint);
    }
    if (latest->checkpoint.size == saved->size) return ok();
  }
  if (!latest) return ok();
  return replace_private_file(checkpoint_path(config), latest->note);
}

std::string store_marker_file(const config::ServiceConfig& config) { return marker_path(config).string(); }
std::string store_checkpoint_file(const config::ServiceConfig& config) { return checkpoint_path(config).string(); }

}  // namespace sanso::cli
