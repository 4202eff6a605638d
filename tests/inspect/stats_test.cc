// Operations statistics counted from a seeded audit log (records in the shapes the milter, the
// quarantine, transfers and the monitor write, docs/audit-format.md), month boundaries in Japan
// time, a log larger than one read page, a corrupt record; and the report's trend, statistics and
// auditor's sheets read back with openpyxl, before and after the log is tampered with.
#include "inspect/stats.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "audit/log.h"
#include "inspect/evaluate.h"
#include "inspect/report.h"
#include "inspect/template.h"
#include "support/audited_store.h"
#include "support/inspect_template.h"
#include "support/pdf_text.h"
#include "support/xlsx_cells.h"

namespace sanso::inspect {
namespace {

const std::string kDir = sanso::testing::kExampleCityDir;
// 2026-11 in Japan: from 2026-10-31T15:00Z to 2026-11-30T15:00Z.
constexpr std::int64_t kNovember = 1793458800;
constexpr std::int64_t kDecember = 1796050800;

using sanso::testing::kMonthlyTemplate;

class StatsTest : public sanso::testing::AuditedStoreTest {
 protected:
  // A record of the mail gateway's shape at `time`.
  std::uint64_t append(std::int64_t time, const std::string& action, const std::string& outcome,
                       std::vector<std::pair<std::string, std::string>> details = {}) {
    return AuditedStoreTest::append(time, "milter@test", action, "item-" + std::to_string(time), outcome, std::move(details));
  }

  // A November of a small city, with an entry on each side of the month's edges.
  void seed_november() {
    append(kNovember - 1, "mail.gateway", "sanitized");  // 2026-10-31 23:59:59 JST
    first_ = append(kNovember, "mail.gateway", "sanitized");
    append(kNovember + 60, "mail.gateway", "sanitized");
    append(kNovember + 120, "mail.gateway", "clean");
    // A detail that looks like an outcome is not the record's outcome.
    append(kNovember + 180, "mail.gateway", "held", {{"reason", "\"outcome\":\"clean\""}, {"outcome", "clean"}});
    append(kNovember + 240, "file.sanitize", "blocked");
    append(kNovember + 300, "quarantine.store", "held");
    append(kNovember + 360, "quarantine.request-release", "requested");
    append(kNovember + 420, "quarantine.approve", "approved");
    append(kNovember + 480, "quarantine.deny", "denied");
    append(kNovember + 540, "quarantine.release", "released");
    append(kNovember + 600, "transfer.send", "pending-approval");
    append(kNovember + 660, "transfer.verdict", "clean");
    append(kNovember + 720, "icap.upload", "allowed");
    append(kNovember + 780, "console.sign-in", "ok");  // in the month, not a measure
    last_ = append(kDecember - 1, "monitor.finding", "breach");
    append(kDecember, "monitor.finding", "warning");  // 2026-12-01 00:00:00 JST
  }

  // October's and November's campaigns of the mayor's departments ("training" yes, then no with a
  // note and an evidence file), November's of the board of education, November's log evaluated
  // and signed.
  void seed_campaigns() {
    auto clauses = load_clause_list_file(kDir + "inspection/clauses.toml");
    ASSERT_TRUE(clauses) << clauses.error().to_string();
    auto checklist = load_template(kMonthlyTemplate, "t.toml", *clauses);
    ASSERT_TRUE(checklist) << checklist.error().to_string();
    const policy::Policy& policy = policy_;
    campaigns_ = std::make_unique<Campaigns>(*db_, *log_, clock_);
    ASSERT_TRUE(campaigns_->create(*checklist, policy, {"mayor", "2026-10", "tanaka", ""}, "kato"));
    ASSERT_TRUE(campaigns_->create(*checklist, policy, {"mayor", "2026-11", "tanaka", ""}, "kato"));
    ASSERT_TRUE(campaigns_->create(*checklist, policy, {"education", "2026-11", "suzuki", ""}, "kato"));
    ASSERT_TRUE(campaigns_->answer("t-monthly:mayor:2026-10", "training", Answer::kYes, "", "tanaka"));
    ASSERT_TRUE(campaigns_->answer("t-monthly:mayor:2026-11", "training", Answer::kNo, "研修が未実施", "tanaka"));
    auto evidence = campaigns_->add_evidence("t-monthly:mayor:2026-11", "training", "研修出席簿.pdf", "attendance", "tanaka");
    ASSERT_TRUE(evidence) << evidence.error().to_string();
    seed_november();
    config::QuarantineSettings settings;
    const EvaluationInputs inputs{&policy, "", &settings};
    ASSERT_TRUE(evaluate_campaign(*db_, *campaigns_, "t-monthly:mayor:2026-11", inputs, clock_, "kato"));
    auto key = audit::generate_signing_key("test/audit");
    ASSERT_TRUE(key);
    key_ = *key;
    auto checkpoint = log_->checkpoint(*db_, key_);
    ASSERT_TRUE(checkpoint);
    checkpoint_ = *checkpoint;
  }

  audit::SigningKey key_;
  audit::SignedCheckpoint checkpoint_;
  std::unique_ptr<Campaigns> campaigns_;
  std::uint64_t first_ = 0, last_ = 0;
};

TEST_P(StatsTest, EachMonthCountsItsOwnEntriesByActionAndOutcome) {
  seed_november();
  auto november = monthly_statistics(*db_, "2026-11");
  ASSERT_TRUE(november) << november.error().to_string();
  EXPECT_EQ(november->from, kNovember);
  EXPECT_EQ(november->to, kDecember);
  EXPECT_EQ(november->entries, 15u);
  EXPECT_EQ(november->first_index, first_);
  EXPECT_EQ(november->last_index, last_);
  const auto& mail = november->of("mail");
  EXPECT_EQ(mail.total, 4u);
  EXPECT_EQ(mail.by_outcome, (std::map<std::string, std::uint64_t>{{"sanitized", 2}, {"clean", 1}, {"held", 1}}));
  EXPECT_EQ(november->of("file").by_outcome.at("blocked"), 1u);
  EXPECT_EQ(november->of("quarantine").by_outcome.at("held"), 1u);
  EXPECT_EQ(november->of("release-request").total, 1u);
  EXPECT_EQ(november->of("approval").by_outcome, (std::map<std::string, std::uint64_t>{{"approved", 1}, {"denied", 1}}));
  EXPECT_EQ(november->of("release").by_outcome.at("released"), 1u);
  EXPECT_EQ(november->of("transfer").by_outcome.at("pending-approval"), 1u);
  EXPECT_EQ(november->of("transfer-file").total, 1u);
  EXPECT_EQ(november->of("upload").total, 1u);
  EXPECT_EQ(november->of("finding").by_outcome, (std::map<std::string, std::uint64_t>{{"breach", 1}}));

  auto october = monthly_statistics(*db_, "2026-10");
  ASSERT_TRUE(october);
  EXPECT_EQ(october->of("mail").total, 1u);
  EXPECT_EQ(october->of("finding").total, 0u);
  auto december = monthly_statistics(*db_, "2026-12");
  ASSERT_TRUE(december);
  EXPECT_EQ(december->of("finding").by_outcome, (std::map<std::string, std::uint64_t>{{"warning", 1}}));
  EXPECT_EQ(december->of("mail").total, 0u);

  // The trend's totals, counted by the store, agree with the records read one by one.
  auto totals = measure_totals(*db_, kNovember, kDecember);
  ASSERT_TRUE(totals);
  ASSERT_EQ(totals->size(), measures().size());
  for (std::size_t i = 0; i < measures().size(); ++i) EXPECT_EQ((*totals)[i], november->counts[i].total) << measures()[i].id;

  for (const char* bad : {"2026-13", "2026-1", "26-11", "2026-11-01", "abcd-ef", ""}) {
    auto refused = monthly_statistics(*db_, bad);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().code, "inspect.bad-period") << bad;
  }
}

TEST_P(StatsTest, AMonthLargerThanOneReadPageIsCountedWhole) {
  constexpr int kEntries = 5003;  // over the 5,000 entries read at a time
  std::vector<store::AuditEvent> events(kEntries);
  for (int i = 0; i < kEntries; ++i) {
    events[i].time = kNovember + i;
    events[i].actor = "milter@test";
    events[i].action = i % 2 == 0 ? "mail.gateway" : "console.request";
    events[i].subject = "m" + std::to_string(i);
    events[i].outcome = i % 3 == 0 ? "held" : "clean";
  }
  auto tx = store::Transaction::begin(*db_);
  ASSERT_TRUE(tx);
  ASSERT_TRUE(log_->append_batch(*db_, events));
  ASSERT_TRUE(tx->commit());
  auto november = monthly_statistics(*db_, "2026-11");
  ASSERT_TRUE(november) << november.error().to_string();
  std::uint64_t mail = 0, held = 0;
  for (int i = 0; i < kEntries; i += 2) {
    ++mail;
    if (i % 3 == 0) ++held;
  }
  EXPECT_EQ(november->of("mail").total, mail);
  EXPECT_EQ(november->of("mail").by_outcome.at("held"), held);
  EXPECT_EQ(november->entries, static_cast<std::uint64_t>(kEntries));
}

TEST_P(StatsTest, ARecordThatDoesNotParseIsAnErrorNamingItsEntry) {
  seed_november();
  const auto broken = append(kNovember + 900, "quarantine.release", "released");
  ASSERT_TRUE(db_->execute("UPDATE audit_entries SET record = ? WHERE idx = ?", {std::string("{\"action\":"), static_cast<std::int64_t>(broken)}));
  auto refused = monthly_statistics(*db_, "2026-11");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "inspect.corrupt-log");
  EXPECT_NE(refused.error().where.find(std::to_string(broken)), std::string::npos) << refused.error().to_string();
}

TEST(StatsMonths, APeriodIsSplitIntoJapaneseMonths) {
  auto fiscal = period_bounds(Period::kAnnual, "2026");
  ASSERT_TRUE(fiscal);
  const auto months = months_between(fiscal->first, fiscal->second);
  ASSERT_EQ(months.size(), 12u);
  EXPECT_EQ(months.front(), "2026-04");
  EXPECT_EQ(months.back(), "2027-03");
  EXPECT_EQ(months_between(kNovember, kDecember), std::vector<std::string>{"2026-11"});
  EXPECT_EQ(previous_month("2026-01"), "2025-12");
  EXPECT_EQ(next_month("2026-12"), "2027-01");
  EXPECT_EQ(next_month("2026-13"), "2026-13");
  EXPECT_EQ(outcome_ja("held"), "保留");
  EXPECT_EQ(outcome_ja("unheard-of"), "unheard-of");
}

// The report of November's campaign: the trend against October's, November's statistics and the
// auditor's sheet — which must say so when the log no longer verifies.
TEST_P(StatsTest, TheReportCarriesTheTrendTheStatisticsAndTheAuditorsVerification) {
  ASSERT_NO_FATAL_FAILURE(seed_campaigns());
  Campaigns& campaigns = *campaigns_;
  const std::filesystem::path dir = t_->dir();
  const ReportSources sources{&policy_, db_.get(), &key_.verifier};
  ASSERT_TRUE(write_xlsx_report(campaigns, "t-monthly:mayor:2026-11", sources, dir / "report.xlsx"));
  const auto book = sanso::testing::read_xlsx(dir / "report.xlsx");
  ASSERT_TRUE(book.contains("前回比較") && book.contains("運用統計") && book.contains("監査")) << book.dump();

  const auto& trend = book["前回比較"];
  EXPECT_NE(sanso::testing::find_cell(trend, "t-monthly:mayor:2026-10"), nullptr) << trend.dump();
  const nlohmann::json* changed = sanso::testing::find_row(trend, "training");
  ASSERT_NE(changed, nullptr) << trend.dump();
  EXPECT_EQ((*changed)[1]["v"], "はい");
  EXPECT_EQ((*changed)[2]["v"], "いいえ");
  const nlohmann::json* no = sanso::testing::find_row(trend, "いいえ");
  ASSERT_NE(no, nullptr);
  EXPECT_EQ((*no)[1]["v"], 0);
  EXPECT_EQ((*no)[2]["v"], 1);
  EXPECT_EQ((*no)[3]["v"], "+1");
  const nlohmann::json* mail_trend = sanso::testing::find_row(trend, "メール（ゲートウェイ）");
  ASSERT_NE(mail_trend, nullptr);
  EXPECT_EQ((*mail_trend)[1]["v"], 1);  // October's one message
  EXPECT_EQ((*mail_trend)[2]["v"], 4);

  const auto& operations = book["運用統計"];
  EXPECT_NE(sanso::testing::find_cell(operations, "2026-11"), nullptr);
  const nlohmann::json* mail = sanso::testing::find_row(operations, "メール（ゲートウェイ）");
  ASSERT_NE(mail, nullptr) << operations.dump();
  EXPECT_EQ((*mail)[1]["v"], "合計");
  EXPECT_EQ((*mail)[2]["v"], 4);
  EXPECT_NE(sanso::testing::find_cell(operations, "無害化（sanitized）"), nullptr) << operations.dump();
  EXPECT_NE(sanso::testing::find_cell(operations, "違反（breach）"), nullptr) << operations.dump();

  const auto& audit_sheet = book["監査"];
  const nlohmann::json* verified = sanso::testing::find_row(audit_sheet, "検証結果");
  ASSERT_NE(verified, nullptr) << audit_sheet.dump();
  EXPECT_EQ((*verified)[1]["v"].get<std::string>().rfind("改ざんなし", 0), 0u) << verified->dump();
  const nlohmann::json* size = sanso::testing::find_row(audit_sheet, "木の大きさ（tree size）");
  ASSERT_NE(size, nullptr);
  EXPECT_EQ((*size)[1]["v"], std::to_string(checkpoint_.checkpoint.size));
  EXPECT_NE(sanso::testing::find_cell(audit_sheet, audit::to_base64(checkpoint_.checkpoint.root)), nullptr) << audit_sheet.dump();
  EXPECT_NE(sanso::testing::find_cell(audit_sheet, checkpoint_.note), nullptr) << "the signed note, signature line included";
  EXPECT_NE(sanso::testing::find_cell(audit_sheet, "検証済み"), nullptr) << audit_sheet.dump();
  EXPECT_NE(sanso::testing::find_cell(audit_sheet, "sanso inspect verify t-monthly:mayor:2026-11"), nullptr);

  // A record rewritten after the fact: the sheet says the log does not verify, never "intact".
  ASSERT_TRUE(db_->execute("UPDATE audit_entries SET record = ? WHERE idx = ?",
                           {std::string("{\"action\":\"mail.gateway\",\"outcome\":\"clean\"}"), static_cast<std::int64_t>(first_)}));
  ASSERT_TRUE(write_xlsx_report(campaigns, "t-monthly:mayor:2026-11", sources, dir / "tampered.xlsx"));
  const auto tampered = sanso::testing::read_xlsx(dir / "tampered.xlsx");
  const nlohmann::json* problem = sanso::testing::find_row(tampered["監査"], "検証結果");
  ASSERT_NE(problem, nullptr);
  EXPECT_EQ((*problem)[1]["v"].get<std::string>().rfind("問題あり", 0), 0u) << problem->dump();
  EXPECT_EQ(sanso::testing::find_cell(tampered["監査"], "改ざんなし"), nullptr);

  // Without the verifier key the sheet says it did not verify.
  const ReportSources keyless{&policy_, db_.get(), nullptr};
  ASSERT_TRUE(write_xlsx_report(campaigns, "t-monthly:mayor:2026-11", keyless, dir / "keyless.xlsx"));
  const auto unverified = sanso::testing::read_xlsx(dir / "keyless.xlsx");
  const nlohmann::json* none = sanso::testing::find_row(unverified["監査"], "検証結果");
  ASSERT_NE(none, nullptr);
  EXPECT_EQ((*none)[1]["v"].get<std::string>().rfind("未検証", 0), 0u) << none->dump();
}

// The same report printed: Chromium in the converter sandbox renders the print-ready page, and
// pdftotext (another process) reads back the Japanese text and the figures.
TEST_P(StatsTest, ThePdfReportPrintsTheChecklistSummaryTrendStatisticsAndAuditInJapanese) {
  const PdfPrinter printer;
  if (::access(printer.chromium.c_str(), X_OK) != 0) GTEST_SKIP() << printer.chromium << " is not installed (Debian package chromium)";
  if (::access(sanso::testing::kPdfToText, X_OK) != 0) GTEST_SKIP() << "pdftotext is not installed (Debian package poppler-utils)";
  ASSERT_NO_FATAL_FAILURE(seed_campaigns());
  Campaigns& campaigns = *campaigns_;
  const std::filesystem::path dir = t_->dir();
  const ReportSources sources{&policy_, db_.get(), &key_.verifier};
  auto printed = write_pdf_report(campaigns, "t-monthly:mayor:2026-11", sources, printer, dir / "report.pdf");
  ASSERT_TRUE(printed) << printed.error().to_string();
  const std::string text = sanso::testing::pdf_text(dir / "report.pdf");
  // The 点検表 with its answer, note and evidence reference.
  for (const char* words : {"月次点検", "市長部局", "t-monthly:mayor:2026-11", "点検表", "研修が未実施", "研修出席簿.pdf", "証跡", "是正措置"}) {
    EXPECT_NE(text.find(words), std::string::npos) << words << "\n" << text;
  }
  EXPECT_NE(sanso::testing::line_with(text, "training").find("いいえ"), std::string::npos) << text;
  // The summary per body: both bodies of November.
  EXPECT_NE(text.find("実施機関別の集計"), std::string::npos) << text;
  EXPECT_NE(text.find("教育委員会"), std::string::npos) << text;
  // The trend against October: one message then, four now.
  EXPECT_NE(text.find("前回の点検との比較"), std::string::npos) << text;
  EXPECT_NE(text.find("t-monthly:mayor:2026-10"), std::string::npos) << text;
  const std::string mail_trend = sanso::testing::line_with(text, "メール（ゲートウェイ）");
  EXPECT_NE(mail_trend.find("+3"), std::string::npos) << mail_trend;
  // The monthly statistics, with a chart per measure.
  EXPECT_NE(text.find("運用統計"), std::string::npos) << text;
  EXPECT_NE(text.find("2026-11"), std::string::npos) << text;
  // The auditor's section: the log verified, the signed checkpoint's size.
  EXPECT_NE(text.find("監査ログの検証"), std::string::npos) << text;
  EXPECT_NE(text.find("改ざんなし"), std::string::npos) << text;
  EXPECT_NE(text.find("最新の署名付きチェック"), std::string::npos) << text;  // the label wraps in its cell
  EXPECT_NE(sanso::testing::line_with(text, "木の大きさ").find(std::to_string(checkpoint_.checkpoint.size)), std::string::npos) << text;
  EXPECT_NE(sanso::testing::line_with(text, "評価 #").find("検証済み"), std::string::npos) << text;

  // Without Chromium: a clear error naming what is missing, and no file.
  const PdfPrinter missing{"/nonexistent/chromium", std::chrono::seconds(5)};
  auto refused = write_pdf_report(campaigns, "t-monthly:mayor:2026-11", sources, missing, dir / "missing.pdf");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "inspect.pdf-printer");
  EXPECT_NE(refused.error().message.find("chromium"), std::string::npos) << refused.error().to_string();
  EXPECT_FALSE(std::filesystem::exists(dir / "missing.pdf"));

  // A program that prints nothing (here: one that exits at once) is an error too, not an empty file.
  const PdfPrinter silent{"/bin/true", std::chrono::seconds(5)};
  auto empty = write_pdf_report(campaigns, "t-monthly:mayor:2026-11", sources, silent, dir / "silent.pdf");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, "inspect.pdf-printer") << empty.error().to_string();
  EXPECT_FALSE(std::filesystem::exists(dir / "silent.pdf"));
}

SANSO_ON_EVERY_BACKEND(StatsTest);

}  // namespace
}  // namespace sanso::inspect
