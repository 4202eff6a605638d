// decide() must not allocate: a service answers thousands of requests a second, and an allocation
// on the hot path is both a cost and a failure mode. Counted by replacing the global operator new.
#include <gtest/gtest.h>


#include "allocation_counter.h"
#include "fixtures.h"


namespace sanso::policy {
namespace {

TEST(DecideAllocations, NoneOnTheHotPath) {
  auto loaded = load_checked_policy(std::string(SANSO_SOURCE_DIR) + "/examples/minamata/policy.toml", testing::kToday);
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  auto c = CompiledPolicy::compile(std::move(*loaded), testing::kToday);
  ASSERT_TRUE(c);
  const std::size_t before_baseline = sanso::testing::allocation_count();
  auto* probe = new int(1);  // proves the counter sees allocations
  delete probe;
  ASSERT_EQ(sanso::testing::allocation_count(), before_baseline + 1);

  const std::size_t before = sanso::testing::allocation_count();
  int allowed = 0;
  for (int f = 0; f < c->zone_count(); ++f) {
    for (int t = 0; t < c->zone_count(); ++t) {
      for (int ch = 0; ch < kChannelCount; ++ch) {
        for (int l = -1; l < c->level_count(); ++l) {
          for (int r = -1; r < c->role_count(); ++r) {
            const Decision d = c->decide(Request{f, t, static_cast<Channel>(ch), l, r});
            allowed += d.action == Action::kAllow;
          }
        }
      }
    }
  }
  // Name resolution is allocation-free too (sorted string_view tables).
  for (int i = 0; i < 100; ++i) {
    auto q = c->resolve(RequestNames{"internet", "lgwan", "mail", "2", "staff", ""});
    ASSERT_TRUE(q);
    allowed += c->decide(*q).action == Action::kSanitize;
  }
  EXPECT_EQ(sanso::testing::allocation_count(), before);
  EXPECT_GT(allowed, 0);
}

}  // namespace
}  // namespace sanso::policy
