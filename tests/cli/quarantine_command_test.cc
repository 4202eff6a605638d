// `sanso store` and `sanso quarantine` end to end: a real binary, a real store, a real SMTP relay.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "support/audit_records.h"
#include "support/cli_runner.h"
#include "support/smtp_sink.h"
#include "store/database.h"
#include "support/test_store.h"

namespace {

namespace fs = std::filesystem;
using sanso::testing::run_sanso;

class QuarantineCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sanso-cli-" + sanso::testing::random_hex(4));
    fs::create_directories(dir_);
    sink_ = std::make_unique<sanso::testing::SmtpSink>(dir_ / "sink");
    std::ifstream in(std::string(SANSO_SOURCE_DIR) + "/examples/minamata/sanso.toml");
    std::stringstream text;
    text << in.rdbuf();
    std::string cfg = text.str();
    auto replace = [&](const std::string& from, const std::string& to) {
      auto at = cfg.find(from);
      ASSERT_NE(at, std::string::npos) << from;
      cfg.replace(at, from.size(), to);
    };
    replace("policy = \"policy.toml\"", "policy = \"" + std::string(SANSO_SOURCE_DIR) + "/examples/minamata/policy.toml\"");
    replace("smtp_relay = \"127.0.0.1:10026\"", "smtp_relay = \"" + sink_->relay() + "\"");
    std::ofstream(dir_ / "sanso.toml") << cfg;
    config_ = " --config " + (dir_ / "sanso.toml").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  sanso::testing::CliRun q(const std::string& args) { return run_sanso("quarantine " + args + config_); }

  fs::path dir_;
  std::string config_;
  std::unique_ptr<sanso::testing::SmtpSink> sink_;
};

TEST_F(QuarantineCli, StoreStatusAndMigrate) {
  auto before = run_sanso("store status" + config_);
  EXPECT_EQ(before.exit_code, 1) << before.output;
  EXPECT_NE(before.output.find("未適用"), std::string::npos) << before.output;
  auto m = run_sanso("store migrate" + config_);
  EXPECT_EQ(m.exit_code, 0) << m.output;
  EXPECT_NE(m.output.find("適用: version 1"), std::string::npos) << m.output;
  auto again = run_sanso("store migrate" + config_);
  EXPECT_NE(again.output.find("最新"), std::string::npos) << again.output;
  auto j = run_sanso("store status --json" + config_);
  ASSERT_EQ(j.exit_code, 0) << j.output;
  auto parsed = nlohmann::json::parse(j.output);
  EXPECT_EQ(parsed["backend"], "sqlite");
  EXPECT_EQ(parsed["current"], parsed["latest"]);
}

TEST_F(QuarantineCli, MailIsReleasedThroughTheRelayByteForByteAfterFourEyes) {
  std::string original = "From: sender@example.com\r\nTo: kikaku@city.minamata.lg.jp\r\nSubject: =?UTF-8?B?6KaL56mN5pu4?=\r\n\r\n添付あり ①㈱\r\n";
  std::ofstream(dir_ / "m.eml", std::ios::binary) << original;
  auto add = q("add " + (dir_ / "m.eml").string() +
               " --mail --from sender@example.com --to kikaku@city.minamata.lg.jp --subject 見積書 --verdict sanitized --as kato");
  ASSERT_EQ(add.exit_code, 0) << add.output;
  std::string id = sanso::testing::last_line(add.output);
  ASSERT_TRUE(id.starts_with("Q")) << add.output;

  auto list = q("list");
  EXPECT_NE(list.output.find(id), std::string::npos);
  EXPECT_NE(list.output.find("見積書"), std::string::npos);
  EXPECT_NE(list.output.find("保留中"), std::string::npos) << "the console's word for it too";

  EXPECT_EQ(q("request-release " + id + " --reason 取引先確認済み --as sato").exit_code, 0);
  auto self = q("approve " + id + " --as sato");
  EXPECT_EQ(self.exit_code, 1);
  auto unknown = q("approve " + id + " --as nobody");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.output.find("[[users]]"), std::string::npos) << unknown.output;
  // suzuki approves from an operating-system account of her own: one account is one person.
  std::string why;
  std::string suzukis_account = sanso::testing::other_account_prefix(1001, &why);
  if (suzukis_account.empty()) GTEST_SKIP() << why;
  auto approved = run_sanso("quarantine approve " + id + " --as suzuki --note 電話で確認" + config_, suzukis_account);
  ASSERT_EQ(approved.exit_code, 0) << approved.output;
  auto released = q("release " + id + " --as tanaka");
  ASSERT_EQ(released.exit_code, 0) << released.output;
  EXPECT_NE(released.output.find("smtp:" + sink_->relay()), std::string::npos) << released.output;

  auto got = sink_->messages(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].find("X-Rcpt-Args: <kikaku@city.minamata.lg.jp>"), std::string::npos) << got[0];
  EXPECT_NE(got[0].find("X-Sanso-Released: id=" + id), std::string::npos);
  std::string lf_original = original;
  for (auto at = lf_original.find("\r\n"); at != std::string::npos; at = lf_original.find("\r\n", at)) lf_original.erase(at, 1);
  EXPECT_NE(got[0].find(lf_original), std::string::npos) << got[0];  // smtp-sink stores LF line ends

  auto show = q("show " + id + " --json");
  ASSERT_EQ(show.exit_code, 0) << show.output;
  auto j = nlohmann::json::parse(show.output);
  EXPECT_EQ(j["state"], "released");
  EXPECT_EQ(j["releases"][0]["requested_by"], "sato");
  EXPECT_EQ(j["releases"][0]["decided_by"], "suzuki");
  EXPECT_EQ(j["releases"][0]["decided_role"], "general_security_officer");
  EXPECT_EQ(j["releases"][0]["released_by"], "tanaka");
  EXPECT_EQ(q("release " + id + " --as tanaka").exit_code, 1);

  // Each record names the operating-system account that ran the command as well as the --as name.
  auto approvals = sanso::testing::exported_audit_records(config_, "quarantine.approve");
  ASSERT_EQ(approvals.size(), 2u);  // sato's refused attempt, then suzuki's approval
  EXPECT_EQ(approvals[0]["outcome"], "refused");
  EXPECT_EQ(approvals[1]["actor"], "suzuki");
  std::string via = approvals[1]["details"]["via"];
  EXPECT_EQ(via.rfind("os user ", 0), 0u) << via;
}

// Two names typed into one root shell are one person: the kernel's account decides, whatever
// --as and $SUDO_USER say, and the refusal is on record with both claims.
TEST_F(QuarantineCli, OneAccountCannotRequestAndApproveWhateverTheEnvironmentSays) {
  std::ofstream(dir_ / "m.eml", std::ios::binary) << "From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n";
  auto add = q("add " + (dir_ / "m.eml").string() + " --mail --from a@example.com --to kikaku@city.minamata.lg.jp --as kato");
  ASSERT_EQ(add.exit_code, 0) << add.output;
  std::string id = sanso::testing::last_line(add.output);
  auto request = run_sanso("quarantine request-release " + id + " --reason 確認済み --as tanaka" + config_, "SUDO_USER=tanaka SUDO_UID=1000 ");
  ASSERT_EQ(request.exit_code, 0) << request.output;
  auto approve = run_sanso("quarantine approve " + id + " --as suzuki" + config_, "SUDO_USER=suzuki SUDO_UID=1001 ");
  EXPECT_EQ(approve.exit_code, 1) << approve.output;
  EXPECT_NE(approve.output.find("quarantine.same-account"), std::string::npos) << approve.output;
  EXPECT_EQ(nlohmann::json::parse(q("show " + id + " --json").output)["state"], "release_requested");

  auto approvals = sanso::testing::exported_audit_records(config_, "quarantine.approve");
  ASSERT_EQ(approvals.size(), 1u);
  EXPECT_EQ(approvals[0]["outcome"], "refused");
  EXPECT_EQ(approvals[0]["details"]["reason"], "quarantine.same-account");
  std::string via = approvals[0]["details"]["via"];
  EXPECT_NE(via.find("unverified SUDO_USER=suzuki SUDO_UID=1001"), std::string::npos) << via;
  auto requests = sanso::testing::exported_audit_records(config_, "quarantine.request-release");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_NE(requests[0]["details"]["via"].get<std::string>().find("unverified SUDO_USER=tanaka"), std::string::npos);
  // Every record of every command says which account ran it, a manual quarantine too.
  auto stored = sanso::testing::exported_audit_records(config_, "quarantine.store");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0]["details"]["via"].get<std::string>().rfind("os user ", 0), 0u) << stored[0].dump();

  std::string why;
  std::string other = sanso::testing::other_account_prefix(1001, &why);
  if (other.empty()) GTEST_SKIP() << why;
  auto approved = run_sanso("quarantine approve " + id + " --as suzuki" + config_, other);
  EXPECT_EQ(approved.exit_code, 0) << approved.output;
}

// `sanso user …` changes a console account: its record says which account ran the command.
TEST_F(QuarantineCli, AccountCommandsRecordTheOperatingSystemAccount) {
  std::ofstream(dir_ / "pw") << "水俣市の情報政策係が管理します\n";
  auto set = run_sanso("user passwd tanaka --as kato" + config_ + " < " + (dir_ / "pw").string());
  ASSERT_EQ(set.exit_code, 0) << set.output;
  auto records = sanso::testing::exported_audit_records(config_, "account.set-password");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["actor"], "kato");
  EXPECT_EQ(records[0]["details"]["via"].get<std::string>().rfind("os user ", 0), 0u) << records[0].dump();
}

TEST_F(QuarantineCli, BidiAndControlCharactersInWhatSendersWroteAreShownAsMarkers) {
  // "請求書<RLO>fdp.exe" reads as 請求書exe.pdf; an ESC sequence recolours the terminal.
  std::ofstream(dir_ / "m.eml", std::ios::binary) << "Subject: x\r\n\r\nbody\r\n";
  auto add = q("add " + (dir_ / "m.eml").string() + " --mail --from 'a\x1b[31m@example.com' --to kikaku@city.minamata.lg.jp --subject '請求書\u202Efdp.exe' --as kato");
  ASSERT_EQ(add.exit_code, 0) << add.output;
  const std::string id = sanso::testing::last_line(add.output);
  for (const std::string& out : {q("list").output, q("show " + id).output}) {
    EXPECT_EQ(out.find("\xE2\x80\xAE"), std::string::npos) << "a raw right-to-left override reached the terminal";
    EXPECT_NE(out.find("<U+202E>fdp.exe"), std::string::npos) << out;
  }
  const std::string shown = q("show " + id).output;
  EXPECT_EQ(shown.find('\x1b'), std::string::npos) << "a raw escape reached the terminal";
  EXPECT_NE(shown.find("<U+001B>"), std::string::npos) << shown;
}

// An envelope address with a 個人番号 in it (a Bcc the outgoing check held) is kept whole for
// the release to deliver to, and shown masked wherever the item is listed.
TEST_F(QuarantineCli, ANumberInAnEnvelopeAddressIsShownMasked) {
  std::ofstream(dir_ / "m.eml", std::ios::binary) << "Subject: x\r\n\r\nbody\r\n";
  auto add = q("add " + (dir_ / "m.eml").string() + " --mail --from 123456789018@example.com --to 1234-5678-9018@city.minamata.lg.jp --as kato");
  ASSERT_EQ(add.exit_code, 0) << add.output;
  const std::string id = sanso::testing::last_line(add.output);
  for (const std::string& out : {q("show " + id).output, q("show " + id + " --json").output}) {
    EXPECT_EQ(out.find("123456789018"), std::string::npos) << out;
    EXPECT_EQ(out.find("1234-5678-9018"), std::string::npos) << out;
    EXPECT_NE(out.find("********9018@example.com"), std::string::npos) << out;
  }
}

TEST_F(QuarantineCli, ExportGivesTheOriginalOnlyToInspectors) {
  std::string bytes("\x00\x01 binary \xff", 11);
  std::ofstream(dir_ / "f.bin", std::ios::binary) << bytes;
  auto add = q("add " + (dir_ / "f.bin").string() + " --as kato");
  ASSERT_EQ(add.exit_code, 0) << add.output;
  std::string id = sanso::testing::last_line(add.output);
  EXPECT_EQ(q("export " + id + " -o " + (dir_ / "out").string() + " --as sato").exit_code, 1);
  auto ok = q("export " + id + " -o " + (dir_ / "out").string() + " --as kato");
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  std::ifstream in(dir_ / "out", std::ios::binary);
  std::string back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(back, bytes);
  auto list = q("list --json");
  auto j = nlohmann::json::parse(list.output);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["origin"]["file_name"], "f.bin");
  EXPECT_EQ(j[0]["origin"]["uploader"], "kato");
  EXPECT_EQ(j[0]["verdict"], "held");
}

// Issue #17: the sealed PPAP attachments of a mail live no longer than the mail's quarantine item.
// `sanso quarantine purge` runs without the transfer service, so its own hook must discard them in
// the purge's transaction — audited as the purger's, the sender's link dead with them — and leave
// another mail's alone.
TEST_F(QuarantineCli, PurgeDiscardsThePpapAttachmentsOfThePurgedMail) {
  std::ofstream(dir_ / "m.eml", std::ios::binary) << "From: vendor@example.co.jp\r\nSubject: mitsumori\r\n\r\nzip attached\r\n";
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    auto add = q("add " + (dir_ / "m.eml").string() + " --mail --from vendor@example.co.jp --to kato@city.minamata.lg.jp --verdict held --as kato");
    ASSERT_EQ(add.exit_code, 0) << add.output;
    ids.push_back(sanso::testing::last_line(add.output));
    ASSERT_TRUE(ids.back().starts_with("Q")) << add.output;
  }
  auto db = sanso::store::open_database({sanso::store::Backend::kSqlite, (dir_ / "data" / "sanso.db").string()});
  ASSERT_TRUE(db) << db.error().to_string();
  auto& d = **db;
  // What `sanso milter` writes for each mail (TransferService::write_mail_ppap): a held transfer
  // to the recipient with the sender's unlock link, its encrypted attachment sealed in the row.
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::string transfer = "T20261206-PPAP000" + std::to_string(i);
    ASSERT_TRUE(d.execute("INSERT INTO transfers (id, from_zone, to_zone, sender, recipient, state, action, rule_id, clause, created_at, expires_at, "
                          "state_changed_at, ppap_sha256, ppap_expires_at) VALUES (?, 'internet', 'lgwan', 'vendor@example.co.jp', 'kato', 'held', "
                          "'sanitize', 'internet-to-lgwan', '6(3)②', ?, ?, ?, ?, ?)",
                          {transfer, now, now + 7 * 86400, now, std::string(64, 'a' + static_cast<char>(i)), now + 86400}));
    ASSERT_TRUE(d.execute("INSERT INTO transfer_files (transfer_id, seq, name, size, sha256, quarantine_id, verdict, original_sealed) "
                          "VALUES (?, 0, 'mitsumori.zip', 6, ?, ?, 'held', ?)",
                          {transfer, std::string(64, '0'), ids[i], sanso::store::Value(sanso::store::Bytes{"sealed"})}));
  }
  auto count = [&](const std::string& sql, const std::string& id) {
    auto r = d.query_one(sql, {id});
    return r && *r ? (*r)->integer(0) : -1;
  };
  // The first mail's retention is over; the second's is not.
  ASSERT_TRUE(d.execute("UPDATE quarantine_items SET expires_at = 1 WHERE id = ?", {ids[0]}));

  auto purged = q("purge --as kato");
  ASSERT_EQ(purged.exit_code, 0) << purged.output;
  EXPECT_NE(purged.output.find("1 件"), std::string::npos) << purged.output;
  const char* sealed = "SELECT COUNT(*) FROM transfer_files WHERE quarantine_id = ? AND original_sealed IS NOT NULL";
  EXPECT_EQ(count(sealed, ids[0]), 0) << "gone with its mail";
  EXPECT_EQ(count(sealed, ids[1]), 1) << "another mail's attachment stays while its mail is kept";
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfers WHERE id = ? AND ppap_sha256 = ''", "T20261206-PPAP0000"), 1) << "its link is dead";
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfers WHERE id = ? AND ppap_sha256 <> ''", "T20261206-PPAP0001"), 1);
  auto discarded = sanso::testing::exported_audit_records(config_, "transfer.original");
  ASSERT_EQ(discarded.size(), 1u);
  EXPECT_EQ(discarded[0]["actor"], "kato");
  EXPECT_EQ(discarded[0]["subject"], "T20261206-PPAP0000");
  EXPECT_EQ(discarded[0]["outcome"], "discarded");
  EXPECT_NE(discarded[0]["details"]["reason"].get<std::string>().find("purged"), std::string::npos) << discarded[0].dump();
}

// Issue #17 (review 7a): strict_on_auth_failure asked for without the verifier it reads can never
// fire; every command that loads such a configuration says so, and still works.
TEST_F(QuarantineCli, StrictOnAuthFailureWithoutAVerifierIsWarnedAtLoad) {
  auto quiet = q("list");
  ASSERT_EQ(quiet.exit_code, 0) << quiet.output;
  EXPECT_EQ(quiet.output.find("verifier_authserv_id"), std::string::npos) << "the example names its verifier: " << quiet.output;
  std::ifstream in(dir_ / "sanso.toml");
  std::stringstream text;
  text << in.rdbuf();
  std::string cfg = text.str();
  const std::string verifier = "\nverifier_authserv_id = ";
  const auto at = cfg.find(verifier);
  ASSERT_NE(at, std::string::npos);
  cfg.insert(at + 1, "# ");
  std::ofstream(dir_ / "sanso.toml") << cfg;
  auto warned = q("list");
  ASSERT_EQ(warned.exit_code, 0) << warned.output;
  EXPECT_NE(warned.output.find("strict_on_auth_failure = true has no effect without [mail] verifier_authserv_id"), std::string::npos) << warned.output;
  EXPECT_NE(warned.output.find("sanso.toml:"), std::string::npos) << "where it was asked for: " << warned.output;
}

TEST_F(QuarantineCli, BadConfigAndUnknownIdsAreClearErrors) {
  auto missing = run_sanso("quarantine list --config /nonexistent/sanso.toml");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("config.io"), std::string::npos) << missing.output;
  auto unknown = q("show Q20990101-ABCDEFGH");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.output.find("quarantine.not-found"), std::string::npos) << unknown.output;
  auto bad_state = q("list --state lost");
  EXPECT_EQ(bad_state.exit_code, 2);
  // A verdict no engine gives would be kept with a retention nobody configured: refused, with the
  // words allowed, and nothing kept.
  std::ofstream(dir_ / "x.txt") << "x";
  auto bad_verdict = q("add " + (dir_ / "x.txt").string() + " --verdict rejected --as kato");
  EXPECT_EQ(bad_verdict.exit_code, 2) << bad_verdict.output;
  EXPECT_NE(bad_verdict.output.find("clean, sanitized, blocked, held"), std::string::npos) << bad_verdict.output;
  auto none = q("list --json");
  ASSERT_EQ(none.exit_code, 0) << none.output;
  EXPECT_EQ(nlohmann::json::parse(none.output).size(), 0u) << none.output;
}

}  // namespace
