// `sanso quarantine list|show|add|export|request-release|approve|deny|release|purge`: what was
// taken out of mail and files, and the only way back out.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli/batch_files.h"
#include "cli/commands.h"
#include "mail/identifiers.h"
#include "cli/service.h"
#include "core/text.h"
#include "audit/log.h"
#include "transfer/transfer.h"

namespace sanso::cli {
namespace {

namespace fs = std::filesystem;
using quarantine::Item;
using quarantine::ItemState;

nlohmann::json to_json(const Item& it) {
  nlohmann::json origin{{"kind", quarantine::to_string(it.origin.kind)}};
  if (it.origin.kind == quarantine::Origin::Kind::kMail) {
    origin["message_id"] = it.origin.message_id;
    // The envelope is kept whole for the release to deliver to; shown, a number in it is masked.
    origin["envelope_from"] = mail::mask_identification_numbers(it.origin.envelope_from);
    nlohmann::json to = nlohmann::json::array();
    for (const auto& r : it.origin.envelope_to) to.push_back(mail::mask_identification_numbers(r));
    origin["envelope_to"] = std::move(to);
    origin["subject"] = it.origin.subject;
  } else {
    origin["file_name"] = it.origin.file_name;
    origin["uploader"] = it.origin.uploader;
  }
  auto report = nlohmann::json::parse(it.report_json, nullptr, false);
  return {{"id", it.id},
          {"sha256", it.sha256},
          {"size", it.size},
          {"origin", origin},
          {"verdict", std::string(quarantine::to_string(it.verdict))},
          {"reason", it.reason},
          {"report", report.is_discarded() ? nlohmann::json(it.report_json) : report},
          {"classification", it.classification},
          {"received_at", it.received_at},
          {"expires_at", it.expires_at},
          {"state", std::string(quarantine::to_string(it.state))},
          {"state_changed_at", it.state_changed_at},
          {"damage", it.damage}};
}

nlohmann::json to_json(const quarantine::ReleaseRequest& r) {
  return {{"id", r.id},           {"sha256", r.sha256},           {"requested_by", r.requested_by},
          {"reason", r.reason},   {"requested_at", r.requested_at}, {"decision", r.decision},
          {"decided_by", r.decided_by}, {"decided_role", r.decided_role}, {"decision_note", r.decision_note},
          {"decided_at", r.decided_at}, {"released_by", r.released_by}, {"released_to", r.released_to},
          {"released_at", r.released_at}};
}

// The states' names as the quarantine spells them: --state accepts exactly these.
std::vector<std::string> state_names() {
  std::vector<std::string> out;
  for (quarantine::ItemState s : quarantine::all_states()) out.emplace_back(quarantine::to_string(s));
  return out;
}

int run_list(const ServiceOptions& o, const std::string& state, std::int64_t limit, bool json) {
  auto s = open_quarantine_session(o);
  if (!s) return print_error(s.error()), kExitFailure;
  quarantine::ListFilter filter;
  filter.limit = limit;
  if (!state.empty()) {
    // --state is checked against the same names when the arguments are read; this keeps a bad
    // one from ever listing everything.
    auto parsed = quarantine::parse_state(state, "--state");
    if (!parsed) return print_error(parsed.error()), kExitUsage;
    filter.state = *parsed;
  }
  auto items = s->store->list(filter);
  if (!items) return print_error(items.error()), kExitFailure;
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& it : *items) out.push_back(to_json(it));
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  if (items->empty()) {
    std::printf("隔離されている項目はありません。\n");
    return kExitOk;
  }
  std::printf("%s%s%s%s%s件名・ファイル名\n", pad_to_width("ID", 20).c_str(), pad_to_width("受信日時", 27).c_str(),
              pad_to_width("状態", 12).c_str(), pad_to_width("判定", 11).c_str(), pad_to_width("サイズ", 11).c_str());
  for (const auto& it : *items) {
    std::printf("%s%s%s%s%s%s\n", pad_to_width(it.id, 20).c_str(), pad_to_width(local_time(it.received_at), 27).c_str(),
                pad_to_width(quarantine::state_label(it.state, "ja"), 12).c_str(), pad_to_width(std::string(quarantine::label(it.verdict, "ja")), 11).c_str(),
                pad_to_width(human_size(static_cast<std::uint64_t>(it.size)), 11).c_str(), visible_text(quarantine::label_of(it)).c_str());
  }
  return kExitOk;
}

int run_show(const ServiceOptions& o, const std::string& id, bool json) {
  auto s = open_quarantine_session(o);
  if (!s) return print_error(s.error()), kExitFailure;
  auto item = s->store->get(id);
  if (!item) return print_error(item.error()), kExitFailure;
  auto history = s->store->releases(id);
  if (!history) return print_error(history.error()), kExitFailure;
  if (json) {
    auto j = to_json(*item);
    j["releases"] = nlohmann::json::array();
    for (const auto& r : *history) j["releases"].push_back(to_json(r));
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  const Item& it = *item;
  std::printf("ID:         %s\n状態:       %s (%s)\n判定:       %s (%s)\n理由:       %s\n", it.id.c_str(),
              std::string(quarantine::state_label(it.state, "ja")).c_str(), std::string(quarantine::to_string(it.state)).c_str(),
              std::string(quarantine::label(it.verdict, "ja")).c_str(), std::string(quarantine::to_string(it.verdict)).c_str(),
              visible_text(it.reason).c_str());
  // Whatever a sender wrote is shown with control and bidi characters as visible markers: a
  // terminal must not be steered, nor a name reordered to look like another.
  if (it.origin.kind == quarantine::Origin::Kind::kMail) {
    std::string to;
    for (const auto& r : it.origin.envelope_to) to += (to.empty() ? "" : ", ") + mail::mask_identification_numbers(r);
    std::printf("種別:       メール\n件名:       %s\nMessage-ID: %s\n送信者:     %s\n宛先:       %s\n", visible_text(it.origin.subject).c_str(),
                visible_text(it.origin.message_id).c_str(), visible_text(mail::mask_identification_numbers(it.origin.envelope_from)).c_str(), visible_text(to).c_str());
  } else {
    std::printf("種別:       ファイル\nファイル名: %s\n提出者:     %s\n", visible_text(it.origin.file_name).c_str(), visible_text(it.origin.uploader).c_str());
  }
  std::printf("サイズ:     %s (%lld bytes)\nSHA-256:    %s\n受信:       %s\n保管期限:   %s\n", human_size(static_cast<std::uint64_t>(it.size)).c_str(),
              static_cast<long long>(it.size), it.sha256.c_str(), local_time(it.received_at).c_str(),
              local_time(it.expires_at).c_str());
  if (!it.classification.empty()) std::printf("格付:       %s\n", it.classification.c_str());
  if (!it.damage.empty()) std::printf("破損:       %s\n", it.damage.c_str());
  std::printf("所見:       %s\n", it.report_json.c_str());
  for (const auto& r : *history) {
    std::printf("解放申請 #%lld: %s が %s に申請「%s」", static_cast<long long>(r.id), r.requested_by.c_str(),
                local_time(r.requested_at).c_str(), r.reason.c_str());
    if (r.decision != quarantine::ReleaseDecision::kNone) {
      std::printf(" → %s が%s (%s)%s%s", r.decided_by.c_str(), std::string(quarantine::decision_label(r.decision, "ja")).c_str(), r.decided_role.c_str(),
                  r.decision_note.empty() ? "" : " 「", r.decision_note.empty() ? "" : (r.decision_note + "」").c_str());
    }
    if (r.released_at != 0) std::printf(" → %s が解放: %s", r.released_by.c_str(), r.released_to.c_str());
    std::printf("\n");
  }
  return kExitOk;
}

struct AddOptions {
  std::string file;
  std::string verdict = "held";
  std::string reason;
  bool mail = false;
  std::string from;
  std::vector<std::string> to;
  std::string subject;
  std::string message_id;
};

int run_add(const ServiceOptions& o, const AddOptions& a) {
  auto verdict = quarantine::parse_verdict(a.verdict, "--verdict");
  if (!verdict) return print_error(verdict.error()), kExitUsage;
  auto s = open_quarantine_session(o);
  if (!s) return print_error(s.error()), kExitFailure;
  auto actor = resolve_actor(s->service, o);
  if (!actor) return print_error(actor.error()), kExitFailure;
  // The file is the person's to hand in, not whatever sanso's account can read; no larger than
  // what the gateway or the CDR engine would keep.
  const auto& c = s->service.config;
  const std::uint64_t most = static_cast<std::uint64_t>(std::max(c.mail.max_message_mb, c.cdr.max_file_mb)) << 20;
  auto bytes = read_named_file(a.file, most);
  if (!bytes) return print_error(bytes.error()), kExitFailure;
  quarantine::Submission sub;
  sub.original = std::move(bytes).value();
  sub.verdict = *verdict;
  sub.submitted_by = actor->name;
  sub.reason = a.reason.empty() ? "手動で隔離 (" + actor->name + ")" : a.reason;
  if (a.mail) {
    sub.origin.kind = quarantine::Origin::Kind::kMail;
    sub.origin.envelope_from = a.from;
    sub.origin.envelope_to = a.to;
    sub.origin.subject = a.subject;
    sub.origin.message_id = a.message_id;
  } else {
    sub.origin.kind = quarantine::Origin::Kind::kFile;
    sub.origin.file_name = fs::path(a.file).filename().string();
    sub.origin.uploader = actor->name;
  }
  auto item = s->store->put(std::move(sub));
  if (!item) return print_error(item.error()), kExitFailure;
  std::printf("%s\n", item->id.c_str());
  return kExitOk;
}

int run_export(const ServiceOptions& o, const std::string& id, const std::string& output) {
  auto s = open_quarantine_session(o);
  if (!s) return print_error(s.error()), kExitFailure;
  auto actor = resolve_actor(s->service, o);
  if (!actor) return print_error(actor.error()), kExitFailure;
  auto original = s->store->export_original(id, *actor);
  if (!original) return print_error(original.error()), kExitFailure;
  // Written where the person may write, owned by them, as private as the store.
  if (auto written = write_named_file(output, *original, 0600); !written) return print_error(written.error()), kExitFailure;
  std::fprintf(stderr, "%s: 原本 %zu bytes を %s に書き出しました (監査ログに記録)\n", id.c_str(), original->size(), output.c_str());
  return kExitOk;
}

enum class Decision { kRequest, kApprove, kDeny };

int run_decision(const ServiceOptions& o, Decision d, const std::string& id, const std::string& text) {
  auto s = open_quarantine_session(o);
  if (!s) return print_error(s.error()), kExitFailure;
  auto actor = resolve_actor(s->service, o);
  if (!actor) return print_error(actor.error()), kExitFailure;
  auto r = d == Decision::kRequest   ? s->store->request_release(id, *actor, text)
           : d == Decision::kApprove ? s->store->approve(id, *actor, text)
                                     : s->store->deny(id, *actor, text);
  if (!r) return print_error(r.error()), kExitFailure;
  const char* what = d == Decision::kRequest ? "解放を申請しました" : d == Decision::kApprove ? "解放を承認しました" : "解放を却下しました";
  std::printf("%s: %s (申請 #%lld, %s)\n", id.c_str(), what, static_cast<long long>(r->id), actor->name.c_str());
  return kExitOk;
}

int run_release(const ServiceOptions& o, const std::string& id, const std::string& output) {
  auto s = open_quarantine_session(o);
  if (!s) return print_error(s.error()), kExitFailure;
  auto actor = resolve_actor(s->service, o);
  if (!actor) return print_error(actor.error()), kExitFailure;
  auto deliver = release_delivery(s->service, actor->name, output);
  auto r = s->store->release(id, *actor, deliver);
  if (!r) return print_error(r.error()), kExitFailure;
  std::printf("%s: 解放しました → %s\n", id.c_str(), r->released_to.c_str());
  return kExitOk;
}

int run_purge(const ServiceOptions& o) {
  auto s = open_quarantine_session(o);
  if (!s) return print_error(s.error()), kExitFailure;
  auto actor = resolve_actor(s->service, o);
  if (!actor) return print_error(actor.error()), kExitFailure;
  // Without the transfer service here: its hook, so that a mail's PPAP attachments go with it.
  audit::AuditLog* log = s->log.get();
  s->store->on_purge([log](store::Database& d, const quarantine::Item& item, const quarantine::Actor& who) {
    return transfer::discard_with_purged_mail(d, *log, item.id, who.name);
  });
  auto n = s->store->purge(*actor);
  if (!n) return print_error(n.error()), kExitFailure;
  std::printf("保管期限を過ぎた %lld 件を削除しました。\n", static_cast<long long>(*n));
  return kExitOk;
}

}  // namespace

void register_quarantine_command(CLI::App& app, int& exit_code) {
  CLI::App* q = app.add_subcommand("quarantine", "originals kept in quarantine, and their release with approval");
  q->require_subcommand(1);
  auto o = std::make_shared<ServiceOptions>();
  auto id = std::make_shared<std::string>();
  auto text = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);

  CLI::App* list = q->add_subcommand("list", "items, newest first");
  add_service_options(*list, *o, false);
  auto state = std::make_shared<std::string>();
  auto limit = std::make_shared<std::int64_t>(100);
  list->add_option("--state", *state, "only items in this state")
      ->check(CLI::IsMember(state_names()));
  list->add_option("--limit", *limit, "at most this many")->check(CLI::PositiveNumber);
  list->add_flag("--json", *json, "machine-readable output");
  list->callback([&exit_code, o, state, limit, json] { exit_code = run_list(*o, *state, *limit, *json); });

  CLI::App* show = q->add_subcommand("show", "one item: origin, verdict, findings, release history");
  add_service_options(*show, *o, false);
  show->add_option("ID", *id, "quarantine id")->required();
  show->add_flag("--json", *json, "machine-readable output");
  show->callback([&exit_code, o, id, json] { exit_code = run_show(*o, *id, *json); });

  CLI::App* add = q->add_subcommand("add", "quarantine a file by hand (e.g. media handed in for inspection)");
  add_service_options(*add, *o, true);
  auto a = std::make_shared<AddOptions>();
  add->add_option("FILE", a->file, "the file to keep")->required();
  add->add_option("--verdict", a->verdict, "verdict recorded with it: clean, sanitized, blocked or held (retention follows it)");
  add->add_option("--reason", a->reason, "why it is kept");
  add->add_flag("--mail", a->mail, "FILE is a mail message (give --from/--to for a later release)");
  add->add_option("--from", a->from, "envelope sender (with --mail)");
  add->add_option("--to", a->to, "envelope recipient (with --mail; repeatable)");
  add->add_option("--subject", a->subject, "subject (with --mail)");
  add->add_option("--message-id", a->message_id, "Message-ID (with --mail)");
  add->callback([&exit_code, o, a] { exit_code = run_add(*o, *a); });

  CLI::App* exp = q->add_subcommand("export", "write the original bytes to a file (inspector roles; audited)");
  add_service_options(*exp, *o, true);
  exp->add_option("ID", *id, "quarantine id")->required();
  exp->add_option("-o,--output", *output, "file to write")->required();
  exp->callback([&exit_code, o, id, output] { exit_code = run_export(*o, *id, *output); });

  CLI::App* req = q->add_subcommand("request-release", "ask for an original to be released");
  add_service_options(*req, *o, true);
  req->add_option("ID", *id, "quarantine id")->required();
  req->add_option("--reason", *text, "why it is needed")->required();
  req->callback([&exit_code, o, id, text] { exit_code = run_decision(*o, Decision::kRequest, *id, *text); });

  CLI::App* approve = q->add_subcommand("approve", "approve a release (an approver role; not the requester)");
  add_service_options(*approve, *o, true);
  approve->add_option("ID", *id, "quarantine id")->required();
  approve->add_option("--note", *text, "note kept with the decision");
  approve->callback([&exit_code, o, id, text] { exit_code = run_decision(*o, Decision::kApprove, *id, *text); });

  CLI::App* deny = q->add_subcommand("deny", "deny a release (an approver role; not the requester)");
  add_service_options(*deny, *o, true);
  deny->add_option("ID", *id, "quarantine id")->required();
  deny->add_option("--note", *text, "note kept with the decision");
  deny->callback([&exit_code, o, id, text] { exit_code = run_decision(*o, Decision::kDeny, *id, *text); });

  CLI::App* release = q->add_subcommand("release", "deliver an approved original: mail through the relay, files to export_dir");
  add_service_options(*release, *o, true);
  release->add_option("ID", *id, "quarantine id")->required();
  release->add_option("-o,--output", *output, "write to this file instead of re-injecting mail");
  release->callback([&exit_code, o, id, output] { exit_code = run_release(*o, *id, *output); });

  CLI::App* purge = q->add_subcommand("purge", "delete items past their retention period");
  add_service_options(*purge, *o, true);
  purge->callback([&exit_code, o] { exit_code = run_purge(*o); });
}

}  // namespace sanso::cli
