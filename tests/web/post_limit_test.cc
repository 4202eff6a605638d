// The flood limit of the internet side's unauthenticated POSTs (issue #17, review 6): who counts
// as one client, and that a table full of an attacker's addresses locks nobody else out.
#include "web/internal/post_limit.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <tuple>
#include <utility>

namespace sanso::web::internal {
namespace {

using Verdict = PostLimit::Verdict;
using Clock = std::chrono::steady_clock;

std::string ipv4(std::uint32_t n) {
  return std::to_string(n >> 24 & 0xff) + "." + std::to_string(n >> 16 & 0xff) + "." + std::to_string(n >> 8 & 0xff) + "." + std::to_string(n & 0xff);
}

// Uses up `limit`'s allowance for `client`; true when exactly `n` were admitted.
bool spend(PostLimit& limit, const std::string& client, std::size_t n, Clock::time_point now) {
  for (std::size_t i = 0; i < n; ++i) {
    if (limit.admit(client, now).verdict != Verdict::kAdmit) return false;
  }
  return true;
}

// Two hexadecimal digits.
std::string hex2(int n) {
  char out[3];
  std::snprintf(out, sizeof out, "%02x", n & 0xff);
  return out;
}

// Posts once from `head` + i + `tail` for i = first, first + 1, … 255 (two hex digits), until one
// is refused: how many were admitted, and that refusal.
std::pair<std::size_t, PostLimit::Admission> until_refused(PostLimit& limit, const std::string& head, int first, const std::string& tail,
                                                           Clock::time_point now) {
  std::size_t admitted = 0;
  for (int i = first; i < 256; ++i) {
    auto a = limit.admit(head + hex2(i) + tail, now);
    if (a.verdict != Verdict::kAdmit) return {admitted, a};
    ++admitted;
  }
  return {admitted, {}};
}

// More distinct addresses than the table keeps, each posting once: a newcomer after them has an
// allowance of its own, not a pool that the flood used up.
TEST(PostLimit, AFullTableLocksNoNewcomerOut) {
  PostLimit limit(60, std::chrono::seconds(600));
  const auto now = Clock::now();
  const std::uint32_t flood = static_cast<std::uint32_t>(PostLimit::kNetworksKept) + 5000;
  for (std::uint32_t i = 0; i < flood; ++i) {
    // 10.0.0.0/8 and beyond: 70,536 attackers' addresses, 60 POSTs' worth each would do too.
    ASSERT_EQ(limit.admit(ipv4(0x0a000000u + i), now).verdict, Verdict::kAdmit) << ipv4(0x0a000000u + i);
  }
  EXPECT_LE(limit.networks_kept(), PostLimit::kNetworksKept) << "memory stays bounded";
  for (const char* newcomer : {"198.51.100.7", "198.51.100.8", "2001:db8:77::1"}) {
    EXPECT_TRUE(spend(limit, newcomer, 60, now)) << newcomer << ": its whole allowance, not a pool's remains";
    const auto over = limit.admit(newcomer, now);
    EXPECT_EQ(over.verdict, Verdict::kFirstRefusal) << newcomer;
    EXPECT_EQ(limit.admit(newcomer, now).verdict, Verdict::kRefused) << newcomer;
  }
  EXPECT_EQ(limit.admit("198.51.100.7", now).network, "198.51.100.7");
}

// The table forgets networks whose window is over before live ones, and then the least recently
// used: a client that keeps posting keeps its count while a flood of new addresses churns.
TEST(PostLimit, AFullTableForgetsTheExpiredFirstThenTheLeastRecentlyUsed) {
  PostLimit limit(3, std::chrono::seconds(600), 8);
  auto now = Clock::now();
  ASSERT_TRUE(spend(limit, "198.51.100.1", 3, now));
  EXPECT_EQ(limit.admit("198.51.100.1", now).verdict, Verdict::kFirstRefusal);
  for (int i = 0; i < 6; ++i) ASSERT_EQ(limit.admit(ipv4(0x0a000000u + static_cast<std::uint32_t>(i)), now).verdict, Verdict::kAdmit);
  // Used recently: still over its allowance while 20 new addresses pass through a table of 8.
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(limit.admit(ipv4(0x0b000000u + static_cast<std::uint32_t>(i)), now).verdict, Verdict::kAdmit);
    EXPECT_EQ(limit.admit("198.51.100.1", now).verdict, Verdict::kRefused) << "forgotten after " << i;
  }
  EXPECT_LE(limit.networks_kept(), 8u);
  // A window over: its networks go first, and its client starts afresh.
  now += std::chrono::seconds(601);
  ASSERT_EQ(limit.admit("203.0.113.1", now).verdict, Verdict::kAdmit);
  EXPECT_LE(limit.networks_kept(), 2u) << "the expired were dropped, not only one to make room";
  EXPECT_TRUE(spend(limit, "198.51.100.1", 3, now));
}

// One host's /64 is one client however its addresses are written; an IPv4-mapped address is the
// IPv4 one.
TEST(PostLimit, ANetworkIsItsBinaryPrefixNotItsSpelling) {
  PostLimit limit(4, std::chrono::seconds(600));
  const auto now = Clock::now();
  ASSERT_TRUE(spend(limit, "2001:db8::1", 2, now));
  ASSERT_TRUE(spend(limit, "2001:0db8:0:0::2", 1, now));
  ASSERT_TRUE(spend(limit, "2001:DB8:0000:0000:ffff:ffff:ffff:ffff", 1, now));
  const auto over = limit.admit("2001:db8:0:0:1::", now);
  EXPECT_EQ(over.verdict, Verdict::kFirstRefusal);
  EXPECT_EQ(over.network, "2001:db8::/64");
  EXPECT_EQ(over.allowance, 4u);
  EXPECT_EQ(limit.admit("2001:db8:0:1::1", now).verdict, Verdict::kAdmit) << "the next /64 is another client";

  ASSERT_TRUE(spend(limit, "::ffff:192.0.2.1", 2, now));
  ASSERT_TRUE(spend(limit, "192.0.2.1", 2, now));
  EXPECT_EQ(limit.admit("::ffff:c000:201", now).verdict, Verdict::kFirstRefusal);
  EXPECT_EQ(limit.admit("192.0.2.1", now).network, "192.0.2.1");
  EXPECT_EQ(PostLimit::network_of("2001:0db8:0:0:1::"), "2001:db8::/64");
  EXPECT_EQ(PostLimit::network_of("::ffff:192.0.2.1"), "192.0.2.1");
}

// A site that hands out fresh /64s gets the /56's and the /48's allowance, not one per /64.
TEST(PostLimit, IPv6CountsAgainstItsSlash64Slash56AndSlash48) {
  const std::size_t per = 5;
  PostLimit limit(per, std::chrono::seconds(600));
  const auto now = Clock::now();
  // The /56 2001:db8:1:100::/56 holds 256 /64s; a fresh /64 each request.
  auto [admitted, refused] = until_refused(limit, "2001:db8:1:1", 0, "::1", now);
  EXPECT_EQ(admitted, per * PostLimit::kWiderAllowance56);
  EXPECT_EQ(refused.verdict, Verdict::kFirstRefusal);
  EXPECT_EQ(refused.network, "2001:db8:1:100::/56");
  EXPECT_EQ(refused.allowance, per * PostLimit::kWiderAllowance56);
  EXPECT_EQ(limit.admit("2001:db8:1:1ff::9", now).verdict, Verdict::kRefused) << "recorded once per network and window";

  // Fresh /56s of one /48: the /48's allowance is the bound.
  std::tie(admitted, refused) = until_refused(limit, "2001:db8:1:", 2, "00::1", now);
  EXPECT_EQ(admitted, per * (PostLimit::kWiderAllowance48 - PostLimit::kWiderAllowance56));
  EXPECT_EQ(refused.network, "2001:db8:1::/48");
  EXPECT_EQ(refused.verdict, Verdict::kFirstRefusal);
  // Another /48 is somebody else.
  EXPECT_EQ(limit.admit("2001:db8:2::1", now).verdict, Verdict::kAdmit);
}

// A request one of its networks refuses counts against none: a /64 over its allowance cannot use
// up its /48's for the neighbours.
TEST(PostLimit, ARefusedRequestCountsAgainstNoNetwork) {
  PostLimit limit(2, std::chrono::seconds(600));
  const auto now = Clock::now();
  ASSERT_TRUE(spend(limit, "2001:db8:5::1", 2, now));
  for (int i = 0; i < 1000; ++i) ASSERT_NE(limit.admit("2001:db8:5::1", now).verdict, Verdict::kAdmit);
  EXPECT_TRUE(spend(limit, "2001:db8:5:1::1", 2, now)) << "the neighbour /64 of the same /56 and /48";
}

// Review18b 2: a /48 that is refused makes no entries for its /64s and /56s, so its fresh /64s
// cannot churn the table; and a network that spent its allowance is not pushed out by a flood of
// newcomers (which would give it a fresh allowance).
TEST(PostLimit, ARefusedNetworkMakesNoEntriesAndASpentOneOutlastsAFlood) {
  PostLimit limit(2, std::chrono::seconds(600), 64);
  const auto now = Clock::now();
  // Fresh /56s of one /48 until the /48 refuses (32 = 2 × 16).
  auto [admitted, refused] = until_refused(limit, "2001:db8:9:", 0, "00::1", now);
  ASSERT_EQ(admitted, 2 * PostLimit::kWiderAllowance48);
  ASSERT_EQ(refused.network, "2001:db8:9::/48");
  const std::size_t kept = limit.networks_kept();
  for (int i = 0; i < 256; ++i) {
    for (int j = 0; j < 4; ++j) {
      ASSERT_EQ(limit.admit("2001:db8:9:" + hex2(i) + hex2(j) + "::1", now).verdict, Verdict::kRefused);
    }
  }
  EXPECT_EQ(limit.networks_kept(), kept) << "a refused request made or kept no entry";

  PostLimit small(3, std::chrono::seconds(600), 8);
  ASSERT_TRUE(spend(small, "198.51.100.1", 3, now));
  for (std::uint32_t i = 0; i < 50; ++i) ASSERT_EQ(small.admit(ipv4(0x0a000000u + i), now).verdict, Verdict::kAdmit);
  EXPECT_LE(small.networks_kept(), 8u);
  EXPECT_EQ(small.admit("198.51.100.1", now).verdict, Verdict::kFirstRefusal) << "still spent after 50 newcomers through a table of 8";
  // Its window over, it starts afresh.
  EXPECT_TRUE(spend(small, "198.51.100.1", 3, now + std::chrono::seconds(601)));
}

// Review19a 1: one /48's fresh /64s, each under every allowance, keep at most kChildrenPer48 entries
// in the table (they are still counted against their /56 and /48), so a few /48s cannot churn the
// table and start afresh.
TEST(PostLimit, OneSlash48KeepsABoundedNumberOfEntriesAndStillCountsEveryRequest) {
  PostLimit limit(60, std::chrono::seconds(600));
  const auto now = Clock::now();
  const std::size_t at_48 = 60 * PostLimit::kWiderAllowance48;  // 960
  std::size_t admitted = 0;
  for (std::size_t i = 0; i < at_48; ++i) {
    // A fresh /64 each time, spread over 200 /56s (none of them near its allowance of 240).
    const std::string client = "2001:db8:7:" + hex2(static_cast<int>(i % 200)) + hex2(static_cast<int>(i / 200)) + "::1";
    if (limit.admit(client, now).verdict == Verdict::kAdmit) ++admitted;
  }
  EXPECT_EQ(admitted, at_48);
  EXPECT_LE(limit.networks_kept(), 1 + PostLimit::kChildrenPer48) << "one /48 and at most its bounded children";
  const auto over = limit.admit("2001:db8:7:ff00::1", now);
  EXPECT_EQ(over.verdict, Verdict::kFirstRefusal);
  EXPECT_EQ(over.network, "2001:db8:7::/48") << "every request counted against the /48";
}

// Review19a 2: a table nearly full of spent networks still holds a newcomer's /48, /56 and /64 at
// once (its own entries never push each other out), so its allowance holds.
TEST(PostLimit, ATableOfSpentNetworksStillCountsANewcomer) {
  PostLimit limit(2, std::chrono::seconds(600), 8);
  const auto now = Clock::now();
  for (std::uint32_t i = 0; i < 10; ++i) ASSERT_TRUE(spend(limit, ipv4(0x0a000000u + i), 2, now));
  EXPECT_LE(limit.networks_kept(), 8u);
  ASSERT_TRUE(spend(limit, "2001:db8:99::1", 2, now));
  const auto over = limit.admit("2001:db8:99::2", now);
  EXPECT_EQ(over.verdict, Verdict::kFirstRefusal) << "the newcomer's /64 was kept and counted";
  EXPECT_EQ(over.network, "2001:db8:99::/64");
  EXPECT_EQ(limit.admit(ipv4(0x0a000009u), now).verdict, Verdict::kFirstRefusal) << "the most recently spent is still kept";
}

// Teredo and 6to4 addresses are the IPv4 client they carry: Teredo's /64 is its server's, shared by
// all of that server's clients; 6to4 gives every IPv4 address a /48.
TEST(PostLimit, TeredoAnd6to4AreTheIPv4ClientTheyCarry) {
  PostLimit limit(2, std::chrono::seconds(600));
  const auto now = Clock::now();
  // Teredo: server 65.54.227.120, client 192.0.2.1 (inverted: 3fff:fdfe).
  EXPECT_EQ(PostLimit::network_of("2001:0:4136:e378:8000:63bf:3fff:fdfe"), "192.0.2.1");
  ASSERT_TRUE(spend(limit, "2001:0:4136:e378:8000:63bf:3fff:fdfe", 2, now));
  EXPECT_EQ(limit.admit("192.0.2.1", now).verdict, Verdict::kFirstRefusal);
  EXPECT_TRUE(spend(limit, "2001:0:4136:e378:8000:63bf:3fff:fdfd", 2, now)) << "another client of the same Teredo server";
  // 6to4: 2002:c633:6401::/48 is 198.51.100.1's.
  EXPECT_EQ(PostLimit::network_of("2002:c633:6401:5::1"), "198.51.100.1");
  ASSERT_TRUE(spend(limit, "2002:c633:6401:5::1", 1, now));
  ASSERT_TRUE(spend(limit, "2002:c633:6401:6::1", 1, now));
  EXPECT_EQ(limit.admit("198.51.100.1", now).verdict, Verdict::kFirstRefusal) << "not a /48 of its own";
}

// An IPv4 client seen through a NAT64 translator (64:ff9b::/96) is its IPv4 address, not one /64
// shared by every IPv4 user.
TEST(PostLimit, ANat64AddressIsTheIPv4ClientItCarries) {
  PostLimit limit(2, std::chrono::seconds(600));
  const auto now = Clock::now();
  ASSERT_TRUE(spend(limit, "64:ff9b::c000:201", 1, now));
  ASSERT_TRUE(spend(limit, "192.0.2.1", 1, now));
  const auto over = limit.admit("64:ff9b::192.0.2.1", now);
  EXPECT_EQ(over.verdict, Verdict::kFirstRefusal);
  EXPECT_EQ(over.network, "192.0.2.1");
  EXPECT_TRUE(spend(limit, "64:ff9b::c000:202", 2, now)) << "another IPv4 client behind the same translator";
  EXPECT_EQ(PostLimit::network_of("64:ff9b::c000:201"), "192.0.2.1");
}

// A translator with the city's own prefix (RFC 6052) is recognised only when configured: then
// each IPv4 client behind it has its own allowance, at every prefix length's layout.
TEST(PostLimit, ANetworkSpecificNat64PrefixIsRecognisedWhenConfigured) {
  const auto now = Clock::now();
  auto prefix = [](const char* text, int bits) {
    PostLimit::Nat64Prefix p;
    in6_addr a{};
    EXPECT_EQ(::inet_pton(AF_INET6, text, &a), 1);
    std::memcpy(p.bytes.data(), a.s6_addr, 16);
    p.bits = bits;
    return p;
  };
  // Unconfigured, two IPv4 clients under 2001:db8:64::/96 are one /64: the second is refused.
  PostLimit plain(1, std::chrono::seconds(600));
  ASSERT_TRUE(spend(plain, "2001:db8:64::c000:201", 1, now));
  EXPECT_NE(plain.admit("2001:db8:64::c000:202", now).verdict, Verdict::kAdmit);

  PostLimit limit(1, std::chrono::seconds(600), PostLimit::kNetworksKept, {prefix("2001:db8:64::", 96), prefix("2001:db8:100::", 48)});
  ASSERT_TRUE(spend(limit, "2001:db8:64::c000:201", 1, now));
  const auto over = limit.admit("2001:db8:64::192.0.2.1", now);
  EXPECT_EQ(over.verdict, Verdict::kFirstRefusal);
  EXPECT_EQ(over.network, "192.0.2.1");
  EXPECT_TRUE(spend(limit, "2001:db8:64::c000:202", 1, now)) << "another IPv4 client behind the same translator";
  // /48: 192.0.2.3 is bytes 6–7 and 9–10, the "u" octet (byte 8) between them.
  EXPECT_EQ(PostLimit::network_of("2001:db8:100:c000:2:300::", {prefix("2001:db8:100::", 48)}), "192.0.2.3");
  ASSERT_TRUE(spend(limit, "2001:db8:100:c000:2:300::", 1, now));
  EXPECT_EQ(limit.admit("192.0.2.3", now).verdict, Verdict::kFirstRefusal) << "the same IPv4 client, seen directly";
  // An address outside every prefix is still an IPv6 client of its own.
  EXPECT_EQ(PostLimit::network_of("2001:db8:65::1", {prefix("2001:db8:64::", 96)}), "2001:db8:65::/64");
}

}  // namespace
}  // namespace sanso::web::internal
