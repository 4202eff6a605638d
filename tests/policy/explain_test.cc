#include "policy/explain.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>

#include "fixtures.h"

namespace sanso::policy {
namespace {

CompiledPolicy example() {
  auto p = load_checked_policy(std::string(SANSO_SOURCE_DIR) + "/examples/minamata/policy.toml", testing::kToday);
  EXPECT_TRUE(p);
  return std::move(CompiledPolicy::compile(std::move(*p), testing::kToday)).value();
}

const ExplainCell& cell(const CompiledPolicy& c, const std::vector<ExplainCell>& cells, std::string_view f, std::string_view t, Channel ch) {
  for (const ExplainCell& x : cells) {
    if (x.from == *c.zone_index(f) && x.to == *c.zone_index(t) && x.channel == ch) return x;
  }
  throw std::runtime_error("no cell");
}

TEST(Explain, CoversEveryZonePairAndChannel) {
  auto c = example();
  auto cells = explain(c);
  EXPECT_EQ(cells.size(), static_cast<std::size_t>(c.zone_count() * c.zone_count() * kChannelCount));
  const ExplainCell& mail = cell(c, cells, "internet", "lgwan", Channel::kMail);
  ASSERT_EQ(mail.outcomes.size(), 1u);
  EXPECT_EQ(mail.outcomes[0].action, Action::kSanitize);
  EXPECT_TRUE(mail.outcomes[0].all_levels);
  EXPECT_TRUE(mail.outcomes[0].all_roles);

  // lgwan → internet mail depends on the level only: sanitize at 1, approve at 2, deny above.
  const ExplainCell& out = cell(c, cells, "lgwan", "internet", Channel::kMail);
  ASSERT_EQ(out.outcomes.size(), 3u);
  for (const Outcome& o : out.outcomes) {
    EXPECT_TRUE(o.all_roles);
    EXPECT_FALSE(o.all_levels);
  }
  EXPECT_EQ(out.most_permissive(), Action::kSanitize);

  // The eLTAX exception depends on the role only.
  const ExplainCell& import = cell(c, cells, "lgwan", "mynumber", Channel::kFile);
  ASSERT_EQ(import.outcomes.size(), 2u);
  EXPECT_FALSE(import.outcomes[0].all_roles);
}

TEST(Explain, TextTableInJapaneseAndEnglish) {
  auto c = example();
  auto cells = explain(c);
  const std::string ja = render_explain_text(c, cells, "ja", true);
  EXPECT_NE(ja.find("送信元"), std::string::npos);
  EXPECT_TRUE(std::regex_search(ja, std::regex("\nインターネット接続系 +LGWAN接続系 +メール +無害化 +profile.inet-lgwan-mail +6\\(3\\)② ")))
      << ja;
  EXPECT_NE(ja.find("承認要（統括情報セキュリティ責任者）"), std::string::npos);
  EXPECT_EQ(ja.find("同一領域内の業務通信"), std::string::npos);  // cross-zone only
  const std::string en = render_explain_text(c, cells, "en", false);
  EXPECT_NE(en.find("Internet zone"), std::string::npos);
  EXPECT_NE(en.find("Business traffic inside one zone"), std::string::npos);
}

TEST(Explain, JsonIsMachineReadable) {
  auto c = example();
  auto j = nlohmann::json::parse(render_explain_json(c, explain(c), true));
  ASSERT_TRUE(j.is_array());
  bool saw = false;
  for (const auto& row : j) {
    EXPECT_NE(row["from"], row["to"]);
    if (row["from"] == "internet" && row["to"] == "lgwan" && row["channel"] == "mail") {
      saw = true;
      EXPECT_EQ(row["action"], "sanitize");
      EXPECT_EQ(row["clause"], "6(3)②");
    }
  }
  EXPECT_TRUE(saw);
}

TEST(ZoneMap, DrawsZonesSystemsAndOnlyUndeniedFlows) {
  auto c = example();
  const std::string svg = render_zone_map_svg(c, "ja");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("マイナンバー利用事務系"), std::string::npos);
  EXPECT_NE(svg.find("住民記録システム"), std::string::npos);
  EXPECT_NE(svg.find("class=\"flow flow-sanitize\" data-from=\"internet\" data-to=\"lgwan\""), std::string::npos);
  EXPECT_NE(svg.find("class=\"flow flow-approve\" data-from=\"lgwan\" data-to=\"internet\""), std::string::npos);
  EXPECT_EQ(svg.find("data-from=\"mynumber\""), std::string::npos);  // nothing leaves mynumber
  // Text is escaped: no raw ampersands or angle brackets from names.
  EXPECT_EQ(svg.find("& "), std::string::npos);
}

TEST(ZoneMap, IsolatedZoneIsLabelled) {
  auto c = testing::compile_text(testing::base_policy());
  const std::string svg = render_zone_map_svg(c, "en");
  EXPECT_NE(svg.find("no communication with other zones"), std::string::npos);
}

}  // namespace
}  // namespace sanso::policy
