#include "audit/canonical_json.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sanso::audit {
namespace {

std::string jcs(const char* text) {
  auto r = canonical_json(nlohmann::json::parse(text));
  EXPECT_TRUE(r) << r.error().to_string();
  return r ? *r : "";
}

// RFC 8785 §3.2.3: keys sort by UTF-16 code units, so U+1F600 (a surrogate pair) sorts before U+FB33.
TEST(CanonicalJson, SortsKeysByUtf16CodeUnits) {
  EXPECT_EQ(jcs(R"({"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One",)"
                R"("\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"})"),
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xC2\x80\":\"Control\",\"\xC3\xB6\":\"Latin Small Letter O With Diaeresis\","
            "\"\xE2\x82\xAC\":\"Euro Sign\",\"\xF0\x9F\x98\x80\":\"Emoji: Grinning Face\",\"\xEF\xAC\xB3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

// RFC 8785 §3.2.2.2: only the mandatory escapes, lowercase hex; '/' and non-ASCII stay as they are.
TEST(CanonicalJson, EscapesStringsMinimally) {
  EXPECT_EQ(jcs(R"(["\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/"])"), "[\"\xE2\x82\xAC$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"]");
  EXPECT_EQ(jcs(R"({"s":"丸数字①㈱ 半角ｶﾅ\t\b\f"})"), "{\"s\":\"丸数字①㈱ 半角ｶﾅ\\t\\b\\f\"}");
}

TEST(CanonicalJson, NestedStructuresAndLiterals) {
  EXPECT_EQ(jcs(R"([56, {"d": true, "10": null, "1": [ ]}])"), R"([56,{"1":[],"10":null,"d":true}])");
  EXPECT_EQ(jcs(R"({"b":{"z":1,"a":-2},"a":[3,"x",false]})"), R"({"a":[3,"x",false],"b":{"a":-2,"z":1}})");
  EXPECT_EQ(jcs("1e3"), "1000");
}

TEST(CanonicalJson, RefusesWhatRecordsNeverHold) {
  EXPECT_FALSE(canonical_json(nlohmann::json(0.5)));
  EXPECT_FALSE(canonical_json(nlohmann::json(std::string("\xff\xfe"))));
  EXPECT_FALSE(canonical_json(nlohmann::json::binary({1, 2})));
}

}  // namespace
}  // namespace sanso::audit
