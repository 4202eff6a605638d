// core/log: what may reach a log (masking, escaping), the RFC 5424 line, and the lines that reach
// a syslog server over UDP and TCP on loopback — including one that is away for a moment.
#include "core/log.h"
#include "core/log_events.h"
#include "support/udp_log_sink.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>

namespace {

using sanso::log::redact;

TEST(LogRedact, MasksNumbersOfTwelveAndThirteenDigitsInEveryCommonForm) {
  EXPECT_EQ(redact("個人番号 123456789018 の写し"), "個人番号 ************ の写し");
  EXPECT_EQ(redact("番号:1234-5678-9018。"), "番号:************。");
  EXPECT_EQ(redact("1234 5678 9018"), "************");
  EXPECT_EQ(redact("法人番号=1234567890123"), "法人番号=*************");
  EXPECT_EQ(redact("全角１２３４５６７８９０１８です"), "全角************です");
  EXPECT_EQ(redact("１２３４－５６７８－９０１８"), "************") << "full-width digits and hyphens";
  EXPECT_EQ(redact("a.txt 123456789018.csv"), "a.txt ************.csv");
}

// Issue #17 H4: a number in any digit form the outgoing check reads (every Unicode decimal digit,
// 𝟏𝟐𝟑, ¹²³, ₁₂₃, ①–⑨, ⑴, ⒈, ❶, kanji written digit by digit) is masked as the ASCII one is — valid
// or not, as any 12 or 13 digits are; glyphs in ordinary text stay.
TEST(LogRedact, MasksNumbersInEveryUnicodeDigitForm) {
  EXPECT_EQ(redact("番号 𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗𝟎𝟏𝟖 です"), "番号 ************ です");
  EXPECT_EQ(redact("番号 ١٢٣٤٥٦٧٨٩٠١٨"), "番号 ************") << "Arabic-Indic";
  EXPECT_EQ(redact("۱۲۳۴-۵۶۷۸-۹۰۱۷"), "************") << "extended Arabic-Indic, not valid: masked all the same";
  EXPECT_EQ(redact("०१२३४५६७८९०१"), "************") << "Devanagari";
  EXPECT_EQ(redact("¹²³⁴⁵⁶⁷⁸⁹¹²³"), "************") << "superscripts";
  EXPECT_EQ(redact("₁₂₃₄₅₆₇₈₉₀₁₈"), "************") << "subscripts";
  EXPECT_EQ(redact("①②③④⑤⑥⑦⑧⑨①②③"), "************") << "circled";
  EXPECT_EQ(redact("⑴⑵⑶⑷ ⒌⒍⒎⒏ ❾➀➁➂"), "************") << "parenthesised, full stop, dingbats";
  EXPECT_EQ(redact("1２𝟑٤۵६৭๘⁹₀①⑧"), "************") << "mixed";
  EXPECT_EQ(redact("一二三四五六七八九〇一八"), "************") << "kanji digit by digit";
  EXPECT_EQ(redact("①会議室 x² H₂O ٢٠٢٦"), "①会議室 x² H₂O ٢٠٢٦");
  EXPECT_EQ(redact("⑫③④⑤⑥⑦⑧⑨⓪①⑧"), "⑫③④⑤⑥⑦⑧⑨⓪①⑧") << "⑫ is no single digit: ten digits";
}

TEST(LogRedact, LeavesShorterLongerAndEmbeddedNumbersAsTheyAre) {
  EXPECT_EQ(redact("audit #1234 at 2026-12-05"), "audit #1234 at 2026-12-05");
  EXPECT_EQ(redact("tel 03-1234-5678"), "tel 03-1234-5678");
  EXPECT_EQ(redact("12345678901"), "12345678901") << "11 digits";
  EXPECT_EQ(redact("12345678901234"), "12345678901234") << "14 digits";
  EXPECT_EQ(redact("sha256 a123456789012b"), "sha256 a123456789012b") << "inside a hash";
  EXPECT_EQ(redact("x123456789012"), "x123456789012");
  // Two separators in a row no longer end a number the outgoing check reads (review21a): a valid
  // one is masked; the log's own rule for any 12 or 13 digits still wants one separator.
  EXPECT_EQ(redact("1234--5678-9018"), "************");
  EXPECT_EQ(redact("1234--5678-9017"), "1234--5678-9017");
  // review20b 13: whatever the outgoing check finds, no log line shows — the spellings of file
  // names and tools ('_', '.', Japanese dashes in the 4-4-4 shape), after a letter, overlapping.
  EXPECT_EQ(redact("transfer t1: 山田_1234.5678.9018.txt failed"), "transfer t1: 山田_************.txt failed");
  EXPECT_EQ(redact("ID123456789018"), "ID************") << "valid: masked even after a letter";
  EXPECT_EQ(redact("ID123456789017"), "ID123456789017") << "not valid and not standing apart: an id's digits";
  EXPECT_EQ(redact("1234ー5678ー9018"), "************");
  EXPECT_EQ(redact("No 2018.1234.5678.9018 x"), "No **************** x");
  EXPECT_EQ(redact("client 192.168.100.120 at 2026.12.06"), "client 192.168.100.120 at 2026.12.06");
  // review21a: invisible characters between the digits hide nothing (the log shows them as <U+200B>
  // after masking, so a number left whole would be read there).
  EXPECT_EQ(redact("1234\u200B5678\u200B9018"), "************");
  EXPECT_EQ(redact("番号 1234\u00AD5678\u00AD9017 です"), "番号 ************ です") << "not valid, standing apart: masked all the same";
  EXPECT_EQ(redact("1234\u20115678\u20119017"), "************") << "the non-breaking hyphen";
}

TEST(LogLine, FollowsRfc5424WithFieldsEscapedAndSecretsRedacted) {
  const std::string line = sanso::log::rfc5424_line(
      sanso::log::Level::kInfo, "local0", "gw 1", 1764930000123456, "transfer.unlock", "解除 123456789018\r\nInjected: line",
      {{"idx", "42"}, {"reason", "a \"quoted\" \\ ]"}, {"password", "hunter2"}, {"link_token", "abc"}});
  // <134> = local0 (16) * 8 + informational (6).
  static const std::regex shape(
      R"(^<134>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.123456[+-]\d\d:\d\d gw1 sanso \d+ transfer\.unlock \[sanso@32473 idx="42" reason="a \\"quoted\\" \\\\ \\]" password="\[redacted\\\]" link_token="\[redacted\\\]"\] \xEF\xBB\xBF.*$)");
  EXPECT_TRUE(std::regex_match(line, shape)) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos) << "a line break in the text cannot start a forged line";
  EXPECT_EQ(line.find('\r'), std::string::npos);
  EXPECT_NE(line.find("<U+000D><U+000A>Injected: line"), std::string::npos) << line;
  EXPECT_EQ(line.find("123456789018"), std::string::npos);
  EXPECT_EQ(line.find("hunter2"), std::string::npos);
}

TEST(LogLine, InvalidBytesAndHostileNamesStayPrintable) {
  const std::string line = sanso::log::rfc5424_line(sanso::log::Level::kError, "daemon", "", 0, "a b\x01", std::string("x\xFFy"), {{"k=ey", "v"}});
  EXPECT_EQ(line.rfind("<27>1 ", 0), 0u) << line;  // daemon (3) * 8 + error (3)
  EXPECT_NE(line.find(" - sanso "), std::string::npos) << "an empty hostname is the nil value: " << line;
  EXPECT_NE(line.find(" a_b_ [sanso@32473 k_ey=\"v\"]"), std::string::npos) << line;
  EXPECT_NE(line.find("x<0xFF>y"), std::string::npos) << line;
}

TEST(LogRequestTarget, KeepsThePathAndRedactsSecretsInTheQueryAndTokensAnywhere) {
  using sanso::log::request_target;
  EXPECT_EQ(request_target("/transfer/t0123456789abcdef0123456789abcdef", {}), "/transfer/t0123456789abcdef0123456789abcdef")
      << "a transfer's id stays readable";
  EXPECT_EQ(request_target("/link/" + std::string(64, 'a'), {}), "/link/[redacted]") << "a download link's token";
  EXPECT_EQ(request_target("/api/v1/quarantine", {{"access_token", "sanso_" + std::string(64, '0')}, {"state", "held"}}),
            "/api/v1/quarantine?access_token=[redacted]&state=held");
  EXPECT_EQ(request_target("/x", {{"password", "hunter2"}, {"q", "sanso_" + std::string(64, 'f')}}), "/x?password=[redacted]&q=[redacted]");
  EXPECT_EQ(request_target("/audit", {{"after", "12"}}), "/audit?after=12");
}

TEST(LogLine, ARequestLineCarriesItsFactsWithNumbersMaskedAndControlsVisible) {
  const std::string target = sanso::log::request_target("/quarantine/住民_123456789018\n.csv", {{"token", "s3cret"}});
  const std::string line = sanso::log::rfc5424_line(sanso::log::Level::kInfo, "daemon", "gw1", 0, "http.request", "GET " + target + " 200",
                                                    {{"method", "GET"}, {"path", target}, {"status", "200"}, {"actor", "tanaka"}, {"client", "10.20.0.7"}});
  EXPECT_NE(line.find(R"(path="/quarantine/住民_************<U+000A>.csv?token=[redacted\])"), std::string::npos) << line;
  EXPECT_EQ(line.find("123456789018"), std::string::npos) << line;
  EXPECT_EQ(line.find("s3cret"), std::string::npos) << line;
  EXPECT_NE(line.find(R"(actor="tanaka" client="10.20.0.7")"), std::string::npos) << line;
  // A forged line break in a path is made visible.
  const std::string forged = sanso::log::rfc5424_line(sanso::log::Level::kInfo, "daemon", "gw1", 0, "http.request", "x",
                                                      {{"path", sanso::log::request_target("/a\r\n<13>1 forged", {})}});
  EXPECT_EQ(forged.find('\n'), std::string::npos);
  EXPECT_NE(forged.find("<U+000D><U+000A>"), std::string::npos) << forged;
}

TEST(LogSettings, RefusesTargetsAndFacilitiesItCannotUse) {
  for (const char* bad : {"syslog.example:514", "udp://", "udp://host", "tcp://host:0", "tcp://host:99999", "unix:relative/path", "udp://ho st:514", "http://x:1"}) {
    EXPECT_FALSE(sanso::log::check_syslog_target(bad)) << bad;
  }
  for (const char* good : {"udp://127.0.0.1:514", "tcp://[::1]:6514", "tcp://siem.city.example:514", "unix:/dev/log"}) {
    EXPECT_TRUE(sanso::log::check_syslog_target(good)) << good;
  }
  EXPECT_TRUE(sanso::log::check_facility("local7"));
  EXPECT_FALSE(sanso::log::check_facility("local8"));
}

// A loopback socket of the test's own.
struct Listener {
  int fd = -1;
  int port = 0;
  explicit Listener(int type, int fixed_port = 0) {
    fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(fixed_port));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return;
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    if (type == SOCK_STREAM) ::listen(fd, 4);
  }
  ~Listener() {
    if (fd >= 0) ::close(fd);
  }
  // Whatever arrives within `ms` (one datagram, or what one TCP connection sends until `want` bytes).
  std::string receive(int ms, int from = -1) const {
    pollfd p{from >= 0 ? from : fd, POLLIN, 0};
    if (::poll(&p, 1, ms) != 1) return "";
    char buf[65536];
    const ssize_t n = ::recv(p.fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
  }
  int accept_within(int ms) const {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, ms) != 1) return -1;
    return ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
  }
};

class LogShipping : public ::testing::Test {
 protected:
  void TearDown() override {  // back to stderr only, at its default level
    sanso::log::Settings d;
    d.level = sanso::log::Level::kWarn;
    ASSERT_TRUE(sanso::log::configure(d));
  }
};

TEST_F(LogShipping, EventsAndAuditEntriesReachASyslogServerOverUdp) {
  Listener server(SOCK_DGRAM);
  ASSERT_GT(server.port, 0);
  sanso::log::Settings s;
  s.syslog = "udp://127.0.0.1:" + std::to_string(server.port);
  s.hostname = "gw1";
  s.facility = "local3";
  ASSERT_TRUE(sanso::log::configure(s));
  EXPECT_TRUE(sanso::log::audit_events());
  sanso::log::audit({7, "file.sanitize", "blocked", "kato", "住民票_123456789018.xlsx", "lgwan-from-internet", "6(3)②"});
  const std::string line = server.receive(5000);
  ASSERT_FALSE(line.empty()) << "nothing arrived";
  // local3 (19) * 8 + notice (5) = 157: an audit entry is a notice.
  EXPECT_EQ(line.rfind("<157>1 ", 0), 0u) << line;
  EXPECT_NE(line.find(" gw1 sanso "), std::string::npos) << line;
  EXPECT_NE(line.find(" audit [sanso@32473 seq=\"7\" action=\"file.sanitize\" outcome=\"blocked\" actor=\"kato\" subject=\"住民票_************.xlsx\" "
                      "rule=\"lgwan-from-internet\" clause=\"6(3)②\"]"),
            std::string::npos)
      << line;

  sanso::log::event(sanso::log::Level::kDebug, "noise", "below info: not sent");
  sanso::log::event(sanso::log::Level::kWarn, "milter.start", "started");
  const std::string next = server.receive(5000);
  EXPECT_NE(next.find(" milter.start - \xEF\xBB\xBFstarted"), std::string::npos) << next;
}

TEST_F(LogShipping, RequestAndDecisionLinesReachTheSyslogServerAtInfoWithoutSecretsOrNumbers) {
  sanso::testing::UdpLogSink server;
  const std::string token = "sanso_" + std::string(64, 'b');
  const std::string target = sanso::log::request_target("/quarantine/1234-5678-9018", {{"access_token", token}});
  sanso::log::request({"web", "GET", target, 404, 0.0123, "tanaka", "10.20.0.7"});
  const std::string line = server.line("http.request", "tanaka");
  ASSERT_FALSE(line.empty()) << "nothing arrived";
  EXPECT_EQ(line.rfind("<30>1 ", 0), 0u) << "daemon, informational: " << line;
  EXPECT_NE(line.find(" http.request [sanso@32473 service=\"web\" method=\"GET\" path=\"/quarantine/************?access_token=[redacted\\]\" "
                      "status=\"404\" duration_s=\"0.012\" actor=\"tanaka\" client=\"10.20.0.7\"]"),
            std::string::npos)
      << line;
  EXPECT_EQ(line.find(std::string(64, 'b')), std::string::npos);
  EXPECT_EQ(line.find("9018"), std::string::npos);

  sanso::log::decision({"4XyZ1", "held", "lgwan-to-internet", "6(3)②", 1.5});
  const std::string decided = server.line("mail.decision", "4XyZ1");
  EXPECT_NE(decided.find(" mail.decision [sanso@32473 queue_id=\"4XyZ1\" verdict=\"held\" rule=\"lgwan-to-internet\" clause=\"6(3)②\" "
                         "duration_s=\"1.500\" seq=\"\"]"),
            std::string::npos)
      << decided;
}

TEST_F(LogShipping, TcpLinesAreOctetCountedAndWaitForAServerThatIsAwayForAMoment) {
  int port = 0;
  {
    Listener probe(SOCK_STREAM);
    port = probe.port;
  }  // closed: nothing listens on the port now
  ASSERT_GT(port, 0);
  sanso::log::Settings s;
  s.syslog = "tcp://127.0.0.1:" + std::to_string(port);
  s.hostname = "gw1";
  ASSERT_TRUE(sanso::log::configure(s));
  sanso::log::event(sanso::log::Level::kWarn, "store.error", "line one\nstill line one");
  sanso::log::event(sanso::log::Level::kWarn, "store.error", "line two");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  Listener server(SOCK_STREAM, port);  // the server comes back
  ASSERT_EQ(server.port, port);
  const int conn = server.accept_within(5000);
  ASSERT_GE(conn, 0) << "the shipper did not come back to the server";
  std::string got;
  for (int i = 0; i < 20 && got.find("line two") == std::string::npos; ++i) got += server.receive(500, conn);
  ::close(conn);
  // "LEN SP MSG" twice, in order, the first line's break made visible.
  static const std::regex framed(R"(^(\d+) (<28>1 [^\n]*line one<U\+000A>still line one)(\d+) (<28>1 [^\n]*line two)$)");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(got, m, framed)) << got;
  EXPECT_EQ(std::stoul(m[1].str()), m[2].str().size());
  EXPECT_EQ(std::stoul(m[3].str()), m[4].str().size());
}

// The journal's native protocol through libsystemd, received where journald would: the test's own
// socket at /run/systemd/journal/socket in a mount namespace of a child (a tmpfs over /run there, so
// the machine's /run is untouched).
TEST_F(LogShipping, TheJournalGetsEveryFieldAsItsOwnJournalField) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    auto report = [&](const std::string& text, int code) {
      (void)!::write(pipe_fds[1], text.data(), text.size());
      ::_exit(code);
    };
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("tmpfs", "/run", "tmpfs", 0, "size=1m") != 0) {
      report(std::string("no mount namespace here: ") + std::strerror(errno), 77);
    }
    std::error_code ec;
    std::filesystem::create_directories("/run/systemd/journal", ec);
    const int sock = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, "/run/systemd/journal/socket");
    if (sock < 0 || ::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) report("cannot bind the journal socket", 1);
    sanso::log::Settings s;
    s.journal = true;
    if (!sanso::log::configure(s)) report("configure failed", 1);
    sanso::log::audit({7, "transfer.unlock", "wrong-password", "suzuki", "T-1 個人番号123456789018", "ppap", "6(3)②"});
    pollfd p{sock, POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) report("nothing reached the journal socket", 1);
    char buf[65536];
    const ssize_t n = ::recv(sock, buf, sizeof buf, 0);
    report(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0), 0);
  }
  ::close(pipe_fds[1]);
  std::string got;
  char buf[65536];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << got;
  ASSERT_EQ(WEXITSTATUS(status), 0) << got;
  for (const char* field : {"MESSAGE=audit #7 transfer.unlock wrong-password\n", "PRIORITY=5\n", "SYSLOG_IDENTIFIER=sanso\n", "SANSO_EVENT=audit\n",
                            "SANSO_SEQ=7\n", "SANSO_ACTION=transfer.unlock\n", "SANSO_OUTCOME=wrong-password\n", "SANSO_ACTOR=suzuki\n",
                            "SANSO_SUBJECT=T-1 個人番号************\n", "SANSO_CLAUSE=6(3)②\n"}) {
    EXPECT_NE(got.find(field), std::string::npos) << field << " missing in:\n" << got;
  }
  EXPECT_EQ(got.find("123456789018"), std::string::npos);
}

TEST_F(LogShipping, WithoutATargetAuditEventsFollowStderrsLevel) {
  sanso::log::Settings s;
  s.level = sanso::log::Level::kWarn;
  ASSERT_TRUE(sanso::log::configure(s));
  EXPECT_FALSE(sanso::log::audit_events());
  s.level = sanso::log::Level::kInfo;
  ASSERT_TRUE(sanso::log::configure(s));
  EXPECT_TRUE(sanso::log::audit_events());
  s.audit = false;
  ASSERT_TRUE(sanso::log::configure(s));
  EXPECT_FALSE(sanso::log::audit_events());
}

}  // namespace
