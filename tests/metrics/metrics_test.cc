#include "metrics/metrics.h"

#include <thread>

#include <gtest/gtest.h>

namespace sanso::metrics {
namespace {

TEST(MetricsTest, LabelValuesFromAnywhereAreEscapedSoAScrapeStillParses) {
  Registry r;
  r.counter("sanso_test_total", "A test\\counter\nwith a newline", {{"name", "a\"b\\c\nd"}}).inc(2);
  const std::string text = r.render();
  EXPECT_NE(text.find("# HELP sanso_test_total A test\\\\counter\\nwith a newline\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sanso_test_total{name=\"a\\\"b\\\\c\\nd\"} 2\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("d\"} 2\n", 0), text.find("\\nd\"} 2\n") + 2) << "no raw newline inside a label";
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithSumAndCount) {
  Registry r;
  auto& h = r.histogram("sanso_test_seconds", "Latency", {{"endpoint", "/x"}}, {0.1, 1, 0.5});
  for (double v : {0.05, 0.1, 0.3, 2.0}) h.observe(v);
  const std::string text = r.render();
  EXPECT_NE(text.find("# TYPE sanso_test_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("sanso_test_seconds_bucket{endpoint=\"/x\",le=\"0.1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sanso_test_seconds_bucket{endpoint=\"/x\",le=\"0.5\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sanso_test_seconds_bucket{endpoint=\"/x\",le=\"1\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sanso_test_seconds_bucket{endpoint=\"/x\",le=\"+Inf\"} 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sanso_test_seconds_count{endpoint=\"/x\"} 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sanso_test_seconds_sum{endpoint=\"/x\"} 2.45\n"), std::string::npos) << text;
}

TEST(MetricsTest, TheSameSeriesIsOneObjectAndCountsFromManyThreads) {
  Registry r;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&r] {
      for (int i = 0; i < 1000; ++i) r.counter("sanso_test_total", "h", {{"k", "v"}}).inc();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(r.counter("sanso_test_total", "h", {{"k", "v"}}).value(), 4000u);
  EXPECT_EQ(r.counter("sanso_test_total", "h", {{"k", "w"}}).value(), 0u);
}

TEST(MetricsDeathTest, ANameThatIsNotAMetricNameOrTwoTypesForOneNameIsABug) {
  EXPECT_DEATH(Registry().counter("sanso-bad", "h"), "invalid metric");
  EXPECT_DEATH(Registry().counter("ok_total", "h", {{"bad label", "v"}}), "invalid metric");
  EXPECT_DEATH(
      {
        Registry r;
        r.counter("x_total", "h");
        r.gauge("x_total", "h");
      },
      "two types");
}

}  // namespace
}  // namespace sanso::metrics
