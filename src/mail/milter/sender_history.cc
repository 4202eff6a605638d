#include "mail/milter/sender_history.h"

#include <chrono>

namespace sanso::mail {

Result<bool> SenderHistory::seen_before(const std::string& address) {
  if (address.empty()) return true;
  auto db = db_.use();
  auto row = SANSO_TRY(db->query_one("SELECT messages FROM mail_senders WHERE address = ?", {address}));
  return row.has_value();
}

Result<void> SenderHistory::count(store::Database& db, const std::string& address) const {
  if (address.empty()) return ok();
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  SANSO_TRY(db.execute("INSERT INTO mail_senders (address, first_seen, last_seen, messages) VALUES (?, ?, ?, 1) "
                       "ON CONFLICT (address) DO UPDATE SET last_seen = excluded.last_seen, messages = mail_senders.messages + 1",
                       {address, now, now}));
  return ok();
}

}  // namespace sanso::mail
