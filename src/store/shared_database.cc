#include "store/shared_database.h"

#include <exception>

namespace sanso::store {

SharedDatabase::SharedDatabase(std::unique_ptr<Database> db) : db_(std::move(db)) {}

SharedDatabase::Use SharedDatabase::use() { return Use{std::unique_lock(db_mu_), *db_}; }

Result<void> SharedDatabase::commit_batch(const std::vector<Pending*>& batch) {
  std::lock_guard lock(db_mu_);
  try {
    auto tx = SANSO_TRY(Transaction::begin(*db_));
    for (const Pending* p : batch) SANSO_TRY((*p->work)(*db_));
    return tx.commit();
  } catch (const std::exception& e) {
    // A stray exception must not leave the queue without a leader (every writer would wait for
    // ever); the transaction was rolled back on the way out.
    return make_error("store.io", db_->describe(), std::string("a write failed: ") + e.what());
  }
}

Result<void> SharedDatabase::commit(const std::function<Result<void>(Database&)>& work) {
  Pending mine{&work, ok()};
  std::unique_lock lock(queue_mu_);
  queue_.push_back(&mine);
  // Whoever finds no commit running leads: it takes everything queued so far into one
  // transaction; the others wait for it, and the next of them leads the work queued meanwhile.
  while (!mine.done) {
    if (leader_active_) {
      queue_cv_.wait(lock);
      continue;
    }
    leader_active_ = true;
    std::vector<Pending*> batch;
    batch.swap(queue_);
    lock.unlock();
    Result<void> result = commit_batch(batch);
    if (!result && batch.size() > 1) {
      for (Pending* p : batch) p->result = commit_batch({p});
    } else {
      for (Pending* p : batch) p->result = result;
    }
    lock.lock();
    for (Pending* p : batch) p->done = true;
    leader_active_ = false;
    queue_cv_.notify_all();
  }
  return mine.result;
}

}  // namespace sanso::store
