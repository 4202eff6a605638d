// PPAP unlock: a password-protected file (blocked as `encrypted` by sanitize()) decrypted with the
// password its sender gives, and its plain content rebuilt by the engine in the same sandboxed job.
// Formats: zip (traditional PKWARE and WinZip AES members, libzip), PDF (qpdf), OOXML with ECMA-376
// Agile or Standard encryption (cdr/unlock/office_crypto.cc, OpenSSL). Legacy binary Office
// encrypted with RC4 (.doc/.xls/.ppt), other archives with passwords (7z, RAR) and ODF stay
// blocked, with the reason. The password is only ever given to a fresh sandboxed child over its
// pipe (never a command line, environment, file or log, never a pooled worker that outlives the
// job), and the job that carried it is wiped once it returns.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "cdr/cdr.h"
#include "core/result.h"
#include "sandbox/sandbox.h"

namespace sanso::cdr {

// The longest password taken, in UTF-8 bytes: Office's 255 characters, generously.
inline constexpr std::size_t kMaxPasswordBytes = 1024;

// Refuses a password that cannot be given faithfully to every decryptor ("unlock.input"): empty,
// longer than kMaxPasswordBytes, not UTF-8, or with NUL or other control characters (libzip and
// qpdf take C strings: "ab\0cd" would be tried as "ab"). Checked before any attempt is counted.
Result<void> check_password(std::string_view password);

// Decrypts `bytes` with `password`: the plain file, to be sanitized next. Errors: "unlock.password"
// (the password is wrong), "unlock.not-encrypted", "unlock.input", or a blocked reason
// "cdr.<reason>" ("unsupported", "malformed", "limit"). Only ever run inside the sandbox.
Result<std::string> decrypt(std::string_view bytes, std::string_view password, const CdrPolicy& policy);

struct UnlockOutcome {
  bool wrong_password = false;  // the password was refused: `result` is blocked ("encrypted")
  CdrResult result;             // the rebuild of the decrypted file, or why it is blocked
  // With keep_decrypted: the decrypted file (empty when nothing was decrypted), for clamd to scan
  // what the encryption hid from it; its holder wipes it once scanned.
  std::string decrypted;
};

// decrypt() and then the engine's rebuild of what came out, in one fresh sandboxed child; a
// crash, timeout or violation is a blocked result, as with sanitize_sandboxed(). A file the policy
// sends through a converter (legacy Office inside a zip, rasterize mode) leaves the child as its
// decrypted bytes and is finished by sanitize_sandboxed, which are wiped afterwards.
UnlockOutcome unlock_sandboxed(std::string_view bytes, std::string_view name, std::string_view password, const CdrPolicy& policy,
                               bool keep_decrypted = false);

// The unlock as a sandboxed task, for a service with threads to start as a pool before them
// (sandbox::start(unlock_task(p), Launch::pool(n))): a child forked from a threaded process can
// inherit a lock another thread held (ASan's allocator hung so, f615a9f), a pool's workers are
// forked from its template of one thread. Each worker serves ONE job (jobs_per_worker = 1) and
// exits: a long-lived worker would keep the last password and decrypted contents in its memory
// until its next job overwrote them; this way they die with the job, as with a fork per job.
sandbox::Task unlock_task(const CdrPolicy& policy);
// unlock_sandboxed through `unlocker` (an executor of unlock_task) and, for a file that leaves
// through a converter, `engine` (an executor of engine_task).
UnlockOutcome unlock_sandboxed(sandbox::Executor& unlocker, sandbox::Executor& engine, std::string_view bytes, std::string_view name,
                               std::string_view password, const CdrPolicy& policy, bool keep_decrypted = false);

}  // namespace sanso::cdr
