// The gateway's decisions without Postfix: an envelope with the client's address and listener as
// the milter hands them over, the example city's policy, a real store and audit log. Beside the
// real-Postfix tests (milter_test.cc), these reach every zone pair and every way a network fact
// and a claim can disagree.
#include "mail/milter/gateway.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <memory>
#include <set>
#include <thread>

#include "audit/log.h"
#include "core/clock.h"
#include "core/digest.h"
#include "mime/transfer.h"
#include "policy/decide.h"
#include "policy/load.h"
#include "quarantine/quarantine.h"
#include "store/database.h"
#include "store/schema.h"
#include "support/example_policy.h"
#include "support/japanese_pdf.h"
#include "support/notice_text.h"
#include "support/failing_audit.h"
#include "support/smtp_sink.h"
#include "support/open_quarantine.h"
#include "support/test_store.h"
#include "support/udp_log_sink.h"
#include "support/zip_of.h"

namespace sanso::mail {
namespace {

namespace fs = std::filesystem;

const char* kPlain = "From: someone\r\nSubject: hello\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nhello\r\n";

class GatewayDecisions : public ::testing::Test {
 protected:
  void SetUp() override {
    store_dir_ = std::make_unique<sanso::testing::TestStore>(store::Backend::kSqlite);
    use_policy("");
  }

  // The example city's policy with `extra_rules` (TOML) added.
  void use_policy(const std::string& extra_rules) {
    gateway_.reset();
    auto example = sanso::testing::example_policy(extra_rules);
    ASSERT_NE(example.compiled, nullptr);
    policy_ = std::move(example.policy);
    compiled_ = std::move(example.compiled);
    open_gateway(GatewaySettings{});
  }

  // `launch`: a fork per job, unless the test runs a thread of its own (a log shipper): a child forked
  // while that thread holds ASan's allocator lock hangs, so such a test starts pools first.
  void open_gateway(GatewaySettings settings, const sandbox::Launch& launch = sandbox::Launch::fork_per_job()) {
    gateway_.reset();
    quarantine_.reset();
    log_.reset();
    auto db = store_dir_->open();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(store::migrate(*db));
    audit::LogOptions lo;
    lo.node = "gw-test";
    log_ = std::make_unique<audit::AuditLog>(lo);
    quarantine::QuarantineStore::Options o;
    o.settings.retention.default_days = 30;
    o.settings.approver_roles = {"security_manager", "general_security_officer"};
    o.blob_dir = (store_dir_->dir() / "blobs").string();
    o.key_file = (store_dir_->dir() / "quarantine.key").string();
    o.audit = log_.get();
    auto q = sanso::testing::OpenQuarantine::open(std::move(db), o);
    ASSERT_TRUE(q) << q.error().to_string();
    quarantine_ = std::move(q).value();
    settings.node = "gw-test";
    settings.sanitize.lang = "ja";
    auto executors = GatewayExecutors::start(*policy_, settings.sanitize, launch);
    ASSERT_TRUE(executors) << executors.error().to_string();
    gateway_ = std::make_unique<MailGateway>(*policy_, *compiled_, *quarantine_, *log_, quarantine_.shared(), settings, std::move(executors).value());
  }

  // Held mail's senders are told through Postfix's smtp-sink.
  void open_gateway_telling_senders(const sanso::testing::SmtpSink& sink) {
    GatewaySettings s;
    s.notice_relay = sink.relay();
    s.notice_from = "postmaster@city.minamata.lg.jp";
    open_gateway(s);
  }

  GatewayVerdict run(const std::string& address, const std::string& sender, const std::string& rcpt, const std::string& raw = kPlain,
                     const std::string& daemon = "") {
    Envelope e;
    e.client_address = address;
    e.daemon_name = daemon;
    e.sender = sender;
    e.recipients = {rcpt};
    return gateway_->process(e, raw);
  }

  // A city PC's envelope (the LGWAN zone's network).
  static Envelope from_city_pc(const std::string& sender, std::vector<std::string> recipients) {
    Envelope e;
    e.client_address = "10.20.3.4";
    e.sender = sender;
    e.recipients = std::move(recipients);
    return e;
  }

  std::int64_t count(const std::string& sql) {
    auto row = quarantine_.database().query_one(sql);
    EXPECT_TRUE(row && row->has_value());
    return row && row->has_value() ? (*row)->integer(0) : -1;
  }

  std::unique_ptr<policy::Policy> policy_;
  std::unique_ptr<policy::CompiledPolicy> compiled_;
  std::unique_ptr<sanso::testing::TestStore> store_dir_;
  std::unique_ptr<audit::AuditLog> log_;
  sanso::testing::OpenQuarantine quarantine_;
  std::unique_ptr<MailGateway> gateway_;
};

// An address inside the zone's first IPv4 network ("10.20.0.0/16" → "10.20.0.5").
std::string address_in(const policy::Zone& z) {
  for (const auto& cidr : z.cidrs) {
    const std::string net = cidr.substr(0, cidr.find('/'));
    if (net.find(':') != std::string::npos) continue;
    return net.substr(0, net.rfind('.') + 1) + "5";
  }
  return "";
}

TEST_F(GatewayDecisions, EveryZonePairIsEnforcedAsThePolicyDecides) {
  struct Source {
    std::string zone, address, sender;
  };
  std::vector<Source> sources;
  std::vector<std::pair<std::string, std::string>> destinations;  // zone, recipient
  for (const auto& z : policy_->zones) {
    const std::string sender = z.mail_domains.empty() ? "someone@example.org" : "staff@" + z.mail_domains.front();
    if (!address_in(z).empty()) sources.push_back({z.id, address_in(z), sender});
    if (!z.mail_domains.empty()) destinations.emplace_back(z.id, "user@" + z.mail_domains.front());
  }
  sources.push_back({"internet", "203.0.113.7", "someone@example.org"});  // an address in no zone
  sources.push_back({"internet", "", "someone@example.org"});             // no address at all
  destinations.emplace_back("internet", "someone@example.net");
  ASSERT_GE(sources.size(), 5u);
  ASSERT_GE(destinations.size(), 3u);

  std::set<std::string> seen_actions;
  for (const auto& src : sources) {
    for (const auto& [listed_to, rcpt] : destinations) {
      // Internet mail Postfix took for a domain in no zone is the city's (review31 C1): LGWAN's.
      const std::string to = src.zone == "internet" && listed_to == "internet" ? "lgwan" : listed_to;
      SCOPED_TRACE(src.zone + " (" + src.address + ") → " + to);
      const bool leaves_city = src.zone != "internet" && to == "internet";
      auto d = compiled_->decide(policy::RequestNames{src.zone, to, "mail", leaves_city ? "1" : "", "", ""});
      ASSERT_TRUE(d);
      const GatewayVerdict v = run(src.address, src.sender, rcpt);
      EXPECT_EQ(v.rule, d->rule_id());
      EXPECT_EQ(v.clause, d->clause());
      EXPECT_EQ(v.direction, src.zone + "→" + to);
      seen_actions.insert(std::string(policy::to_string(d->action)));
      switch (d->action) {
        case policy::Action::kDeny:
          EXPECT_EQ(v.action, GatewayVerdict::Action::kReject);
          EXPECT_EQ(v.reply.substr(0, 5), "5.7.1");
          break;
        case policy::Action::kApprove:
          EXPECT_EQ(v.action, GatewayVerdict::Action::kHold);
          EXPECT_FALSE(v.quarantine_id.empty());
          break;
        case policy::Action::kSanitize:
          // Toward the internet "sanitize" is the outbound inspection; anywhere else, 無害化.
          EXPECT_EQ(v.action, leaves_city ? GatewayVerdict::Action::kAccept : GatewayVerdict::Action::kReplace);
          if (!leaves_city) EXPECT_NE(v.message.find("X-Sanso-Sanitized"), std::string::npos);
          break;
        case policy::Action::kAllow:
          EXPECT_EQ(v.action, GatewayVerdict::Action::kAccept);
          break;
      }
    }
  }
  // The example policy exercises allow, sanitize and deny among these pairs.
  EXPECT_TRUE(seen_actions.count("allow") && seen_actions.count("sanitize") && seen_actions.count("deny"));
  // Fixed points of the example city, whatever the table above derives.
  EXPECT_EQ(run("203.0.113.7", "a@example.net", "kikaku@city.minamata.lg.jp").action, GatewayVerdict::Action::kReplace);
  EXPECT_EQ(run("10.20.1.9", "tanaka@city.minamata.lg.jp", "kikaku@city.minamata.lg.jp").action, GatewayVerdict::Action::kAccept);
  EXPECT_EQ(run("10.20.1.9", "tanaka@city.minamata.lg.jp", "x@mynumber.city.minamata.lg.jp").action, GatewayVerdict::Action::kReject);
  EXPECT_EQ(run("10.10.1.9", "staff@mynumber.city.minamata.lg.jp", "kikaku@city.minamata.lg.jp").action, GatewayVerdict::Action::kReject);
}

TEST_F(GatewayDecisions, ApprovalRulesHoldTheMessageForTheNamedRole) {
  // 【機密性2】 leaving LGWAN: the city's rule asks the security manager's approval.
  const std::string marked = "From: tanaka@city.minamata.lg.jp\r\nSubject: =?UTF-8?B?44CQ5qmf5a+G5oCnMuOAkeS6iOeul+ahiA==?=\r\n\r\nbudget\r\n";
  const GatewayVerdict v = run("10.20.3.4", "tanaka@city.minamata.lg.jp", "partner@example.com", marked);
  EXPECT_EQ(v.action, GatewayVerdict::Action::kHold);
  EXPECT_EQ(v.rule, "city.lgwan-inet-mail-confidential");
  bool named = false;
  for (const auto& [k, val] : v.details) named = named || (k == "approver_role" && val == "security_manager");
  EXPECT_TRUE(named);
  auto item = quarantine_->get(v.quarantine_id);
  ASSERT_TRUE(item) << item.error().to_string();
  EXPECT_EQ(item->state, quarantine::ItemState::kHeld);
  EXPECT_EQ(item->classification, "機密性2");
  EXPECT_EQ(item->approver_role, "security_manager");
  // Only the role the rule names decides it, not every approver role of sanso.toml.
  ASSERT_TRUE(quarantine_->request_release(v.quarantine_id, quarantine::Actor{"tanaka", {"staff"}, "test"}, "needed"));
  auto other_role = quarantine_->approve(v.quarantine_id, quarantine::Actor{"sato", {"general_security_officer"}, "test"}, "ok");
  ASSERT_FALSE(other_role);
  EXPECT_EQ(other_role.error().code, "quarantine.forbidden");
  EXPECT_TRUE(quarantine_->approve(v.quarantine_id, quarantine::Actor{"suzuki", {"security_manager"}, "test"}, "ok"));
}

// Each message decided leaves one "mail.decision" line in the log beside its audit record
// (docs/logging.md), read back here as a syslog server takes it: queue id, verdict, rule, clause,
// duration, and nothing of the message itself.
TEST_F(GatewayDecisions, EveryDecisionLeavesOneLogLineWithItsVerdictAndRule) {
  open_gateway(GatewaySettings{}, sandbox::Launch::pool(1));  // before the sink starts the log's shipper thread
  sanso::testing::UdpLogSink sink;
  const std::string marked = "From: tanaka@city.minamata.lg.jp\r\nSubject: =?UTF-8?B?44CQ5qmf5a+G5oCnMuOAkeS6iOeul+ahiA==?=\r\n\r\nbudget\r\n";
  Envelope e;
  e.client_address = "10.20.3.4";
  e.sender = "tanaka@city.minamata.lg.jp";
  e.recipients = {"partner@example.com"};
  // Twelve digits after a letter that are not a valid 個人番号 (its check digit is wrong): an id, kept
  // as it is. (A valid one would be masked even there: the log masks whatever the check would find.)
  e.queue_id = "Q123456789017";
  const GatewayVerdict v = gateway_->process(e, marked);
  ASSERT_EQ(v.action, GatewayVerdict::Action::kHold);
  const std::string line = sink.line("mail.decision", "Q123456789017");
  ASSERT_FALSE(line.empty()) << "no decision line arrived";
  EXPECT_NE(line.find("queue_id=\"Q123456789017\""), std::string::npos) << "Postfix's id, letters and digits, as it is: " << line;
  EXPECT_NE(line.find("verdict=\"held\""), std::string::npos) << line;
  EXPECT_NE(line.find("rule=\"city.lgwan-inet-mail-confidential\""), std::string::npos) << line;
  EXPECT_NE(line.find("clause=\"" + v.clause + "\""), std::string::npos) << line;
  EXPECT_NE(line.find("duration_s=\""), std::string::npos) << line;
  EXPECT_EQ(line.find("budget"), std::string::npos) << "nothing of the message itself";
  // The line names the audit entry that records the same decision, so a SIEM can ask for its proof.
  const std::int64_t held_at = count("SELECT idx FROM audit_entries WHERE action = 'mail.gateway' AND record LIKE '%Q123456789017%'");
  ASSERT_GT(held_at, 0);
  EXPECT_EQ(v.audit_index, static_cast<std::uint64_t>(held_at));
  EXPECT_NE(line.find("seq=\"" + std::to_string(held_at) + "\""), std::string::npos) << line;
  // A refusal is recorded by the gateway itself, not through a quarantine put: its line names its entry too.
  e.queue_id = "QREFUSED0001";
  e.recipients = {"nobody@[10.0.0.1]"};
  const GatewayVerdict refused = gateway_->process(e, marked);
  ASSERT_EQ(refused.action, GatewayVerdict::Action::kReject) << refused.reply;
  const std::int64_t refused_at = count("SELECT idx FROM audit_entries WHERE action = 'mail.gateway' AND record LIKE '%QREFUSED0001%'");
  ASSERT_GT(refused_at, held_at);
  const std::string refused_line = sink.line("mail.decision", "QREFUSED0001");
  EXPECT_NE(refused_line.find("seq=\"" + std::to_string(refused_at) + "\""), std::string::npos) << refused_line;
}

TEST_F(GatewayDecisions, RecipientsPostfixWouldRerouteAreRefused) {
  // allow_percent_hack / swap_bangpath turn these into internet mail after the milter saw an
  // LGWAN recipient (lgwan → lgwan: no inspection at all); a literal may be delivered locally.
  for (const std::string rcpt : {"x%evil.example@city.minamata.lg.jp", "evil.example!x@city.minamata.lg.jp", "\"x@evil.example\"@city.minamata.lg.jp",
                                 "root@[10.20.0.1]"}) {
    SCOPED_TRACE(rcpt);
    const GatewayVerdict v = run("10.20.1.9", "tanaka@city.minamata.lg.jp", rcpt, "Subject: list\r\n\r\n番号 1234 5678 9018\r\n");
    EXPECT_EQ(v.action, GatewayVerdict::Action::kReject);
    EXPECT_EQ(v.rule, "gateway.recipient-routing");
  }
  EXPECT_EQ(run("10.20.1.9", "tanaka@city.minamata.lg.jp", "kikaku@city.minamata.lg.jp").action, GatewayVerdict::Action::kAccept);
}

TEST_F(GatewayDecisions, AHeldMessageForRecipientsThatAlsoNeedSanitizingIsRefused) {
  // The DMZ's mail: sanitized into LGWAN, approved out to the internet. To both at once, a release
  // of the held original would hand the LGWAN recipient what it may only get sanitized.
  use_policy("[[rules]]\nid = \"city.dmz-lgwan-mail\"\nfrom = \"dmz\"\nto = \"lgwan\"\nchannels = [\"mail\"]\naction = \"sanitize\"\nclause = \"6(3)②\"\n"
             "reason = \"DMZ mail is sanitized\"\n"
             "[[rules]]\nid = \"city.dmz-inet-mail\"\nfrom = \"dmz\"\nto = \"internet\"\nchannels = [\"mail\"]\naction = \"approve\"\napprover = \"system_admin\"\n"
             "clause = \"6(3)②\"\nreason = \"DMZ mail out needs approval\"\n");
  EXPECT_EQ(run("192.0.2.5", "web@example.org", "kikaku@city.minamata.lg.jp").action, GatewayVerdict::Action::kReplace);
  EXPECT_EQ(run("192.0.2.5", "web@example.org", "partner@example.com").action, GatewayVerdict::Action::kHold);
  Envelope both;
  both.client_address = "192.0.2.5";
  both.sender = "web@example.org";
  both.recipients = {"kikaku@city.minamata.lg.jp", "partner@example.com"};
  const GatewayVerdict mixed = gateway_->process(both, kPlain);
  EXPECT_EQ(mixed.action, GatewayVerdict::Action::kReject);
  EXPECT_EQ(mixed.outcome, "refused");
  EXPECT_EQ(mixed.rule, "city.dmz-inet-mail");
  Envelope e;
  e.client_address = "10.20.1.9";
  e.sender = "tanaka@city.minamata.lg.jp";
  e.recipients = {"x@mynumber.city.minamata.lg.jp", "partner@example.com"};
  EXPECT_EQ(gateway_->process(e, "Subject: a\r\n\r\nb\r\n").action, GatewayVerdict::Action::kReject) << "a deny anywhere refuses all";
}

TEST_F(GatewayDecisions, TheSourceZoneComesFromTheNetworkNotTheEnvelopeSender) {
  const std::string html_exe = "From: boss@city.minamata.lg.jp\r\nSubject: pay\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                               "--b\r\nContent-Type: text/html\r\n\r\n<b>pay now</b>\r\n--b\r\nContent-Type: application/octet-stream\r\n"
                               "Content-Disposition: attachment; filename=pay.exe\r\n\r\nMZ\r\n--b--\r\n";
  // Once delivered unchanged as LGWAN → LGWAN mail.
  GatewayVerdict forged = run("203.0.113.7", "boss@city.minamata.lg.jp", "kaikei@city.minamata.lg.jp", html_exe);
  EXPECT_EQ(forged.action, GatewayVerdict::Action::kReject);
  EXPECT_EQ(forged.outcome, "refused");
  EXPECT_EQ(forged.rule, "gateway.forged-city-sender");
  EXPECT_EQ(forged.clause, "6(3)②");
  EXPECT_EQ(forged.reply.substr(0, 5), "5.7.1");
  EXPECT_NE(forged.reply.find("6(3)(2)"), std::string::npos) << forged.reply;
  // IPv4-mapped IPv6 is the same address, and an upper-case domain the same domain.
  EXPECT_EQ(run("::ffff:203.0.113.7", "boss@CITY.Minamata.LG.JP", "kaikei@city.minamata.lg.jp", html_exe).outcome, "refused");
  // No address (a local submission) is no trust either.
  EXPECT_EQ(run("", "boss@city.minamata.lg.jp", "kaikei@city.minamata.lg.jp", html_exe).outcome, "refused");
  // A city zone posing as another: an LGWAN host claiming the mynumber domain.
  EXPECT_EQ(run("10.20.0.8", "x@mynumber.city.minamata.lg.jp", "kaikei@city.minamata.lg.jp").outcome, "refused");
  // The same message from an LGWAN address, or over IPv4-mapped IPv6 from one, is internal mail.
  EXPECT_EQ(run("10.20.0.8", "boss@city.minamata.lg.jp", "kaikei@city.minamata.lg.jp", html_exe).action, GatewayVerdict::Action::kAccept);
  EXPECT_EQ(run("::ffff:10.20.0.8", "boss@city.minamata.lg.jp", "kaikei@city.minamata.lg.jp", html_exe).action, GatewayVerdict::Action::kAccept);
  // Refusals are recorded with the network fact they rest on.
  auto rows = quarantine_.database().query("SELECT record FROM audit_entries ORDER BY idx");
  ASSERT_TRUE(rows) << rows.error().to_string();
  int refused = 0;
  for (const auto& r : *rows) {
    const std::string rec = r.text(0);
    if (rec.find("\"outcome\":\"refused\"") == std::string::npos) continue;
    ++refused;
    EXPECT_NE(rec.find("client address"), std::string::npos) << rec;
  }
  EXPECT_EQ(refused, 4);
}

// Issue #22: internet mail carries what the network said about it, in Sanso's own
// Authentication-Results, and a display name borrowing a name of the city's policy is warned about
// in the banner and recorded in the audit record.
TEST_F(GatewayDecisions, InternetMailCarriesItsNetworkFactsAndBorrowedNamesAreRecorded) {
  // "情報政策係 <attacker@example.net>", 情報政策係 being a section of the example policy's systems.
  const std::string raw = "From: =?UTF-8?B?5oOF5aCx5pS/562W5L+C?= <attacker@example.net>\r\nSubject: x\r\n"
                          "Authentication-Results: city.minamata.lg.jp; dkim=pass header.d=city.minamata.lg.jp\r\n\r\nhello\r\n";
  const GatewayVerdict v = run("203.0.113.7", "bounce@mailer.example.org", "kikaku@city.minamata.lg.jp", raw);
  ASSERT_EQ(v.action, GatewayVerdict::Action::kReplace);
  std::string head = v.message.substr(0, v.message.find("\r\n\r\n"));
  for (std::size_t at; (at = head.find("\r\n ")) != std::string::npos;) head.erase(at, 2);  // unfolded
  EXPECT_EQ(head.rfind("Authentication-Results: ", 0), 0u) << head;
  EXPECT_EQ(head.find("Authentication-Results", 1), std::string::npos) << "the sender's is gone: " << head;
  EXPECT_EQ(head.find("dkim=pass"), std::string::npos) << head;
  EXPECT_NE(head.find("source zone internet"), std::string::npos) << head;
  EXPECT_NE(head.find("client address 203.0.113.7"), std::string::npos) << head;
  EXPECT_NE(head.find("<bounce@mailer.example.org>"), std::string::npos) << head;
  const auto warning = std::find_if(v.details.begin(), v.details.end(), [](const auto& d) { return d.first == "sender_warning"; });
  ASSERT_NE(warning, v.details.end());
  EXPECT_EQ(warning->second.rfind("city-name: 情報政策係 <attacker@example.net>", 0), 0u) << warning->second;
  auto rows = quarantine_.database().query("SELECT record FROM audit_entries ORDER BY idx");
  ASSERT_TRUE(rows) << rows.error().to_string();
  EXPECT_TRUE(std::any_of(rows->begin(), rows->end(), [](const auto& r) { return r.text(0).find("sender_warning") != std::string::npos; }));
}

TEST_F(GatewayDecisions, TheSenderHistoryKeepsTheInjectedClocksTime) {
  // Whether a sender is new decides how strictly its attachments are treated: its times come from
  // the service's clock, as every other time does, so they can be tested and replayed.
  const FixedClock clock(Date{2031, 3, 14});
  GatewaySettings s;
  s.clock = &clock;
  open_gateway(s);
  ASSERT_EQ(run("203.0.113.7", "vendor@example.net", "kikaku@city.minamata.lg.jp").action, GatewayVerdict::Action::kReplace);
  const std::int64_t expected = std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
  EXPECT_EQ(count("SELECT first_seen FROM mail_senders WHERE address = 'vendor@example.net'"), expected);
  EXPECT_EQ(count("SELECT last_seen FROM mail_senders WHERE address = 'vendor@example.net'"), expected);
}

TEST_F(GatewayDecisions, AForgedCitySenderCanBeHandledAsInternetMailInstead) {
  GatewaySettings s;
  s.outside_city_sender = OutsideCitySender::kInternet;
  open_gateway(s);
  const GatewayVerdict v = run("203.0.113.7", "boss@city.minamata.lg.jp", "kaikei@city.minamata.lg.jp");
  EXPECT_EQ(v.action, GatewayVerdict::Action::kReplace) << "sanitized as the internet mail it is";
  EXPECT_EQ(v.direction, "internet→lgwan");
  bool claimed = false;
  for (const auto& [k, val] : v.details) claimed = claimed || (k == "claimed_sender_zone" && val == "lgwan");
  EXPECT_TRUE(claimed);
}

TEST_F(GatewayDecisions, AMappedListenerGivesTheZoneAndAContradictingAddressIsRefused) {
  GatewaySettings s;
  s.listener_zones = {{"lgwan", "lgwan"}};
  open_gateway(s);
  // A relay whose address is in no zone, on the LGWAN listener (names compare case-insensitively).
  EXPECT_EQ(run("127.0.0.1", "tanaka@city.minamata.lg.jp", "kikaku@city.minamata.lg.jp", kPlain, "LGWAN").action, GatewayVerdict::Action::kAccept);
  // The same sender on another listener is an internet client claiming a city domain.
  EXPECT_EQ(run("127.0.0.1", "tanaka@city.minamata.lg.jp", "kikaku@city.minamata.lg.jp", kPlain, "internet-in").outcome, "refused");
  // An address of the internet zone's segment reaching the LGWAN listener: the facts disagree.
  const GatewayVerdict odd = run("10.30.2.2", "tanaka@city.minamata.lg.jp", "kikaku@city.minamata.lg.jp", kPlain, "LGWAN");
  EXPECT_EQ(odd.outcome, "refused");
  EXPECT_EQ(odd.rule, "gateway.source-zone");
}

TEST_F(GatewayDecisions, AHoldWhoseAuditWriteFailsLeavesNothingAndTheRetryHoldsAndNotifiesOnce) {
  if (!fs::exists("/usr/sbin/smtp-sink")) GTEST_SKIP() << "Postfix's smtp-sink is not installed (scripts/install-deps.sh installs it)";
  sanso::testing::SmtpSink sink(store_dir_->dir() / "sink");
  open_gateway_telling_senders(sink);
  auto& db = quarantine_.database();
  // The audit log's table refuses writes while the flag is set: a failing disk or database.
  sanso::testing::make_audit_writes_fail(db);
  const std::string marked = "From: tanaka@city.minamata.lg.jp\r\nSubject: =?UTF-8?B?44CQ5qmf5a+G5oCnMuOAkeS6iOeul+ahiA==?=\r\n\r\nbudget\r\n";
  const GatewayVerdict first = run("10.20.3.4", "tanaka@city.minamata.lg.jp", "partner@example.com", marked);
  EXPECT_EQ(first.action, GatewayVerdict::Action::kTempfail) << "Postfix keeps the message and retries";
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 0) << "no item without its audit record";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(sink.messages(0).empty()) << "no notice for a hold that did not happen";

  ASSERT_TRUE(db.execute_script("DELETE FROM fail_audit"));
  const GatewayVerdict retry = run("10.20.3.4", "tanaka@city.minamata.lg.jp", "partner@example.com", marked);
  EXPECT_EQ(retry.action, GatewayVerdict::Action::kHold);
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 1);
  std::vector<std::string> notices;
  for (int i = 0; i < 50 && notices.empty(); ++i) {
    notices = sink.messages(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(notices.size(), 1u) << "one notice, after the retry";
  EXPECT_NE(notices[0].find("X-Sanso-Held: " + retry.quarantine_id), std::string::npos);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'mail.gateway'"), 1) << "one decision: the failed one left no trace";
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'mail.notice'"), 1);
  // A city client can name any envelope sender: a notice (with the subject and recipients) goes
  // only to an address of the client's own zone, never out of the city without an approval.
  const std::string numbered = "From: x@evil.example\r\nSubject: 1234 5678 9018\r\n\r\nlist\r\n";
  const GatewayVerdict outside = run("10.20.3.4", "drop@evil.example", "partner@example.com", numbered);
  EXPECT_EQ(outside.action, GatewayVerdict::Action::kHold);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(sink.messages(0).size(), 1u) << "no notice to an address outside the sender's zone";
  // And a subject carrying a 個人番号 is not repeated in the notice.
  const GatewayVerdict own = run("10.20.3.4", "tanaka@city.minamata.lg.jp", "partner@example.com", numbered);
  EXPECT_EQ(own.action, GatewayVerdict::Action::kHold);
  std::vector<std::string> all;
  for (int i = 0; i < 50 && all.size() < 2; ++i) {
    all = sink.messages(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(all.size(), 2u);
  for (const auto& m : all) EXPECT_EQ(m.find("9018"), std::string::npos) << "the notice repeats the number";
}

// The detail of a verdict, or "" when it has none.
std::string detail_of(const GatewayVerdict& v, const std::string& key) {
  for (const auto& [k, val] : v.details) {
    if (k == key) return val;
  }
  return "";
}

TEST_F(GatewayDecisions, InboundMailIsSanitizedAndItsOriginalKeptWithTheDecision) {
  const std::string raw = "From: vendor@example.net\r\nSubject: quote\r\nMessage-ID: <q1@example.net>\r\nMIME-Version: 1.0\r\n"
                          "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>see <a href=\"http://x.example\">here</a></p>\r\n"
                          "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=run.exe\r\n\r\nMZ\r\n--b--\r\n";
  const GatewayVerdict v = run("203.0.113.7", "vendor@example.net", "kikaku@city.minamata.lg.jp", raw);
  ASSERT_EQ(v.action, GatewayVerdict::Action::kReplace) << v.reply;
  EXPECT_EQ(v.direction, "internet→lgwan");
  EXPECT_TRUE(v.audited) << "recorded with the original, in one transaction";
  EXPECT_NE(v.message.find(v.quarantine_id), std::string::npos) << "the rebuilt mail names where its original is";
  EXPECT_EQ(detail_of(v, "sender_risk"), "first-time-sender");
  auto item = quarantine_->get(v.quarantine_id);
  ASSERT_TRUE(item) << item.error().to_string();
  EXPECT_EQ(item->origin.envelope_from, "vendor@example.net");
  EXPECT_EQ(item->sha256, sha256_hex(raw)) << "the original as it came";
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'mail.gateway' AND record LIKE '%" + v.quarantine_id + "%'"), 1);
  EXPECT_EQ(count("SELECT messages FROM mail_senders WHERE address = 'vendor@example.net'"), 1);
  // The next message from the same sender is no longer a first-time sender's.
  EXPECT_EQ(detail_of(run("203.0.113.7", "vendor@example.net", "kikaku@city.minamata.lg.jp", raw), "sender_risk"), "none");
}

TEST_F(GatewayDecisions, OutgoingMailWithAnIndividualNumberIsHeldAndTheNumberMasked) {
  const std::string raw = "From: tanaka@city.minamata.lg.jp\r\nSubject: list\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
                          "山田様の個人番号は 1234 5678 9018 です。\r\n";
  const GatewayVerdict v = run("10.20.3.4", "tanaka@city.minamata.lg.jp", "partner@example.com", raw);
  ASSERT_EQ(v.action, GatewayVerdict::Action::kHold) << v.reply;
  EXPECT_EQ(v.reply.substr(0, 5), "5.7.1");
  EXPECT_NE(v.reply.find(v.quarantine_id), std::string::npos);
  const std::string reason = detail_of(v, "reason");
  EXPECT_NE(reason.find("個人番号"), std::string::npos) << reason;
  EXPECT_EQ(reason.find("1234 5678 9018"), std::string::npos) << "the number itself is not repeated: " << reason;
  EXPECT_EQ(detail_of(v, "approver_role"), "security_manager") << "a 個人番号 goes to the approver of the highest level that may leave, not to anyone";
  auto item = quarantine_->get(v.quarantine_id);
  ASSERT_TRUE(item) << item.error().to_string();
  EXPECT_EQ(item->verdict, quarantine::Verdict::kHeld);
  EXPECT_EQ(item->state, quarantine::ItemState::kHeld);
  EXPECT_EQ(item->reason.find("1234 5678 9018"), std::string::npos) << item->reason;
  // With [mail] identifier_action = "reject" it is refused instead, and nothing is kept.
  GatewaySettings s;
  s.identifier_action = IdentifierAction::kReject;
  open_gateway(s);
  const GatewayVerdict rejected = run("10.20.3.4", "tanaka@city.minamata.lg.jp", "partner@example.com", raw + "again\r\n");
  EXPECT_EQ(rejected.action, GatewayVerdict::Action::kReject);
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 1);
}

// Issue #17: the check reads every part of an outgoing mail, through the real sandboxed scanner: a
// number only in the HTML alternative, or only in an inline part, holds the mail like one in the body.
TEST_F(GatewayDecisions, OutgoingMailWithANumberOnlyInItsHtmlAlternativeOrAnInlinePartIsHeld) {
  const std::string head = "From: tanaka@city.minamata.lg.jp\r\nSubject: list\r\nMIME-Version: 1.0\r\n";
  const std::string html = head + "Content-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nご確認ください\r\n"
                           "--a\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<p>ご確認ください<span style=\"display:none\">1234 5678 9018</span></p>\r\n--a--\r\n";
  const GatewayVerdict by_html = run("10.20.3.4", "tanaka@city.minamata.lg.jp", "partner@example.com", html);
  ASSERT_EQ(by_html.action, GatewayVerdict::Action::kHold) << by_html.reply;
  EXPECT_NE(detail_of(by_html, "reason").find("個人番号"), std::string::npos) << detail_of(by_html, "reason");
  EXPECT_NE(detail_of(by_html, "reason").find("本文(HTML)"), std::string::npos) << detail_of(by_html, "reason");
  const std::string inline_part = head + "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n資料です\r\n"
                                  "--m\r\nContent-Type: text/csv; charset=UTF-8\r\nContent-Disposition: inline\r\n\r\n山田,123456789018\r\n--m--\r\n";
  const GatewayVerdict by_inline = run("10.20.3.4", "tanaka@city.minamata.lg.jp", "partner@example.com", inline_part);
  ASSERT_EQ(by_inline.action, GatewayVerdict::Action::kHold) << by_inline.reply;
  EXPECT_NE(detail_of(by_inline, "reason").find("部分2(text/csv)"), std::string::npos) << detail_of(by_inline, "reason");
}

// The gateway reads a PDF attachment's text too (pdftotext in the converter sandbox): a mark in it
// decides the rule like one in the subject, a number in it holds the message, and a PDF it cannot
// read makes the message unreadable, taken at the highest level (refused), never sent on unread.
TEST_F(GatewayDecisions, OutgoingMailIsJudgedByTheTextOfItsPdfAttachments) {
  auto with_pdf = [](const std::string& name, const std::string& pdf) {
    return "From: tanaka@city.minamata.lg.jp\r\nSubject: minutes\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                      "--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n資料です\r\n--b\r\nContent-Type: application/pdf\r\n"
                      "Content-Disposition: attachment; filename=\"" + name + "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + mime::encode_base64_lines(pdf) + "--b--\r\n";
  };
  const GatewayVerdict marked = run("10.20.3.4", "tanaka@city.minamata.lg.jp", "partner@example.com",
                                    with_pdf("minutes.pdf", sanso::testing::japanese_pdf(u"自治体機密性３Ａ\n議事録")));
  EXPECT_EQ(marked.action, GatewayVerdict::Action::kReject) << marked.reply;
  EXPECT_EQ(detail_of(marked, "classification"), "3A");
  EXPECT_EQ(detail_of(marked, "classification_in"), "minutes.pdf");
  const GatewayVerdict numbered = run("10.20.3.4", "tanaka@city.minamata.lg.jp", "partner@example.com",
                                      with_pdf("list.pdf", sanso::testing::japanese_pdf(u"山田 123456789018")));
  ASSERT_EQ(numbered.action, GatewayVerdict::Action::kHold) << numbered.reply;
  EXPECT_NE(detail_of(numbered, "reason").find("個人番号"), std::string::npos) << detail_of(numbered, "reason");
  const GatewayVerdict unread = run("10.20.3.4", "tanaka@city.minamata.lg.jp", "partner@example.com", with_pdf("broken.pdf", "%PDF-1.4\n1 0 obj <<\n"));
  ASSERT_EQ(unread.action, GatewayVerdict::Action::kHold) << unread.reply;
  EXPECT_NE(detail_of(unread, "reason").find("本文を確認できない添付ファイル"), std::string::npos) << detail_of(unread, "reason");
  EXPECT_NE(detail_of(unread, "reason").find("broken.pdf"), std::string::npos) << detail_of(unread, "reason");
}

// Zipping a file does not take its 個人番号 out, and an attachment whose text cannot be read (a
// picture, an encrypted zip) is held for the approver the policy names — the first approve rule at
// the message's level or above (【機密性2】's security manager here) — or refused where the policy
// refuses the message's level.
TEST_F(GatewayDecisions, OutgoingAttachmentsAreReadInsideArchivesAndUnreadableOnesAreHeldForTheApprover) {
  auto with_file = [](const std::string& subject, const std::string& name, const std::string& bytes) {
    return "From: tanaka@city.minamata.lg.jp\r\nSubject: " + subject + "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
           "--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n資料です\r\n--b\r\nContent-Type: application/octet-stream\r\n"
           "Content-Disposition: attachment; filename=\"" + name + "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + mime::encode_base64_lines(bytes) + "--b--\r\n";
  };
  const std::string zip = sanso::testing::zip_of({{"list.csv", "山田,123456789018\r\n"}});
  const GatewayVerdict zipped = run("10.20.3.4", "tanaka@city.minamata.lg.jp", "partner@example.com", with_file("list", "a.zip", zip));
  ASSERT_EQ(zipped.action, GatewayVerdict::Action::kHold) << zipped.reply;
  EXPECT_NE(detail_of(zipped, "reason").find("a.zip/list.csv"), std::string::npos) << detail_of(zipped, "reason");
  const std::string png = std::string("\x89PNG\r\n\x1A\n") + std::string(64, '\0');
  const GatewayVerdict image = run("10.20.3.4", "tanaka@city.minamata.lg.jp", "partner@example.com", with_file("photo", "photo.png", png));
  ASSERT_EQ(image.action, GatewayVerdict::Action::kHold) << image.reply;
  const std::string reason = detail_of(image, "reason");
  EXPECT_EQ(reason.rfind("本文を確認できない添付ファイル", 0), 0u) << reason;
  EXPECT_NE(reason.find("photo.png"), std::string::npos) << reason;
  EXPECT_EQ(detail_of(image, "approver_role"), "security_manager");
  auto item = quarantine_->get(image.quarantine_id);
  ASSERT_TRUE(item) << item.error().to_string();
  EXPECT_EQ(item->approver_role, "security_manager");
  const GatewayVerdict ppap = run("10.20.3.4", "tanaka@city.minamata.lg.jp", "partner@example.com",
                                  with_file("pw", "ppap.zip", sanso::testing::zip_of({{"a.csv", "x"}}, ZIP_EM_AES_256, "pw")));
  EXPECT_EQ(ppap.action, GatewayVerdict::Action::kHold) << ppap.reply;
  // Marked above what may leave: refused, unreadable file or not.
  const GatewayVerdict refused = run("10.20.3.4", "tanaka@city.minamata.lg.jp", "partner@example.com",
                                     with_file("=?UTF-8?B?44CQ5qmf5a+G5oCnM0HjgJE=?=" /* 【機密性3A】 */, "photo.png", png + "x"));
  EXPECT_EQ(refused.action, GatewayVerdict::Action::kReject) << refused.reply;
}

// Issue #17: a 個人番号 in an attachment's name, an archive member's path or the subject reaches
// neither the audit log, the quarantine's listing, the hold reason nor the sender's notice whole:
// each carries it masked. The original in quarantine is kept as it was sent.
TEST_F(GatewayDecisions, NumbersInNamesAreMaskedInTheRecordTheHoldAndTheNotice) {
  if (!fs::exists("/usr/sbin/smtp-sink")) GTEST_SKIP() << "Postfix's smtp-sink is not installed (scripts/install-deps.sh installs it)";
  sanso::testing::SmtpSink sink(store_dir_->dir() / "sink");
  open_gateway_telling_senders(sink);
  const std::string png = std::string("\x89PNG\r\n\x1A\n") + std::string(64, '\0');
  const std::string zip = sanso::testing::zip_of({{"123456789018.csv", "山田,1234-5678-9018\r\n"}, {"写真_123456789018.png", png}});
  const std::string raw = "From: tanaka@city.minamata.lg.jp\r\nSubject: 7000012050002 送付\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                          "--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n資料です\r\n--b\r\nContent-Type: application/octet-stream\r\n"
                          "Content-Disposition: attachment; filename=\"山田_123456789018.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
                          mime::encode_base64_lines(zip) + "--b--\r\n";
  const GatewayVerdict v = run("10.20.3.4", "tanaka@city.minamata.lg.jp", "partner@example.com", raw);
  ASSERT_EQ(v.action, GatewayVerdict::Action::kHold) << v.reply;
  const std::string reason = detail_of(v, "reason");
  EXPECT_NE(reason.find("山田_********9018.zip/********9018.csv"), std::string::npos) << reason;
  EXPECT_NE(reason.find("山田_********9018.zip/写真_********9018.png"), std::string::npos) << "the file that could not be read: " << reason;
  // Neither number, in any record of the log or any column of the quarantine's listing.
  for (const char* digits : {"12345678", "70000120"}) {
    const std::string like = std::string("'%") + digits + "%'";
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE record LIKE " + like), 0) << digits;
    EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items WHERE subject LIKE " + like + " OR reason LIKE " + like + " OR file_name LIKE " + like), 0)
        << digits;
  }
  EXPECT_GE(count("SELECT COUNT(*) FROM audit_entries WHERE record LIKE '%********9018.zip/********9018.csv%'"), 1) << "recorded, masked";
  auto item = quarantine_->get(v.quarantine_id);
  ASSERT_TRUE(item) << item.error().to_string();
  EXPECT_EQ(item->origin.subject, "*********0002 送付");
  std::vector<std::string> notices;
  for (int i = 0; i < 50 && notices.empty(); ++i) {
    notices = sink.messages(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(notices.size(), 1u);
  const std::string text = sanso::testing::notice_text(notices[0]);
  EXPECT_NE(text.find("山田_********9018.zip/********9018.csv"), std::string::npos) << text;
  EXPECT_EQ(text.find("12345678"), std::string::npos) << text;
  EXPECT_EQ(text.find("70000120"), std::string::npos) << text;
  EXPECT_EQ(notices[0].find("12345678"), std::string::npos);
}

// Issue #17: the envelope is anyone's text too. A number in the envelope sender or a recipient's
// local part reaches no audit record whole; Postfix's queue id, the quarantine's ids and the
// digests keep their value.
TEST_F(GatewayDecisions, NumbersInTheEnvelopeAreMaskedInEveryRecord) {
  const GatewayVerdict v = gateway_->process(from_city_pc("7000012050002@city.minamata.lg.jp", {"123456789018@example.com"}), kPlain);
  EXPECT_GT(v.audit_index, 0u) << v.reply;
  EXPECT_GE(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'mail.gateway' AND record LIKE '%********9018@example.com%'"), 1);
  EXPECT_GE(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'mail.gateway' AND record LIKE '%*********0002@city.minamata.lg.jp%'"), 1);
  for (const char* digits : {"12345678", "70000120"}) {
    EXPECT_EQ(count(std::string("SELECT COUNT(*) FROM audit_entries WHERE record LIKE '%") + digits + "%'"), 0) << digits;
  }
}

// Issue #17 (2): a 個人番号 in a recipient's local part (a Bcc recipient is in no header) leaves
// unseen unless the envelope is read: it holds the mail like a number in the body.
TEST_F(GatewayDecisions, ANumberInABccRecipientHoldsTheMail) {
  const GatewayVerdict v = gateway_->process(from_city_pc("tanaka@city.minamata.lg.jp", {"partner@example.com", "1234-5678-9018@example.com"}), kPlain);
  ASSERT_EQ(v.action, GatewayVerdict::Action::kHold) << v.reply;
  EXPECT_NE(detail_of(v, "identifiers").find("********9018 (エンベロープ宛先)"), std::string::npos) << detail_of(v, "identifiers");
  EXPECT_EQ(gateway_->process(from_city_pc("tanaka@city.minamata.lg.jp", {"partner@example.com"}), kPlain).action, GatewayVerdict::Action::kAccept) << "the same mail without it passes";
}

// A 個人番号 beside a file that cannot be read: the numbers are judged first, so the refusal that
// `identifier_action = "reject"` asks for is not turned into an approvable hold by adding a picture;
// held, the reason names both. And whoever approves an unreadable file is the approver of the
// highest level it might hold (the security manager's 【機密性2】), not the rule of the mail's own
// lower level (a level-1 rule naming the system administrator here).
TEST_F(GatewayDecisions, ANumberBesideAnUnreadableFileIsStillRefusedAndTheUnreadableFileGoesToTheHighestApprover) {
  auto with_png = [](const std::string& subject, const std::string& body) {
    const std::string png = std::string("\x89PNG\r\n\x1A\n") + std::string(64, '\0');
    return "From: tanaka@city.minamata.lg.jp\r\nSubject: " + subject + "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
           "--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" + body + "\r\n--b\r\nContent-Type: image/png\r\n"
           "Content-Disposition: attachment; filename=\"photo.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + mime::encode_base64_lines(png) + "--b--\r\n";
  };
  const std::string numbered = with_png("list", "山田様の個人番号は 1234 5678 9018 です。");
  const GatewayVerdict held = run("10.20.3.4", "tanaka@city.minamata.lg.jp", "partner@example.com", numbered);
  ASSERT_EQ(held.action, GatewayVerdict::Action::kHold) << held.reply;
  EXPECT_NE(detail_of(held, "reason").find("個人番号"), std::string::npos) << detail_of(held, "reason");
  EXPECT_NE(detail_of(held, "reason").find("photo.png"), std::string::npos) << detail_of(held, "reason");
  EXPECT_EQ(detail_of(held, "approver_role"), "security_manager");
  GatewaySettings reject;
  reject.identifier_action = IdentifierAction::kReject;
  open_gateway(reject);
  const GatewayVerdict refused = run("10.20.3.4", "tanaka@city.minamata.lg.jp", "partner@example.com", numbered + "again\r\n");
  EXPECT_EQ(refused.action, GatewayVerdict::Action::kReject) << "an unreadable picture made the refusal a hold: " << refused.reply;
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 1) << "only the first (held) mail is kept";

  use_policy(R"([[rules]]
id = "test.lgwan-inet-mail-public"
from = "lgwan"
to = "internet"
channels = ["mail"]
max_confidentiality = "1"
action = "approve"
approver = "system_admin"
reason_ja = "公開情報のメール送信は管理者の承認"
reason_en = "Public information by mail needs the administrator's approval"
)");
  const std::string level1 = "=?UTF-8?B?44CQ5qmf5a+G5oCnMeOAkQ==?=" /* 【機密性1】 */;
  const GatewayVerdict readable = run("10.20.3.4", "tanaka@city.minamata.lg.jp", "partner@example.com",
                                      "From: tanaka@city.minamata.lg.jp\r\nSubject: " + level1 + "\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nお知らせ\r\n");
  ASSERT_EQ(readable.action, GatewayVerdict::Action::kHold) << readable.reply;
  EXPECT_EQ(detail_of(readable, "approver_role"), "system_admin") << "the level-1 rule applies to what could be read";
  const GatewayVerdict unreadable = run("10.20.3.4", "tanaka@city.minamata.lg.jp", "partner@example.com", with_png(level1, "写真です"));
  ASSERT_EQ(unreadable.action, GatewayVerdict::Action::kHold) << unreadable.reply;
  EXPECT_EQ(detail_of(unreadable, "approver_role"), "security_manager") << "a picture might be 【機密性2】: its approver decides";
  auto item = quarantine_->get(unreadable.quarantine_id);
  ASSERT_TRUE(item) << item.error().to_string();
  EXPECT_EQ(item->approver_role, "security_manager");
}

TEST_F(GatewayDecisions, AStoreThatFailsIsATemporaryFailureAndNothingPasses) {
  sanso::testing::make_audit_writes_fail(quarantine_.database());
  const std::string html = "From: vendor@example.net\r\nSubject: x\r\nContent-Type: text/html\r\n\r\n<b>hi</b>\r\n";
  const GatewayVerdict inbound = run("203.0.113.7", "vendor@example.net", "kikaku@city.minamata.lg.jp", html);
  EXPECT_EQ(inbound.action, GatewayVerdict::Action::kTempfail);
  EXPECT_EQ(inbound.reply.substr(0, 5), "4.3.0") << inbound.reply;
  EXPECT_TRUE(inbound.message.empty()) << "no sanitized copy without its kept original";
  const std::string marked = "From: tanaka@city.minamata.lg.jp\r\nSubject: =?UTF-8?B?44CQ5qmf5a+G5oCnMuOAkeS6iOeul+ahiA==?=\r\n\r\nbudget\r\n";
  EXPECT_EQ(run("10.20.3.4", "tanaka@city.minamata.lg.jp", "partner@example.com", marked).action, GatewayVerdict::Action::kTempfail);
  // A decision that keeps nothing still needs its record: without the log, it waits too.
  EXPECT_EQ(run("10.20.1.9", "tanaka@city.minamata.lg.jp", "kikaku@city.minamata.lg.jp").action, GatewayVerdict::Action::kTempfail);
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM mail_senders"), 0) << "a message not kept is not counted";
  ASSERT_TRUE(quarantine_.database().execute_script("DELETE FROM fail_audit"));
  EXPECT_EQ(run("203.0.113.7", "vendor@example.net", "kikaku@city.minamata.lg.jp", html).action, GatewayVerdict::Action::kReplace)
      << "the retry goes through once the store is back";
}

// Issue #16: Postfix's retry of a hold whose answer was lost (the milter died after the commit,
// the connection dropped) must not keep the message twice nor tell its sender twice. Each attempt
// reaches the milter with Postfix's own Received: line and a new queue id.
TEST_F(GatewayDecisions, ARetriedHoldIsKeptAndAnnouncedOnce) {
  if (!fs::exists("/usr/sbin/smtp-sink")) GTEST_SKIP() << "Postfix's smtp-sink is not installed (scripts/install-deps.sh installs it)";
  sanso::testing::SmtpSink sink(store_dir_->dir() / "sink");
  open_gateway_telling_senders(sink);
  const std::string message = "From: tanaka@city.minamata.lg.jp\r\nSubject: =?UTF-8?B?44CQ5qmf5a+G5oCnMuOAkeS6iOeul+ahiA==?=\r\n"
                              "Message-ID: <budget-1@city.minamata.lg.jp>\r\n\r\nbudget\r\n";
  auto attempt = [&](const std::string& queue_id) {
    Envelope e;
    e.client_address = "10.20.3.4";
    e.sender = "tanaka@city.minamata.lg.jp";
    e.recipients = {"partner@example.com"};
    e.queue_id = queue_id;
    const std::string received = "Received: from pc12.city.minamata.lg.jp (pc12 [10.20.3.4])\r\n\tby gw1 (Postfix) with ESMTP id " + queue_id +
                                 "\r\n\tfor <partner@example.com>; Sat,  5 Dec 2026 09:00:00 +0900 (JST)\r\n";
    return gateway_->process(e, received + message);
  };
  auto notices = [&](std::size_t at_least) {
    std::vector<std::string> got;
    for (int i = 0; i < 30 && got.size() < at_least; ++i) {
      got = sink.messages(0);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return sink.messages(0);
  };
  // 1. The audit log cannot be written: nothing is held, nobody is told, Postfix retries.
  sanso::testing::make_audit_writes_fail(quarantine_.database());
  EXPECT_EQ(attempt("4QmA1").action, GatewayVerdict::Action::kTempfail);
  ASSERT_TRUE(quarantine_.database().execute_script("DELETE FROM fail_audit"));
  // 2. The retry is held and announced.
  const GatewayVerdict held = attempt("4QmB2");
  ASSERT_EQ(held.action, GatewayVerdict::Action::kHold) << held.reply;
  ASSERT_EQ(notices(1).size(), 1u);
  // 3. Its answer was lost; Postfix tries again: the same hold, no second item, no second notice.
  const GatewayVerdict again = attempt("4QmC3");
  EXPECT_EQ(again.action, GatewayVerdict::Action::kHold);
  EXPECT_EQ(again.quarantine_id, held.quarantine_id);
  EXPECT_NE(detail_of(again, "retry").find(held.quarantine_id), std::string::npos);
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 1);
  EXPECT_EQ(notices(2).size(), 1u) << "the sender is told once";
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'mail.notice'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'mail.gateway' AND record LIKE '%\"outcome\":\"held\"%'"), 2)
      << "every decision is recorded, the retry as one";
  // A new mail with the same subject (a person sending again: a new Message-ID) is held anew.
  std::string resent = message;
  resent.replace(resent.find("budget-1"), 8, "budget-2");
  Envelope e;
  e.client_address = "10.20.3.4";
  e.sender = "tanaka@city.minamata.lg.jp";
  e.recipients = {"partner@example.com"};
  const GatewayVerdict other = gateway_->process(e, resent);
  EXPECT_EQ(other.action, GatewayVerdict::Action::kHold);
  EXPECT_NE(other.quarantine_id, held.quarantine_id);
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 2);
}

// Review19a 6: recipients in two zones whose rules name different approvers: one release sends the
// message to both, so the senior of the two decides — a recipient added in a zone whose approver is
// junior (here the internet's, which sorts first) must not bring the whole message to that junior.
TEST_F(GatewayDecisions, RecipientsInZonesWithDifferentApproversAreHeldForTheSeniorOne) {
  use_policy("[[rules]]\nid = \"city.lgwan-internal-confidential\"\nfrom = \"lgwan\"\nto = \"lgwan\"\nchannels = [\"mail\"]\n"
             "min_confidentiality = \"2\"\nmax_confidentiality = \"2\"\naction = \"approve\"\napprover = \"general_security_officer\"\n"
             "clause = \"6(2)\"\nreason = \"テスト\"\n");
  const std::string marked = "From: tanaka@city.minamata.lg.jp\r\nSubject: =?UTF-8?B?44CQ5qmf5a+G5oCnMuOAkeS6iOeul+ahiA==?=\r\n\r\nbudget\r\n";
  Envelope e;
  e.client_address = "10.20.3.4";
  e.sender = "tanaka@city.minamata.lg.jp";
  e.recipients = {"partner@example.com", "sato@city.minamata.lg.jp"};
  const GatewayVerdict both = gateway_->process(e, marked);
  ASSERT_EQ(both.action, GatewayVerdict::Action::kHold) << both.reply;
  EXPECT_EQ(detail_of(both, "approver_role"), "general_security_officer");
  auto item = quarantine_->get(both.quarantine_id);
  ASSERT_TRUE(item) << item.error().to_string();
  EXPECT_EQ(item->approver_role, "general_security_officer") << "the internet rule's security manager is junior to it";
  // The internet recipient alone: the internet rule's own approver.
  EXPECT_EQ(detail_of(run("10.20.3.4", "tanaka@city.minamata.lg.jp", "partner@example.com", marked), "approver_role"), "security_manager");
}

// review31 C1: a recipient domain in no zone was taken as the internet, and internet → internet is
// allowed: Postfix accepted mail for postmaster@localhost (mydestination's default, aliased to an
// administrator in LGWAN) or an alias domain the policy forgot, and the milter passed it raw.
TEST_F(GatewayDecisions, InternetMailToADomainInNoZoneIsMadeSafeNotPassedRaw) {
  const std::string hostile = "From: a@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n"
                              "<a href=\"https://evil.example/\">login</a><script>x()</script>\r\n";
  for (const std::string rcpt : {"postmaster@localhost", "root@localhost", "abuse@gw.minamata.local"}) {
    SCOPED_TRACE(rcpt);
    const GatewayVerdict v = run("203.0.113.7", "someone@example.org", rcpt, hostile);
    EXPECT_NE(v.action, GatewayVerdict::Action::kAccept) << v.rule << " " << v.direction;
    EXPECT_EQ(v.direction, "internet→lgwan");
  }
}

}  // namespace
}  // namespace sanso::mail
