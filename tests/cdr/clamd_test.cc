// clamd around the engine, against a real clamd with a test signature: infected originals and
// infected members of archives are blocked, an unreachable clamd blocks (fails closed) with a
// clear error rather than passing files unscanned.
#include "cdr/clamd.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include "cdr/fixtures.h"
#include "support/clamd_server.h"

namespace sanso::cdr {
namespace {

namespace fs = std::filesystem;

class Clamd : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sanso-clamd-" + std::to_string(::getpid()));
    server_ = std::make_unique<sanso::testing::ClamdServer>(dir_);
    if (!server_->available()) GTEST_SKIP() << "clamd is not installed or did not start (apt-get install clamav-daemon)";
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }
  fs::path dir_;
  std::unique_ptr<sanso::testing::ClamdServer> server_;
};

TEST_F(Clamd, FindsTheSignatureInFilesAndInsideArchives) {
  ASSERT_TRUE(clamd_ping(server_->address()).has_value());
  auto clean = clamd_scan(server_->address(), "a clean text");
  ASSERT_TRUE(clean.has_value()) << clean.error().to_string();
  EXPECT_FALSE(clean->infected);
  auto bad = clamd_scan(server_->address(), std::string("xx ") + sanso::testing::kTestVirus + " yy");
  ASSERT_TRUE(bad.has_value());
  EXPECT_TRUE(bad->infected);
  EXPECT_EQ(bad->signature, "SansoTestSignature.UNOFFICIAL");
  auto zipped = clamd_scan(server_->address(), fixtures::make_zip({{"inner/readme.txt", std::string("note ") + sanso::testing::kTestVirus}}));
  ASSERT_TRUE(zipped.has_value());
  EXPECT_TRUE(zipped->infected) << "clamd looks inside archives";
}

TEST_F(Clamd, AnInfectedFileIsBlockedBeforeTheEngineRuns) {
  bool ran = false;
  CdrResult r = with_antivirus(server_->address(), std::string("a,b\n") + sanso::testing::kTestVirus + "\n", "list.csv", [&] {
    ran = true;
    return sanitize("x", "list.csv", {});
  });
  EXPECT_FALSE(ran);
  EXPECT_EQ(r.verdict, Verdict::blocked);
  EXPECT_EQ(r.reason, "virus");
  EXPECT_EQ(r.findings.at(0).kind, FindingKind::kVirus);
  CdrResult ok = with_antivirus(server_->address(), "a,=b\n", "list.csv", [&] { return sanitize("a,=b\n", "list.csv", {}); });
  EXPECT_EQ(ok.verdict, Verdict::sanitized);
}

TEST(ClamdAbsent, AnUnreachableClamdIsAClearErrorAndBlocks) {
  auto ping = clamd_ping("unix:/nonexistent/clamd.sock");
  ASSERT_FALSE(ping.has_value());
  EXPECT_EQ(ping.error().code, "clamd.unavailable");
  EXPECT_NE(ping.error().message.find("not reachable"), std::string::npos);
  EXPECT_EQ(clamd_scan("tcp:127.0.0.1:1", "x").error().code, "clamd.unavailable");
  CdrResult r = with_antivirus("unix:/nonexistent/clamd.sock", "hello", "a.txt", [] { return sanitize("hello", "a.txt", {}); });
  EXPECT_EQ(r.verdict, Verdict::blocked);
  EXPECT_EQ(r.reason, "internal");
  EXPECT_TRUE(r.output.empty());
}

}  // namespace
}  // namespace sanso::cdr
