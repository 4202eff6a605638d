// SharedDatabase: the one connection a service opens (src/cli/service.cc) and lends to its parts —
// the quarantine, the audit log, the mail gateway's sender history, the console accounts — so that
// none of them lends its own to the others. Statements of different threads never interleave on
// it, and every write a caller must see durable before it answers goes through one group commit:
// the work handed in meanwhile by other threads shares one transaction, and one disk sync.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "store/database.h"

namespace sanso::store {

class SharedDatabase {
 public:
  explicit SharedDatabase(std::unique_ptr<Database> db);
  SharedDatabase(const SharedDatabase&) = delete;
  SharedDatabase& operator=(const SharedDatabase&) = delete;

  Backend backend() const { return db_->backend(); }
  const std::string& describe() const { return db_->describe(); }

  // The connection to the caller alone for as long as the lock lives: reads, or a transaction of
  // the caller's own. Work run under it must not ask for the lock again, nor commit().
  struct Use {
    std::unique_lock<std::mutex> lock;
    Database& db;
    Database* operator->() const { return &db; }
    Database& operator*() const { return db; }
  };
  Use use();

  // Runs `work` in a write transaction shared with whatever other threads hand in meanwhile, and
  // returns once that transaction is committed. If the shared transaction fails, each work runs
  // again in a transaction of its own, so one failing work does not fail its neighbours: work
  // must write only through the connection it is given (a rollback undoes all of it) and may be
  // run twice. It must not take use() nor call commit().
  Result<void> commit(const std::function<Result<void>(Database&)>& work);

 private:
  struct Pending {
    const std::function<Result<void>(Database&)>* work;
    Result<void> result;
    bool done = false;
  };
  Result<void> commit_batch(const std::vector<Pending*>& batch);

  std::unique_ptr<Database> db_;
  std::mutex db_mu_;  // the connection: statements never interleave

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<Pending*> queue_;
  bool leader_active_ = false;
};

}  // namespace sanso::store
