// `sanso mail sanitize IN.eml -o OUT.eml`: one internet mail made text-only, as the gateway will
// do it — parsed in the sandbox, the original kept in quarantine (with --config) before any output
// is written, the decision and its clause in the audit log.
#include <CLI/CLI.hpp>
#include <sodium.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/batch_files.h"
#include "cli/commands.h"
#include "cli/service.h"
#include "core/clock.h"
#include "intake/batch.h"
#include "intake/intake.h"
#include "mail/plan_report.h"
#include "mail/sanitize.h"
#include "mime/charset.h"
#include "policy/check.h"
#include "policy/decide.h"

namespace sanso::cli {
namespace {

struct SanitizeArgs {
  std::string input;
  std::string output;
  std::string report;
  // Unset: from [mail] in sanso.toml, else the defaults.
  std::optional<std::string> charset;
  std::optional<std::string> lang;
  std::optional<std::string> prefer;
  std::optional<std::string> attachments;
  std::string policy_path;  // --policy: decide with this policy without a service configuration
  bool no_defang = false;
  // The envelope, when the administrator knows it (a Maildir's mailbox): what a release by mail
  // delivers to. Never taken from the headers, which the sender writes.
  std::string sender;
  std::vector<std::string> recipients;
};

Result<mail::SanitizeOptions> options_from(const config::ServiceConfig* config, const SanitizeArgs& a) {
  mail::SanitizeOptions o = SANSO_TRY(sanitize_options_from(config));
  if (a.charset) o.output_charset = *a.charset;
  if (a.lang) o.lang = *a.lang;
  if (a.prefer) o.prefer_html = *a.prefer == "html";
  if (a.no_defang) o.defang_links = false;
  if (a.attachments) o.attachment_action = SANSO_TRY(mail::parse_attachment_action(*a.attachments, "--attachments"));
  return o;
}

// Everything one run shares: the options and, with --config, the store, the log and the policy
// that decides internet → LGWAN mail; each message goes through the one intake pipeline.
struct Sanitizer {
  mail::SanitizeOptions options;
  std::optional<QuarantineSession> session;  // with a configuration: the store, audit log and quarantine
  std::optional<policy::Policy> own_policy;  // from --policy
  std::optional<policy::CompiledPolicy> compiled;
  std::optional<intake::Intake> intake;
  std::optional<policy::Decision> decision;  // every message of a run is decided alike
  intake::Route route;
  std::string envelope_from;  // --sender, --recipient
  std::vector<std::string> envelope_to;
  // A batch opens its store while the first messages are parsed (a new store's keys and schema are
  // a dozen durable writes: tens of milliseconds in which the workers would sit idle). Nothing of a
  // message is kept, recorded or written before the store is open: process() waits for it, and so
  // does the destructor before anything it opens goes.
  std::shared_future<Result<void>> store_opened;
  // A batch runs its messages through ready sandboxed workers, as the gateway does; one message
  // gets a sandbox of its own.
  mail::MailExecutors executors;

  // The workers end (each process exits and is waited for) while the store closes (its last
  // checkpoint and syncs): both wait on the kernel, not on each other.
  ~Sanitizer() {
    if (store_opened.valid()) store_opened.wait();  // a run of no messages never waited for it
    std::jthread ending([this] { executors = {}; });
    intake.reset();
    session.reset();
  }
  Sanitizer() = default;
  Sanitizer(const Sanitizer&) = delete;
  Sanitizer& operator=(const Sanitizer&) = delete;

  Result<void> open(const ServiceOptions& o, const SanitizeArgs& a, bool batch) {
    const bool stored = !o.config_path.empty() || (std::getenv("SANSO_CONFIG") != nullptr && a.policy_path.empty());
    if (stored && !a.policy_path.empty()) {
      return make_error("cli.usage", "--policy", "give --policy or --config, not both: the configuration names its policy");
    }
    std::optional<Service> loaded;
    if (stored) loaded = SANSO_TRY(load_service(o));
    options = SANSO_TRY(options_from(loaded ? &loaded->config : nullptr, a));
    // An envelope address goes into SMTP commands as it is: nothing that would end or bracket one.
    const auto unsafe = [](const std::string& address) { return address.find_first_of("<>\r\n ") != std::string::npos; };
    if (unsafe(a.sender)) return make_error("cli.usage", a.sender, "not a mail address");
    for (const auto& r : a.recipients) {
      if (r.find('@') == std::string::npos || unsafe(r)) return make_error("cli.usage", r, "not a mail address (--recipient NAME@DOMAIN)");
    }
    envelope_from = a.sender;
    envelope_to = a.recipients;
    if (!a.policy_path.empty()) {
      own_policy.emplace(SANSO_TRY(load_persons_policy(a.policy_path, system_clock().today())));
      compiled.emplace(SANSO_TRY(policy::CompiledPolicy::compile(*own_policy, system_clock().today())));
    }
    // A display name that borrows the city's names is warned about, as at the gateway.
    if (const policy::Policy* p = loaded ? &loaded->policy : own_policy ? &*own_policy : nullptr) intake::protect_city_identity(*p, options);
    // Every gconv converter is loaded before a sandboxed child is forked (a child cannot load one
    // under its filter): some 250 dlopens, tens of milliseconds of a run's start. A batch's
    // workers come from a pool's template, forked here before this process has any thread: the
    // template loads them (and GMime) while the store and the policy are opened below. One message
    // gets a child forked for it, which inherits this process's converters: they load on a thread
    // of their own meanwhile, joined before anything forks — on every way out.
    std::jthread charsets;
    if (batch) {
      executors = SANSO_TRY(mail::MailExecutors::start(options, sandbox::Launch::pool(kBatchWorkers)));
    } else {
      charsets = std::jthread([] { (void)mime::preload_charsets(); });
    }
    if (loaded) compiled.emplace(SANSO_TRY(policy::CompiledPolicy::compile(loaded->policy, system_clock().today())));
    route = intake::Route{std::string(policy::kZoneInternet), "lgwan", loaded ? "mail@" + loaded->config.node : "mail"};
    // The ruling needs the policy alone, not the store.
    decision = SANSO_TRY(intake::Intake(compiled ? &*compiled : nullptr, nullptr, nullptr).rule(route, "mail"));
    if (loaded) {
      auto open_store = [this, service = std::move(*loaded)]() mutable -> Result<void> {
        session.emplace(SANSO_TRY(open_quarantine_session(std::move(service))));
        intake.emplace(&*compiled, session->store.get(), session->log.get());
        return ok();
      };
      if (batch) {
        store_opened = std::async(std::launch::async, std::move(open_store)).share();
      } else {
        SANSO_TRY(open_store());
      }
    } else {
      intake.emplace(compiled ? &*compiled : nullptr, nullptr, nullptr);
    }
    if (!batch) {
      charsets.join();
      executors = SANSO_TRY(mail::MailExecutors::start(options, sandbox::Launch::fork_per_job()));
    }
    return ok();
  }

  void wait_for_store() const {
    if (store_opened.valid()) store_opened.wait();
  }

  // The store's failure to open, once it is known; nullopt while it opens or once it is open.
  std::optional<Error> store_failure() const {
    if (!store_opened.valid() || store_opened.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return std::nullopt;
    const Result<void>& opened = store_opened.get();
    return opened ? std::nullopt : std::optional<Error>(opened.error());
  }

  // Fail closed: without a durable original and its record (when asked for) there is no output.
  // The message is parsed first — in a batch, while the store may still be opening — and the plan
  // handed to the intake, which applies the ruling, keeps the original and records the decision.
  Result<intake::MailOutcome> process(const std::string& raw) {
    mail::SanitizePlan plan = mail::sanitize_sandboxed(raw, options, executors);
    if (store_opened.valid()) SANSO_TRY(store_opened.get());
    intake::MailItem item;
    item.raw = raw;
    item.route = route;
    item.options = options;
    item.envelope_from = envelope_from;
    item.envelope_to = envelope_to;
    return intake->take_mail(item, decision, [&](std::string_view, const mail::SanitizeOptions&) { return std::move(plan); });
  }
};

std::size_t removed_count(const mail::SanitizePlan& plan) {
  std::size_t removed = 0;
  for (const auto& p : plan.parts) removed += p.action == mail::PartAction::kRemoved ? 1 : 0;
  return removed;
}

int run_sanitize(const ServiceOptions& o, const SanitizeArgs& a) {
  if (sodium_init() < 0) return kExitFailure;
  Sanitizer sanitizer;
  if (auto opened = sanitizer.open(o, a, false); !opened) {
    return print_error(opened.error()), opened.error().code == "cli.usage" ? kExitUsage : kExitFailure;
  }
  // The person's file, not whatever sanso's account can read; over [mail] max_message_mb not read.
  auto message = read_named_file(a.input, sanitizer.options.max_message_bytes);
  if (!message) return print_error(message.error()), kExitFailure;
  const auto started = std::chrono::steady_clock::now();
  auto outcome = sanitizer.process(*message);
  const auto elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  if (!outcome) return print_error(outcome.error()), kExitFailure;
  if (auto w = write_named_file(a.output, outcome->message); !w) return print_error(w.error()), kExitFailure;
  const mail::SanitizePlan& plan = outcome->plan;
  if (!a.report.empty()) {
    auto j = nlohmann::json::parse(mail::plan_report_json(plan));
    j["quarantine_id"] = outcome->quarantine_id;
    if (sanitizer.decision) {
      j["rule"] = std::string(sanitizer.decision->rule_id());
      j["clause"] = std::string(sanitizer.decision->clause());
    }
    j["elapsed_ms"] = static_cast<std::int64_t>(elapsed * 10) / 10.0;  // sandboxed parse, storage and audit
    if (auto w = write_named_file(a.report, j.dump(2) + "\n"); !w) return print_error(w.error()), kExitFailure;
  }
  std::fprintf(stderr, "%s: %s (parts %zu, removed %zu%s)%s%s\n", a.input.c_str(), std::string(mail::to_string(plan.verdict)).c_str(), plan.parts.size(),
               removed_count(plan), plan.reason.empty() ? "" : (", " + plan.reason).c_str(),
               outcome->quarantine_id.empty() ? "" : " quarantine id ", outcome->quarantine_id.c_str());
  return kExitOk;
}

// One message of a batch: a file of a Maildir or directory, read when its turn comes (memory
// stays flat however large the directory), or a message of an mbox file.
struct BatchMessage {
  std::string name;
  std::filesystem::path path;  // its file, or the mbox it is in
  std::shared_ptr<const UniqueFd> mbox;  // an mbox message: bytes [offset, offset + length) of it
  std::uint64_t offset = 0, length = 0;
  std::string output;       // its output's name in the output folder, no other message's
  std::string not_a_file;   // why an entry of the folder is not taken (a link, a pipe, ...)
};

// An mbox message read when its turn comes: ">From " lines unescaped (mboxrd), over the limit not
// read at all, a file cut short meanwhile said so.
Result<std::string> read_mbox_message(const BatchMessage& m, std::uint64_t max_bytes) {
  if (m.length > max_bytes) {
    return make_error("cli.too-large", m.name, "the message is " + std::to_string(m.length >> 20) + " MB, over the limit of " +
                                                   std::to_string(max_bytes >> 20) + " MB: not read, nothing written for it");
  }
  std::string message(static_cast<std::size_t>(m.length), '\0');
  if (pread_full(m.mbox->get(), message.data(), message.size(), static_cast<long long>(m.offset)) != static_cast<long long>(message.size())) {
    return make_error("cli.unreadable", m.name, "the mbox file changed while it was read (cut short?): this message not read");
  }
  for (std::size_t p = 0; (p = message.find("\n>", p)) != std::string::npos; ++p) {
    std::size_t q = p + 1;
    while (q < message.size() && message[q] == '>') ++q;
    if (message.compare(q, 5, "From ") == 0) message.erase(p + 1, 1);
  }
  if (message.starts_with(">From ")) message.erase(0, 1);
  return message;
}

// Where an mbox's messages lie: each begins after a "From " line at the start of a line and ends
// where the next one begins. One pass in pieces: memory stays flat however large the mbox.
Result<std::vector<std::pair<std::uint64_t, std::uint64_t>>> mbox_spans(int fd, const std::string& where) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;  // offset, length
  std::vector<char> buf(1 << 20);
  std::uint64_t at = 0;         // offset of buf[0]
  int matched = 0;              // bytes of "From " matched at the start of a line; -1: not at a line start
  bool in_from_line = false;    // the "From " line is read up to its end before the message begins
  std::uint64_t line_start = 0;  // of the "From " line being matched
  static constexpr std::uint64_t kNone = ~std::uint64_t{0};
  std::uint64_t begun = kNone;  // the current message's first byte
  static constexpr std::string_view kFrom = "From ";
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error("cli.unreadable", where, std::string("reading the mbox file failed: ") + std::strerror(errno));
    if (n == 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      const char c = buf[static_cast<std::size_t>(i)];
      const std::uint64_t off = at + static_cast<std::uint64_t>(i);
      if (in_from_line) {
        if (c == '\n') {
          in_from_line = false;
          begun = off + 1;
        }
        continue;
      }
      if (matched >= 0) {
        if (matched == 0) line_start = off;
        if (c == kFrom[static_cast<std::size_t>(matched)]) {
          if (++matched == static_cast<int>(kFrom.size())) {
            if (begun != kNone) spans.emplace_back(begun, line_start - begun);
            begun = kNone;
            in_from_line = true;
            matched = -1;
          }
          continue;
        }
        if (line_start == 0) return make_error("mail.mbox", where, "not an mbox file (it does not start with a \"From \" line)");
        matched = -1;
      }
      if (c == '\n') matched = 0;
    }
    at += static_cast<std::uint64_t>(n);
  }
  if (at == 0 || (spans.empty() && begun == kNone && !in_from_line)) {
    return make_error("mail.mbox", where, "not an mbox file (it does not start with a \"From \" line)");
  }
  if (begun != kNone) spans.emplace_back(begun, at - begun);
  return spans;
}

// A Maildir's tmp/ (beside its cur/ or new/) holds messages still being delivered; a folder named
// tmp elsewhere is a folder like any other.
bool maildir_tmp(const std::filesystem::path& folder) {
  namespace fs = std::filesystem;
  std::error_code ec;
  return folder.filename() == "tmp" && (fs::is_directory(folder.parent_path() / "cur", ec) || fs::is_directory(folder.parent_path() / "new", ec));
}

// Each message's output name: its path under the input with '/' as '_' and ".eml" added; a name
// two messages would share ("x" and "x.eml", "d/a.eml" and "d_a.eml") is numbered for the later one,
// so that no output is written over another's.
void name_outputs(std::vector<BatchMessage>& messages) {
  std::set<std::string> taken;
  for (auto& m : messages) {
    std::string file = m.name;
    std::replace(file.begin(), file.end(), '/', '_');
    if (file.ends_with(".eml")) file.resize(file.size() - 4);
    std::string candidate = file + ".eml";
    for (int n = 2; !taken.insert(candidate).second; ++n) candidate = file + " (" + std::to_string(n) + ").eml";
    m.output = std::move(candidate);
  }
}

// The messages of a Maildir or a directory of .eml files (every regular file, recursively, in
// name order), or of an mbox file ("From " separator lines, ">From " unescaped). An entry that is
// not a regular file — a symbolic link, a pipe, a socket, a device — is listed to be reported, never
// followed or opened: whoever can write into a Maildir must not make the batch read (and keep, and
// write out) a file of their choosing elsewhere.
Result<std::vector<BatchMessage>> list_messages(const std::string& input) {
  namespace fs = std::filesystem;
  std::vector<BatchMessage> out;
  std::error_code ec;
  if (fs::is_directory(input, ec)) {
    std::vector<std::pair<fs::path, std::string>> entries;  // path, why it is not taken ("" when it is)
    for (auto it = fs::recursive_directory_iterator(input, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const fs::file_status st = it->symlink_status(ec);
      if (ec) break;
      if (fs::is_directory(st)) {
        if (maildir_tmp(it->path())) it.disable_recursion_pending();
        continue;
      }
      if (fs::is_regular_file(st)) {
        entries.emplace_back(it->path(), "");
      } else {
        entries.emplace_back(it->path(), fs::is_symlink(st) ? "a symbolic link, not a message of the folder: not followed, not read"
                                                            : "not a regular file (a pipe, a socket or a device): not read");
      }
    }
    if (ec) return make_error("cli.unreadable", input, "cannot list the directory: " + ec.message());
    std::sort(entries.begin(), entries.end());
    // Lexically: every path came from iterating `input`, and fs::relative would resolve both
    // through the file system for each message (nine readlink calls a message, all failing).
    for (auto& [f, why] : entries) out.push_back({f.lexically_relative(input).string(), f, {}, 0, 0, {}, std::move(why)});
    name_outputs(out);
    return out;
  }
  if (!fs::is_regular_file(input, ec)) return make_error("cli.unreadable", input, "not a directory, Maildir or mbox file");
  auto mbox = std::make_shared<const UniqueFd>(SANSO_TRY(open_named_file(input)));
  const auto spans = SANSO_TRY(mbox_spans(mbox->get(), input));
  int n = 0;
  for (const auto& [offset, length] : spans) {
    out.push_back({"message-" + std::to_string(++n), input, mbox, offset, length, {}, {}});
  }
  name_outputs(out);
  return out;
}

int run_batch(const ServiceOptions& o, const SanitizeArgs& a, const std::string& output_dir) {
  namespace fs = std::filesystem;
  if (sodium_init() < 0) return kExitFailure;
  // Outputs into the folder being read would be written over messages not yet read (and kept):
  // what would be kept as their originals is another message's output. Refused before listing it.
  if (fs::is_directory(a.input) && same_or_inside(output_dir, a.input)) {
    return print_error(make_error("cli.usage", output_dir, "the output folder is the input folder or inside it: give another --output-dir")), kExitUsage;
  }
  auto messages = [&] {
    AsThePerson as_them;  // the folders the person may list
    return list_messages(a.input);
  }();
  if (!messages) return print_error(messages.error()), kExitFailure;
  // Made and opened once: every output of the run goes into this folder, whatever is put in its place meanwhile.
  auto output_folder = OutputFolder::create(output_dir);
  if (!output_folder) return print_error(output_folder.error()), kExitFailure;
  keep_freed_memory_for_batch();
  Sanitizer sanitizer;
  if (auto opened = sanitizer.open(o, a, true); !opened) {
    return print_error(opened.error()), opened.error().code == "cli.usage" ? kExitUsage : kExitFailure;
  }
  std::map<std::string, int> verdicts;
  std::size_t removed = 0, warnings = 0, bytes = 0, failed = 0, done = 0;
  const auto start = std::chrono::steady_clock::now();
  const bool tty = isatty(STDERR_FILENO) != 0;
  std::vector<std::size_t> sizes(messages->size(), 0);  // of the messages that could be read
  // More messages in flight than workers (intake/batch.h): those whose parse is done wait for the
  // store together and share one durable commit while the workers parse the next ones. The
  // outputs are written in order by whoever hands an outcome on: one writer at a time into the
  // directory, where all the threads in flight would only wait for its lock.
  intake::take_in_order<intake::MailOutcome>(
      messages->size(), intake::kBatchInFlight,
      [&](std::size_t i) -> std::uint64_t {
        const BatchMessage& m = (*messages)[i];
        return m.mbox ? m.length : intake::input_size(m.path);
      },
      [&](std::size_t i) -> Result<intake::MailOutcome> {
        BatchMessage& m = (*messages)[i];
        if (!m.not_a_file.empty()) return make_error("cli.unreadable", m.path.string(), m.not_a_file);
        if (auto failure = sanitizer.store_failure()) return *failure;  // said once, at the end
        try {
          // Over the limit, a message is not read at all: a sparse file of terabytes costs its
          // few blocks on disk, and reading it whole would end the run for every message.
          std::string raw = SANSO_TRY(m.mbox ? read_mbox_message(m, sanitizer.options.max_message_bytes)
                                             : read_batch_input(a.input, m.name, sanitizer.options.max_message_bytes));
          sizes[i] = raw.size();
          auto outcome = sanitizer.process(raw);
          if (!outcome) return Error{outcome.error().code, m.name, outcome.error().message};
          return outcome;
        } catch (const std::exception& e) {  // one message's failure, never the run's
          return make_error("cli.internal", m.name, std::string("the message could not be taken: ") + e.what());
        }
      },
      [&](std::size_t i, Result<intake::MailOutcome>& taken) {
        bytes += sizes[i];
        ++done;
        if (!taken) {
          ++failed;
          if (!sanitizer.store_failure()) print_error(taken.error());
          return;
        }
        const intake::MailOutcome& outcome = *taken;
        ++verdicts[std::string(mail::to_string(outcome.plan.verdict))];
        removed += removed_count(outcome.plan);
        warnings += outcome.plan.warnings.size();
        // Fail closed for this message: no output; the run goes on and says so at the end.
        if (auto written = output_folder->write((*messages)[i].output, outcome.message, Existing::kReplace); !written) {
          ++failed;
          print_error(written.error());
        }
        if (tty && (done % 10 == 0 || done == messages->size())) {
          std::fprintf(stderr, "\r[%zu/%zu] %s", done, messages->size(), std::string(mail::to_string(outcome.plan.verdict)).c_str());
          std::fflush(stderr);
        }
      });
  if (tty) std::fprintf(stderr, "\n");
  // Without its store the run kept nothing and wrote nothing: one error, as when the store is
  // opened before the first message. A run of no messages never waited for it: it does now.
  sanitizer.wait_for_store();
  if (auto failure = sanitizer.store_failure()) return print_error(*failure), kExitFailure;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%-12s %8s\n", "判定", "件数");
  for (const char* v : {"clean", "sanitized", "held"}) std::printf("%-12s %8d\n", v, verdicts[v]);
  if (failed > 0) std::printf("%-12s %8zu\n", "failed", failed);
  std::printf("削除した添付 %zu 件、警告 %zu 件、%zu 通 %.1f MB を %.1f 秒 (%.0f 通/秒, %.1f MB/秒)\n", removed, warnings, messages->size(),
              static_cast<double>(bytes) / 1048576.0, seconds, static_cast<double>(messages->size()) / std::max(seconds, 1e-9),
              static_cast<double>(bytes) / 1048576.0 / std::max(seconds, 1e-9));
  return failed == 0 ? kExitOk : kExitFailure;
}

}  // namespace

void register_mail_command(CLI::App& app, int& exit_code) {
  CLI::App* mail = app.add_subcommand("mail", "無害化 of internet mail");
  mail->require_subcommand(1);
  auto o = std::make_shared<ServiceOptions>();
  auto a = std::make_shared<SanitizeArgs>();
  CLI::App* s = mail->add_subcommand("sanitize", "make one message text-only: HTML to text, attachments removed, a notice on top");
  auto output_dir = std::make_shared<std::string>();
  auto batch = std::make_shared<std::string>();
  auto in = s->add_option("IN", a->input, "the message (RFC 5322)");
  auto out = s->add_option("-o,--output", a->output, "the sanitized message");
  auto input = s->add_option("--input", *batch, "many messages: a directory of .eml files, a Maildir, or an mbox file");
  auto dir = s->add_option("--output-dir", *output_dir, "where the sanitized messages of --input go");
  in->excludes(input);
  out->needs(in);
  dir->needs(input);
  input->needs(dir);
  s->add_option("--report", a->report, "write a JSON report of every part and what was done");
  s->add_option("--charset", a->charset, "output charset (default: [mail] output_charset, else utf-8)")
      ->check(CLI::IsMember({"utf-8", "iso-2022-jp"}));
  s->add_option("--lang", a->lang, "language of the notice (default: [mail] lang, else ja)")->check(CLI::IsMember({"ja", "en"}));
  s->add_option("--prefer", a->prefer, "which alternative becomes the body (default: [mail] prefer, else text)")
      ->check(CLI::IsMember({"text", "html"}));
  // A bad word is a usage error (exit 2) with the vocabulary's message.
  s->add_option("--attachments", a->attachments, "what happens to attachments (default: [cdr] attachments, else remove)")
      ->check(CLI::Validator(
          [](std::string& word) {
            auto action = mail::parse_attachment_action(word, "--attachments");
            return action ? std::string() : action.error().message;
          },
          mail::attachment_action_names()));
  s->add_flag("--no-defang", a->no_defang, "show link targets as they are (not hxxps://example[.]com)");
  s->add_option("--sender", a->sender, "the envelope sender, when known (kept with the original)");
  s->add_option("--recipient", a->recipients,
                "the mailbox the mail was delivered to (repeatable): where a release by mail goes; without it a release goes to a file");
  s->add_option("--config", o->config_path, "keep the original in quarantine and audit the decision (sanso.toml)");
  s->add_option("--policy", a->policy_path, "the policy to decide with when there is no --config (its rule and clause go in the report)");
  s->callback([&exit_code, o, a, batch, output_dir] {
    if (!batch->empty()) {
      SanitizeArgs many = *a;
      many.input = *batch;
      exit_code = run_batch(*o, many, *output_dir);
    } else if (a->input.empty() || a->output.empty()) {
      print_error(make_error("cli.usage", "sanso mail sanitize", "give IN -o OUT, or --input PATH --output-dir DIR"));
      exit_code = kExitUsage;
    } else {
      exit_code = run_sanitize(*o, *a);
    }
  });
}

}  // namespace sanso::cli
