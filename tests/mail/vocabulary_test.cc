#include "mail/vocabulary.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mail/sanitize.h"

namespace sanso::mail {
namespace {

// Every enumerator's wire name parses back to it, and each has a Japanese and an English label.
template <typename E, typename Parse>
void expect_round_trip(const std::vector<std::pair<E, std::string>>& expected, Parse parse) {
  for (const auto& [value, name] : expected) {
    EXPECT_EQ(to_string(value), name);
    auto parsed = parse(name, "here");
    ASSERT_TRUE(parsed) << parsed.error().to_string();
    EXPECT_EQ(*parsed, value);
    EXPECT_FALSE(label(value, "ja").empty()) << name;
    EXPECT_FALSE(label(value, "en").empty()) << name;
    EXPECT_NE(label(value, "ja"), label(value, "en")) << name;
  }
}

TEST(MailVocabulary, RoundTripsEveryWireName) {
  expect_round_trip<Verdict>({{Verdict::kClean, "clean"}, {Verdict::kSanitized, "sanitized"}, {Verdict::kHeld, "held"}}, parse_verdict);
  expect_round_trip<PartAction>({{PartAction::kBody, "body"},
                                 {PartAction::kConverted, "converted"},
                                 {PartAction::kRemoved, "removed"},
                                 {PartAction::kSanitized, "sanitized"},
                                 {PartAction::kRejected, "rejected"},
                                 {PartAction::kSkipped, "skipped"},
                                 {PartAction::kPending, "pending"}},
                                parse_part_action);
  expect_round_trip<AttachmentAction>(
      {{AttachmentAction::kRemove, "remove"}, {AttachmentAction::kSanitize, "sanitize"}, {AttachmentAction::kReject, "reject"}},
      parse_attachment_action);
  expect_round_trip<ParserCriticalAction>({{ParserCriticalAction::kRemoveAttachments, "remove-attachments"},
                                           {ParserCriticalAction::kHold, "hold"},
                                           {ParserCriticalAction::kSanitize, "sanitize"}},
                                          parse_parser_critical_action);
  expect_round_trip<IdentifierAction>({{IdentifierAction::kHold, "hold"}, {IdentifierAction::kReject, "reject"}}, parse_identifier_action);
  expect_round_trip<PictureReading>({{PictureReading::kOcr, "ocr"}, {PictureReading::kHold, "hold"}}, parse_picture_reading);
  expect_round_trip<OutsideCitySender>({{OutsideCitySender::kReject, "reject"}, {OutsideCitySender::kInternet, "internet"}}, parse_outside_city_sender);
  expect_round_trip<NumberKind>({{NumberKind::kIndividual, "individual_number"}, {NumberKind::kCorporate, "corporate_number"}}, parse_number_kind);
  expect_round_trip<SenderFindingKind>({{SenderFindingKind::kAddressInName, "address-in-name"},
                                        {SenderFindingKind::kCityName, "city-name"},
                                        {SenderFindingKind::kCorrespondentName, "correspondent-name"},
                                        {SenderFindingKind::kLookalikeDomain, "lookalike-domain"},
                                        {SenderFindingKind::kCityAddressFromInternet, "city-address-from-internet"}},
                                       parse_sender_finding_kind);
  EXPECT_EQ(label(NumberKind::kIndividual, "ja"), "個人番号");
  EXPECT_EQ(label(NumberKind::kCorporate, "ja"), "法人番号");
}

// The parser finding kinds keep the wire names the reports and audit records already hold, each
// with its words and GMime's grading; a code nobody graded is critical and named with its code.
TEST(MailVocabulary, ParserFindingKindsRoundTripWithTheirSeverity) {
  const std::vector<std::pair<ParserFindingKind, std::string>> kinds = {
      {ParserFindingKind::kDuplicatedHeader, "duplicated-header"},
      {ParserFindingKind::kConflictingHeader, "conflicting-header"},
      {ParserFindingKind::kMultipartWithoutBoundary, "multipart-without-boundary"},
      {ParserFindingKind::kUnencoded8bitHeader, "unencoded-8bit-header"},
      {ParserFindingKind::kInvalidRfc2047Header, "invalid-rfc2047-header"},
      {ParserFindingKind::kPartOutsideBoundaries, "part-outside-boundaries"},
      {ParserFindingKind::kAmbiguousPartHeader, "ambiguous-part-header"},
      {ParserFindingKind::kUnknown, "unknown"},
  };
  expect_round_trip<ParserFindingKind>(kinds, parse_parser_finding_kind);
  EXPECT_EQ(severity_of(ParserFindingKind::kDuplicatedHeader), FindingSeverity::kWarning);
  EXPECT_EQ(severity_of(ParserFindingKind::kConflictingHeader), FindingSeverity::kCritical);
  EXPECT_EQ(severity_of(ParserFindingKind::kAmbiguousBoundary), FindingSeverity::kCritical);
  EXPECT_EQ(severity_of(ParserFindingKind::kUnknown), FindingSeverity::kCritical);
  for (int k = 0; k <= static_cast<int>(ParserFindingKind::kUnknown); ++k) {
    const auto kind = static_cast<ParserFindingKind>(k);
    auto back = parse_parser_finding_kind(to_string(kind), "here");
    ASSERT_TRUE(back) << to_string(kind);
    EXPECT_EQ(*back, kind);
  }

  // On the wire a finding of an unknown code carries the code, and reads back with it.
  ParserFinding f;
  f.kind = ParserFindingKind::kUnknown;
  f.unknown_code = 4242;
  EXPECT_EQ(kind_name(f), "unknown-4242");
  ParserFinding back;
  ASSERT_TRUE(read_kind_name(back, "unknown-4242", "here"));
  EXPECT_EQ(back.kind, ParserFindingKind::kUnknown);
  EXPECT_EQ(back.unknown_code, 4242);
  EXPECT_NE(describe_parser_finding(back, "en").find("unknown-4242"), std::string::npos) << describe_parser_finding(back, "en");
  ASSERT_TRUE(read_kind_name(back, "conflicting-header", "here"));
  EXPECT_EQ(back.kind, ParserFindingKind::kConflictingHeader);
  EXPECT_EQ(kind_name(back), "conflicting-header");
  EXPECT_EQ(describe_parser_finding(back, "ja"), "内容の食い違う重複ヘッダー");
  // Words Sanso never writes: refused with where they were.
  for (const char* word : {"", "unknown", "unknown-", "unknown-x", "unknown-12x", "unknown-99999999999", "Conflicting-header", "conflicting_header"}) {
    ParserFinding bad;
    auto r = read_kind_name(bad, word, "plan JSON parser_findings[].kind");
    ASSERT_FALSE(r) << word;
    EXPECT_EQ(r.error().code, "mail.value") << word;
    EXPECT_EQ(r.error().where, "plan JSON parser_findings[].kind") << word;
  }
}

TEST(MailVocabulary, RejectsOtherWordsSayingWhatWhereAndWhy) {
  auto bad = parse_verdict("blocked", "plan JSON verdict");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "mail.value");
  EXPECT_EQ(bad.error().where, "plan JSON verdict");
  EXPECT_NE(bad.error().message.find("'blocked'"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("clean, sanitized, held"), std::string::npos) << bad.error().message;
  for (const char* word : {"", "Held", "held ", " removed", "REMOVE", "remove\n", "pending"}) {
    EXPECT_FALSE(parse_verdict(word, "w")) << word;
    EXPECT_FALSE(parse_attachment_action(word, "w")) << word;
  }
  EXPECT_FALSE(parse_part_action("Removed", "w"));
  EXPECT_FALSE(parse_parser_critical_action("remove_attachments", "w"));
  EXPECT_FALSE(parse_identifier_action("drop", "w"));
  EXPECT_FALSE(parse_identifier_action("Hold", "w"));
  EXPECT_FALSE(parse_outside_city_sender("accept", "w"));
  EXPECT_FALSE(parse_number_kind("individual-number", "w"));
  EXPECT_FALSE(parse_sender_finding_kind("city_name", "w"));
  auto outside = parse_outside_city_sender("internet ", "[mail] outside_city_sender");
  ASSERT_FALSE(outside);
  EXPECT_NE(outside.error().message.find("reject, internet"), std::string::npos) << outside.error().message;
  // A hostile value is quoted bounded and printable: it may come from a broken sandbox answer.
  auto hostile = parse_part_action(std::string(10000, 'x') + "\x1b[2J", "w");
  ASSERT_FALSE(hostile);
  EXPECT_LT(hostile.error().message.size(), 200u);
  EXPECT_EQ(hostile.error().message.find('\x1b'), std::string::npos);
  EXPECT_EQ(attachment_action_names(), "remove, sanitize, reject");
}

// The plan crosses the sandbox as JSON with the same words; an unknown word there is a broken
// answer (the caller holds the message), never read as some default.
TEST(MailVocabulary, PlanJsonKeepsWireWordsAndRefusesUnknownOnes) {
  SanitizePlan plan;
  plan.verdict = Verdict::kSanitized;
  PartReport part;
  part.path = "1";
  part.action = PartAction::kRejected;
  plan.parts.push_back(part);
  const std::string json = plan_to_json(plan);
  EXPECT_NE(json.find("\"verdict\":\"sanitized\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"action\":\"rejected\""), std::string::npos) << json;
  auto back = plan_from_json(json);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->verdict, Verdict::kSanitized);
  EXPECT_EQ(back->parts.at(0).action, PartAction::kRejected);

  std::string bad_verdict = json;
  bad_verdict.replace(bad_verdict.find("\"sanitized\""), 11, "\"passed\"");
  auto refused = plan_from_json(bad_verdict);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "mail.plan");
  EXPECT_NE(refused.error().message.find("'passed'"), std::string::npos) << refused.error().message;

  std::string bad_action = json;
  bad_action.replace(bad_action.find("\"rejected\""), 10, "\"kept\"");
  auto refused_action = plan_from_json(bad_action);
  ASSERT_FALSE(refused_action);
  EXPECT_EQ(refused_action.error().where, "plan JSON parts[0].action");
}

}  // namespace
}  // namespace sanso::mail
