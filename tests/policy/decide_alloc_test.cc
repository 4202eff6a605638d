// decide() must not allocate: a service answers thousands of requests a second, and an allocation
// on the hot path is both a cost and a failure mode. Counted by replacing the global operator new.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "fixtures.h"

namespace {
std::atomic<std::size_t> g_allocations{0};
}

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace sanso::policy {
namespace {

TEST(DecideAllocations, NoneOnTheHotPath) {
  auto loaded = load_checked_policy(std::string(SANSO_SOURCE_DIR) + "/examples/minamata/policy.toml", testing::kToday);
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  auto c = CompiledPolicy::compile(std::move(*loaded), testing::kToday);
  ASSERT_TRUE(c);
  const std::size_t before_baseline = g_allocations.load();
  auto* probe = new int(1);  // proves the counter sees allocations
  delete probe;
  ASSERT_EQ(g_allocations.load(), before_baseline + 1);

  const std::size_t before = g_allocations.load();
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
  EXPECT_EQ(g_allocations.load(), before);
  EXPECT_GT(allowed, 0);
}

}  // namespace
}  // namespace sanso::policy
