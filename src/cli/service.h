// What every service subcommand (`store`, `quarantine`, `audit`) needs before it can act: the
// configuration, the policy it names, an open and current store, and the person acting.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "audit/log.h"
#include "cdr/cdr.h"
#include "mail/sanitize.h"
#include "audit/note.h"
#include "config/config.h"
#include "core/digest.h"
#include "core/result.h"
#include "policy/policy.h"
#include "quarantine/quarantine.h"
#include "store/database.h"
#include "store/shared_database.h"

namespace CLI {
class App;
}

namespace sanso::cli {

// The sandboxed workers per engine of a batch command (`mail sanitize --input`, `file sanitize`
// on many files); more items than this are in flight (intake::kBatchInFlight).
constexpr std::size_t kBatchWorkers = 2;

// For a batch command, before its workers are forked (they inherit it): freed memory stays with
// the process for the next item instead of going back to the kernel. A batch allocates and frees
// buffers of every message's size many times; with glibc's defaults each one over 128 KiB is a
// fresh mmap whose every page faults in zeroed, then an munmap.
void keep_freed_memory_for_batch();

// A whole file's bytes (`cli.unreadable` when it cannot be opened or read).
Result<std::string> read_file(const std::string& path);

// A policy file the person named (`sanso policy check FILE`, `--policy`), read as them
// (cli/batch_files.h: under sudo no file they could not read is parsed and echoed), then checked.
Result<policy::Policy> load_persons_policy(const std::string& path, Date today);
// Its text only (`sanso policy check` reports every diagnostic itself).
Result<std::string> read_persons_policy(const std::string& path);

struct ServiceOptions {
  std::string config_path;  // --config; default $SANSO_CONFIG, then /etc/sanso/sanso.toml
  std::string as;           // --as; default $SANSO_USER, then the operating-system account's name
  // A long-running service (milter, web console): its records name their own actors, so they do
  // not carry the operating-system identity of whoever started it.
  bool service_daemon = false;
};

void add_service_options(CLI::App& cmd, ServiceOptions& o, bool needs_actor);

struct Service {
  config::ServiceConfig config;
  policy::Policy policy;
  std::string policy_sha256;  // of the policy file's bytes, recorded in every audit record
  std::string config_sha256;
  // Who runs this command as the kernel knows it (core/os_identity.h); every record it writes
  // carries `via`. Empty for a service daemon.
  std::string via;
};

// Records in the audit log any change of the policy or of sanso.toml since a service last ran.
Result<void> record_setting_changes(const Service& service, store::SharedDatabase& db, audit::AuditLog& log, const std::string& actor);

// Loads sanso.toml and the policy it names, and checks they agree.
Result<Service> load_service(const ServiceOptions& o);

// Opens the store; migrates it when the configuration allows, else insists it is current; and
// makes sure it is the store this installation has been using (store_guard.cc).
// `check_checkpoint` false leaves the saved checkpoint to the caller (`sanso audit verify`, which
// reports what differs in detail).
Result<std::unique_ptr<store::Database>> open_store(const config::ServiceConfig& config, bool check_checkpoint = true);

// store_guard.cc: a store is never started afresh where one existed. data_dir/store.id names the
// store used here (the store keeps the same id); data_dir/audit-checkpoint the latest signed
// checkpoint seen here.
// The id in store.id; none before a store was first used here.
Result<std::optional<std::string>> read_store_marker(const config::ServiceConfig& config);
// "store.missing" when store.id exists but the SQLite file does not: nothing is created in its place.
Result<void> refuse_missing_store(const config::ServiceConfig& config, const store::StoreLocation& location);
// "store.replaced" when the store's id differs from store.id, or it has none; on first use,
// gives the store an id and writes store.id.
Result<void> guard_store_identity(store::Database& db, const config::ServiceConfig& config, const store::StoreLocation& location);
// "store.rolled-back" or "store.forked" when the audit log does not extend the saved checkpoint
// (RFC 9162 consistency proof); otherwise saves the store's latest checkpoint there.
Result<void> guard_store_checkpoint(store::Database& db, const config::ServiceConfig& config, const store::StoreLocation& location);
// The checkpoint saved in the data directory, when there is one.
Result<std::optional<audit::Checkpoint>> read_saved_checkpoint(const config::ServiceConfig& config);
std::string store_marker_file(const config::ServiceConfig& config);
std::string store_checkpoint_file(const config::ServiceConfig& config);

// Watches the SQLite file of a long-running service (milter, web console). Removed or replaced
// while open, the store takes no more writes (store.replaced, checked per transaction); the
// watch also notices it between transactions, prints why, and calls `stop` so that the service
// ends with that error instead of answering every request with a failure.
class StoreWatch {
 public:
  StoreWatch(const config::ServiceConfig& config, std::function<void()> stop);
  ~StoreWatch();
  StoreWatch(const StoreWatch&) = delete;
  StoreWatch& operator=(const StoreWatch&) = delete;
  // The reason the service was stopped; nullopt while the store is in place.
  std::optional<Error> lost() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The audit signing key from [audit] key_file; created (mode 0600) when missing and `create`.
Result<audit::SigningKey> load_audit_key(const Service& service, bool create);
// The audit log every service action is recorded in, signing checkpoints as configured.
Result<std::unique_ptr<audit::AuditLog>> make_audit_log(const Service& service);

// What a service keeps open while it runs: the one connection to the store that all its parts
// share (the quarantine, the audit log, the gateway's sender history, the console accounts), the
// audit log and the quarantine — declared in that order, each outliving what uses it. Any change
// of the policy or sanso.toml is recorded on the way; a release a dead process left half-done is
// resolved before anything else looks at the items.
struct QuarantineSession {
  Service service;
  std::unique_ptr<store::SharedDatabase> db;
  std::unique_ptr<audit::AuditLog> log;
  std::unique_ptr<quarantine::QuarantineStore> store;
};
Result<QuarantineSession> open_quarantine_session(const ServiceOptions& o);
Result<QuarantineSession> open_quarantine_session(Service service);

// The person acting, from --as ($SANSO_USER, else the name of the operating-system account), as
// the configuration's [[users]] know them, with the kernel's account of who runs the command.
Result<quarantine::Actor> resolve_actor(const Service& service, const ServiceOptions& o);

void print_error(const Error& e);
// print_error, then the exit code of a command that failed (kExitFailure).
int fail(const Error& e);

// In a command's run function: the value of a Result, or its error printed and kExitFailure
// returned (a GNU statement expression, as SANSO_TRY).
#define CLI_TRY(expr)                                                                 \
  ({                                                                                  \
    auto&& cli_try_result_ = (expr);                                                  \
    if (!cli_try_result_.has_value()) return ::sanso::cli::fail(cli_try_result_.error()); \
    std::move(cli_try_result_).value();                                               \
  })

// How an approved original leaves the quarantine on `actor`'s behalf: mail is re-sent through
// [quarantine] smtp_relay; files, or anything when `output` is given, are written to `output` or
// into export_dir. Shared by `sanso quarantine release` and the web console.
quarantine::Deliver release_delivery(const Service& service, const std::string& actor, const std::string& output);

// The CDR engine's policy from [cdr] in sanso.toml.
cdr::CdrPolicy cdr_policy_from(const config::CdrSettings& settings);

// The mail sanitizer's options from [mail] and [cdr] (the notice template read and checked; the
// converters attachments need must be installed), one reading for the milter and the CLI; the
// defaults without a configuration. The city's identity (intake::protect_city_identity) comes
// from the policy.
Result<mail::SanitizeOptions> sanitize_options_from(const config::ServiceConfig* config);

// Lower-case hex SHA-256, as audit records carry it.

}  // namespace sanso::cli
