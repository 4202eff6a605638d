// The attachments of one message through the CDR engine's sandbox in batches: one child (or one
// worker round-trip) rebuilds many small files, instead of a fork or a pipe round-trip each —
// 900 small attachments cost 900 sandboxed rebuilds before (issue #22).
//
// Each file keeps its own verdict. A batch whose child crashes, hangs, answers too much or
// answers garbage tells nothing about any one file in it, so each of its files is rebuilt again
// alone (fail closed: that single run blocks whatever fails); a file the policy wants through a
// converter (legacy Office, rasterize) is finished alone too, by the per-file engine that can.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "cdr/cdr.h"
#include "core/result.h"
#include "sandbox/sandbox.h"

namespace sanso::mail {

struct AttachmentInput {
  std::string_view bytes;
  std::string_view name;
};

// How much goes into one batch. A file larger than max_bytes goes alone.
struct BatchLimits {
  std::size_t max_bytes = std::size_t{8} << 20;
  std::size_t max_files = 64;
};

// What the batch child may answer at most: the rebuilt files of a batch within the limits and
// their reports (sandbox::Limits::output_bytes of the batch worker).
std::size_t batch_output_limit(const BatchLimits& limits);

// [begin, end) ranges of `inputs`, in order, each within `limits`.
std::vector<std::pair<std::size_t, std::size_t>> batch_ranges(const std::vector<AttachmentInput>& inputs, const BatchLimits& limits);

// One batch as it crosses to the child, and the child's work on it: the engine's own pass over
// each file (a conversion left for the parent to finish), the results framed one after another.
std::string encode_batch(const std::vector<AttachmentInput>& inputs, std::size_t begin, std::size_t end);
Result<std::string> rebuild_batch(std::string_view job, const cdr::CdrPolicy& policy);

// The child's answer as one result per file; an error when it does not hold exactly `expected`.
Result<std::vector<cdr::CdrResult>> decode_batch_answer(std::string_view answer, std::size_t expected);

// rebuild_batch under `policy` as sandboxed work: the engine's memory allowance, one file's time
// (a batch that needs more is run again file by file, each with its own), the output of a batch
// within `limits`. A pooled worker serves a few batches only: what it keeps from one is short-lived.
sandbox::Task batch_task(const cdr::CdrPolicy& policy, const BatchLimits& limits = {});

// One result per input, in order: batches through `batches` (an executor of batch_task(policy,
// limits)), a file alone through `files` (an executor of cdr::engine_task(policy)), each fail
// closed on its own. With `clamd` set, each input and its rebuilt form are scanned as
// cdr::with_antivirus does.
std::vector<cdr::CdrResult> rebuild_in_batches(const std::vector<AttachmentInput>& inputs, const std::string& clamd, sandbox::Executor& batches,
                                               sandbox::Executor& files, const cdr::CdrPolicy& policy, const BatchLimits& limits = {});

}  // namespace sanso::mail
