// A person's one-time code checked against the TOTP secret the console enrolled for them
// (`sanso user totp`, table console_accounts), for a decision made outside a console session: an
// exception approved from the command line by a role with `mfa`. The same rules as the console:
// each code is accepted once, by whichever path uses it first (the step of the last code used is
// kept), and a wrong code counts against the account like a wrong password — [web] max_failures
// of them lock it for [web] lockout_minutes, for the console and here alike.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"
#include "store/database.h"

namespace sanso::auth {

enum class CodeCheck : std::uint8_t {
  kAccepted,
  kWrong,            // wrong, or used already
  kLocked,           // too many wrong codes or passwords: nothing is checked until the lock ends
  kNoSecondFactor,   // the person has no enrolled secret
};
std::string_view to_string(CodeCheck check);  // "accepted", "bad-code", "locked", "no-second-factor"

struct CodeLimits {
  std::int64_t max_failures = 5;
  std::int64_t lockout_seconds = 15 * 60;
};

// Checks and, when right, uses `code` for console account `name` as of `now` (Unix seconds), in
// one transaction of its own.
Result<CodeCheck> use_one_time_code(store::Database& db, const std::string& name, const std::string& code, std::int64_t now,
                                    const CodeLimits& limits);

}  // namespace sanso::auth
