// decide() on the example policy and on a generated 1,000-rule policy.
//
// Reported per decision: mean time (Google Benchmark), p50 and p99 latency, and allocations.
// Latency percentiles: decisions are timed in batches of 8 with steady_clock (a single decision
// is shorter than the clock's own cost); each batch's time / 8 is one sample. Allocations: the
// global operator new is replaced by a counting one; the counter is read before and after the
// timed loop and divided by the iterations.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "allocation_counter.h"
#include "policy/check.h"
#include "policy/generated_policy.h"
#include "policy/load.h"


namespace {

using sanso::policy::CompiledPolicy;
using sanso::policy::Request;

constexpr sanso::Date kToday{2026, 11, 25};

struct Fixture {
  std::unique_ptr<CompiledPolicy> policy;
  std::vector<Request> requests;  // power-of-two length
};

Fixture make_fixture(sanso::policy::LoadResult loaded) {
  if (!loaded.policy || sanso::policy::has_errors(loaded.diagnostics)) {
    std::fprintf(stderr, "bench: policy failed to load\n");
    std::exit(1);
  }
  auto c = CompiledPolicy::compile(std::move(*loaded.policy), kToday);
  if (!c) {
    std::fprintf(stderr, "bench: %s\n", c.error().to_string().c_str());
    std::exit(1);
  }
  Fixture f{std::make_unique<CompiledPolicy>(std::move(*c)), {}};
  f.requests = sanso::bench::sample_requests(*f.policy, 1 << 14);
  return f;
}

void decide_mean(benchmark::State& state, const Fixture* f) {
  const std::size_t mask = f->requests.size() - 1;
  std::size_t i = 0;
  const std::size_t before = sanso::testing::allocation_count();
  for (auto _ : state) {
    auto d = f->policy->decide(f->requests[i++ & mask]);
    benchmark::DoNotOptimize(d);
  }
  state.counters["allocs_per_decision"] = static_cast<double>(sanso::testing::allocation_count() - before) / static_cast<double>(state.iterations());
  state.counters["rules"] = static_cast<double>(f->policy->active_rules().size());
}

void decide_latency(benchmark::State& state, const Fixture* f) {
  constexpr int kBatch = 8;
  const std::size_t mask = f->requests.size() - 1;
  std::vector<double> samples;
  samples.reserve(1 << 20);
  std::size_t i = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int k = 0; k < kBatch; ++k) {
      auto d = f->policy->decide(f->requests[i++ & mask]);
      benchmark::DoNotOptimize(d);
    }
    const auto t1 = std::chrono::steady_clock::now();
    if (samples.size() < samples.capacity()) samples.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / kBatch);
  }
  std::sort(samples.begin(), samples.end());
  if (!samples.empty()) {
    state.counters["p50_ns"] = samples[samples.size() / 2];
    state.counters["p99_ns"] = samples[samples.size() * 99 / 100];
  }
}

void decide_by_name(benchmark::State& state, const Fixture* f) {
  const std::size_t before = sanso::testing::allocation_count();
  for (auto _ : state) {
    auto d = f->policy->decide(sanso::policy::RequestNames{"internet", "lgwan", "mail", "2", "staff", ""});
    benchmark::DoNotOptimize(d);
  }
  state.counters["allocs_per_decision"] = static_cast<double>(sanso::testing::allocation_count() - before) / static_cast<double>(state.iterations());
}

void compile_policy(benchmark::State& state, const std::string* text) {
  for (auto _ : state) {
    auto loaded = sanso::policy::load_policy(*text, "bench.toml");
    auto c = CompiledPolicy::compile(std::move(*loaded.policy), kToday);
    benchmark::DoNotOptimize(c);
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  auto example_file = sanso::policy::load_policy_file(std::string(SANSO_SOURCE_DIR) + "/examples/minamata/policy.toml");
  if (!example_file) {
    std::fprintf(stderr, "bench: %s\n", example_file.error().to_string().c_str());
    return 1;
  }
  static Fixture example = make_fixture(std::move(*example_file));
  static const std::string generated_text = sanso::bench::generated_policy_toml(1000);
  static Fixture generated = make_fixture(sanso::policy::load_policy(generated_text, "generated-1000.toml"));

  benchmark::RegisterBenchmark("decide/example", decide_mean, &example);
  benchmark::RegisterBenchmark("decide/rules1000", decide_mean, &generated);
  benchmark::RegisterBenchmark("decide_latency/example", decide_latency, &example);
  benchmark::RegisterBenchmark("decide_latency/rules1000", decide_latency, &generated);
  benchmark::RegisterBenchmark("decide_by_name/example", decide_by_name, &example);
  benchmark::RegisterBenchmark("compile/rules1000", compile_policy, &generated_text)->Unit(benchmark::kMillisecond);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
