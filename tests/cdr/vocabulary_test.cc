#include <gtest/gtest.h>

#include <algorithm>
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

TEST(CdrVocabulary, EveryKindHasASeverityAndUnknownKindsAreRefused) {
  EXPECT_EQ(severity_of(FindingKind::kVbaMacro), FindingSeverity::kCritical);
  EXPECT_EQ(severity_of(FindingKind::kPdfJavascript), FindingSeverity::kCritical);
  EXPECT_EQ(severity_of(FindingKind::kExternalRelationship), FindingSeverity::kWarning);
  EXPECT_EQ(severity_of(FindingKind::kImageMetadata), FindingSeverity::kInfo);
  EXPECT_EQ(severity_of(FindingKind::kVirus), FindingSeverity::kCritical);
  // Never harmless by omission: a kind nobody graded cannot be written (every enumerator has its
  // row, checked when findings.cc compiles), and a word nobody wrote cannot be read as one.
  for (const char* word : {"some_new_kind", "", "VBA_MACRO", "vba-macro", "vba_macro "}) {
    auto bad = parse_finding_kind(word, "findings[0].kind");
    ASSERT_FALSE(bad) << word;
    EXPECT_EQ(bad.error().code, "cdr.value");
    EXPECT_EQ(bad.error().where, "findings[0].kind");
    EXPECT_NE(bad.error().message.find("'" + std::string(word) + "'"), std::string::npos) << bad.error().message;
  }
  // Every blocked reason the engine gives has its own kind in the table (finding_kind_of); a
  // reason without one is the engine's fault.
  for (const char* reason : {"encrypted", "executable", "unknown-type", "extension-mismatch", "extension-not-allowed", "active-content", "limit",
                             "malformed", "unsupported", "deceptive-name", "sandbox-violation", "timeout", "internal", "virus", "policy"}) {
    std::string name = reason;
    std::replace(name.begin(), name.end(), '-', '_');
    EXPECT_EQ(to_string(finding_kind_of(reason)), name) << reason;
  }
  EXPECT_EQ(finding_kind_of("no-such-reason"), FindingKind::kInternal);
}

// Every kind's wire name reads back as the same kind, and each has words in both languages.
TEST(CdrVocabulary, EveryKindRoundTrips) {
  std::set<std::string_view> names;
  for (FindingKind kind : finding_kinds()) {
    const std::string_view name = to_string(kind);
    EXPECT_TRUE(names.insert(name).second) << name;
    auto back = parse_finding_kind(name, "here");
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(*back, kind) << name;
    EXPECT_FALSE(label(kind, "ja").empty()) << name;
    EXPECT_FALSE(label(kind, "en").empty()) << name;
    EXPECT_NE(label(kind, "en"), name) << name;
  }
  EXPECT_EQ(names.size(), kFindingKindCount);
  EXPECT_EQ(to_string(FindingKind::kPdf3d), "pdf_3d");
  EXPECT_EQ(to_string(FindingKind::kExcel4Macro), "excel4_macro");
}

// The table in src/cdr/README.md lists every kind with the severity the code gives it.
TEST(CdrVocabulary, ReadmeTableAgreesWithTheCode) {
  std::ifstream in(std::string(SANSO_SOURCE_DIR) + "/src/cdr/README.md");
  ASSERT_TRUE(in) << "src/cdr/README.md";
  std::stringstream text;
  text << in.rdbuf();
  const std::string readme = text.str();
  ASSERT_FALSE(finding_kinds().empty());
  for (FindingKind kind : finding_kinds()) {
    const std::string row = "| `" + std::string(to_string(kind)) + "` | " + std::string(to_string(severity_of(kind))) + " |";
    EXPECT_NE(readme.find(row), std::string::npos) << "README.md lacks the row " << row;
  }
}

// The severity travels in the report JSON beside the words that were there before.
TEST(CdrVocabulary, ReportJsonCarriesSeverity) {
  CdrResult r;
  r.verdict = Verdict::sanitized;
  r.type = "docx";
  r.findings.push_back({FindingKind::kVbaMacro, "word/vbaProject.bin", FindingAction::kRemoved});
  r.findings.push_back({FindingKind::kImageMetadata, "word/media/image1.jpeg", FindingAction::kRemoved});
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
  r.findings.push_back({FindingKind::kNulBytes, "1", FindingAction::kRemoved});
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
  // A kind the engine does not write is as broken as a verdict it does not write.
  EXPECT_EQ(back->findings.at(0).kind, FindingKind::kNulBytes);
  auto kind = decode_result(tampered(R"("kind":"nul_bytes")", R"("kind":"nul_byte")"));
  ASSERT_FALSE(kind);
  EXPECT_EQ(kind.error().code, "cdr.internal");
  EXPECT_NE(kind.error().where.find("findings[0].kind"), std::string::npos) << kind.error().where;
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
