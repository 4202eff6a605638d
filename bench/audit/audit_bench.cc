// The audit log: durable appends with group commit, inclusion proofs and full verification of a
// 1,000,000-entry log. Baselines, measured in the same run: one durable single-row commit per
// event (what an append costs without group commit), a single indexed read (what one proof step
// costs), and hashing the same records alone (the floor of any verification).
#include <openssl/evp.h>

#include <atomic>
#include <random>

#include <benchmark/benchmark.h>

#include "audit/log.h"
#include "bench_store.h"

namespace {

using namespace sanso;

constexpr std::uint64_t kBigLog = 1'000'000;

store::AuditEvent event(std::uint64_t i) {
  store::AuditEvent e;
  e.time = 1795600000 + static_cast<std::int64_t>(i / 100);
  e.actor = "milter@minamata-gw1";
  e.action = "mail.sanitize";
  e.subject = "<" + std::to_string(i) + ".bench@example.com>";
  e.outcome = "sanitized";
  e.rule_id = "profile.alpha.internet-to-lgwan-mail";
  e.clause = "6(3)②";
  e.input_sha256 = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
  e.output_sha256 = "648b286ef501d748b5ae3b7bb16e6fd07b468bf1df5d97e30d20f328538a7d30";
  e.details = {{"attachments_removed", "1"}, {"quarantine_id", "Q20261125-7F3K9A2B"}};
  return e;
}

audit::SigningKey& key() {
  static audit::SigningKey k = *audit::generate_signing_key("city.minamata.lg.jp/sanso/audit");
  return k;
}

audit::LogOptions options() {
  audit::LogOptions o;
  o.node = "minamata-gw1";
  o.policy_sha256 = std::string(64, 'p');
  o.signing_key = key();
  o.checkpoint_every = 100000;
  o.checkpoint_seconds = 60;
  return o;
}

// --- appends --------------------------------------------------------------------------------

std::unique_ptr<audit::AuditLog> g_log;
std::unique_ptr<store::SharedDatabase> g_writer;
bench::BenchStore g_store;
std::atomic<std::uint64_t> g_n{0};

void BM_AuditAppend(benchmark::State& state, store::Backend backend) {
  if (state.thread_index() == 0) {
    g_writer.reset();
    g_log.reset();
    g_store.remove();
    g_store = bench::BenchStore::create(backend);
    if (g_store.ok()) {
      g_log = std::make_unique<audit::AuditLog>(options());
      g_writer = std::make_unique<store::SharedDatabase>(std::move(store::open_database(g_store.location)).value());
    }
  }
  for (auto _ : state) {
    if (!g_writer) {
      state.SkipWithError("store not available (PostgreSQL: run through bench/run.sh)");
      break;
    }
    auto r = g_log->record(*g_writer, event(g_n.fetch_add(1)));
    if (!r) {
      state.SkipWithError(r.error().to_string().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// Baseline: the same record bytes, one durable transaction per row, no tree.
void BM_SingleRowCommitBaseline(benchmark::State& state) {
  auto s = bench::BenchStore::create(store::Backend::kSqlite);
  auto db = std::move(store::open_database(s.location)).value();
  (void)db->execute_script("CREATE TABLE plain (idx BIGINT PRIMARY KEY, record TEXT NOT NULL)");
  std::int64_t i = 0;
  for (auto _ : state) {
    auto record = audit::make_record(event(static_cast<std::uint64_t>(i)), static_cast<std::uint64_t>(i), "minamata-gw1", "");
    if (!db->execute("INSERT INTO plain (idx, record) VALUES (?, ?)", {i++, *record})) state.SkipWithError("insert failed");
  }
  state.SetItemsProcessed(state.iterations());
  db.reset();
  s.remove();
}

// --- a million entries ----------------------------------------------------------------------

struct BigLog {
  bench::BenchStore store;
  std::unique_ptr<store::Database> db;
  double build_seconds = 0;
};

BigLog& big_log() {
  static BigLog b = [] {
    BigLog out;
    out.store = bench::BenchStore::create(store::Backend::kSqlite);
    out.db = std::move(store::open_database(out.store.location)).value();
    audit::AuditLog log(options());
    auto start = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < kBigLog;) {
      auto tx = store::Transaction::begin(*out.db);
      for (std::uint64_t end = std::min(kBigLog, i + 20000); i < end; ++i) {
        if (!log.append(*out.db, event(i))) std::abort();
      }
      if (!tx->commit()) std::abort();
    }
    (void)log.checkpoint(*out.db, key());
    out.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
  }();
  return b;
}

void BM_InclusionProofFromStore(benchmark::State& state) {
  auto& b = big_log();
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    auto p = audit::prove_inclusion(*b.db, rng() % kBigLog, kBigLog);
    if (!p) state.SkipWithError(p.error().to_string().c_str());
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["build_s"] = b.build_seconds;
}

void BM_InclusionProofFromSnapshot(benchmark::State& state) {
  auto& b = big_log();
  static auto snap = audit::TreeSnapshot::load(*b.db, kBigLog);
  std::mt19937_64 rng(2);
  for (auto _ : state) {
    auto p = snap->prove(rng() % kBigLog);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_IndexedReadBaseline(benchmark::State& state) {
  auto& b = big_log();
  std::mt19937_64 rng(3);
  for (auto _ : state) {
    auto r = b.db->query_one("SELECT leaf_hash FROM audit_entries WHERE idx = ?", {static_cast<std::int64_t>(rng() % kBigLog)});
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_VerifyMillion(benchmark::State& state) {
  auto& b = big_log();
  for (auto _ : state) {
    auto report = audit::verify_log(*b.db, key().verifier, std::nullopt);
    if (!report || !report->ok() || report->entries != kBigLog) state.SkipWithError("verification failed");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBigLog));
}

// Floor: read every record and hash it, nothing else.
void BM_ScanAndHashBaseline(benchmark::State& state) {
  auto& b = big_log();
  for (auto _ : state) {
    std::uint64_t n = 0;
    for (std::int64_t from = 0;;) {
      auto rows = b.db->query("SELECT idx, record FROM audit_entries WHERE idx >= ? ORDER BY idx LIMIT 20000", {from});
      if (!rows || rows->empty()) break;
      for (const auto& r : *rows) benchmark::DoNotOptimize(audit::leaf_hash(r.text(1)));
      n += rows->size();
      from = rows->back().integer(0) + 1;
    }
    if (n != kBigLog) state.SkipWithError("scan incomplete");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBigLog));
}

}  // namespace

BENCHMARK(BM_SingleRowCommitBaseline)->UseRealTime()->MinTime(1.0);
BENCHMARK_CAPTURE(BM_AuditAppend, sqlite, sanso::store::Backend::kSqlite)->Threads(1)->Threads(8)->Threads(32)->UseRealTime()->MinTime(1.0);
BENCHMARK_CAPTURE(BM_AuditAppend, postgres, sanso::store::Backend::kPostgres)->Threads(1)->Threads(8)->Threads(32)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_IndexedReadBaseline)->MinTime(1.0);
BENCHMARK(BM_InclusionProofFromStore)->MinTime(1.0);
BENCHMARK(BM_InclusionProofFromSnapshot)->MinTime(1.0);
BENCHMARK(BM_ScanAndHashBaseline)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_VerifyMillion)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  g_writer.reset();
  g_log.reset();
  g_store.remove();
  big_log().db.reset();
  big_log().store.remove();
  benchmark::Shutdown();
  return 0;
}
