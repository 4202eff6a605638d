// `sanso store migrate|status`: the schema of the store, changed only deliberately.
#include <CLI/CLI.hpp>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/service.h"
#include "store/schema.h"

namespace sanso::cli {
namespace {

Result<std::unique_ptr<store::Database>> open_unmigrated(const ServiceOptions& o) {
  auto service = SANSO_TRY(load_service(o));
  auto location = SANSO_TRY(store::parse_store_location(service.config.store, service.config.data_dir));
  return store::open_database(location);
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
  return status->current == status->latest ? kExitOk : kExitFailure;
}

}  // namespace

void register_store_command(CLI::App& app, int& exit_code) {
  CLI::App* store = app.add_subcommand("store", "the database: schema version and migrations");
  store->require_subcommand(1);
  auto o = std::make_shared<ServiceOptions>();
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
