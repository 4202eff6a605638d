// Mail 無害化 throughput on a generated mix — HTML newsletters (~40 KB), Japanese ISO-2022-JP
// plain text (~5 KB), mail with a ~200 KB attachment — 10,000 messages per run. The floor,
// measured in the same run on the same messages: GMime parse + serialize. Also the sandboxed path
// as the CLI runs it (one sandboxed child per message).
#include <gmime/gmime.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "mail/gmime_floor.h"
#include "mail/sanitize.h"
#include "mime/charset.h"
#include "sandbox/sandbox.h"

namespace {

constexpr int kMessages = 10000;

std::string base64_lines(const std::string& data) {
  gchar* b = g_base64_encode(reinterpret_cast<const guchar*>(data.data()), data.size());
  std::string s(b);
  g_free(b);
  std::string out;
  for (std::size_t i = 0; i < s.size(); i += 76) out += s.substr(i, 76) + "\r\n";
  return out;
}

std::vector<std::string> make_corpus() {
  std::mt19937 rng(7);
  std::vector<std::string> out;
  const std::string para = "<p>水俣市からのお知らせです。<a href=\"https://news.example.jp/a?id=1\">詳しくはこちら</a>。"
                           "<b>令和8年度</b>の予算要求について、各課は期日までに提出してください。</p>\n";
  for (int k = 0; k < 100; ++k) {
    std::string html = "<html><head><style>p{margin:0}</style></head><body><h1>ニュースレター " + std::to_string(k) + "</h1>";
    while (html.size() < 40000) {
      html += para;
      if (rng() % 7 == 0) html += "<table><tr><td>項目</td><td>金額</td></tr><tr><td>備品</td><td>12,000円</td></tr></table>";
    }
    html += "</body></html>";
    out.push_back("From: news@example.jp\r\nTo: all@city.minamata.lg.jp\r\nSubject: =?UTF-8?B?44OL44Ol44O844K5?=\r\nMIME-Version: 1.0\r\n"
                  "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/html; charset=UTF-8\r\n"
                  "Content-Transfer-Encoding: base64\r\n\r\n" + base64_lines(html) + "--b--\r\n");
    std::string text;
    while (text.size() < 5000) text += "お世話になっております。①の件につき、㈱サンプルよりご連絡いたします。ｶﾀｶﾅ\r\n";
    out.push_back("From: a@example.co.jp\r\nTo: kikaku@city.minamata.lg.jp\r\nSubject: =?ISO-2022-JP?B?GyRCLSEtahsoQg==?=\r\n"
                  "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" +
                  sanso::mime::encode_iso2022jp(text));
    std::string blob(200 * 1024, '\0');
    for (auto& c : blob) c = static_cast<char>(rng());
    out.push_back("From: b@example.jp\r\nTo: zeimu@city.minamata.lg.jp\r\nSubject: attachment\r\nMIME-Version: 1.0\r\n"
                  "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n資料を送ります。\r\n"
                  "--m\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"資料.pdf\"\r\n"
                  "Content-Transfer-Encoding: base64\r\n\r\n" + base64_lines(blob) + "--m--\r\n");
  }
  return out;
}

const std::vector<std::string>& corpus() {
  static const std::vector<std::string> kCorpus = make_corpus();
  return kCorpus;
}

std::size_t bytes_of(int messages) {
  std::size_t total = 0;
  for (int i = 0; i < messages; ++i) total += corpus()[static_cast<std::size_t>(i) % corpus().size()].size();
  return total;
}

void BM_GMimeParseSerializeFloor(benchmark::State& state) {
  g_mime_init();
  for (auto _ : state) {
    for (int i = 0; i < kMessages; ++i) {
      const std::string& m = corpus()[static_cast<std::size_t>(i) % corpus().size()];
      benchmark::DoNotOptimize(sanso::bench::gmime_parse_serialize(m));
    }
  }
  state.SetItemsProcessed(state.iterations() * kMessages);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes_of(kMessages)));
}

void BM_Sanitize(benchmark::State& state) {
  sanso::mail::SanitizeOptions o;
  for (auto _ : state) {
    for (int i = 0; i < kMessages; ++i) {
      auto plan = sanso::mail::sanitize_message(corpus()[static_cast<std::size_t>(i) % corpus().size()], o);
      benchmark::DoNotOptimize(sanso::mail::render_message(plan, o, "Q20261125-BENCH000"));
    }
  }
  state.SetItemsProcessed(state.iterations() * kMessages);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes_of(kMessages)));
}

void BM_SanitizeSandboxed(benchmark::State& state) {
  sanso::mail::SanitizeOptions o;
  const int n = 1000;  // one child process per message: fewer messages, same mix
  for (auto _ : state) {
    for (int i = 0; i < n; ++i) {
      auto plan = sanso::mail::sanitize_sandboxed(corpus()[static_cast<std::size_t>(i) % corpus().size()], o);
      if (plan.verdict == sanso::mail::Verdict::kHeld) state.SkipWithError(plan.reason.c_str());
      benchmark::DoNotOptimize(sanso::mail::render_message(plan, o, "Q20261125-BENCH000"));
    }
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes_of(n)));
}

// Issue #22: 900 small attachments took 87 s, one sandboxed rebuild each. One message with many
// small attachments (CSV, ~40 bytes), rebuilt as before — a sandboxed child per file — and in
// batches, in the same run: the counters give both times and the speed-up.
void BM_ManyAttachments(benchmark::State& state) {
  const int files = static_cast<int>(state.range(0));
  std::string raw = "From: a@example.com\r\nTo: b@city.minamata.lg.jp\r\nSubject: many\r\nMIME-Version: 1.0\r\n"
                    "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nfiles\r\n";
  for (int i = 0; i < files; ++i) {
    raw += "--b\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=\"f" + std::to_string(i) + ".csv\"\r\n\r\n=" +
           std::to_string(i) + "+1,a,b,c\r\n";
  }
  raw += "--b--\r\n";
  sanso::mail::SanitizeOptions o;
  o.attachment_action = sanso::mail::AttachmentAction::kSanitize;
  auto rebuild = [&](const sanso::mail::BatchLimits& limits) {
    sanso::mail::SanitizePlan plan = sanso::mail::plan_message(raw, o);
    sanso::sandbox::ForkPerJob batches(sanso::mail::batch_task(o.cdr, limits)), files(sanso::cdr::engine_task(o.cdr));
    sanso::mail::finish_attachments(plan, o, [&](const std::vector<sanso::mail::AttachmentInput>& inputs) {
      return sanso::mail::rebuild_in_batches(inputs, "", batches, files, o.cdr, limits);
    });
    return plan.attachments.size();
  };
  double per_file_s = 0, batched_s = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    const std::size_t before = rebuild(sanso::mail::BatchLimits{std::size_t{8} << 20, 1});  // a batch of one goes alone: the old way
    auto t1 = std::chrono::steady_clock::now();
    const std::size_t after = rebuild(sanso::mail::BatchLimits{});
    auto t2 = std::chrono::steady_clock::now();
    if (before != static_cast<std::size_t>(files) || after != before) state.SkipWithError("not every attachment was rebuilt");
    per_file_s += std::chrono::duration<double>(t1 - t0).count();
    batched_s += std::chrono::duration<double>(t2 - t1).count();
  }
  state.counters["per_file_s"] = per_file_s / static_cast<double>(state.iterations());
  state.counters["batched_s"] = batched_s / static_cast<double>(state.iterations());
  state.counters["speedup"] = batched_s > 0 ? per_file_s / batched_s : 0;
}

}  // namespace

BENCHMARK(BM_ManyAttachments)->Arg(300)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_GMimeParseSerializeFloor)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Sanitize)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SanitizeSandboxed)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
