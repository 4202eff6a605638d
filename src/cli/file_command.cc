// `sanso file sanitize IN... -o OUTDIR`: files from the internet zone disarmed and rebuilt by the
// CDR engine in the sandbox, as the transfer service will do it. With --config each original is
// kept in quarantine before any output is written, and each verdict is an audit record with the
// policy rule and clause for internet → LGWAN file transfer.
#include <CLI/CLI.hpp>
#include <sodium.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "cdr/cdr.h"
#include "cdr/clamd.h"
#include "cli/batch_files.h"
#include "cli/commands.h"
#include "cli/service.h"
#include "core/clock.h"
#include "core/text.h"
#include "intake/batch.h"
#include "intake/intake.h"
#include "policy/check.h"
#include "policy/decide.h"

namespace sanso::cli {
namespace {

namespace fs = std::filesystem;

struct FileArgs {
  std::vector<std::string> inputs;
  std::string output_dir;
  std::string report;
  std::string lang = "ja";
  bool rasterize = false;       // overrides [cdr] mode for this run
  bool convert_legacy = false;
  std::string policy_path;  // --policy: decide with this policy without a service configuration
};

struct Input {
  fs::path path;
  fs::path root;          // the folder named (or a named file's own folder) ...
  fs::path entry;         // ... and the file under it, reached without following a link
  std::string relative;   // where its output goes under OUTDIR
  std::string not_a_file;  // why an entry of a folder is not taken (a link, a pipe, a folder not listed, ...)
};

// Files and directories (recursively, in name order) → the files to sanitize. An entry that is not
// a regular file, or a folder that cannot be listed, is listed to be reported as failed: never
// followed, never passed over in silence (a folder the person cannot list would otherwise drop
// its files from the run unsaid).
Result<std::vector<Input>> collect(const std::vector<std::string>& args) {
  std::vector<Input> out;
  for (const auto& a : args) {
    std::error_code ec;
    fs::path p(a);
    if (fs::is_directory(p, ec)) {
      std::vector<std::pair<fs::path, std::string>> entries;  // path, why it is not taken ("" when it is)
      std::vector<fs::path> folders{p};
      while (!folders.empty()) {
        const fs::path folder = std::move(folders.back());
        folders.pop_back();
        fs::directory_iterator it(folder, ec);
        if (ec) {
          if (folder == p) return make_error("cli.unreadable", a, "cannot list the folder: " + ec.message());
          entries.emplace_back(folder, "a folder that cannot be listed (" + ec.message() + "): its files are not read");
          ec.clear();
          continue;
        }
        for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
          std::error_code st_ec;
          const fs::file_status st = it->symlink_status(st_ec);
          if (st_ec) {
            entries.emplace_back(it->path(), "cannot be looked at: " + st_ec.message());
          } else if (fs::is_directory(st)) {
            folders.push_back(it->path());
          } else if (fs::is_regular_file(st)) {
            entries.emplace_back(it->path(), "");
          } else if (fs::is_symlink(st)) {
            entries.emplace_back(it->path(), "a symbolic link, not a file of the folder: not followed, not read");
          } else {
            entries.emplace_back(it->path(), "not a regular file (a pipe, a socket or a device): not read");
          }
        }
        if (ec) {
          entries.emplace_back(folder, "a folder whose listing failed (" + ec.message() + "): not all its files are read");
          ec.clear();
        }
      }
      std::sort(entries.begin(), entries.end());
      for (auto& [f, why] : entries) {
        // Lexically: fs::relative resolves through the file system, and throws where it cannot.
        const fs::path under = f.lexically_relative(p);
        out.push_back({f, p, under, (p.filename() / under).string(), std::move(why)});
      }
    } else if (fs::is_regular_file(p, ec)) {
      out.push_back({p, p.parent_path(), p.filename(), p.filename().string(), {}});
    } else {
      return make_error("cli.unreadable", a, "no such file or directory");
    }
  }
  return out;
}

// What one run needs open: with --config the service's store, log and policy; with --policy that
// policy alone; otherwise nothing but the engine.
struct FileRun {
  std::optional<QuarantineSession> session;  // with a configuration: the store, audit log and quarantine
  const Service* service = nullptr;
  std::optional<policy::Policy> own_policy;
  std::optional<policy::CompiledPolicy> compiled;
  std::string actor = "file";

  Result<void> open(const ServiceOptions& o, const FileArgs& a) {
    const bool stored = !o.config_path.empty() || (std::getenv("SANSO_CONFIG") != nullptr && a.policy_path.empty());
    if (stored && !a.policy_path.empty()) {
      return make_error("cli.usage", "--policy", "give --policy or --config, not both: the configuration names its policy");
    }
    if (!a.policy_path.empty()) {
      own_policy.emplace(SANSO_TRY(load_persons_policy(a.policy_path, system_clock().today())));
      compiled.emplace(SANSO_TRY(policy::CompiledPolicy::compile(*own_policy, system_clock().today())));
    }
    if (!stored) return ok();
    session.emplace(SANSO_TRY(open_quarantine_session(o)));
    service = &session->service;
    compiled.emplace(SANSO_TRY(policy::CompiledPolicy::compile(service->policy, system_clock().today())));
    // A name given with --as must be one of [[users]]: the record would otherwise name "file" and
    // nobody would know the claim was wrong. Without --as, an account not listed stays "file".
    auto who = resolve_actor(*service, o);
    if (who) {
      actor = who->name;
    } else if (!o.as.empty()) {
      return who.error();
    }
    return ok();
  }
};

int run_file_sanitize(const ServiceOptions& o, const FileArgs& a) {
  if (sodium_init() < 0) return kExitFailure;
  auto inputs = [&] {
    AsThePerson as_them;  // the folders the person may list
    return collect(a.inputs);
  }();
  if (!inputs) return print_error(inputs.error()), kExitUsage;

  FileRun run;
  if (auto opened = run.open(o, a); !opened) {
    print_error(opened.error());
    return opened.error().code == "cli.usage" ? kExitUsage : kExitFailure;
  }
  intake::Intake intake(run.compiled ? &*run.compiled : nullptr, run.session ? run.session->store.get() : nullptr,
                        run.session ? run.session->log.get() : nullptr);
  const intake::Route route{std::string(policy::kZoneInternet), "lgwan", run.actor};
  // Every file of the run is decided alike; a policy that cannot decide stops the run before any.
  auto ruling = intake.rule(route, "file");
  if (!ruling) return print_error(ruling.error()), kExitFailure;

  cdr::CdrPolicy policy = run.service ? cdr_policy_from(run.service->config.cdr) : cdr::CdrPolicy{};
  policy.rasterize = policy.rasterize || a.rasterize;
  policy.convert_legacy = policy.convert_legacy || a.convert_legacy;
  // The converters the policy needs must be there before anything is processed, like clamd.
  if (auto ready = cdr::check_converters(policy); !ready) return print_error(ready.error()), kExitFailure;

  // The antivirus, when configured, must answer before anything is processed.
  const std::string clamd = run.service ? run.service->config.cdr.clamd : std::string();
  if (!clamd.empty()) {
    if (auto pong = cdr::clamd_ping(clamd); !pong) return print_error(pong.error()), kExitFailure;
  }

  // The batch runs as the services do: ready sandboxed workers, forked before any thread here, and
  // more files in flight than workers (intake/batch.h). Outputs, the report and the progress follow the inputs'
  // order whatever order the files finish in, so a run's names and report do not depend on timing.
  // Made and opened once: every output of the run goes into this folder, whatever is put in its place meanwhile.
  auto output_folder = OutputFolder::create(a.output_dir);
  if (!output_folder) return print_error(output_folder.error()), kExitFailure;
  keep_freed_memory_for_batch();
  auto pool_or = sandbox::start(cdr::engine_task(policy), sandbox::Launch::pool(kBatchWorkers));
  if (!pool_or) return print_error(pool_or.error()), kExitFailure;
  auto pool = std::move(pool_or).value();
  const intake::FileSanitizer sanitize = [&](std::string_view bytes, std::string_view name) {
    return cdr::with_antivirus(clamd, bytes, name, [&] { return cdr::sanitize_sandboxed(*pool, bytes, name, policy); });
  };

  std::map<std::string, int> verdicts;
  std::map<cdr::FindingKind, int> kinds;
  std::size_t failed = 0, bytes = 0;
  nlohmann::ordered_json report = nlohmann::ordered_json::array();
  const bool tty = isatty(STDERR_FILENO) != 0;
  const auto start = std::chrono::steady_clock::now();
  // Called in order, under the run's lock, with the outcome of input i.
  auto report_one = [&](std::size_t i, Result<intake::FileOutcome>& taken) {
    const Input& in = (*inputs)[i];
    const std::string name = in.path.filename().string();
    if (!taken) {
      ++failed;
      print_error(taken.error());
      return;
    }
    const cdr::CdrResult& r = taken->result;
    const std::string verdict(cdr::to_string(r.verdict));
    const std::string& quarantine_id = taken->quarantine_id;
    std::string output_path;
    if (r.verdict != cdr::Verdict::blocked) {
      // Never over a file already there ("a.docx" from a.docm beside an a.docx), never through a
      // link planted in the output folder.
      auto target = output_folder->write(fs::path(in.relative).parent_path() / r.output_name, r.output, Existing::kNumberAnew);
      if (!target) {
        ++failed;
        print_error(target.error());
        return;
      }
      output_path = target->string();
    }
    ++verdicts[verdict];
    for (const auto& fnd : r.findings) ++kinds[fnd.kind];
    auto j = nlohmann::ordered_json::parse(cdr::result_to_json(r));
    nlohmann::ordered_json entry;
    entry["input"] = in.path.string();
    entry["output"] = output_path;
    for (auto& [k, v] : j.items()) entry[k] = v;
    for (std::size_t i = 0; i < r.findings.size(); ++i) entry["findings"][i]["description"] = cdr::label(r.findings[i].kind, a.lang);
    if (!quarantine_id.empty()) entry["quarantine_id"] = quarantine_id;
    if (taken->ruling) {
      entry["rule"] = std::string(taken->ruling->rule_id());
      entry["clause"] = std::string(taken->ruling->clause());
    }
    report.push_back(std::move(entry));
    if (tty) {
      const int width = 30;
      int filled = static_cast<int>((i + 1) * width / inputs->size());
      std::fprintf(stderr, "\r[%s%s] %zu/%zu %-40.40s", std::string(static_cast<std::size_t>(filled), '#').c_str(),
                   std::string(static_cast<std::size_t>(width - filled), '.').c_str(), i + 1, inputs->size(), name.c_str());
      std::fflush(stderr);
    } else {
      std::fprintf(stderr, "%s: %s%s\n", in.relative.c_str(), verdict.c_str(), r.verdict == cdr::Verdict::blocked ? (" (" + r.reason + ")").c_str() : "");
    }
  };
  std::vector<std::size_t> read_bytes(inputs->size(), 0);  // of the files that could be read
  intake::take_in_order<intake::FileOutcome>(
      inputs->size(), intake::kBatchInFlight,
      [&](std::size_t i) { return intake::input_size((*inputs)[i].path); },
      [&](std::size_t i) -> Result<intake::FileOutcome> {
        const Input& in = (*inputs)[i];
        // A link or a pipe put in the file's place after the folder was listed is refused, and a
        // file over the engine's input limit is not read.
        if (!in.not_a_file.empty()) return make_error("cli.unreadable", in.path.string(), in.not_a_file);
        const std::string original = SANSO_TRY(read_batch_input(in.root, in.entry, policy.max_input_bytes));
        read_bytes[i] = original.size();
        // Fail closed: the original and its record are durable before any output exists.
        auto taken = intake.take_file(intake::FileItem{original, in.relative, route, {}, {}}, sanitize);
        if (!taken) return Error{taken.error().code, in.path.string(), taken.error().message};
        return taken;
      },
      [&](std::size_t i, Result<intake::FileOutcome>& taken) {
        bytes += read_bytes[i];
        report_one(i, taken);
      });
  if (tty) std::fprintf(stderr, "\n");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!a.report.empty()) {
    if (auto written = write_named_file(a.report, report.dump(2) + "\n"); !written) {
      print_error(written.error());
      ++failed;
    }
  }
  const bool ja = a.lang == "ja";
  // Columns by display width: Japanese headings take two columns a character.
  auto right = [](const std::string& h, std::size_t w) { return std::string(w > display_width(h) ? w - display_width(h) : 0, ' ') + h; };
  std::printf("%s %s\n", pad_to_width(ja ? "判定" : "verdict", 14).c_str(), right(ja ? "件数" : "files", 8).c_str());
  for (const char* v : {"clean", "sanitized", "blocked"}) std::printf("%s %8d\n", pad_to_width(v, 14).c_str(), verdicts[v]);
  if (failed > 0) std::printf("%s %8zu\n", pad_to_width("failed", 14).c_str(), failed);
  if (!kinds.empty()) {
    std::printf("\n%s %s  %s\n", pad_to_width(ja ? "検出内容" : "finding", 24).c_str(), right(ja ? "件数" : "count", 6).c_str(), ja ? "説明" : "description");
    std::vector<std::pair<cdr::FindingKind, int>> sorted(kinds.begin(), kinds.end());
    std::sort(sorted.begin(), sorted.end(), [](const auto& x, const auto& y) { return x.second != y.second ? x.second > y.second : cdr::to_string(x.first) < cdr::to_string(y.first); });
    for (const auto& [k, n] : sorted) std::printf("%s %6d  %s\n", pad_to_width(cdr::to_string(k), 24).c_str(), n, std::string(cdr::label(k, a.lang)).c_str());
  }
  std::printf(ja ? "\n%zu ファイル %.1f MB を %.1f 秒で処理\n" : "\n%zu files, %.1f MB in %.1f s\n", inputs->size(), static_cast<double>(bytes) / 1048576.0, seconds);
  return failed == 0 ? kExitOk : kExitFailure;
}

}  // namespace

void register_file_command(CLI::App& app, int& exit_code) {
  CLI::App* file = app.add_subcommand("file", "無害化 of files (CDR: disarm and rebuild)");
  file->require_subcommand(1);
  auto o = std::make_shared<ServiceOptions>();
  auto a = std::make_shared<FileArgs>();
  CLI::App* s = file->add_subcommand("sanitize", "disarm and rebuild files; blocked files get no output");
  s->add_option("IN", a->inputs, "files or directories (recursively)")->required();
  s->add_option("-o,--output-dir", a->output_dir, "where the rebuilt files go")->required();
  s->add_option("--report", a->report, "write a JSON report: verdict, type, findings per file");
  s->add_flag("--rasterize", a->rasterize, "Office and PDF files become a PDF of page images (the strictest mode)");
  s->add_flag("--convert-legacy", a->convert_legacy, "convert doc/xls/ppt to docx/xlsx/pptx with LibreOffice, then rebuild them");
  s->add_option("--lang", a->lang, "language of the descriptions (ja, en)")->check(CLI::IsMember({"ja", "en"}));
  s->add_option("--config", o->config_path, "keep originals in quarantine and audit each verdict (sanso.toml)");
  s->add_option("--as", o->as, "who is transferring the files (default: $SANSO_USER, then your login's account name)");
  s->add_option("--policy", a->policy_path, "the policy to decide with when there is no --config (its rule and clause go in the report)");
  s->callback([&exit_code, o, a] { exit_code = run_file_sanitize(*o, *a); });
}

}  // namespace sanso::cli
