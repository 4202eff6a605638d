// The detector's rules one by one, on flows built here against the documentation-range policy.
#include "monitor/detector.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>

#include "monitor_fixtures.h"

namespace sanso::monitor {
namespace {

Flow flow(const char* src, const char* dst, std::uint16_t dport, std::uint8_t proto = kProtoTcp, std::int64_t time = 1796000000, std::uint64_t bytes = 0) {
  Flow f;
  f.time = time;
  f.src = policy::parse_ip(src)->value;
  f.dst = policy::parse_ip(dst)->value;
  f.sport = 40000;
  f.dport = dport;
  f.proto = proto;
  f.bytes = bytes;
  return f;
}

struct Harness {
  policy::Policy policy = testing::test_policy();
  AddressPlan plan = *AddressPlan::build(policy);
  std::vector<Finding> findings;
  Detector detector;
  explicit Harness(DetectorSettings settings = {}, const IndicatorSet* indicators = nullptr)
      : detector(plan, indicators, settings, [this](const Finding& f) { findings.push_back(f); }) {}
  std::vector<std::string> run(const std::vector<Flow>& flows) {
    std::uint64_t line = 0;
    for (const Flow& f : flows) detector.observe(f, 0, ++line);
    detector.flush();
    std::vector<std::string> out;
    for (const Finding& f : findings) out.emplace_back(info(f.rule).id);
    findings.clear();
    return out;
  }
};

using V = std::vector<std::string>;

// Feeds `flows` to the detector as a scan does (batches of Detector::kBatch: the host records asked
// for together) or one flow at a time; flow i is line i + 1 of file 0. The caller flushes.
void observe_all(Detector& detector, const std::vector<Flow>& flows, bool batched) {
  std::vector<std::uint64_t> lines(flows.size());
  for (std::size_t i = 0; i < lines.size(); ++i) lines[i] = i + 1;
  if (!batched) {
    for (std::size_t i = 0; i < flows.size(); ++i) detector.observe(flows[i], 0, lines[i]);
    return;
  }
  for (std::size_t at = 0; at < flows.size(); at += Detector::kBatch) {
    const std::size_t n = std::min(Detector::kBatch, flows.size() - at);
    detector.observe_batch(std::span(flows).subspan(at, n), 0, std::span(lines).subspan(at, n));
  }
}

TEST(MonitorDetector, AddressPlanPlacesAddresses) {
  Harness h;
  const AddressPlan& p = h.plan;
  auto at = [&](const char* a) { return std::string(p.name(p.zone_of(policy::parse_ip(a)->value))); };
  EXPECT_EQ(at("192.0.2.1"), "mynumber");
  EXPECT_EQ(at("192.0.2.200"), "(unzoned)");
  EXPECT_EQ(at("198.51.100.7"), "lgwan");
  EXPECT_EQ(at("2001:db8:30::1"), "internet");
  EXPECT_EQ(at("2001:db8:31::1"), "(unzoned)");
  EXPECT_EQ(at("100.64.1.1"), "(external)");
  EXPECT_EQ(at("::ffff:192.0.2.1"), "mynumber");
  EXPECT_EQ(at("224.0.0.251"), "(local)");
  EXPECT_EQ(at("ff02::1"), "(local)");
  EXPECT_EQ(at("255.255.255.255"), "(local)");
}

// The IPv4 directory (/16, then /24, then the prefix tables where a network ends inside a /24)
// gives the prefix tables' answer everywhere: at every network's edges, at random, in nested and
// odd-sized networks, networks written as IPv6, and in a plan with more split /16s than the
// directory has /24 tables for.
TEST(MonitorDetector, TheIpv4DirectoryAgreesWithThePrefixTables) {
  std::string text = R"(
[municipality]
id = "t"
name = "t"
[[zones]]
id = "mynumber"
name = "m"
cidrs = ["10.1.0.0/16", "10.2.3.128/25", "10.2.3.7/32", "10.4.0.0/20", "::ffff:172.16.0.0/108"]
[[zones]]
id = "lgwan"
name = "l"
cidrs = ["10.2.0.0/16", "10.3.255.254/31", "0.0.0.0/8"]
[[zones]]
id = "internet"
name = "i"
cidrs = ["10.5.5.0/24", "203.0.113.0/25"]
[network]
city_ranges = ["10.0.0.0/8", "172.16.0.0/12", "203.0.113.0/24"]
)";
  // 5,000 more /24s, each in a /16 of its own: more split /16s than there are /24 tables.
  std::string many = "cidrs = [";
  for (int a = 11; a < 31; ++a) {
    for (int b = 0; b < 250; ++b) many += "\"" + std::to_string(a) + "." + std::to_string(b) + ".7.0/24\", ";
  }
  many += "\"11.0.8.0/24\"]\n";
  text += "[[zones]]\nid = \"many\"\nname = \"n\"\n" + many;
  auto loaded = policy::load_policy(text, "v4.toml");
  ASSERT_TRUE(loaded.policy.has_value());
  auto plan = AddressPlan::build(*loaded.policy);
  ASSERT_TRUE(plan);
  std::vector<std::uint32_t> probes;
  for (std::uint32_t edge : {0x0a010000u, 0x0a020380u, 0x0a020307u, 0x0a040000u, 0x0a020000u, 0x0a03fffeu, 0x0a050500u, 0xcb007100u, 0x0a000000u,
                             0xac100000u, 0x0b000700u, 0x1ef90700u, 0x00000000u, 0x7f000001u, 0xe0000000u, 0xffffffffu}) {
    for (std::int64_t d = -300; d <= 300; ++d) probes.push_back(static_cast<std::uint32_t>(edge + d));
    for (std::uint32_t shift : {8u, 16u, 20u, 24u}) probes.push_back(edge | ((1u << shift) - 1));
  }
  std::uint64_t x = 18;
  for (int i = 0; i < 300000; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const auto r = static_cast<std::uint32_t>(x >> 32);
    // Half anywhere, half in 10/8, 11/8 … 30/8 and 172.16/12 where the networks are.
    probes.push_back(i % 2 ? r : (i % 4 == 0 ? (0x0a000000u | (r & 0x00ffffffu)) + ((r >> 27) << 24) : 0xac100000u | (r & 0x000fffffu)));
  }
  int differ = 0;
  for (std::uint32_t v4 : probes) {
    const Address128 a = policy::ipv4_mapped(v4);
    if (plan->zone_of(a) != plan->zone_of_by_prefix(a) && ++differ < 10) ADD_FAILURE() << "differs at " << (v4 >> 24) << "." << ((v4 >> 16) & 255) << "." << ((v4 >> 8) & 255) << "." << (v4 & 255);
  }
  EXPECT_EQ(differ, 0);
  auto at = [&](const char* text) { return std::string(plan->name(plan->zone_of(policy::parse_ip(text)->value))); };
  EXPECT_EQ(at("10.2.3.7"), "mynumber");
  EXPECT_EQ(at("10.2.3.8"), "lgwan");
  EXPECT_EQ(at("10.2.3.200"), "mynumber");
  EXPECT_EQ(at("172.16.9.9"), "mynumber");
  EXPECT_EQ(at("172.31.0.1"), "mynumber");  // ::ffff:172.16.0.0/108 is 172.16.0.0/12
  EXPECT_EQ(at("172.32.0.1"), "(external)");
  EXPECT_EQ(at("30.249.7.1"), "many");
  EXPECT_EQ(at("30.249.8.1"), "(external)");
  EXPECT_EQ(at("127.0.0.1"), "(local)");
}

// IPv6 outside the plan (3fff::/20, a documentation prefix the city does not hold): a global
// address is the internet, as a public IPv4 one is; a unique local address (fc00::/7) can never
// be, and is an unknown device.
TEST(MonitorDetector, Ipv6OutsideThePlanIsTheInternetUnlessUniqueLocal) {
  Harness h;
  EXPECT_EQ(h.plan.zone_of(policy::parse_ip("3fff::1")->value), h.plan.external());
  EXPECT_EQ(h.plan.zone_of(policy::parse_ip("fd12:3456::7")->value), h.plan.unzoned());
  EXPECT_EQ(h.plan.zone_of(policy::parse_ip("fe80::1")->value), h.plan.local());
  EXPECT_EQ(h.run({flow("198.51.100.20", "3fff::1", 443)}), std::vector<std::string>{"lgwan-internet"});
  EXPECT_EQ(h.run({flow("198.51.100.20", "fd12:3456::7", 443)}), std::vector<std::string>{"unzoned-address"});
  auto both = h.run({flow("192.0.2.10", "fd12:3456::7", 443)});
  std::sort(both.begin(), both.end());
  EXPECT_EQ(both, (std::vector<std::string>{"mynumber-egress", "unzoned-address"}));
}

TEST(MonitorDetector, SeparationOfTheMynumberZone) {
  Harness h;
  EXPECT_EQ(h.run({flow("192.0.2.10", "100.64.1.1", 443)}), V{"mynumber-egress"});
  EXPECT_EQ(h.run({flow("192.0.2.10", "198.51.100.20", 445)}), V{"mynumber-egress"});
  EXPECT_EQ(h.run({flow("192.0.2.10", "203.0.113.25", 443)}), V{"mynumber-egress"});  // the endpoint serves lgwan only
  EXPECT_EQ(h.run({flow("198.51.100.20", "192.0.2.10", 22)}), V{"mynumber-ingress"});
  EXPECT_EQ(h.run({flow("192.0.2.10", "192.0.2.11", 445), flow("192.0.2.10", "224.0.0.251", 5353, kProtoUdp),
                   flow("192.0.2.10", "255.255.255.255", 67, kProtoUdp)}),
            V{});
  EXPECT_EQ(h.run({flow("192.0.2.10", "192.0.2.200", 445)}), (V{"mynumber-egress", "unzoned-address"}));
}

TEST(MonitorDetector, LgwanMeetsTheInternetOnlyAtSanctionedEndpoints) {
  Harness h;
  EXPECT_EQ(h.run({flow("198.51.100.20", "203.0.113.25", 443)}), V{});
  EXPECT_EQ(h.run({flow("198.51.100.20", "203.0.113.25", 22)}), V{"lgwan-internet"});            // another port
  EXPECT_EQ(h.run({flow("198.51.100.20", "203.0.113.25", 443, kProtoUdp)}), V{"lgwan-internet"}); // another protocol
  EXPECT_EQ(h.run({flow("198.51.100.20", "100.64.1.1", 443)}), V{"lgwan-internet"});               // beyond the city
  EXPECT_EQ(h.run({flow("203.0.113.25", "198.51.100.20", 443)}), V{"lgwan-internet"});             // from the endpoint, not to it
  EXPECT_EQ(h.run({flow("203.0.113.9", "203.0.113.25", 443)}), V{});                              // internet to internet
  EXPECT_EQ(h.run({flow("198.51.100.20", "198.51.100.21", 443)}), V{});
}

TEST(MonitorDetector, TheReplyHalfOfASanctionedNetflowRecordIsSanctioned) {
  Harness h;
  Flow reply = flow("203.0.113.25", "198.51.100.20", 40000);
  reply.sport = 443;
  EXPECT_EQ(h.run({reply}), V{"lgwan-internet"});  // a connection log names the opener: this one opened it
  reply.unidirectional = true;
  EXPECT_EQ(h.run({reply}), V{});
  reply.sport = 22;  // not the endpoint's port
  EXPECT_EQ(h.run({reply}), V{"lgwan-internet"});
  Flow to_mynumber = flow("203.0.113.25", "192.0.2.10", 40000);
  to_mynumber.sport = 443;
  to_mynumber.unidirectional = true;  // the endpoint does not serve mynumber
  EXPECT_EQ(h.run({to_mynumber}), V{"mynumber-ingress"});
}

TEST(MonitorDetector, FindingsAreDeduplicatedInTheirWindow) {
  DetectorSettings s;
  s.window_seconds = 600;
  Harness h(s);
  std::vector<Flow> flows;
  for (int i = 0; i < 10; ++i) flows.push_back(flow("192.0.2.10", "100.64.1.1", 443, kProtoTcp, 1796000000 + i * 60));
  flows.push_back(flow("192.0.2.10", "100.64.1.1", 443, kProtoTcp, 1796000000 + 9 * 60 + 601));  // after the window: anew
  flows.push_back(flow("192.0.2.10", "100.64.1.1", 80));                                          // another port: its own
  std::uint64_t line = 0;
  for (const Flow& f : flows) h.detector.observe(f, 0, ++line);
  h.detector.flush();
  ASSERT_EQ(h.findings.size(), 3u);
  const Finding& first = h.findings[0];
  EXPECT_EQ(first.count, 10u);
  EXPECT_EQ(first.first_seen, 1796000000);
  EXPECT_EQ(first.last_seen, 1796000000 + 540);
  EXPECT_EQ(first.line, 1u);
  EXPECT_EQ(h.detector.stats().occurrences[static_cast<int>(Rule::kMynumberEgress)], 12u);
}

TEST(MonitorDetector, ManyDistinctFindingsAreHandedOutEarlyNotHeld) {
  DetectorSettings s;
  s.max_open_findings = 100;
  Harness h(s);
  std::uint64_t handed_before_end = 0;
  for (int i = 0; i < 5000; ++i) {
    h.detector.observe(flow("192.0.2.10", "100.64.1.1", static_cast<std::uint16_t>(i + 1)), 0, i + 1);
    if (i == 4999) handed_before_end = h.findings.size();
  }
  EXPECT_GE(handed_before_end, 4800u);
  h.detector.flush();
  EXPECT_EQ(h.findings.size(), 5000u);
}

TEST(MonitorDetector, UnknownDevicesOncePerAddress) {
  Harness h;
  auto got = h.run({flow("192.0.2.200", "198.51.100.20", 80), flow("192.0.2.200", "198.51.100.21", 81), flow("198.51.100.20", "192.0.2.201", 82)});
  EXPECT_EQ(got, (V{"unzoned-address", "unzoned-address"}));
}

TEST(MonitorDetector, IndicatorListsAndTheirReload) {
  const auto dir = std::filesystem::temp_directory_path() / ("sanso-indicators-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string list = (dir / "bad.txt").string();
  std::ofstream(list) << "# 通報されたアドレス\n100.64.9.9\n100.65.0.0/16  # C2 range\nnot-an-address\n\n";
  auto set = IndicatorSet::load({list});
  ASSERT_TRUE(set) << set.error().to_string();
  EXPECT_EQ(set->entries(), 2u);
  ASSERT_EQ(set->problems().size(), 1u);
  EXPECT_EQ(set->problems()[0].line, 4u);
  Harness h({}, &*set);
  EXPECT_EQ(h.run({flow("198.51.100.20", "100.65.3.3", 443)}), (V{"lgwan-internet", "indicator"}));
  EXPECT_EQ(h.run({flow("203.0.113.9", "100.64.9.9", 443)}), V{"indicator"});
  EXPECT_EQ(h.run({flow("100.64.9.9", "203.0.113.9", 443)}), V{"indicator"});
  EXPECT_EQ(h.run({flow("203.0.113.9", "100.64.9.10", 443)}), V{});

  std::ofstream(list) << "100.64.9.10\n";
  std::filesystem::last_write_time(list, std::filesystem::last_write_time(list) + std::chrono::seconds(5));
  auto reloaded = set->reload_if_changed();
  ASSERT_TRUE(reloaded);
  EXPECT_TRUE(*reloaded);
  EXPECT_EQ(h.run({flow("203.0.113.9", "100.64.9.10", 443)}), V{"indicator"});
  EXPECT_FALSE(*set->reload_if_changed());

  std::filesystem::remove(list);  // gone: the last lists stay in force
  EXPECT_FALSE(set->reload_if_changed());
  EXPECT_EQ(h.run({flow("203.0.113.9", "100.64.9.10", 443)}), V{"indicator"});
  std::filesystem::remove_all(dir);
  EXPECT_FALSE(IndicatorSet::load({list}));
}

// Hourly buckets; a finding above 10× the baseline and 1,000 bytes.
DetectorSettings hourly_volume() {
  DetectorSettings s;
  s.volume_bucket_seconds = 3600;
  s.volume_min_bytes = 1000;
  s.volume_factor = 10;
  return s;
}

TEST(MonitorDetector, VolumeFarAboveTheHostsOwnBaseline) {
  const DetectorSettings s = hourly_volume();
  Harness h(s);
  std::vector<Flow> flows;
  const std::int64_t t0 = 1795996800;  // an hour boundary
  for (int hour = 0; hour < 5; ++hour) flows.push_back(flow("198.51.100.20", "198.51.100.21", 445, kProtoTcp, t0 + hour * 3600, 5000));
  // An ordinary hour for another host with a big, steady habit: no finding.
  for (int hour = 0; hour < 6; ++hour) flows.push_back(flow("198.51.100.30", "198.51.100.21", 445, kProtoTcp, t0 + hour * 3600, 900000));
  flows.push_back(flow("198.51.100.20", "198.51.100.21", 445, kProtoTcp, t0 + 5 * 3600, 49000));   // 54,000: ≤ 10× 5,000
  flows.push_back(flow("198.51.100.20", "198.51.100.21", 445, kProtoTcp, t0 + 5 * 3600 + 1, 2000)); // 56,000: over
  flows.push_back(flow("198.51.100.20", "198.51.100.21", 445, kProtoTcp, t0 + 5 * 3600 + 2, 9000)); // same bucket: once
  EXPECT_EQ(h.run(flows), V{"volume"});
  // The host table grows, and stops at its limit: hosts beyond it are counted, not tracked.
  DetectorSettings capped = s;
  capped.max_tracked_hosts = 3000;
  Harness many(capped);
  std::vector<Flow> spread;
  for (int i = 0; i < 5000; ++i) {
    Flow f = flow("2001:db8:30::", "2001:db8:30::1:1", 445, kProtoTcp, t0, 100);
    f.src += static_cast<Address128>(i + 1);  // 5000 hosts of the internet zone
    spread.push_back(f);
  }
  for (int round = 0; round < 2; ++round) {
    std::uint64_t line = 0;
    for (const Flow& f : spread) many.detector.observe(f, 0, ++line);
  }
  EXPECT_EQ(many.detector.stats().hosts_untracked, 2u * 2000u);
  // A new host has no baseline yet, however much it sends.
  Harness fresh(s);
  EXPECT_EQ(fresh.run({flow("198.51.100.40", "198.51.100.21", 445, kProtoTcp, t0, 1ull << 40)}), V{});
}

// IPv4 hosts are kept in a table of their own (32-byte slots), every other address in another:
// both grow, each host keeps its own baseline, an IPv4 address written as IPv4-mapped IPv6 is the
// same host, and the limit on tracked hosts counts the two tables together.
TEST(MonitorDetector, Ipv4AndIpv6HostsEachKeepTheirOwnBaseline) {
  DetectorSettings s;
  s.volume_bucket_seconds = 3600;
  s.volume_min_bytes = 1000;
  const std::int64_t t0 = 1795996800;
  std::vector<Flow> flows;
  std::set<std::string> bursting;
  auto host_flow = [&](int host, int hour) {
    // 512 IPv4 hosts (every address of the three zones), then 2,000 IPv6 hosts of the internet
    // zone; each talks inside its own zone. (Growing past the first table:
    // HostTablesGrowPastTheirFirstHugePage.)
    Flow f;
    if (host < 256) {
      f = flow("198.51.100.0", "198.51.100.1", 445);
    } else if (host < 384) {
      f = flow("192.0.2.0", "192.0.2.1", 445);
    } else if (host < 512) {
      f = flow("203.0.113.0", "203.0.113.1", 445);
    } else {
      f = flow("2001:db8:30::", "2001:db8:30::1:1", 445);
    }
    f.src += static_cast<Address128>(host < 512 ? host % 128 + (host < 256 ? host - host % 128 : 0) : host);
    f.time = t0 + hour * 3600 + host % 60;
    const bool burst = hour == 4 && host % 7 == 0;
    f.bytes = burst ? 90000 : 500;
    if (burst) bursting.insert(policy::format_ip(f.src));
    return f;
  };
  for (int hour = 0; hour < 5; ++hour) {
    for (int host = 0; host < 2512; ++host) flows.push_back(host_flow(host, hour));
  }
  Harness h(s);
  std::uint64_t line = 0;
  for (const Flow& f : flows) h.detector.observe(f, 0, ++line);
  h.detector.flush();
  std::set<std::string> raised;
  for (const Finding& f : h.findings) {
    if (f.rule == Rule::kVolume) raised.insert(policy::format_ip(f.src));
  }
  EXPECT_EQ(raised.size(), 74u + 285u);  // every 7th host: 74 of the IPv4 ones, 285 of the IPv6 ones
  EXPECT_EQ(raised, bursting);
  EXPECT_EQ(h.detector.stats().hosts_untracked, 0u);

  // 198.51.100.20's history, then its burst written as ::ffff:198.51.100.20: the same host.
  Harness mapped(s);
  std::vector<Flow> same;
  for (int hour = 0; hour < 4; ++hour) same.push_back(flow("198.51.100.20", "198.51.100.21", 445, kProtoTcp, t0 + hour * 3600, 500));
  same.push_back(flow("::ffff:198.51.100.20", "198.51.100.21", 445, kProtoTcp, t0 + 4 * 3600, 90000));
  EXPECT_EQ(mapped.run(same), V{"volume"});

  // The limit counts both tables: 512 IPv4 hosts first, then IPv6 ones up to 600.
  DetectorSettings capped = s;
  capped.max_tracked_hosts = 600;
  Harness limited(capped);
  line = 0;
  for (int host = 0; host < 2512; ++host) limited.detector.observe(host_flow(host, 0), 0, ++line);
  EXPECT_EQ(limited.detector.stats().hosts_untracked, 2512u - 600u);
}

// observe_batch (what scans use: the host records asked for together) raises exactly what
// observe() one flow at a time does — the same findings, counts and lines, in the same order —
// (8,000 hosts; the tables' growth with batches: HostTablesGrowPastTheirFirstHugePage).
TEST(MonitorDetector, BatchesRaiseWhatOneFlowAtATimeRaises) {
  DetectorSettings s;
  s.volume_bucket_seconds = 3600;
  s.volume_min_bytes = 1000;
  const std::int64_t t0 = 1795996800;
  std::vector<Flow> flows;
  for (int hour = 0; hour < 5; ++hour) {
    for (int host = 0; host < 8000; ++host) {
      // Hosts of the internet zone; each 97th one sends a burst in the last hour.
      Flow f = flow("2001:db8:30::", "2001:db8:30::1:1", 443, kProtoTcp, t0 + hour * 3600 + host % 60, hour == 4 && host % 97 == 0 ? 90000 : 500);
      f.src += static_cast<Address128>(host + 1);
      flows.push_back(f);
      if (host % 500 == 0) flows.push_back(flow("192.0.2.10", "203.0.113.7", 443, kProtoTcp, t0 + hour * 3600, 10));  // 6(3)①
      if (host % 700 == 0) flows.push_back(flow("198.51.100.20", "203.0.113.9", 80, kProtoTcp, t0 + hour * 3600, 10));  // 6(3)②
    }
  }
  auto seen = [](const std::vector<Finding>& found) {
    std::vector<std::string> out;
    for (const Finding& f : found) {
      out.push_back(std::string(info(f.rule).id) + " " + std::to_string(static_cast<std::uint64_t>(f.src)) + " " + std::to_string(f.count) + " " +
                    std::to_string(f.first_seen) + " " + std::to_string(f.line) + " " + f.detail);
    }
    return out;
  };
  Harness one(s);
  observe_all(one.detector, flows, false);
  one.detector.flush();
  Harness batched(s);
  observe_all(batched.detector, flows, true);
  batched.detector.flush();
  ASSERT_FALSE(one.findings.empty());
  EXPECT_EQ(seen(batched.findings), seen(one.findings));
  EXPECT_EQ(std::count_if(one.findings.begin(), one.findings.end(), [](const Finding& f) { return f.rule == Rule::kVolume; }), 83);
  EXPECT_EQ(batched.detector.stats().flows, flows.size());
  EXPECT_EQ(batched.detector.stats().hosts_untracked, 0u);
}

// The host tables start with what their first 2 MiB page holds (65,536 IPv4 slots, 32,768 IPv6
// ones) and double past half full: 70,000 IPv4 and 40,000 IPv6 hosts make each grow twice, and
// every host keeps its own baseline through it, batched or one flow at a time.
TEST(MonitorDetector, HostTablesGrowPastTheirFirstHugePage) {
  // One zone holding a /15 of IPv4 and a /48 of IPv6: room for all of them.
  auto loaded = policy::load_policy(R"(municipality = { id = "grow", name = "増加市" }
zones = [{ id = "lgwan", name = "LGWAN接続系", cidrs = ["10.20.0.0/15", "2001:db8:30::/48"] }]
)",
                                    "grow.toml");
  ASSERT_TRUE(loaded.policy.has_value());
  auto plan = AddressPlan::build(*loaded.policy);
  ASSERT_TRUE(plan.has_value());
  DetectorSettings s;
  s.volume_bucket_seconds = 3600;
  s.volume_min_bytes = 1000;
  const std::int64_t t0 = 1795996800;
  constexpr int kV4 = 70000, kV6 = 40000;
  std::vector<Flow> flows;
  std::set<Address128> bursting;
  for (int hour = 0; hour < 4; ++hour) {
    for (int host = 0; host < kV4 + kV6; ++host) {
      Flow f = host < kV4 ? flow("10.20.0.0", "10.20.0.1", 445) : flow("2001:db8:30::", "2001:db8:30::1:1", 445);
      f.src += static_cast<Address128>(host < kV4 ? host : host - kV4 + 1);
      f.time = t0 + hour * 3600 + host % 60;
      const bool burst = hour == 3 && host % 7 == 0;
      f.bytes = burst ? 90000 : 500;
      if (burst) bursting.insert(f.src);
      flows.push_back(f);
    }
  }
  auto raised = [&](bool batched) {
    std::set<Address128> out;
    Detector detector(*plan, nullptr, s, [&](const Finding& f) {
      if (f.rule == Rule::kVolume) out.insert(f.src);
    });
    observe_all(detector, flows, batched);
    detector.flush();
    EXPECT_EQ(detector.stats().hosts_untracked, 0u);
    return out;
  };
  EXPECT_EQ(bursting.size(), 10000u + 5715u);
  EXPECT_EQ(raised(true), bursting);
  EXPECT_EQ(raised(false), bursting);
}

// An IPv4 host is looked for in the four slots of its home's line and the next one at once, and
// past them one slot at a time: 40,000 hosts (the first table grows once, and at its load some
// hosts lie past their home line) each send their own number of bytes an hour, and a third of
// them a burst in the fourth hour; each burst is that host's alone, measured against that host's
// own baseline (a host given another's record would count the wrong bytes or raise for the
// wrong host), batched and one flow at a time.
TEST(MonitorDetector, EveryIpv4HostKeepsItsOwnRecordWhereverItsSlotIs) {
  auto loaded = policy::load_policy(R"(municipality = { id = "slots", name = "区画市" }
zones = [{ id = "lgwan", name = "LGWAN接続系", cidrs = ["10.20.0.0/15"] }]
)",
                                    "slots.toml");
  ASSERT_TRUE(loaded.policy.has_value());
  auto plan = AddressPlan::build(*loaded.policy);
  ASSERT_TRUE(plan.has_value());
  DetectorSettings s;
  s.volume_bucket_seconds = 3600;
  s.volume_min_bytes = 1000;
  const std::int64_t t0 = 1795996800;
  constexpr int kHosts = 40000;
  std::vector<Flow> flows;
  std::map<Address128, std::string> expected;  // the burst's detail, per host
  for (int hour = 0; hour < 4; ++hour) {
    for (int host = 0; host < kHosts; ++host) {
      Flow f = flow("10.20.0.0", "10.20.0.1", 445);
      f.src += static_cast<Address128>(host);
      f.time = t0 + hour * 3600 + host % 60;
      const std::uint64_t own = 500 + static_cast<std::uint64_t>(host);
      const bool burst = hour == 3 && host % 3 == 0;
      f.bytes = burst ? own * 20 : own;
      if (burst) expected[f.src] = std::to_string(own * 20) + " bytes in 3600s from " + std::to_string(own) + " bytes per bucket (baseline)";
      flows.push_back(f);
    }
  }
  for (bool batched : {true, false}) {
    std::map<Address128, std::string> raised;
    Detector detector(*plan, nullptr, s, [&](const Finding& f) {
      if (f.rule == Rule::kVolume) raised[f.src] = f.detail;
    });
    observe_all(detector, flows, batched);
    detector.flush();
    EXPECT_EQ(detector.stats().hosts_untracked, 0u);
    EXPECT_EQ(raised.size(), 13334u) << batched;
    EXPECT_TRUE(raised == expected) << batched;
  }
}

// A sweep that cannot close anything returns at once (it knows the oldest open finding's last
// time); a finding opened by a late flow, older than every open one, still closes on time, and
// so does the one that was oldest before it, once its own window has passed.
TEST(MonitorDetector, SweepsCloseALateFindingOlderThanTheOpenOnes) {
  DetectorSettings s;
  s.window_seconds = 600;
  Harness h(s);
  const std::int64_t t = 1796000000;
  h.detector.observe(flow("192.0.2.10", "100.64.1.1", 443, kProtoTcp, t + 10000), 0, 1);
  h.detector.expire();
  EXPECT_TRUE(h.findings.empty());
  h.detector.observe(flow("192.0.2.10", "100.64.1.1", 80, kProtoTcp, t), 0, 2);  // late: older than the open one
  h.detector.expire();
  ASSERT_EQ(h.findings.size(), 1u);
  EXPECT_EQ(h.findings[0].dport, 80);
  h.detector.observe(flow("198.51.100.20", "198.51.100.21", 445, kProtoTcp, t + 10600), 0, 3);  // inside a zone: no finding
  h.detector.expire();
  EXPECT_EQ(h.findings.size(), 1u);  // 443's window is still open (last seen + 600 is not before the latest flow)
  h.detector.observe(flow("198.51.100.20", "198.51.100.21", 445, kProtoTcp, t + 10601), 0, 4);
  h.detector.expire();
  ASSERT_EQ(h.findings.size(), 2u);
  EXPECT_EQ(h.findings[1].dport, 443);
  h.detector.flush();
  EXPECT_EQ(h.findings.size(), 2u);
}

// The volume rule as one record per host kept it (before the hot and cold split), to hold the
// detector's decisions against: which flow raises a finding, for which bucket, with what detail.
struct VolumeReference {
  struct Record {
    std::int64_t bucket = INT64_MIN;
    std::uint64_t bytes = 0;
    double baseline = 0;
    std::uint16_t history = 0;
    bool flagged = false;
  };
  explicit VolumeReference(DetectorSettings settings) : s(settings) {}
  DetectorSettings s;
  std::map<Address128, Record> hosts;
  std::vector<std::string> raised;
  // Bytes above this in a bucket are a finding, once the host has its history.
  double limit(const Record& h) const {
    const double from_baseline = s.volume_factor * (h.baseline < 1.0 ? 1.0 : h.baseline);
    const double floor = static_cast<double>(s.volume_min_bytes);
    return from_baseline < floor ? floor : from_baseline;
  }
  void observe(const Flow& flow, std::uint64_t line) {
    Record& h = hosts[flow.src];
    // The bucket's start: rounded down, for times before 1970 too.
    std::int64_t start = flow.time / s.volume_bucket_seconds * s.volume_bucket_seconds;
    if (start > flow.time) start -= s.volume_bucket_seconds;
    if (start < h.bucket) return;  // a bucket that has been closed takes nothing more
    if (start != h.bucket) {
      if (h.bucket != INT64_MIN) {  // the bucket that closes goes into the baseline
        const double closed = static_cast<double>(h.bytes);
        h.baseline = h.history > 0 ? 0.7 * h.baseline + 0.3 * closed : closed;
        h.history = static_cast<std::uint16_t>(std::min<int>(h.history + 1, UINT16_MAX));
      }
      h = Record{start, 0, h.baseline, h.history, false};
    }
    h.bytes += flow.bytes;
    const bool over = !h.flagged && h.history >= s.volume_min_history && static_cast<double>(h.bytes) > limit(h);
    if (!over) return;
    h.flagged = true;
    std::ostringstream said;
    said << line << ' ' << policy::format_ip(flow.src) << ' ' << start << ' ' << h.bytes << " bytes in " << s.volume_bucket_seconds << "s from "
         << std::fixed << std::setprecision(0) << h.baseline << " bytes per bucket (baseline)";
    raised.push_back(said.str());
  }
};

// What the detector raised for the volume rule, as VolumeReference writes it.
std::vector<std::string> volume_decisions(const std::vector<Finding>& findings) {
  std::vector<std::pair<std::uint64_t, std::string>> found;
  for (const Finding& f : findings) {
    if (f.rule != Rule::kVolume) continue;
    EXPECT_EQ(f.count, 1u);  // a bucket raises once
    // The finding's key is (host, bucket); the bucket is not in the Finding, so it is taken from
    // the flow's time as the rule takes it.
    found.emplace_back(f.line, policy::format_ip(f.src) + " " + f.detail);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (const auto& [line, text] : found) out.push_back(std::to_string(line) + " " + text);
  return out;
}

std::vector<std::string> without_bucket(std::vector<std::string> raised) {
  for (std::string& r : raised) {
    // "line address bucket detail" → "line address detail"
    const std::size_t a = r.find(' ');
    const std::size_t b = r.find(' ', a + 1);
    const std::size_t c = r.find(' ', b + 1);
    r.erase(b, c - b);
  }
  return raised;
}

// The volume rule's decisions at its edges: a bucket's bytes equal to the limit are not a
// finding and one more byte is; a flow in the bucket's last second counts in it and one a second
// later opens the next; a late flow for a closed bucket counts nowhere; limits above 2^53 (where
// not every byte count is a double) and at 2^64; byte counts that wrap. Every flow's decision is
// held against VolumeReference (the rule as one record per host kept it), and a few by hand.
TEST(MonitorDetector, VolumeDecisionsAtTheThresholdAndAcrossBucketsAreTheRulesExactly) {
  const std::int64_t t0 = 1795996800;  // an hour boundary
  {
    const DetectorSettings s = hourly_volume();
    Harness h(s);
    std::vector<Flow> flows;
    for (int hour = 0; hour < 4; ++hour) flows.push_back(flow("198.51.100.20", "198.51.100.21", 445, kProtoTcp, t0 + hour * 3600 + 3599, 5000));
    // Baseline 5,000: the limit is 50,000 bytes.
    flows.push_back(flow("198.51.100.20", "198.51.100.21", 445, kProtoTcp, t0 + 4 * 3600, 30000));
    flows.push_back(flow("198.51.100.20", "198.51.100.21", 445, kProtoTcp, t0 + 4 * 3600 + 3599, 20000));  // 50,000: at it
    flows.push_back(flow("198.51.100.20", "198.51.100.21", 445, kProtoTcp, t0 + 3 * 3600 + 10, 90000));    // late: counts nowhere
    flows.push_back(flow("198.51.100.20", "198.51.100.21", 445, kProtoTcp, t0 + 4 * 3600 + 3599, 1));      // 50,001: over
    // The next bucket: baseline 0.7 × 5,000 + 0.3 × 50,001 = 18,500.3, the limit 185,003 bytes.
    flows.push_back(flow("198.51.100.20", "198.51.100.21", 445, kProtoTcp, t0 + 5 * 3600, 185003));
    flows.push_back(flow("198.51.100.20", "198.51.100.21", 445, kProtoTcp, t0 + 5 * 3600 + 1, 1));  // over
    for (std::size_t i = 0; i < flows.size(); ++i) h.detector.observe(flows[i], 0, i + 1);
    h.detector.flush();
    VolumeReference ref(s);
    for (std::size_t i = 0; i < flows.size(); ++i) ref.observe(flows[i], i + 1);
    EXPECT_EQ(volume_decisions(h.findings), without_bucket(ref.raised));
    EXPECT_EQ(without_bucket(ref.raised),
              (V{"8 198.51.100.20 50001 bytes in 3600s from 5000 bytes per bucket (baseline)", "10 198.51.100.20 185004 bytes in 3600s from 18500 bytes per bucket (baseline)"}));
  }
  // Hostile and random: a few hosts, times that step back across bucket edges and jump by years
  // (outside what a hot slot's 32-bit bucket holds), byte counts from 1 to 2^64 - 1, limits
  // around 2^53 and 2^64.
  struct Case {
    std::int64_t bucket;
    double factor;
    std::uint64_t min_bytes;
    int min_history;
    std::uint64_t big;  // the size of a large flow
  };
  const Case cases[] = {
      {3600, 10, 1000, 3, 60000},
      {60, 2, 1, 1, 5000},
      {3600, 1, (1ull << 53) + 1, 1, 1ull << 52},
      {3600, 1.5, (1ull << 62) + 12345, 2, 1ull << 61},
      {7, 1e30, 0, 1, UINT64_MAX / 3},  // a limit above 2^64: never a finding
      {3600, -1, 0, 0, 10},             // a limit of 0: every flow is over
  };
  std::uint64_t seed = 0x9e3779b97f4a7c15ull;
  auto next = [&] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  for (const Case& c : cases) {
    DetectorSettings s;
    s.volume_bucket_seconds = c.bucket;
    s.volume_factor = c.factor;
    s.volume_min_bytes = c.min_bytes;
    s.volume_min_history = c.min_history;
    std::vector<Flow> flows;
    std::int64_t t = t0 - 5;
    for (int i = 0; i < 60000; ++i) {
      const std::uint64_t r = next();
      if (r % 1000 == 0) {
        t += (r % 2000 < 1000 ? -1 : 1) * static_cast<std::int64_t>(5000000000ll + (r >> 20) % 100000);  // years
      } else if (r % 50 == 0) {
        t -= static_cast<std::int64_t>((r >> 8) % (2 * c.bucket + 2));  // back, across an edge or two
      } else {
        t += static_cast<std::int64_t>((r >> 8) % (c.bucket / 4 + 2));
      }
      Flow f = r % 5 == 0 ? flow("2001:db8:30::", "2001:db8:30::1:1", 443) : flow("198.51.100.0", "198.51.100.1", 445);
      f.src += static_cast<Address128>((r >> 32) % 6);
      f.time = t;
      const std::uint64_t size = (r >> 40) % 16;
      f.bytes = size == 0 ? UINT64_MAX - (r >> 50) : size < 4 ? c.big + (r >> 44) % 3 - 1 : 1 + (r >> 36) % (c.big / 8 + 1);
      flows.push_back(f);
    }
    VolumeReference ref(s);
    for (std::size_t i = 0; i < flows.size(); ++i) ref.observe(flows[i], i + 1);
    Harness h(s);
    observe_all(h.detector, flows, true);
    h.detector.flush();
    EXPECT_EQ(volume_decisions(h.findings), without_bucket(ref.raised)) << "bucket " << c.bucket << ", factor " << c.factor;
    if (c.factor < 1e20) {
      EXPECT_GT(ref.raised.size(), 3u) << "bucket " << c.bucket;
    }
  }
}

}  // namespace
}  // namespace sanso::monitor
