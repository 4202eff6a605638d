// `sanso register list|add|import|export KIND`: the registers (台帳) from the command line. Parses
// the arguments, opens the service's store and audit log, calls src/register and prints.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "cli/service.h"
#include "core/clock.h"
#include "core/digest.h"
#include "core/text.h"
#include "directory/directory.h"
#include "register/register.h"

namespace sanso::cli {
namespace {

struct RegisterArgs {
  ServiceOptions service;
  std::string kind, format = "csv", file, sheet, course, since, id, decision, reason, expires;
  std::vector<std::string> fields;
  bool update = false;
  bool json = false;
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

Result<std::string> read_import_file(const std::string& path, std::int64_t max_bytes) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return make_error("register.unreadable", path, "cannot read the file: " + ec.message());
  if (size > static_cast<std::uintmax_t>(max_bytes)) {
    return make_error("register.too-large", path, "the file has " + human_size(size) + "; imports are at most " +
                                                      human_size(static_cast<std::uint64_t>(max_bytes)) + " ([register] max_import_mb)");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (!in.good() && !in.eof()) return make_error("register.unreadable", path, "cannot read the file");
  return buffer.str();
}

int run_list(const RegisterArgs& a) {
  const registers::Kind kind = CLI_TRY(registers::parse_kind(a.kind));
  Session s = CLI_TRY(open_session(a, false));
  auto use = s.db->use();
  registers::Registers regs(*use, *s.log, system_clock(), &s.service.policy);
  const auto entries = CLI_TRY(regs.list(kind));
  const Date today = system_clock().today();
  const auto& spec = registers::spec(kind);
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : entries) {
      nlohmann::json alarms = nlohmann::json::array();
      for (const auto& al : registers::Registers::alarms(e, today, entries)) alarms.push_back({{"code", al.code}, {"message", al.message}});
      out.push_back({{"id", e.key}, {"fields", e.fields}, {"from_policy", e.from_policy}, {"version", e.version}, {"changed_by", e.changed_by},
                     {"changed_at", e.changed_at}, {"alarms", alarms}});
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
    for (const auto& al : registers::Registers::alarms(e, today, entries)) std::printf("    ! %s\n", al.message.c_str());
  }
  return kExitOk;
}

int run_add(const RegisterArgs& a) {
  const registers::Kind kind = CLI_TRY(registers::parse_kind(a.kind));
  std::vector<std::pair<std::string, std::string>> values;
  for (const auto& f : a.fields) {
    const auto eq = f.find('=');
    if (eq == std::string::npos) return fail(make_error("register.bad-field", "--field " + visible_text(f), "give fields as key=value"));
    values.emplace_back(f.substr(0, eq), f.substr(eq + 1));
  }
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
// not its requester. A role whose policy entry has `mfa` asks for a second factor, which the
// command line cannot give: such an approval is made in the console (denying lets nothing in).
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
  auto use = s.db->use();
  registers::Registers regs(*use, *s.log, system_clock(), &s.service.policy);
  const registers::Registers::Decider decider{actor.name, actor.roles};
  const auto found = CLI_TRY(regs.get(kind, a.id));
  // Who may decide is answered first (decide_exception says why not); the second factor is asked
  // only of someone who may.
  if (a.decision == "approve" && found && registers::Registers::decision_allowed(*found, decider)) {
    const std::string role = found->fields.value("approver_role", "");
    const policy::Role* r = role.empty() ? nullptr : s.service.policy.find_role(role);
    if (r != nullptr && r->mfa) {
      return fail(make_error("register.second-factor", "exceptions/" + visible_text(a.id),
                             "the approver role " + role + " asks for a second factor, which the command line cannot give: approve it in the "
                             "console's approvals inbox (/approvals), where the one-time code is asked"));
    }
  }
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
  const auto [header, rows] = CLI_TRY(regs.table(kind));
  CLI_TRY(registers::write_table(a.file, format, std::string(registers::label(kind, "ja")), header, rows));
  std::printf("書き出しました: %s（%zu 件）\n", a.file.c_str(), rows.size());
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
  import->add_option("-f,--file", a->file, "the file to read")->required()->check(CLI::ExistingFile);
  import->add_option("--sheet", a->sheet, "xlsx: the worksheet to read, by name (default: the first)");
  import->callback([&exit_code, a] { exit_code = run_import(*a); });

  CLI::App* exp = reg->add_subcommand("export", "write a register as CSV (UTF-8 with BOM) or XLSX");
  add_service_options(*exp, a->service, false);
  exp->add_option("KIND", a->kind, kind_help)->required();
  exp->add_option("--format", a->format, "csv or xlsx");
  exp->add_option("-f,--file", a->file, "the file to write")->required();
  exp->callback([&exit_code, a] { exit_code = run_export(*a); });

  CLI::App* audience = reg->add_subcommand("audience", "who must attend training (the directory's training_groups) and who of them has (the training register)");
  add_service_options(*audience, a->service, false);
  audience->add_option("--course", a->course, "count only this course (研修・誓約); default: any");
  audience->add_option("--since", a->since, "count only training on or after this date (YYYY-MM-DD)");
  audience->add_flag("--json", a->json, "machine-readable output");
  audience->callback([&exit_code, a] { exit_code = run_audience(*a); });
}

}  // namespace sanso::cli
