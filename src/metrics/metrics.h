// Metrics: counters, gauges and latency histograms that a service keeps while it works, and their
// exposition in the Prometheus text format (version 0.0.4) for `/metrics` (docs/api.md).
//
// One registry per process (`Registry::global()`): a component takes its series once, at start or
// on first use, and from then on an update is an atomic add or a short lock, never an allocation.
// A series is a metric name plus fixed label values; names and label names are the program's own
// constants (checked here), label values may come from anywhere and are escaped on output.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sanso::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value read at scrape time (items waiting in the quarantine, the audit log's size).
class Gauge {
 public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  // For a depth kept as work enters and leaves (messages in flight, jobs waiting for a worker).
  void add(double d) noexcept {
    double old = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(old, old + d, std::memory_order_relaxed)) {
    }
  }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations (seconds) counted into cumulative buckets, with their sum and count.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double value) noexcept;
  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf
    double sum = 0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  const std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::vector<std::uint64_t> counts_;  // per bucket (not cumulative), last is +Inf
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

// Latency buckets for request handling, 1 ms to 60 s.
const std::vector<double>& latency_buckets();

class Registry {
 public:
  static Registry& global();
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The series of `name` with `labels`, created on first call; the reference stays valid for the
  // registry's life. A name registered with another type, or a name or label name that is not
  // [a-zA-Z_][a-zA-Z0-9_]*, is a programming error and aborts (a debug build asserts it earlier).
  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, const Labels& labels = {},
                       const std::vector<double>& upper_bounds = latency_buckets());

  // Every series in the Prometheus text format, families and series in a stable order.
  std::string render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Family {
    Type type;
    std::string help;
    std::map<std::string, std::unique_ptr<Counter>> counters;  // key: rendered label set
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
  };
  Family& family(std::string_view name, std::string_view help, Type type);

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
};

// "{a=\"x\",b=\"y\"}" with the values escaped as the text format requires; "" for no labels.
std::string render_labels(const Labels& labels);

}  // namespace sanso::metrics
