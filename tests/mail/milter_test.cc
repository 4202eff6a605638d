// The gateway against real Postfix: a private instance (tests/support/postfix-instance.sh) hands
// every message to `sanso milter` and relays what it accepts to smtp-sink. Needs root and the
// postfix package (both given by `make check`); skipped otherwise, with a message.
#include <gtest/gtest.h>
#include <gmime/gmime.h>
#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/text.h"
#include "mail/smtp_client.h"
#include "mime/charset.h"
#include "mime/transfer.h"
#include "support/audit_records.h"
#include "support/cli_runner.h"
#include "support/files.h"
#include "support/gmime_message.h"
#include "support/metrics_scrape.h"
#include "support/smtp_sink.h"
#include "support/test_store.h"
#include "support/zip_of.h"

namespace sanso::mail {
namespace {

namespace fs = std::filesystem;
using sanso::testing::read_file;
using sanso::testing::run_sanso;

// The decoded text/plain part and the names of the attachments of a delivered message.
struct Delivered {
  std::string text;
  std::vector<std::string> attachments;
};

Delivered parse(const std::string& raw) {
  Delivered d;
  GMimeMessage* m = sanso::testing::parse_message(raw);
  if (m == nullptr) return d;
  GMimePartIter* it = g_mime_part_iter_new(GMIME_OBJECT(m));
  do {
    GMimeObject* p = g_mime_part_iter_get_current(it);
    if (p == nullptr || !GMIME_IS_PART(p)) continue;
    const char* fn = g_mime_part_get_filename(GMIME_PART(p));
    if (fn != nullptr) {
      d.attachments.emplace_back(fn);
      continue;
    }
    d.text += sanso::testing::part_text(p);
  } while (g_mime_part_iter_next(it));
  g_mime_part_iter_free(it);
  g_object_unref(m);
  return d;
}

class MilterPostfix : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "the Postfix instance needs root";
    if (!fs::exists("/usr/sbin/postfix") || !fs::exists("/usr/sbin/smtp-sink")) GTEST_SKIP() << "Postfix is not installed (scripts/install-deps.sh installs it)";
    dir_ = fs::temp_directory_path() / ("sanso-milter-" + sanso::testing::random_hex(4));
    reinject_port_ = sanso::testing::free_tcp_port();
    lgwan_port_ = sanso::testing::free_tcp_port();
    fs::create_directories(dir_);
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
    sink_ = std::make_unique<sanso::testing::SmtpSink>(dir_ / "sink");
    std::ofstream(dir_ / "sanso.toml") << "[service]\nnode = \"gw-test\"\ndata_dir = \"data\"\npolicy = \"" << SANSO_SOURCE_DIR
                                       << "/examples/minamata/policy.toml\"\n[mail]\nlang = \"ja\"\nlistener_zones = { LGWAN = \"lgwan\" }\n" << mail_settings()
                                       << "[cdr]\nattachments = \"sanitize\"\n"
                                          "[quarantine]\ninspector_roles = [\"system_admin\"]\nsmtp_relay = \"127.0.0.1:" << reinject_port_ << "\"\n"
                                          "[[users]]\nname = \"kato\"\nroles = [\"system_admin\"]\n" << more_settings();
    config_ = " --config " + (dir_ / "sanso.toml").string();
    milter_port_ = sanso::testing::free_tcp_port();
    metrics_port_ = sanso::testing::free_tcp_port();
    start_milter();
    smtp_port_ = sanso::testing::free_tcp_port();
    const std::string header_checks = header_checks_table();
    if (!header_checks.empty()) std::ofstream(dir_ / "header_checks") << header_checks;
    const std::string main_extra = main_cf_extra();
    const std::string start = (header_checks.empty() ? "" : "SANSO_POSTFIX_HEADER_CHECKS=" + (dir_ / "header_checks").string() + " ") +
                              (main_extra.empty() ? "" : "SANSO_POSTFIX_MAIN_EXTRA='" + main_extra + "' ") + "bash " +
                              std::string(SANSO_SOURCE_DIR) + "/tests/support/postfix-instance.sh start " + (dir_ / "postfix").string() + " " +
                              std::to_string(smtp_port_) + " " + milters_before() + "inet:127.0.0.1:" + std::to_string(milter_port_) + " " +
                              sink_->relay().substr(sink_->relay().find(':') + 1) + " " + std::to_string(reinject_port_) + " " +
                              std::to_string(lgwan_port_);
    ASSERT_EQ(std::system(start.c_str()), 0) << "the private Postfix did not start";
    postfix_started_ = true;
  }
  void TearDown() override {
    if (postfix_started_) (void)std::system(("bash " + std::string(SANSO_SOURCE_DIR) + "/tests/support/postfix-instance.sh stop " + (dir_ / "postfix").string()).c_str());
    stop_milter();
    sink_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // What a derived fixture adds: keys of [mail], lines after the configuration (kato's [[users]]
  // entry is last), and Postfix's header_checks table ("" for none).
  virtual std::string mail_settings() const { return ""; }
  virtual std::string more_settings() const { return ""; }
  virtual std::string header_checks_table() const { return ""; }
  // More main.cf lines (no single quotes), after the instance's own.
  virtual std::string main_cf_extra() const { return ""; }
  // Milters Postfix runs before Sanso's, each followed by a comma ("inet:127.0.0.1:8893,").
  virtual std::string milters_before() const { return ""; }

  // `file_limit`: RLIMIT_FSIZE for the milter, to stand in for a full disk.
  void start_milter(rlim_t file_limit = RLIM_INFINITY) {
    const std::string listen = "inet:" + std::to_string(milter_port_) + "@127.0.0.1";
    milter_ = fork();
    if (milter_ == 0) {
      if (file_limit != RLIM_INFINITY) {
        signal(SIGXFSZ, SIG_IGN);
        rlimit limit{file_limit, file_limit};
        setrlimit(RLIMIT_FSIZE, &limit);
      }
      const std::string config = (dir_ / "sanso.toml").string();
      const std::string log = (dir_ / "milter.log").string();
      FILE* f = std::freopen(log.c_str(), "a", stderr);
      (void)f;
      const std::string metrics = "127.0.0.1:" + std::to_string(metrics_port_);
      execl(SANSO_CLI, SANSO_CLI, "milter", "--config", config.c_str(), "--listen", listen.c_str(), "--metrics-listen", metrics.c_str(), nullptr);
      _exit(127);
    }
    // Up to a minute: under ASan on a loaded machine the start-up (store, policy, the pools'
    // templates) has taken over ten seconds. A milter that exits fails at once.
    for (int i = 0; i < 1200; ++i) {
      int status = 0;
      if (::waitpid(milter_, &status, WNOHANG) == milter_) {
        milter_ = -1;
        FAIL() << "sanso milter exited before it listened (status " << status << "): " << read_file(dir_ / "milter.log");
      }
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(static_cast<uint16_t>(milter_port_));
      bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      ::close(fd);
      if (up) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "sanso milter did not listen: " << read_file(dir_ / "milter.log");
  }
  void stop_milter(int sig = SIGTERM) {
    if (milter_ <= 0) return;
    kill(milter_, sig);
    waitpid(milter_, nullptr, 0);
    milter_ = -1;
  }

  // Through the internet-facing listener (the client's address is in no zone: the internet).
  Result<std::string> send(const std::string& from, const std::string& to, const std::string& message) { return send_to(smtp_port_, from, to, message); }
  // Through the listener of the LGWAN mail servers.
  Result<std::string> send_from_lgwan(const std::string& from, const std::string& to, const std::string& message) {
    return send_to(lgwan_port_, from, to, message);
  }
  Result<std::string> send_to(int port, const std::string& from, const std::string& to, const std::string& message) {
    SmtpOptions o;
    o.relay = "127.0.0.1:" + std::to_string(port);
    o.timeout = std::chrono::seconds(60);
    return send_mail(o, SmtpEnvelope{from, {to}}, message);
  }

  // The delivered messages addressed to `rcpt`, once `count` of them arrived (or after `wait`).
  std::vector<std::string> delivered_to(const std::string& rcpt, std::size_t count, std::chrono::milliseconds wait = std::chrono::seconds(15)) {
    std::vector<std::string> out;
    for (int i = 0; i < wait.count() / 100; ++i) {
      out.clear();
      for (auto& m : sink_->messages(0)) {
        if (m.find("X-Rcpt-Args: <" + rcpt + ">") != std::string::npos) out.push_back(m);
      }
      if (out.size() >= count) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return out;
  }

  nlohmann::json quarantine() { return nlohmann::json::parse(run_sanso("quarantine list --json --limit 1000" + config_).output); }

  fs::path dir_;
  std::unique_ptr<sanso::testing::SmtpSink> sink_;
  std::string config_;
  int milter_port_ = 0, smtp_port_ = 0, reinject_port_ = 0, lgwan_port_ = 0, metrics_port_ = 0;
  pid_t milter_ = -1;
  bool postfix_started_ = false;
};

TEST_F(MilterPostfix, MetricsCountEachMessageByOutcomeWithItsLatencyAndPassPromtool) {
  auto before = sanso::testing::scrape_metrics("127.0.0.1", metrics_port_);
  ASSERT_TRUE(before) << read_file(dir_ / "milter.log");
  EXPECT_EQ(before->status, 200);
  const std::string sanitized = R"(sanso_mail_messages_total{outcome="sanitized"})";
  EXPECT_LT(sanso::testing::metric_sample(before->body, sanitized), 1) << before->body;

  std::string html = "From: news@example.net\r\nTo: kikaku@city.minamata.lg.jp\r\nSubject: news\r\nMIME-Version: 1.0\r\n"
                     "Content-Type: text/html; charset=UTF-8\r\n\r\n<html><body><p>本文</p></body></html>\r\n";
  ASSERT_TRUE(send("news@example.net", "kikaku@city.minamata.lg.jp", html).has_value());
  ASSERT_EQ(delivered_to("kikaku@city.minamata.lg.jp", 1).size(), 1u);

  auto after = sanso::testing::scrape_metrics("127.0.0.1", metrics_port_);
  ASSERT_TRUE(after);
  EXPECT_EQ(sanso::testing::metric_sample(after->body, sanitized), 1) << after->body;
  EXPECT_EQ(sanso::testing::metric_sample(after->body, "sanso_mail_message_duration_seconds_count"), 1) << after->body;
  EXPECT_EQ(sanso::testing::metric_sample(after->body, "sanso_mail_messages_in_flight"), 0) << after->body;
  EXPECT_EQ(sanso::testing::metric_sample(after->body, R"(sanso_store_errors_total{service="milter"})"), 0) << after->body;
  EXPECT_EQ(sanso::testing::metric_sample(after->body, "sanso_sandbox_violations_total"), 0) << after->body;
  auto problems = sanso::testing::promtool_problems(after->body, dir_);
  if (!problems) GTEST_SKIP() << "promtool (Debian's prometheus) is not installed";
  EXPECT_EQ(*problems, "") << after->body;
}

TEST_F(MilterPostfix, InboundHtmlArrivesAsTextAndTheAttachmentRebuiltWithTheOriginalKept) {
  std::string html = "From: news@example.net\r\nTo: kikaku@city.minamata.lg.jp\r\nSubject: news\r\nMIME-Version: 1.0\r\n"
                     "Content-Type: text/html; charset=UTF-8\r\n\r\n<html><body><h1>お知らせ</h1><p>本文 <a href=\"https://example.net/\">link</a></p>"
                     "<script>x()</script></body></html>\r\n";
  ASSERT_TRUE(send("news@example.net", "kikaku@city.minamata.lg.jp", html).has_value());
  const std::string invoice = read_file(fs::path(SANSO_SOURCE_DIR) / "examples/minamata/mail/invoice.eml");
  ASSERT_TRUE(send("billing@sample-shoji.example", "keiri@city.minamata.lg.jp", invoice).has_value());

  auto news = delivered_to("kikaku@city.minamata.lg.jp", 1);
  ASSERT_EQ(news.size(), 1u);
  EXPECT_NE(news[0].find("X-Sanso-Sanitized: sanitized"), std::string::npos);
  EXPECT_EQ(news[0].find("<html"), std::string::npos);
  EXPECT_EQ(news[0].find("text/html"), std::string::npos);
  Delivered d = parse(news[0]);
  EXPECT_NE(d.text.find("無害化"), std::string::npos) << d.text;
  EXPECT_NE(d.text.find("お知らせ"), std::string::npos);
  EXPECT_EQ(d.text.find("x()"), std::string::npos);

  // A first-time sender's attachment is removed (the stricter handling); once the sender is
  // known, the next one is rebuilt and attached.
  auto first_bill = delivered_to("keiri@city.minamata.lg.jp", 1);
  ASSERT_EQ(first_bill.size(), 1u);
  EXPECT_TRUE(parse(first_bill[0]).attachments.empty()) << "first-time sender";
  EXPECT_NE(parse(first_bill[0]).text.find("invoice.docm"), std::string::npos) << "the removed attachment is listed";
  ASSERT_TRUE(send("billing@sample-shoji.example", "keiri@city.minamata.lg.jp", invoice).has_value());
  auto bills = delivered_to("keiri@city.minamata.lg.jp", 2);
  ASSERT_EQ(bills.size(), 2u);
  std::vector<std::string> bill;
  for (auto& m : bills) {
    if (!parse(m).attachments.empty()) bill.push_back(m);
  }
  ASSERT_EQ(bill.size(), 1u);
  Delivered b = parse(bill[0]);
  ASSERT_EQ(b.attachments.size(), 1u);
  EXPECT_EQ(b.attachments[0], "invoice.docx");
  EXPECT_NE(b.text.find("VBA"), std::string::npos) << b.text;

  // The original, as Postfix handed it over, is in quarantine: the body byte for byte.
  const std::string marker = "X-Sanso-Sanitized: sanitized; id=";
  std::string id = bill[0].substr(bill[0].find(marker) + marker.size(), 18);
  ASSERT_EQ(id.substr(0, 1), "Q");
  ASSERT_EQ(run_sanso("quarantine export " + id + " -o " + (dir_ / "orig.eml").string() + " --as kato" + config_).exit_code, 0);
  const std::string kept = read_file(dir_ / "orig.eml");
  const std::string body = invoice.substr(invoice.find("\r\n\r\n") + 4);
  ASSERT_GE(kept.size(), body.size());
  EXPECT_EQ(kept.substr(kept.size() - body.size()), body);
}

TEST_F(MilterPostfix, Iso2022jpArrivesWithNecCharactersIntact) {
  // 「①㈱水俣」 in ISO-2022-JP (CP50220: ① 0x2D21, ㈱ 0x2D6A, 水 0x3F65, 俣 0x4B73).
  std::string msg = "From: a@example.net\r\nTo: soumu@city.minamata.lg.jp\r\nSubject: jis\r\nMIME-Version: 1.0\r\n"
                    "Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
                    "\x1B$B-!-j?eKs\x1B(B\r\n";
  ASSERT_TRUE(send("a@example.net", "soumu@city.minamata.lg.jp", msg).has_value());
  auto got = delivered_to("soumu@city.minamata.lg.jp", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(parse(got[0]).text.find("①㈱水俣"), std::string::npos) << parse(got[0]).text;
}

// Postfix's own bounces pass the milter as docs/postfix.md sets them up (review31 H5): a remote
// server's rejection text — "re-send via https://…" — reaches the clerk as internet mail made
// safe, not as a trusted-looking MAILER-DAEMON message with a live link.
// The attacker's mail server on loopback: it refuses every recipient with a text of its choosing.
class RefusingSmtpServer {
 public:
  RefusingSmtpServer() : port_(sanso::testing::free_tcp_port()) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port_));
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 8) != 0) return;
    thread_ = std::thread([this] {
      // Bounded: Postfix connects once or twice for the one message.
      for (int connections = 0; connections < 20; ++connections) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        serve(c);
        ::close(c);
      }
    });
  }
  ~RefusingSmtpServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }

 private:
  static void serve(int c) {
    timeval timeout{10, 0};
    ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    auto say = [c](const std::string& text) { (void)!::write(c, text.data(), text.size()); };
    say("220 mx.evil.example ESMTP\r\n");
    std::string buffer;
    char chunk[1024];
    for (;;) {
      const auto eol = buffer.find("\r\n");
      if (eol == std::string::npos) {
        const ssize_t n = ::read(c, chunk, sizeof chunk);
        if (n <= 0) return;
        buffer.append(chunk, static_cast<std::size_t>(n));
        continue;
      }
      std::string verb = buffer.substr(0, std::min<std::size_t>(4, eol));
      for (auto& ch : verb) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      buffer.erase(0, eol + 2);
      if (verb == "RCPT") say("550-5.2.2 mailbox full\r\n550 5.2.2 re-send via https://evil.example/upload\r\n");
      else if (verb == "QUIT") return say("221 bye\r\n");
      else if (verb == "DATA") say("554 5.5.1 no valid recipients\r\n");
      else say("250 mx.evil.example\r\n");
    }
  }
  int port_;
  int fd_ = -1;
  std::thread thread_;
};

class MilterPostfixFilteringBounces : public MilterPostfix {
 protected:
  std::string main_cf_extra() const override {
    std::ofstream(dir_ / "transport") << "evil.example smtp:[127.0.0.1]:" << evil_.port() << "\n";
    return "non_smtpd_milters = $smtpd_milters\ninternal_mail_filter_classes = bounce, notify\ntransport_maps = texthash:" + (dir_ / "transport").string();
  }
  RefusingSmtpServer evil_;
};

TEST_F(MilterPostfixFilteringBounces, ARemoteServersRejectionTextReachesTheClerkMadeSafe) {
  const std::string msg = "From: soumu@city.minamata.lg.jp\r\nTo: info@evil.example\r\nSubject: inquiry\r\nMIME-Version: 1.0\r\n"
                          "Content-Type: text/plain; charset=UTF-8\r\n\r\nplease reply\r\n";
  auto sent = send_from_lgwan("soumu@city.minamata.lg.jp", "info@evil.example", msg);
  ASSERT_TRUE(sent) << sent.error().to_string() << "\n" << read_file(dir_ / "postfix" / "maillog") << read_file(dir_ / "milter.log");
  auto got = delivered_to("soumu@city.minamata.lg.jp", 1, std::chrono::seconds(60));
  ASSERT_EQ(got.size(), 1u) << read_file(dir_ / "postfix" / "maillog") << read_file(dir_ / "milter.log");
  EXPECT_NE(got[0].find("X-Sanso-Sanitized"), std::string::npos) << got[0];
  const std::string text = parse(got[0]).text;
  EXPECT_NE(text.find("evil"), std::string::npos) << "the rejection text is shown: " << text;
  EXPECT_EQ(text.find("https://evil.example"), std::string::npos) << "the link is live: " << text;
  EXPECT_NE(text.find("hxxps://evil[.]example"), std::string::npos) << text;
  // Decided and recorded as mail from outside the city to LGWAN.
  bool inbound = false;
  for (const auto& r : sanso::testing::exported_audit_records(config_, "mail.gateway")) inbound = inbound || r.dump().find("internet→lgwan") != std::string::npos;
  EXPECT_TRUE(inbound) << "no mail.gateway record of internet→lgwan";
}

// Through real Postfix: a 個人番号 zipped into an attachment is found as the member's
// ("名簿.zip/list.csv"), and the message is held, never delivered.
TEST_F(MilterPostfix, OutboundMyNumberInsideAZipIsHeld) {
  const std::string zip = sanso::testing::zip_of({{"list.csv", "山田,123456789018\r\n"}});
  const std::string msg = "From: tanaka@city.minamata.lg.jp\r\nTo: partner@example.com\r\nSubject: list\r\nMIME-Version: 1.0\r\n"
                          "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee\r\n--b\r\n"
                          "Content-Type: application/zip\r\nContent-Disposition: attachment; filename=\"list.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
                          mime::encode_base64_lines(zip) + "--b--\r\n";
  auto held = send_from_lgwan("tanaka@city.minamata.lg.jp", "partner@example.com", msg);
  ASSERT_TRUE(held.has_value()) << held.error().to_string();
  bool in_quarantine = false;
  for (const auto& it : quarantine()) {
    if (it["verdict"] == "held" && it["origin"]["envelope_to"][0] == "partner@example.com") {
      in_quarantine = true;
      EXPECT_NE(it["reason"].get<std::string>().find("list.zip/list.csv"), std::string::npos) << it.dump();
    }
  }
  EXPECT_TRUE(in_quarantine);
  EXPECT_TRUE(delivered_to("partner@example.com", 1, std::chrono::seconds(2)).empty()) << "a held message must not be delivered";
}

TEST_F(MilterPostfix, OutboundMyNumberIsHeldAWrongCheckDigitPassesTheMynumberZoneIsRefusedBothWays) {
  auto held = send_from_lgwan("tanaka@city.minamata.lg.jp", "partner@example.com",
                   "From: tanaka@city.minamata.lg.jp\r\nTo: partner@example.com\r\nSubject: list\r\n\r\n番号 1234 5678 9018\r\n");
  ASSERT_TRUE(held.has_value()) << held.error().to_string();  // accepted, then held by the gateway
  auto passed = send_from_lgwan("tanaka@city.minamata.lg.jp", "other@example.com",
                     "From: tanaka@city.minamata.lg.jp\r\nTo: other@example.com\r\nSubject: order\r\n\r\n注文番号 1234 5678 9017\r\n");
  ASSERT_TRUE(passed.has_value()) << passed.error().to_string();
  EXPECT_EQ(delivered_to("other@example.com", 1).size(), 1u);
  // The other message was delivered already, so Postfix has had time to deliver this one too.
  EXPECT_TRUE(delivered_to("partner@example.com", 1, std::chrono::seconds(2)).empty()) << "a held message must not be delivered";
  bool in_quarantine = false;
  for (const auto& it : quarantine()) {
    if (it["verdict"] == "held" && it["origin"]["envelope_to"][0] == "partner@example.com") {
      in_quarantine = true;
      EXPECT_NE(it["reason"].get<std::string>().find("********9018"), std::string::npos) << it.dump();
      EXPECT_EQ(it["reason"].get<std::string>().find("123456789018"), std::string::npos) << "never the full number";
    }
  }
  EXPECT_TRUE(in_quarantine);
  // The sender hears of it: a notice from the gateway with the reason and the quarantine id,
  // through the milter-free listener, from the null sender; never the full number.
  auto notices = delivered_to("tanaka@city.minamata.lg.jp", 1);
  ASSERT_EQ(notices.size(), 1u) << "the sender of held mail gets one notice";
  EXPECT_NE(notices[0].find("X-Sanso-Held: "), std::string::npos);
  EXPECT_NE(notices[0].find("X-Mail-Args: <>"), std::string::npos) << notices[0].substr(0, 600);
  const Delivered notice = parse(notices[0]);
  EXPECT_NE(notice.text.find("保留"), std::string::npos) << notice.text;
  EXPECT_NE(notice.text.find("********9018"), std::string::npos) << notice.text;
  EXPECT_EQ(notice.text.find("123456789018"), std::string::npos);
  for (const auto& it : quarantine()) {
    if (it["verdict"] == "held") EXPECT_NE(notice.text.find(it["id"].get<std::string>()), std::string::npos) << notice.text;
  }

  auto rejected = send_from_lgwan("tanaka@city.minamata.lg.jp", "staff@mynumber.city.minamata.lg.jp", "Subject: x\r\n\r\nhello\r\n");
  ASSERT_FALSE(rejected.has_value());
  EXPECT_EQ(rejected.error().code, "smtp.rejected");
  EXPECT_NE(rejected.error().message.find("6(3)(1)"), std::string::npos) << rejected.error().message;

  // A mynumber sender on the LGWAN listener is a claim the network contradicts.
  auto from_mynumber = send_from_lgwan("staff@mynumber.city.minamata.lg.jp", "tanaka@city.minamata.lg.jp", "Subject: x\r\n\r\nhello\r\n");
  ASSERT_FALSE(from_mynumber.has_value()) << "the mynumber zone sends to nobody";
  EXPECT_NE(from_mynumber.error().message.find("6(3)(1)"), std::string::npos) << from_mynumber.error().message;

  // Every decision is in the audit log with its rule and clause.
  const auto decisions = sanso::testing::exported_audit_records(config_, "mail.gateway");
  for (const auto& j : decisions) EXPECT_FALSE(j["clause"].get<std::string>().empty()) << j.dump();
  EXPECT_EQ(decisions.size(), 4u);
  // The notice went out after the hold was committed, and is recorded on its own.
  const auto notices_sent = sanso::testing::exported_audit_records(config_, "mail.notice");
  ASSERT_EQ(notices_sent.size(), 1u);
  EXPECT_EQ(notices_sent[0]["outcome"], "sent");
  EXPECT_NE(notices_sent[0]["details"].dump().find("tanaka@city.minamata.lg.jp"), std::string::npos) << notices_sent[0].dump();
}

TEST_F(MilterPostfix, AnInternetClientClaimingACitySenderIsRefusedAndTheSameMailFromLgwanIsInspected) {
  // The envelope sender is a claim: on the internet listener, a city address with an HTML body
  // and an executable was once delivered as LGWAN-internal mail, unchanged.
  const std::string forged = "From: boss@city.minamata.lg.jp\r\nTo: kaikei@city.minamata.lg.jp\r\nSubject: urgent\r\nMIME-Version: 1.0\r\n"
                             "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<b>pay</b>\r\n"
                             "--b\r\nContent-Type: application/octet-stream; name=pay.exe\r\nContent-Disposition: attachment; filename=pay.exe\r\n\r\nMZ\x90\r\n--b--\r\n";
  auto refused = send("boss@city.minamata.lg.jp", "kaikei@city.minamata.lg.jp", forged);
  ASSERT_FALSE(refused.has_value()) << "a forged city sender from outside was accepted";
  EXPECT_EQ(refused.error().code, "smtp.rejected") << refused.error().message;  // 5xx, not retried
  EXPECT_NE(refused.error().message.find("5.7.1"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("6(3)(2)"), std::string::npos) << refused.error().message;
  // From LGWAN the same mail is LGWAN-internal: passed as it is.
  ASSERT_TRUE(send_from_lgwan("boss@city.minamata.lg.jp", "kaikei@city.minamata.lg.jp", forged).has_value());
  auto got = delivered_to("kaikei@city.minamata.lg.jp", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].find("X-Sanso-Sanitized"), std::string::npos);
  const auto records = sanso::testing::exported_audit_records(config_, "mail.gateway");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["outcome"], "refused");
  EXPECT_EQ(records[0]["rule"], "gateway.forged-city-sender");
  EXPECT_NE(records[0]["details"].dump().find("127.0.0.1"), std::string::npos) << "the network fact is recorded: " << records[0].dump();
  EXPECT_EQ(records[1]["outcome"], "accepted");
  EXPECT_NE(records[1]["details"].dump().find("listener LGWAN"), std::string::npos) << records[1].dump();
}

TEST_F(MilterPostfix, AnOriginalThatCannotBeKeptTempfailsAndNothingIsDelivered) {
  stop_milter();
  // "The disk is full": no file may grow more than 1 MiB beyond the store's biggest now (a new
  // store's own size depends on its page size: ~1 MiB of empty tables with 16 KiB pages).
  std::uintmax_t biggest = 0;
  for (const auto& e : fs::directory_iterator(dir_ / "data")) {
    if (e.is_regular_file()) biggest = std::max(biggest, e.file_size());
  }
  start_milter(static_cast<rlim_t>(biggest + (1 << 20)));
  std::string big = "From: a@example.net\r\nTo: kaikei@city.minamata.lg.jp\r\nSubject: big\r\nContent-Type: text/plain\r\n\r\n";
  for (int i = 0; i < 40000; ++i) big += "0123456789012345678901234567890123456789012345678901234567890123456789\r\n";
  auto refused = send("a@example.net", "kaikei@city.minamata.lg.jp", big);
  ASSERT_FALSE(refused.has_value()) << "accepted without a kept original";
  EXPECT_EQ(refused.error().code, "smtp.unavailable") << refused.error().message;  // 4xx: the sender keeps it and retries
  EXPECT_NE(refused.error().message.find("4.3.0"), std::string::npos) << refused.error().message;
  auto small = send("a@example.net", "kaikei@city.minamata.lg.jp", "From: a@example.net\r\nSubject: small\r\n\r\nfits\r\n");
  ASSERT_TRUE(small.has_value()) << small.error().to_string();
  auto got = delivered_to("kaikei@city.minamata.lg.jp", 2, std::chrono::seconds(5));
  ASSERT_EQ(got.size(), 1u) << "only the message whose original was kept";
  EXPECT_NE(got[0].find("X-Sanso-Sanitized"), std::string::npos);
}

TEST_F(MilterPostfix, AMilterDownTempfailsAndAfterARestartTheMessageIsDeliveredOnce) {
  stop_milter(SIGKILL);
  const std::string msg = "From: a@example.net\r\nTo: jinji@city.minamata.lg.jp\r\nSubject: retry\r\n\r\nonce\r\n";
  auto first = send("a@example.net", "jinji@city.minamata.lg.jp", msg);
  ASSERT_FALSE(first.has_value()) << "Postfix must not pass mail while the milter is down";
  EXPECT_EQ(first.error().code, "smtp.unavailable") << first.error().message;  // 4xx: the sender retries
  start_milter();
  auto second = send("a@example.net", "jinji@city.minamata.lg.jp", msg);
  ASSERT_TRUE(second.has_value()) << second.error().to_string();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(delivered_to("jinji@city.minamata.lg.jp", 2, std::chrono::seconds(2)).size(), 1u) << "delivered exactly once";
}

// One SMTP session driven line by line, to stop half-way through DATA.
class RawSmtp {
 public:
  explicit RawSmtp(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
    timeval tv{60, 0};
    if (fd_ >= 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawSmtp() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return fd_ >= 0; }
  void send(const std::string& s) { (void)::send(fd_, s.data(), s.size(), MSG_NOSIGNAL); }
  // The last line of the server's next (possibly multi-line) reply.
  std::string reply() {
    std::string line;
    while (true) {
      line.clear();
      char c;
      while (::recv(fd_, &c, 1, 0) == 1 && c != '\n') line += c;
      if (line.size() < 4 || line[3] != '-') return line;
    }
  }
  std::string command(const std::string& s) {
    send(s + "\r\n");
    return reply();
  }

 private:
  int fd_ = -1;
};

TEST_F(MilterPostfix, AMilterKilledMidMessageTempfailsAndTheRetryIsDeliveredOnce) {
  const std::string to = "zeimu@city.minamata.lg.jp";
  RawSmtp smtp(smtp_port_);
  ASSERT_TRUE(smtp.connected());
  ASSERT_EQ(smtp.reply().substr(0, 3), "220");
  ASSERT_EQ(smtp.command("EHLO client.example.net").substr(0, 3), "250");
  ASSERT_EQ(smtp.command("MAIL FROM:<a@example.net>").substr(0, 3), "250");  // the milter has seen the sender…
  ASSERT_EQ(smtp.command("RCPT TO:<" + to + ">").substr(0, 3), "250");        // …and the recipient
  ASSERT_EQ(smtp.command("DATA").substr(0, 3), "354");
  const std::string headers = "From: a@example.net\r\nTo: " + to + "\r\nSubject: =?UTF-8?B?57SN56iO6YCa55+l?=\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n";
  const std::string body = "half of the body\r\n";
  smtp.send(headers + body);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop_milter(SIGKILL);  // the gateway dies in the middle of this message
  smtp.send("the other half\r\n.\r\n");
  const std::string answer = smtp.reply();
  EXPECT_EQ(answer.substr(0, 1), "4") << "Postfix must not take the message without the gateway: " << answer;
  smtp.command("QUIT");
  EXPECT_TRUE(delivered_to(to, 1, std::chrono::seconds(2)).empty()) << "nothing was delivered unsanitized";

  // The sender retries once the gateway is back: delivered exactly once, sanitized.
  start_milter();
  auto retry = send("a@example.net", to, headers + body + "the other half\r\n");
  ASSERT_TRUE(retry.has_value()) << retry.error().to_string();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  auto got = delivered_to(to, 2, std::chrono::seconds(2));
  ASSERT_EQ(got.size(), 1u) << "delivered exactly once";
  EXPECT_NE(got[0].find("X-Sanso-Sanitized"), std::string::npos);
  EXPECT_NE(parse(got[0]).text.find("the other half"), std::string::npos);
}

// PPAP from mail through real Postfix: a link to enter the password is mailed to the sender only on
// the word of the MTA's own verifier, an Authentication-Results field at the top of the header as
// the milter sees it. A sender can write that field itself; docs/postfix.md has Postfix's cleanup strip
// arriving ones that claim the verifier's id (header_checks). Without the rule a forged field sits
// exactly where the verifier's would and is believed — which is why the rule is there, and what
// makes the test of the rule able to fail.
class MilterPostfixPpap : public MilterPostfix {
 protected:
  static constexpr const char* kVendor = "vendor@example.co.jp";
  static constexpr const char* kKato = "kato@city.minamata.lg.jp";

  std::string mail_settings() const override {
    return "authserv_id = \"mx.city.minamata.lg.jp\"\nverifier_authserv_id = \"verify.city.minamata.lg.jp\"\n"
           "correspondents = { \"業者\" = \"vendor@example.co.jp\" }\nstrict_for_first_time_senders = false\n";
  }
  std::string more_settings() const override {
    return "mail = \"kato@city.minamata.lg.jp\"\nzone = \"lgwan\"\n[web]\npublic_origin = \"https://sanso.city.minamata.example\"\n";
  }

  // The rule exactly as docs/postfix.md gives it: the test follows the document.
  static std::string documented_header_checks() {
    std::istringstream doc(read_file(fs::path(SANSO_SOURCE_DIR) / "docs/postfix.md"));
    for (std::string line; std::getline(doc, line);) {
      if (line.starts_with("/^Authentication-Results")) return line + "\n";
    }
    return "";
  }

  // The vendor's mail with a password-protected zip, its first field `authentication` (what the
  // vendor's side wrote; Postfix puts its own Received line above it).
  static std::string ppap_mail(const std::string& authentication, int n) {
    const std::string zip = sanso::testing::zip_of({{"見積書.txt", "お見積り 一式 120,000円"}}, ZIP_EM_AES_256, "Kumamoto-PPAP-7731");
    gchar* b64 = g_base64_encode(reinterpret_cast<const guchar*>(zip.data()), zip.size());
    std::string wrapped;
    for (std::string_view all(b64); !all.empty(); all.remove_prefix(std::min<std::size_t>(76, all.size()))) wrapped += std::string(all.substr(0, 76)) + "\r\n";
    g_free(b64);
    return authentication + "\r\nReceived: from mail.example.co.jp (mail.example.co.jp [203.0.113.7])\r\n"
           "From: =?UTF-8?B?5qWt6ICF?= <vendor@example.co.jp>\r\nTo: kato@city.minamata.lg.jp\r\nSubject: mitsumori " + std::to_string(n) +
           "\r\nMessage-ID: <ppap-" + std::to_string(n) + "@example.co.jp>\r\nDate: Sun, 06 Dec 2026 10:00:00 +0900\r\n"
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
           "--b1\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nパスワードは別のメールでお送りします。\r\n"
           "--b1\r\nContent-Type: application/zip; name=\"mitsumori.zip\"\r\nContent-Disposition: attachment; filename=\"mitsumori.zip\"\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n" + wrapped + "--b1--\r\n";
  }
};

class MilterPostfixWithoutTheRule : public MilterPostfixPpap {};

class MilterPostfixWithTheDocumentedRule : public MilterPostfixPpap {
 protected:
  std::string header_checks_table() const override { return documented_header_checks(); }
};

TEST_F(MilterPostfixWithoutTheRule, AForgedVerifierResultAtTheTopOfTheHeaderIsBelieved) {
  ASSERT_TRUE(send(kVendor, kKato, ppap_mail("Authentication-Results: verify.city.minamata.lg.jp; dmarc=pass header.from=example.co.jp", 1)).has_value());
  auto got = delivered_to(kKato, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(parse(got[0]).text.find("送信者に入力用のリンクを送りました"), std::string::npos) << parse(got[0]).text;
  EXPECT_EQ(delivered_to(kVendor, 1).size(), 1u) << "the link went to the address the forged field vouched for";
}

TEST_F(MilterPostfixWithTheDocumentedRule, ForgedVerifierResultsAreStrippedByPostfixAndNoLinkIsMailed) {
  ASSERT_NE(header_checks_table(), "") << "docs/postfix.md gives no header_checks rule";
  // Every way of writing the field that Postfix takes for Authentication-Results and the parser
  // reads: plainly, the id behind a comment, in quotes, white space before the colon, lower case.
  const std::vector<std::string> forged = {
      "Authentication-Results: verify.city.minamata.lg.jp; dmarc=pass header.from=example.co.jp",
      "Authentication-Results: (checked) verify.city.minamata.lg.jp; dmarc=pass header.from=example.co.jp",
      "Authentication-Results: \"verify.city.minamata.lg.jp\"; dmarc=pass header.from=example.co.jp",
      "Authentication-Results : verify.city.minamata.lg.jp; dmarc=pass header.from=example.co.jp",
      "authentication-results: VERIFY.city.minamata.lg.jp; spf=pass smtp.mailfrom=vendor@example.co.jp",
      "Authentication-Results: \"verify\\.city.minamata.lg.jp\"; dmarc=pass header.from=example.co.jp",  // a backslash in quotes
  };
  for (std::size_t i = 0; i < forged.size(); ++i) ASSERT_TRUE(send(kVendor, kKato, ppap_mail(forged[i], static_cast<int>(i) + 10)).has_value()) << forged[i];
  auto got = delivered_to(kKato, forged.size(), std::chrono::seconds(60));
  ASSERT_EQ(got.size(), forged.size());
  for (const auto& m : got) {
    const std::string text = parse(m).text;
    EXPECT_NE(text.find("入力用のリンクは送っていません"), std::string::npos) << text;
    EXPECT_EQ(text.find("送信者に入力用のリンクを送りました"), std::string::npos) << text;
  }
  // The links would have gone out before the mails were accepted; give the queue time anyway.
  EXPECT_TRUE(delivered_to(kVendor, 1, std::chrono::seconds(3)).empty()) << "a link went to the sender of a forged result";
  // What Postfix handed the milter is the kept original: the forged fields are not in it.
  const std::string marker = "X-Sanso-Sanitized: sanitized; id=";
  for (const auto& m : got) {
    ASSERT_NE(m.find(marker), std::string::npos);
    const std::string id = m.substr(m.find(marker) + marker.size(), 18);
    ASSERT_EQ(run_sanso("quarantine export " + id + " -o " + (dir_ / (id + ".eml")).string() + " --as kato" + config_).exit_code, 0);
    const std::string kept = read_file(dir_ / (id + ".eml"));
    EXPECT_EQ(ascii_lower(kept).find("verify.city.minamata.lg.jp"), std::string::npos) << kept.substr(0, 600);
    EXPECT_NE(kept.find("mitsumori"), std::string::npos);
  }
}

// The real verifier: OpenDMARC before Sanso, as docs/postfix.md sets it up, checking SPF itself
// against a private DNS (tests/support/opendmarc-instance.sh). Its Authentication-Results is what a
// PPAP link rests on: where OpenDMARC puts the field, as Sanso's milter sees it, is what is tested.
class MilterPostfixWithTheVerifier : public MilterPostfixPpap {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "the verifier's mount namespace and DNS port need root";
    if (!fs::exists("/usr/sbin/opendmarc") || !fs::exists("/usr/sbin/dnsmasq")) {
      GTEST_SKIP() << "OpenDMARC or dnsmasq is not installed (scripts/install-deps.sh installs them)";
    }
    verifier_dir_ = fs::temp_directory_path() / ("sanso-opendmarc-" + sanso::testing::random_hex(4));
    verifier_port_ = sanso::testing::free_tcp_port();
    // A loopback address of its own for port 53: tests running at once do not meet.
    const std::string octets = sanso::testing::random_hex(2);
    const std::string dns = "127.53." + std::to_string(1 + std::stoi(octets.substr(0, 2), nullptr, 16) % 250) + "." +
                            std::to_string(1 + std::stoi(octets.substr(2, 2), nullptr, 16) % 250);
    const std::string start = "bash " + std::string(SANSO_SOURCE_DIR) + "/tests/support/opendmarc-instance.sh start " + verifier_dir_.string() + " " +
                              std::to_string(verifier_port_) + " verify.city.minamata.lg.jp " + dns +
                              " 'example.co.jp=v=spf1 ip4:127.0.0.0/8 -all' '_dmarc.example.co.jp=v=DMARC1; p=reject'"
                              " 'forged.example=v=spf1 ip4:192.0.2.1 -all' '_dmarc.forged.example=v=DMARC1; p=reject'";
    ASSERT_EQ(std::system(start.c_str()), 0) << "OpenDMARC did not start";
    MilterPostfixPpap::SetUp();
  }
  void TearDown() override {
    MilterPostfixPpap::TearDown();
    if (!verifier_dir_.empty()) {
      (void)std::system(("bash " + std::string(SANSO_SOURCE_DIR) + "/tests/support/opendmarc-instance.sh stop " + verifier_dir_.string()).c_str());
      fs::remove_all(verifier_dir_);
    }
  }
  std::string header_checks_table() const override { return documented_header_checks(); }
  std::string milters_before() const override { return "inet:127.0.0.1:" + std::to_string(verifier_port_) + ","; }
  // Both senders are known correspondents: only the verifier tells them apart.
  std::string mail_settings() const override {
    return "authserv_id = \"mx.city.minamata.lg.jp\"\nverifier_authserv_id = \"verify.city.minamata.lg.jp\"\n"
           "correspondents = { \"業者\" = \"vendor@example.co.jp\", \"別の業者\" = \"someone@forged.example\" }\nstrict_for_first_time_senders = false\n";
  }

  fs::path verifier_dir_;
  int verifier_port_ = 0;
};

TEST_F(MilterPostfixWithTheVerifier, TheVerifiersPassBringsTheSenderALinkAndTheRuleLeavesTheVerifiersOwnFields) {
  // The vendor's server (here the loopback, which the vendor's SPF record allows) passes; the
  // vendor also wrote a pass of its own, which the rule strips while OpenDMARC's fields, added by
  // a milter after cleanup's header_checks, stay. (A failing result cannot be had from here:
  // libspf2, OpenDMARC's SPF, passes any loopback client whatever the record says; the veto of a
  // fail is in AuthResults' and PpapMailTest's tests.)
  const std::string forged = "Authentication-Results: verify.city.minamata.lg.jp; dmarc=pass (written by the sender) header.from=example.co.jp";
  ASSERT_TRUE(send(kVendor, kKato, ppap_mail(forged, 1)).has_value());
  auto got = delivered_to(kKato, 1, std::chrono::seconds(30));
  ASSERT_EQ(got.size(), 1u) << read_file(verifier_dir_ / "opendmarc.log");
  EXPECT_NE(parse(got[0]).text.find("送信者に入力用のリンクを送りました"), std::string::npos)
      << parse(got[0]).text << "\n" << read_file(verifier_dir_ / "opendmarc.log");
  const auto links = delivered_to(kVendor, 1, std::chrono::seconds(30));
  ASSERT_EQ(links.size(), 1u);
  EXPECT_NE(links[0].find("X-Mail-Args: <>"), std::string::npos) << "a notice has the null sender";

  // What the milter saw, as kept: OpenDMARC's two fields on top, the sender's own gone. (Postfix
  // 3.7 hands the milters no Received: of its own: the sender's first field follows.)
  const std::string marker = "X-Sanso-Sanitized: sanitized; id=";
  ASSERT_NE(got[0].find(marker), std::string::npos);
  const std::string id = got[0].substr(got[0].find(marker) + marker.size(), 18);
  ASSERT_EQ(run_sanso("quarantine export " + id + " -o " + (dir_ / "kept.eml").string() + " --as kato" + config_).exit_code, 0);
  const std::string kept = read_file(dir_ / "kept.eml");
  const std::string header = kept.substr(0, kept.find("\r\n\r\n"));
  EXPECT_TRUE(header.starts_with("Authentication-Results: verify.city.minamata.lg.jp;")) << header;
  EXPECT_NE(header.find("verify.city.minamata.lg.jp; dmarc=pass"), std::string::npos) << header;
  EXPECT_NE(header.find("verify.city.minamata.lg.jp; spf=pass"), std::string::npos) << header;
  EXPECT_EQ(header.find("written by the sender"), std::string::npos) << header;
}

}  // namespace
}  // namespace sanso::mail

namespace {

namespace fs = std::filesystem;

// A Unix socket made and left by this test; `listening` keeps it answering.
struct TestSocket {
  int fd = -1;
  explicit TestSocket(const fs::path& path, bool listening) {
    fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) ADD_FAILURE() << "bind " << path;
    if (listening) ::listen(fd, 4);
  }
  ~TestSocket() { ::close(fd); }
};

// libmilter unlinks whatever socket is at the milter's path before it binds: another service's
// socket, or the socket of a milter still running, must not go because someone started a second
// milter at that path. Only a stale socket of this account (nobody answering) is replaced.
TEST(MilterSocket, AnotherAccountsOrALiveSocketIsNotRemoved) {
  if (::geteuid() != 0) GTEST_SKIP() << "a socket of another account needs root to make";
  const fs::path dir = fs::temp_directory_path() / ("sanso-milter-socket-" + sanso::testing::random_hex(4));
  fs::create_directories(dir);
  std::ofstream(dir / "sanso.toml") << "[service]\nnode = \"gw-test\"\ndata_dir = \"data\"\npolicy = \"" << SANSO_SOURCE_DIR
                                    << "/examples/minamata/policy.toml\"\n";
  const std::string config = " --config " + (dir / "sanso.toml").string();
  {
    TestSocket others(dir / "other.sock", false);
    ASSERT_EQ(::chown((dir / "other.sock").c_str(), 1001, 1001), 0);
    auto run = sanso::testing::run_sanso("milter --listen unix:" + (dir / "other.sock").string() + config);
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_NE(run.output.find("another account's socket"), std::string::npos) << run.output;
    EXPECT_TRUE(fs::is_socket(dir / "other.sock")) << "the other account's socket is still there";
  }
  {
    TestSocket live(dir / "live.sock", true);
    auto run = sanso::testing::run_sanso("milter --listen unix:" + (dir / "live.sock").string() + config);
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_NE(run.output.find("answers on this socket"), std::string::npos) << run.output;
    EXPECT_TRUE(fs::is_socket(dir / "live.sock"));
  }
  std::ofstream(dir / "plain") << "not a socket";
  auto plain = sanso::testing::run_sanso("milter --listen unix:" + (dir / "plain").string() + config);
  EXPECT_EQ(plain.exit_code, 1) << plain.output;
  EXPECT_TRUE(fs::is_regular_file(dir / "plain"));
  fs::remove_all(dir);
}


// review29: libmilter takes "UNIX:", "Local:" (any case) and a bare path as a Unix socket too, and
// removes whatever socket is there; the check above looks for "unix:"/"local:" only. Under sudo
// anyone allowed to run sanso removes any service's live socket (D-Bus, journald, a database).
TEST(MilterSocket, AnotherSpellingOfTheAddressDoesNotRemoveALiveSocket) {
  if (::geteuid() != 0 || ::access("/usr/bin/timeout", X_OK) != 0) GTEST_SKIP() << "a socket of another account needs root to make";
  const fs::path dir = fs::temp_directory_path() / ("sanso-milter-socket29-" + sanso::testing::random_hex(4));
  fs::create_directories(dir);
  std::ofstream(dir / "sanso.toml") << "[service]\nnode = \"gw-test\"\ndata_dir = \"data\"\npolicy = \"" << SANSO_SOURCE_DIR
                                    << "/examples/minamata/policy.toml\"\n";
  const std::string config = " --config " + (dir / "sanso.toml").string();
  for (const std::string spelling : {"UNIX:", "Local:", ""}) {
    TestSocket live(dir / "live.sock", true);
    ASSERT_EQ(::chown((dir / "live.sock").c_str(), 1001, 1001), 0);
    struct stat before {};
    ASSERT_EQ(::stat((dir / "live.sock").c_str(), &before), 0);
    // A milter that got past the check listens until stopped: timeout ends it.
    auto run = sanso::testing::run_sanso("milter --listen " + spelling + (dir / "live.sock").string() + config, "timeout -s INT 10 ");
    struct stat after {};
    const bool there = ::stat((dir / "live.sock").c_str(), &after) == 0;
    EXPECT_TRUE(there && after.st_ino == before.st_ino && after.st_uid == 1001u)
        << "'" << spelling << "': the live socket of another account was replaced; " << run.output;
    ::unlink((dir / "live.sock").c_str());
  }
  fs::remove_all(dir);
}

}  // namespace
