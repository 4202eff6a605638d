// `sanso_monitor_bench [LINES] [DIR]`: the flow monitor against the floor and an administrator's
// awk script on the same generated logs. Writes a Zeek conn.log of LINES lines (default 10
// million) and the same flows as FortiGate lines, then times, on one core each:
//   wc -l                    — the floor: reading the bytes and finding the newlines
//   awk -F'\t' prefix check  — what an administrator would write (mawk/gawk as installed)
//   sanso (zeek, fortigate)  — parse, longest-prefix zone lookup, every rule, windows, findings
// and prints lines/s and the ratios (absolute numbers depend on the machine; the ratios less so),
// with the resident memory after a tenth of the input and after all of it (flat: it must not grow).
#include <sys/resource.h>
#include <sys/time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

#include "monitor/detector.h"
#include "monitor/scan.h"
#include "policy/load.h"

namespace {

using namespace sanso;

const char* kPolicy = R"(
[municipality]
id = "bench"
name = "ベンチ市"
[[zones]]
id = "mynumber"
name = "マイナンバー利用事務系"
cidrs = ["10.10.0.0/16"]
[[zones]]
id = "lgwan"
name = "LGWAN接続系"
cidrs = ["10.20.0.0/16", "10.21.0.0/16", "10.22.0.0/16"]
[[zones]]
id = "internet"
name = "インターネット接続系"
cidrs = ["10.30.0.0/16", "2001:db8:30::/48"]
[[zones]]
id = "dmz"
name = "公開"
cidrs = ["192.0.2.0/24"]
[network]
city_ranges = ["10.0.0.0/8", "192.0.2.0/24"]
[[endpoints]]
id = "screen"
name = "画面転送"
role = "screen_transfer"
zone = "internet"
address = "10.30.0.40"
ports = [443]
from = ["lgwan"]
)";

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

long max_rss_kb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

// Child CPU time of a shell command (user + system), the fair "per core" number for wc and awk.
double child_seconds(const std::string& command) {
  rusage before{}, after{};
  getrusage(RUSAGE_CHILDREN, &before);
  if (std::system(command.c_str()) != 0) std::fprintf(stderr, "command failed: %s\n", command.c_str());
  getrusage(RUSAGE_CHILDREN, &after);
  auto secs = [](const rusage& r) {
    return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) + static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
  };
  return secs(after) - secs(before);
}

struct Generated {
  std::string zeek, fortigate;
};

Generated generate(std::uint64_t lines, const std::string& dir) {
  Generated g{dir + "/conn.log", dir + "/fortigate.log"};
  std::FILE* z = std::fopen(g.zeek.c_str(), "w");
  std::FILE* f = std::fopen(g.fortigate.c_str(), "w");
  std::fprintf(z, "#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\n");
  std::mt19937_64 rng(18);
  const char* zones[] = {"10.10", "10.20", "10.21", "10.30", "192.0"};
  for (std::uint64_t i = 0; i < lines; ++i) {
    const std::uint64_t r = rng();
    // Mostly ordinary traffic inside a zone; about 1 in 1000 crosses it.
    const int zs = static_cast<int>(r % 5);
    const bool cross = (r >> 8) % 1000 == 0;
    const int zd = cross ? static_cast<int>((r >> 20) % 5) : zs;
    char src[32], dst[32];
    std::snprintf(src, sizeof src, "%s.%u.%u", zones[zs], static_cast<unsigned>((r >> 24) % 200), static_cast<unsigned>((r >> 32) % 250 + 1));
    std::snprintf(dst, sizeof dst, "%s.%u.%u", zones[zd], static_cast<unsigned>((r >> 40) % 200), static_cast<unsigned>((r >> 48) % 250 + 1));
    const unsigned dport = (r >> 56) % 2 ? 443 : 445;
    const std::uint64_t ts = 1796000000 + i / 3000;
    std::fprintf(z, "%llu.%06u\tC%llx\t%s\t%u\t%s\t%u\ttcp\tssl\t0.5\t%u\t%u\tSF\n", static_cast<unsigned long long>(ts), static_cast<unsigned>(i % 1000000),
                 static_cast<unsigned long long>(r >> 4), src, static_cast<unsigned>(40000 + i % 20000), dst, dport, static_cast<unsigned>(r % 5000),
                 static_cast<unsigned>((r >> 12) % 9000));
    std::fprintf(f,
                 "date=2026-11-30 time=00:53:20 devname=\"FGT\" eventtime=%llu000000000 tz=\"+0900\" logid=\"0000000013\" type=\"traffic\" "
                 "subtype=\"forward\" srcip=%s srcport=%u dstip=%s dstport=%u proto=6 action=\"accept\" sentbyte=%u rcvdbyte=%u\n",
                 static_cast<unsigned long long>(ts), src, static_cast<unsigned>(40000 + i % 20000), dst, dport, static_cast<unsigned>(r % 5000),
                 static_cast<unsigned>((r >> 12) % 9000));
  }
  std::fclose(z);
  std::fclose(f);
  return g;
}

struct Run {
  double seconds = 0;
  std::uint64_t lines = 0, flows = 0, findings = 0;
  long rss_tenth_kb = 0, rss_end_kb = 0;
};

// What `sanso monitor scan` does with one file (monitor::scan_stream), timed on this process's CPU.
Run scan(const std::string& path, monitor::Format format, const monitor::AddressPlan& plan, std::uint64_t lines_total) {
  Run run;
  const monitor::Detector* seen = nullptr;
  monitor::Detector detector(plan, nullptr, {}, [&](const monitor::Finding&) {
    ++run.findings;
    // Sampled at findings rather than per line: the first finding after a tenth of the flows.
    if (run.rss_tenth_kb == 0 && seen != nullptr && seen->stats().flows >= lines_total / 10) run.rss_tenth_kb = max_rss_kb();
  });
  seen = &detector;
  auto reader = monitor::LineReader::open_file(path);
  if (!reader) std::exit(1);
  monitor::ParserContext context;
  context.now = 1796000000 + 86400;
  const double start = cpu_seconds();
  auto report = monitor::scan_stream(**reader, format, context, detector, 0);
  detector.flush();
  run.seconds = cpu_seconds() - start;
  if (!report) std::exit(1);
  run.lines = report->lines;
  run.flows = report->flows;
  run.rss_end_kb = max_rss_kb();
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t lines = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10'000'000;
  const std::string dir = argc > 2 ? argv[2] : "/tmp";
  auto loaded = policy::load_policy(kPolicy, "bench.toml");
  auto plan = monitor::AddressPlan::build(*loaded.policy);
  if (!plan) return 1;
  std::fprintf(stderr, "generating %llu lines in %s ...\n", static_cast<unsigned long long>(lines), dir.c_str());
  const Generated g = generate(lines, dir);
  // Warm the page cache, so that every contender reads from memory.
  child_seconds("cat " + g.zeek + " " + g.fortigate + " > /dev/null");

  const double wc = child_seconds("wc -l " + g.zeek + " > /dev/null");
  const double awk = child_seconds("awk -F'\\t' '$3 ~ /^10\\.10\\./ && $5 !~ /^10\\.10\\./ {n++} END {print n+0}' " + g.zeek + " > /dev/null");
  const double awk_fg = child_seconds("awk '/srcip=10\\.10\\./ && !/dstip=10\\.10\\./ {n++} END {print n+0}' " + g.fortigate + " > /dev/null");
  const Run zeek = scan(g.zeek, monitor::Format::kZeek, *plan, lines);
  const Run forti = scan(g.fortigate, monitor::Format::kFortigate, *plan, lines);

  auto rate = [&](double seconds) { return seconds > 0 ? static_cast<double>(lines) / seconds : 0.0; };
  std::printf("monitor benchmark, %llu lines, CPU seconds on one core\n", static_cast<unsigned long long>(lines));
  std::printf("  %-34s %8.2fs %12.0f lines/s\n", "wc -l (zeek)", wc, rate(wc));
  std::printf("  %-34s %8.2fs %12.0f lines/s\n", "awk -F'\\t' prefix check (zeek)", awk, rate(awk));
  std::printf("  %-34s %8.2fs %12.0f lines/s\n", "awk prefix check (fortigate)", awk_fg, rate(awk_fg));
  std::printf("  %-34s %8.2fs %12.0f lines/s  flows %llu  findings %llu\n", "sanso zeek", zeek.seconds, rate(zeek.seconds),
              static_cast<unsigned long long>(zeek.flows), static_cast<unsigned long long>(zeek.findings));
  std::printf("  %-34s %8.2fs %12.0f lines/s  flows %llu  findings %llu\n", "sanso fortigate", forti.seconds, rate(forti.seconds),
              static_cast<unsigned long long>(forti.flows), static_cast<unsigned long long>(forti.findings));
  std::printf("ratios: sanso zeek / awk = %.2f×, sanso zeek / wc -l = %.2f×, sanso fortigate / awk = %.2f×\n", awk / zeek.seconds, wc / zeek.seconds,
              awk_fg / forti.seconds);
  std::printf("memory (max RSS): after 1/10 of the zeek log %ld KiB, after all %ld KiB\n", zeek.rss_tenth_kb, zeek.rss_end_kb);
  std::printf("targets: >= 4,000,000 zeek lines/s/core: %s; >= 2x awk: %s\n", rate(zeek.seconds) >= 4e6 ? "met" : "NOT met",
              awk / zeek.seconds >= 2 ? "met" : "NOT met");
  return 0;
}
