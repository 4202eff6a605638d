#include "mail/sanitize.h"

#include <gmime/gmime.h>

#include <cstdint>

#include <nlohmann/json.hpp>

#include "mime/charset.h"
#include "mime/html_text.h"

namespace sanso::mail {

namespace {

void prepare_mail_sandbox() {
  g_mime_init();
  mime::prepare_charsets();
  (void)mime::html_to_text("<p>warm</p>");
}

// A parse job: the message's own attachment choice, then the message. The choice travels with
// each message because a service's executor serves every sender, and a risky one gets a stricter
// choice; the rule itself is applied once, by plan_message and finish_attachments.
std::string parse_job(std::string_view raw, const SanitizeOptions& options) {
  nlohmann::json rules = nlohmann::json::object();
  for (const auto& [key, action] : options.attachment_rules) rules[key] = std::string(to_string(action));
  const std::string choice = nlohmann::json{{"action", std::string(to_string(options.attachment_action))}, {"rules", rules}}.dump();
  std::string job;
  job.reserve(4 + choice.size() + raw.size());
  for (int i = 0; i < 4; ++i) job.push_back(static_cast<char>((choice.size() >> (8 * i)) & 0xFF));
  job.append(choice);
  job.append(raw);
  return job;
}

// In the child: the parse of one job under the executor's options with the job's attachment choice.
Result<std::string> parse_in_child(std::string_view job, SanitizeOptions options) {
  std::size_t n = 0;
  if (job.size() >= 4) {
    for (int i = 0; i < 4; ++i) n |= static_cast<std::size_t>(static_cast<unsigned char>(job[static_cast<std::size_t>(i)])) << (8 * i);
  }
  if (job.size() < 4 || n > job.size() - 4) return make_error("mail.job", "", "a malformed parse job reached the worker");
  const auto choice = nlohmann::json::parse(job.substr(4, n), nullptr, false);
  if (choice.is_discarded() || !choice.is_object() || !choice.contains("action") || !choice.contains("rules")) {
    return make_error("mail.job", "", "a parse job's attachment choice is unreadable");
  }
  if (!choice.at("action").is_string() || !choice.at("rules").is_object()) return make_error("mail.job", "", "a parse job's attachment choice is unreadable");
  options.attachment_action = SANSO_TRY(parse_attachment_action(choice.at("action").get<std::string>(), "parse job"));
  options.attachment_rules.clear();
  for (const auto& [key, value] : choice.at("rules").items()) {
    if (!value.is_string()) return make_error("mail.job", "", "a parse job's attachment rule is unreadable");
    options.attachment_rules[key] = SANSO_TRY(parse_attachment_action(value.get<std::string>(), "parse job"));
  }
  return plan_to_wire(plan_message(job.substr(4 + n), options));
}

// Fail closed: whatever happened in the sandbox, nothing of the message passes.
SanitizePlan held_for(const Error& e) {
  SanitizePlan held;
  held.verdict = Verdict::kHeld;
  held.reason = e.message + " [" + e.code + "]";
  return held;
}

}  // namespace

Result<MailExecutors> MailExecutors::start(const SanitizeOptions& options, const sandbox::Launch& launch) {
  // A child forked per job inherits this process's converters: every one is loaded here first.
  // A pool's workers inherit its template's, which loads them in its own set-up
  // (prepare_mail_sandbox), beside whatever this process does meanwhile.
  if (launch.workers == 0) mime::preload_charsets();
  // The parser's set-up (GMime, the converters of the common charsets) changes with no input: a
  // pool's template does it once and every parse worker inherits it.
  sandbox::Task parse{[options](std::string_view job) { return parse_in_child(job, options); }, {}, sandbox::Limits{}, 200, &prepare_mail_sandbox};
  MailExecutors out;
  out.parse = SANSO_TRY(sandbox::start(std::move(parse), launch));
  // Options that remove or refuse every attachment never rebuild one: no CDR pools (two fewer
  // templates to fork and prepare). A message whose own choice is looser than the options the
  // executors were made for finds no engine, and its attachments are removed (fail closed).
  bool rebuilds = options.attachment_action == AttachmentAction::kSanitize;
  for (const auto& [key, action] : options.attachment_rules) rebuilds = rebuilds || action == AttachmentAction::kSanitize;
  if (!rebuilds) return out;
  out.batches = SANSO_TRY(sandbox::start(batch_task(options.cdr), launch));
  out.files = SANSO_TRY(sandbox::start(cdr::engine_task(options.cdr), launch));
  return out;
}

SanitizePlan sanitize_sandboxed(std::string_view raw, const SanitizeOptions& options, MailExecutors& executors) {
  auto answer = executors.parse->run(parse_job(raw, options));
  Result<SanitizePlan> plan = answer ? plan_from_wire(*answer) : Result<SanitizePlan>(answer.error());
  if (!plan) return held_for(plan.error());
  // Attachments of the same message may share one batch: whoever sent one sent them all, and two
  // messages never share a batch.
  finish_attachments(*plan, options, [&](const std::vector<AttachmentInput>& inputs) {
    if (!executors.batches || !executors.files) {
      std::vector<cdr::CdrResult> none(inputs.size());
      for (auto& r : none) {
        r.reason = "internal";
        r.message = "no CDR engine was started for these options (they remove every attachment)";
      }
      return none;
    }
    return rebuild_in_batches(inputs, options.clamd, *executors.batches, *executors.files, options.cdr);
  });
  check_sender(*plan, options);
  return std::move(plan).value();
}

SanitizePlan sanitize_sandboxed(std::string_view raw, const SanitizeOptions& options) {
  auto executors = MailExecutors::start(options, sandbox::Launch::fork_per_job());
  if (!executors) return held_for(executors.error());
  return sanitize_sandboxed(raw, options, *executors);
}

}  // namespace sanso::mail
