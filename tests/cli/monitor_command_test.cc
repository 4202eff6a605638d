// `sanso monitor scan` and `sanso monitor listen` end to end, with the real binary: findings as
// JSON lines, the summary, exit codes, audit records; the listener fed syslog and NetFlow over
// UDP on the loopback, stopped and restarted without repeating its findings.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <set>
#include <thread>

#include "support/audit_records.h"
#include "support/cli_runner.h"
#include "support/files.h"
#include "support/metrics_scrape.h"
#include "support/smtp_sink.h"
#include "support/test_store.h"

namespace {

namespace fs = std::filesystem;
using sanso::testing::exported_audit_records;
using sanso::testing::read_file;
using sanso::testing::run_sanso;


const std::string kZeekHeader = "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_bytes\n";

class MonitorCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sanso-monitor-cli-" + sanso::testing::random_hex(4));
    fs::create_directories(dir_);
    fs::copy_file(fs::path(SANSO_SOURCE_DIR) / "tests/data/monitor/policy.toml", dir_ / "policy.toml");
    write_config("");
    std::ofstream(dir_ / "conn.log") << kZeekHeader << "1796000000.1\tC1\t192.0.2.10\t50000\t100.64.1.1\t443\ttcp\t100\n"
                                     << "1796000001.1\tC2\t198.51.100.20\t50001\t203.0.113.25\t443\ttcp\t100\n"
                                     << "1796000002.1\tC3\t198.51.100.20\t50002\t198.51.100.21\t445\ttcp\t100\n"
                                     << "1796000003.1\tC4\t192.0.2.10\t50003\t100.64.1.1\t443\ttcp\t100\n"
                                     << "not a line\n";
    std::ofstream(dir_ / "good.log") << kZeekHeader << "1796000001.1\tC2\t198.51.100.20\t50001\t203.0.113.25\t443\ttcp\t100\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write_config(const std::string& monitor) {
    std::ofstream(dir_ / "sanso.toml") << "[service]\nnode = \"mon-test\"\ndata_dir = \"data\"\npolicy = \"policy.toml\"\n" << monitor;
    config_ = " --config " + (dir_ / "sanso.toml").string();
  }
  fs::path dir_;
  std::string config_;
};

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object()) out.push_back(j);
  }
  return out;
}

TEST_F(MonitorCli, ScanReportsFindingsAsJsonAndExitsOneOnABreach) {
  const std::string out_file = (dir_ / "out.json").string();
  const std::string err_file = (dir_ / "err.txt").string();
  auto r = run_sanso("monitor scan " + (dir_ / "conn.log").string() + " --policy " + (dir_ / "policy.toml").string() + " --json > " + out_file +
                     " 2> " + err_file + "; exit $?", "");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  auto findings = json_lines(read_file(out_file));
  ASSERT_EQ(findings.size(), 1u) << read_file(out_file);
  const auto& f = findings[0];
  EXPECT_EQ(f["rule"], "mynumber-egress");
  EXPECT_EQ(f["kind"], "separation");
  EXPECT_EQ(f["clause"], "6(3)①");
  EXPECT_EQ(f["src"], "192.0.2.10");
  EXPECT_EQ(f["src_zone"], "mynumber");
  EXPECT_EQ(f["dst"], "100.64.1.1");
  EXPECT_EQ(f["dst_zone"], "(external)");
  EXPECT_EQ(f["dport"], 443);
  EXPECT_EQ(f["proto"], "tcp");
  EXPECT_EQ(f["first_seen"], "2026-11-30T00:53:20Z");
  EXPECT_EQ(f["count"], 2);
  EXPECT_EQ(f["file"], (dir_ / "conn.log").string());
  EXPECT_EQ(f["line"], 2);
  // The summary went to stderr: flows, the malformed line with its number, the zone pairs.
  const std::string summary = read_file(err_file);
  EXPECT_NE(summary.find("conn.log:6:"), std::string::npos) << summary;
  EXPECT_NE(summary.find("lgwan → internet"), std::string::npos) << summary;
  EXPECT_EQ(read_file(out_file).find("lgwan"), std::string::npos) << "stdout holds the findings only";

  auto good = run_sanso("monitor scan " + (dir_ / "good.log").string() + " --policy " + (dir_ / "policy.toml").string() + " --lang en");
  EXPECT_EQ(good.exit_code, 0) << good.output;
  EXPECT_NE(good.output.find("flows read 1"), std::string::npos) << good.output;

  auto missing = run_sanso("monitor scan " + (dir_ / "nope.log").string() + " --policy " + (dir_ / "policy.toml").string());
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_EQ(run_sanso("monitor scan x.log").exit_code, 2);
  EXPECT_EQ(run_sanso("monitor scan x.log --policy p --format cisco").exit_code, 2);
}

TEST_F(MonitorCli, WithAConfigEveryFindingIsAnAuditRecord) {
  std::ofstream(dir_ / "indicators.txt") << "100.64.1.0/24\n";
  write_config("[monitor]\nindicator_files = [\"indicators.txt\"]\n");
  auto r = run_sanso("monitor scan " + (dir_ / "conn.log").string() + config_);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("マイナンバー利用事務系から他の領域への通信"), std::string::npos) << r.output;
  auto records = exported_audit_records(config_, "monitor.finding");
  ASSERT_EQ(records.size(), 2u);
  std::set<std::string> rules;
  for (const auto& rec : records) {
    rules.insert(rec["rule"].get<std::string>());
    EXPECT_EQ(rec["actor"], "monitor@mon-test");
    EXPECT_EQ(rec["outcome"], "breach");
    EXPECT_EQ(rec["subject"], "192.0.2.10 -> 100.64.1.1:443/tcp");
    EXPECT_EQ(rec["details"]["count"], "2");
    EXPECT_EQ(rec["details"]["source"], (dir_ / "conn.log").string() + ":2");
  }
  EXPECT_EQ(rules, (std::set<std::string>{"mynumber-egress", "indicator"}));
}

// Sends one UDP datagram to 127.0.0.1:port.
void send_udp(std::uint16_t port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  ::close(fd);
}

// `sanso monitor listen` in the background, its output in a file; the ports it bound.
struct Listener {
  pid_t pid = -1;
  std::string log;
  std::uint16_t syslog_port = 0, netflow_port = 0;
  bool start(const std::string& config, const std::string& log_file) {
    log = log_file;
    pid = ::fork();
    if (pid == 0) {
      const std::string cmd = std::string(SANSO_CLI) + " monitor listen" + config + " > " + log_file + " 2>&1";
      ::execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 300; ++i) {
      const std::string text = read_file(log_file);
      const auto at = text.find("syslog/udp ");
      if (at != std::string::npos) {
        unsigned udp = 0, tcp = 0, nf = 0;
        if (std::sscanf(text.c_str() + at, "syslog/udp %u, syslog/tcp %u, netflow/udp %u", &udp, &tcp, &nf) == 3) {
          syslog_port = static_cast<std::uint16_t>(udp);
          netflow_port = static_cast<std::uint16_t>(nf);
          return true;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  std::string stop() {
    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return read_file(log);
  }
};

TEST_F(MonitorCli, ListenCollectsSyslogAndNetflowAndARestartDoesNotRepeatFindings) {
  write_config("[monitor]\nsyslog_udp = \"127.0.0.1:0\"\nipfix_udp = \"127.0.0.1:0\"\nwindow_seconds = 86400\n");
  Listener first;
  ASSERT_TRUE(first.start(config_, (dir_ / "listen1.log").string())) << read_file(dir_ / "listen1.log");
  const std::string nft = "<4>Nov 30 00:53:20 fw kernel: sanso IN=veth0 OUT=veth1 SRC=192.0.2.10 DST=100.64.1.1 LEN=60 PROTO=TCP SPT=50000 DPT=443\n";
  const std::string sanctioned = "<4>Nov 30 00:53:21 fw kernel: IN=a OUT=b SRC=198.51.100.20 DST=203.0.113.25 LEN=60 PROTO=TCP SPT=5 DPT=443\n";
  send_udp(first.syslog_port, nft);
  send_udp(first.syslog_port, sanctioned);
  send_udp(first.syslog_port, "<4>Nov 30 00:53:21 fw kernel: IN=a SRC=198.51.100.999 DST=1.2.3.4 PROTO=TCP SPT=1 DPT=2\n");
  // NetFlow v5: one LGWAN terminal straight to the internet.
  std::string v5(24 + 48, '\0');
  auto put = [&](std::size_t at, std::uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) v5[at + i] = static_cast<char>(v >> (8 * (bytes - 1 - i)));
  };
  put(0, 5, 2);
  put(2, 1, 2);
  put(4, 1000, 4);
  put(8, 1796000000, 4);
  put(24, 0xC6336414, 4);  // 198.51.100.20
  put(28, 0x64400101, 4);  // 100.64.1.1
  put(24 + 24, 1000, 4);
  put(24 + 34, 80, 2);
  v5[24 + 38] = 6;
  send_udp(first.netflow_port, v5);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const std::string out1 = first.stop();
  auto findings = json_lines(out1);
  std::set<std::string> rules;
  for (const auto& f : findings) rules.insert(f["rule"].get<std::string>());
  EXPECT_EQ(rules, (std::set<std::string>{"mynumber-egress", "lgwan-internet"})) << out1;
  EXPECT_NE(out1.find("SRC or DST is not an IP address"), std::string::npos) << out1;
  EXPECT_EQ(exported_audit_records(config_, "monitor.finding").size(), 2u);

  // The same breach again after a restart: counted on the stored finding, not raised anew.
  Listener second;
  ASSERT_TRUE(second.start(config_, (dir_ / "listen2.log").string())) << read_file(dir_ / "listen2.log");
  send_udp(second.syslog_port, nft);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const std::string out2 = second.stop();
  EXPECT_NE(out2.find("1 findings adopted from earlier runs"), std::string::npos) << out2;
  auto again = json_lines(out2);
  ASSERT_EQ(again.size(), 1u) << out2;
  EXPECT_EQ(again[0]["count"], 2);
  EXPECT_EQ(exported_audit_records(config_, "monitor.finding").size(), 2u);

  // Each run left its heartbeat when it started and when it stopped, with the flows it received
  // (the automatic inspection item monitor-heartbeat reads them).
  const auto beats = exported_audit_records(config_, "monitor.heartbeat");
  ASSERT_EQ(beats.size(), 4u);
  EXPECT_EQ(beats[0]["outcome"], "started");
  EXPECT_EQ(beats[1]["outcome"], "stopped");
  EXPECT_EQ(beats[1]["details"]["flows"], "3") << beats[1].dump();
  EXPECT_EQ(beats[3]["details"]["flows"], "1") << beats[3].dump();
}

TEST_F(MonitorCli, ListenServesMetricsThatCountFlowsAndFindingsAndPassPromtool) {
  write_config("[monitor]\nsyslog_udp = \"127.0.0.1:0\"\nwindow_seconds = 86400\n[metrics]\nmonitor = \"127.0.0.1:0\"\n");
  Listener l;
  ASSERT_TRUE(l.start(config_, (dir_ / "listen.log").string())) << read_file(dir_ / "listen.log");
  const auto address = sanso::testing::metrics_address(read_file(dir_ / "listen.log"));
  ASSERT_TRUE(address) << read_file(dir_ / "listen.log");
  auto before = sanso::testing::scrape_metrics(address->first, address->second);
  ASSERT_TRUE(before) << "nothing answered at " << address->first << ":" << address->second;
  EXPECT_EQ(before->status, 200);
  EXPECT_EQ(sanso::testing::metric_sample(before->body, "sanso_monitor_flows_total"), 0) << before->body;

  send_udp(l.syslog_port, "<4>Nov 30 00:53:20 fw kernel: IN=a OUT=b SRC=192.0.2.10 DST=100.64.1.1 LEN=60 PROTO=TCP SPT=50000 DPT=443\n");
  send_udp(l.syslog_port, "<4>Nov 30 00:53:21 fw kernel: IN=a OUT=b SRC=198.51.100.20 DST=203.0.113.25 LEN=60 PROTO=TCP SPT=5 DPT=443\n");
  send_udp(l.syslog_port, "<4>Nov 30 00:53:21 fw kernel: IN=a SRC=198.51.100.999 DST=1.2.3.4 PROTO=TCP SPT=1 DPT=2\n");
  std::optional<sanso::testing::Scrape> after;
  for (int i = 0; i < 50; ++i) {
    after = sanso::testing::scrape_metrics(address->first, address->second);
    if (after && sanso::testing::metric_sample(after->body, "sanso_monitor_flows_total") >= 2 &&
        sanso::testing::metric_sample(after->body, "sanso_monitor_input_problems_total") >= 1) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  l.stop();
  ASSERT_TRUE(after);
  EXPECT_EQ(sanso::testing::metric_sample(after->body, "sanso_monitor_flows_total"), 2) << after->body;
  EXPECT_EQ(sanso::testing::metric_sample(after->body, "sanso_monitor_input_problems_total"), 1) << after->body;
  EXPECT_EQ(sanso::testing::metric_sample(after->body, R"(sanso_monitor_findings_total{rule="mynumber-egress",severity="deny"})"), 1) << after->body;
  EXPECT_EQ(sanso::testing::metric_sample(after->body, R"(sanso_store_errors_total{service="monitor"})"), 0) << after->body;
  auto problems = sanso::testing::promtool_problems(after->body, dir_);
  if (!problems) GTEST_SKIP() << "promtool (Debian's prometheus) is not installed";
  EXPECT_EQ(*problems, "") << after->body;
}

TEST_F(MonitorCli, AMetricsListenerThatCannotBindStopsTheServiceWithItsReason) {
  write_config("[monitor]\nsyslog_udp = \"127.0.0.1:0\"\n[metrics]\nmonitor = \"203.0.113.7:9853\"\n");
  auto r = run_sanso("monitor listen" + config_);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("[metrics] monitor"), std::string::npos) << r.output;
  write_config("[metrics]\nmonitor = \"9853\"\n");
  auto bad = run_sanso("monitor listen" + config_);
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find("must be host:port"), std::string::npos) << bad.output;
}

TEST_F(MonitorCli, AFloodOfForgedFlowsGivesTheSecurityManagerOneMailAndARestartNoneForAdoptedFindings) {
  sanso::testing::SmtpSink sink(dir_ / "sink");
  write_config("[quarantine]\nsmtp_relay = \"" + sink.relay() +
               "\"\n[monitor]\nsyslog_udp = \"127.0.0.1:0\"\nwindow_seconds = 86400\nnotify_to = [\"ciso@city.example.lg.jp\"]\n"
               "notify_from = \"monitor@city.example.lg.jp\"\nnotify_max_listed = 5\n");
  Listener first;
  ASSERT_TRUE(first.start(config_, (dir_ / "listen1.log").string())) << read_file(dir_ / "listen1.log");
  // 200 distinct forged breaches from a host name that tries to write a header.
  for (int i = 0; i < 200; ++i) {
    send_udp(first.syslog_port, "<4>Nov 30 00:53:20 fw\rBcc:x@evil.example kernel: IN=a OUT=b SRC=192.0.2.10 DST=100.64.1." + std::to_string(i % 250) +
                                    " LEN=60 PROTO=TCP SPT=50000 DPT=" + std::to_string(1000 + i) + "\n");
    if (i % 50 == 49) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const std::string out1 = first.stop();
  const auto stored = exported_audit_records(config_, "monitor.finding").size();
  EXPECT_GE(stored, 150u) << out1;
  auto mails = sink.messages(1);
  ASSERT_EQ(mails.size(), 1u) << out1;
  const std::string& m = mails[0];
  EXPECT_NE(m.find("ciso@city.example.lg.jp"), std::string::npos);
  EXPECT_EQ(m.find("evil"), std::string::npos) << "nothing of the forged line in the header, and the body is base64";
  EXPECT_NE(m.find("X-Sanso-Monitor-Findings: " + std::to_string(stored)), std::string::npos) << m.substr(0, 1500);
  auto notes = exported_audit_records(config_, "monitor.notify");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0]["outcome"], "sent");
  EXPECT_EQ(notes[0]["rule"], "mynumber-egress");
  EXPECT_EQ(notes[0]["clause"], "6(3)①");
  EXPECT_EQ(notes[0]["details"]["findings"], std::to_string(stored));
  EXPECT_EQ(notes[0]["details"]["listed"], "5");
  EXPECT_EQ(notes[0]["details"]["to"], "ciso@city.example.lg.jp");

  // After a restart the same flows are counted on the stored findings: told once already.
  Listener second;
  ASSERT_TRUE(second.start(config_, (dir_ / "listen2.log").string())) << read_file(dir_ / "listen2.log");
  send_udp(second.syslog_port, "<4>Nov 30 00:53:21 fw kernel: IN=a OUT=b SRC=192.0.2.10 DST=100.64.1.0 LEN=60 PROTO=TCP SPT=50000 DPT=1000\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const std::string out2 = second.stop();
  EXPECT_NE(out2.find("1 findings adopted"), std::string::npos) << out2;
  EXPECT_EQ(sink.messages(1).size(), 1u) << "no second mail for an adopted finding";
  EXPECT_EQ(exported_audit_records(config_, "monitor.notify").size(), 1u);

  // A scan from cron mails once for its whole run, and says so in the audit log.
  auto scan = run_sanso("monitor scan " + (dir_ / "conn.log").string() + config_);
  EXPECT_EQ(scan.exit_code, 1) << scan.output;
  EXPECT_EQ(sink.messages(2).size(), 2u);
  EXPECT_EQ(exported_audit_records(config_, "monitor.notify").size(), 2u);
}

TEST_F(MonitorCli, NotifyAddressesThatCouldSplitAHeaderAreRefusedAndARelayIsRequired) {
  write_config("[quarantine]\nsmtp_relay = \"127.0.0.1:25\"\n[monitor]\nnotify_to = [\"a@b.example>\\r\\nBcc: c@d.example\"]\n");
  auto bad = run_sanso("monitor scan " + (dir_ / "conn.log").string() + config_);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("not a plain address"), std::string::npos) << bad.output;
  write_config("[monitor]\nnotify_to = [\"ciso@city.example.lg.jp\"]\n");
  auto norelay = run_sanso("monitor scan " + (dir_ / "conn.log").string() + config_);
  EXPECT_EQ(norelay.exit_code, 1);
  EXPECT_NE(norelay.output.find("smtp_relay"), std::string::npos) << norelay.output;
}

}  // namespace
