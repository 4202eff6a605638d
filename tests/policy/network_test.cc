// Address parsing and the longest-prefix table, against a brute-force longest match.
#include "policy/network.h"

#include <gtest/gtest.h>

#include <random>

namespace sanso::policy {
namespace {

TEST(Network, ParsesAddressesStrictly) {
  EXPECT_EQ(parse_ipv4("192.0.2.1"), 0xC0000201u);
  EXPECT_EQ(parse_ipv4("0.0.0.0"), 0u);
  EXPECT_EQ(parse_ipv4("255.255.255.255"), 0xFFFFFFFFu);
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", " 1.2.3.4", "1..3.4", "1.2.3.4/8", "1.2.3.-4",
                          "1111.2.3.4", "1.2.3.4\n"}) {
    EXPECT_FALSE(parse_ipv4(bad)) << bad;
    EXPECT_FALSE(parse_ip(bad)) << bad;
  }
  auto v6 = parse_ip("2001:db8::1");
  ASSERT_TRUE(v6);
  EXPECT_FALSE(v6->v4);
  EXPECT_EQ(format_ip(v6->value), "2001:db8::1");
  auto mapped = parse_ip("::ffff:192.0.2.1");
  ASSERT_TRUE(mapped);
  EXPECT_TRUE(mapped->v4);
  EXPECT_EQ(mapped->value, parse_ip("192.0.2.1")->value);
  EXPECT_EQ(format_ip(mapped->value), "192.0.2.1");
  EXPECT_TRUE(parse_ip("fe80::1%eth0"));
  EXPECT_FALSE(parse_ip(std::string(100, ':')));
}

TEST(Network, ParsesNetworks) {
  auto c = parse_cidr("10.20.0.0/16");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->bits, 96 + 16);
  EXPECT_TRUE(c->contains(parse_ip("10.20.255.255")->value));
  EXPECT_FALSE(c->contains(parse_ip("10.21.0.0")->value));
  EXPECT_FALSE(c->host_bits_set);
  EXPECT_TRUE(parse_cidr("10.20.1.0/16")->host_bits_set);
  EXPECT_EQ(parse_cidr("0.0.0.0/0")->last(), ipv4_mapped(0xFFFFFFFF));
  EXPECT_EQ(parse_cidr("::/0")->last(), ~Address128{0});
  EXPECT_EQ(parse_cidr("192.0.2.7")->bits, 128);
  for (const char* bad : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "2001:db8::/129", "10.0.0.0/1x", "x/8", "10.0.0.0/0008"}) {
    EXPECT_FALSE(parse_cidr(bad)) << bad;
  }
}

TEST(Network, LongestPrefixWinsAndGapsFindNothing) {
  PrefixTable<int> table;
  table.add(*parse_cidr("10.0.0.0/8"), 1);
  table.add(*parse_cidr("10.20.0.0/16"), 2);
  table.add(*parse_cidr("10.20.5.0/24"), 3);
  table.add(*parse_cidr("192.0.2.0/24"), 4);
  table.add(*parse_cidr("2001:db8::/32"), 5);
  table.build();
  auto at = [&](const char* a) {
    const int* v = table.find(parse_ip(a)->value);
    return v == nullptr ? 0 : *v;
  };
  EXPECT_EQ(at("10.0.0.0"), 1);
  EXPECT_EQ(at("10.19.255.255"), 1);
  EXPECT_EQ(at("10.20.0.0"), 2);
  EXPECT_EQ(at("10.20.5.9"), 3);
  EXPECT_EQ(at("10.20.6.0"), 2);
  EXPECT_EQ(at("10.255.255.255"), 1);
  EXPECT_EQ(at("11.0.0.0"), 0);
  EXPECT_EQ(at("9.255.255.255"), 0);
  EXPECT_EQ(at("192.0.2.255"), 4);
  EXPECT_EQ(at("2001:db8:ffff::1"), 5);
  EXPECT_EQ(at("2001:db9::"), 0);
  EXPECT_EQ(at("::ffff:10.20.5.1"), 3);

  PrefixTable<int> everything;
  everything.add(*parse_cidr("::/0"), 7);
  everything.add(*parse_cidr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120"), 8);
  everything.build();
  EXPECT_EQ(*everything.find(0), 7);
  EXPECT_EQ(*everything.find(~Address128{0}), 8);
  EXPECT_EQ(*everything.find(~Address128{0} - 256), 7);
}

TEST(Network, AgreesWithBruteForceOnRandomNestedNetworks) {
  std::mt19937_64 rng(18);
  for (int round = 0; round < 50; ++round) {
    std::vector<std::pair<Cidr, int>> nets;
    PrefixTable<int> table;
    for (int i = 0; i < 40; ++i) {
      // Small IPv4 space so that networks nest often.
      const std::uint32_t base = 0x0A000000u | static_cast<std::uint32_t>(rng() & 0xFFFF);
      const int len = 16 + static_cast<int>(rng() % 17);
      Cidr c = *parse_cidr(format_ip(ipv4_mapped(base)) + "/" + std::to_string(len));
      nets.emplace_back(c, i);
      table.add(c, i);
    }
    table.build();
    for (int probe = 0; probe < 2000; ++probe) {
      const Address128 a = ipv4_mapped(0x0A000000u | static_cast<std::uint32_t>(rng() & 0x1FFFF));
      int want = -1, best_bits = -1;
      for (const auto& [c, v] : nets) {
        if (c.contains(a) && c.bits >= best_bits) {  // later wins among equal networks
          want = v;
          best_bits = c.bits;
        }
      }
      const int* got = table.find(a);
      ASSERT_EQ(got == nullptr ? -1 : *got, want) << format_ip(a);
    }
  }
}

}  // namespace
}  // namespace sanso::policy
