#include "cli/service.h"

#include <CLI/CLI.hpp>
#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "core/clock.h"
#include "policy/check.h"
#include "store/schema.h"

namespace sanso::cli {

void add_service_options(CLI::App& cmd, ServiceOptions& o, bool needs_actor) {
  cmd.add_option("--config", o.config_path, "service configuration (sanso.toml); default $SANSO_CONFIG or /etc/sanso/sanso.toml");
  if (needs_actor) cmd.add_option("--as", o.as, "who is acting (a [[users]] name in sanso.toml); default $SANSO_USER, $SUDO_USER, $USER");
}

void print_error(const Error& e) { std::fprintf(stderr, "sanso: %s\n", e.to_string().c_str()); }

Result<Service> load_service(const ServiceOptions& o) {
  std::string path = o.config_path;
  if (path.empty()) {
    const char* env = std::getenv("SANSO_CONFIG");
    path = env != nullptr ? env : "/etc/sanso/sanso.toml";
  }
  Service s;
  s.config = SANSO_TRY(config::load_config(path));
  s.policy = SANSO_TRY(policy::load_checked_policy(s.config.policy_file, system_clock().today()));
  SANSO_TRY(config::check_config_against_policy(s.config, s.policy));
  return s;
}

Result<std::unique_ptr<store::Database>> open_store(const config::ServiceConfig& config) {
  auto location = SANSO_TRY(store::parse_store_location(config.store, config.data_dir));
  auto db = SANSO_TRY(store::open_database(location));
  if (config.auto_migrate) {
    SANSO_TRY(store::migrate(*db));
  } else {
    SANSO_TRY(store::require_current_schema(*db));
  }
  return db;
}

Result<std::unique_ptr<quarantine::QuarantineStore>> open_quarantine(const Service& service) {
  auto db = SANSO_TRY(open_store(service.config));
  quarantine::QuarantineStore::Options o;
  o.settings = service.config.quarantine;
  o.blob_dir = (std::filesystem::path(service.config.data_dir) / "quarantine").string();
  o.key_file = service.config.key_file;
  o.node = service.config.node;
  return quarantine::QuarantineStore::open(std::move(db), std::move(o));
}

Result<quarantine::Actor> resolve_actor(const Service& service, const ServiceOptions& o) {
  std::string name = o.as;
  for (const char* var : {"SANSO_USER", "SUDO_USER", "USER"}) {
    if (!name.empty()) break;
    if (const char* v = std::getenv(var)) name = v;
  }
  if (name.empty()) {
    if (passwd* pw = getpwuid(getuid())) name = pw->pw_name;
  }
  const config::Operator* op = service.config.find_operator(name);
  if (op == nullptr) {
    return make_error("cli.unknown-user", service.config.source,
                      "'" + name + "' is not listed in [[users]]; add them with their policy roles, or act with --as NAME");
  }
  return quarantine::Actor{op->name, op->roles};
}

std::string local_time(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %z", &tm);
  return buf;
}

}  // namespace sanso::cli
