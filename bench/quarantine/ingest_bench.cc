// Quarantine ingest: items/s and MB/s for 10 KB and 1 MB originals, on SQLite and PostgreSQL,
// every item durable (blob fsynced, record committed with synchronous=FULL / synchronous_commit
// =on) before put() returns; concurrent callers share commits (group commit). The baseline is
// the floor for the same durability without any database: write + fsync + rename + directory
// fsync of each original as a plain file, on the same disk, in the same run.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <memory>

#include <benchmark/benchmark.h>

#include "bench_store.h"
#include "quarantine/quarantine.h"
#include "store/shared_database.h"

namespace {

using namespace sanso;

std::unique_ptr<store::SharedDatabase> g_db;  // declared first: the store uses it
std::unique_ptr<quarantine::QuarantineStore> g_store;
bench::BenchStore g_location;
std::atomic<std::uint64_t> g_counter{0};

std::string payload(std::size_t size) {
  std::string s(size, '\0');
  randombytes_buf(s.data(), s.size());
  return s;
}

void BM_QuarantinePut(benchmark::State& state, store::Backend backend) {
  const auto size = static_cast<std::size_t>(state.range(0));
  if (state.thread_index() == 0) {
    g_store.reset();
    g_db.reset();
    g_location.remove();
    g_location = bench::BenchStore::create(backend);
    if (g_location.ok()) {
      quarantine::QuarantineStore::Options o;
      o.blob_dir = (g_location.dir / "blobs").string();
      o.key_file = (g_location.dir / "quarantine.key").string();
      g_db = std::make_unique<store::SharedDatabase>(std::move(store::open_database(g_location.location)).value());
      auto q = quarantine::QuarantineStore::open(*g_db, o);
      if (q) g_store = std::move(*q);
    }
  }
  std::string body = payload(size);
  for (auto _ : state) {
    if (!g_store) {
      state.SkipWithError("store not available (PostgreSQL: run through bench/run.sh)");
      break;
    }
    std::uint64_t n = g_counter.fetch_add(1);
    std::memcpy(body.data(), &n, sizeof n);  // distinct content: no deduplication
    quarantine::Submission s;
    s.original = body;
    s.verdict = quarantine::Verdict::kSanitized;
    s.reason = "bench";
    auto r = g_store->put(std::move(s));
    if (!r) {
      state.SkipWithError(r.error().to_string().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(size));
}

// The durability floor: the same bytes as a plain file, write + fsync + rename + fsync(dir).
void BM_DurableFileBaseline(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  static std::filesystem::path dir;
  if (state.thread_index() == 0) {
    dir = std::filesystem::temp_directory_path() / ("sanso-bench-files-" + bench::random_suffix());
    std::filesystem::create_directories(dir);
  }
  std::string body = payload(size);
  for (auto _ : state) {
    std::uint64_t n = g_counter.fetch_add(1);
    std::string tmp = (dir / ("f" + std::to_string(n) + ".tmp")).string();
    std::string final = (dir / ("f" + std::to_string(n))).string();
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ::write(fd, body.data(), body.size()) != static_cast<ssize_t>(body.size()) || ::fsync(fd) != 0) {
      state.SkipWithError("write failed");
      break;
    }
    ::close(fd);
    ::rename(tmp.c_str(), final.c_str());
    int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    ::fsync(d);
    ::close(d);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(size));
}

void sizes(benchmark::internal::Benchmark* b) {
  b->Arg(10 * 1024)->Arg(1024 * 1024)->Threads(1)->Threads(8)->Threads(32)->UseRealTime()->MinTime(1.0);
}

}  // namespace

BENCHMARK(BM_DurableFileBaseline)->Apply(sizes);
BENCHMARK_CAPTURE(BM_QuarantinePut, sqlite, sanso::store::Backend::kSqlite)->Apply(sizes);
BENCHMARK_CAPTURE(BM_QuarantinePut, postgres, sanso::store::Backend::kPostgres)->Apply(sizes);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  g_store.reset();
  g_db.reset();
  g_location.remove();
  benchmark::Shutdown();
  return 0;
}
