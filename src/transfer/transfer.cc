#include "transfer/transfer.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "audit/log.h"
#include "cdr/cdr.h"
#include "core/digest.h"
#include "core/log.h"
#include "core/text.h"
#include "mail/identifiers.h"
#include "policy/policy.h"
#include "quarantine/internal/sealed_blob.h"
#include "quarantine/quarantine.h"
#include "store/shared_database.h"

namespace sanso::transfer {
namespace {

namespace seal = quarantine::internal;

constexpr std::array<std::pair<State, std::string_view>, 6> kStates = {{{State::kPendingApproval, "pending-approval"},
                                                                        {State::kApproved, "approved"},
                                                                        {State::kDenied, "denied"},
                                                                        {State::kReady, "ready"},
                                                                        {State::kDownloaded, "downloaded"},
                                                                        {State::kExpired, "expired"}}};

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  hex.pop_back();
  return hex;
}

std::int64_t mib(std::int64_t n) { return n > (std::int64_t{1} << 42) ? std::int64_t{1} << 62 : n << 20; }

// A file's name (or a reason that quotes it) as the audit log and the notices carry it: a name
// such as "山田_123456789018.csv" is the sender's text, and its 個人番号 is masked there as the
// outgoing scan masks what it finds. The transfer's own row keeps the name whole: it is the name
// the file is handed out under.
std::string recorded_name(std::string_view name) { return mail::mask_identification_numbers(name); }

// The engine's findings, as stored and listed: the "findings" of its JSON report.
std::string findings_of(const cdr::CdrResult& r) {
  auto j = nlohmann::json::parse(cdr::result_to_json(r), nullptr, false);
  if (j.is_discarded() || !j.contains("findings")) return "[]";
  // Shown beside the file and recorded: an archive member's path is the sender's text.
  return mail::mask_identification_numbers_in_json(j["findings"].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

constexpr const char* kTransferColumns =
    "id, from_zone, to_zone, sender, sender_account, recipient, reason, state, action, rule_id, clause, hold_reason, approver_role, "
    "decided_by, decision_note, decided_at, link_sha256, link_password, link_expires_at, created_at, expires_at, state_changed_at";

Result<Transfer> transfer_from(const store::Row& r) {
  Transfer t;
  t.id = r.text(0);
  t.from_zone = r.text(1);
  t.to_zone = r.text(2);
  t.sender = r.text(3);
  t.sender_account = r.text(4);
  t.recipient = r.text(5);
  t.reason = r.text(6);
  auto state = parse_state(r.text(7));
  if (!state) return make_error("transfer.value", t.id, "unknown transfer state '" + r.text(7) + "' in the store");
  t.state = *state;
  t.action = r.text(8);
  t.rule_id = r.text(9);
  t.clause = r.text(10);
  t.hold_reason = r.text(11);
  t.approver_role = r.text(12);
  t.decided_by = r.text(13);
  t.decision_note = r.text(14);
  t.decided_at = r.integer(15);
  t.link_issued = !r.text(16).empty();
  t.link_has_password = !r.text(17).empty();
  t.link_expires_at = r.integer(18);
  t.created_at = r.integer(19);
  t.expires_at = r.integer(20);
  t.state_changed_at = r.integer(21);
  return t;
}

// A file's bytes when its turn comes: read now from a spooled upload (into `loaded`), or the
// caller's. A spooled file that reads back other than its size was changed under us: refused.
Result<std::string_view> content_of(const Upload& u, std::string& loaded) {
  if (!u.read) return std::string_view(u.bytes);
  loaded = SANSO_TRY(u.read());
  if (static_cast<std::int64_t>(loaded.size()) != u.size) {
    return make_error("transfer.input", recorded_name(u.name.substr(0, 200)), "the uploaded file changed while it was handled / ファイルが処理中に変わりました");
  }
  return std::string_view(loaded);
}

}  // namespace

std::string_view to_string(State state) {
  for (const auto& [s, name] : kStates) {
    if (s == state) return name;
  }
  return "unknown";
}

std::optional<State> parse_state(std::string_view text) {
  for (const auto& [s, name] : kStates) {
    if (name == text) return s;
  }
  return std::nullopt;
}

std::string_view state_label(State state, std::string_view lang) {
  const bool ja = lang == "ja";
  switch (state) {
    case State::kPendingApproval: return ja ? "承認待ち" : "Pending approval";
    case State::kApproved: return ja ? "承認済み（リンク未発行）" : "Approved (no link yet)";
    case State::kDenied: return ja ? "却下" : "Denied";
    case State::kReady: return ja ? "受取可" : "Ready";
    case State::kDownloaded: return ja ? "受取済み" : "Downloaded";
    case State::kExpired: return ja ? "期限切れ" : "Expired";
  }
  return "?";
}

mail::OutboundScan scan_outgoing_file(sandbox::Executor& scanner, std::string_view bytes, std::string_view name) {
  return mail::scan_outbound_sandboxed(scanner, mail::message_carrying(bytes, name));
}

namespace {

// Impl::discard_original's work, for the quarantine's purge hook too (no service there).
Result<void> discard_sealed_original(store::Database& d, store::AuditSink& log, const std::string& id, std::optional<int> position,
                                     const std::string& actor, const std::string& why) {
  const std::int64_t n =
      position ? SANSO_TRY(d.execute("UPDATE transfer_files SET original_sealed = NULL WHERE transfer_id = ? AND seq = ? AND original_sealed IS NOT NULL",
                                     {id, std::int64_t{*position}}))
               : SANSO_TRY(d.execute("UPDATE transfer_files SET original_sealed = NULL WHERE transfer_id = ? AND original_sealed IS NOT NULL", {id}));
  if (n == 0) return ok();
  store::AuditEvent e;
  e.actor = actor;
  e.action = "transfer.original";
  e.subject = position ? id + "/" + std::to_string(*position) : id;
  e.outcome = "discarded";
  e.details = {{"reason", why}, {"files", std::to_string(n)}};
  return log.append(d, intake::masked_record(e));
}

}  // namespace

Result<void> discard_with_purged_mail(store::Database& d, store::AuditSink& log, const std::string& quarantine_id, const std::string& actor) {
  std::vector<std::string> ids;
  const auto rows = SANSO_TRY(d.query(
      "SELECT DISTINCT transfer_id FROM transfer_files WHERE quarantine_id = ? AND original_sealed IS NOT NULL ORDER BY transfer_id", {quarantine_id}));
  for (const auto& r : rows) ids.push_back(r.text(0));
  for (const auto& id : ids) {
    // Its link dies with it: nothing is left to unlock.
    SANSO_TRY(d.execute("UPDATE transfers SET ppap_sha256 = '' WHERE id = ?", {id}));
    SANSO_TRY(discard_sealed_original(d, log, id, std::nullopt, actor, "its mail was purged from the quarantine"));
  }
  return ok();
}

struct TransferService::Impl {
  const policy::CompiledPolicy* policy = nullptr;
  quarantine::QuarantineStore* quarantine = nullptr;
  audit::AuditLog* log = nullptr;
  store::SharedDatabase* db = nullptr;
  Options options;
  Engines engines;
  std::vector<config::Operator> users;
  seal::SealKey key;

  // PPAP: the unlock attempts of each source (a console client's address, "cli") in the last
  // kUnlockWindow seconds, so that one client cannot run through every file's attempts at once.
  static constexpr std::int64_t kUnlockWindow = 600;
  static constexpr std::size_t kUnlocksPerWindow = 20;
  static constexpr std::size_t kUnlockSourcesKept = 10000;
  std::mutex unlock_mutex;
  std::map<std::string, std::vector<std::int64_t>> unlock_times;

  // Counts an attempt of `source` at `now`; true when it is over the rate and must be refused.
  bool unlock_rate_exceeded(const std::string& source, std::int64_t now) {
    std::lock_guard lock(unlock_mutex);
    if (unlock_times.size() >= kUnlockSourcesKept) {
      std::erase_if(unlock_times, [&](const auto& entry) { return entry.second.empty() || entry.second.back() <= now - kUnlockWindow; });
    }
    auto& times = unlock_times[source];
    std::erase_if(times, [&](std::int64_t t) { return t <= now - kUnlockWindow; });
    if (times.size() >= kUnlocksPerWindow) return true;
    times.push_back(now);
    return false;
  }

  std::int64_t now() const {
    return std::chrono::duration_cast<std::chrono::seconds>(options.clock->now().time_since_epoch()).count();
  }

  store::AuditEvent event(const std::string& actor, const std::string& action, const std::string& subject, const std::string& outcome) const {
    store::AuditEvent e;
    e.actor = actor;
    e.action = action;
    e.subject = subject;
    e.outcome = outcome;
    return e;
  }

  // A refusal is recorded before it is returned: who tried what, and the rule that stopped it.
  Error refuse(const Person& who, const std::string& subject, Error why, const std::string& rule_id = "", const std::string& clause = "") {
    store::AuditEvent e = event(who.name, "transfer.refuse", subject, why.code);
    e.rule_id = rule_id;
    e.clause = clause;
    e.details = {{"reason", why.message}, {"zone", who.zone}};
    if (!who.via.empty()) e.details.emplace_back("via", who.via);
    if (auto written = db->commit([&](store::Database& d) { return log->append(d, intake::masked_record(e)); }); !written) return written.error();
    return why;
  }

  // The policy's decision for files on this route. A rule granted as an exception (例外措置) to
  // a role the person holds beats the rules for everyone; otherwise the rules that name no role.
  Result<policy::Decision> decide(const std::string& from, const std::string& to, const std::string& level, const Person& who) const {
    policy::Decision best = SANSO_TRY(policy->decide(policy::RequestNames{from, to, "file", level, "", ""}));
    for (const auto& role : who.roles) {
      if (!policy->role_index(role)) continue;
      auto d = SANSO_TRY(policy->decide(policy::RequestNames{from, to, "file", level, role, ""}));
      if (d.rule->exception && !best.rule->exception) best = d;
    }
    return best;
  }

  // The roles that decide `t`: the one its rule names, else the configured approver roles.
  std::vector<std::string> deciding_roles(const Transfer& t) const {
    return t.approver_role.empty() ? options.approver_roles : std::vector<std::string>{t.approver_role};
  }

  bool may_decide(const Transfer& t, const Person& who) const {
    const auto has = [&](const std::string& role) { return std::find(who.roles.begin(), who.roles.end(), role) != who.roles.end(); };
    const std::vector<std::string> roles = deciding_roles(t);
    return std::any_of(roles.begin(), roles.end(), has);
  }

  Result<std::optional<Transfer>> load(store::Database& d, const std::string& id) {
    auto row = SANSO_TRY(d.query_one(std::string("SELECT ") + kTransferColumns + " FROM transfers WHERE id = ?", {id}));
    if (!row) return std::optional<Transfer>();
    Transfer t = SANSO_TRY(transfer_from(*row));
    auto files = SANSO_TRY(d.query(
        "SELECT seq, name, size, sha256, quarantine_id, verdict, reason, findings, output_name, output_sha256, unlock_attempts, unlocked_at "
        "FROM transfer_files WHERE transfer_id = ? ORDER BY seq",
        {id}));
    for (const auto& f : files) {
      t.files.push_back({static_cast<int>(f.integer(0)), f.text(1), f.integer(2), f.text(3), f.text(4), f.text(5), f.text(6), f.text(7), f.text(8),
                         f.text(9), f.integer(10), f.integer(11)});
    }
    return std::optional<Transfer>(std::move(t));
  }

  Result<Transfer> load_existing(const std::string& id) {
    auto use = db->use();
    auto t = SANSO_TRY(load(*use, id));
    if (!t) return make_error("transfer.not-found", id, "no such transfer / 該当する受け渡しはありません");
    return std::move(*t);
  }

  // The sealed outputs of a transfer, unsealed and checked against their digests.
  Result<std::vector<Delivered>> outputs(const std::string& id) {
    std::vector<Delivered> out;
    auto use = db->use();
    auto rows = SANSO_TRY(use->query(
        "SELECT output_name, output_sha256, output_sealed FROM transfer_files WHERE transfer_id = ? AND output_sealed IS NOT NULL ORDER BY seq",
        {id}));
    for (const auto& r : rows) {
      auto bytes = seal::unseal(key, r.bytes(2), r.text(1));
      if (!bytes) return make_error("transfer.damaged", id + ": " + r.text(0), "the kept file failed authentication: " + bytes.error().message);
      out.push_back({r.text(0), std::move(bytes).value()});
    }
    return out;
  }

  // Moves a transfer from one of `from` to `to` only if it is still there (another node may have
  // moved it): the row condition makes the check and the change one step.
  Result<bool> move(store::Database& d, const std::string& id, std::initializer_list<State> from, State to, std::int64_t at) {
    std::string states;
    for (State s : from) states += std::string(states.empty() ? "" : ", ") + "'" + std::string(to_string(s)) + "'";
    auto changed = SANSO_TRY(d.execute("UPDATE transfers SET state = ?, state_changed_at = ? WHERE id = ? AND state IN (" + states + ")",
                                       {std::string(to_string(to)), at, id}));
    return changed == 1;
  }

  Result<Transfer> decide_transfer(const std::string& id, const Person& approver, const std::string& note, bool approve);
  Result<TransferFile> unlock_file(const Transfer& t, int position, const std::string& actor, const std::string& via, std::string_view password,
                                   const std::string& source);

  // A new transfer's row and its file rows, each with its record, in the caller's transaction: the
  // `transfer.send` record carries from, to, recipient and files, then `details`. Each file keeps
  // its rebuilt output (`output_sealed`, send) or its encrypted original (`original_sealed`, PPAP
  // from mail), one Value per file, NULL where there is none.
  // With a `ppap_delivery` (PPAP from mail), the row claims that delivery's key: when another
  // attempt holds it already, or the id, nothing is written and the answer is false.
  Result<bool> insert_transfer(store::Database& d, const Transfer& t, const std::string& actor, std::span<const std::pair<std::string, std::string>> details,
                               std::span<const store::Value> output_sealed, std::span<const store::Value> original_sealed, const std::string& ppap_sha256,
                               std::int64_t ppap_expires_at, const std::string& ppap_delivery = "");

  // The encrypted attachment kept for its password (PPAP from mail) goes as soon as nothing can
  // use it any more — unlocked, locked, its link expired, its mail's quarantine item purged, the
  // transfer expired — so that it never outlives the quarantine's retention. One file
  // (`position`) or all of the transfer's; audited when something went, in the caller's transaction.
  Result<void> discard_original(store::Database& d, const std::string& id, std::optional<int> position, const std::string& actor, const std::string& why) {
    return discard_sealed_original(d, *log, id, position, actor, why);
  }

  // The encrypted original of a file: sealed in its row (PPAP from mail: the quarantine keeps the
  // whole mail, not the attachment), or the quarantine item itself.
  Result<std::string> original_of(const TransferFile& f, const std::string& id) {
    std::optional<store::Row> row;
    {
      auto use = db->use();
      row = SANSO_TRY(use->query_one("SELECT original_sealed FROM transfer_files WHERE transfer_id = ? AND seq = ? AND original_sealed IS NOT NULL",
                                     {id, std::int64_t{f.position}}));
    }
    if (!row) {
      // The quarantine item is the file itself (a transfer's upload) — never the mail a discarded
      // attachment came in, which holds other bytes: that one is gone for good.
      std::string item = SANSO_TRY(quarantine->read_for_service(f.quarantine_id));
      if (sha256_hex(item) != f.sha256) {
        return make_error("transfer.discarded", id + ": " + recorded_name(f.name), "the encrypted file is no longer kept / 暗号化されたファイルはもう保管されていません");
      }
      return item;
    }
    auto bytes = seal::unseal(key, row->bytes(0), f.sha256);
    if (!bytes) return make_error("transfer.damaged", id + ": " + recorded_name(f.name), "the kept file failed authentication: " + bytes.error().message);
    return std::move(bytes).value();
  }

  // Where a person of [[users]] or the directory takes notices; "" when nowhere (or the directory
  // cannot say: a notice is a courtesy, never a reason to stop).
  std::string address_of(const std::string& name) const {
    for (const auto& u : users) {
      if (u.name == name) return u.mail;
    }
    if (!options.directory) return "";
    auto found = options.directory(name);
    return found && *found ? (*found)->mail : "";
  }

  // The addresses of the people who may decide `t` — [[users]], then those the directory gives
  // the role — its sender excepted. A directory that cannot be asked costs its approvers the
  // notice (logged), never the transfer or the notice to [[users]].
  std::vector<std::string> approver_addresses(const Transfer& t) const {
    std::vector<std::string> to;
    auto add = [&](const std::string& mail) {
      if (!mail.empty() && std::find(to.begin(), to.end(), mail) == to.end()) to.push_back(mail);
    };
    for (const auto& u : users) {
      if (u.mail.empty() || u.name == t.sender) continue;
      if (!may_decide(t, Person{u.name, u.roles, u.zone, "", ""})) continue;
      add(u.mail);
    }
    const std::vector<std::string> roles = deciding_roles(t);
    if (options.directory_approvers && !roles.empty()) {
      auto found = options.directory_approvers(roles);
      if (!found) {
        log::warn("transfer " + t.id + ": the directory's approvers could not be asked; only [[users]] are notified: " + found.error().to_string());
      } else {
        for (const auto& p : *found) {
          // A [[users]] entry of the same name speaks for that person (local accounts first).
          const bool local = std::any_of(users.begin(), users.end(), [&](const auto& u) { return u.name == p.name; });
          if (!local && p.name != t.sender) add(p.mail);
        }
      }
    }
    return to;
  }

  // What a notice says of a transfer: who, which route, which files and what became of them.
  // Names and reasons come from people: they are shown in the body only, made visible.
  std::string summary(const Transfer& t) const {
    std::string s = "  受け渡し番号 / transfer: " + t.id + "\n" +
                    "  経路 / route: " + t.from_zone + " → " + t.to_zone + "\n" +
                    "  送信者 / sender: " + visible_text(t.sender) + "\n" +
                    "  受取人 / recipient: " + visible_text(t.recipient) + "\n";
    if (!t.reason.empty()) s += "  理由 / reason: " + visible_text(recorded_name(t.reason)) + "\n";
    s += "  ファイル / files:\n";
    for (const auto& f : t.files) {
      s += "    " + visible_text(recorded_name(f.name)) + " (" + human_size(static_cast<std::uint64_t>(f.size)) + "): " + f.verdict;
      if (!f.reason.empty()) s += " — " + visible_text(recorded_name(f.reason));
      s += "\n";
    }
    s += "  規則 / rule: " + t.rule_id + "（" + t.clause + "）\n";
    return s;
  }

  std::string where_to_go() const {
    return options.console_url.empty() ? "Sanso コンソールの「ファイル受け渡し」/ the Sanso console, Transfers"
                                       : options.console_url + "/transfer (Sanso コンソール「ファイル受け渡し」/ Transfers)";
  }

  // Sends one notice about `t` and records the attempt; what happens to the notice never changes
  // what happened to the transfer.
  void notify(const Transfer& t, const std::string& actor, const std::string& kind, const std::vector<std::string>& to, const std::string& subject,
              const std::string& body) {
    if (!options.send_notice || to.empty()) return;
    mime::NoticeMail n;
    n.from_name = "Sanso ファイル受け渡し";
    n.from = options.notice_from;
    n.to = to;
    n.subject = subject;
    n.body = body;
    n.headers = {{"X-Sanso-Transfer", t.id}};
    n.date = now();
    n.node = options.node;
    auto composed = mime::compose_notice(n);
    Result<std::string> sent = composed ? options.send_notice(*composed, to) : Result<std::string>(composed.error());
    store::AuditEvent e = event(actor, "transfer.notify", t.id, sent ? "sent" : "failed");
    e.rule_id = t.rule_id;
    e.clause = t.clause;
    e.details = {{"event", kind}, {"to", join(to, ",")}};
    if (composed) e.details.emplace_back("message_id", composed->message_id);
    if (sent) e.details.emplace_back("reply", *sent);
    if (!sent) e.details.emplace_back("error", sent.error().to_string());
    if (auto written = db->commit([&](store::Database& d) { return log->append(d, intake::masked_record(e)); }); !written) {
      log::error("transfer " + t.id + ": the notice could not be recorded in the audit log: " + written.error().to_string());
    }
  }

  // The notices a transfer's new state calls for.
  void announce(const Transfer& t, const std::string& actor) {
    const std::string details = summary(t);
    switch (t.state) {
      case State::kReady: {
        if (t.to_zone == policy::kZoneInternet) return;
        const std::string to = address_of(t.recipient);
        if (to.empty()) return;
        notify(t, actor, "ready", {to}, "【ファイル受け渡し】ファイルが届いています / Files are waiting for you (" + t.id + ")",
               visible_text(t.recipient) + " 様\n\n" + visible_text(t.sender) +
                   " さんからファイルが届いています。無害化したファイルを受け取れます（情報セキュリティポリシー 6(3)②）。\n"
                   "遮断したファイルは受け取れません。理由は一覧に示します。\n\n" +
                   details + "\n受け取り: " + where_to_go() + "\n保管期限を過ぎると受け取れなくなります。\n\n-- \n" +
                   "Files from " + visible_text(t.sender) + " are waiting for you, rebuilt by the file sanitizer; blocked files are listed with why.\n"
                   "Fetch them at " + where_to_go() + " before they expire.\n");
        return;
      }
      case State::kPendingApproval: {
        const auto to = approver_addresses(t);
        if (to.empty()) return;
        notify(t, actor, "pending", to, "【ファイル受け渡し】承認をお願いします / A transfer waits for your decision (" + t.id + ")",
               "承認者 各位\n\n" + visible_text(t.sender) + " さんの受け渡しが承認を待っています。\n" +
                   "保留の理由: " + visible_text(recorded_name(t.hold_reason)) + "\n\n" + details + "\n確認と承認: " + where_to_go() +
                   "\n申請者本人は承認できません。\n\n-- \nA transfer by " + visible_text(t.sender) +
                   " waits for an approver's decision. Held because: " + visible_text(t.hold_reason) + "\nDecide at " + where_to_go() +
                   "; its sender cannot approve it.\n");
        return;
      }
      case State::kApproved:
      case State::kDenied: {
        const std::string to = address_of(t.sender);
        if (to.empty()) return;
        const bool approved = t.state == State::kApproved;
        const bool outgoing = t.to_zone == policy::kZoneInternet;
        const std::string note = t.decision_note.empty() ? "" : "  判断の理由 / note: " + visible_text(t.decision_note) + "\n";
        notify(t, actor, approved ? "approved" : "denied", {to},
               approved ? "【ファイル受け渡し】承認されました / Your transfer was approved (" + t.id + ")"
                        : "【ファイル受け渡し】承認されませんでした / Your transfer was denied (" + t.id + ")",
               visible_text(t.sender) + " 様\n\n受け渡しは " + visible_text(t.decided_by) + " さんにより" +
                   (!approved ? "承認されませんでした。ファイルは渡されません。\n"
                    : outgoing ? "承認されました。ダウンロード用のリンクを発行して相手に伝えてください。\n"
                               : "承認されました。受取人が受け取れるようになりました。\n") +
                   note + "\n" + details + "\n" + where_to_go() + "\n\n-- \nYour transfer was " + (approved ? "approved" : "denied") + " by " +
                   visible_text(t.decided_by) +
                   (!approved ? ". Its files are not handed on.\n" : outgoing ? ". Issue its download link for the recipient.\n" : ". Its recipient can fetch it now.\n"));
        return;
      }
      default:
        return;
    }
  }
};

TransferService::TransferService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TransferService::~TransferService() = default;

Result<std::unique_ptr<TransferService>> TransferService::open(const config::ServiceConfig& config, const policy::CompiledPolicy& policy,
                                                               quarantine::QuarantineStore& quarantine, audit::AuditLog& log,
                                                               store::SharedDatabase& db, Options options, Engines engines) {
  if (sodium_init() < 0) return make_error("crypto.init", "", "libsodium failed to initialise");
  if (!engines.sanitize || !engines.scan) return make_error("transfer.config", "", "the transfer service needs the CDR engine and the outgoing scan");
  auto impl = std::make_unique<Impl>();
  impl->policy = &policy;
  impl->quarantine = &quarantine;
  impl->log = &log;
  impl->db = &db;
  if (options.clock == nullptr) options.clock = &system_clock();
  impl->key = SANSO_TRY(seal::load_or_create_key(options.key_file));
  impl->options = std::move(options);
  impl->engines = std::move(engines);
  impl->users = config.operators;
  // A mail's PPAP attachments go in the very transaction that purges the mail (the hook captures
  // the log only, which outlives the service's users of the quarantine).
  audit::AuditLog* purge_log = &log;
  quarantine.on_purge([purge_log](store::Database& d, const quarantine::Item& item, const quarantine::Actor& actor) {
    return discard_with_purged_mail(d, *purge_log, item.id, actor.name);
  });
  return std::unique_ptr<TransferService>(new TransferService(std::move(impl)));
}

Result<Transfer> TransferService::send(const Person& sender, const std::string& recipient_given, const std::string& reason,
                                       std::span<const Upload> files) {
  Impl& m = *impl_;
  std::string recipient = recipient_given;
  const config::TransferSettings& limits = m.options.limits;
  if (sender.zone.empty()) {
    return m.refuse(sender, recipient,
                    Error{"transfer.no-zone", sender.name, "has no zone in [[users]]: which side they send from is not known / 利用者の領域が未設定です"});
  }
  // Where it goes: a person of the configuration receives on their zone's side; a name nobody
  // knows can only be an outside party, on the internet side.
  std::string to_zone = std::string(policy::kZoneInternet);
  std::optional<DirectoryEntry> known;
  if (const auto user = std::find_if(m.users.begin(), m.users.end(), [&](const config::Operator& u) { return u.name == recipient; });
      user == m.users.end() && m.options.directory && !recipient.empty()) {
    // Someone the city's directory knows is a colleague on their zone's side, not an outside
    // party: a directory that cannot answer stops the transfer rather than send it out.
    auto found = m.options.directory(recipient);
    if (!found) {
      const bool down = found.error().code == "directory.unavailable";
      return m.refuse(sender, visible_text(recipient),
                      Error{"transfer.directory", visible_text(recipient),
                            std::string(down ? "the directory cannot be asked who this is; try again later / ディレクトリに問い合わせできません。後でもう一度"
                                             : "the directory will not vouch for this recipient / ディレクトリで受取人を確認できません") +
                                " (" + found.error().to_string() + ")"});
    }
    known = std::move(*found);
  }
  if (known) {
    if (known->zone.empty()) {
      return m.refuse(sender, recipient, Error{"transfer.no-zone", recipient, "the directory puts the recipient in no zone / 受取人の領域が未設定です"});
    }
    recipient = known->name;  // as the directory keeps it: the name they sign in and fetch under
    to_zone = known->zone;
  } else if (const auto user = std::find_if(m.users.begin(), m.users.end(), [&](const config::Operator& u) { return u.name == recipient; });
             user != m.users.end()) {
    if (user->zone.empty()) {
      return m.refuse(sender, recipient, Error{"transfer.no-zone", recipient, "the recipient has no zone in [[users]] / 受取人の領域が未設定です"});
    }
    to_zone = user->zone;
  } else if (sender.zone == policy::kZoneInternet || recipient.empty()) {
    return m.refuse(sender, recipient,
                    Error{"transfer.unknown-recipient", recipient, "is not a person listed in [[users]] / 受取人が登録されていません"});
  }
  // The recipient's name goes into records and listings as given: nothing in it may hide or
  // reorder what people read there.
  if (recipient.size() > 320 || visible_text(recipient) != recipient) {
    return m.refuse(sender, visible_text(recipient),
                    Error{"transfer.recipient", visible_text(recipient),
                          "the recipient's name is too long or contains control, bidirectional or invisible characters / 受取人の名前が不正です"});
  }
  const bool from_internet = sender.zone == policy::kZoneInternet;
  const bool to_internet = to_zone == policy::kZoneInternet;
  if (!from_internet && to_zone != sender.zone && reason.empty()) {
    return m.refuse(sender, recipient,
                    Error{"transfer.reason", sender.zone + " → " + to_zone, "files leaving " + sender.zone + " need a reason (--reason) / 持ち出し理由が必要です"});
  }
  if (files.empty()) return m.refuse(sender, recipient, Error{"transfer.input", recipient, "no files to send / ファイルがありません"});
  if (static_cast<std::int64_t>(files.size()) > limits.max_files) {
    return m.refuse(sender, recipient,
                    Error{"transfer.limit", std::to_string(files.size()) + " files",
                          "at most " + std::to_string(limits.max_files) + " files go in one transfer ([transfer] max_files) / ファイル数が上限を超えています"});
  }
  std::vector<std::string> names;
  std::int64_t total = 0;
  for (const auto& f : files) {
    auto name = safe_name(f.name);
    if (!name) return m.refuse(sender, recipient, name.error());
    const auto size = f.read ? f.size : static_cast<std::int64_t>(f.bytes.size());
    if (size > mib(limits.max_file_mb)) {
      return m.refuse(sender, recipient,
                      Error{"transfer.limit", *name,
                            "is " + std::to_string(size) + " bytes; at most " + std::to_string(limits.max_file_mb) + " MB a file ([transfer] max_file_mb) / ファイルが大きすぎます"});
    }
    total += size;
    names.push_back(std::move(name).value());
  }
  if (total > mib(limits.max_total_mb)) {
    return m.refuse(sender, recipient,
                    Error{"transfer.limit", std::to_string(total) + " bytes",
                          "at most " + std::to_string(limits.max_total_mb) + " MB in one transfer ([transfer] max_total_mb) / 合計サイズが上限を超えています"});
  }
  // What the sender's transfers still hold (all but the expired) counts against their quota: the
  // per-transfer limit alone would let one person fill the store by sending again and again.
  // Two sends of one person at the same moment may each pass this check once; the next is held.
  {
    std::int64_t used = 0;
    {
      auto use = m.db->use();  // released before a refusal is recorded (on the same connection)
      auto held = SANSO_TRY(use->query_one(
          "SELECT CAST(COALESCE(SUM(f.size), 0) AS BIGINT) FROM transfer_files f JOIN transfers t ON t.id = f.transfer_id WHERE t.sender = ? AND "
          "t.state <> 'expired'",
          {sender.name}));
      used = held ? held->integer(0) : 0;
    }
    if (used + total > mib(limits.user_quota_mb)) {
      return m.refuse(sender, recipient,
                      Error{"transfer.quota", sender.name,
                            "holds " + std::to_string(used) + " bytes in transfers not yet expired; with these " + std::to_string(total) +
                                " bytes that is over " + std::to_string(limits.user_quota_mb) +
                                " MB ([transfer] user_quota_mb) / 利用者ごとの容量の上限を超えます（期限切れになると空きます）"});
    }
  }

  // Files leaving for the internet are read as outgoing mail is (in the sandbox): the highest
  // classification marked decides with the policy; identification numbers, or a scan that did
  // not come back, hold the transfer for approval.
  std::string level = m.options.unmarked_classification;
  std::vector<std::string> holds;
  bool unreadable = false, numbered = false, scan_failed = false;
  if (to_internet) {
    const auto& scale = m.policy->policy().scheme.confidentiality;
    // `shown`: the hold reason goes into the record, the notices and the console, the file's name
    // there with its numbers masked as the scan's own names have.
    const auto read_out = [&](const mail::OutboundScan& scan, const std::string& scanned_as, const std::string& shown) {
      if (!scan.error.empty()) {
        holds.push_back(shown + ": the scan failed (" + scan.error + ") / 検査できませんでした");
        scan_failed = true;  // nothing of it read: it might hold any level
      }
      if (!scan.unchecked.empty()) {
        // What could not be read is held for an approver (never sent on unchecked).
        holds.push_back(mail::unchecked_reason(scan));
        unreadable = true;
      }
      for (const auto& id : scan.identifiers) {
        // Where in the file: a member of an archive by its path; the carrying message's subject is the file's name.
        const std::string& where = id.where == "subject" || id.where == "body" || id.where == scanned_as ? shown : id.where;
        holds.push_back(where + ": " + (id.kind == mail::NumberKind::kIndividual ? "個人番号 (individual number) " : "法人番号 (corporate number) ") + id.masked);
        numbered = true;
      }
      if (!scan.classification.empty() && scale.rank_of(scan.classification).value_or(-1) > scale.rank_of(level).value_or(-1)) {
        level = scan.classification;
      }
    };
    for (std::size_t i = 0; i < files.size(); ++i) {
      std::string loaded;
      const std::string_view bytes = SANSO_TRY(content_of(files[i], loaded));
      read_out(m.engines.scan(bytes, names[i]), names[i], recorded_name(names[i]));
    }
    // The reason leaves with the files (the recipient's page and notice show it): read as a text
    // the sender wrote, its numbers and marks hold and rank as a file's do (review30 H1).
    if (!reason.empty()) read_out(m.engines.scan(reason, "reason.txt"), "reason.txt", "理由 (reason)");
  }
  const policy::Decision ruling = SANSO_TRY(m.decide(sender.zone, to_zone, level, sender));
  const std::string rule_id(ruling.rule_id()), clause(ruling.clause());
  const bool mynumber = sender.zone == policy::kZoneMynumber || to_zone == policy::kZoneMynumber;
  if (ruling.action == policy::Action::kDeny || (mynumber && !ruling.rule->exception)) {
    // The マイナンバー利用事務系 exchanges nothing with other zones but through an exception the
    // policy grants (6(3)①), even where another rule would allow it.
    const std::string why = mynumber && ruling.action != policy::Action::kDeny ? "6(3)①" : clause;
    return m.refuse(sender, recipient,
                    Error{"transfer.denied", sender.zone + " → " + to_zone,
                          "policy rule " + rule_id + " (" + why + "): " + std::string(ruling.reason("ja")) + " / " + std::string(ruling.reason("en"))},
                    rule_id, why);
  }
  if (ruling.action == policy::Action::kApprove) {
    holds.insert(holds.begin(), "policy rule " + rule_id + " (" + clause + ") needs the approval of " + std::string(ruling.approver()));
  }

  Transfer t;
  t.id = "t" + random_hex(16);
  t.from_zone = sender.zone;
  t.to_zone = to_zone;
  t.sender = sender.name;
  t.sender_account = sender.account;
  t.recipient = recipient;
  t.reason = reason;
  t.action = std::string(policy::to_string(ruling.action));
  t.rule_id = rule_id;
  t.clause = clause;
  t.created_at = t.state_changed_at = m.now();
  t.expires_at = t.created_at + m.options.limits.retention_days * 86400;
  // Files from the internet are rebuilt and handed on at once (what the policy holds, intake
  // blocks); others wait for an approver when the rule or the scan says so.
  if (!from_internet && !holds.empty()) {
    t.state = State::kPendingApproval;
    t.hold_reason = join(holds, ", ");
    // A file that could not be read might be of any higher level, and a 個人番号 is of the highest
    // the city keeps: the approver of the highest level from the transfer's own (from the lowest
    // when a scan failed), never one below the rule's own.
    const std::string_view own = ruling.action == policy::Action::kApprove ? ruling.approver() : std::string_view();
    // The higher levels decided as this transfer was (m.decide: the sender's exceptions too).
    const intake::DecideAtLevel decide = [&](std::string_view at) { return m.decide(sender.zone, to_zone, std::string(at), sender); };
    t.approver_role = unreadable || numbered || scan_failed ? SANSO_TRY(intake::approver_for_unchecked(m.policy->policy(), scan_failed ? "" : level, decide, own))
                                                            : std::string(own);
  } else {
    t.state = to_internet ? State::kApproved : State::kReady;
  }

  struct Kept {
    std::optional<std::string> sealed;
  };
  std::vector<Kept> kept(files.size());
  intake::Intake intake(m.policy, m.quarantine, m.log);
  for (std::size_t i = 0; i < files.size(); ++i) {
    std::string loaded;
    const std::string_view bytes = SANSO_TRY(content_of(files[i], loaded));
    TransferFile f;
    f.position = static_cast<int>(i);
    f.name = names[i];
    f.size = static_cast<std::int64_t>(bytes.size());
    f.sha256 = sha256_hex(bytes);
    std::string output;
    if (from_internet) {
      // The one intake pipeline: the policy's ruling, CDR in the sandbox, the original and its
      // record durable before anything is handed on.
      auto taken = intake.take_file(intake::FileItem{bytes, names[i], intake::Route{sender.zone, to_zone, sender.name}}, m.engines.sanitize);
      if (!taken) return Error{taken.error().code, recorded_name(names[i]), recorded_name(taken.error().message)};
      const cdr::CdrResult& r = taken->result;
      f.quarantine_id = taken->quarantine_id;
      f.verdict = std::string(cdr::to_string(r.verdict));
      f.findings_json = findings_of(r);
      if (r.verdict == cdr::Verdict::blocked) {
        f.reason = recorded_name(r.reason + ": " + r.message);
      } else {
        f.output_name = r.output_name.empty() ? names[i] : r.output_name;
        output = r.output;
      }
    } else {
      // Leaving (or moving under an exception): the original is kept as sent; what goes out is
      // the original, or its rebuild when the rule says sanitize.
      output = std::string(bytes);
      f.output_name = names[i];
      f.verdict = t.state == State::kPendingApproval ? "held" : "allowed";
      if (ruling.action == policy::Action::kSanitize) {
        const cdr::CdrResult r = m.engines.sanitize(bytes, names[i]);
        f.verdict = std::string(cdr::to_string(r.verdict));
        f.findings_json = findings_of(r);
        output = r.output;
        f.output_name = r.output_name.empty() ? names[i] : r.output_name;
        if (r.verdict == cdr::Verdict::blocked) {
          f.reason = recorded_name(r.reason + ": " + r.message);
          f.output_name.clear();
          output.clear();
        }
      }
      quarantine::Submission s;
      s.id = m.quarantine->reserve_id();
      s.original = std::string(bytes);
      s.origin.kind = quarantine::Origin::Kind::kFile;
      s.origin.file_name = recorded_name(names[i]);  // listed and recorded (quarantine.store); the bytes are kept as sent
      s.origin.uploader = sender.name;
      s.verdict = quarantine::Verdict::kHeld;
      s.reason = "transfer " + t.id + " " + t.from_zone + " → " + t.to_zone + (t.state == State::kPendingApproval ? ": " + t.hold_reason : "");
      s.classification = level;
      s.approver_role = t.approver_role;
      store::AuditEvent e = m.event(sender.name, "transfer.upload", recorded_name(names[i]), f.verdict);
      e.rule_id = rule_id;
      e.clause = clause;
      e.input_sha256 = f.sha256;
      e.details = {{"transfer", t.id}, {"quarantine_id", s.id}, {"from", t.from_zone}, {"to", t.to_zone}};
      s.with_item = [&](store::Database& d, const quarantine::Item&) { return m.log->append(d, intake::masked_record(e)); };
      f.quarantine_id = SANSO_TRY(m.quarantine->put(std::move(s))).id;
    }
    if (!f.output_name.empty()) {
      f.output_sha256 = sha256_hex(output);
      kept[i].sealed = seal::seal(m.key, output, f.output_sha256);
    }
    t.files.push_back(std::move(f));
  }

  // The transfer and every file row, with their records, in one transaction: it exists whole
  // or not at all. The originals are already kept (and recorded) whatever happens here.
  std::vector<std::pair<std::string, std::string>> details;
  if (!t.reason.empty()) details.emplace_back("reason", recorded_name(t.reason));
  if (!t.hold_reason.empty()) details.emplace_back("held_because", t.hold_reason);
  if (!sender.via.empty()) details.emplace_back("via", sender.via);
  std::vector<store::Value> outputs, no_originals(t.files.size());
  for (const auto& k : kept) outputs.push_back(k.sealed ? store::Value(store::Bytes{*k.sealed}) : store::Value());
  auto written = m.db->commit([&](store::Database& d) -> Result<void> {
    SANSO_TRY(m.insert_transfer(d, t, sender.name, details, outputs, no_originals, "", 0));
    return ok();
  });
  if (!written) return written.error();
  m.announce(t, sender.name);
  return t;
}

Result<Listing> TransferService::list(const Person& person, const ListQuery& query) {
  Impl& m = *impl_;
  if (query.limit < 1 || query.limit > 500) {
    return make_error("transfer.input", std::to_string(query.limit), "a page lists 1 to 500 transfers / 1 ページは 1〜500 件です");
  }
  // The page's condition is exactly who may see a transfer (its sender, its recipient, an approver
  // of what waits), so that no page is cut short by rows that are not theirs.
  std::vector<store::Value> args;
  std::string approvable;
  for (std::size_t i = 0; i < person.roles.size(); ++i) approvable += i == 0 ? "?" : ", ?";
  const bool default_approver = std::any_of(m.options.approver_roles.begin(), m.options.approver_roles.end(), [&](const std::string& r) {
    return std::find(person.roles.begin(), person.roles.end(), r) != person.roles.end();
  });
  const std::string awaiting = approvable.empty() ? "FALSE"
                                                  : "(state = 'pending-approval' AND (approver_role IN (" + approvable + ")" +
                                                        (default_approver ? " OR approver_role = ''" : "") + "))";
  std::string where;
  if (query.awaiting_decision) {
    where = "(sender <> ? AND " + awaiting + ")";
    args.emplace_back(person.name);
  } else {
    where = "(sender = ? OR recipient = ? OR " + awaiting + ")";
    args.emplace_back(person.name);
    args.emplace_back(person.name);
  }
  for (const auto& role : person.roles) args.emplace_back(role);
  if (!query.after.empty()) {
    // "<created_at>.<id>" of the last row of the page before: the rows after it in the order.
    const auto dot = query.after.find('.');
    std::int64_t created = -1;
    const std::string id = dot == std::string::npos ? "" : query.after.substr(dot + 1);
    auto [p, ec] = std::from_chars(query.after.data(), query.after.data() + (dot == std::string::npos ? 0 : dot), created);
    const bool id_ok = id.size() >= 2 && id.size() <= 65 && id[0] == 't' &&
                       std::all_of(id.begin() + 1, id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
    if (dot == std::string::npos || ec != std::errc() || p != query.after.data() + dot || created < 0 || !id_ok) {
      return make_error("transfer.cursor", visible_text(query.after.substr(0, 80)), "not a position in the listing / 一覧の位置が不正です");
    }
    where += " AND (created_at < ? OR (created_at = ? AND id > ?))";
    args.emplace_back(created);
    args.emplace_back(created);
    args.emplace_back(id);
  }
  args.emplace_back(query.limit + 1);
  Listing out;
  auto use = m.db->use();
  auto rows = SANSO_TRY(use->query(std::string("SELECT ") + kTransferColumns + " FROM transfers WHERE " + where + " ORDER BY created_at DESC, id LIMIT ?",
                                   args));
  for (const auto& row : rows) {
    if (static_cast<std::int64_t>(out.transfers.size()) == query.limit) {
      const Transfer& last = out.transfers.back();
      out.next = std::to_string(last.created_at) + "." + last.id;
      break;
    }
    Transfer t = SANSO_TRY(transfer_from(row));
    auto full = SANSO_TRY(m.load(*use, t.id));
    if (full) out.transfers.push_back(std::move(*full));
  }
  return out;
}

bool TransferService::may_decide(const Transfer& t, const Person& approver) const {
  return t.state == State::kPendingApproval && approver.name != t.sender &&
         (approver.account.empty() || approver.account != t.sender_account) && impl_->may_decide(t, approver);
}

Result<Transfer> TransferService::get(const std::string& id, const Person& person) {
  Impl& m = *impl_;
  Transfer t = SANSO_TRY(m.load_existing(id));
  if (t.sender != person.name && t.recipient != person.name && !(t.state == State::kPendingApproval && m.may_decide(t, person))) {
    // Not theirs: answered as if it did not exist, so ids cannot be probed.
    return make_error("transfer.not-found", id, "no such transfer / 該当する受け渡しはありません");
  }
  return t;
}

Result<std::vector<Delivered>> TransferService::fetch(const std::string& id, const Person& recipient) {
  Impl& m = *impl_;
  Transfer t = SANSO_TRY(m.load_existing(id));
  if (t.recipient != recipient.name || t.to_zone == policy::kZoneInternet) {
    return make_error("transfer.not-found", id, "no such transfer for " + recipient.name + " / 該当する受け渡しはありません");
  }
  if (recipient.zone != t.to_zone) {
    return make_error("transfer.zone", recipient.name, "receives on the " + t.to_zone + " side, but acts from " + recipient.zone + " / 受取側の領域が違います");
  }
  const std::int64_t now = m.now();
  if (t.state == State::kExpired || now >= t.expires_at) return make_error("transfer.expired", id, "the transfer has expired / 保存期間が過ぎました");
  if (t.state != State::kReady && t.state != State::kDownloaded) {
    return make_error("transfer.state", id, "is " + std::string(state_label(t.state, "en")) + " / " + std::string(state_label(t.state, "ja")));
  }
  auto files = SANSO_TRY(m.outputs(id));
  SANSO_TRY(m.db->commit([&](store::Database& d) -> Result<void> {
    SANSO_TRY(m.move(d, id, {State::kReady, State::kDownloaded}, State::kDownloaded, now));
    store::AuditEvent e = m.event(recipient.name, "transfer.download", id, "ok");
    e.details = {{"files", std::to_string(files.size())}, {"side", t.to_zone}};
    if (!recipient.via.empty()) e.details.emplace_back("via", recipient.via);
    return m.log->append(d, intake::masked_record(e));
  }));
  return files;
}

Result<Transfer> TransferService::Impl::decide_transfer(const std::string& id, const Person& approver, const std::string& note, bool approve) {
  Impl& m = *this;
  Transfer t = SANSO_TRY(m.load_existing(id));
  const std::string action = approve ? "transfer.approve" : "transfer.deny";
  if (t.state != State::kPendingApproval) {
    return make_error("transfer.state", id, "is " + std::string(state_label(t.state, "en")) + ", not pending approval / 承認待ちではありません");
  }
  // Four eyes: the sender never decides their own transfer, under their name or from the
  // operating-system account they sent it from.
  if (approver.name == t.sender || (!approver.account.empty() && approver.account == t.sender_account)) {
    return m.refuse(approver, id,
                    Error{"transfer.own", id, "the sender of a transfer cannot decide it; another approver must / 申請者本人は承認できません"},
                    t.rule_id, t.clause);
  }
  if (!m.may_decide(t, approver)) {
    const std::string roles = t.approver_role.empty() ? join(m.options.approver_roles, ", ") : t.approver_role;
    return m.refuse(approver, id, Error{"transfer.role", approver.name, "does not hold the approver role (" + roles + ") / 承認権限がありません"}, t.rule_id,
                    t.clause);
  }
  const std::int64_t now = m.now();
  const State to = !approve ? State::kDenied : t.to_zone == policy::kZoneInternet ? State::kApproved : State::kReady;
  bool moved = false;
  SANSO_TRY(m.db->commit([&](store::Database& d) -> Result<void> {
    moved = SANSO_TRY(m.move(d, id, {State::kPendingApproval}, to, now));
    if (!moved) return ok();
    SANSO_TRY(d.execute("UPDATE transfers SET decided_by = ?, decision_note = ?, decided_at = ? WHERE id = ?", {approver.name, note, now, id}));
    // What was denied is never handed out; the originals stay in the quarantine.
    if (!approve) SANSO_TRY(d.execute("UPDATE transfer_files SET output_sealed = NULL WHERE transfer_id = ?", {id}));
    store::AuditEvent e = m.event(approver.name, action, id, std::string(to_string(to)));
    e.rule_id = t.rule_id;
    e.clause = t.clause;
    e.details = {{"sender", t.sender}, {"note", note}};
    if (!approver.via.empty()) e.details.emplace_back("via", approver.via);
    return m.log->append(d, intake::masked_record(e));
  }));
  if (!moved) return make_error("transfer.state", id, "was decided meanwhile by someone else / 他の承認者が処理済みです");
  Transfer decided = SANSO_TRY(m.load_existing(id));
  m.announce(decided, approver.name);
  // An incoming transfer approved is ready for its recipient; its sender is told too.
  if (decided.state == State::kReady) {
    Transfer told = decided;
    told.state = State::kApproved;
    m.announce(told, approver.name);
  }
  return decided;
}

Result<Transfer> TransferService::approve(const std::string& id, const Person& approver, const std::string& note) {
  return impl_->decide_transfer(id, approver, note, true);
}

Result<Transfer> TransferService::deny(const std::string& id, const Person& approver, const std::string& note) {
  return impl_->decide_transfer(id, approver, note, false);
}

Result<Link> TransferService::issue_link(const std::string& id, const Person& sender, const std::string& password) {
  Impl& m = *impl_;
  Transfer t = SANSO_TRY(m.load_existing(id));
  if (t.sender != sender.name || t.to_zone != policy::kZoneInternet) {
    return make_error("transfer.not-found", id, "no outgoing transfer of " + sender.name + " with this id / 該当する受け渡しはありません");
  }
  const std::int64_t now = m.now();
  if (now >= t.expires_at || t.state == State::kExpired) return make_error("transfer.expired", id, "the transfer has expired / 保存期間が過ぎました");
  if (t.state != State::kApproved && t.state != State::kReady) {
    return make_error("transfer.state", id, "is " + std::string(state_label(t.state, "en")) + "; a link is issued once it is approved / 承認後にリンクを発行できます");
  }
  std::string password_hash;
  if (!password.empty()) {
    password_hash.assign(crypto_pwhash_STRBYTES, '\0');
    if (crypto_pwhash_str(password_hash.data(), password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
      return make_error("transfer.password", id, "cannot hash the link's password (out of memory)");
    }
    password_hash.resize(password_hash.find('\0'));
  }
  Link link{random_hex(32), std::min(t.expires_at, now + m.options.limits.link_hours * 3600)};
  SANSO_TRY(m.db->commit([&](store::Database& d) -> Result<void> {
    if (!SANSO_TRY(m.move(d, id, {State::kApproved, State::kReady}, State::kReady, now))) {
      return make_error("transfer.state", id, "changed meanwhile / 状態が変わりました");
    }
    SANSO_TRY(d.execute("UPDATE transfers SET link_sha256 = ?, link_password = ?, link_expires_at = ?, link_failures = 0 WHERE id = ?",
                        {sha256_hex(link.token), password_hash, link.expires_at, id}));
    store::AuditEvent e = m.event(sender.name, "transfer.link", id, "issued");
    e.details = {{"expires_at", iso_utc(link.expires_at)}, {"password", password.empty() ? "no" : "yes"}};
    if (!sender.via.empty()) e.details.emplace_back("via", sender.via);
    return m.log->append(d, intake::masked_record(e));
  }));
  return link;
}

Result<std::vector<Delivered>> TransferService::download(const std::string& token, const std::string& password, const std::string& source) {
  Impl& m = *impl_;
  const std::string token_hash = sha256_hex(token);
  std::optional<store::Row> row;
  {
    auto use = m.db->use();
    row = SANSO_TRY(use->query_one("SELECT id, state, link_password, link_expires_at, link_failures, expires_at FROM transfers WHERE link_sha256 = ?",
                                   {token_hash}));
  }
  const std::int64_t now = m.now();
  const auto record = [&](const std::string& subject, const std::string& outcome, const std::string& why) -> Result<void> {
    store::AuditEvent e = m.event("link@" + source, "transfer.download", subject, outcome);
    e.details = {{"reason", why}};
    return m.db->commit([&](store::Database& d) { return m.log->append(d, intake::masked_record(e)); });
  };
  // A token nobody issued, one used before, expired or revoked: the same answer, so that the
  // answer tells nothing about which.
  const Error unusable{"transfer.link", "", "the link is not valid (used, expired or unknown) / このリンクは無効です"};
  if (!row || row->text(1) != to_string(State::kReady) || now >= row->integer(3) || now >= row->integer(5)) {
    SANSO_TRY(record(row ? row->text(0) : "-", "refused", row ? "used, expired or revoked" : "unknown token"));
    return unusable;
  }
  const std::string id = row->text(0);
  const std::string stored_password = row->text(2);
  if (!stored_password.empty()) {
    // The attempt is counted before the password is checked (Argon2id takes a while), in one step
    // with the check that the link is still live and has attempts left: of simultaneous guesses,
    // no more than max_password_failures are ever checked.
    const std::int64_t limit = m.options.limits.max_password_failures;
    std::int64_t failures = 0;
    bool admitted = false;
    SANSO_TRY(m.db->commit([&](store::Database& d) -> Result<void> {
      admitted = SANSO_TRY(d.execute("UPDATE transfers SET link_failures = link_failures + 1 WHERE id = ? AND link_sha256 = ? AND state = ? AND "
                                     "link_failures < ?",
                                     {id, token_hash, std::string(to_string(State::kReady)), limit})) == 1;
      if (!admitted) return ok();
      auto counted = SANSO_TRY(d.query_one("SELECT link_failures FROM transfers WHERE id = ?", {id}));
      failures = counted ? counted->integer(0) : limit;
      return ok();
    }));
    if (!admitted) {
      SANSO_TRY(record(id, "refused", "used, revoked, or its password attempts are used up"));
      return unusable;
    }
    if (password.empty() || crypto_pwhash_str_verify(stored_password.c_str(), password.data(), password.size()) != 0) {
      const bool revoke = failures >= limit;
      SANSO_TRY(m.db->commit([&](store::Database& d) -> Result<void> {
        if (revoke) SANSO_TRY(d.execute("UPDATE transfers SET link_sha256 = '' WHERE id = ? AND link_sha256 = ?", {id, token_hash}));
        store::AuditEvent e = m.event("link@" + source, "transfer.download", id, revoke ? "revoked" : "wrong-password");
        e.details = {{"failures", std::to_string(failures)}};
        return m.log->append(d, intake::masked_record(e));
      }));
      return make_error("transfer.password", id,
                        revoke ? "wrong password; the link is now revoked / パスワードが違います。リンクは無効になりました"
                               : "wrong password / パスワードが違います");
    }
  }
  auto files = SANSO_TRY(m.outputs(id));
  bool claimed = false;
  // One download: the link is used up in the same step that hands the files out.
  SANSO_TRY(m.db->commit([&](store::Database& d) -> Result<void> {
    claimed = SANSO_TRY(d.execute("UPDATE transfers SET state = ?, state_changed_at = ?, link_sha256 = '' WHERE id = ? AND link_sha256 = ? AND state = ?",
                                  {std::string(to_string(State::kDownloaded)), now, id, token_hash, std::string(to_string(State::kReady))})) == 1;
    if (!claimed) return ok();
    SANSO_TRY(d.execute("UPDATE transfer_files SET output_sealed = NULL WHERE transfer_id = ?", {id}));
    store::AuditEvent e = m.event("link@" + source, "transfer.download", id, "ok");
    e.details = {{"files", std::to_string(files.size())}};
    return m.log->append(d, intake::masked_record(e));
  }));
  if (!claimed) return unusable;
  return files;
}

Result<TransferFile> TransferService::unlock(const std::string& id, int position, const Person& sender, std::string_view password,
                                             const std::string& source) {
  Impl& m = *impl_;
  Transfer t = SANSO_TRY(m.load_existing(id));
  const std::string subject = id + "/" + std::to_string(position);
  // Only the sender of a transfer from the internet, acting from the internet side, knows the
  // password and may give it: the password never reaches an LGWAN-side page or person.
  if (t.sender != sender.name || t.from_zone != policy::kZoneInternet) {
    return make_error("transfer.not-found", id, "no transfer of " + sender.name + " with this id / 該当する受け渡しはありません");
  }
  if (sender.zone != policy::kZoneInternet) {
    store::AuditEvent e = m.event(sender.name, "transfer.unlock", subject, "refused");
    e.rule_id = t.rule_id;
    e.clause = t.clause;
    e.details = {{"reason", "not on the internet side"}, {"zone", sender.zone}, {"source", source}};
    if (!sender.via.empty()) e.details.emplace_back("via", sender.via);
    SANSO_TRY(m.db->commit([&](store::Database& d) { return m.log->append(d, intake::masked_record(e)); }));
    return make_error("transfer.zone", sender.name,
                      "the password is given from the internet side only, never from " + sender.zone + " / パスワードはインターネット側からのみ入力できます");
  }
  return m.unlock_file(t, position, sender.name, sender.via, password, source);
}

// The one unlock path, for the sender signed in (unlock) and the link holder (unlock_with_link):
// who may give the password is decided by the caller; everything after is the same.
Result<TransferFile> TransferService::Impl::unlock_file(const Transfer& t, int position, const std::string& actor, const std::string& via,
                                                        std::string_view password, const std::string& source) {
  Impl& m = *this;
  const std::string& id = t.id;
  const std::string subject = id + "/" + std::to_string(position);
  const auto record = [&](const std::string& outcome, std::vector<std::pair<std::string, std::string>> details,
                          const std::string& input_sha256 = "") -> Result<void> {
    store::AuditEvent e = m.event(actor, "transfer.unlock", subject, outcome);
    e.rule_id = t.rule_id;
    e.clause = t.clause;
    e.input_sha256 = input_sha256;
    e.details = std::move(details);
    e.details.emplace_back("source", source);
    if (!via.empty()) e.details.emplace_back("via", via);
    return m.db->commit([&](store::Database& d) { return m.log->append(d, intake::masked_record(e)); });
  };
  const std::int64_t now = m.now();
  if (t.state == State::kExpired || now >= t.expires_at) return make_error("transfer.expired", id, "the transfer has expired / 保存期間が過ぎました");
  const auto file = std::find_if(t.files.begin(), t.files.end(), [&](const TransferFile& f) { return f.position == position; });
  if (file == t.files.end()) return make_error("transfer.not-found", subject, "no such file in the transfer / 該当するファイルはありません");
  if (!file->awaits_password()) {
    return make_error("transfer.state", subject, "the file is not waiting for a password / このファイルはパスワードを待っていません");
  }
  if (!m.engines.unlock) return make_error("transfer.config", subject, "this service cannot unlock encrypted files / 解除機能が使えません");
  if (m.unlock_rate_exceeded(source, now)) {
    SANSO_TRY(record("refused", {{"reason", "rate limited"}}));
    return make_error("transfer.rate-limited", source,
                      "too many password attempts from here; wait " + std::to_string(Impl::kUnlockWindow / 60) +
                          " minutes / 入力が多すぎます。しばらく待ってから入力してください");
  }
  if (auto checked = cdr::check_password(password); !checked) {
    SANSO_TRY(record("refused", {{"reason", checked.error().message}}));
    return Error{"transfer.password-input", subject, checked.error().message};
  }
  // The attempt is counted before it is tried, in one step with the check that attempts are left:
  // of simultaneous guesses, no more than the limit are ever tried.
  const std::int64_t limit = m.options.limits.unlock_attempts;
  bool admitted = false;
  std::int64_t attempts = 0;
  SANSO_TRY(m.db->commit([&](store::Database& d) -> Result<void> {
    admitted = SANSO_TRY(d.execute("UPDATE transfer_files SET unlock_attempts = unlock_attempts + 1 WHERE transfer_id = ? AND seq = ? AND "
                                   "unlocked_at = 0 AND unlock_attempts < ?",
                                   {id, std::int64_t{position}, limit})) == 1;
    auto counted = SANSO_TRY(d.query_one("SELECT unlock_attempts FROM transfer_files WHERE transfer_id = ? AND seq = ?", {id, std::int64_t{position}}));
    attempts = counted ? counted->integer(0) : limit;
    return ok();
  }));
  const auto discard_locked = [&]() {
    return m.db->commit([&](store::Database& d) { return m.discard_original(d, id, position, actor, "locked: no password attempts left"); });
  };
  if (!admitted) {
    SANSO_TRY(record("locked", {{"attempts", std::to_string(attempts)}, {"limit", std::to_string(limit)}}));
    SANSO_TRY(discard_locked());
    return make_error("transfer.locked", subject,
                      "no password attempts are left for this file ([transfer] unlock_attempts = " + std::to_string(limit) +
                          "); it stays blocked / 入力回数の上限に達したため、このファイルは解除できません");
  }
  const std::string original = SANSO_TRY(m.original_of(*file, id));
  const cdr::UnlockOutcome outcome = m.engines.unlock(original, file->name, password);
  if (outcome.wrong_password) {
    const bool locked = attempts >= limit;
    SANSO_TRY(record(locked ? "locked" : "wrong", {{"attempts", std::to_string(attempts)}, {"limit", std::to_string(limit)}}, file->sha256));
    if (locked) SANSO_TRY(discard_locked());
    return make_error("transfer.password", subject,
                      locked ? "wrong password; no attempts are left, the file stays blocked / パスワードが違います。入力回数の上限に達しました"
                             : "wrong password; " + std::to_string(limit - attempts) + " attempt(s) left / パスワードが違います（残り " +
                                   std::to_string(limit - attempts) + " 回）");
  }
  // The right password (or a file the decryptor could not take further): the rebuild's verdict
  // replaces "encrypted", and no more attempts are taken on it.
  const cdr::CdrResult& r = outcome.result;
  TransferFile f = *file;
  f.verdict = std::string(cdr::to_string(r.verdict));
  f.findings_json = findings_of(r);
  f.reason.clear();
  f.output_name.clear();
  f.output_sha256.clear();
  std::optional<std::string> sealed;
  if (r.verdict == cdr::Verdict::blocked) {
    f.reason = recorded_name(r.reason + ": " + r.message);
  } else {
    f.output_name = r.output_name.empty() ? f.name : r.output_name;
    f.output_sha256 = sha256_hex(r.output);
    sealed = seal::seal(m.key, r.output, f.output_sha256);
  }
  f.unlocked_at = now;
  f.unlock_attempts = attempts;
  bool changed = false;
  SANSO_TRY(m.db->commit([&](store::Database& d) -> Result<void> {
    store::Value sealed_value = sealed ? store::Value(store::Bytes{*sealed}) : store::Value();
    changed = SANSO_TRY(d.execute("UPDATE transfer_files SET verdict = ?, reason = ?, findings = ?, output_name = ?, output_sha256 = ?, output_sealed = ?, "
                                  "unlocked_at = ? WHERE transfer_id = ? AND seq = ? AND unlocked_at = 0",
                                  {f.verdict, f.reason, f.findings_json, f.output_name, f.output_sha256, sealed_value, now, id,
                                   std::int64_t{position}})) == 1;
    if (!changed) return ok();
    SANSO_TRY(m.discard_original(d, id, position, actor, "unlocked"));
    // A recipient who fetched the transfer before has a file more to fetch.
    if (sealed) SANSO_TRY(m.move(d, id, {State::kDownloaded}, State::kReady, now));
    store::AuditEvent e = m.event(actor, "transfer.unlock", subject, "ok");
    e.rule_id = t.rule_id;
    e.clause = t.clause;
    e.input_sha256 = f.sha256;
    e.output_sha256 = f.output_sha256;
    e.details = {{"name", recorded_name(f.name)}, {"verdict", f.verdict}, {"attempts", std::to_string(attempts)}, {"source", source}};
    if (!f.reason.empty()) e.details.emplace_back("reason", recorded_name(f.reason));
    if (!via.empty()) e.details.emplace_back("via", via);
    SANSO_TRY(m.log->append(d, intake::masked_record(e)));
    store::AuditEvent v = m.event(actor, "transfer.verdict", subject, f.verdict);
    v.rule_id = t.rule_id;
    v.clause = t.clause;
    v.input_sha256 = f.sha256;
    v.output_sha256 = f.output_sha256;
    v.details = {{"name", recorded_name(f.name)}, {"quarantine_id", f.quarantine_id}, {"unlocked", "yes"}};
    if (!f.reason.empty()) v.details.emplace_back("reason", recorded_name(f.reason));
    return m.log->append(d, intake::masked_record(v));
  }));
  if (!changed) return make_error("transfer.state", subject, "the file was unlocked meanwhile / 他の操作で解除済みです");
  if (sealed) {
    Transfer now_ready = SANSO_TRY(m.load_existing(id));
    m.announce(now_ready, actor);
  }
  return f;
}

std::optional<std::string> TransferService::recipient_for_address(const std::string& address) const {
  const std::string wanted = ascii_lower(address);
  for (const auto& u : impl_->users) {
    if (!u.mail.empty() && ascii_lower(u.mail) == wanted && u.zone == policy::kZoneLgwan) return u.name;
  }
  if (!impl_->options.directory_by_mail) return std::nullopt;
  auto found = impl_->options.directory_by_mail(wanted);
  if (!found) {
    log::warn("PPAP: the directory could not say who " + visible_text(wanted) + " is; the attachment stays removed: " + found.error().to_string());
    return std::nullopt;
  }
  if (!*found || (*found)->zone != policy::kZoneLgwan) return std::nullopt;
  return (*found)->name;
}

Result<MailPpap> TransferService::prepare_mail_ppap(const std::string& sender, const std::string& recipient, const std::string& mail_quarantine_id,
                                                    const std::string& rule_id, const std::string& clause, std::span<const MailAttachment> files,
                                                    bool send_link, const std::string& delivery) {
  Impl& m = *impl_;
  if (files.empty()) return make_error("transfer.input", sender, "no files / ファイルがありません");
  MailPpap p;
  p.sender = sender;
  p.delivery = delivery;
  Transfer& t = p.transfer;
  t.created_at = t.state_changed_at = m.now();
  // Attempts of one delivery racing each other name the same transfer in their notices before
  // either has written it: its id follows from the delivery, and from the link's period it falls
  // in, so that the same message sent again once an earlier transfer gave its key up (its link's
  // time over) gets an id of its own. Racers either side of a period's end still cannot both
  // write (the key is unique): the later one is retried and finds the other's transfer.
  const std::int64_t period = std::max<std::int64_t>(m.options.limits.link_hours, 1) * 3600;
  t.id = delivery.empty() ? "t" + random_hex(16)
                          : "t" + sha256_hex("sanso-ppap-transfer-1\n" + delivery + "\n" + std::to_string(t.created_at / period)).substr(0, 32);
  t.from_zone = std::string(policy::kZoneInternet);
  t.to_zone = std::string(policy::kZoneLgwan);
  t.sender = visible_text(ascii_lower(sender));
  t.recipient = recipient;
  t.reason = "PPAP: password-protected attachment(s) of mail " + mail_quarantine_id + " / メールのパスワード付き添付ファイル";
  t.state = State::kReady;
  t.action = "sanitize";
  t.rule_id = rule_id;
  t.clause = clause;
  t.expires_at = t.created_at + m.options.limits.retention_days * 86400;
  for (std::size_t i = 0; i < files.size(); ++i) {
    TransferFile f;
    f.position = static_cast<int>(i);
    auto name = safe_name(files[i].name);
    f.name = name ? *name : "attachment-" + std::to_string(i + 1);
    f.size = static_cast<std::int64_t>(files[i].bytes.size());
    f.sha256 = sha256_hex(files[i].bytes);
    f.quarantine_id = mail_quarantine_id;
    f.verdict = "blocked";
    f.reason = "encrypted: " + files[i].message;
    f.findings_json = "[]";
    t.files.push_back(std::move(f));
    p.sealed.push_back(seal::seal(m.key, files[i].bytes, t.files.back().sha256));
  }
  if (send_link) {
    p.token = random_hex(32);
    t.link_expires_at = std::min(t.expires_at, t.created_at + m.options.limits.link_hours * 3600);
  }
  return p;
}

Result<bool> TransferService::write_mail_ppap(store::Database& d, const MailPpap& p) {
  Impl& m = *impl_;
  const Transfer& t = p.transfer;
  const std::pair<std::string, std::string> details[] = {
      {"via", "mail (PPAP)"},
      {"quarantine_id", t.files.front().quarantine_id},
      {"link", p.token.empty() ? "none: the sender is not authenticated" : "sent to the sender"}};
  std::vector<store::Value> no_outputs(t.files.size()), originals;
  for (const auto& sealed : p.sealed) originals.push_back(store::Value(store::Bytes{sealed}));
  // The attachments wait as long as a link lives, with a link or without one (then for the
  // recipient to ask for an upload meanwhile): the expiry sweep discards them after.
  const std::int64_t waits_until = std::min(t.expires_at, t.created_at + m.options.limits.link_hours * 3600);
  if (p.delivery.empty()) {
    SANSO_TRY(m.insert_transfer(d, t, t.sender, details, no_outputs, originals, p.token.empty() ? "" : sha256_hex(p.token), waits_until));
    return true;
  }
  // A delivery's key is unique among transfers that still live (schema 23). One that expired
  // gives the key up first, so the same message sent again later makes a transfer of its own.
  SANSO_TRY(d.execute("UPDATE transfers SET ppap_delivery = '' WHERE ppap_delivery = ? AND id <> ? AND (ppap_expires_at <= ? OR state = 'expired')",
                      {p.delivery, t.id, m.now()}));
  // Then the insert claims the key, or finds it taken by an attempt racing this one, in the
  // same transaction: never two transfers, nor two links, for one delivery.
  if (SANSO_TRY(m.insert_transfer(d, t, t.sender, details, no_outputs, originals, p.token.empty() ? "" : sha256_hex(p.token), waits_until, p.delivery))) {
    return true;
  }
  auto holder = SANSO_TRY(d.query_one("SELECT id FROM transfers WHERE ppap_delivery = ? OR id = ?", {p.delivery, t.id}));
  // The other attempt's transfer is the one this mail's notice names (the same id): nothing to
  // write. One of another id (the attempts straddled a link period) cannot be named by this
  // notice: the mail's transaction fails and its retry finds that transfer.
  if (holder && holder->text(0) == t.id) return false;
  return make_error("transfer.conflict", t.id,
                    "another attempt of the same delivery made transfer " + (holder ? holder->text(0) : std::string("(unknown)")) +
                        " meanwhile; try again / 同じ配送の別の試行が受け渡しを作成済み。再試行してください");
}

Result<std::optional<std::string>> TransferService::mail_ppap_for_delivery(const std::string& delivery) {
  Impl& m = *impl_;
  if (delivery.empty()) return std::optional<std::string>();
  auto use = m.db->use();
  auto row = SANSO_TRY(use->query_one(
      "SELECT id FROM transfers WHERE ppap_delivery = ? AND ppap_expires_at > ? AND state <> 'expired' ORDER BY created_at LIMIT 1", {delivery, m.now()}));
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(row->text(0));
}

Result<bool> TransferService::Impl::insert_transfer(store::Database& d, const Transfer& t, const std::string& actor,
                                                    std::span<const std::pair<std::string, std::string>> details,
                                                    std::span<const store::Value> output_sealed, std::span<const store::Value> original_sealed,
                                                    const std::string& ppap_sha256, std::int64_t ppap_expires_at, const std::string& ppap_delivery) {
  // ON CONFLICT DO NOTHING on the unique delivery key (or the id) is the lookup and the insert in
  // one statement: PostgreSQL makes a racing insert wait for the holder's commit and then do
  // nothing; SQLite has one writer at a time. Only a PPAP row can conflict.
  const std::int64_t inserted = SANSO_TRY(
      d.execute("INSERT INTO transfers (id, from_zone, to_zone, sender, sender_account, recipient, reason, state, action, rule_id, clause, "
                "hold_reason, approver_role, created_at, expires_at, state_changed_at, ppap_sha256, ppap_expires_at, ppap_delivery) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" +
                    std::string(ppap_delivery.empty() ? "" : " ON CONFLICT DO NOTHING"),
                {t.id, t.from_zone, t.to_zone, t.sender, t.sender_account, t.recipient, t.reason, std::string(to_string(t.state)), t.action,
                 t.rule_id, t.clause, t.hold_reason, t.approver_role, t.created_at, t.expires_at, t.state_changed_at, ppap_sha256, ppap_expires_at,
                 ppap_delivery}));
  if (inserted != 1) return false;
  store::AuditEvent e = event(actor, "transfer.send", t.id, std::string(to_string(t.state)));
  e.rule_id = t.rule_id;
  e.clause = t.clause;
  e.details = {{"from", t.from_zone}, {"to", t.to_zone}, {"recipient", t.recipient}, {"files", std::to_string(t.files.size())}};
  e.details.insert(e.details.end(), details.begin(), details.end());
  SANSO_TRY(log->append(d, intake::masked_record(e)));
  for (std::size_t i = 0; i < t.files.size(); ++i) {
    const TransferFile& f = t.files[i];
    const store::Value values[] = {t.id,          std::int64_t{f.position}, f.name,          f.size,           f.sha256,          f.quarantine_id, f.verdict,
                                   f.reason,      f.findings_json,          f.output_name,   f.output_sha256, output_sealed[i], original_sealed[i]};
    SANSO_TRY(d.execute("INSERT INTO transfer_files (transfer_id, seq, name, size, sha256, quarantine_id, verdict, reason, findings, "
                        "output_name, output_sha256, output_sealed, original_sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        values));
    store::AuditEvent v = event(actor, "transfer.verdict", t.id + "/" + std::to_string(f.position), f.verdict);
    v.rule_id = t.rule_id;
    v.clause = t.clause;
    v.input_sha256 = f.sha256;
    v.output_sha256 = f.output_sha256;
    v.details = {{"name", recorded_name(f.name)}, {"quarantine_id", f.quarantine_id}};
    if (!f.reason.empty()) v.details.emplace_back("reason", recorded_name(f.reason));
    SANSO_TRY(log->append(d, intake::masked_record(v)));
  }
  return true;
}

void TransferService::send_mail_ppap_link(const MailPpap& p) {
  Impl& m = *impl_;
  if (p.token.empty() || p.sender.empty()) return;
  const Transfer& t = p.transfer;
  const std::string url = (!m.options.internet_url.empty() ? m.options.internet_url : m.options.console_url) + "/ppap/" + p.token;
  std::string names;
  for (const auto& f : t.files) names += "    " + visible_text(recorded_name(f.name)) + "\n";
  m.notify(t, "milter", "ppap-link", {p.sender}, "【パスワード入力のお願い】Password needed for your attachment (" + t.id + ")",
           "パスワード付きの添付ファイルは、そのままでは受取人に届きません。\n"
           "次のページでパスワードを入力すると、ファイルを復号して無害化したものだけが受取人に渡ります。\n"
           "パスワードは保存されず、受取人にも伝わりません。このリンクは一度だけ、期限まで使えます。\n\n" +
               names + "\n" + url + "\n期限: " + iso_utc(t.link_expires_at) +
               "\n\n-- \nYour attachment is password-protected and was not delivered as it is. Enter its password at the link above: "
               "the file is decrypted and rebuilt (無害化) in a sandbox and only the rebuilt file reaches the recipient. The password is "
               "never stored nor passed on. The link works once, until it expires.\n");
}

Result<Transfer> TransferService::ppap_transfer(const std::string& token) {
  Impl& m = *impl_;
  const Error unusable{"transfer.link", "", "the link is not valid (used, expired or unknown) / このリンクは無効です（使用済み・期限切れ・不明）"};
  if (token.size() != 64) return unusable;
  std::optional<store::Row> row;
  {
    auto use = m.db->use();
    // A mail to several LGWAN people: a transfer each, one link; the first stands for them all.
    row = SANSO_TRY(use->query_one("SELECT id, ppap_expires_at FROM transfers WHERE ppap_sha256 = ? AND state <> 'expired' ORDER BY id LIMIT 1",
                                   {sha256_hex(token)}));
  }
  if (!row || m.now() >= row->integer(1)) return unusable;
  Transfer t = SANSO_TRY(m.load_existing(row->text(0)));
  if (m.now() >= t.expires_at) return unusable;
  return t;
}

Result<TransferFile> TransferService::unlock_with_link(const std::string& token, int position, std::string_view password, const std::string& source) {
  Impl& m = *impl_;
  auto t = ppap_transfer(token);
  if (!t) {
    store::AuditEvent e = m.event("link@" + source, "transfer.unlock", "-", "refused");
    e.details = {{"reason", "used, expired or unknown link"}, {"source", source}};
    SANSO_TRY(m.db->commit([&](store::Database& d) { return m.log->append(d, intake::masked_record(e)); }));
    return t.error();
  }
  // The other transfers of the same mail (one per LGWAN recipient) share the link: the same
  // password goes to the same file of each, each counted and recorded as its own attempt.
  std::vector<std::string> others;
  {
    auto use = m.db->use();
    const auto rows = SANSO_TRY(use->query("SELECT id FROM transfers WHERE ppap_sha256 = ? AND state <> 'expired' AND id <> ? ORDER BY id",
                                           {sha256_hex(token), t->id}));
    for (const auto& r : rows) others.push_back(r.text(0));
  }
  auto unlocked = m.unlock_file(*t, position, t->sender, "ppap link", password, source);
  for (const auto& id : others) {
    auto other = m.load_existing(id);
    if (!other) return other.error();
    const auto file = std::find_if(other->files.begin(), other->files.end(), [&](const TransferFile& f) { return f.position == position; });
    if (file == other->files.end() || !file->awaits_password()) continue;
    auto also = m.unlock_file(*other, position, other->sender, "ppap link", password, source);
    // The first transfer's answer is the page's; one that fails where it did not is said.
    if (unlocked && !also) unlocked = also.error();
  }
  // Spent once nothing of it waits for a password with attempts left: unlocked, or locked.
  others.insert(others.begin(), t->id);
  bool waiting = false;
  for (const auto& id : others) {
    auto after = m.load_existing(id);
    if (!after) return after.error();
    waiting = waiting || std::any_of(after->files.begin(), after->files.end(), [&](const TransferFile& f) {
                return f.awaits_password() && f.unlock_attempts < m.options.limits.unlock_attempts;
              });
  }
  if (!waiting) {
    SANSO_TRY(m.db->commit([&](store::Database& d) -> Result<void> {
      for (const auto& id : others) {
        SANSO_TRY(d.execute("UPDATE transfers SET ppap_sha256 = '' WHERE id = ?", {id}));
        SANSO_TRY(m.log->append(d, m.event(t->sender, "transfer.link", id, "spent")));
      }
      return ok();
    }));
  }
  return unlocked;
}

Result<std::int64_t> TransferService::expire(const std::string& actor) {
  Impl& m = *impl_;
  const std::int64_t now = m.now();
  std::vector<std::string> due;
  {
    auto use = m.db->use();
    auto rows = SANSO_TRY(use->query("SELECT id FROM transfers WHERE expires_at <= ? AND state <> 'expired' ORDER BY expires_at", {now}));
    for (const auto& r : rows) due.push_back(r.text(0));
  }
  // Encrypted attachments nobody can unlock any more: their link's time is over (or, without a
  // link, the time one would have had), or the mail they came in was purged from the quarantine.
  std::vector<std::pair<std::string, std::string>> unusable;
  {
    auto use = m.db->use();
    auto rows = SANSO_TRY(use->query(
        "SELECT DISTINCT f.transfer_id, CASE WHEN t.ppap_expires_at > 0 AND t.ppap_expires_at <= ? THEN 'its link expired' "
        "ELSE 'its mail was purged from the quarantine' END FROM transfer_files f JOIN transfers t ON t.id = f.transfer_id "
        "WHERE f.original_sealed IS NOT NULL AND ((t.ppap_expires_at > 0 AND t.ppap_expires_at <= ?) OR "
        "NOT EXISTS (SELECT 1 FROM quarantine_items q WHERE q.id = f.quarantine_id))",
        {now, now}));
    for (const auto& r : rows) unusable.emplace_back(r.text(0), r.text(1));
  }
  for (const auto& entry : unusable) {
    const std::string& id = entry.first;
    const std::string& why = entry.second;
    SANSO_TRY(m.db->commit([&](store::Database& d) -> Result<void> {
      SANSO_TRY(d.execute("UPDATE transfers SET ppap_sha256 = '' WHERE id = ?", {id}));
      return m.discard_original(d, id, std::nullopt, actor, why);
    }));
  }
  std::int64_t n = 0;
  for (const auto& id : due) {
    bool moved = false;
    SANSO_TRY(m.db->commit([&](store::Database& d) -> Result<void> {
      moved = SANSO_TRY(m.move(d, id, {State::kPendingApproval, State::kApproved, State::kDenied, State::kReady, State::kDownloaded}, State::kExpired, now));
      if (!moved) return ok();
      SANSO_TRY(d.execute("UPDATE transfers SET link_sha256 = '', ppap_sha256 = '' WHERE id = ?", {id}));
      SANSO_TRY(d.execute("UPDATE transfer_files SET output_sealed = NULL WHERE transfer_id = ?", {id}));
      SANSO_TRY(m.discard_original(d, id, std::nullopt, actor, "the transfer expired"));
      return m.log->append(d, m.event(actor, "transfer.expire", id, "expired"));
    }));
    if (moved) ++n;
  }
  return n;
}

std::optional<Result<std::int64_t>> ExpirySchedule::run_if_due(TransferService& service, const std::string& actor) {
  const auto now = clock_.now();
  if (next_ && now < *next_) return std::nullopt;
  next_ = now + period_;
  return service.expire(actor);
}

}  // namespace sanso::transfer
