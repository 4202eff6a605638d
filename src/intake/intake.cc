#include "intake/intake.h"

#include "audit/log.h"
#include "policy/policy.h"
#include "core/digest.h"
#include "mail/identifiers.h"
#include "mail/plan_report.h"
#include "quarantine/quarantine.h"
#include "store/database.h"

namespace sanso::intake {
namespace {

quarantine::Verdict kept_verdict(cdr::Verdict v) {
  switch (v) {
    case cdr::Verdict::clean: return quarantine::Verdict::kClean;
    case cdr::Verdict::sanitized: return quarantine::Verdict::kSanitized;
    case cdr::Verdict::blocked: return quarantine::Verdict::kBlocked;
  }
  return quarantine::Verdict::kBlocked;
}

quarantine::Verdict kept_verdict(mail::Verdict v) {
  switch (v) {
    case mail::Verdict::kClean: return quarantine::Verdict::kClean;
    case mail::Verdict::kSanitized: return quarantine::Verdict::kSanitized;
    case mail::Verdict::kHeld: return quarantine::Verdict::kHeld;
  }
  return quarantine::Verdict::kHeld;
}

bool stops(const std::optional<policy::Decision>& ruling) {
  return ruling && (ruling->action == policy::Action::kDeny || ruling->action == policy::Action::kApprove);
}

// The part of a path the engine may see: the name decides the type checks, the folders are the
// owner's business.
std::string_view base_name(std::string_view path) {
  const auto slash = path.find_last_of("/\\");
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

void rest_on(store::AuditEvent& e, const std::optional<policy::Decision>& ruling) {
  e.rule_id = ruling ? std::string(ruling->rule_id()) : "";
  e.clause = ruling ? std::string(ruling->clause()) : "";
}

// A file decoded from what arrived names both: the decoded bytes are the record's input, the
// codings and the received bytes' digest say where they came from.
void add_arrival(store::AuditEvent& e, const FileItem& item) {
  if (!item.content_codings.empty()) e.details.emplace_back("content_codings", item.content_codings);
  if (!item.received_sha256.empty()) e.details.emplace_back("received_sha256", item.received_sha256);
}

// A file as its owner named it and the route's actor handed it in, to be kept under `id`.
quarantine::Submission file_submission(const FileItem& item, std::string id) {
  quarantine::Submission s;
  s.id = std::move(id);
  s.original = std::string(item.bytes);
  s.origin.kind = quarantine::Origin::Kind::kFile;
  s.origin.file_name = mail::mask_identification_numbers(item.name);  // the name is shown and recorded; a 個人番号 in it is not
  s.origin.uploader = item.route.actor;
  return s;
}

// What the quarantine lists and shows of an item (its reason, its report, its subject, Message-ID
// and file name) with the numbers in them masked, as its audit record has them. Not the original,
// which is kept byte for byte for the approver, nor the envelope, which a release delivers to: a
// recipient written with a number in it is delivered to as it was written. A mail's report comes
// masked already (mail::masked_plan_report_json: built and written once, not parsed again here).
enum class Report { kToMask, kMasked };
void mask_listing(quarantine::Submission& s, Report report = Report::kToMask) {
  s.reason = mail::mask_identification_numbers(s.reason);
  if (report == Report::kToMask) s.report_json = mail::mask_identification_numbers_in_json(s.report_json);
  s.origin.subject = mail::mask_identification_numbers(s.origin.subject);
  s.origin.message_id = mail::mask_identification_numbers(s.origin.message_id);
  s.origin.file_name = mail::mask_identification_numbers(s.origin.file_name);
}

}  // namespace

store::AuditEvent masked_record(store::AuditEvent e) {
  for (auto& [key, value] : e.details) {
    const bool made_here = key.ends_with("sha256") || key == "quarantine_id" || key == "transfer" || key == "transfer_id";
    if (!made_here) value = mail::mask_identification_numbers(value);
  }
  return e;
}

void protect_city_identity(const policy::Policy& policy, mail::SanitizeOptions& options) {
  auto& names = options.protected_names;
  auto add = [&names](const policy::Label& l) { names.insert(names.end(), {l.ja, l.en}); };
  add(policy.municipality.name);
  for (const auto& b : policy.bodies) add(b.name);
  for (const auto& r : policy.roles) add(r.name);
  for (const auto& s : policy.systems) names.push_back(s.section);
  for (const auto& z : policy.zones) options.protected_domains.insert(options.protected_domains.end(), z.mail_domains.begin(), z.mail_domains.end());
}

Intake::Intake(const policy::CompiledPolicy* policy, quarantine::QuarantineStore* store, audit::AuditLog* log)
    : policy_(policy), store_(log != nullptr ? store : nullptr), log_(store != nullptr ? log : nullptr) {}

Result<std::optional<policy::Decision>> Intake::rule(const Route& route, std::string_view channel) const {
  if (policy_ == nullptr) return std::optional<policy::Decision>();
  return std::optional<policy::Decision>(SANSO_TRY(policy_->decide(policy::RequestNames{route.from_zone, route.to_zone, std::string(channel), "", "", ""})));
}

Result<FileOutcome> Intake::take_file(const FileItem& item, const FileSanitizer& sanitize) {
  // The file's name as the record, the reason and the quarantine's listing carry it: a 個人番号 in
  // a name is masked as the outgoing scan masks one (the engine still judges the name as given).
  const std::string recorded_name = mail::mask_identification_numbers(item.name);
  FileOutcome out;
  out.ruling = SANSO_TRY(rule(item.route, "file"));
  out.result = sanitize(item.bytes, base_name(item.name));
  if (stops(out.ruling)) {
    // The policy lets no such file through, or only with an approval: no output whatever the
    // engine found; the original waits in quarantine for the four-eyes release.
    const policy::Decision& d = *out.ruling;
    const bool approval = d.action == policy::Action::kApprove;
    cdr::CdrResult& r = out.result;
    r.verdict = cdr::Verdict::blocked;
    r.reason = approval ? "policy-approval" : "policy";
    r.message = recorded_name + ": policy rule " + std::string(d.rule_id()) + " (" + std::string(d.clause()) + ") " +
                (approval ? "needs the approval of " + std::string(d.approver()) + " before files enter " + item.route.to_zone
                          : "does not allow files into " + item.route.to_zone);
    r.output.clear();
    r.findings.push_back({cdr::FindingKind::kPolicy, recorded_name, approval ? cdr::FindingAction::kHeldForApproval : cdr::FindingAction::kBlocked});
  }
  if (store_ == nullptr) return out;

  const cdr::CdrResult& r = out.result;
  const std::string verdict(cdr::to_string(r.verdict));
  quarantine::Submission s = file_submission(item, store_->reserve_id());
  s.verdict = kept_verdict(r.verdict);
  s.reason = r.verdict == cdr::Verdict::blocked ? r.reason + ": " + r.message : "無害化 (" + std::to_string(r.findings.size()) + " findings)";
  s.report_json = cdr::result_to_json(r);
  if (out.ruling && out.ruling->action == policy::Action::kApprove) s.approver_role = std::string(out.ruling->approver());

  store::AuditEvent e;
  e.actor = item.route.actor;
  e.action = "file.sanitize";
  e.subject = recorded_name;
  e.outcome = verdict;
  rest_on(e, out.ruling);
  e.output_sha256 = r.verdict == cdr::Verdict::blocked ? "" : sha256_hex(r.output);
  e.details = {{"quarantine_id", s.id}, {"type", r.type}, {"reason", r.reason}, {"findings", std::to_string(r.findings.size())}};
  add_arrival(e, item);
  // The original and its record stand or fall together: no record of an item that is not kept,
  // no item kept without its record. The record names the original by the store's digest of it.
  mask_listing(s);
  s.with_item = [&](store::Database& db, const quarantine::Item& kept) {
    e.input_sha256 = kept.sha256;
    return log_->append(db, masked_record(e));
  };
  out.quarantine_id = SANSO_TRY(store_->put(std::move(s))).id;
  return out;
}

Result<std::string> Intake::keep_refused(const FileItem& item, const Refusal& refusal) {
  if (store_ == nullptr) return make_error("intake.no-store", item.name, "keeping a refused file needs the quarantine and the audit log");
  quarantine::Submission s = file_submission(item, store_->reserve_id());
  s.verdict = quarantine::Verdict::kBlocked;
  s.reason = refusal.reason;

  store::AuditEvent e;
  e.actor = item.route.actor;
  e.action = refusal.action;
  e.subject = mail::mask_identification_numbers(item.name);
  e.outcome = "blocked";
  e.rule_id = refusal.rule_id;
  e.clause = refusal.clause;
  e.details = {{"quarantine_id", s.id}, {"reason", refusal.reason}};
  e.details.insert(e.details.end(), refusal.details.begin(), refusal.details.end());
  add_arrival(e, item);
  // As take_file: the refused file and its record stand or fall together.
  mask_listing(s);
  s.with_item = [&](store::Database& db, const quarantine::Item& kept) {
    e.input_sha256 = kept.sha256;
    return log_->append(db, masked_record(e));
  };
  return SANSO_TRY(store_->put(std::move(s))).id;
}

Result<MailOutcome> Intake::take_mail(const MailItem& item, const MailSanitizer& sanitize) {
  return take_mail(item, SANSO_TRY(rule(item.route, "mail")), sanitize);
}

Result<MailOutcome> Intake::take_mail(const MailItem& item, const std::optional<policy::Decision>& ruling, const MailSanitizer& sanitize) {
  MailOutcome out;
  out.ruling = ruling;
  out.plan = sanitize(item.raw, item.options);
  if (stops(ruling)) {
    // Nothing of the mail passes; the original waits in quarantine.
    out.plan.verdict = mail::Verdict::kHeld;
    out.plan.reason = "policy rule " + std::string(ruling->rule_id()) + " (" + std::string(ruling->clause()) + "): " + std::string(ruling->reason(item.options.lang));
    out.plan.attachments.clear();
    out.plan.encrypted.clear();
  }
  if (store_ == nullptr) {
    out.message = mail::render_message(out.plan, item.options, "");
    return out;
  }
  // The rebuilt mail names its original's id, so the id comes before the original is stored.
  out.quarantine_id = store_->reserve_id();
  if (item.before_render) {
    mail::SanitizeOptions options = item.options;  // a copy only for a caller that changes it
    item.before_render(out, options);
    out.message = mail::render_message(out.plan, options, out.quarantine_id);
  } else {
    out.message = mail::render_message(out.plan, item.options, out.quarantine_id);
  }

  const mail::SanitizePlan& plan = out.plan;
  quarantine::Submission s;
  s.id = out.quarantine_id;
  s.original = std::string(item.raw);
  s.origin.kind = quarantine::Origin::Kind::kMail;
  s.origin.message_id = plan.message_id;
  s.origin.subject = plan.subject;
  // Only a real envelope (the gateway's, or the one an administrator gives the CLI): a release
  // over SMTP delivers to it, and the From, To and Cc headers are the internet sender's to write —
  // outside addresses, a whole staff list — not where the mail was delivered.
  s.origin.envelope_from = item.envelope_from;
  s.origin.envelope_to = item.envelope_to;
  s.verdict = kept_verdict(plan.verdict);
  s.reason = plan.verdict == mail::Verdict::kHeld ? plan.reason : "無害化 (" + std::to_string(plan.parts.size()) + " parts)";
  s.report_json = mail::masked_plan_report_json(plan);  // the mail's words stay in the sealed original
  if (ruling && ruling->action == policy::Action::kApprove) s.approver_role = std::string(ruling->approver());

  // The record names the original by the digest the store keeps it under (one SHA-256 of it, not two).
  const std::string output_sha256 = item.record ? "" : sha256_hex(out.message);
  s.with_item = [&](store::Database& db, const quarantine::Item& kept) -> Result<void> {
    if (item.with_item) SANSO_TRY(item.with_item(db));
    store::AuditEvent e;
    if (item.record) {
      e = item.record(out, kept.sha256);
    } else {
      e.actor = item.route.actor;
      e.action = "mail.sanitize";
      e.subject = plan.message_id.empty() ? out.quarantine_id : mail::mask_identification_numbers(plan.message_id);
      e.outcome = std::string(mail::to_string(plan.verdict));
      rest_on(e, ruling);
      e.input_sha256 = kept.sha256;
      e.output_sha256 = output_sha256;
      e.details = {{"quarantine_id", out.quarantine_id}};
    }
    e = masked_record(std::move(e));
    out.audit_index = SANSO_TRY(log_->append_batch(db, std::span<const store::AuditEvent>(&e, 1)));
    return ok();
  };
  mask_listing(s, Report::kMasked);
  SANSO_TRY(store_->put(std::move(s)));
  return out;
}

Result<HeldOutcome> Intake::hold_mail(const HeldMail& item) {
  if (store_ == nullptr) return make_error("intake.no-store", item.actor, "holding a mail needs the quarantine and the audit log");
  if (!item.record) return make_error("intake.input", item.actor, "a held mail needs the caller's audit record of its decision");
  // A retry of what is already held (the answer to the first attempt was lost): kept once. Two
  // retries committing at once cannot both keep it: the retry key is unique in the store.
  if (auto held = SANSO_TRY(store_->find_retry(item.retry_key))) return HeldOutcome{held->id, true};
  quarantine::Submission s;
  s.id = store_->reserve_id();
  s.original = std::string(item.raw);
  s.origin.kind = quarantine::Origin::Kind::kMail;
  s.origin.subject = item.subject;
  s.origin.message_id = item.message_id;
  s.origin.envelope_from = item.envelope_from;
  s.origin.envelope_to = item.envelope_to;
  s.verdict = quarantine::Verdict::kHeld;
  s.reason = item.reason;
  s.classification = item.classification;
  s.approver_role = item.approver_role;
  s.retry_key = item.retry_key;
  const std::string id = s.id;
  std::uint64_t index = 0;
  // An audit write that fails leaves no item behind: the sender's retry holds the mail once.
  s.with_item = [&](store::Database& db, const quarantine::Item& kept) -> Result<void> {
    if (item.with_item) SANSO_TRY(item.with_item(db));
    const store::AuditEvent e = masked_record(item.record(kept.id, kept.sha256));
    index = SANSO_TRY(log_->append_batch(db, std::span<const store::AuditEvent>(&e, 1)));
    return ok();
  };
  mask_listing(s);
  SANSO_TRY(store_->put(std::move(s)));
  return HeldOutcome{id, false, index};
}

Result<std::string> approver_for_unchecked(const policy::Policy& policy, std::string_view level, const DecideAtLevel& decide, std::string_view own) {
  const auto& levels = policy.scheme.confidentiality.levels;
  const auto from = level.empty() ? std::optional<int>(0) : policy.scheme.confidentiality.rank_of(level);
  if (!from) return make_error("policy.unknown-level", std::string(level), "the confidentiality level is not one of the policy's scheme");
  // The file might hold any level from the flow's own upward, so whoever may approve the highest
  // of them decides, and never someone below the flow's own approver: a level-2 approver must not
  // pass what could be a 3B file, and a policy whose 3B approver is a junior role must not let that
  // role release what the level-2 rule gives a senior one. Levels the policy refuses outright are
  // skipped — the approver opens the file and refuses it if it is one.
  std::string approver(own);
  for (std::size_t i = static_cast<std::size_t>(*from); i < levels.size(); ++i) {
    const policy::Decision d = SANSO_TRY(decide(levels[i].id));
    if (d.action != policy::Action::kApprove || d.approver().empty()) continue;
    const std::string named(d.approver());
    if (approver.empty()) {
      approver = named;
      continue;
    }
    const std::string senior = policy.senior_role(approver, named);
    if (senior.empty()) {
      return make_error("policy.approvers-unordered", "level " + levels[i].id,
                        "the approvers '" + approver + "' and '" + named + "' have no common superior ([[roles]] reports_to; sanso policy check)");
    }
    approver = senior;
  }
  return approver;
}

}  // namespace sanso::intake
