#include "auth/one_time_code.h"

#include "auth/totp.h"

namespace sanso::auth {

std::string_view to_string(CodeCheck check) {
  switch (check) {
    case CodeCheck::kAccepted: return "accepted";
    case CodeCheck::kWrong: return "bad-code";
    case CodeCheck::kLocked: return "locked";
    case CodeCheck::kNoSecondFactor: return "no-second-factor";
  }
  return "bad-code";
}

Result<CodeCheck> use_one_time_code(store::Database& db, const std::string& name, const std::string& code, std::int64_t now,
                                    const CodeLimits& limits) {
  auto tx = SANSO_TRY(store::Transaction::begin(db));
  auto row = SANSO_TRY(db.query_one("SELECT totp_secret, totp_last_step FROM console_accounts WHERE name = ?", {name}));
  const auto secret = row ? base32_decode(row->text(0)) : std::nullopt;
  if (!secret || secret->empty()) return CodeCheck::kNoSecondFactor;
  // The attempt is counted before the code is looked at (as a sign-in's): a locked account, or
  // one with max_failures attempts under way, checks nothing.
  const auto taken = SANSO_TRY(db.execute("UPDATE console_accounts SET failures = failures + 1 WHERE name = ? AND locked_until <= ? AND failures < ?",
                                          {name, now, limits.max_failures}));
  if (taken == 0) {
    SANSO_TRY(tx.commit());
    return CodeCheck::kLocked;
  }
  const auto step = unused_totp_step(*secret, code, now, row->integer(1));
  // Used once: the step moves only forward, so that of two uses of one code only the first counts.
  const auto used = step ? SANSO_TRY(db.execute("UPDATE console_accounts SET totp_last_step = ?, failures = 0 WHERE name = ? AND totp_last_step < ?",
                                                {*step, name, *step}))
                         : 0;
  if (used == 0) {
    SANSO_TRY(db.execute("UPDATE console_accounts SET failures = 0, locked_until = ? WHERE name = ? AND failures >= ?",
                         {now + limits.lockout_seconds, name, limits.max_failures}));
  }
  SANSO_TRY(tx.commit());
  return used == 0 ? CodeCheck::kWrong : CodeCheck::kAccepted;
}

}  // namespace sanso::auth
