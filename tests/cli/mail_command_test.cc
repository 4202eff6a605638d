// `sanso mail sanitize` end to end: output written only after the original is in quarantine, and
// the decision in the audit log with the policy rule and clause it rests on.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <sodium.h>

#include "support/audit_records.h"
#include "support/cli_runner.h"
#include "support/failing_audit.h"
#include "support/test_store.h"

namespace {

namespace fs = std::filesystem;
using sanso::testing::run_sanso;

class MailCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sanso-mail-cli-" + sanso::testing::random_hex(4));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "sanso.toml") << "[service]\nnode = \"gw-test\"\ndata_dir = \"data\"\npolicy = \"" << SANSO_SOURCE_DIR
                                       << "/examples/minamata/policy.toml\"\n[mail]\ncontact = \"情報政策係（内線 2101）\"\nlang = \"en\"\n"
                                          "[[users]]\nname = \"tanaka\"\nroles = [\"security_manager\"]\n";
    config_ = " --config " + (dir_ / "sanso.toml").string();
    invoice_ = std::string(SANSO_SOURCE_DIR) + "/examples/minamata/mail/invoice.eml";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  fs::path dir_;
  std::string config_;
  std::string invoice_;
};

TEST_F(MailCli, WithoutConfigTheMessageIsSanitizedButNotStored) {
  auto r = run_sanso("mail sanitize " + invoice_ + " -o " + (dir_ / "out.eml").string() + " --report " + (dir_ / "r.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("sanitized (parts 2, removed 1)"), std::string::npos) << r.output;
  std::string out = read(dir_ / "out.eml");
  EXPECT_NE(out.find("X-Sanso-Sanitized: sanitized; id=none"), std::string::npos);
  EXPECT_NE(out.find("Content-Type: text/plain; charset=UTF-8"), std::string::npos);
  EXPECT_EQ(out.find("multipart"), std::string::npos);
  auto report = nlohmann::json::parse(read(dir_ / "r.json"));
  EXPECT_EQ(report["verdict"], "sanitized");
  EXPECT_EQ(report["parts"][1]["name"], "invoice.docm");
  EXPECT_EQ(report["parts"][1]["action"], "removed");
  EXPECT_GT(report["elapsed_ms"].get<double>(), 0.0);
  EXPECT_EQ(report["parts"][0]["decoded_as"], "utf-8");
}

TEST_F(MailCli, WithConfigTheOriginalIsQuarantinedAndTheDecisionAudited) {
  // The envelope as the administrator knows it (the mailbox it was delivered to) is kept with the
  // original: a release by mail goes there.
  auto r = run_sanso("mail sanitize " + invoice_ + " -o " + (dir_ / "out.eml").string() + " --charset iso-2022-jp" +
                     " --sender billing@sample-shoji.example --recipient kikaku@city.minamata.lg.jp" + config_);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string id = r.output.substr(r.output.find("quarantine id ") + 14);
  id = id.substr(0, id.find('\n'));
  ASSERT_TRUE(id.starts_with("Q")) << r.output;
  std::string out = read(dir_ / "out.eml");
  EXPECT_NE(out.find("X-Sanso-Sanitized: sanitized; id=" + id), std::string::npos);
  EXPECT_NE(out.find("charset=ISO-2022-JP"), std::string::npos);
  auto lang = run_sanso("mail sanitize " + invoice_ + " -o " + (dir_ / "en.eml").string() + config_);
  ASSERT_EQ(lang.exit_code, 0) << lang.output;
  std::string en = read(dir_ / "en.eml");
  EXPECT_NE(en.find("Content-Type: text/plain; charset=UTF-8"), std::string::npos);  // [mail] default charset
  // The text part: the first base64 block (the message is multipart once the attachment is rebuilt).
  const std::string marker = "Content-Transfer-Encoding: base64\r\n\r\n";
  std::string b64 = en.substr(en.find(marker) + marker.size());
  b64 = b64.substr(0, b64.find("\r\n\r\n"));
  b64 = b64.substr(0, b64.find("\r\n--"));
  std::string text(b64.size(), '\0');
  std::size_t len = 0;
  ASSERT_EQ(sodium_base642bin(reinterpret_cast<unsigned char*>(text.data()), text.size(), b64.data(), b64.size(), "\r\n", &len, nullptr,
                              sodium_base64_VARIANT_ORIGINAL),
            0);
  text.resize(len);
  EXPECT_NE(text.find("[Sanso notice]"), std::string::npos) << text;                 // [mail] lang = "en"
  EXPECT_NE(text.find("ask 情報政策係（内線 2101） quoting"), std::string::npos) << text;  // [mail] contact
  auto de = run_sanso("mail sanitize " + invoice_ + " -o " + (dir_ / "ja.eml").string() + " --lang ja" + config_);
  ASSERT_EQ(de.exit_code, 0) << de.output;
  auto show = run_sanso("quarantine show " + id + " --json" + config_);
  ASSERT_EQ(show.exit_code, 0) << show.output;
  auto item = nlohmann::json::parse(show.output);
  EXPECT_EQ(item["verdict"], "sanitized");
  EXPECT_EQ(item["origin"]["subject"], "【至急】請求書の送付（㈱サンプル商事）");
  EXPECT_EQ(item["origin"]["envelope_from"], "billing@sample-shoji.example");
  EXPECT_EQ(item["origin"]["envelope_to"], nlohmann::json::array({"kikaku@city.minamata.lg.jp"}));
  auto exported = run_sanso("quarantine export " + id + " -o " + (dir_ / "orig.eml").string() + " --as tanaka" + config_);
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  EXPECT_EQ(read(dir_ / "orig.eml"), read(invoice_));  // byte for byte
  const auto decisions = sanso::testing::exported_audit_records(config_, "mail.sanitize");
  ASSERT_FALSE(decisions.empty());
  const nlohmann::json& decision = decisions.front();  // the first run's
  EXPECT_EQ(decision["outcome"], "sanitized");
  EXPECT_EQ(decision["rule"], "profile.inet-lgwan-mail");
  EXPECT_EQ(decision["clause"], "6(3)②");
  EXPECT_EQ(decision["details"]["quarantine_id"], id);
  EXPECT_EQ(run_sanso("audit verify" + config_).exit_code, 0);
}

TEST_F(MailCli, WithAPolicyTheReportCarriesTheRuleAndADenyHoldsTheMessage) {
  auto r = run_sanso("mail sanitize " + invoice_ + " -o " + (dir_ / "p.eml").string() + " --report " + (dir_ / "p.json").string() + " --policy " +
                     std::string(SANSO_SOURCE_DIR) + "/examples/minamata/policy.toml");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto report = nlohmann::json::parse(read(dir_ / "p.json"));
  EXPECT_EQ(report["rule"], "profile.inet-lgwan-mail");
  EXPECT_EQ(report["clause"], "6(3)②");
  std::ofstream(dir_ / "deny.toml") << read(fs::path(SANSO_SOURCE_DIR) / "examples/minamata/policy.toml")
                                    << "\n[[rules]]\nid = \"city.no-internet-mail\"\nfrom = \"internet\"\nto = \"lgwan\"\nchannels = [\"mail\"]\n"
                                       "action = \"deny\"\nclause = \"6(3)②\"\nreason = \"受信停止中\"\n";
  auto denied = run_sanso("mail sanitize " + invoice_ + " -o " + (dir_ / "d.eml").string() + " --report " + (dir_ / "d.json").string() + " --policy " +
                          (dir_ / "deny.toml").string());
  ASSERT_EQ(denied.exit_code, 0) << denied.output;
  auto held = nlohmann::json::parse(read(dir_ / "d.json"));
  EXPECT_EQ(held["verdict"], "held");
  EXPECT_NE(held["reason"].get<std::string>().find("city.no-internet-mail"), std::string::npos);
  const std::string out = read(dir_ / "d.eml");
  EXPECT_NE(out.find("X-Sanso-Sanitized: held"), std::string::npos);
  EXPECT_EQ(out.find("multipart"), std::string::npos) << "nothing of a denied message passes, attachments included";
}

TEST_F(MailCli, BatchOverADirectoryAndAnMbox) {
  fs::create_directories(dir_ / "in" / "cur");  // a Maildir: cur/ and new/ are read, tmp/ is not
  fs::create_directories(dir_ / "in" / "tmp");
  for (const auto& e : fs::directory_iterator(fs::path(SANSO_SOURCE_DIR) / "tests/data/mail")) {
    fs::copy_file(e.path() / "input.eml", dir_ / "in" / "cur" / (e.path().filename().string() + ":2,S"));
  }
  fs::copy_file(dir_ / "in" / "cur" / "html-only-newsletter:2,S", dir_ / "in" / "tmp" / "being-delivered");
  // Given with a trailing slash: each output is named by its path under the input, its folders joined with '_'.
  auto dir = run_sanso("mail sanitize --input " + (dir_ / "in").string() + "/ --output-dir " + (dir_ / "out").string() + config_);
  ASSERT_EQ(dir.exit_code, 0) << dir.output;
  EXPECT_NE(dir.output.find("sanitized           3"), std::string::npos) << dir.output;
  EXPECT_NE(dir.output.find("clean               2"), std::string::npos) << dir.output;
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir_ / "out")) files += e.path().extension() == ".eml" ? 1 : 0;
  EXPECT_EQ(files, 5);  // one output per message
  EXPECT_TRUE(fs::exists(dir_ / "out" / "cur_html-only-newsletter:2,S.eml"));
  auto items = nlohmann::json::parse(run_sanso("quarantine list --json --limit 1000" + config_).output);
  EXPECT_EQ(static_cast<int>(items.size()), files);  // every original kept

  std::ofstream(dir_ / "in.mbox") << "From a@b Wed Nov 25 00:00:00 2026\nSubject: one\n\nbody 1\n>From the start\n\n"
                                     "From c@d Wed Nov 25 00:00:01 2026\nSubject: two\nContent-Type: text/html\n\n<p>two</p>\n";
  auto mbox = run_sanso("mail sanitize --input " + (dir_ / "in.mbox").string() + " --output-dir " + (dir_ / "mbox").string() + config_);
  ASSERT_EQ(mbox.exit_code, 0) << mbox.output;
  EXPECT_TRUE(fs::exists(dir_ / "mbox" / "message-1.eml"));
  EXPECT_TRUE(fs::exists(dir_ / "mbox" / "message-2.eml"));
  auto list = nlohmann::json::parse(run_sanso("quarantine list --json --limit 1000" + config_).output);
  bool unescaped = false;
  for (const auto& it : list) {
    if (it["origin"]["subject"] != "one") continue;
    auto ex = run_sanso("quarantine export " + it["id"].get<std::string>() + " -o " + (dir_ / "one.eml").string() + " --as tanaka" + config_);
    ASSERT_EQ(ex.exit_code, 0) << ex.output;
    unescaped = read(dir_ / "one.eml").find("\nFrom the start\n") != std::string::npos;
  }
  EXPECT_TRUE(unescaped) << "the mbox '>From ' escape is undone in the kept original";
  EXPECT_EQ(run_sanso("mail sanitize --input " + (dir_ / "in.mbox").string()).exit_code, 2);  // --output-dir missing
}

TEST_F(MailCli, AMessageWhoseAuditRecordCannotBeWrittenIsNeitherKeptNorWritten) {
  // One transaction for the original and its record: a failing audit write once left a kept
  // original that the log never mentioned.
  ASSERT_EQ(run_sanso("mail sanitize " + invoice_ + " -o " + (dir_ / "first.eml").string() + config_).exit_code, 0);
  const fs::path db = dir_ / "data" / "sanso.db";
  ASSERT_EQ(sanso::testing::count_rows(db, "quarantine_items"), 1);
  sanso::testing::make_audit_writes_fail(db);
  auto r = run_sanso("mail sanitize " + invoice_ + " -o " + (dir_ / "out.eml").string() + config_);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(sanso::testing::count_rows(db, "quarantine_items"), 1) << "no item without its record";
  EXPECT_FALSE(fs::exists(dir_ / "out.eml"));
  // A batch says which message failed and writes none of them.
  fs::create_directories(dir_ / "in");
  fs::copy_file(invoice_, dir_ / "in" / "a.eml");
  auto batch = run_sanso("mail sanitize --input " + (dir_ / "in").string() + " --output-dir " + (dir_ / "outdir").string() + config_);
  EXPECT_EQ(batch.exit_code, 1) << batch.output;
  EXPECT_EQ(sanso::testing::count_rows(db, "quarantine_items"), 1);
  EXPECT_FALSE(fs::exists(dir_ / "outdir" / "a.eml"));
}

TEST_F(MailCli, NoOutputWhenTheOriginalCannotBeKept) {
  std::ofstream(dir_ / "broken.toml") << "[service]\ndata_dir = \"/proc/sanso-cannot-write\"\npolicy = \"" << SANSO_SOURCE_DIR
                                      << "/examples/minamata/policy.toml\"\n";
  auto r = run_sanso("mail sanitize " + invoice_ + " -o " + (dir_ / "out.eml").string() + " --config " + (dir_ / "broken.toml").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "out.eml"));
  // A batch opens its store while the first messages are parsed: when it cannot, nothing is
  // written, and the store's error is said once, not once a message.
  fs::create_directories(dir_ / "in");
  for (const char* name : {"a.eml", "b.eml", "c.eml"}) fs::copy_file(invoice_, dir_ / "in" / name);
  auto batch = run_sanso("mail sanitize --input " + (dir_ / "in").string() + " --output-dir " + (dir_ / "outdir").string() + " --config " +
                         (dir_ / "broken.toml").string());
  EXPECT_EQ(batch.exit_code, 1) << batch.output;
  EXPECT_TRUE(fs::is_empty(dir_ / "outdir")) << batch.output;
  const std::string said = "/proc/sanso-cannot-write";
  const std::size_t first = batch.output.find(said);
  ASSERT_NE(first, std::string::npos) << batch.output;
  EXPECT_EQ(batch.output.find(said, first + 1), std::string::npos) << "one error for the store: " << batch.output;
  EXPECT_EQ(batch.output.find("判定"), std::string::npos) << "no summary of a run that kept nothing: " << batch.output;
}

}  // namespace
