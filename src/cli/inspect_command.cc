// `sanso inspect …`: the self-inspection (自己点検, clause 7) from the command line. Parses the
// arguments, opens the service's store and audit log, calls src/inspect and prints; nothing more.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "cli/batch_files.h"
#include "cli/commands.h"
#include "cli/service.h"
#include "core/clock.h"
#include "core/text.h"
#include "inspect/campaign.h"
#include "inspect/evaluate.h"
#include "inspect/report.h"
#include "inspect/stats.h"
#include "inspect/template.h"
#include "register/register.h"

namespace sanso::cli {
namespace {

struct InspectArgs {
  ServiceOptions service;
  std::string templates;  // default: inspection/ beside the policy file
  std::string template_id, body, period, assignee, reviewer;
  std::string campaign, item, answer, note, owner, due, description, format = "xlsx", output, month, section;
  std::vector<std::string> evidence;
  std::int64_t action_id = 0;
  bool json = false;
};

// What every inspect subcommand works on: the service, its store (one connection, taken for the
// command) and the audit log.
struct Session {
  Service service;
  std::unique_ptr<store::SharedDatabase> db;
  std::unique_ptr<audit::AuditLog> log;
  std::string actor;
  std::string account;  // the operating-system account behind `actor` ("uid 1000")
  bool inspector = false;  // `actor` holds one of [quarantine] inspector_roles
};

Result<Session> open_session(const InspectArgs& a, bool needs_actor) {
  Session s;
  s.service = SANSO_TRY(load_service(a.service));
  s.log = SANSO_TRY(make_audit_log(s.service));
  s.db = std::make_unique<store::SharedDatabase>(SANSO_TRY(open_store(s.service.config)));
  // The policy in force gets its policy.change entry, which the automatic items cite.
  SANSO_TRY(record_setting_changes(s.service, *s.db, *s.log, s.service.config.node));
  if (needs_actor) {
    const quarantine::Actor actor = SANSO_TRY(resolve_actor(s.service, a.service));
    s.actor = actor.name;
    s.account = actor.account;
    s.inspector = actor.has_any_role(s.service.config.quarantine.inspector_roles);
  }
  return s;
}

// The person's file, read as them: evidence is kept and shown in the console, so under sudo a path
// must not bring in what they could not read themselves.
Result<std::string> read_evidence_file(const std::string& path) {
  auto bytes = read_named_file(path, inspect::kMaxEvidenceBytes);
  if (!bytes && bytes.error().code == "cli.too-large") {
    return make_error("inspect.too-large", path, "evidence files are at most " + human_size(inspect::kMaxEvidenceBytes) + ": " + bytes.error().message);
  }
  if (!bytes) return make_error("inspect.unreadable", path, "cannot read the evidence file: " + bytes.error().message);
  return bytes;
}

int run_create(const InspectArgs& a) {
  Session s = CLI_TRY(open_session(a, true));
  const std::string dir = a.templates.empty()
                              ? (std::filesystem::path(s.service.config.policy_file).parent_path() / "inspection").string()
                              : a.templates;
  // --templates is the person's folder, read as them (the configured one beside the policy as sanso).
  const inspect::TemplateSet set = CLI_TRY([&]() -> Result<inspect::TemplateSet> {
    std::optional<AsThePerson> as_them;
    if (!a.templates.empty()) {
      as_them.emplace();
      // A folder of files cannot be checked file by file against the person's modes here: a
      // service account acting for someone else takes the configured templates only.
      if (as_them->checks_by_mode()) {
        return make_error("cli.unreadable", dir, "--templates is not taken when sanso runs as its own account for you: use the configured inspection/ folder");
      }
    }
    return inspect::load_template_dir(dir);
  }());
  const inspect::Template* t = set.find(a.template_id);
  if (!t) {
    std::string known;
    for (const auto& x : set.templates) known += (known.empty() ? "" : ", ") + x.id;
    return fail(make_error("inspect.unknown-template", dir, "no template '" + a.template_id + "' (templates: " + known + ")"));
  }
  auto use = s.db->use();
  inspect::Campaigns campaigns(*use, *s.log, system_clock());
  const inspect::Campaign c = CLI_TRY(campaigns.create(*t, s.service.policy, {a.body, a.period, a.assignee, a.reviewer, a.section}, s.actor));
  std::printf("点検を作成しました: %s（%s、%s%s、担当 %s）\n", c.id.c_str(), c.template_title.c_str(), c.period_label.c_str(),
              c.section.empty() ? "" : ("、" + c.section).c_str(), c.assignee.c_str());
  const auto carried = CLI_TRY(campaigns.carried_actions(c.id));
  if (!carried.empty()) std::printf("前回までの未完了の是正措置 %zu 件を引き継ぎます。\n", carried.size());
  std::printf("%s\n", c.id.c_str());
  return kExitOk;
}

int run_list(const InspectArgs& a) {
  Session s = CLI_TRY(open_session(a, false));
  auto use = s.db->use();
  inspect::Campaigns campaigns(*use, *s.log, system_clock());
  const auto list = CLI_TRY(campaigns.list(a.body));
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : list) {
      out.push_back({{"id", c.id}, {"body", c.body}, {"section", c.section}, {"template", c.template_id}, {"period", c.period_label}, {"assignee", c.assignee},
                     {"reviewer", c.reviewer}, {"state", inspect::to_string(c.state)}, {"signed_by", c.signed_by}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  if (list.empty()) {
    std::printf("点検はまだありません（sanso inspect campaign create で作成します）。\n");
    return kExitOk;
  }
  std::size_t id_width = 40;  // a section's campaign id is longer (its section's key): the column widens
  for (const auto& c : list) id_width = std::max(id_width, c.id.size() + 2);
  std::printf("%s%s%s%s状態\n", pad_to_width("点検", id_width).c_str(), pad_to_width("実施機関・課/係", 34).c_str(), pad_to_width("期間", 10).c_str(),
              pad_to_width("担当", 12).c_str());
  for (const auto& c : list) {
    const policy::Body* body = s.service.policy.find_body(c.body);
    std::printf("%s%s%s%s%s\n", pad_to_width(c.id, id_width).c_str(), pad_to_width(inspect::body_and_section(body ? body->name.ja : c.body, c.section), 34).c_str(),
                pad_to_width(c.period_label, 10).c_str(), pad_to_width(visible_text(c.assignee), 12).c_str(),
                c.state == inspect::CampaignState::kOpen ? "実施中" : ("確認済み（" + visible_text(c.signed_by) + "）").c_str());
  }
  return kExitOk;
}

int run_answer(const InspectArgs& a) {
  const inspect::Answer answer = CLI_TRY(inspect::parse_answer(a.answer));
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& path : a.evidence) files.emplace_back(std::filesystem::path(path).filename().string(), CLI_TRY(read_evidence_file(path)));
  Session s = CLI_TRY(open_session(a, true));
  auto use = s.db->use();
  inspect::Campaigns campaigns(*use, *s.log, system_clock());
  CLI_TRY(campaigns.answer(a.campaign, a.item, answer, a.note, s.actor, s.account, s.inspector));
  std::printf("回答しました: %s %s → %s\n", a.campaign.c_str(), a.item.c_str(), std::string(inspect::label_ja(answer)).c_str());
  for (const auto& [name, content] : files) {
    const inspect::Evidence e = CLI_TRY(campaigns.add_evidence(a.campaign, a.item, name, content, s.actor));
    std::printf("証跡 %lld: %s（%s, SHA-256 %s）\n", static_cast<long long>(e.id), e.file_name.c_str(),
                human_size(static_cast<std::uint64_t>(e.size)).c_str(), e.sha256.c_str());
  }
  return kExitOk;
}

// `sanso inspect assign CAMPAIGN ITEM [PERSON]`: one item to a person of [[users]] (none: back to
// the campaign's assignee).
int run_assign(const InspectArgs& a) {
  Session s = CLI_TRY(open_session(a, true));
  std::vector<std::string> people;
  for (const auto& u : s.service.config.operators) people.push_back(u.name);
  auto use = s.db->use();
  inspect::Campaigns campaigns(*use, *s.log, system_clock());
  CLI_TRY(campaigns.assign(a.campaign, a.item, a.assignee, people, s.actor, s.inspector));
  const inspect::Campaign c = CLI_TRY(campaigns.get(a.campaign));
  std::printf("担当を設定しました: %s %s → %s\n", a.campaign.c_str(), a.item.c_str(),
              visible_text(inspect::Campaigns::answerer(c, CLI_TRY(campaigns.item_assignees(a.campaign)), a.item)).c_str());
  return kExitOk;
}

// `sanso inspect items CAMPAIGN`: each item with who answers it and its answer.
int run_items(const InspectArgs& a) {
  Session s = CLI_TRY(open_session(a, false));
  auto use = s.db->use();
  inspect::Campaigns campaigns(*use, *s.log, system_clock());
  const inspect::Campaign c = CLI_TRY(campaigns.get(a.campaign));
  const auto assignees = CLI_TRY(campaigns.item_assignees(c.id));
  const auto answers = CLI_TRY(campaigns.answers(c.id));
  nlohmann::json out = nlohmann::json::array();
  for (const auto& item : c.items) {
    const bool manual = item.kind == inspect::ItemKind::kManual;
    const std::string who = manual ? inspect::Campaigns::answerer(c, assignees, item.id) : std::string();
    auto answered = std::find_if(answers.begin(), answers.end(), [&](const inspect::AnswerRecord& r) { return r.item == item.id; });
    const std::string answer = answered == answers.end() ? "" : std::string(inspect::to_string(answered->answer));
    if (a.json) {
      out.push_back({{"item", item.id}, {"clause", item.clause}, {"manual", manual}, {"assignee", who}, {"answer", answer}});
      continue;
    }
    std::printf("%s%s%s%s\n", pad_to_width(item.id, 14).c_str(), pad_to_width(item.clause, 8).c_str(),
                pad_to_width(manual ? visible_text(who) : "（自動）", 16).c_str(),
                answered == answers.end() ? "" : std::string(inspect::label_ja(answered->answer)).c_str());
  }
  if (a.json) std::printf("%s\n", out.dump(2).c_str());
  return kExitOk;
}

int run_action_add(const InspectArgs& a) {
  const auto due = Date::parse(a.due);
  if (!due) return fail(make_error("inspect.bad-due", a.due, "--due must be a date like 2027-01-31"));
  Session s = CLI_TRY(open_session(a, true));
  auto use = s.db->use();
  inspect::Campaigns campaigns(*use, *s.log, system_clock());
  const auto action = CLI_TRY(campaigns.add_action(a.campaign, a.item, a.description, a.owner, *due, s.actor));
  std::printf("是正措置 %lld を登録しました（担当 %s、期限 %s）\n", static_cast<long long>(action.id), action.owner.c_str(),
              action.due.to_string().c_str());
  return kExitOk;
}

int run_action_close(const InspectArgs& a) {
  Session s = CLI_TRY(open_session(a, true));
  auto use = s.db->use();
  inspect::Campaigns campaigns(*use, *s.log, system_clock());
  CLI_TRY(campaigns.close_action(a.action_id, a.campaign, a.note, s.actor));
  std::printf("是正措置 %lld を完了としました（%s）\n", static_cast<long long>(a.action_id), a.campaign.c_str());
  return kExitOk;
}

int run_signoff(const InspectArgs& a) {
  Session s = CLI_TRY(open_session(a, true));
  auto use = s.db->use();
  inspect::Campaigns campaigns(*use, *s.log, system_clock());
  CLI_TRY(campaigns.sign_off(a.campaign, a.note, s.actor, s.account));
  std::printf("確認しました: %s（%s）。以後この点検は変更できません。\n", a.campaign.c_str(), s.actor.c_str());
  return kExitOk;
}

int run_evaluate(const InspectArgs& a) {
  Session s = CLI_TRY(open_session(a, true));
  auto use = s.db->use();
  inspect::Campaigns campaigns(*use, *s.log, system_clock());
  // The registers the automatic items read (contractors, exceptions) hold what the policy declares.
  registers::Registers regs(*use, *s.log, system_clock(), &s.service.policy);
  CLI_TRY(regs.seed_from_policy(s.service.config.node.empty() ? "sanso" : s.service.config.node));
  const inspect::EvaluationInputs inputs{&s.service.policy, s.service.policy_sha256, &s.service.config.quarantine};
  const auto results = CLI_TRY(inspect::evaluate_campaign(*use, campaigns, a.campaign, inputs, system_clock(), s.actor));
  // The evaluation under a signature at once: `inspect verify` proves it from the checkpoint.
  const audit::SigningKey key = CLI_TRY(load_audit_key(s.service, false));
  const audit::SignedCheckpoint checkpoint = CLI_TRY(s.log->checkpoint(*use, key));
  bool all = true;
  for (const auto& r : results) all = all && r.passed;
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : results) {
      out.push_back({{"item", r.item}, {"check", r.check}, {"passed", r.passed}, {"summary", r.summary}, {"evidence", r.evidence},
                     {"audit_index", r.audit_index}});
    }
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    for (const auto& r : results) {
      std::string entries;
      for (auto i : r.evidence) entries += (entries.empty() ? "#" : ", #") + std::to_string(i);
      std::printf("%s  %s: %s%s\n", r.passed ? "適合  " : "不適合", r.item.c_str(), r.summary.c_str(),
                  entries.empty() ? "" : ("（根拠 " + entries + "）").c_str());
    }
    if (!results.empty()) std::printf("評価の記録: 監査ログ #%llu\n", static_cast<unsigned long long>(results.front().audit_index));
    std::printf("署名付きチェックポイント: %llu 件 %s\n", static_cast<unsigned long long>(checkpoint.checkpoint.size),
                audit::to_base64(checkpoint.checkpoint.root).c_str());
  }
  return all ? kExitOk : kExitFailure;
}

int run_verify(const InspectArgs& a) {
  Session s = CLI_TRY(open_session(a, false));
  const audit::VerifierKey key = CLI_TRY(load_audit_key(s.service, false)).verifier;
  auto use = s.db->use();
  inspect::Campaigns campaigns(*use, *s.log, system_clock());
  const auto proofs = CLI_TRY(inspect::prove_evaluations(*use, campaigns, a.campaign, key));
  bool all = !proofs.empty();
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& p : proofs) {
      out.push_back({{"audit_index", p.audit_index}, {"tree_size", p.tree_size}, {"root", p.root}, {"signed_at", p.signed_at},
                     {"entries", p.entries}, {"problem", p.problem}});
    }
    std::printf("%s\n", out.dump(2).c_str());
  } else if (proofs.empty()) {
    std::printf("%s: 評価の記録がありません（sanso inspect evaluate で評価します）。\n", a.campaign.c_str());
  }
  for (const auto& p : proofs) {
    all = all && p.problem.empty();
    if (a.json) continue;
    if (p.problem.empty()) {
      std::printf("検証済み  評価 #%llu: チェックポイント %llu 件（%s 署名、root %s）に記録 %zu 件が含まれる\n",
                  static_cast<unsigned long long>(p.audit_index), static_cast<unsigned long long>(p.tree_size), local_time(p.signed_at).c_str(),
                  p.root.c_str(), p.entries);
    } else {
      std::printf("検証できない 評価 #%llu: %s\n", static_cast<unsigned long long>(p.audit_index), p.problem.c_str());
    }
  }
  return all ? kExitOk : kExitFailure;
}

int run_report(const InspectArgs& a) {
  if (a.format != "xlsx" && a.format != "pdf") {
    return fail(make_error("inspect.report-format", a.format, "--format is xlsx or pdf"));
  }
  Session s = CLI_TRY(open_session(a, false));
  auto use = s.db->use();
  inspect::Campaigns campaigns(*use, *s.log, system_clock());
  // The auditor's sheet verifies the log with the verifier key; without the key there is no report.
  const audit::VerifierKey key = CLI_TRY(load_audit_key(s.service, false)).verifier;
  const inspect::ReportSources sources{&s.service.policy, &*use, &key};
  if (a.format == "pdf") {
    const inspect::PdfPrinter printer{s.service.config.cdr.chromium, std::chrono::seconds(s.service.config.cdr.converter_timeout_seconds)};
    CLI_TRY(write_named_file_from(a.output, [&](const std::string& path) { return inspect::write_pdf_report(campaigns, a.campaign, sources, printer, path); }));
  } else {
    CLI_TRY(write_named_file_from(a.output, [&](const std::string& path) { return inspect::write_xlsx_report(campaigns, a.campaign, sources, path); }));
  }
  std::printf("点検表を書き出しました: %s\n", a.output.c_str());
  return kExitOk;
}

int run_stats(const InspectArgs& a) {
  Session s = CLI_TRY(open_session(a, false));
  auto use = s.db->use();
  const inspect::OperationsStatistics stats = CLI_TRY(inspect::monthly_statistics(*use, a.month));
  if (a.json) {
    nlohmann::json measures = nlohmann::json::array();
    for (const auto& m : inspect::measures()) {
      const auto& counted = stats.of(m.id);
      nlohmann::json actions = nlohmann::json::array();
      for (auto action : m.actions) actions.push_back(std::string(action));
      measures.push_back({{"id", std::string(m.id)}, {"label_ja", std::string(m.label_ja)}, {"label_en", std::string(m.label_en)},
                          {"actions", actions}, {"total", counted.total}, {"by_outcome", counted.by_outcome}});
    }
    const nlohmann::json out{{"month", stats.label}, {"from", stats.from}, {"to", stats.to}, {"entries", stats.entries},
                             {"first_index", stats.first_index}, {"last_index", stats.last_index}, {"measures", measures}};
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("運用統計 %s（%s から %s まで）: 監査ログの記録 %llu 件", stats.label.c_str(), local_time(stats.from).c_str(),
              local_time(stats.to).c_str(), static_cast<unsigned long long>(stats.entries));
  if (stats.entries) std::printf("（#%llu〜#%llu）", static_cast<unsigned long long>(stats.first_index), static_cast<unsigned long long>(stats.last_index));
  std::printf("\n");
  for (const auto& m : inspect::measures()) {
    const auto& counted = stats.of(m.id);
    std::string parts;
    for (const auto& [outcome, n] : counted.by_outcome) {
      parts += (parts.empty() ? "" : ", ") + std::string(inspect::outcome_ja(outcome)) + " " + std::to_string(n);
    }
    std::printf("%s  %llu%s\n", std::string(m.label_ja).c_str(), static_cast<unsigned long long>(counted.total),
                parts.empty() ? "" : ("（" + visible_text(parts) + "）").c_str());
  }
  return kExitOk;
}

}  // namespace

void register_inspect_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<InspectArgs>();
  CLI::App* inspect = app.add_subcommand("inspect", "self-inspection (自己点検, clause 7): campaigns, answers, automatic items, reports");
  inspect->require_subcommand(1);

  CLI::App* campaign = inspect->add_subcommand("campaign", "create or list campaigns");
  campaign->require_subcommand(1);
  CLI::App* create = campaign->add_subcommand("create", "a campaign of one template for one body and period");
  add_service_options(*create, a->service, true);
  create->add_option("--template", a->template_id, "template id, e.g. minamata-monthly")->required();
  create->add_option("--body", a->body, "body id from the policy's [[bodies]] (4(1)), e.g. mayor")->required();
  create->add_option("--period", a->period, "2026-11 for a monthly template, 2026 (年度) for an annual one")->required();
  create->add_option("--assignee", a->assignee, "who answers it")->required();
  create->add_option("--reviewer", a->reviewer, "who signs it off (default: anyone but those who answered)");
  create->add_option("--section", a->section, "section (課/係) of the body, e.g. 総務課情報政策係 (default: the whole body)");
  create->add_option("--templates", a->templates, "template directory (default: inspection/ beside the policy file)");
  create->callback([&exit_code, a] { exit_code = run_create(*a); });

  CLI::App* list = campaign->add_subcommand("list", "campaigns and their state");
  add_service_options(*list, a->service, false);
  list->add_option("--body", a->body, "only this body's");
  list->add_flag("--json", a->json, "machine-readable output");
  list->callback([&exit_code, a] { exit_code = run_list(*a); });

  CLI::App* answer = inspect->add_subcommand("answer", "answer a manual item (the assignee only), with evidence files");
  add_service_options(*answer, a->service, true);
  answer->add_option("CAMPAIGN", a->campaign)->required();
  answer->add_option("ITEM", a->item)->required();
  answer->add_option("ANSWER", a->answer, "yes, no or na")->required();
  answer->add_option("--note", a->note, "remark (required for na)");
  answer->add_option("--evidence", a->evidence, "a file kept with the answer, hash-bound (repeatable)");
  answer->callback([&exit_code, a] { exit_code = run_answer(*a); });

  CLI::App* assign = inspect->add_subcommand("assign", "assign one manual item to a person of [[users]] (without PERSON: back to the campaign's assignee)");
  add_service_options(*assign, a->service, true);
  assign->add_option("CAMPAIGN", a->campaign)->required();
  assign->add_option("ITEM", a->item)->required();
  assign->add_option("PERSON", a->assignee, "a [[users]] name");
  assign->callback([&exit_code, a] { exit_code = run_assign(*a); });

  CLI::App* items = inspect->add_subcommand("items", "a campaign's items: who answers each, and the answer");
  add_service_options(*items, a->service, false);
  items->add_option("CAMPAIGN", a->campaign)->required();
  items->add_flag("--json", a->json, "machine-readable output");
  items->callback([&exit_code, a] { exit_code = run_items(*a); });

  CLI::App* action = inspect->add_subcommand("action", "corrective actions for findings");
  action->require_subcommand(1);
  CLI::App* add = action->add_subcommand("add", "an action for a finding of the campaign");
  add_service_options(*add, a->service, true);
  add->add_option("CAMPAIGN", a->campaign)->required();
  add->add_option("ITEM", a->item)->required();
  add->add_option("--owner", a->owner, "who carries it out")->required();
  add->add_option("--due", a->due, "due date, e.g. 2027-01-31")->required();
  add->add_option("--description", a->description, "what will be done")->required();
  add->callback([&exit_code, a] { exit_code = run_action_add(*a); });
  CLI::App* close = action->add_subcommand("close", "close an action carried into a later campaign of the body");
  add_service_options(*close, a->service, true);
  close->add_option("ID", a->action_id)->required();
  close->add_option("--campaign", a->campaign, "the later campaign that checked it")->required();
  close->add_option("--note", a->note, "what was done");
  close->callback([&exit_code, a] { exit_code = run_action_close(*a); });

  CLI::App* signoff = inspect->add_subcommand("signoff", "sign off and lock a campaign (someone other than who answered)");
  add_service_options(*signoff, a->service, true);
  signoff->add_option("CAMPAIGN", a->campaign)->required();
  signoff->add_option("--note", a->note, "reviewer's remark");
  signoff->callback([&exit_code, a] { exit_code = run_signoff(*a); });

  CLI::App* evaluate = inspect->add_subcommand("evaluate", "evaluate the automatic items from Sanso's records (exit 1 when one fails)");
  add_service_options(*evaluate, a->service, true);
  evaluate->add_option("CAMPAIGN", a->campaign)->required();
  evaluate->add_flag("--json", a->json, "machine-readable output");
  evaluate->callback([&exit_code, a] { exit_code = run_evaluate(*a); });

  CLI::App* verify = inspect->add_subcommand("verify", "prove each evaluation from its signed checkpoint (exit 1 when one cannot be proved)");
  add_service_options(*verify, a->service, false);
  verify->add_option("CAMPAIGN", a->campaign)->required();
  verify->add_flag("--json", a->json, "machine-readable output");
  verify->callback([&exit_code, a] { exit_code = run_verify(*a); });

  CLI::App* stats = inspect->add_subcommand("stats", "operations statistics of a month (6(7)/6(9)), counted from the audit log");
  add_service_options(*stats, a->service, false);
  stats->add_option("--month", a->month, "the month in Japan Standard Time, e.g. 2026-11")->required();
  stats->add_flag("--json", a->json, "machine-readable output");
  stats->callback([&exit_code, a] { exit_code = run_stats(*a); });

  CLI::App* report = inspect->add_subcommand("report", "the 点検表 as a workbook (xlsx) or printed (pdf, by Chromium in the converter sandbox)");
  add_service_options(*report, a->service, false);
  report->add_option("CAMPAIGN", a->campaign)->required();
  report->add_option("--format", a->format, "xlsx or pdf");
  report->add_option("-o,--output", a->output, "file to write")->required();
  report->callback([&exit_code, a] { exit_code = run_report(*a); });
}

}  // namespace sanso::cli
