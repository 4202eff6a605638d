#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "cdr/cdr.h"
#include "cdr/internal/format.h"

namespace sanso::cdr {
namespace {

TEST(CdrVocabulary, VerdictsAndActionsRoundTrip) {
  for (Verdict v : {Verdict::clean, Verdict::sanitized, Verdict::blocked}) {
    auto back = parse_verdict(to_string(v), "here");
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(*back, v);
    EXPECT_NE(label(v, "ja"), label(v, "en"));
  }
  EXPECT_EQ(to_string(Verdict::blocked), "blocked");
  for (FindingAction a : {FindingAction::kRemoved, FindingAction::kNeutralised, FindingAction::kConverted, FindingAction::kBlocked,
                          FindingAction::kHeldForApproval}) {
    auto back = parse_finding_action(to_string(a), "here");
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(*back, a);
    EXPECT_FALSE(label(a, "ja").empty());
  }
  // The wire words the audit records and reports already hold.
  EXPECT_EQ(to_string(FindingAction::kHeldForApproval), "held for approval");
  EXPECT_EQ(to_string(FindingAction::kNeutralised), "neutralised");
  for (FindingSeverity s : {FindingSeverity::kInfo, FindingSeverity::kWarning, FindingSeverity::kCritical}) {
    auto back = parse_finding_severity(to_string(s), "here");
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(*back, s);
  }
}

TEST(CdrVocabulary, RejectsOtherWordsSayingWhatAndWhere) {
  auto bad = parse_verdict("passed", "the engine's answer: verdict");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "cdr.value");
  EXPECT_EQ(bad.error().where, "the engine's answer: verdict");
  EXPECT_NE(bad.error().message.find("'passed'"), std::string::npos);
  EXPECT_NE(bad.error().message.find("clean, sanitized, blocked"), std::string::npos) << bad.error().message;
  EXPECT_FALSE(parse_finding_action("neutralized", "w"));  // the engine writes the British spelling
  EXPECT_FALSE(parse_finding_action("", "w"));
  EXPECT_FALSE(parse_finding_severity("error", "w"));
  EXPECT_FALSE(parse_verdict("Clean", "w"));
}

TEST(CdrVocabulary, EveryKindHasASeverityAndUnknownKindsAreCritical) {
  EXPECT_EQ(severity_of("vba_macro"), FindingSeverity::kCritical);
  EXPECT_EQ(severity_of("pdf_javascript"), FindingSeverity::kCritical);
  EXPECT_EQ(severity_of("external_relationship"), FindingSeverity::kWarning);
  EXPECT_EQ(severity_of("image_metadata"), FindingSeverity::kInfo);
  EXPECT_EQ(severity_of("virus"), FindingSeverity::kCritical);
  // Never harmless by omission: a kind nobody graded yet.
  EXPECT_EQ(severity_of("some_new_kind"), FindingSeverity::kCritical);
  EXPECT_EQ(severity_of(""), FindingSeverity::kCritical);
  // Every blocked reason the engine gives has its kind in the table (finding_kind_of).
  for (const char* reason : {"encrypted", "executable", "unknown-type", "extension-mismatch", "extension-not-allowed", "active-content", "limit",
                             "malformed", "unsupported", "deceptive-name", "sandbox-violation", "timeout", "internal"}) {
    const std::string kind = finding_kind_of(reason);
    EXPECT_NE(describe(kind, "en"), kind) << reason;
  }
}

// The table in src/cdr/README.md lists every kind with the severity the code gives it.
TEST(CdrVocabulary, ReadmeTableAgreesWithTheCode) {
  std::ifstream in(std::string(SANSO_SOURCE_DIR) + "/src/cdr/README.md");
  ASSERT_TRUE(in) << "src/cdr/README.md";
  std::stringstream text;
  text << in.rdbuf();
  const std::string readme = text.str();
  ASSERT_FALSE(finding_kinds().empty());
  for (std::string_view kind : finding_kinds()) {
    const std::string row = "| `" + std::string(kind) + "` | " + std::string(to_string(severity_of(kind))) + " |";
    EXPECT_NE(readme.find(row), std::string::npos) << "README.md lacks the row " << row;
  }
}

// The severity travels in the report JSON beside the words that were there before.
TEST(CdrVocabulary, ReportJsonCarriesSeverity) {
  CdrResult r;
  r.verdict = Verdict::sanitized;
  r.type = "docx";
  r.findings.push_back({"vba_macro", "word/vbaProject.bin", FindingAction::kRemoved});
  r.findings.push_back({"image_metadata", "word/media/image1.jpeg", FindingAction::kRemoved});
  const std::string json = result_to_json(r);
  EXPECT_NE(json.find(R"({"kind":"vba_macro","location":"word/vbaProject.bin","action":"removed","severity":"critical"})"), std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("severity":"info")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("verdict":"sanitized")"), std::string::npos) << json;
}

// An answer from the sandbox with a word the engine does not write is broken, never a verdict.
TEST(CdrVocabulary, DecodeRefusesUnknownWords) {
  CdrResult r;
  r.verdict = Verdict::clean;
  r.type = "txt";
  r.output = "x";
  r.findings.push_back({"nul_bytes", "1", FindingAction::kRemoved});
  const std::string good = encode_result(r);
  auto back = decode_result(good);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->findings.at(0).action, FindingAction::kRemoved);

  auto tampered = [&](const std::string& from, const std::string& to) {
    std::string json = result_to_json(r);
    json.replace(json.find(from), from.size(), to);
    std::string out;
    std::uint64_t n = json.size();
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
    return out + json + r.output;
  };
  auto verdict = decode_result(tampered(R"("verdict":"clean")", R"("verdict":"passed")"));
  ASSERT_FALSE(verdict);
  EXPECT_EQ(verdict.error().code, "cdr.internal");
  auto missing = decode_result(tampered(R"("verdict":"clean",)", ""));
  ASSERT_FALSE(missing);
  auto action = decode_result(tampered(R"("action":"removed")", R"("action":"kept")"));
  ASSERT_FALSE(action);
  EXPECT_NE(action.error().where.find("findings[0].action"), std::string::npos) << action.error().where;
}

// Content families are an enum inside the engine; their names are what [cdr] extension_map may
// give instead of a type, so each is distinct and kNone alone is empty.
TEST(CdrVocabulary, FamiliesHaveDistinctNames) {
  using internal::Family;
  std::set<std::string_view> names;
  for (int f = 0; f <= static_cast<int>(Family::kUnknown); ++f) {
    const std::string_view name = internal::to_string(static_cast<Family>(f));
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(name.empty(), static_cast<Family>(f) == Family::kNone) << f;
  }
  EXPECT_EQ(internal::extension_family("docx"), Family::kWord);
  EXPECT_EQ(internal::extension_family("odt"), Family::kOdfText);
  EXPECT_EQ(internal::extension_family("exe"), Family::kNone);  // dangerous names are judged elsewhere
  EXPECT_EQ(internal::to_string(Family::kOdfSpreadsheet), "odf-spreadsheet");
  EXPECT_TRUE(internal::is_odf(Family::kOdfGraphics));
  EXPECT_FALSE(internal::is_odf(Family::kWord));
  EXPECT_TRUE(internal::is_ooxml(Family::kOoxml));
  EXPECT_FALSE(internal::is_ooxml(Family::kRtf));
  // A .dat the policy maps to the family "pdf" passes with PDF content, and only with it.
  CdrPolicy policy;
  policy.extension_map["dat"] = "pdf";
  const std::string pdf = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
                          "trailer<</Root 1 0 R>>\n%%EOF\n";
  EXPECT_NE(sanitize(pdf, "a.dat", policy).reason, "extension-mismatch");
  EXPECT_EQ(sanitize("plain text\n", "a.dat", policy).reason, "extension-mismatch");
}

}  // namespace
}  // namespace sanso::cdr
