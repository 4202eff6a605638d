// `sanso audit keygen|pubkey|checkpoint|prove|consistency|verify|export|tail`: the evidence an
// auditor checks offline, with nothing but the verifier key.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "audit/log.h"
#include "cli/batch_files.h"
#include "cli/commands.h"
#include "cli/service.h"
#include "core/text.h"
#include "core/clock.h"

namespace sanso::cli {
namespace {

using audit::Hash;
using audit::to_base64;

struct Opened {
  Service service;
  std::unique_ptr<store::Database> db;
};

Result<Opened> open_log(const ServiceOptions& o, bool check_checkpoint = true) {
  Opened out;
  out.service = SANSO_TRY(load_service(o));
  out.db = SANSO_TRY(open_store(out.service.config, check_checkpoint));
  return out;
}

// A signed note or key the person hands in, read as them; one is a few hundred bytes.
constexpr std::uint64_t kMostNoteBytes = 1 << 20;

// One of this installation's own files (the verifier key beside the signing key, the checkpoint
// saved beside the store), read as sanso.
Result<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cli.unreadable", path, "cannot read the file");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Result<void> emit(const std::string& text, const std::string& output) {
  if (output.empty() || output == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return ok();
  }
  // Records name people, addresses and subjects: an export is as private as the store. Written
  // where the person running the command may write, owned by them.
  return write_named_file(output, text, 0600);
}

// The verifier key: --pubkey (a key or a file holding one), else the one beside the signing key.
Result<audit::VerifierKey> verifier_key(const Service& service, const std::string& pubkey) {
  if (!pubkey.empty()) {
    if (auto key = audit::parse_verifier_key(pubkey)) return key;
    return audit::parse_verifier_key(SANSO_TRY(read_named_file(pubkey, kMostNoteBytes)));
  }
  auto pub = read_text(service.config.audit.key_file + ".pub");
  if (pub) return audit::parse_verifier_key(*pub);
  auto key = SANSO_TRY(load_audit_key(service, false));
  return key.verifier;
}

nlohmann::json hashes(const std::vector<Hash>& v) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& h : v) out.push_back(to_base64(h));
  return out;
}

int run_keygen(const ServiceOptions& o, bool force) {
  auto service = load_service(o);
  if (!service) return fail(service.error());
  const std::string& path = service->config.audit.key_file;
  if (std::filesystem::exists(path)) {
    if (!force) {
      return fail(make_error("audit.key", path,
                             "an audit signing key exists already; checkpoints signed with it verify only with its key. "
                             "Use --force to replace it (keep the old .pub for the old checkpoints)"));
    }
    std::filesystem::rename(path, path + ".old");
    std::error_code ec;
    std::filesystem::rename(path + ".pub", path + ".pub.old", ec);
  }
  auto key = load_audit_key(*service, true);
  if (!key) return fail(key.error());
  std::printf("%s\n", audit::encode_verifier_key(key->verifier).c_str());
  return kExitOk;
}

int run_pubkey(const ServiceOptions& o) {
  auto service = load_service(o);
  if (!service) return fail(service.error());
  auto key = verifier_key(*service, "");
  if (!key) return fail(key.error());
  std::printf("%s\n", audit::encode_verifier_key(*key).c_str());
  return kExitOk;
}

int run_checkpoint(const ServiceOptions& o, const std::string& output) {
  auto opened = open_log(o);
  if (!opened) return fail(opened.error());
  auto key = load_audit_key(opened->service, true);
  if (!key) return fail(key.error());
  auto log = make_audit_log(opened->service);
  if (!log) return fail(log.error());
  auto c = (*log)->checkpoint(*opened->db, *key);
  if (!c) return fail(c.error());
  // The data directory keeps the newest checkpoint at once, not only at the next command.
  auto location = store::parse_store_location(opened->service.config.store, opened->service.config.data_dir);
  if (!location) return fail(location.error());
  if (auto saved = guard_store_checkpoint(*opened->db, opened->service.config, *location); !saved) return fail(saved.error());
  auto written = emit(c->note, output);
  return written ? kExitOk : fail(written.error());
}

Result<audit::SignedCheckpoint> latest_signed(store::Database& db) {
  auto latest = SANSO_TRY(audit::latest_checkpoint(db));
  if (!latest) return make_error("audit.no-checkpoint", db.describe(), "no checkpoint has been signed yet: run `sanso audit checkpoint`");
  return *latest;
}

int run_prove(const ServiceOptions& o, std::uint64_t index, bool json, const std::string& output) {
  auto opened = open_log(o);
  if (!opened) return fail(opened.error());
  auto cp = latest_signed(*opened->db);
  if (!cp) return fail(cp.error());
  if (index >= cp->checkpoint.size) {
    return fail(make_error("audit.range", std::to_string(index),
                           "entry " + std::to_string(index) + " is not yet covered by a signed checkpoint (latest covers " +
                               std::to_string(cp->checkpoint.size) + "); run `sanso audit checkpoint` first"));
  }
  auto p = audit::prove_inclusion(*opened->db, index, cp->checkpoint.size);
  if (!p) return fail(p.error());
  if (p->root_hash != cp->checkpoint.root) {
    return fail(make_error("audit.damaged", "", "the stored tree does not match the signed checkpoint; run `sanso audit verify`"));
  }
  auto entry = opened->db->query_one("SELECT record FROM audit_entries WHERE idx = ?", {static_cast<std::int64_t>(index)});
  nlohmann::json j{{"index", p->index},
                   {"tree_size", p->tree_size},
                   {"leaf_hash", to_base64(p->leaf_hash)},
                   {"root_hash", to_base64(p->root_hash)},
                   {"proof", hashes(p->proof)}};
  std::string text;
  if (json) {
    j["checkpoint"] = cp->note;
    if (entry && *entry) j["record"] = (*entry)->text(0);
    text = j.dump(2) + "\n";
  } else {
    text = "エントリ #" + std::to_string(index) + " は署名済みチェックポイント (サイズ " + std::to_string(p->tree_size) +
           ") に含まれています\nleaf_hash: " + to_base64(p->leaf_hash) + "\nroot_hash: " + to_base64(p->root_hash) +
           "\nproof (" + std::to_string(p->proof.size()) + "):\n";
    for (const auto& h : p->proof) text += "  " + to_base64(h) + "\n";
  }
  auto written = emit(text, output);
  return written ? kExitOk : fail(written.error());
}

int run_consistency(const ServiceOptions& o, const std::string& old_file, bool json, const std::string& output,
                    const std::string& pubkey) {
  auto opened = open_log(o);
  if (!opened) return fail(opened.error());
  auto key = verifier_key(opened->service, pubkey);
  if (!key) return fail(key.error());
  auto note = read_named_file(old_file, kMostNoteBytes);
  if (!note) return fail(note.error());
  auto text = audit::open_note(*note, *key);
  if (!text) return fail(Error{text.error().code, old_file, text.error().message});
  auto old_cp = audit::parse_checkpoint(*text);
  if (!old_cp) return fail(Error{old_cp.error().code, old_file, old_cp.error().message});
  auto cp = latest_signed(*opened->db);
  if (!cp) return fail(cp.error());
  if (old_cp->size > cp->checkpoint.size) {
    return fail(make_error("audit.rolled-back", old_file,
                           "the saved checkpoint (" + std::to_string(old_cp->size) + " entries) is ahead of the log's latest (" +
                               std::to_string(cp->checkpoint.size) + "): the log was rolled back"));
  }
  auto proof = audit::prove_consistency(*opened->db, old_cp->size, cp->checkpoint.size);
  if (!proof) return fail(proof.error());
  auto check = audit::verify_consistency(old_cp->size, cp->checkpoint.size, *proof, old_cp->root, cp->checkpoint.root);
  nlohmann::json j{{"old_size", old_cp->size},
                   {"new_size", cp->checkpoint.size},
                   {"old_root", to_base64(old_cp->root)},
                   {"new_root", to_base64(cp->checkpoint.root)},
                   {"proof", hashes(*proof)},
                   {"consistent", check.has_value()},
                   {"checkpoint", cp->note}};
  std::string out = json ? j.dump(2) + "\n"
                         : std::string(check ? "一貫性あり" : "一貫性なし") + ": サイズ " + std::to_string(old_cp->size) + " → " +
                               std::to_string(cp->checkpoint.size) + " (証明 " + std::to_string(proof->size()) + " ハッシュ)\n";
  auto written = emit(out, output);
  if (!written) return fail(written.error());
  return check ? kExitOk : kExitFailure;
}

int run_verify(const ServiceOptions& o, const std::string& checkpoint_file, bool json, const std::string& pubkey) {
  auto opened = open_log(o, false);
  if (!opened) return fail(opened.error());
  auto key = verifier_key(opened->service, pubkey);
  if (!key) return fail(key.error());
  // The auditor's own checkpoint, else the one this installation saved beside the store: a log
  // that is shorter than, or forked from, what was once signed is not complete.
  const std::string config_checkpoint = store_checkpoint_file(opened->service.config);
  std::string saved_file = !checkpoint_file.empty() ? checkpoint_file : std::filesystem::exists(config_checkpoint) ? config_checkpoint : "";
  std::optional<std::string> saved;
  if (!saved_file.empty()) {
    auto text = !checkpoint_file.empty() ? read_named_file(saved_file, kMostNoteBytes) : read_text(saved_file);
    if (!text) return fail(text.error());
    saved = *text;
  }
  auto started = std::chrono::steady_clock::now();
  auto report = audit::verify_log(*opened->db, *key, saved);
  if (!report) return fail(report.error());
  if (report->ok() && !checkpoint_file.empty()) {
    // The auditor's checkpoint held; the one saved here must hold too.
    auto location = store::parse_store_location(opened->service.config.store, opened->service.config.data_dir);
    auto guarded = location ? guard_store_checkpoint(*opened->db, opened->service.config, *location) : Result<void>(location.error());
    if (!guarded && guarded.error().code != "store.rolled-back" && guarded.error().code != "store.forked") return fail(guarded.error());
    if (!guarded) {
      report->problem = guarded.error().code == "store.rolled-back" ? "rolled-back" : "forked";
      report->detail = guarded.error().message;
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (json) {
    nlohmann::json j{{"ok", report->ok()},
                     {"entries", report->entries},
                     {"checkpoints", report->checkpoints},
                     {"tree_size", report->tree_size},
                     {"root_hash", to_base64(report->root)},
                     {"seconds", static_cast<std::int64_t>(seconds * 1000) / 1000.0}};
    if (!report->ok()) {
      j["problem"] = report->problem;
      j["first_bad_index"] = report->first_bad_index ? nlohmann::json(*report->first_bad_index) : nlohmann::json(nullptr);
      j["detail"] = report->detail;
    }
    std::printf("%s\n", j.dump(2).c_str());
  } else if (report->ok()) {
    std::printf("監査ログは完全です: %llu 件, 署名済みチェックポイント %llu 個%s (%.2f 秒)\nroot: %s\n",
                static_cast<unsigned long long>(report->entries), static_cast<unsigned long long>(report->checkpoints),
                saved ? ", 保存済みチェックポイントと一致" : "", seconds, to_base64(report->root).c_str());
  } else {
    std::printf("改ざんを検出しました: %s", report->problem.c_str());
    if (report->first_bad_index) std::printf(" (最初の不正エントリ #%llu)", static_cast<unsigned long long>(*report->first_bad_index));
    std::printf("\n%s\n", report->detail.c_str());
  }
  return report->ok() ? kExitOk : kExitFailure;
}

// "2026-11-01" (local midnight) or "2026-11-01T09:30:00" (local) → Unix seconds.
std::optional<std::int64_t> parse_time(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr || *end != '\0') {
    tm = {};
    end = strptime(text.c_str(), "%Y-%m-%d", &tm);
    if (end == nullptr || *end != '\0') return std::nullopt;
  }
  tm.tm_isdst = -1;
  return static_cast<std::int64_t>(std::mktime(&tm));
}

// One CSV cell. Records carry text from outside (a Message-ID, a subject, a file name): a cell a
// spreadsheet would evaluate gets a leading apostrophe, as the CDR does for CSV files.
std::string csv_field(const std::string& value) {
  std::string s = is_spreadsheet_formula(value) ? "'" + value : value;
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

int run_export(const ServiceOptions& o, const std::string& from, const std::string& to, const std::string& format,
               const std::string& output, bool bom) {
  auto opened = open_log(o);
  if (!opened) return fail(opened.error());
  auto from_t = from.empty() ? std::optional<std::int64_t>(0) : parse_time(from);
  auto to_t = to.empty() ? std::optional<std::int64_t>(INT64_MAX) : parse_time(to);
  if (!from_t || !to_t) return fail(make_error("cli.bad-time", from_t ? to : from, "use a date like 2026-11-01 or 2026-11-01T09:30:00 (local time)"));
  auto entries = audit::read_entries(*opened->db, *from_t, *to_t);
  if (!entries) return fail(entries.error());
  std::string out;
  if (format == "jsonl") {
    for (const auto& e : *entries) out += e.record + "\n";
  } else {
    // Excel opens UTF-8 CSV correctly only with a BOM; Japanese text depends on it.
    if (bom) out += "\xEF\xBB\xBF";
    const char* columns[] = {"seq", "time", "node", "actor", "action", "subject", "outcome", "rule", "clause",
                             "input_sha256", "output_sha256", "policy_sha256"};
    for (std::size_t i = 0; i < std::size(columns); ++i) out += std::string(i ? "," : "") + columns[i];
    out += ",details\r\n";
    for (const auto& e : *entries) {
      auto j = nlohmann::json::parse(e.record, nullptr, false);
      for (std::size_t i = 0; i < std::size(columns); ++i) {
        std::string v;
        if (j.contains(columns[i])) v = j[columns[i]].is_string() ? j[columns[i]].get<std::string>() : j[columns[i]].dump();
        out += std::string(i ? "," : "") + csv_field(v);
      }
      out += "," + csv_field(j.contains("details") ? j["details"].dump() : "") + "\r\n";
    }
  }
  auto written = emit(out, output);
  if (!written) return fail(written.error());
  if (!output.empty() && output != "-") std::fprintf(stderr, "%zu 件を書き出しました: %s\n", entries->size(), output.c_str());
  return kExitOk;
}

void print_entry(const audit::Entry& e) {
  auto j = nlohmann::json::parse(e.record, nullptr, false);
  auto field = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
  // Columns by display width: subjects are often Japanese file names.
  std::printf("#%-7llu %s  %s %s %s %s\n", static_cast<unsigned long long>(e.index), local_time(e.time).c_str(), pad_to_width(field("action"), 26).c_str(),
              pad_to_width(field("actor"), 19).c_str(), pad_to_width(field("subject"), 24).c_str(), field("outcome").c_str());
}

int run_tail(const ServiceOptions& o, std::uint64_t count, bool follow) {
  auto opened = open_log(o);
  if (!opened) return fail(opened.error());
  auto entries = audit::last_entries(*opened->db, count);
  if (!entries) return fail(entries.error());
  std::uint64_t next = entries->empty() ? 0 : entries->back().index + 1;
  for (const auto& e : *entries) print_entry(e);
  std::fflush(stdout);
  while (follow) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    auto rows = opened->db->query("SELECT idx, time, action, record FROM audit_entries WHERE idx >= ? ORDER BY idx",
                                  {static_cast<std::int64_t>(next)});
    if (!rows) return fail(rows.error());
    for (const auto& r : *rows) {
      audit::Entry e{static_cast<std::uint64_t>(r.integer(0)), r.integer(1), r.text(2), r.text(3)};
      print_entry(e);
      next = e.index + 1;
    }
    std::fflush(stdout);
  }
  return kExitOk;
}

}  // namespace

void register_audit_command(CLI::App& app, int& exit_code) {
  CLI::App* audit = app.add_subcommand("audit", "the tamper-evident audit log: checkpoints, proofs, verification, export");
  audit->require_subcommand(1);
  auto o = std::make_shared<ServiceOptions>();
  auto output = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto pubkey = std::make_shared<std::string>();

  CLI::App* keygen = audit->add_subcommand("keygen", "create the Ed25519 key that signs checkpoints; prints the verifier key");
  add_service_options(*keygen, *o, false);
  auto force = std::make_shared<bool>(false);
  keygen->add_flag("--force", *force, "replace an existing key (the old one is kept as .old)");
  keygen->callback([&exit_code, o, force] { exit_code = run_keygen(*o, *force); });

  CLI::App* pub = audit->add_subcommand("pubkey", "print the verifier key in C2SP note format (name+id+key)");
  add_service_options(*pub, *o, false);
  pub->callback([&exit_code, o] { exit_code = run_pubkey(*o); });

  CLI::App* cp = audit->add_subcommand("checkpoint", "sign the current tree if it grew; print the latest checkpoint as a signed note");
  add_service_options(*cp, *o, false);
  cp->add_option("-o,--output", *output, "write the note to this file");
  cp->callback([&exit_code, o, output] { exit_code = run_checkpoint(*o, *output); });

  CLI::App* prove = audit->add_subcommand("prove", "inclusion proof of one entry against the latest signed checkpoint");
  add_service_options(*prove, *o, false);
  auto index = std::make_shared<std::uint64_t>(0);
  prove->add_option("INDEX", *index, "entry index (seq)")->required();
  prove->add_flag("--json", *json, "JSON: index, tree_size, leaf_hash, root_hash, proof (base64)");
  prove->add_option("-o,--output", *output, "write the proof to this file");
  prove->callback([&exit_code, o, index, json, output] { exit_code = run_prove(*o, *index, *json, *output); });

  CLI::App* cons = audit->add_subcommand("consistency", "prove that the log still extends a checkpoint you saved");
  add_service_options(*cons, *o, false);
  auto old_file = std::make_shared<std::string>();
  cons->add_option("OLD_CHECKPOINT", *old_file, "a signed checkpoint saved earlier")->required();
  cons->add_flag("--json", *json, "JSON output");
  cons->add_option("-o,--output", *output, "write the proof to this file");
  cons->add_option("--pubkey", *pubkey, "verifier key (or a file holding it); default: beside the signing key");
  cons->callback([&exit_code, o, old_file, json, output, pubkey] { exit_code = run_consistency(*o, *old_file, *json, *output, *pubkey); });

  CLI::App* verify = audit->add_subcommand("verify", "recompute the whole tree offline; report the first tampered entry");
  add_service_options(*verify, *o, false);
  auto saved = std::make_shared<std::string>();
  verify->add_option("--checkpoint", *saved, "a signed checkpoint the auditor saved earlier");
  verify->add_flag("--json", *json, "JSON output");
  verify->add_option("--pubkey", *pubkey, "verifier key (or a file holding it); default: beside the signing key");
  verify->callback([&exit_code, o, saved, json, pubkey] { exit_code = run_verify(*o, *saved, *json, *pubkey); });

  CLI::App* exp = audit->add_subcommand("export", "records in a time range, for auditors (JSON Lines or CSV)");
  add_service_options(*exp, *o, false);
  auto from = std::make_shared<std::string>();
  auto to = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("jsonl");
  auto no_bom = std::make_shared<bool>(false);
  exp->add_option("--from", *from, "start (local): 2026-11-01 or 2026-11-01T09:00:00");
  exp->add_option("--to", *to, "end, exclusive (local)");
  exp->add_option("--format", *format, "jsonl or csv")->check(CLI::IsMember({"jsonl", "csv"}));
  exp->add_option("-o,--output", *output, "file to write (default: standard output)");
  exp->add_flag("--no-bom", *no_bom, "CSV without the UTF-8 byte-order mark Excel needs");
  exp->callback([&exit_code, o, from, to, format, output, no_bom] { exit_code = run_export(*o, *from, *to, *format, *output, !*no_bom); });

  CLI::App* tail = audit->add_subcommand("tail", "the latest entries; --follow to keep watching");
  add_service_options(*tail, *o, false);
  auto count = std::make_shared<std::uint64_t>(20);
  auto follow = std::make_shared<bool>(false);
  tail->add_option("-n", *count, "how many");
  tail->add_flag("-f,--follow", *follow, "keep printing new entries");
  tail->callback([&exit_code, o, count, follow] { exit_code = run_tail(*o, *count, *follow); });
}

}  // namespace sanso::cli
