// SenderHistory: which internet addresses the mail gateway has delivered mail from before, so that
// a first-time sender's attachments can be treated more strictly ([mail]
// strict_for_first_time_senders). Kept in the store (mail_senders), on the service's connection;
// the count of a delivered message is written in the transaction that keeps its original, so a
// message that was not kept is not counted.
#pragma once

#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "store/shared_database.h"

namespace sanso::mail {

class SenderHistory {
 public:
  // `clock`: when senders were first and last seen. Both must outlive the history.
  SenderHistory(store::SharedDatabase& db, const Clock& clock) : db_(db), clock_(clock) {}

  // Whether mail from this address (lower case) was delivered before. A bounce (no address)
  // has no sender to be new.
  Result<bool> seen_before(const std::string& address);
  // Counts one more message from the address, inside the caller's open transaction on `db`.
  Result<void> count(store::Database& db, const std::string& address) const;

 private:
  store::SharedDatabase& db_;
  const Clock& clock_;
};

}  // namespace sanso::mail
