// `sanso transfer send|list|get|approve|deny|link|download|unlock|expire`: files between zones through
// the transfer service (src/transfer). This file only parses arguments, opens the service as the
// other service commands do, and prints; every decision is the service's.
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <filesystem>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "cdr/cdr.h"
#include "cdr/clamd.h"
#include "cdr/unlock.h"
#include "cli/batch_files.h"
#include "cli/commands.h"
#include "cli/service.h"
#include "cli/transfer_engines.h"
#include "core/clock.h"
#include "core/text.h"
#include "directory/directory.h"
#include "mail/outbound.h"
#include "mail/smtp_client.h"
#include "sandbox/sandbox.h"
#include "transfer/transfer.h"
#include "transfer/transfer_json.h"

namespace sanso::cli {

Result<TransferEngines> open_transfer_engines(QuarantineSession& q, const sandbox::Launch& launch) {
  TransferEngines s;
  const Service& service = q.service;
  s.policy = std::make_unique<policy::CompiledPolicy>(SANSO_TRY(policy::CompiledPolicy::compile(service.policy, system_clock().today())));
  const cdr::CdrPolicy cdr_policy = cdr_policy_from(service.config.cdr);
  SANSO_TRY(cdr::check_converters(cdr_policy));
  const std::string clamd = service.config.cdr.clamd;
  if (!clamd.empty()) SANSO_TRY(cdr::clamd_ping(clamd));
  s.engine = SANSO_TRY(sandbox::start(cdr::engine_task(cdr_policy), launch));
  std::vector<std::string> levels;
  for (const auto& l : service.policy.scheme.confidentiality.levels) levels.push_back(l.id);
  s.scanner = SANSO_TRY(sandbox::start(mail::outbound_scan_task(levels), launch));
  transfer::TransferService::Options options;
  options.limits = service.config.transfer;
  options.approver_roles = service.config.quarantine.approver_roles;
  options.unmarked_classification = service.config.mail.unmarked_classification;
  options.key_file = service.config.key_file;
  options.node = service.config.node;
  if (!service.config.directory.uri.empty() && !service.config.directory.lookup_bind.empty()) {
    options.directory = transfer::directory_lookup(service.config.directory);
    options.directory_approvers = transfer::directory_approvers(service.config.directory);
    options.directory_by_mail = transfer::directory_by_mail(service.config.directory);
  }
  options.internet_url = !service.config.web.internet_origin.empty() ? service.config.web.internet_origin : service.config.web.public_origin;
  if (service.config.transfer.notify && !service.config.quarantine.smtp_relay.empty()) {
    const config::ServiceConfig& c = service.config;
    options.notice_from = !c.transfer.notify_from.empty() ? c.transfer.notify_from : !c.mail.notice_from.empty() ? c.mail.notice_from : "postmaster";
    options.console_url = c.web.public_origin;
    options.send_notice = [relay = c.quarantine.smtp_relay, helo = c.quarantine.smtp_helo](const mime::ComposedNotice& n, const std::vector<std::string>& to) {
      mail::SmtpOptions smtp{relay, helo};
      smtp.timeout = std::chrono::seconds(10);
      // The null sender, as for a delivery report: a notice is never answered or bounced back.
      return mail::send_mail(smtp, mail::SmtpEnvelope{"", to}, n.message);
    };
  }
  transfer::TransferService::Engines engines;
  engines.sanitize = [engine = s.engine.get(), cdr_policy, clamd](std::string_view bytes, std::string_view name) {
    return cdr::with_antivirus(clamd, bytes, name, [&] { return cdr::sanitize_sandboxed(*engine, bytes, name, cdr_policy); });
  };
  // PPAP: each attempt in a child of its own, never the shared engine's workers: a fork per job
  // for a command, and for a service with threads a pool started here, before them, whose workers
  // serve one job each (cdr::unlock_task), so that no password outlives its attempt in a worker.
  // With clamd, what the encryption hid from it is scanned once decrypted (PPAP is how malware
  // gets past scanners), and the decrypted copy is wiped after.
  s.unlocker = SANSO_TRY(sandbox::start(cdr::unlock_task(cdr_policy), launch));
  engines.unlock = [unlocker = s.unlocker.get(), engine = s.engine.get(), cdr_policy, clamd](std::string_view bytes, std::string_view name,
                                                                                           std::string_view password) {
    cdr::UnlockOutcome out = cdr::unlock_sandboxed(*unlocker, *engine, bytes, name, password, cdr_policy, !clamd.empty());
    if (!clamd.empty() && !out.decrypted.empty()) {
      const cdr::CdrResult rebuilt = out.result;
      out.result = cdr::with_antivirus(clamd, out.decrypted, name, [&] { return rebuilt; });
    }
    sodium_memzero(out.decrypted.data(), out.decrypted.size());
    out.decrypted.clear();
    return out;
  };
  engines.scan = [scanner = s.scanner.get()](std::string_view bytes, std::string_view name) {
    return transfer::scan_outgoing_file(*scanner, bytes, name);
  };
  s.service = SANSO_TRY(transfer::TransferService::open(service.config, *s.policy, *q.store, *q.log, *q.db, std::move(options), std::move(engines)));
  return s;
}

namespace {

namespace fs = std::filesystem;

struct TransferArgs {
  std::vector<std::string> files;
  std::string to, reason, id, output_dir, token;
  int file_number = 0;  // unlock: the file's number as listed (1, 2, …); 0: every file awaiting a password
  bool json = false;
  bool password_stdin = false;
};

// The service on a quarantine session of its own.
struct TransferSession {
  QuarantineSession quarantine;
  TransferEngines engines;
  transfer::TransferService* service = nullptr;
};

Result<TransferSession> open_transfer_session(const ServiceOptions& o) {
  TransferSession s;
  s.quarantine = SANSO_TRY(open_quarantine_session(o));
  s.engines = SANSO_TRY(open_transfer_engines(s.quarantine));
  s.service = s.engines.service.get();
  return s;
}

Result<transfer::Person> person_of(const TransferSession& s, const ServiceOptions& o) {
  const quarantine::Actor actor = SANSO_TRY(resolve_actor(s.quarantine.service, o));
  const config::Operator* op = s.quarantine.service.config.find_operator(actor.name);
  return transfer::Person{actor.name, actor.roles, op != nullptr ? op->zone : "", actor.via, actor.account};
}

// The session and the person acting in it, as --as and the configuration say.
struct Acting {
  TransferSession session;
  transfer::Person person;
};
Result<Acting> open_acting(const ServiceOptions& o) {
  Acting a;
  a.session = SANSO_TRY(open_transfer_session(o));
  a.person = SANSO_TRY(person_of(a.session, o));
  return a;
}

// One line of standard input, at most 1 KiB (no password is longer; a file of zeros piped in must
// not take the memory), kept in one buffer that is wiped after use.
std::string read_password(bool from_stdin) {
  if (!from_stdin) return "";
  std::string line;
  line.reserve(1025);
  for (int c; line.size() <= 1024 && (c = std::cin.get()) != EOF && c != '\n';) line.push_back(static_cast<char>(c));
  if (line.size() > 1024) line.clear();  // not a password: refused as a wrong one, never truncated into one
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// Writes a delivered file into `dir` under its safe name, never over a file already there and
// never through a link planted in its place. Into a folder the person may write, owned by them, private (the file may hold residents' data),
// flushed before its path is printed; a name already there is kept and the file numbered anew.
Result<fs::path> write_delivered(const OutputFolder& folder, const transfer::Delivered& d) {
  const std::string name = SANSO_TRY(transfer::safe_name(d.name));
  return folder.write(name, d.bytes, Existing::kNumberAnew, 0600, true);
}

// The folder the files go into, made as the person and opened once for all of them.
Result<OutputFolder> delivery_folder(const fs::path& dir) {
  return OutputFolder::create(dir, 0700);
}

// A stored finding's label; a word this engine does not know is shown as it is.
std::string finding_label(const std::string& kind, std::string_view lang) {
  auto parsed = cdr::parse_finding_kind(kind, "transfer");
  return parsed ? std::string(cdr::label(*parsed, lang)) : kind;
}

void print_files(const transfer::Transfer& t) {
  for (const auto& f : t.files) {
    std::printf("  %s  %s%s\n", visible_text(f.name).c_str(), f.verdict.c_str(), f.output_name.empty() ? "" : (" → " + visible_text(f.output_name)).c_str());
    if (!f.reason.empty()) std::printf("    理由 / reason: %s\n", visible_text(f.reason).c_str());
    if (f.awaits_password()) {
      std::printf("    パスワード付き: 送信者が `sanso transfer unlock %s` で解除できます / password-protected: its sender can unlock it\n", t.id.c_str());
    }
    auto findings = nlohmann::json::parse(f.findings_json, nullptr, false);
    if (findings.is_discarded()) continue;
    for (const auto& x : findings) {
      if (!x.contains("kind") || !x["kind"].is_string()) continue;
      const std::string kind = x["kind"].get<std::string>();
      std::printf("    - %s: %s / %s\n", kind.c_str(), finding_label(kind, "ja").c_str(), finding_label(kind, "en").c_str());
    }
  }
}

int run_send(const ServiceOptions& o, const TransferArgs& a) {
  // Each file is read when its turn comes, as the console's spooled uploads are: a transfer of
  // many large files holds one of them in memory at a time. Its size is taken now, so the limits
  // refuse before anything is read, and a file that changes meanwhile is refused, not sent half.
  std::vector<transfer::Upload> uploads;
  for (const auto& path : a.files) {
    // The files are the person's to send, not whatever sanso's account can read: opened as them
    // now (refused before anything is sent), read when their turn comes from what was opened.
    auto opened = open_named_file(path);
    if (!opened) return print_error(opened.error()), kExitUsage;
    struct stat st {};
    if (::fstat(opened->get(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return print_error(make_error("cli.unreadable", path, "not a regular file")), kExitUsage;
    }
    auto fd = std::make_shared<const UniqueFd>(std::move(opened).value());
    transfer::Upload upload;
    upload.name = fs::path(path).filename().string();
    upload.size = static_cast<std::int64_t>(st.st_size);
    upload.read = [path, fd, size = static_cast<std::size_t>(st.st_size)]() -> Result<std::string> {
      std::string bytes(size, '\0');
      if (pread_full(fd->get(), bytes.data(), size, 0) != static_cast<long long>(size)) {
        return make_error("cli.unreadable", path, "the file changed while it was sent (cut short?): not sent");
      }
      char more;
      if (pread_full(fd->get(), &more, 1, static_cast<long long>(size)) == 1) {
        return make_error("cli.unreadable", path, "the file grew while it was sent (still being written?): not sent");
      }
      return bytes;
    };
    uploads.push_back(std::move(upload));
  }
  auto s = open_transfer_session(o);
  if (!s) return fail(s.error());
  auto who = person_of(*s, o);
  if (!who) return fail(who.error());
  auto t = s->service->send(*who, a.to, a.reason, uploads);
  if (!t) return fail(t.error());
  std::printf("%s\n", t->id.c_str());
  std::fprintf(stderr, "%s → %s (%s): %s / %s\n", t->from_zone.c_str(), t->to_zone.c_str(), t->rule_id.c_str(), std::string(transfer::state_label(t->state, "ja")).c_str(),
               std::string(transfer::state_label(t->state, "en")).c_str());
  if (!t->hold_reason.empty()) std::fprintf(stderr, "承認が必要 / needs approval: %s\n", visible_text(t->hold_reason).c_str());
  return kExitOk;
}

int run_list(const ServiceOptions& o, const TransferArgs& a) {
  auto s = open_transfer_session(o);
  if (!s) return fail(s.error());
  auto who = person_of(*s, o);
  if (!who) return fail(who.error());
  // Every transfer of theirs, a page at a time.
  std::vector<transfer::Transfer> all;
  for (transfer::ListQuery page;;) {
    auto listed = s->service->list(*who, page);
    if (!listed) return fail(listed.error());
    std::move(listed->transfers.begin(), listed->transfers.end(), std::back_inserter(all));
    if (listed->next.empty()) break;
    page.after = listed->next;
  }
  const std::vector<transfer::Transfer>* list = &all;
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& t : *list) out.push_back(transfer::to_json(t));
    std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  if (list->empty()) std::printf("受け渡しはありません / no transfers\n");
  for (const auto& t : *list) {
    std::printf("%s  %s → %s  %s → %s  %s  %s\n", t.id.c_str(), visible_text(t.sender).c_str(), visible_text(t.recipient).c_str(), t.from_zone.c_str(),
                t.to_zone.c_str(), std::string(transfer::state_label(t.state, "ja")).c_str(), local_time(t.created_at).c_str());
    if (!t.hold_reason.empty()) std::printf("  承認が必要 / needs approval: %s\n", visible_text(t.hold_reason).c_str());
    print_files(t);
  }
  return kExitOk;
}

int run_get(const ServiceOptions& o, const TransferArgs& a) {
  auto s = open_transfer_session(o);
  if (!s) return fail(s.error());
  auto who = person_of(*s, o);
  if (!who) return fail(who.error());
  auto t = s->service->get(a.id, *who);
  if (!t) return fail(t.error());
  auto files = s->service->fetch(a.id, *who);
  if (!files) return fail(files.error());
  print_files(*t);
  auto folder = delivery_folder(a.output_dir);
  if (!folder) return fail(folder.error());
  for (const auto& d : *files) {
    auto written = write_delivered(*folder, d);
    if (!written) return fail(written.error());
    std::printf("%s\n", written->string().c_str());
  }
  return kExitOk;
}

int run_decide(const ServiceOptions& o, const TransferArgs& a, bool approve) {
  auto s = open_transfer_session(o);
  if (!s) return fail(s.error());
  auto who = person_of(*s, o);
  if (!who) return fail(who.error());
  auto t = approve ? s->service->approve(a.id, *who, a.reason) : s->service->deny(a.id, *who, a.reason);
  if (!t) return fail(t.error());
  std::printf("%s: %s / %s\n", t->id.c_str(), std::string(transfer::state_label(t->state, "ja")).c_str(), std::string(transfer::state_label(t->state, "en")).c_str());
  return kExitOk;
}

int run_link(const ServiceOptions& o, const TransferArgs& a) {
  auto s = open_transfer_session(o);
  if (!s) return fail(s.error());
  auto who = person_of(*s, o);
  if (!who) return fail(who.error());
  auto link = s->service->issue_link(a.id, *who, read_password(a.password_stdin));
  if (!link) return fail(link.error());
  std::printf("%s\n", link->token.c_str());
  std::fprintf(stderr, "一度だけ有効、期限 / one use, until %s\n", local_time(link->expires_at).c_str());
  return kExitOk;
}

int run_download(const ServiceOptions& o, const TransferArgs& a) {
  auto s = open_transfer_session(o);
  if (!s) return fail(s.error());
  auto files = s->service->download(a.token, read_password(a.password_stdin), "cli");
  if (!files) return fail(files.error());
  auto folder = delivery_folder(a.output_dir);
  if (!folder) return fail(folder.error());
  for (const auto& d : *files) {
    auto written = write_delivered(*folder, d);
    if (!written) return fail(written.error());
    std::printf("%s\n", written->string().c_str());
  }
  return kExitOk;
}

// PPAP: the password from the first line of stdin, tried on the transfer's files that wait for one
// (or the one --file names). The password is wiped once tried; it is never printed.
int run_unlock(const ServiceOptions& o, const TransferArgs& a) {
  auto acting = open_acting(o);
  if (!acting) return fail(acting.error());
  auto& [s, who] = *acting;
  auto t = s.service->get(a.id, who);
  if (!t) return fail(t.error());
  std::vector<int> positions;
  for (const auto& f : t->files) {
    if (a.file_number != 0 ? f.position == a.file_number - 1 : f.awaits_password()) positions.push_back(f.position);
  }
  if (positions.empty()) {
    return fail(make_error("transfer.state", a.id, "no file of this transfer waits for a password / パスワードを待つファイルはありません"));
  }
  std::string password = read_password(true);
  int code = kExitOk;
  for (int position : positions) {
    const std::string& name = t->files[static_cast<std::size_t>(position)].name;
    auto unlocked = s.service->unlock(a.id, position, who, password, "cli");
    if (!unlocked) {
      std::fprintf(stderr, "%s: ", visible_text(name).c_str());
      print_error(unlocked.error());
      code = kExitFailure;
      continue;
    }
    std::printf("%s  %s%s\n", visible_text(unlocked->name).c_str(), unlocked->verdict.c_str(),
                unlocked->output_name.empty() ? "" : (" → " + visible_text(unlocked->output_name)).c_str());
    if (!unlocked->reason.empty()) std::printf("    理由 / reason: %s\n", visible_text(unlocked->reason).c_str());
  }
  sodium_memzero(password.data(), password.size());
  return code;
}

int run_expire(const ServiceOptions& o) {
  auto s = open_transfer_session(o);
  if (!s) return fail(s.error());
  auto who = person_of(*s, o);
  if (!who) return fail(who.error());
  auto n = s->service->expire(who->name);
  if (!n) return fail(n.error());
  std::printf("%lld 件を期限切れにしました / expired %lld\n", static_cast<long long>(*n), static_cast<long long>(*n));
  return kExitOk;
}

}  // namespace

void register_transfer_command(CLI::App& app, int& exit_code) {
  CLI::App* tr = app.add_subcommand("transfer", "files between zones: 無害化 on the way in, approval on the way out (6(3)②)");
  tr->require_subcommand(1);
  auto o = std::make_shared<ServiceOptions>();
  auto a = std::make_shared<TransferArgs>();

  CLI::App* send = tr->add_subcommand("send", "send files to a person on another side; prints the transfer id");
  send->add_option("FILE", a->files, "files to send")->required();
  send->add_option("--to", a->to, "the recipient: a [[users]] name, or for files leaving for the internet whoever will get the link")->required();
  send->add_option("--reason", a->reason, "why the files must leave (required for files leaving LGWAN)");
  add_service_options(*send, *o, true);
  send->callback([&exit_code, o, a] { exit_code = run_send(*o, *a); });

  CLI::App* list = tr->add_subcommand("list", "transfers you sent, receive, or may approve");
  list->add_flag("--json", a->json, "print JSON");
  add_service_options(*list, *o, true);
  list->callback([&exit_code, o, a] { exit_code = run_list(*o, *a); });

  CLI::App* get = tr->add_subcommand("get", "receive the rebuilt files of a transfer sent to you; shows why the others were blocked");
  get->add_option("ID", a->id, "the transfer id")->required();
  get->add_option("-o,--output-dir", a->output_dir, "where the files go")->required();
  add_service_options(*get, *o, true);
  get->callback([&exit_code, o, a] { exit_code = run_get(*o, *a); });

  for (const bool approve : {true, false}) {
    CLI::App* d = tr->add_subcommand(approve ? "approve" : "deny", approve ? "approve a transfer waiting for your role" : "deny a transfer waiting for your role");
    d->add_option("ID", a->id, "the transfer id")->required();
    d->add_option("--reason", a->reason, "recorded with the decision");
    add_service_options(*d, *o, true);
    d->callback([&exit_code, o, a, approve] { exit_code = run_decide(*o, *a, approve); });
  }

  CLI::App* link = tr->add_subcommand("link", "issue the one-time download link of your approved outgoing transfer; prints its token");
  link->add_option("ID", a->id, "the transfer id")->required();
  link->add_flag("--password-stdin", a->password_stdin, "protect the link with a password read from the first line of stdin");
  add_service_options(*link, *o, true);
  link->callback([&exit_code, o, a] { exit_code = run_link(*o, *a); });

  CLI::App* download = tr->add_subcommand("download", "download an outgoing transfer with its one-time link token (internet side)");
  download->add_option("TOKEN", a->token, "the link's token")->required();
  download->add_option("-o,--output-dir", a->output_dir, "where the files go")->required();
  download->add_flag("--password-stdin", a->password_stdin, "read the link's password from the first line of stdin");
  add_service_options(*download, *o, false);
  download->callback([&exit_code, o, a] { exit_code = run_download(*o, *a); });

  CLI::App* unlock = tr->add_subcommand("unlock", "PPAP: give the password of an encrypted file you sent from the internet side (first line of stdin)");
  unlock->add_option("ID", a->id, "the transfer id")->required();
  unlock->add_option("--file", a->file_number, "only this file, by its number in the listing (1, 2, …); default: every file awaiting a password")
      ->check(CLI::Range(1, 100000));
  add_service_options(*unlock, *o, true);
  unlock->callback([&exit_code, o, a] { exit_code = run_unlock(*o, *a); });

  CLI::App* expire = tr->add_subcommand("expire", "expire transfers past their retention (their kept files are deleted)");
  add_service_options(*expire, *o, true);
  expire->callback([&exit_code, o] { exit_code = run_expire(*o); });
}

}  // namespace sanso::cli
