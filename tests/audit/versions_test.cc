// Kept versions of the policy (schema version 18): each text once per SHA-256, numbered in the
// order it took effect, with its own audit record; found by "@N" or a hash prefix; a text changed
// in the store is refused, not shown.
#include "audit/versions.h"

#include <gtest/gtest.h>

#include "core/digest.h"
#include "support/audited_store.h"

namespace sanso::audit {
namespace {

class FileVersionsTest : public sanso::testing::AuditedStoreTest {
 protected:
  Result<FileVersion> keep(const std::string& text, const std::string& actor = "gw1") {
    return keep_file_version(*db_, *log_, "policy", "/etc/sanso/policy.toml", sha256_hex(text), text, actor);
  }
};

TEST_P(FileVersionsTest, EachTextIsKeptOnceInTheOrderItTookEffectWithItsRecord) {
  const std::string first = "[municipality]\nname = \"水俣市\"\n", second = first + "# 改定\n";
  auto v1 = keep(first);
  ASSERT_TRUE(v1) << v1.error().to_string();
  EXPECT_EQ(v1->number, 1);
  EXPECT_EQ(v1->seen_by, "gw1");
  EXPECT_EQ(v1->size, static_cast<std::int64_t>(first.size()));
  EXPECT_EQ(actions_logged(), std::vector<std::string>{"policy.version"});
  EXPECT_EQ(v1->audit_index, 0u);

  // The same text again (another service starting, a restart): the same version, no new record.
  auto again = keep(first, "web1");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->number, 1);
  EXPECT_EQ(again->seen_by, "gw1");
  EXPECT_EQ(entries(), 1u);

  auto v2 = keep(second);
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->number, 2);
  // Back to the first text: still two versions, the first one in force again.
  ASSERT_TRUE(keep(first));
  auto all = file_versions(*db_, "policy");
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].sha256, sha256_hex(second));
  EXPECT_EQ(entries(), 2u);

  auto by_number = find_file_version(*db_, "policy", "@2");
  ASSERT_TRUE(by_number) << by_number.error().to_string();
  EXPECT_EQ(by_number->sha256, v2->sha256);
  auto by_hash = find_file_version(*db_, "policy", "@" + v1->sha256.substr(0, 8));
  ASSERT_TRUE(by_hash) << by_hash.error().to_string();
  EXPECT_EQ(by_hash->number, 1);
  auto text = file_version_text(*db_, "policy", 2);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, second);

  for (const char* bad : {"2", "@", "@abc", "@-1", "@zzzzzzzz"}) {
    auto refused = find_file_version(*db_, "policy", bad);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().code, "audit.bad-version") << bad;
  }
  auto none = find_file_version(*db_, "policy", "@3");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, "audit.no-version");
}

TEST_P(FileVersionsTest, ContentThatIsNotWhatWasHashedIsNotKept) {
  auto refused = keep_file_version(*db_, *log_, "policy", "/etc/sanso/policy.toml", sha256_hex("loaded"), "replaced meanwhile", "gw1");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "audit.version-mismatch");
  EXPECT_EQ(entries(), 0u);
  auto all = file_versions(*db_, "policy");
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->empty());
}

TEST_P(FileVersionsTest, AKeptTextChangedInTheStoreIsRefused) {
  ASSERT_TRUE(keep("[municipality]\n"));
  ASSERT_TRUE(db_->execute("UPDATE tracked_file_versions SET content = ? WHERE number = 1", {std::string("[municipality]\n# planted\n")}));
  auto damaged = file_version_text(*db_, "policy", 1);
  ASSERT_FALSE(damaged);
  EXPECT_EQ(damaged.error().code, "audit.version-damaged");
}

SANSO_ON_EVERY_BACKEND(FileVersionsTest);

}  // namespace
}  // namespace sanso::audit
