// What every service subcommand (`store`, `quarantine`, `audit`) needs before it can act: the
// configuration, the policy it names, an open and current store, and the person acting.
#pragma once

#include <memory>
#include <string>

#include "audit/log.h"
#include "cdr/cdr.h"
#include "audit/note.h"
#include "config/config.h"
#include "core/digest.h"
#include "core/result.h"
#include "policy/policy.h"
#include "quarantine/quarantine.h"
#include "store/database.h"

namespace CLI {
class App;
}

namespace sanso::cli {

struct ServiceOptions {
  std::string config_path;  // --config; default $SANSO_CONFIG, then /etc/sanso/sanso.toml
  std::string as;           // --as; default $SANSO_USER, $SUDO_USER, $USER
};

void add_service_options(CLI::App& cmd, ServiceOptions& o, bool needs_actor);

struct Service {
  config::ServiceConfig config;
  policy::Policy policy;
  std::string policy_sha256;  // of the policy file's bytes, recorded in every audit record
  std::string config_sha256;
};

// Records in the audit log any change of the policy or of sanso.toml since a service last ran.
Result<void> record_setting_changes(const Service& service, store::Database& db, audit::AuditLog& log, const std::string& actor);

// Loads sanso.toml and the policy it names, and checks they agree.
Result<Service> load_service(const ServiceOptions& o);

// Opens the store; migrates it when the configuration allows, else insists it is current.
Result<std::unique_ptr<store::Database>> open_store(const config::ServiceConfig& config);

// The audit signing key from [audit] key_file; created (mode 0600) when missing and `create`.
Result<audit::SigningKey> load_audit_key(const Service& service, bool create);
// The audit log every service action is recorded in, signing checkpoints as configured.
Result<std::unique_ptr<audit::AuditLog>> make_audit_log(const Service& service);

// The quarantine with its audit log; the log must outlive the store.
Result<std::unique_ptr<quarantine::QuarantineStore>> open_quarantine(const Service& service, audit::AuditLog& log);

// A service, its audit log and its quarantine, opened together by the commands that act on the
// quarantine; any change of the policy or sanso.toml is recorded on the way.
struct QuarantineSession {
  Service service;
  std::unique_ptr<audit::AuditLog> log;  // declared before the store: it outlives it
  std::unique_ptr<quarantine::QuarantineStore> store;
};
Result<QuarantineSession> open_quarantine_session(const ServiceOptions& o);

// The person acting, from --as or the environment, as the configuration's [[users]] know them.
Result<quarantine::Actor> resolve_actor(const Service& service, const ServiceOptions& o);

void print_error(const Error& e);

// How an approved original leaves the quarantine on `actor`'s behalf: mail is re-sent through
// [quarantine] smtp_relay; files, or anything when `output` is given, are written to `output` or
// into export_dir. Shared by `sanso quarantine release` and the web console.
quarantine::Deliver release_delivery(const Service& service, const std::string& actor, const std::string& output);

// The CDR engine's policy from [cdr] in sanso.toml.
cdr::CdrPolicy cdr_policy_from(const config::CdrSettings& settings);

// Lower-case hex SHA-256, as audit records carry it.

}  // namespace sanso::cli
