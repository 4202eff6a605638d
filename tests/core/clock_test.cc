#include "core/clock.h"

#include <gtest/gtest.h>

namespace sanso {
namespace {

TEST(Date, ParsesOnlyRealCalendarDays) {
  EXPECT_EQ(Date::parse("2027-03-31"), (Date{2027, 3, 31}));
  EXPECT_EQ(Date::parse("2024-02-29"), (Date{2024, 2, 29}));
  EXPECT_FALSE(Date::parse("2023-02-29"));
  EXPECT_FALSE(Date::parse("2027-02-30"));
  EXPECT_FALSE(Date::parse("2027-13-01"));
  EXPECT_FALSE(Date::parse("2027-3-31"));
  EXPECT_FALSE(Date::parse("2027-03-3a"));
  EXPECT_FALSE(Date::parse("+027-03-31"));
  EXPECT_FALSE(Date::parse(""));
}

TEST(Date, OrdersAndPrints) {
  EXPECT_LT((Date{2026, 12, 31}), (Date{2027, 1, 1}));
  EXPECT_EQ((Date{2027, 3, 1}).to_string(), "2027-03-01");
}

TEST(Date, NextDayRollsOverMonthsAndYears) {
  EXPECT_EQ((Date{2027, 3, 31}).next_day(), (Date{2027, 4, 1}));
  EXPECT_EQ((Date{2026, 12, 31}).next_day(), (Date{2027, 1, 1}));
  EXPECT_EQ((Date{2024, 2, 28}).next_day(), (Date{2024, 2, 29}));
  EXPECT_EQ((Date{2023, 2, 28}).next_day(), (Date{2023, 3, 1}));
}

TEST(FixedClock, ReportsItsDate) {
  FixedClock clock(Date{2026, 11, 25});
  EXPECT_EQ(clock.today(), (Date{2026, 11, 25}));
  EXPECT_LT(clock.now(), FixedClock(Date{2026, 11, 26}).now());
}

}  // namespace
}  // namespace sanso
