// A quarantine with the connection it runs on, as a service opens them (src/cli/service.cc): the
// store no longer owns a connection of its own. Tests open several (a restart, a child process)
// and drop each as one.
#pragma once

#include <cstddef>
#include <memory>

#include "quarantine/quarantine.h"
#include "store/shared_database.h"

namespace sanso::testing {

class OpenQuarantine {
 public:
  OpenQuarantine() = default;
  OpenQuarantine(std::nullptr_t) {}  // NOLINT: reads as "no store", like the pointer it replaces

  static Result<OpenQuarantine> open(std::unique_ptr<store::Database> db, quarantine::QuarantineStore::Options options) {
    OpenQuarantine q;
    q.db_ = std::make_unique<store::SharedDatabase>(std::move(db));
    q.store_ = SANSO_TRY(quarantine::QuarantineStore::open(*q.db_, std::move(options)));
    return q;
  }

  quarantine::QuarantineStore* operator->() const { return store_.get(); }
  quarantine::QuarantineStore& operator*() const { return *store_; }
  bool operator==(std::nullptr_t) const { return store_ == nullptr; }
  void reset() {
    store_.reset();
    db_.reset();
  }

  store::SharedDatabase& shared() { return *db_; }
  // The connection for a test's own statements, between the store's calls (one thread).
  store::Database& database() { return *db_->use(); }

 private:
  std::unique_ptr<store::SharedDatabase> db_;  // declared first: the store uses it
  std::unique_ptr<quarantine::QuarantineStore> store_;
};

}  // namespace sanso::testing
