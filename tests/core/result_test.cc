#include "core/result.h"

#include <gtest/gtest.h>

namespace sanso {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return make_error("test.not-positive", "arg", "must be positive");
  return v;
}

Result<int> doubled(int v) {
  int x = SANSO_TRY(parse_positive(v));
  return x * 2;
}

Result<void> check(int v) {
  SANSO_TRY(parse_positive(v));
  return {};
}

TEST(Result, CarriesValueOrError) {
  auto ok = parse_positive(3);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, 3);
  auto bad = parse_positive(-1);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, "test.not-positive");
}

TEST(Result, TryPropagatesErrorAndYieldsValue) {
  EXPECT_EQ(doubled(4).value(), 8);
  auto bad = doubled(0);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().where, "arg");
  EXPECT_TRUE(check(1).has_value());
  EXPECT_FALSE(check(0).has_value());
}

TEST(Error, FormatsWhereMessageAndCode) {
  EXPECT_EQ(make_error("policy.x", "p.toml:3:4", "bad thing").to_string(), "p.toml:3:4: bad thing [policy.x]");
  EXPECT_EQ(make_error("c", "", "m").to_string(), "m [c]");
}

}  // namespace
}  // namespace sanso
