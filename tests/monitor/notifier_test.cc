// The security manager's mail about findings: batches bounded in number and size under a flood,
// warnings not mailed, a failed mail tried again without losing its findings, no header a log
// could add, and the mail through a real SMTP server (Postfix's smtp-sink) read back with GMime.
#include "monitor/notifier.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "mail/smtp_client.h"
#include "monitor_fixtures.h"
#include "support/test_store.h"
#include "support/gmime_message.h"
#include "support/smtp_sink.h"

namespace sanso::monitor {
namespace {

using testing::test_policy;

const AddressPlan& test_plan() {
  static const policy::Policy policy = test_policy();
  static const AddressPlan plan = *AddressPlan::build(policy);
  return plan;
}

Finding deny_finding(std::uint32_t n, Rule rule = Rule::kMynumberEgress) {
  Finding f;
  f.rule = rule;
  f.src = policy::parse_ip("192.0.2.10")->value;
  f.dst = policy::parse_ip("203.0.113." + std::to_string(n % 250))->value;
  f.dport = static_cast<std::uint16_t>(1024 + n % 60000);
  f.proto = kProtoTcp;
  f.first_seen = f.last_seen = 1796000000 + n;
  f.count = 1;
  f.src_zone = test_plan().zone_of(f.src);
  f.dst_zone = test_plan().zone_of(f.dst);
  return f;
}

NotifySettings settings() {
  NotifySettings s;
  s.to = {"ciso@city.example.lg.jp", "soc@city.example.lg.jp"};
  s.from = "postmaster@city.example.lg.jp";
  s.node = "mon1";
  s.interval_seconds = 300;
  s.gather_seconds = 10;
  s.max_listed = 20;
  return s;
}

struct ReadMail {
  std::vector<std::string> header_names;  // in order, as GMime reads them
  std::string subject, to, body;
};

ReadMail read_back(const std::string& raw) {
  ReadMail out;
  GMimeMessage* m = sanso::testing::parse_message(raw);
  EXPECT_NE(m, nullptr);
  if (m == nullptr) return out;
  GMimeHeaderList* headers = g_mime_object_get_header_list(GMIME_OBJECT(m));
  for (int i = 0; i < g_mime_header_list_get_count(headers); ++i) out.header_names.emplace_back(g_mime_header_get_name(g_mime_header_list_get_header_at(headers, i)));
  const char* subject = g_mime_message_get_subject(m);
  out.subject = subject != nullptr ? subject : "";
  char* to = internet_address_list_to_string(g_mime_message_get_to(m), nullptr, FALSE);
  out.to = to != nullptr ? to : "";
  g_free(to);
  GMimeObject* body = g_mime_message_get_mime_part(m);
  if (body != nullptr && GMIME_IS_PART(body)) out.body = sanso::testing::part_text(body);
  g_object_unref(m);
  return out;
}

TEST(MonitorNotifier, AFloodGivesOneMailPerIntervalListingTheFirstFindingsAndCountingTheRest) {
  const AddressPlan* plan = &test_plan();
  Notifier n(*plan, settings());
  const std::int64_t t0 = 1796000000;
  std::vector<Notice> mails;
  // An hour of forged flows, 100 distinct findings a second, and a collector ticking each second.
  for (std::int64_t t = t0; t < t0 + 3600; ++t) {
    for (std::uint32_t i = 0; i < 100; ++i) n.add(deny_finding(static_cast<std::uint32_t>(t - t0) * 100 + i, i % 2 ? Rule::kLgwanInternet : Rule::kMynumberEgress), "syslog/udp #1", t);
    if (auto mail = n.due(t)) {
      mails.push_back(*mail);
      n.finished(true, t);
    }
  }
  if (auto last = n.due(t0 + 3600, true)) mails.push_back(*last);
  // The first after its gathering time, then one per 300 s, and the rest at the end: 13 in all.
  ASSERT_EQ(mails.size(), 13u);
  std::uint64_t told = 0;
  for (const Notice& m : mails) {
    told += m.findings;
    EXPECT_EQ(m.listed, 20u);
    EXPECT_EQ(m.per_rule[static_cast<int>(Rule::kMynumberEgress)] + m.per_rule[static_cast<int>(Rule::kLgwanInternet)], m.findings);
    EXPECT_LT(m.message.size(), 40000u) << "a mail's size does not grow with the flood";
  }
  EXPECT_EQ(told, 3600u * 100u) << "every finding is counted in some mail";
  const ReadMail first = read_back(mails[0].message);
  // Japanese first, then English; the rest of the batch as a count.
  EXPECT_EQ(mails[0].findings, 11u * 100u);
  EXPECT_NE(first.body.find("ほか 1080 件は一覧に載せていません"), std::string::npos) << first.body;
  EXPECT_LT(first.body.find("情報セキュリティ管理者"), first.body.find("To the information security manager"));
  EXPECT_NE(first.body.find("mynumber-egress（6(3)①）: 550 件"), std::string::npos) << first.body;
  EXPECT_NE(first.body.find("lgwan-internet（6(3)②）: 550 件"), std::string::npos) << first.body;
  EXPECT_NE(first.body.find("192.0.2.10 [mynumber] -> 203.0.113.0 [internet] 1024/tcp"), std::string::npos) << first.body;
  EXPECT_EQ(first.subject, "【通信監視】領域分離の違反 1100 件（6(3)①, 6(3)②）/ monitor: 1100 finding(s)");
  EXPECT_EQ(mails[0].first_rule, Rule::kMynumberEgress);
}

TEST(MonitorNotifier, WarningsAreNotMailedAndAQuietStartWaitsOnlyTheGatheringTime) {
  const AddressPlan* plan = &test_plan();
  Notifier n(*plan, settings());
  Finding warn = deny_finding(1, Rule::kUnzonedAddress);
  n.add(warn, "x", 100);
  n.add(deny_finding(2, Rule::kVolume), "x", 100);
  EXPECT_FALSE(n.due(1000).has_value()) << "warn findings are not mailed";
  n.add(deny_finding(3), "x", 1000);
  EXPECT_FALSE(n.due(1005).has_value()) << "a burst is gathered first";
  auto mail = n.due(1010);
  ASSERT_TRUE(mail.has_value());
  EXPECT_EQ(mail->findings, 1u);
  n.finished(true, 1010);
  EXPECT_EQ(n.waiting(), 0u);

  NotifySettings off = settings();
  off.to.clear();
  Notifier none(*plan, off);
  none.add(deny_finding(4), "x", 0);
  EXPECT_FALSE(none.due(10000, true).has_value()) << "no addresses, no mail";
}

TEST(MonitorNotifier, AMailNotDeliveredIsTriedAgainAnIntervalLaterWithTheFindingsGatheredMeanwhile) {
  const AddressPlan* plan = &test_plan();
  NotifySettings s = settings();
  s.max_listed = 3;
  Notifier n(*plan, s);
  for (std::uint32_t i = 0; i < 2; ++i) n.add(deny_finding(i), "a", 0);
  auto first = n.due(10);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->findings, 2u);
  // While it is in flight, more come; none is handed out before the first is settled.
  for (std::uint32_t i = 2; i < 7; ++i) n.add(deny_finding(i, Rule::kLgwanInternet), "b", 11);
  EXPECT_FALSE(n.due(400, true).has_value());
  n.finished(false, 20);
  EXPECT_FALSE(n.due(300).has_value()) << "the relay is given an interval";
  auto again = n.due(320);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->findings, 7u);
  EXPECT_EQ(again->listed, 3u);
  EXPECT_EQ(again->per_rule[static_cast<int>(Rule::kMynumberEgress)], 2u);
  EXPECT_EQ(again->per_rule[static_cast<int>(Rule::kLgwanInternet)], 5u);
  EXPECT_NE(read_back(again->message).body.find("203.0.113.0 [internet]"), std::string::npos) << "the undelivered findings are listed first";
}

TEST(MonitorNotifier, TextFromLogsNeverBecomesAHeaderOrALineOfItsOwn) {
  const AddressPlan* plan = &test_plan();
  Notifier n(*plan, settings());
  // A file name or listener source and a detail carrying CR LF and a header, as a forged log or a
  // crafted file name would put them there; and a node name a careless config could hold.
  Finding f = deny_finding(1, Rule::kIndicator);
  f.detail = "list.txt\r\nBcc: attacker@evil.example\r\n\r\nfake body";
  n.add(f, "/var/log/fw\r\nSubject: pwned\n.\r\nMAIL FROM:<x@evil.example>\u202e", 0);
  auto mail = n.due(100);
  ASSERT_TRUE(mail);
  const std::string head = mail->message.substr(0, mail->message.find("\r\n\r\n"));
  EXPECT_EQ(head.find("evil"), std::string::npos) << head;
  EXPECT_EQ(head.find("pwned"), std::string::npos) << head;
  const ReadMail r = read_back(mail->message);
  // GMime keeps Content-Type and Content-Transfer-Encoding with the part, not in this list.
  const std::vector<std::string> expected = {"From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted", "X-Sanso-Monitor-Findings", "MIME-Version"};
  EXPECT_EQ(r.header_names, expected);
  // In the raw text too: ten fields, each line either one's start or a fold of the one before.
  std::size_t fields = 0;
  for (std::size_t at = 0; at < head.size();) {
    const std::size_t end = std::min(head.find("\r\n", at), head.size());
    if (head[at] != ' ' && head[at] != '\t') ++fields;
    at = end + 2;
  }
  EXPECT_EQ(fields, 10u) << head;
  EXPECT_EQ(r.to, "ciso@city.example.lg.jp, soc@city.example.lg.jp");
  // In the body the text is there, shown, but on the finding's own line.
  EXPECT_NE(r.body.find("<U+000D><U+000A>Bcc: attacker@evil.example"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("<U+202E>"), std::string::npos) << r.body;
  for (std::size_t at = r.body.find('\n'); at != std::string::npos; at = r.body.find('\n', at + 1)) {
    const std::string_view rest = std::string_view(r.body).substr(at + 1);
    EXPECT_FALSE(rest.starts_with("Bcc:") || rest.starts_with("Subject:") || rest.starts_with(".") || rest.starts_with("MAIL FROM"))
        << "a line of its own: " << rest.substr(0, 40);
  }
}

TEST(MonitorNotifier, TheMailReachesARealSmtpServerAndItsAttemptIsAnAuditEvent) {
  const AddressPlan* plan = &test_plan();
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("sanso-notify-" + sanso::testing::random_hex(4));
  sanso::testing::SmtpSink sink(dir);
  Notifier n(*plan, settings());
  n.add(deny_finding(7), "conn.log:12", 0);
  auto mail = n.due(0, true);
  ASSERT_TRUE(mail);
  auto sent = mail::send_mail({sink.relay(), "localhost"}, {"", mail->to}, mail->message);
  ASSERT_TRUE(sent) << sent.error().to_string();
  n.finished(true, 1);
  auto got = sink.messages(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].find("ciso@city.example.lg.jp"), std::string::npos);
  EXPECT_NE(got[0].find("soc@city.example.lg.jp"), std::string::npos);
  const ReadMail r = read_back(got[0].substr(got[0].find("From:")));
  EXPECT_NE(r.body.find("192.0.2.10 [mynumber] -> 203.0.113.7 [internet] 1031/tcp  x1  conn.log:12"), std::string::npos) << r.body;

  const store::AuditEvent e = notice_event(*mail, sent, sink.relay(), "monitor@mon1", 5);
  EXPECT_EQ(e.action, "monitor.notify");
  EXPECT_EQ(e.outcome, "sent");
  EXPECT_EQ(e.rule_id, "mynumber-egress");
  EXPECT_EQ(e.clause, "6(3)①");
  EXPECT_EQ(e.subject, mail->message_id);
  const store::AuditEvent failed = notice_event(*mail, make_error("smtp.unavailable", sink.relay(), "connection refused"), sink.relay(), "monitor@mon1", 5);
  EXPECT_EQ(failed.outcome, "failed");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sanso::monitor
