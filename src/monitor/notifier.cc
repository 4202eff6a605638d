#include "monitor/notifier.h"

#include <algorithm>
#include <ctime>

#include "core/clock.h"
#include "core/text.h"
#include "mime/notice_mail.h"

namespace sanso::monitor {
namespace {

// Text that came from a log or a command line, as the body may show it: one line, controls and
// invisible characters made visible, at most `limit` bytes (cut on a character boundary).
std::string shown(std::string_view text, std::size_t limit = 200) {
  std::string v = visible_text(text);
  if (v.size() <= limit) return v;
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xC0) == 0x80) --cut;
  return v.substr(0, cut) + "…";
}

std::string finding_line(const Finding& f, const AddressPlan& plan, std::string_view source) {
  const RuleInfo& r = info(f.rule);
  char proto_buf[4];
  return "  " + iso_utc(f.first_seen) + "  " + std::string(r.id) + " (" + std::string(r.clause) + ")  " + policy::format_ip(f.src) + " [" +
         std::string(plan.name(f.src_zone)) + "] -> " + policy::format_ip(f.dst) + " [" + std::string(plan.name(f.dst_zone)) + "] " +
         std::to_string(f.dport) + "/" + std::string(protocol_name(f.proto, proto_buf)) + "  x" + std::to_string(f.count + f.stored_count) +
         "  " + shown(source) + (f.detail.empty() ? "" : "  " + shown(f.detail)) + "\n";
}

void merge_into(std::array<std::uint64_t, kRuleCount>& to, const std::array<std::uint64_t, kRuleCount>& from) {
  for (int i = 0; i < kRuleCount; ++i) to[i] += from[i];
}

}  // namespace

Notifier::Notifier(const AddressPlan& plan, NotifySettings settings) : plan_(plan), settings_(std::move(settings)) {
  settings_.max_listed = std::max<std::size_t>(settings_.max_listed, 1);
}

void Notifier::add(const Finding& f, std::string_view source, std::int64_t now) {
  if (!enabled() || !info(f.rule).deny) return;
  if (pending_.total == 0) pending_.first_added = now;
  ++pending_.total;
  ++pending_.per_rule[static_cast<int>(f.rule)];
  // Beyond the list only counts are kept: memory stays flat under a flood.
  if (pending_.listed.size() < settings_.max_listed) pending_.listed.push_back({f, std::string(source.substr(0, 1024))});
}

std::optional<Notice> Notifier::due(std::int64_t now, bool force) {
  if (!enabled() || in_flight_ || pending_.total == 0) return std::nullopt;
  if (!force) {
    if (now - pending_.first_added < settings_.gather_seconds) return std::nullopt;
    if (last_attempt_ && now - *last_attempt_ < settings_.interval_seconds) return std::nullopt;
  }
  in_flight_ = std::move(pending_);
  pending_ = Batch{};
  last_attempt_ = now;
  Notice n;
  n.from = settings_.from;
  n.to = settings_.to;
  n.findings = in_flight_->total;
  n.listed = in_flight_->listed.size();
  n.per_rule = in_flight_->per_rule;
  for (int i = 0; i < kRuleCount; ++i) {
    if (n.per_rule[i] > 0) {
      n.first_rule = static_cast<Rule>(i);
      break;
    }
  }
  // Only configured addresses reach the header (sanso.toml checks them); should one still be
  // refused, the mail goes out empty and its failure is recorded like a relay's.
  if (auto composed = compose(*in_flight_, now)) {
    n.message_id = composed->message_id;
    n.message = std::move(composed->message);
  }
  return n;
}

void Notifier::finished(bool delivered, std::int64_t now) {
  if (!in_flight_) return;
  last_attempt_ = now;
  if (!delivered) {
    // Not told yet: the batch goes in front of what gathered meanwhile, its list still bounded.
    Batch back = std::move(*in_flight_);
    back.total += pending_.total;
    merge_into(back.per_rule, pending_.per_rule);
    for (Listed& l : pending_.listed) {
      if (back.listed.size() >= settings_.max_listed) break;
      back.listed.push_back(std::move(l));
    }
    pending_ = std::move(back);
  }
  in_flight_.reset();
}

Result<mime::ComposedNotice> Notifier::compose(const Batch& b, std::int64_t now) const {
  std::string clauses;
  std::string ja_rules, en_rules;
  for (int i = 0; i < kRuleCount; ++i) {
    if (b.per_rule[i] == 0) continue;
    const RuleInfo& r = info(static_cast<Rule>(i));
    if (clauses.find(r.clause) == std::string::npos) clauses += (clauses.empty() ? "" : ", ") + std::string(r.clause);
    ja_rules += "  " + std::string(r.id) + "（" + std::string(r.clause) + "）: " + std::to_string(b.per_rule[i]) + " 件 — " + std::string(r.ja) + "\n";
    en_rules += "  " + std::string(r.id) + " (" + std::string(r.clause) + "): " + std::to_string(b.per_rule[i]) + " - " + std::string(r.en) + "\n";
  }
  std::string list;
  for (const Listed& l : b.listed) list += finding_line(l.finding, plan_, l.source);
  const std::uint64_t unlisted = b.total - b.listed.size();
  const std::string node = shown(settings_.node, 64);
  const std::string total = std::to_string(b.total);

  std::string body = "情報セキュリティ管理者 各位\n\n"
                     "通信ログの監視（情報セキュリティポリシー 6(3)③）で、領域の分離に反する通信を " + total + " 件検知しました（" +
                     clauses + "）。\n収集ノード: " + node + "\n\n規則ごとの件数:\n" + ja_rules + "\n検知の一覧（送信元 [領域] -> 宛先 [領域] ポート/プロトコル、回数、入力）:\n" + list;
  if (unlisted > 0) {
    body += "  ほか " + std::to_string(unlisted) + " 件は一覧に載せていません（1 通に載せる上限 " + std::to_string(settings_.max_listed) +
            " 件。件数は上の規則ごとの数に含まれます）。\n";
  }
  body += "\n通知は " + std::to_string(settings_.interval_seconds) +
          " 秒に 1 通までです。すべての検知は監査ログ（monitor.finding）と監視の一覧に記録されています。\n"
          "この通知はログの内容を引用しています。送信元のホスト名などは偽装されている可能性があります。\n"
          "\n-- \n"
          "To the information security manager:\n\n"
          "Flow monitoring (policy clause 6(3)③) found " + total + " flow(s) breaking the zone separation (" + clauses + ").\n"
          "Collector: " + node + "\n\nPer rule:\n" + en_rules + "\nFindings (source [zone] -> destination [zone] port/protocol, count, input): see the list above.\n";
  if (unlisted > 0) body += "  " + std::to_string(unlisted) + " more are not listed (at most " + std::to_string(settings_.max_listed) + " a mail; counted per rule above).\n";
  body += "\nAt most one mail is sent every " + std::to_string(settings_.interval_seconds) +
          " seconds. Every finding is in the audit log (monitor.finding).\n"
          "Addresses and names quoted from logs may be forged.\n";

  // Only fixed words, numbers, clauses and configured addresses in the header: nothing from a log.
  mime::NoticeMail mail;
  mail.from_name = "Sanso 通信監視";
  mail.from = settings_.from;
  mail.to = settings_.to;
  mail.subject = "【通信監視】領域分離の違反 " + total + " 件（" + clauses + "）/ monitor: " + total + " finding(s)";
  mail.body = std::move(body);
  mail.headers = {{"X-Sanso-Monitor-Findings", total}};
  mail.date = now;
  mail.node = settings_.node;
  return mime::compose_notice(mail);
}

store::AuditEvent notice_event(const Notice& n, const Result<std::string>& sent, const std::string& relay, const std::string& actor, std::int64_t now) {
  const RuleInfo& first = info(n.first_rule);
  store::AuditEvent e;
  e.time = now;
  e.actor = actor;
  e.action = "monitor.notify";
  e.subject = n.message_id;
  e.outcome = sent ? "sent" : "failed";
  e.rule_id = std::string(first.id);
  e.clause = std::string(first.clause);
  std::string to, rules;
  for (const std::string& a : n.to) to += (to.empty() ? "" : ",") + a;
  for (int i = 0; i < kRuleCount; ++i) {
    if (n.per_rule[i] > 0) rules += (rules.empty() ? "" : ",") + std::string(info(static_cast<Rule>(i)).id) + "=" + std::to_string(n.per_rule[i]);
  }
  e.details = {{"to", to},
               {"relay", relay},
               {"findings", std::to_string(n.findings)},
               {"listed", std::to_string(n.listed)},
               {"rules", rules}};
  if (sent) {
    e.details.emplace_back("reply", *sent);
  } else {
    e.details.emplace_back("error", sent.error().to_string());
  }
  return e;
}

}  // namespace sanso::monitor
