// The masked report a kept mail carries: written straight out, it is the document road's bytes.
#include "mail/plan_report.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "mail/full_plan.h"
#include "mail/internal/plan_report.h"
#include "support/files.h"

namespace sanso::mail {
namespace {

namespace fs = std::filesystem;

// full_plan() with every kind of character the escapes treat apart — quotes, backslashes, the
// short escapes, other controls, DEL, a four-byte character — and numbers to mask (a 個人番号 and a
// 法人番号 in the sender's strings).
SanitizePlan every_field() {
  SanitizePlan plan = full_plan();
  plan.reason = "理由 \"quoted\" back\\slash 123456789018";
  plan.headers.push_back({"Subject", "件名\t\x01\x1f\x7f"});
  plan.parts.at(1).name = "説明会_個人番号123456789018.pdf";
  plan.warnings.push_back("警告1\b\f\n\r 😀 ｶﾅ");
  plan.subject = "件名 法人番号 7000012050002";
  plan.message_id = "<123456789018@example.net>";
  return plan;
}

TEST(MaskedReport, IsTheDocumentsBytesForEveryField) {
  const SanitizePlan plan = every_field();
  const std::string written = masked_plan_report_json(plan);
  EXPECT_EQ(written, internal::masked_plan_report_json_by_document(plan));
  EXPECT_EQ(written.find("123456789018"), std::string::npos) << written;
  EXPECT_EQ(written.find("7000012050002"), std::string::npos) << written;
  EXPECT_EQ(written.find("bad bytes"), std::string::npos) << "the body is not in the report";
  EXPECT_EQ(nlohmann::json::parse(written)["parts"][1]["action"], "pending");
}

TEST(MaskedReport, AnEmptyPlanToo) {
  const SanitizePlan plan;
  EXPECT_EQ(masked_plan_report_json(plan), internal::masked_plan_report_json_by_document(plan));
}

// Bytes that are not UTF-8 (a plan made in this process, not read from the wire, may hold them):
// the document road replaces them, and is taken.
TEST(MaskedReport, BytesThatAreNotUtf8TakeTheDocumentRoad) {
  SanitizePlan plan = every_field();
  plan.subject = "bad \xff\xfe bytes \xe3\x81";
  const std::string written = masked_plan_report_json(plan);
  EXPECT_EQ(written, internal::masked_plan_report_json_by_document(plan));
  EXPECT_TRUE(nlohmann::json::accept(written));
}

// Plans of real mail: the test cases and the public corpora.
TEST(MaskedReport, IsTheDocumentsBytesForRealMail) {
  std::vector<fs::path> mails;
  for (const auto& e : fs::directory_iterator(fs::path(SANSO_SOURCE_DIR) / "tests/data/mail")) mails.push_back(e.path() / "input.eml");
  const fs::path corpora = fs::path(SANSO_SOURCE_DIR) / "../shared/corpora/mail";
  if (fs::exists(corpora)) {
    for (const auto& e : fs::recursive_directory_iterator(corpora)) {
      if (e.is_regular_file() && (e.path().extension() == ".eml" || e.path().extension() == ".txt")) mails.push_back(e.path());
    }
  } else {
    std::fprintf(stderr, "no corpora at %s (../shared/corpora absent): the test cases only\n", corpora.c_str());
  }
  ASSERT_GT(mails.size(), 5u);
  for (const auto& path : mails) {
    SCOPED_TRACE(path.string());
    const SanitizePlan plan = sanitize_message(sanso::testing::read_file(path), SanitizeOptions{});
    EXPECT_EQ(masked_plan_report_json(plan), internal::masked_plan_report_json_by_document(plan));
  }
}

}  // namespace
}  // namespace sanso::mail
