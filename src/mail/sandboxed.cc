#include "mail/sanitize.h"

#include <gmime/gmime.h>

#include <nlohmann/json.hpp>

#include "cdr/clamd.h"
#include "mail/internal/message_text.h"
#include "mime/charset.h"
#include "mime/header.h"
#include "mime/html_text.h"
#include "sandbox/sandbox.h"

namespace sanso::mail {

using internal::attachment_action_for;

namespace {

void prepare_mail_sandbox() {
  g_mime_init();
  mime::prepare_charsets();
  (void)mime::html_to_text("<p>warm</p>");
}

// The sandbox around one batch of attachments: the engine's memory allowance, one file's time
// (a batch that needs more is run again file by file, each with its own), the output of a batch.
sandbox::Limits batch_sandbox_limits(const cdr::CdrPolicy& policy, const BatchLimits& batch) {
  sandbox::Limits limits;
  limits.timeout = policy.timeout;
  limits.memory_bytes = std::size_t{3} << 30;
  limits.output_bytes = batch_output_limit(batch);
  return limits;
}

// Fail closed: whatever happened in the sandbox, nothing of the message passes.
SanitizePlan held_for(const Error& e) {
  SanitizePlan held;
  held.verdict = Verdict::kHeld;
  held.reason = e.message + " [" + e.code + "]";
  return held;
}

}  // namespace

SanitizePlan sanitize_sandboxed(std::string_view raw, const SanitizeOptions& options) {
  mime::preload_charsets();  // once per process; every sandboxed child inherits the converters
  // The message is parsed in one sandbox; its attachments are rebuilt by the CDR engine in others,
  // so a hostile file cannot reach the message's text. Attachments of the same message may share
  // one (a batch): whoever sent one sent them all, and two messages never share a batch.
  auto answer = sandbox::run(
      [&options](std::string_view input) -> Result<std::string> { return plan_to_json(plan_message(input, options), true); }, raw,
      sandbox::Limits{}, &prepare_mail_sandbox);
  Result<SanitizePlan> plan = answer ? plan_from_json(*answer) : Result<SanitizePlan>(answer.error());
  if (!plan) return held_for(plan.error());
  // A file that needs more than a batch gives, or whose batch fails, gets a child of its own.
  finish_attachments(*plan, options, [&options](const std::vector<AttachmentInput>& inputs) {
    const BatchLimits limits;
    const sandbox::Limits batch_limits = batch_sandbox_limits(options.cdr, limits);
    return rebuild_in_batches(
        inputs, options.clamd,
        [&](std::string_view job) {
          return sandbox::run([&](std::string_view in) { return rebuild_batch(in, options.cdr); }, job, batch_limits, &cdr::prepare_sandbox);
        },
        [&](std::string_view bytes, std::string_view name) { return cdr::sanitize_sandboxed(bytes, name, options.cdr); }, limits);
  });
  check_sender(*plan, options);
  return std::move(plan).value();
}

struct MailWorkers::State {
  std::unique_ptr<sandbox::WorkerPool> parse;
  std::unique_ptr<sandbox::WorkerPool> rebuild_batches;
  std::unique_ptr<cdr::SanitizerPool> rebuild;  // one file alone: a failed batch's files, conversions
};

MailWorkers::~MailWorkers() = default;

Result<std::unique_ptr<MailWorkers>> MailWorkers::create(const SanitizeOptions& options, std::size_t workers) {
  // The parse keeps every attachment's bytes; sanitize() applies the per-message choice after.
  mime::preload_charsets();  // once per process; every pre-forked worker inherits the converters
  SanitizeOptions parse_options = options;
  parse_options.attachment_action = AttachmentAction::kSanitize;
  parse_options.attachment_rules.clear();
  sandbox::WorkerPool::Options o;
  o.workers = workers;
  o.jobs_per_worker = 200;
  auto parse = sandbox::WorkerPool::create(
      [parse_options](std::string_view input) -> Result<std::string> { return plan_to_json(plan_message(input, parse_options), true); },
      &prepare_mail_sandbox, o);
  if (!parse) return std::move(parse).error();
  auto rebuild = cdr::SanitizerPool::create(options.cdr, workers);
  if (!rebuild) return std::move(rebuild).error();
  sandbox::WorkerPool::Options batch_options;
  batch_options.workers = workers;
  batch_options.jobs_per_worker = 10;  // up to 640 files: what a worker keeps from one is short-lived
  batch_options.limits = batch_sandbox_limits(options.cdr, BatchLimits{});
  auto batches = sandbox::WorkerPool::create([policy = options.cdr](std::string_view job) { return rebuild_batch(job, policy); },
                                             &cdr::prepare_sandbox, batch_options);
  if (!batches) return std::move(batches).error();
  std::unique_ptr<MailWorkers> out(new MailWorkers());
  out->state_ = std::make_unique<State>();
  out->state_->parse = std::move(parse).value();
  out->state_->rebuild_batches = std::move(batches).value();
  out->state_->rebuild = std::move(rebuild).value();
  return out;
}

SanitizePlan MailWorkers::sanitize(std::string_view raw, const SanitizeOptions& options) {
  auto answer = state_->parse->run(raw);
  Result<SanitizePlan> plan = answer ? plan_from_json(*answer) : Result<SanitizePlan>(answer.error());
  if (!plan) return held_for(plan.error());
  // What the parse left pending by extension: removed or rejected here, as plan_message would have.
  std::vector<std::pair<std::size_t, std::string>> keep;
  for (auto& [index, bytes] : plan->pending) {
    PartReport& part = plan->parts[index];
    const AttachmentAction action = attachment_action_for(part.name, "", options);
    if (action == AttachmentAction::kSanitize) {
      keep.emplace_back(index, std::move(bytes));
    } else if (action == AttachmentAction::kReject) {
      part.action = PartAction::kRejected;
      plan->verdict = Verdict::kHeld;
      plan->reason = options.lang != "en" ? "添付ファイル " + part.name + " はポリシーにより受け付けられません" : "the attachment " + part.name + " is not accepted by policy";
    } else {
      part.action = PartAction::kRemoved;
    }
  }
  plan->pending = plan->verdict == Verdict::kHeld ? decltype(keep){} : std::move(keep);
  finish_attachments(*plan, options, [&](const std::vector<AttachmentInput>& inputs) {
    return rebuild_in_batches(
        inputs, options.clamd, [&](std::string_view job) { return state_->rebuild_batches->run(job); },
        [&](std::string_view bytes, std::string_view name) { return state_->rebuild->sanitize(bytes, name); });
  });
  check_sender(*plan, options);
  return std::move(plan).value();
}

}  // namespace sanso::mail
