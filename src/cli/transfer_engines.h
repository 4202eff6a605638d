// The transfer service (src/transfer) on a quarantine session, with the sandboxed engines it runs
// (the CDR engine, with clamd when configured, and the outgoing scan): shared by `sanso transfer`
// and the console's transfer pages (`sanso web`).
#pragma once

#include <memory>

#include "cli/service.h"
#include "policy/decide.h"
#include "sandbox/sandbox.h"
#include "transfer/transfer.h"

namespace sanso::cli {

// Everything must go before the quarantine session it was opened on.
struct TransferEngines {
  std::unique_ptr<policy::CompiledPolicy> policy;
  std::unique_ptr<sandbox::Executor> engine;
  std::unique_ptr<sandbox::Executor> scanner;
  std::unique_ptr<sandbox::Executor> unlocker;  // PPAP: cdr::unlock_task, one job a worker
  std::unique_ptr<transfer::TransferService> service;
};
// `launch`: a fork per job for a command on its own; a service with threads (`sanso web`) asks for
// pools here, before its threads start — a child forked from a threaded process can inherit a lock
// another thread held (it hung in the allocator's lock under ASan), a pool's workers never are.
Result<TransferEngines> open_transfer_engines(QuarantineSession& quarantine, const sandbox::Launch& launch = sandbox::Launch::fork_per_job());

}  // namespace sanso::cli
