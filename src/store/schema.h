// The versioned schema of the store, and `sanso store migrate|status`.
//
// Versions only ever get added; an applied version is never edited. Each names what it adds so
// that `store status` can show an administrator what a migration will do before it runs.
#pragma once

#include <string>
#include <vector>

#include "store/database.h"

namespace sanso::store {

struct SchemaVersion {
  int version = 0;
  std::string description;
  std::string applied_at;  // ISO 8601 UTC; empty when pending
};

struct SchemaStatus {
  int current = 0;  // highest applied version (0: empty store)
  int latest = 0;   // highest version this build knows
  std::vector<SchemaVersion> applied;
  std::vector<SchemaVersion> pending;
};

Result<SchemaStatus> schema_status(Database& db);

// Applies every pending version, each in its own transaction (all of it or none of it), holding
// a lock so that two nodes migrating one PostgreSQL at once apply each version exactly once.
// Returns the versions it applied.
Result<std::vector<SchemaVersion>> migrate(Database& db);

// An error unless the store is at exactly the version this build expects (older: run migrate;
// newer: this binary is too old for the store).
Result<void> require_current_schema(Database& db);

}  // namespace sanso::store
