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
  std::unique_ptr<transfer::TransferService> service;
};
Result<TransferEngines> open_transfer_engines(QuarantineSession& quarantine);

}  // namespace sanso::cli
