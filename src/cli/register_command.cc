// `sanso register list|add|import|export KIND`: the registers (台帳) from the command line. Parses
// the arguments, opens the service's store and audit log, calls src/register and prints.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>

#include <unistd.h>

#include "cli/batch_files.h"
#include "cli/commands.h"
#include "cli/service.h"
#include "core/clock.h"
#include "core/digest.h"
#include "core/text.h"
#include "directory/directory.h"
#include "inspect/reminders.h"
#include "mail/smtp_client.h"
#include "mime/notice_mail.h"
#include "register/register.h"

namespace sanso::cli {
namespace {

struct RegisterArgs {
  ServiceOptions service;
  std::string kind, format = "csv", file, sheet, course, since, id, decision, reason, expires;
  std::vector<std::string> fields;
  bool update = false;
  bool json = false;
  bool checks = false;  // import/export: the contractors' check history instead of the register
  bool dry_run = false;
  std::int64_t days = 30;
};

struct Session {
  Service service;
  std::unique_ptr<store::SharedDatabase> db;
  std::unique_ptr<audit::AuditLog> log;
  std::string actor;
};

// Opens the store and brings the policy's items into the registers (as the node), so that every
// command sees them.
Result<Session> open_session(const RegisterArgs& a, bool needs_actor) {
  Session s;
  s.service = SANSO_TRY(load_service(a.service));
  s.log = SANSO_TRY(make_audit_log(s.service));
  s.db = std::make_unique<store::SharedDatabase>(SANSO_TRY(open_store(s.service.config)));
  SANSO_TRY(record_setting_changes(s.service, *s.db, *s.log, s.service.config.node));
  if (needs_actor) s.actor = SANSO_TRY(resolve_actor(s.service, a.service)).name;
  auto use = s.db->use();
  registers::Registers regs(*use, *s.log, system_clock(), &s.service.policy);
  SANSO_TRY(regs.seed_from_policy(s.service.config.node.empty() ? "sanso" : s.service.config.node));
  return s;
}

// The person's file, read as them: what is imported is shown in the console and exported again.
Result<std::string> read_import_file(const std::string& path, std::int64_t max_bytes) {
  auto bytes = read_named_file(path, static_cast<std::uint64_t>(max_bytes));
  if (!bytes && bytes.error().code == "cli.too-large") {
    return make_error("register.too-large", path, "imports are at most " + human_size(static_cast<std::uint64_t>(max_bytes)) +
                                                      " ([register] max_import_mb): " + bytes.error().message);
  }
  if (!bytes) return make_error("register.unreadable", path, "cannot read the file: " + bytes.error().message);
  return bytes;
}

Result<std::vector<std::pair<std::string, std::string>>> field_values(const std::vector<std::string>& fields) {
  std::vector<std::pair<std::string, std::string>> values;
  for (const auto& f : fields) {
    const auto eq = f.find('=');
    if (eq == std::string::npos) return make_error("register.bad-field", "--field " + visible_text(f), "give fields as key=value");
    values.emplace_back(f.substr(0, eq), f.substr(eq + 1));
  }
  return values;
}

// One check as a line: date, clause, result, who, next due, note.
std::string check_line(const registers::ContractCheck& c) {
  const auto& result = registers::contract_check_field("result");
  std::string line = c.checked_on + "  " + visible_text(c.clause) + "  " + registers::format_value(result, c.result) + "  " + visible_text(c.checked_by);
  if (!c.next_check.empty()) line += "  次回 " + c.next_check;
  if (!c.note.empty()) line += "  " + visible_text(c.note.substr(0, 120));
  return line;
}

nlohmann::json check_json(const registers::ContractCheck& c) {
  return {{"number", c.number},         {"clause", c.clause},          {"checked_on", c.checked_on},   {"result", c.result},
          {"checked_by", c.checked_by}, {"note", c.note},              {"next_check", c.next_check},   {"recorded_by", c.recorded_by},
          {"recorded_at", c.recorded_at}, {"audit_index", c.audit_index}};
}

int run_list(const RegisterArgs& a) {
  const registers::Kind kind = CLI_TRY(registers::parse_kind(a.kind));
  Session s = CLI_TRY(open_session(a, false));
  auto use = s.db->use();
  registers::Registers regs(*use, *s.log, system_clock(), &s.service.policy);
  const auto entries = CLI_TRY(regs.list(kind));
  const Date today = system_clock().today();
  const auto& spec = registers::spec(kind);
  // Contractors: the latest check of each required clause (the whole history: `register show`).
  const auto latest = kind == registers::Kind::kContractors ? registers::latest_per_clause(CLI_TRY(registers::contract_checks(*use)))
                                                             : std::vector<registers::ContractCheck>();
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : entries) {
      nlohmann::json alarms = nlohmann::json::array();
      for (const auto& al : registers::Registers::alarms(e, today, entries, latest)) alarms.push_back({{"code", al.code}, {"message", al.message}});
      out.push_back({{"id", e.key}, {"fields", e.fields}, {"from_policy", e.from_policy}, {"version", e.version}, {"changed_by", e.changed_by},
                     {"changed_at", e.changed_at}, {"alarms", alarms}});
      if (kind == registers::Kind::kContractors) {
        nlohmann::json checks = nlohmann::json::array();
        for (const auto& c : latest) {
          if (c.contractor == e.key) checks.push_back(check_json(c));
        }
        out.back()["latest_checks"] = checks;
      }
    }
    std::printf("%s\n", nlohmann::json{{"register", registers::to_string(kind)}, {"clause", spec.clause}, {"entries", out}}.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%s（%s）: %zu 件\n", std::string(registers::label(kind, "ja")).c_str(), std::string(spec.clause).c_str(), entries.size());
  for (const auto& e : entries) {
    std::string name;
    for (const char* key : {"name", "title", "threat", "rule", "person"}) {
      if (e.fields.contains(key) && name.empty()) name = registers::format_value(*spec.find(key), e.fields[key]);
    }
    std::printf("%s%s%s\n", pad_to_width(visible_text(e.key), 24).c_str(), pad_to_width(visible_text(name), 40).c_str(),
                e.from_policy ? "ポリシー" : "台帳");
    for (const auto& c : latest) {
      if (c.contractor == e.key) std::printf("    %s\n", check_line(c).c_str());
    }
    for (const auto& al : registers::Registers::alarms(e, today, entries, latest)) std::printf("    ! %s\n", al.message.c_str());
  }
  return kExitOk;
}

// `sanso register show KIND ID`: one entry's fields, and for a contractor every check of each
// required clause, newest first.
int run_show(const RegisterArgs& a) {
  const registers::Kind kind = CLI_TRY(registers::parse_kind(a.kind));
  Session s = CLI_TRY(open_session(a, false));
  auto use = s.db->use();
  registers::Registers regs(*use, *s.log, system_clock(), &s.service.policy);
  const auto found = CLI_TRY(regs.get(kind, a.id));
  if (!found) return fail(make_error("register.not-found", std::string(registers::to_string(kind)) + "/" + visible_text(a.id), "no such entry"));
  const auto checks = kind == registers::Kind::kContractors ? CLI_TRY(registers::contract_checks(*use, found->key)) : std::vector<registers::ContractCheck>();
  const auto& spec = registers::spec(kind);
  if (a.json) {
    nlohmann::json out = {{"register", registers::to_string(kind)}, {"id", found->key}, {"fields", found->fields}, {"version", found->version}};
    if (kind == registers::Kind::kContractors) {
      out["checks"] = nlohmann::json::array();
      for (const auto& c : checks) out["checks"].push_back(check_json(c));
    }
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%s %s（版 %lld）\n", std::string(registers::label(kind, "ja")).c_str(), visible_text(found->key).c_str(), static_cast<long long>(found->version));
  for (const auto& f : spec.fields) {
    if (f.key == "id" || !found->fields.contains(f.key)) continue;
    std::printf("  %s%s\n", pad_to_width(std::string(f.ja), 28).c_str(), visible_text(registers::format_value(f, found->fields[f.key])).c_str());
  }
  if (kind != registers::Kind::kContractors) return kExitOk;
  std::vector<std::string> clauses;
  if (auto r = found->fields.find("required_clauses"); r != found->fields.end() && r->is_array()) {
    for (const auto& x : *r) clauses.push_back(x.get<std::string>());
  }
  std::printf("契約条項ごとの確認の履歴（新しい順）:\n");
  for (const auto& clause : clauses) {
    std::printf("  %s\n", visible_text(clause).c_str());
    bool any = false;
    for (auto it = checks.rbegin(); it != checks.rend(); ++it) {
      if (it->clause != clause) continue;
      std::printf("    %s\n", check_line(*it).c_str());
      any = true;
    }
    if (!any) std::printf("    （確認の記録なし）\n");
  }
  return kExitOk;
}

// `sanso register check contractors ID --field clause=… …`: appends one check of a required clause.
int run_check(const RegisterArgs& a) {
  const registers::Kind kind = CLI_TRY(registers::parse_kind(a.kind));
  if (kind != registers::Kind::kContractors) {
    return fail(make_error("register.bad-kind", a.kind, "checks of contract clauses are recorded for contractors (委託事業者) only"));
  }
  const auto values = CLI_TRY(field_values(a.fields));
  Session s = CLI_TRY(open_session(a, true));
  auto use = s.db->use();
  registers::Registers regs(*use, *s.log, system_clock(), &s.service.policy);
  const auto c = CLI_TRY(regs.add_contract_check(a.id, values, s.actor));
  std::printf("記録しました: %s の確認 #%lld（%s）監査ログ #%llu\n", c.contractor.c_str(), static_cast<long long>(c.number), check_line(c).c_str(),
              static_cast<unsigned long long>(c.audit_index));
  return kExitOk;
}

int run_add(const RegisterArgs& a) {
  const registers::Kind kind = CLI_TRY(registers::parse_kind(a.kind));
  const auto values = CLI_TRY(field_values(a.fields));
  Session s = CLI_TRY(open_session(a, true));
  auto use = s.db->use();
  registers::Registers regs(*use, *s.log, system_clock(), &s.service.policy);
  const auto e = CLI_TRY(regs.put(kind, values, a.update, s.actor));
  std::printf("%s %s: %s（版 %lld）\n", a.update ? "変更しました" : "登録しました", std::string(registers::label(kind, "ja")).c_str(), e.key.c_str(),
              static_cast<long long>(e.version));
  return kExitOk;
}

// An exception requested in the register, decided by the person --as names (a [[users]] entry
// with their policy roles) through Registers::decide_exception: a holder of its approver role,
// not its requester. A role whose policy entry has `mfa` is approved in the console only: whoever
// can run this command can read the store, and the console's one-time-code secrets with it, so a
// code typed here would prove nothing about who typed it (review, session 16). Denying lets
// nothing in and asks for no code.
int run_decide(const RegisterArgs& a) {
  const registers::Kind kind = CLI_TRY(registers::parse_kind(a.kind));
  if (kind != registers::Kind::kExceptions) {
    return fail(make_error("register.bad-kind", a.kind, "only exceptions (例外措置) are decided; other registers are changed with `sanso register add --update`"));
  }
  if (a.decision != "approve" && a.decision != "deny") {
    return fail(make_error("register.bad-value", visible_text(a.decision), "the decision is approve or deny"));
  }
  if (a.reason.find_first_not_of(" \t\r\n") == std::string::npos) {
    return fail(make_error("register.missing-value", "--reason", "a decision gives its reason (--reason TEXT); it goes into the audit record"));
  }
  Session s = CLI_TRY(open_session(a, false));
  const quarantine::Actor actor = CLI_TRY(resolve_actor(s.service, a.service));
  registers::Registers::Decider decider{actor.name, actor.roles};
  std::optional<registers::Entry> found;
  {
    auto use = s.db->use();
    registers::Registers regs(*use, *s.log, system_clock(), &s.service.policy);
    found = CLI_TRY(regs.get(kind, a.id));
  }
  // Who may decide is answered first (decide_exception says why not); the second factor is asked
  // only of someone who may.
  if (a.decision == "approve" && found && registers::Registers::decision_allowed(*found, decider)) {
    const std::string role = found->fields.value("approver_role", "");
    const policy::Role* r = role.empty() ? nullptr : s.service.policy.find_role(role);
    if (r != nullptr && r->mfa) {
      return fail(make_error("register.second-factor", "exceptions/" + visible_text(a.id),
                             "the approver role " + role + " asks for a second factor, which the command line cannot prove (whoever runs it "
                             "can read the store where the console keeps the code secrets): approve it in the console's approvals inbox "
                             "(/approvals), where the one-time code is asked / 二要素認証が必要な承認はコンソールの承認画面で行ってください"));
    }
  }
  auto use = s.db->use();
  registers::Registers regs(*use, *s.log, system_clock(), &s.service.policy);
  const auto e = CLI_TRY(regs.decide_exception(a.id, a.decision == "approve", decider, a.reason, a.expires));
  const std::string state = e.fields.value("state", "");
  std::printf("%s: %s（%s、版 %lld）\n", e.key.c_str(), state == "approved" ? "承認しました" : "却下しました", visible_text(actor.name).c_str(),
              static_cast<long long>(e.version));
  return kExitOk;
}

int run_import(const RegisterArgs& a) {
  const registers::Kind kind = CLI_TRY(registers::parse_kind(a.kind));
  const registers::TableFormat format = CLI_TRY(registers::parse_table_format(a.format));
  Session s = CLI_TRY(open_session(a, true));
  const auto& settings = s.service.config.registers;
  const std::string bytes = CLI_TRY(read_import_file(a.file, settings.max_import_mb << 20));
  registers::TableLimits limits;
  limits.max_rows = settings.max_import_rows;
  limits.max_bytes = settings.max_import_mb << 20;
  // Errors name the worksheet too when one was chosen: "台帳.xlsx [委託事業者台帳] row 4 column C".
  const std::string name = std::filesystem::path(a.file).filename().string() + (a.sheet.empty() ? "" : " [" + a.sheet + "]");
  const registers::Table table = CLI_TRY(registers::parse_table_sandboxed(bytes, format, limits, name, a.sheet));
  auto use = s.db->use();
  registers::Registers regs(*use, *s.log, system_clock(), &s.service.policy);
  if (a.checks) {
    if (kind != registers::Kind::kContractors) return fail(make_error("register.bad-kind", a.kind, "--checks is for contractors (委託事業者) only"));
    const auto summary = CLI_TRY(regs.import_contract_checks(table, name, sha256_hex(bytes), s.actor));
    std::printf("取り込みました: 契約条項の確認 %zu 件%s 監査ログ #%llu\n", summary.added, summary.encoding.empty() ? "" : ("（" + summary.encoding + "）").c_str(),
                static_cast<unsigned long long>(summary.audit_index));
    return kExitOk;
  }
  const auto summary = CLI_TRY(regs.import(kind, table, name, sha256_hex(bytes), s.actor));
  std::printf("取り込みました: %s（%zu 行、追加 %zu、変更 %zu、変更なし %zu%s）監査ログ #%llu\n", std::string(registers::label(kind, "ja")).c_str(),
              summary.rows, summary.added, summary.changed, summary.unchanged,
              summary.encoding.empty() ? "" : ("、" + summary.encoding).c_str(), static_cast<unsigned long long>(summary.audit_index));
  return kExitOk;
}

int run_export(const RegisterArgs& a) {
  const registers::Kind kind = CLI_TRY(registers::parse_kind(a.kind));
  const registers::TableFormat format = CLI_TRY(registers::parse_table_format(a.format));
  Session s = CLI_TRY(open_session(a, false));
  auto use = s.db->use();
  registers::Registers regs(*use, *s.log, system_clock(), &s.service.policy);
  if (a.checks) {
    if (kind != registers::Kind::kContractors) return fail(make_error("register.bad-kind", a.kind, "--checks is for contractors (委託事業者) only"));
    const auto [header, rows] = registers::contract_check_table(CLI_TRY(registers::contract_checks(*use)));
    CLI_TRY(write_named_file_from(a.file, [&](const std::string& path) { return registers::write_table(path, format, "契約条項の確認", header, rows); }));
    std::printf("書き出しました: %s（確認 %zu 件）\n", a.file.c_str(), rows.size());
    return kExitOk;
  }
  const auto [header, rows] = CLI_TRY(regs.table(kind));
  CLI_TRY(write_named_file_from(a.file, [&](const std::string& path) { return registers::write_table(path, format, std::string(registers::label(kind, "ja")), header, rows); }));
  std::printf("書き出しました: %s（%zu 件）\n", a.file.c_str(), rows.size());
  return kExitOk;
}

// `sanso register remind` (cron, or the sanso-remind timer): mails each person responsible a digest
// of what falls due within --days or is past due, through [quarantine] smtp_relay as the transfer
// notices; a second run the same day sends nothing new. Exit 1 when a digest could not be sent.
int run_remind(const RegisterArgs& a) {
  if (a.days < 0 || a.days > 366) return fail(make_error("cli.bad-value", "--days", "give a number of days from 0 to 366"));
  Session s = CLI_TRY(open_session(a, false));
  const config::ServiceConfig& c = s.service.config;
  if (c.quarantine.smtp_relay.empty() && !a.dry_run) {
    return fail(make_error("config.missing", c.source, "[quarantine] smtp_relay is not set: reminders have no way out (--dry-run lists them)"));
  }
  const std::string from = !c.mail.notice_from.empty() ? c.mail.notice_from : "postmaster";
  const inspect::SendDigest send = [&](const std::string& to, const std::string& subject, const std::string& body) -> Result<std::string> {
    mime::NoticeMail notice;
    notice.from_name = "Sanso 台帳";
    notice.from = from;
    notice.to = {to};
    notice.subject = subject;
    notice.body = body;
    notice.date = std::chrono::duration_cast<std::chrono::seconds>(system_clock().now().time_since_epoch()).count();
    notice.node = c.node;
    notice.headers = {{"X-Sanso-Reminder", system_clock().today().to_string()}};
    const auto composed = SANSO_TRY(mime::compose_notice(notice));
    mail::SmtpOptions smtp{c.quarantine.smtp_relay, c.quarantine.smtp_helo};
    smtp.timeout = std::chrono::seconds(10);
    // The null sender, as for the other notices: a reminder is never answered or bounced back.
    return mail::send_mail(smtp, mail::SmtpEnvelope{"", {to}}, composed.message);
  };
  inspect::RemindOptions options;
  options.days = a.days;
  options.dry_run = a.dry_run;
  options.actor = c.node.empty() ? "sanso" : c.node;
  auto use = s.db->use();
  const auto outcome = CLI_TRY(inspect::send_reminders(*use, *s.log, system_clock(), s.service.policy, c.operators, c.quarantine.inspector_roles, options, send));
  for (const auto& d : outcome.sent) {
    std::printf("%s %s <%s>: %zu 件\n", a.dry_run ? "送信予定" : "送信しました", visible_text(d.name).c_str(), d.mail.c_str(), d.items.size());
    for (const auto& r : d.items) std::printf("    %s\n", visible_text(r.ja).c_str());
  }
  for (const auto& r : outcome.unaddressed) std::printf("宛先なし（メールアドレスのある担当者・点検担当がいない）: %s\n", visible_text(r.ja).c_str());
  if (outcome.already_sent > 0) std::printf("本日送信済みのため省略: %zu 件\n", outcome.already_sent);
  if (outcome.sent.empty() && !outcome.failure) std::printf("新たに送る催促はありません\n");
  if (outcome.audit_index) std::printf("監査ログ #%llu\n", static_cast<unsigned long long>(*outcome.audit_index));
  if (outcome.failure) return fail(*outcome.failure);
  return kExitOk;
}

// `sanso register audience`: who must attend training, from the directory's training groups, and
// who of them the training register has as attended.
int run_audience(const RegisterArgs& a) {
  std::optional<Date> since;
  if (!a.since.empty()) {
    since = Date::parse(a.since);
    if (!since) return fail(make_error("cli.bad-date", "--since", "'" + a.since + "' is not a date like 2026-04-01"));
  }
  Session s = CLI_TRY(open_session(a, false));
  const directory::Settings& ds = s.service.config.directory;
  if (ds.training_groups.empty()) {
    return fail(make_error("register.no-audience", s.service.config.source,
                           "the training audience comes from the directory: set [directory] training_groups (and lookup_bind)"));
  }
  const auto members = CLI_TRY(directory::members_of(ds, ds.training_groups));
  auto use = s.db->use();
  registers::Registers regs(*use, *s.log, system_clock(), &s.service.policy);
  const auto entries = CLI_TRY(regs.list(registers::Kind::kTraining));
  std::vector<std::string> names;
  std::map<std::string, std::string> display;
  for (const auto& m : members) {
    names.push_back(m.name);
    display[m.name] = m.display_name;
  }
  const registers::Attendance counted = registers::attendance(entries, names, a.course, since);
  if (a.json) {
    nlohmann::json out = {{"course", a.course}, {"since", a.since}, {"groups", ds.training_groups}, {"audience", names.size()},
                          {"attended", counted.attended}, {"missing", counted.missing}};
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("研修の対象者（ディレクトリのグループ %zu 件）: %zu 人、受講 %zu 人、未受講 %zu 人%s%s\n", ds.training_groups.size(), names.size(),
              counted.attended.size(), counted.missing.size(), a.course.empty() ? "" : ("（" + visible_text(a.course) + "）").c_str(),
              since ? ("（" + since->to_string() + " 以降）").c_str() : "");
  for (const auto& name : counted.missing) std::printf("  未受講  %s  %s\n", visible_text(name).c_str(), visible_text(display[name]).c_str());
  return kExitOk;
}

}  // namespace

void register_register_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<RegisterArgs>();
  CLI::App* reg = app.add_subcommand("register", "the registers (台帳): " + registers::kind_names());
  reg->require_subcommand(1);
  const std::string kind_help = "register: " + registers::kind_names();

  CLI::App* list = reg->add_subcommand("list", "the entries of a register, with what needs attention");
  add_service_options(*list, a->service, false);
  list->add_option("KIND", a->kind, kind_help)->required();
  list->add_flag("--json", a->json, "machine-readable output");
  list->callback([&exit_code, a] { exit_code = run_list(*a); });

  CLI::App* add = reg->add_subcommand("add", "add an entry (or change one with --update)");
  add_service_options(*add, a->service, true);
  add->add_option("KIND", a->kind, kind_help)->required();
  add->add_option("--field", a->fields, "key=value (repeatable); key is a field name or its label")->required();
  add->add_flag("--update", a->update, "change an existing entry: the fields given replace theirs, key= clears one");
  add->callback([&exit_code, a] { exit_code = run_add(*a); });

  CLI::App* show = reg->add_subcommand("show", "one entry; for a contractor, every check of each required contract clause");
  add_service_options(*show, a->service, false);
  show->add_option("KIND", a->kind, kind_help)->required();
  show->add_option("ID", a->id, "the entry's id")->required();
  show->add_flag("--json", a->json, "machine-readable output");
  show->callback([&exit_code, a] { exit_code = run_show(*a); });

  CLI::App* check = reg->add_subcommand("check", "record a check of a contractor's required contract clause (appended, never overwritten)");
  add_service_options(*check, a->service, true);
  check->add_option("KIND", a->kind, "contractors")->required();
  check->add_option("ID", a->id, "the contractor's id")->required();
  check->add_option("--field", a->fields, "clause=, checked_on=, result=, checked_by=, note=, next_check= (repeatable)")->required();
  check->callback([&exit_code, a] { exit_code = run_check(*a); });

  CLI::App* decide = reg->add_subcommand("decide", "approve or deny a requested exception (例外措置) as a holder of its approver role");
  add_service_options(*decide, a->service, true);
  decide->add_option("KIND", a->kind, "exceptions")->required();
  decide->add_option("ID", a->id, "the exception's id")->required();
  decide->add_option("DECISION", a->decision, "approve or deny")->required();
  decide->add_option("--reason", a->reason, "why (into the audit record)")->required();
  decide->add_option("--expires", a->expires, "approve: until when (YYYY-MM-DD), when the request names none");
  decide->callback([&exit_code, a] { exit_code = run_decide(*a); });

  CLI::App* import = reg->add_subcommand("import", "add and change entries from a CSV or XLSX file, all rows or none");
  add_service_options(*import, a->service, true);
  import->add_option("KIND", a->kind, kind_help)->required();
  import->add_option("--format", a->format, "csv (UTF-8 or CP932) or xlsx");
  import->add_option("-f,--file", a->file, "the file to read")->required();
  import->add_option("--sheet", a->sheet, "xlsx: the worksheet to read, by name (default: the first)");
  import->add_flag("--checks", a->checks, "contractors: append checks of contract clauses (one per row) instead of entries");
  import->callback([&exit_code, a] { exit_code = run_import(*a); });

  CLI::App* exp = reg->add_subcommand("export", "write a register as CSV (UTF-8 with BOM) or XLSX");
  add_service_options(*exp, a->service, false);
  exp->add_option("KIND", a->kind, kind_help)->required();
  exp->add_option("--format", a->format, "csv or xlsx");
  exp->add_option("-f,--file", a->file, "the file to write")->required();
  exp->add_flag("--checks", a->checks, "contractors: every check of each contract clause instead of the entries");
  exp->callback([&exit_code, a] { exit_code = run_export(*a); });

  CLI::App* remind = reg->add_subcommand("remind", "mail each person responsible what falls due within --days or is past due (once a day; for cron/systemd)");
  add_service_options(*remind, a->service, false);
  remind->add_option("--days", a->days, "remind of what falls due within this many days (default 30)");
  remind->add_flag("--dry-run", a->dry_run, "list what would be sent; send and record nothing");
  remind->callback([&exit_code, a] { exit_code = run_remind(*a); });

  CLI::App* audience = reg->add_subcommand("audience", "who must attend training (the directory's training_groups) and who of them has (the training register)");
  add_service_options(*audience, a->service, false);
  audience->add_option("--course", a->course, "count only this course (研修・誓約); default: any");
  audience->add_option("--since", a->since, "count only training on or after this date (YYYY-MM-DD)");
  audience->add_flag("--json", a->json, "machine-readable output");
  audience->callback([&exit_code, a] { exit_code = run_audience(*a); });
}

}  // namespace sanso::cli
