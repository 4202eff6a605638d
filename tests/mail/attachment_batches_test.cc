// Attachments through the CDR sandbox in batches (issue #22: 900 small attachments, one sandboxed
// rebuild each, took 87 s): few round-trips, and still one verdict per file — a batch whose child
// crashes passes nothing raw.
#include "mail/attachment_batches.h"

#include <glib.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mail/sanitize.h"
#include "sandbox/sandbox.h"

namespace sanso::mail {
namespace {

// A message with `count` small CSV attachments (csv-1.csv … each with a formula the engine
// neutralises) and one executable named like a PDF in the middle.
std::string many_attachments(int count) {
  std::string raw = "From: a@example.com\r\nTo: b@city.minamata.lg.jp\r\nSubject: many\r\nMIME-Version: 1.0\r\n"
                    "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nfiles\r\n";
  for (int i = 1; i <= count; ++i) {
    raw += "--b\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=\"csv-" + std::to_string(i) + ".csv\"\r\n\r\n=" +
           std::to_string(i) + "+1,row " + std::to_string(i) + "\r\n";
    if (i == count / 2) {
      raw += "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"invoice.pdf\"\r\n"
             "Content-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAA\r\n";
    }
  }
  return raw + "--b--\r\n";
}

void expect_every_file_judged(const SanitizePlan& plan, int count) {
  ASSERT_EQ(plan.verdict, Verdict::kSanitized) << plan.reason;
  ASSERT_EQ(plan.attachments.size(), static_cast<std::size_t>(count));
  for (int i = 1; i <= count; ++i) {
    const auto& a = plan.attachments[static_cast<std::size_t>(i - 1)];
    EXPECT_EQ(a.name, "csv-" + std::to_string(i) + ".csv");
    EXPECT_EQ(a.bytes, "'=" + std::to_string(i) + "+1,row " + std::to_string(i)) << a.name;  // the CRLF before a delimiter is the delimiter's
  }
  const auto exe = std::find_if(plan.parts.begin(), plan.parts.end(), [](const PartReport& p) { return p.name == "invoice.pdf"; });
  ASSERT_NE(exe, plan.parts.end());
  EXPECT_EQ(exe->action, PartAction::kRemoved);
  EXPECT_NE(std::find(exe->flags.begin(), exe->flags.end(), "blocked:executable"), exe->flags.end());
}

TEST(MailAttachmentBatches, ThreeHundredAttachmentsEachGetTheirOwnVerdict) {
  SanitizeOptions o;
  o.attachment_action = AttachmentAction::kSanitize;
  const std::string raw = many_attachments(300);
  expect_every_file_judged(sanitize_sandboxed(raw, o), 300);
  auto workers = MailExecutors::start(o, sandbox::Launch::pool(1));
  ASSERT_TRUE(workers.has_value()) << workers.error().to_string();
  expect_every_file_judged(sanitize_sandboxed(raw, o, *workers), 300);
}

// Counts the jobs a real executor runs for the code under test.
class Counted final : public sandbox::Executor {
 public:
  explicit Counted(sandbox::Task task) : inner_(std::move(task)) {}
  Result<std::string> run(std::string_view input) override {
    ++jobs;
    return inner_.run(input);
  }
  int jobs = 0;

 private:
  sandbox::ForkPerJob inner_;
};

// `task` whose child dies, as a parser with a memory error would, on any job that names `name`.
sandbox::Task crashing_on(sandbox::Task task, std::string_view name) {
  task.work = [work = std::move(task.work), name = std::string(name)](std::string_view job) -> Result<std::string> {
    if (job.find(name) != std::string_view::npos) std::abort();
    return work(job);
  };
  return task;
}

// The round-trips counted on the real sandbox and engine: 301 files in five batches, no file
// alone.
TEST(MailAttachmentBatches, ManySmallFilesShareAFewSandboxRoundTrips) {
  SanitizeOptions o;
  o.attachment_action = AttachmentAction::kSanitize;
  SanitizePlan plan = plan_message(many_attachments(300), o);
  ASSERT_EQ(plan.pending.size(), 301u);
  Counted batches(batch_task(o.cdr)), alone(cdr::engine_task(o.cdr));
  finish_attachments(plan, o, [&](const std::vector<AttachmentInput>& inputs) { return rebuild_in_batches(inputs, "", batches, alone, o.cdr); });
  expect_every_file_judged(plan, 300);
  EXPECT_EQ(batches.jobs, 5);  // 64 files a batch
  EXPECT_EQ(alone.jobs, 0);
}

TEST(MailAttachmentBatches, BatchesRespectTheirLimits) {
  const std::string big(5 << 20, 'x'), small(100, 'y');
  std::vector<AttachmentInput> inputs = {{small, "a"}, {big, "b"}, {big, "c"}, {small, "d"}, {small, "e"}};
  const auto ranges = batch_ranges(inputs, BatchLimits{std::size_t{8} << 20, 2});
  const std::vector<std::pair<std::size_t, std::size_t>> expected = {{0, 2}, {2, 4}, {4, 5}};
  EXPECT_EQ(ranges, expected);
  // A file over the byte limit goes alone, never dropped.
  const std::string huge(9 << 20, 'z');
  std::vector<AttachmentInput> one_huge = {{small, "a"}, {huge, "h"}, {small, "b"}};
  const auto alone = batch_ranges(one_huge, BatchLimits{});
  EXPECT_EQ(alone, (std::vector<std::pair<std::size_t, std::size_t>>{{0, 1}, {1, 2}, {2, 3}}));
}

// A file that crashes the batch child: the batch tells nothing, so each of its files is rebuilt
// alone — the others come out rebuilt, the culprit blocked, nothing passes raw.
TEST(MailAttachmentBatches, ACrashInABatchFailsOnlyTheFileThatCausedIt) {
  cdr::CdrPolicy policy;
  std::vector<std::string> bytes;
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i) {
    bytes.push_back("=" + std::to_string(i) + "+1\n");
    names.push_back("f" + std::to_string(i) + ".csv");
  }
  names[4] = "crash.csv";
  std::vector<AttachmentInput> inputs;
  for (int i = 0; i < 10; ++i) inputs.push_back({bytes[static_cast<std::size_t>(i)], names[static_cast<std::size_t>(i)]});
  // The work in both children dies on that name.
  Counted batches(crashing_on(batch_task(policy), "crash.csv")), alone(crashing_on(cdr::engine_task(policy), "crash.csv"));
  const auto results = rebuild_in_batches(inputs, "", batches, alone, policy);
  EXPECT_EQ(batches.jobs, 1);
  EXPECT_EQ(alone.jobs, 10);
  ASSERT_EQ(results.size(), 10u);
  for (std::size_t i = 0; i < 10; ++i) {
    SCOPED_TRACE(names[i]);
    if (i == 4) {
      EXPECT_EQ(results[i].verdict, cdr::Verdict::blocked);
      EXPECT_TRUE(results[i].output.empty());
      EXPECT_FALSE(results[i].reason.empty());
    } else {
      EXPECT_EQ(results[i].verdict, cdr::Verdict::sanitized);
      EXPECT_EQ(results[i].output, "'" + bytes[i]);
    }
  }
}

// An answer that does not account for every file is no answer: files go alone.
TEST(MailAttachmentBatches, AShortOrGarbledAnswerIsNotTrusted) {
  cdr::CdrPolicy policy;
  const std::string a = "=1+1\n", b = "=2+1\n";
  std::vector<AttachmentInput> inputs = {{a, "a.csv"}, {b, "b.csv"}};
  auto good = rebuild_batch(encode_batch(inputs, 0, 2), policy);
  ASSERT_TRUE(good.has_value());
  EXPECT_EQ(decode_batch_answer(*good, 2).value().size(), 2u);
  EXPECT_FALSE(decode_batch_answer(*good, 3).has_value());
  EXPECT_FALSE(decode_batch_answer(*good, 1).has_value());
  EXPECT_FALSE(decode_batch_answer(good->substr(0, good->size() - 1), 2).has_value());
  EXPECT_FALSE(rebuild_batch(encode_batch(inputs, 0, 2).substr(0, 12), policy).has_value());
  // A batch child that answers half of the real answer, with nothing else wrong.
  sandbox::Task garbling = batch_task(policy);
  garbling.work = [policy](std::string_view job) -> Result<std::string> {
    auto answer = rebuild_batch(job, policy);
    if (!answer) return answer;
    return answer->substr(0, answer->size() / 2);
  };
  Counted batches(std::move(garbling)), alone(cdr::engine_task(policy));
  const auto results = rebuild_in_batches(inputs, "", batches, alone, policy);
  EXPECT_EQ(batches.jobs, 1);
  EXPECT_EQ(alone.jobs, 2);
  EXPECT_EQ(results.at(1).output, "'=2+1\n");
}

}  // namespace
}  // namespace sanso::mail
