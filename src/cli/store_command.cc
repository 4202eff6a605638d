// `sanso store init|migrate|status`: the store itself and its schema, changed only deliberately.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <ctime>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/service.h"
#include "store/schema.h"

namespace sanso::cli {
namespace {

Result<std::unique_ptr<store::Database>> open_unmigrated(const ServiceOptions& o) {
  auto service = SANSO_TRY(load_service(o));
  auto location = SANSO_TRY(store::parse_store_location(service.config.store, service.config.data_dir));
  SANSO_TRY(refuse_missing_store(service.config, location));
  return store::open_database(location);
}

bool is_lost_store(const Error& e) {
  return e.code == "store.missing" || e.code == "store.replaced" || e.code == "store.rolled-back" || e.code == "store.forked";
}

// Begins a new store where the data directory knew another: the old store.id and checkpoint are
// kept beside it under a dated name, and the new log's first word is the restart, naming both.
Result<std::string> reinitialise(const Service& service, const Error& why) {
  namespace fs = std::filesystem;
  const config::ServiceConfig& c = service.config;
  auto old_id = read_store_marker(c);
  auto old_checkpoint = read_saved_checkpoint(c);
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  std::vector<std::string> kept;
  for (const std::string& file : {store_marker_file(c), store_checkpoint_file(c)}) {
    std::error_code ec;
    if (!fs::exists(file, ec)) continue;
    std::string to = file + ".replaced-" + stamp;
    fs::rename(file, to, ec);
    if (ec) return make_error("store.io", file, "cannot set it aside: " + ec.message());
    kept.push_back(to);
  }
  auto log = SANSO_TRY(make_audit_log(service));
  auto db = SANSO_TRY(open_store(c));
  auto id = SANSO_TRY(read_store_marker(c));
  store::AuditEvent e;
  e.actor = service.config.node;
  e.action = "store.init";
  e.subject = id.value_or("");
  e.outcome = "replaced";
  e.details = {{"reason", why.code}, {"previous_store", old_id && *old_id ? **old_id : std::string("unknown")}};
  if (old_checkpoint && *old_checkpoint) {
    e.details.emplace_back("previous_checkpoint", std::to_string((*old_checkpoint)->size) + " " + audit::to_base64((*old_checkpoint)->root));
  }
  std::string kept_as;
  for (const auto& k : kept) kept_as += (kept_as.empty() ? "" : ", ") + k;
  if (!kept_as.empty()) e.details.emplace_back("kept_as", kept_as);
  SANSO_TRY(log->append_now(*db, e));
  return id.value_or("");
}

int run_init(const ServiceOptions& o, bool force) {
  auto service = load_service(o);
  if (!service) return print_error(service.error()), kExitFailure;
  auto db = open_store(service->config);
  if (db) {
    auto id = read_store_marker(service->config);
    std::printf("ストアは使用中です: %s (id %s)\n", (*db)->describe().c_str(), id && *id ? (*id)->c_str() : "?");
    return kExitOk;
  }
  if (!is_lost_store(db.error()) || !force) {
    print_error(db.error());
    return kExitFailure;
  }
  auto id = reinitialise(*service, db.error());
  if (!id) return print_error(id.error()), kExitFailure;
  std::printf("新しいストアを開始しました (id %s)。以前のストアの id とチェックポイントは data_dir に残し、監査ログに store.init として記録しました。\n",
              id->c_str());
  return kExitOk;
}

int run_migrate(const ServiceOptions& o) {
  auto db = open_unmigrated(o);
  if (!db) return print_error(db.error()), kExitFailure;
  auto applied = store::migrate(**db);
  if (!applied) return print_error(applied.error()), kExitFailure;
  if (applied->empty()) {
    std::printf("ストアは最新です (%s)\n", (*db)->describe().c_str());
  }
  for (const auto& v : *applied) std::printf("適用: version %d — %s\n", v.version, v.description.c_str());
  return kExitOk;
}

int run_status(const ServiceOptions& o, bool json) {
  auto db = open_unmigrated(o);
  if (!db) return print_error(db.error()), kExitFailure;
  auto status = store::schema_status(**db);
  if (!status) return print_error(status.error()), kExitFailure;
  if (json) {
    nlohmann::json j{{"store", (*db)->describe()},
                     {"backend", (*db)->backend() == store::Backend::kSqlite ? "sqlite" : "postgresql"},
                     {"current", status->current},
                     {"latest", status->latest},
                     {"applied", nlohmann::json::array()},
                     {"pending", nlohmann::json::array()}};
    for (const auto& v : status->applied) j["applied"].push_back({{"version", v.version}, {"description", v.description}, {"applied_at", v.applied_at}});
    for (const auto& v : status->pending) j["pending"].push_back({{"version", v.version}, {"description", v.description}});
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("ストア: %s (%s)\n", (*db)->describe().c_str(), (*db)->backend() == store::Backend::kSqlite ? "SQLite" : "PostgreSQL");
    std::printf("スキーマ: version %d / 最新 %d\n", status->current, status->latest);
    for (const auto& v : status->applied) std::printf("  適用済み %d  %s  %s\n", v.version, v.applied_at.c_str(), v.description.c_str());
    for (const auto& v : status->pending) std::printf("  未適用   %d  %s\n", v.version, v.description.c_str());
    if (!status->pending.empty()) std::printf("`sanso store migrate --config …` で適用します。\n");
  }
  return status->pending.empty() && status->current == status->latest ? kExitOk : kExitFailure;
}

}  // namespace

void register_store_command(CLI::App& app, int& exit_code) {
  CLI::App* store = app.add_subcommand("store", "the database: its identity, schema version and migrations");
  store->require_subcommand(1);
  auto o = std::make_shared<ServiceOptions>();
  CLI::App* init = store->add_subcommand("init", "create the store on first use; with --force, begin a new one where a lost one was");
  add_service_options(*init, *o, false);
  auto force = std::make_shared<bool>(false);
  init->add_flag("--force", *force,
                 "the store is missing, replaced or rolled back and cannot be restored: begin a new one here (recorded; "
                 "the old id and checkpoint are kept)");
  init->callback([&exit_code, o, force] { exit_code = run_init(*o, *force); });
  CLI::App* migrate = store->add_subcommand("migrate", "apply pending schema versions (each all-or-nothing)");
  add_service_options(*migrate, *o, false);
  migrate->callback([&exit_code, o] { exit_code = run_migrate(*o); });
  CLI::App* status = store->add_subcommand("status", "applied and pending schema versions (exit 1 when migration is needed)");
  add_service_options(*status, *o, false);
  auto json = std::make_shared<bool>(false);
  status->add_flag("--json", *json, "machine-readable output");
  status->callback([&exit_code, o, json] { exit_code = run_status(*o, *json); });
}

}  // namespace sanso::cli
