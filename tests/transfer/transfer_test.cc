// The transfer service on a real store, quarantine, audit log, policy and sandboxed engines: what
// a person on one side sends is what the policy, the CDR engine and the approvers let the other
// side have — and nothing else, not even when the store fails half-way.
#include "transfer/transfer.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <latch>
#include <memory>
#include <set>
#include <thread>

#include "../cdr/fixtures.h"
#include "audit/log.h"
#include "core/text.h"
#include "directory/directory.h"
#include "mail/smtp_client.h"
#include "quarantine/quarantine.h"
#include "store/schema.h"
#include "support/example_policy.h"
#include "support/files.h"
#include "support/japanese_pdf.h"
#include "support/open_quarantine.h"
#include "support/ppap.h"
#include "support/slapd_server.h"
#include "support/smtp_sink.h"
#include "support/test_store.h"
#include "support/zip_of.h"

namespace sanso::transfer {
namespace {

// A clock a test moves forward (expiry).
class MovableClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return now_; }
  Date today() const override { return system_clock().today(); }
  void advance(std::chrono::seconds s) { now_ += s; }

 private:
  std::chrono::system_clock::time_point now_ = std::chrono::system_clock::now();
};

using cdr::fixtures::macro_docm;

const std::string kExe = std::string("MZ\x90\x00\x03\x00\x00\x00 This program cannot be run in DOS mode", 48);
// 123456789018 is a valid 個人番号 (its check digit is right); the scan reports it masked.
const std::string kNumberCsv = "氏名,個人番号\n山田 太郎,1234 5678 9018\n";
const std::string kPlainCsv = "品目,数量\n封筒,100\n";

// Lets system_admin send files to the internet without the profile's approval, as an exception
// in force: only the scan can then hold a transfer.
const char* kOutgoingException = R"(
[[rules]]
id = "city.outgoing-test"
from = "lgwan"
to = "internet"
channels = ["file"]
roles = ["system_admin"]
action = "allow"
clause = "6(3)②"
reason = "試験用の例外"
reason_en = "An exception for the test"
[rules.exception]
approved_by = "ciso"
approved_on = 2020-04-01
expires = 2099-03-31
ticket = "test-1"
)";

class TransferTest : public ::testing::TestWithParam<store::Backend> {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    store_dir_ = std::make_unique<sanso::testing::TestStore>(GetParam());
    auto db = store_dir_->open();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(store::migrate(*db));
    log_ = std::make_unique<audit::AuditLog>(audit::LogOptions{});
    quarantine::QuarantineStore::Options o;
    o.settings.retention.default_days = 30;
    o.settings.approver_roles = {"security_manager"};
    o.blob_dir = (store_dir_->dir() / "blobs").string();
    o.key_file = (store_dir_->dir() / "quarantine.key").string();
    o.audit = log_.get();
    auto q = sanso::testing::OpenQuarantine::open(std::move(db), o);
    ASSERT_TRUE(q) << q.error().to_string();
    quarantine_ = std::move(q).value();
    config_.operators = {{"yamada", "", {}, "internet"},
                         {"kato", "", {"system_admin"}, "lgwan"},
                         {"ito", "", {}, "lgwan"},
                         {"suzuki", "", {"security_manager"}, "lgwan"},
                         {"tanaka", "", {"security_manager"}, "lgwan"},
                         {"mori", "", {"general_security_officer"}, "lgwan"},
                         {"sato", "", {}, "mynumber"}};
    ASSERT_NO_FATAL_FAILURE(open_service(kOutgoingException));
  }

  // `adjust` changes the options of one test (a quota, the directory) before the service opens.
  void open_service(const std::string& extra_rules = kOutgoingException, const std::function<void(TransferService::Options&)>& adjust = {}) {
    service_.reset();
    auto example = sanso::testing::example_policy(extra_rules);
    ASSERT_NE(example.compiled, nullptr);
    policy_ = std::move(example.compiled);
    std::vector<std::string> levels;
    for (const auto& l : policy_->policy().scheme.confidentiality.levels) levels.push_back(l.id);
    scanner_ = std::make_unique<sandbox::ForkPerJob>(mail::outbound_scan_task(levels));
    TransferService::Options options;
    options.limits.max_files = 3;
    options.limits.max_file_mb = 1;
    options.limits.retention_days = 7;
    options.approver_roles = {"security_manager"};
    options.key_file = (store_dir_->dir() / "quarantine.key").string();
    options.clock = &clock_;
    if (adjust) adjust(options);
    TransferService::Engines engines;
    engines.sanitize = [](std::string_view bytes, std::string_view name) { return cdr::sanitize_sandboxed(bytes, name, cdr::CdrPolicy{}); };
    engines.scan = [this](std::string_view bytes, std::string_view name) { return scan_outgoing_file(*scanner_, bytes, name); };
    engines.unlock = [](std::string_view bytes, std::string_view name, std::string_view password) {
      return cdr::unlock_sandboxed(bytes, name, password, cdr::CdrPolicy{});
    };
    auto s = TransferService::open(config_, *policy_, *quarantine_, *log_, quarantine_.shared(), options, engines);
    ASSERT_TRUE(s) << s.error().to_string();
    service_ = std::move(s).value();
  }

  // The people of the city have mail addresses (not the internet's yamada nor the mynumber
  // zone's sato), and the service mails its notices through `relay`, which outlives it in the test.
  void open_service_mailing(const sanso::testing::SmtpSink& relay, const std::string& console_url = "") {
    ASSERT_TRUE(relay.accepting()) << "Postfix's smtp-sink is needed (scripts/install-deps.sh installs postfix)";
    for (auto& u : config_.operators) {
      if (u.name != "yamada" && u.name != "sato") u.mail = u.name + "@city.example.lg.jp";
    }
    ASSERT_NO_FATAL_FAILURE(open_service(kOutgoingException, [&](TransferService::Options& o) {
      o.notice_from = "sanso-transfer@city.example.lg.jp";
      o.console_url = console_url;
      o.send_notice = [&relay](const mime::ComposedNotice& n, const std::vector<std::string>& to) {
        return mail::send_mail(mail::SmtpOptions{relay.relay()}, mail::SmtpEnvelope{"", to}, n.message);
      };
    }));
  }

  Person person(const std::string& name) {
    const config::Operator* op = nullptr;
    for (const auto& u : config_.operators) {
      if (u.name == name) op = &u;
    }
    EXPECT_NE(op, nullptr) << name;
    return op == nullptr ? Person{} : Person{op->name, op->roles, op->zone, "test", "uid " + name};
  }

  std::int64_t count(const std::string& sql) {
    auto row = quarantine_.database().query_one(sql);
    return row && row->has_value() ? (*row)->integer(0) : -1;
  }

  std::unique_ptr<sanso::testing::TestStore> store_dir_;
  std::unique_ptr<audit::AuditLog> log_;
  sanso::testing::OpenQuarantine quarantine_;
  config::ServiceConfig config_;
  std::unique_ptr<policy::CompiledPolicy> policy_;
  std::unique_ptr<sandbox::Executor> scanner_;
  MovableClock clock_;
  std::unique_ptr<TransferService> service_;
};

TEST_P(TransferTest, AMacroDocumentFromTheInternetArrivesRebuiltWithItsFindings) {
  const Upload files[] = {{"見積書.docm", macro_docm()}};
  auto t = service_->send(person("yamada"), "kato", "", files);
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_EQ(t->state, State::kReady);
  EXPECT_EQ(t->rule_id, "profile.inet-lgwan-file");
  EXPECT_EQ(t->clause, "6(3)②");
  ASSERT_EQ(t->files.size(), 1u);
  EXPECT_EQ(t->files[0].verdict, "sanitized");
  EXPECT_NE(t->files[0].findings_json.find("vba_macro"), std::string::npos) << t->files[0].findings_json;
  EXPECT_EQ(t->files[0].output_name, "見積書.docx");
  EXPECT_FALSE(t->files[0].quarantine_id.empty());
  auto kept = quarantine_->get(t->files[0].quarantine_id);
  ASSERT_TRUE(kept) << kept.error().to_string();
  EXPECT_EQ(kept->sha256, t->files[0].sha256) << "the original, byte for byte, is in the quarantine";

  EXPECT_FALSE(service_->fetch(t->id, person("ito"))) << "only the recipient fetches";
  EXPECT_FALSE(service_->get(t->id, person("ito"))) << "nor sees it";
  auto got = service_->fetch(t->id, person("kato"));
  ASSERT_TRUE(got) << got.error().to_string();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].name, "見積書.docx");
  EXPECT_EQ((*got)[0].bytes.find("vbaProject"), std::string::npos) << "the macro is gone from what the recipient gets";
  auto stored = service_->get(t->id, person("kato"));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->state, State::kDownloaded);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'file.sanitize'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.send'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.verdict'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.download'"), 1);
}

TEST_P(TransferTest, AnExecutableIsBlockedAndTheRecipientSeesWhy) {
  const Upload files[] = {{"setup.exe", kExe}, {"発注.csv", kPlainCsv}};
  auto t = service_->send(person("yamada"), "kato", "", files);
  ASSERT_TRUE(t) << t.error().to_string();
  ASSERT_EQ(t->files.size(), 2u);
  EXPECT_EQ(t->files[0].verdict, "blocked");
  EXPECT_NE(t->files[0].reason.find("executable"), std::string::npos) << t->files[0].reason;
  EXPECT_TRUE(t->files[0].output_name.empty());
  EXPECT_FALSE(t->files[0].quarantine_id.empty()) << "the blocked original is kept";
  auto got = service_->fetch(t->id, person("kato"));
  ASSERT_TRUE(got) << got.error().to_string();
  ASSERT_EQ(got->size(), 1u) << "only the rebuilt file is handed over";
  EXPECT_EQ((*got)[0].name, "発注.csv");
}

TEST_P(TransferTest, TheRequesterCannotApproveTheirOwnOutgoingTransfer) {
  const Upload files[] = {{"報告書.csv", kPlainCsv}};
  EXPECT_EQ(service_->send(person("suzuki"), "contractor@example.com", "", files).error().code, "transfer.reason") << "leaving LGWAN needs a reason";
  auto t = service_->send(person("suzuki"), "contractor@example.com", "委託先への報告", files);
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_EQ(t->state, State::kPendingApproval);
  EXPECT_EQ(t->rule_id, "profile.lgwan-inet-file");
  EXPECT_EQ(t->approver_role, "security_manager");

  auto own = service_->approve(t->id, person("suzuki"), "自分で承認");
  ASSERT_FALSE(own);
  EXPECT_EQ(own.error().code, "transfer.own");
  Person same_account = person("tanaka");
  same_account.account = "uid suzuki";
  EXPECT_EQ(service_->approve(t->id, same_account, "").error().code, "transfer.own") << "nor from the account it was sent from";
  EXPECT_EQ(service_->approve(t->id, person("kato"), "").error().code, "transfer.role") << "system_admin is not the role the rule names";
  EXPECT_FALSE(service_->issue_link(t->id, person("suzuki"), "")) << "no link before approval";
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.refuse'"), 4);

  auto approved = service_->approve(t->id, person("tanaka"), "確認済み");
  ASSERT_TRUE(approved) << approved.error().to_string();
  EXPECT_EQ(approved->state, State::kApproved);
  EXPECT_EQ(approved->decided_by, "tanaka");

  EXPECT_FALSE(service_->issue_link(t->id, person("tanaka"), "")) << "the sender issues the link";
  auto link = service_->issue_link(t->id, person("suzuki"), "kaiun-2026");
  ASSERT_TRUE(link) << link.error().to_string();
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfers WHERE link_sha256 = '" + link->token + "'"), 0) << "the token is kept hashed only";
  EXPECT_EQ(service_->download(link->token, "wrong", "test").error().code, "transfer.password");
  auto files_out = service_->download(link->token, "kaiun-2026", "test");
  ASSERT_TRUE(files_out) << files_out.error().to_string();
  ASSERT_EQ(files_out->size(), 1u);
  EXPECT_EQ((*files_out)[0].bytes, kPlainCsv);
  EXPECT_EQ(service_->download(link->token, "kaiun-2026", "test").error().code, "transfer.link") << "one download only";
}

TEST_P(TransferTest, WrongPasswordsRevokeTheLink) {
  const Upload files[] = {{"報告書.csv", kPlainCsv}};
  auto t = service_->send(person("kato"), "contractor@example.com", "委託先への報告", files);
  ASSERT_TRUE(t) << t.error().to_string();
  ASSERT_EQ(t->state, State::kApproved) << "the exception lets system_admin send without approval";
  auto link = service_->issue_link(t->id, person("kato"), "secret-1");
  ASSERT_TRUE(link);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(service_->download(link->token, "guess", "test").error().code, "transfer.password");
  EXPECT_EQ(service_->download(link->token, "secret-1", "test").error().code, "transfer.link") << "revoked after 5 failures";
}

// Each guess is counted before Argon2id checks it. Counted after, simultaneous guesses all read
// the same count and wrote it back one higher: any number of them were checked, and the link
// was never revoked.
TEST_P(TransferTest, SimultaneousWrongPasswordsAreEachCountedAndRevokeTheLink) {
  const Upload files[] = {{"報告書.csv", kPlainCsv}};
  auto t = service_->send(person("kato"), "contractor@example.com", "委託先への報告", files);
  ASSERT_TRUE(t) << t.error().to_string();
  auto link = service_->issue_link(t->id, person("kato"), "secret-1");
  ASSERT_TRUE(link) << link.error().to_string();
  constexpr int kGuesses = 7;  // [transfer] max_password_failures is 5
  std::latch start(kGuesses);
  std::vector<std::string> answers(kGuesses);
  std::vector<std::thread> guessers;
  for (int i = 0; i < kGuesses; ++i) {
    guessers.emplace_back([&, i] {
      start.arrive_and_wait();
      auto r = service_->download(link->token, "guess " + std::to_string(i), "test");
      answers[i] = r ? "downloaded" : r.error().code;
    });
  }
  for (auto& g : guessers) g.join();
  EXPECT_EQ(std::count(answers.begin(), answers.end(), "transfer.password"), 5) << "only as many guesses are checked as are allowed";
  EXPECT_EQ(std::count(answers.begin(), answers.end(), "transfer.link"), kGuesses - 5);
  EXPECT_EQ(service_->download(link->token, "secret-1", "test").error().code, "transfer.link") << "revoked: the right password comes too late";
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.download' AND record LIKE '%\"revoked\"%'"), 1);
}

// review30 H1: the reason leaves with the files (the recipient's page shows it) and was never
// read: a resident's 個人番号 written there went out approved. It is read as a file's text is,
// and the audit record keeps it masked, as it keeps a file's name.
TEST_P(TransferTest, AReasonCarryingANumberIsHeldAsAFileWouldBe) {
  const Upload plain[] = {{"発注.csv", kPlainCsv}};
  auto t = service_->send(person("kato"), "contractor@example.com", "住民 山田太郎 個人番号 1234 5678 9018 の件", plain);
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_EQ(t->state, State::kPendingApproval) << t->hold_reason;
  EXPECT_NE(t->hold_reason.find("理由 (reason): 個人番号"), std::string::npos) << t->hold_reason;
  EXPECT_EQ(t->hold_reason.find("123456789018"), std::string::npos) << "never the number itself";
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.send' AND record LIKE '%5678 9018%'"), 0);
  // A mark in the reason ranks the transfer as a file's would: above the internet's ceiling.
  auto marked = service_->send(person("suzuki"), "contractor@example.com", "【機密性3A】の資料を送付", plain);
  ASSERT_FALSE(marked);
  EXPECT_EQ(marked.error().code, "transfer.denied");
  EXPECT_NE(marked.error().message.find("profile.lgwan-inet-above-ceiling"), std::string::npos) << marked.error().message;
}

TEST_P(TransferTest, AnIndividualNumberGoingOutIsHeldForApproval) {
  const Upload plain[] = {{"発注.csv", kPlainCsv}};
  auto clean = service_->send(person("kato"), "contractor@example.com", "発注", plain);
  ASSERT_TRUE(clean) << clean.error().to_string();
  EXPECT_EQ(clean->state, State::kApproved) << clean->hold_reason;

  const Upload numbered[] = {{"名簿.csv", kNumberCsv}};
  auto held = service_->send(person("kato"), "contractor@example.com", "名簿の送付", numbered);
  ASSERT_TRUE(held) << held.error().to_string();
  EXPECT_EQ(held->state, State::kPendingApproval);
  EXPECT_NE(held->hold_reason.find("個人番号"), std::string::npos) << held->hold_reason;
  EXPECT_NE(held->hold_reason.find("********9018"), std::string::npos) << held->hold_reason;
  EXPECT_EQ(held->hold_reason.find("123456789018"), std::string::npos) << "never the number itself";
  EXPECT_FALSE(service_->issue_link(held->id, person("kato"), ""));
  auto denied = service_->deny(held->id, person("suzuki"), "個人番号は外部へ出さない");
  ASSERT_TRUE(denied) << denied.error().to_string();
  EXPECT_EQ(denied->state, State::kDenied);
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfer_files WHERE output_sealed IS NOT NULL AND transfer_id = '" + held->id + "'"), 0)
      << "nothing of a denied transfer is kept to hand out";
}

TEST_P(TransferTest, AClassificationMarkAboveTheInternetCeilingKeepsTheFileInLgwan) {
  const Upload marked[] = {{"【機密性3A】議事録.txt", "庁内限り\n"}};
  auto t = service_->send(person("suzuki"), "contractor@example.com", "議事録の共有", marked);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, "transfer.denied");
  EXPECT_NE(t.error().message.find("profile.lgwan-inet-above-ceiling"), std::string::npos) << t.error().message;
  EXPECT_NE(t.error().message.find("6(2)"), std::string::npos) << t.error().message;
  const Upload level2[] = {{"【機密性2】案内.txt", "説明会のご案内\n"}};
  auto allowed_level = service_->send(person("suzuki"), "contractor@example.com", "案内の送付", level2);
  ASSERT_TRUE(allowed_level) << allowed_level.error().to_string();
  EXPECT_EQ(allowed_level->rule_id, "profile.lgwan-inet-file") << "at the ceiling the ordinary approval applies";
}

TEST_P(TransferTest, AMarkInsideTheFilesTextCountsAsMuchAsOneInItsName) {
  // A header line of a text file, and the text of a PDF (read by pdftotext in the converter sandbox).
  const Upload in_text[] = {{"議事録.txt", "自治体機密性３Ａ\n庁内限り\n"}};
  auto text = service_->send(person("suzuki"), "contractor@example.com", "議事録の共有", in_text);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, "transfer.denied");
  EXPECT_NE(text.error().message.find("profile.lgwan-inet-above-ceiling"), std::string::npos) << text.error().message;
  const Upload in_pdf[] = {{"議事録.pdf", sanso::testing::japanese_pdf(u"【機密性3A】議事録")}};
  auto pdf = service_->send(person("suzuki"), "contractor@example.com", "議事録の共有", in_pdf);
  ASSERT_FALSE(pdf);
  EXPECT_EQ(pdf.error().code, "transfer.denied") << pdf.error().to_string();
  EXPECT_NE(pdf.error().message.find("profile.lgwan-inet-above-ceiling"), std::string::npos) << pdf.error().message;
  // The scheme described in a sentence marks nothing; a 個人番号 in a PDF's text holds it.
  const Upload prose[] = {{"規程.pdf", sanso::testing::japanese_pdf(u"機密性3Aの情報は外部へ送らない")}};
  auto described = service_->send(person("suzuki"), "contractor@example.com", "規程の送付", prose);
  ASSERT_TRUE(described) << described.error().to_string();
  EXPECT_EQ(described->rule_id, "profile.lgwan-inet-file");
  const Upload numbered[] = {{"名簿.pdf", sanso::testing::japanese_pdf(u"山田 123456789018")}};
  auto held = service_->send(person("suzuki"), "contractor@example.com", "名簿の送付", numbered);
  ASSERT_TRUE(held) << held.error().to_string();
  EXPECT_EQ(held->state, State::kPendingApproval);
  EXPECT_NE(held->hold_reason.find("名簿.pdf: 個人番号"), std::string::npos) << held->hold_reason;
  // A PDF whose text cannot be read is held, never sent on unread.
  const Upload broken[] = {{"壊れた.pdf", "%PDF-1.4\n1 0 obj <<\n"}};
  auto unread = service_->send(person("suzuki"), "contractor@example.com", "送付", broken);
  ASSERT_TRUE(unread) << unread.error().to_string();
  EXPECT_EQ(unread->state, State::kPendingApproval);
  EXPECT_NE(unread->hold_reason.find("本文を確認できない添付ファイル"), std::string::npos) << unread->hold_reason;
  EXPECT_NE(unread->hold_reason.find("壊れた.pdf"), std::string::npos) << unread->hold_reason;
}

// Zipping a file does not take its 個人番号 out of LGWAN, and a file whose text cannot be read (a
// picture, an encrypted archive) waits for the approver the policy names even where the rule
// (an exception here) would let a readable file go at once.
TEST_P(TransferTest, AZippedNumberAndAnUnreadableFileAreHeldForTheApprover) {
  const Upload zipped[] = {{"名簿.zip", sanso::testing::zip_of({{"中/名簿.csv", kNumberCsv}})}};
  auto held = service_->send(person("kato"), "contractor@example.com", "名簿の送付", zipped);
  ASSERT_TRUE(held) << held.error().to_string();
  EXPECT_EQ(held->state, State::kPendingApproval);
  EXPECT_NE(held->hold_reason.find("名簿.zip/中/名簿.csv: 個人番号"), std::string::npos) << held->hold_reason;
  const Upload picture[] = {{"写真.png", std::string("\x89PNG\r\n\x1A\n") + std::string(64, '\0')}};
  auto image = service_->send(person("kato"), "contractor@example.com", "写真の送付", picture);
  ASSERT_TRUE(image) << image.error().to_string();
  EXPECT_EQ(image->state, State::kPendingApproval) << "the exception allows readable files, not unchecked ones";
  EXPECT_NE(image->hold_reason.find("本文を確認できない添付ファイル"), std::string::npos) << image->hold_reason;
  EXPECT_NE(image->hold_reason.find("写真.png"), std::string::npos) << image->hold_reason;
  EXPECT_FALSE(service_->issue_link(image->id, person("kato"), "")) << "no link before an approver decides";
  const Upload plain[] = {{"発注.csv", kPlainCsv}};
  auto clean = service_->send(person("kato"), "contractor@example.com", "発注", plain);
  ASSERT_TRUE(clean) << clean.error().to_string();
  EXPECT_EQ(clean->state, State::kApproved) << clean->hold_reason;
}

TEST_P(TransferTest, TheMynumberZoneIsRefusedWithItsClauseUnlessAnExceptionSaysOtherwise) {
  const Upload files[] = {{"申告.csv", kPlainCsv}};
  auto from_internet = service_->send(person("yamada"), "sato", "", files);
  ASSERT_FALSE(from_internet);
  EXPECT_EQ(from_internet.error().code, "transfer.denied");
  EXPECT_NE(from_internet.error().message.find("6(3)①"), std::string::npos) << from_internet.error().message;
  auto without_role = service_->send(person("ito"), "sato", "取込み", files);
  ASSERT_FALSE(without_role);
  EXPECT_NE(without_role.error().message.find("6(3)①"), std::string::npos);
  auto out_of_mynumber = service_->send(person("sato"), "kato", "持出し", files);
  ASSERT_FALSE(out_of_mynumber);
  EXPECT_NE(out_of_mynumber.error().message.find("6(3)①"), std::string::npos);
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfers"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 0) << "nothing of a refused transfer is taken in";
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.refuse'"), 3) << "each refusal is recorded";

  // city.eltax-import: an exception for system_admin, each import approved by the general security officer.
  auto eltax = service_->send(person("kato"), "sato", "eLTAX 申告データの取込み", files);
  ASSERT_TRUE(eltax) << eltax.error().to_string();
  EXPECT_EQ(eltax->rule_id, "city.eltax-import");
  EXPECT_EQ(eltax->state, State::kPendingApproval);
  EXPECT_EQ(eltax->approver_role, "general_security_officer");
  EXPECT_EQ(service_->approve(eltax->id, person("suzuki"), "").error().code, "transfer.role");
  auto approved = service_->approve(eltax->id, person("mori"), "申告期限内");
  ASSERT_TRUE(approved) << approved.error().to_string();
  EXPECT_EQ(approved->state, State::kReady);
  auto got = service_->fetch(eltax->id, person("sato"));
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(got->size(), 1u);
}

TEST_P(TransferTest, ATransferExpiresAndNothingOfItCanBeFetchedAfterwards) {
  const Upload files[] = {{"案内.txt", "お知らせ\n"}};
  auto t = service_->send(person("yamada"), "kato", "", files);
  ASSERT_TRUE(t) << t.error().to_string();
  auto early = service_->expire("test");
  ASSERT_TRUE(early);
  EXPECT_EQ(*early, 0);
  clock_.advance(std::chrono::hours(24 * 7 + 1));
  EXPECT_EQ(service_->fetch(t->id, person("kato")).error().code, "transfer.expired") << "past the expiry, before the sweep";
  auto swept = service_->expire("test");
  ASSERT_TRUE(swept) << swept.error().to_string();
  EXPECT_EQ(*swept, 1);
  EXPECT_EQ(service_->get(t->id, person("kato"))->state, State::kExpired);
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfer_files WHERE output_sealed IS NOT NULL"), 0) << "the sealed files are deleted";
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.expire'"), 1);
}

// `sanso web` sweeps at start and then hourly by its clock, however often it looks: a transfer
// past its retention waits for the next sweep, never for a restart.
TEST_P(TransferTest, ExpiredTransfersAreSweptAtStartAndThenHourly) {
  ExpirySchedule schedule(clock_);
  auto first = schedule.run_if_due(*service_, "test");
  ASSERT_TRUE(first && *first) << "the first look sweeps";
  EXPECT_EQ(**first, 0);
  const Upload files[] = {{"案内.txt", "お知らせ\n"}};
  auto t = service_->send(person("yamada"), "kato", "", files);
  ASSERT_TRUE(t) << t.error().to_string();
  clock_.advance(std::chrono::hours(24 * 7 + 1) - std::chrono::minutes(61));
  EXPECT_TRUE(schedule.run_if_due(*service_, "test")) << "due: an hour has passed";
  EXPECT_EQ(service_->get(t->id, person("kato"))->state, State::kReady) << "not yet past its retention";
  clock_.advance(std::chrono::minutes(59));
  EXPECT_FALSE(schedule.run_if_due(*service_, "test")) << "not due within the hour";
  clock_.advance(std::chrono::minutes(2));
  EXPECT_EQ(service_->get(t->id, person("kato"))->state, State::kReady) << "past its retention, before the sweep";
  auto swept = schedule.run_if_due(*service_, "test");
  ASSERT_TRUE(swept && *swept);
  EXPECT_EQ(**swept, 1);
  EXPECT_EQ(service_->get(t->id, person("kato"))->state, State::kExpired);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.expire'"), 1);
}

// The listing pages through everything a person may see, and only that: more transfers than any
// one page (the old listing stopped at 500, and counted others' pending transfers towards them),
// in a stable order even among transfers of the same second, with the approvals inbox a listing
// of its own. Rows are written straight into the store: the listing, not sending, is under test.
TEST_P(TransferTest, TheListingReachesEveryTransferOfAPersonPageByPageAndNoOthers) {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  auto put = [&](const std::string& id, const std::string& sender, const std::string& recipient, const std::string& state, const std::string& approver,
                 std::int64_t at) {
    ASSERT_TRUE(quarantine_.database().execute(
        "INSERT INTO transfers (id, from_zone, to_zone, sender, recipient, state, action, rule_id, clause, approver_role, created_at, expires_at, "
        "state_changed_at) VALUES (?, 'lgwan', 'internet', ?, ?, ?, 'approve', 'r', '6(3)②', ?, ?, ?, ?)",
        {id, sender, recipient, state, approver, at, at + 86400, at}));
  };
  char id[40];
  // 520 of kato's own, many in the same second; 600 newer ones of others waiting for a role kato
  // does not hold; 3 waiting for the default approver role (security_manager), one sent by tanaka.
  for (int i = 0; i < 520; ++i) {
    std::snprintf(id, sizeof id, "t%08x", i);
    put(id, i % 2 == 0 ? "kato" : "ito", i % 2 == 0 ? "vendor@example.com" : "kato", "ready", "", now - 1000 + i / 7);
  }
  for (int i = 0; i < 600; ++i) {
    std::snprintf(id, sizeof id, "tb%07x", i);
    put(id, "ito", "vendor@example.com", "pending-approval", "general_security_officer", now);
  }
  put("tc01", "ito", "vendor@example.com", "pending-approval", "", now - 5);
  put("tc02", "ito", "vendor@example.com", "pending-approval", "security_manager", now - 6);
  put("tc03", "tanaka", "vendor@example.com", "pending-approval", "", now - 7);

  auto all_pages = [&](const Person& who, ListQuery q) {
    std::vector<std::string> ids;
    for (int pages = 0; pages < 100; ++pages) {
      auto listed = service_->list(who, q);
      EXPECT_TRUE(listed) << listed.error().to_string();
      if (!listed) break;
      EXPECT_LE(static_cast<std::int64_t>(listed->transfers.size()), q.limit);
      for (const auto& t : listed->transfers) ids.push_back(t.id);
      if (listed->next.empty()) break;
      q.after = listed->next;
    }
    return ids;
  };
  ListQuery pages;
  pages.limit = 37;
  auto kato = all_pages(person("kato"), pages);
  EXPECT_EQ(kato.size(), 520u) << "every one of kato's, none of the others'";
  EXPECT_EQ(std::set<std::string>(kato.begin(), kato.end()).size(), kato.size()) << "none twice";
  EXPECT_EQ(kato.front(), "t00000206") << "newest first; the same second in id order";
  EXPECT_EQ(kato.back(), "t00000006");
  EXPECT_EQ(all_pages(person("kato"), ListQuery{}).size(), 520u) << "the default page too";

  auto tanaka = all_pages(person("tanaka"), pages);
  EXPECT_EQ(tanaka, (std::vector<std::string>{"tc01", "tc02", "tc03"})) << "what waits for security_manager, and their own";
  ListQuery inbox = pages;
  inbox.awaiting_decision = true;
  EXPECT_EQ(all_pages(person("tanaka"), inbox), (std::vector<std::string>{"tc01", "tc02"})) << "the inbox: never their own";
  EXPECT_EQ(all_pages(person("mori"), inbox).size(), 600u) << "general_security_officer's";

  for (const char* bad : {"x", "12", "12.", ".t1", "12.t1'--", "-1.t1", "12.tZZ", "1e3.t1"}) {
    ListQuery q;
    q.after = bad;
    auto r = service_->list(person("kato"), q);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, "transfer.cursor") << bad;
  }
  ListQuery huge;
  huge.limit = 501;
  EXPECT_EQ(service_->list(person("kato"), huge).error().code, "transfer.input");
}

// [transfer] user_quota_mb bounds what one person's transfers hold until they expire: a sender
// cannot fill the store by sending the per-transfer maximum again and again. The refusal says
// why and is recorded; once their transfers expire, they may send again.
TEST_P(TransferTest, APersonsTransfersStayWithinTheirQuotaUntilTheyExpire) {
  ASSERT_NO_FATAL_FAILURE(open_service(kOutgoingException, [](TransferService::Options& o) { o.limits.user_quota_mb = 1; }));

  const std::string part(600 * 1024, 'a');
  const Upload first[] = {{"報告1.txt", part}};
  ASSERT_TRUE(service_->send(person("kato"), "vendor@example.com", "委託先への報告", first));
  const Upload second[] = {{"報告2.txt", part}};
  auto over = service_->send(person("kato"), "vendor@example.com", "委託先への報告", second);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, "transfer.quota");
  EXPECT_NE(over.error().message.find("user_quota_mb"), std::string::npos) << over.error().message;
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.refuse'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfers"), 1) << "nothing of the refused transfer is kept";
  EXPECT_TRUE(service_->send(person("tanaka"), "vendor@example.com", "委託先への報告", second)) << "another person's quota is their own";

  clock_.advance(std::chrono::hours(24 * 7 + 1));
  ASSERT_TRUE(service_->expire("test"));
  EXPECT_TRUE(service_->send(person("kato"), "vendor@example.com", "委託先への報告", second)) << "expired transfers hold nothing";
}

// A recipient who is not in [[users]] but in the city's directory is a colleague on the side
// their groups name, not an outside party; with the directory down (or refusing to vouch) the
// transfer is refused and recorded, never sent out as if to a stranger. The real directory
// lookup (directory::look_up, as `sanso transfer` and `sanso web` wire it) against a real slapd.
TEST_P(TransferTest, ARecipientKnownOnlyToTheDirectoryReceivesOnTheirSideAndAnOutageRefuses) {
  sanso::testing::SlapdServer ldap(store_dir_->dir() / "slapd", sanso::testing::kCityDirectory);
  if (!ldap.available()) GTEST_SKIP() << "slapd or openssl is not installed (scripts/install-deps.sh installs them)";
  const auto secret = store_dir_->dir() / "lookup.secret";
  std::ofstream(secret) << "tanaka-pass\n";
  directory::Settings d;
  d.uri = ldap.ldap_uri();
  d.transport = directory::Transport::kStartTls;
  d.ca_file = ldap.ca_file();
  d.bind_template = "uid={user},ou=people,dc=city,dc=example";
  d.base_dn = "dc=city,dc=example";
  d.timeout = std::chrono::milliseconds(2000);
  d.groups = {{"cn=security-managers,ou=groups,dc=city,dc=example", {"security_manager"}, "lgwan"}};
  d.lookup_bind = "uid=tanaka,ou=people,dc=city,dc=example";
  d.lookup_password_file = secret.string();
  // Only the senders are in [[users]]: tanaka is the directory's.
  config_.operators = {{"yamada", "", {}, "internet"}, {"kato", "", {"system_admin"}, "lgwan"}};
  sanso::testing::SmtpSink relay(store_dir_->dir() / "relay");
  ASSERT_TRUE(relay.accepting()) << "Postfix's smtp-sink is needed (scripts/install-deps.sh installs postfix)";
  ASSERT_NO_FATAL_FAILURE(open_service(kOutgoingException, [&](TransferService::Options& o) {
    o.directory = directory_lookup(d);
    o.directory_approvers = directory_approvers(d);
    o.directory_by_mail = directory_by_mail(d);
    o.send_notice = [&](const mime::ComposedNotice& n, const std::vector<std::string>& to) {
      return mail::send_mail(mail::SmtpOptions{relay.relay()}, mail::SmtpEnvelope{"", to}, n.message);
    };
  }));
  // PPAP from mail: an LGWAN recipient known only to the directory is found by their address (the
  // gateway's question); an address nobody holds, or a person the directory puts on the internet
  // side, is nobody's.
  EXPECT_EQ(service_->recipient_for_address("TANAKA@city.example.lg.jp"), std::optional<std::string>("tanaka"));
  EXPECT_EQ(service_->recipient_for_address("nobody@city.example.lg.jp"), std::nullopt);
  EXPECT_EQ(service_->recipient_for_address("tanaka@city.example.lg.jp>, <x@y"), std::nullopt);

  const Upload files[] = {{"案内.txt", "お知らせ\n"}};
  auto in = service_->send(person("yamada"), "Ichiro.Tanaka", "", files);
  ASSERT_TRUE(in) << in.error().to_string();
  EXPECT_EQ(in->to_zone, "lgwan");
  EXPECT_EQ(in->recipient, "tanaka") << "named as the directory keeps them, the name they sign in with";
  EXPECT_EQ(in->state, State::kReady);
  const Person tanaka{"tanaka", {"security_manager"}, "lgwan", "console session", ""};
  auto got = service_->fetch(in->id, tanaka);
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(got->size(), 1u);

  EXPECT_EQ(relay.messages(1).size(), 1u) << "the recipient's notice, at the directory's mail";

  // An approver known only to the directory (tanaka, security_manager through nested groups) is
  // told of a transfer waiting for them; the sender never is.
  const Upload numbered[] = {{"名簿.csv", kNumberCsv}};
  auto held = service_->send(person("kato"), "vendor@example.com", "名簿の送付", numbered);
  ASSERT_TRUE(held) << held.error().to_string();
  ASSERT_EQ(held->state, State::kPendingApproval);
  auto notices = relay.messages(2);
  ASSERT_EQ(notices.size(), 2u);
  const std::string& pending = notices[0].find(held->id) != std::string::npos ? notices[0] : notices[1];
  EXPECT_NE(pending.find(held->id), std::string::npos);
  EXPECT_NE(pending.find("<tanaka@city.example.lg.jp>"), std::string::npos) << pending;

  EXPECT_EQ(service_->send(person("yamada"), "nobody", "", files).error().code, "transfer.unknown-recipient");
  auto out = service_->send(person("kato"), "vendor@example.com", "委託先への報告", files);
  ASSERT_TRUE(out) << out.error().to_string();
  EXPECT_EQ(out->to_zone, "internet") << "a name the directory does not know is the outside party";

  const auto before = count("SELECT COUNT(*) FROM transfers");
  ldap.stop();
  EXPECT_EQ(service_->recipient_for_address("tanaka@city.example.lg.jp"), std::nullopt) << "a directory that cannot be asked vouches for nobody";
  auto down = service_->send(person("kato"), "vendor@example.com", "委託先への報告", files);
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, "transfer.directory");
  EXPECT_NE(down.error().message.find("directory.unavailable"), std::string::npos) << down.error().message;
  auto from_internet = service_->send(person("yamada"), "tanaka", "", files);
  ASSERT_FALSE(from_internet);
  EXPECT_EQ(from_internet.error().code, "transfer.directory") << "not 'unknown' either: the directory could not be asked";
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfers"), before) << "nothing sent while the directory is down";
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.refuse' AND record LIKE '%transfer.directory%'"), 2)
      << "each refusal recorded";
}

// A spooled upload (the console's) is read when its turn comes, not all at once: the second file
// is read only after the first is rebuilt and its original kept, so a transfer holds one file in
// memory at a time. A file that reads back other than its announced size is refused.
TEST_P(TransferTest, SpooledFilesAreReadOneAtATimeWhenTheirTurnComes) {
  std::vector<std::int64_t> kept_when_read;
  auto spooled = [&](std::string name, std::string bytes) {
    const auto size = static_cast<std::int64_t>(bytes.size());
    return Upload{std::move(name), {}, size, [this, &kept_when_read, bytes = std::move(bytes)]() -> Result<std::string> {
                    kept_when_read.push_back(count("SELECT COUNT(*) FROM quarantine_items"));
                    return bytes;
                  }};
  };
  const Upload files[] = {spooled("案内.txt", "お知らせ\n"), spooled("見積書.docm", macro_docm())};
  auto t = service_->send(person("yamada"), "kato", "", files);
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_EQ(kept_when_read, (std::vector<std::int64_t>{0, 1})) << "the second read after the first original was kept";
  ASSERT_EQ(t->files.size(), 2u);
  EXPECT_EQ(t->files[1].verdict, "sanitized");
  auto got = service_->fetch(t->id, person("kato"));
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ((*got)[0].bytes, "お知らせ\n");

  const Upload changed[] = {Upload{"案内.txt", {}, 3, [] { return Result<std::string>(std::string("longer than announced")); }}};
  auto refused = service_->send(person("yamada"), "kato", "", changed);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "transfer.input");
}

TEST(TransferNames, HostileNamesAreMadeSafeOrRefusedWithAReason) {
  EXPECT_EQ(*safe_name("../../etc/passwd"), "passwd");
  EXPECT_EQ(*safe_name("C:\\Users\\kato\\見積書.pdf"), "見積書.pdf");
  EXPECT_EQ(*safe_name(".bashrc"), "bashrc");
  EXPECT_EQ(*safe_name("a<b>:c|d?.txt"), "a_b__c_d_.txt");
  EXPECT_EQ(*safe_name("invoice.exe. . "), "invoice.exe");
  EXPECT_EQ(*safe_name("CON.txt"), "_CON.txt");
  EXPECT_EQ(*safe_name("com1"), "_com1");
  EXPECT_EQ(*safe_name("見積書（第2版）.docx"), "見積書（第2版）.docx");
  for (const std::string bad : {std::string("a\0b.txt", 7), std::string("請求書\u202Efdp.exe"), std::string("a\u2066b.pdf"), std::string("zero\u200Bwidth.txt"),
                                std::string("line\nbreak.txt"), std::string("esc\x1b[31m.txt"), std::string("bad\xff.txt"), std::string("\xc0\xaf.txt"),
                                std::string(".."), std::string("dir/"), std::string(""), std::string(300, 'a')}) {
    auto r = safe_name(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, "transfer.name");
    EXPECT_EQ(r.error().where.find('\0'), std::string::npos);
    EXPECT_EQ(r.error().where.find("\u202E"), std::string::npos) << "the error shows hidden characters, it does not carry them";
  }
  EXPECT_NE(safe_name("請求書\u202Efdp.exe").error().message.find("U+202E"), std::string::npos);
}

// Full-width forms read as their ASCII on Windows ("best fit" to a code page): they are folded
// first, so that ／ and ＼ cannot climb, ． cannot hide a file or an extension, and ＣＯＮ is a device.
TEST(TransferNames, FullWidthFormsAreJudgedAsWhatTheyBecome) {
  EXPECT_EQ(*safe_name("．．／．．／etc／passwd"), "passwd");
  EXPECT_EQ(*safe_name("ｓｕｂ＼請求書．ｅｘｅ"), "請求書.exe");
  EXPECT_EQ(*safe_name("ＣＯＮ．txt"), "_CON.txt");
  EXPECT_EQ(*safe_name("見積＊？．pdf"), "見積__.pdf");
  EXPECT_EQ(*safe_name("報告書．exe．\u3000\u3000"), "報告書.exe");
  EXPECT_EQ(*safe_name("ＡＢＣ社１２月分（確定）.xlsx"), "ABC社12月分（確定）.xlsx") << "Japanese brackets stay";
  EXPECT_FALSE(safe_name("．．／"));
}

// Invisible characters beyond the bidirectional and zero-width ones (a Hangul filler, a
// combining grapheme joiner, tag characters, the Mongolian vowel separator) let a name read as
// another; Windows device names hide behind spaces before the dot and superscript digits.
TEST(TransferNames, EveryInvisibleCharacterIsRefusedAndEveryDeviceNameDefused) {
  for (const std::string& bad : {std::string("請求書\u3164\u3164.pdf.exe"), std::string("a\u034Fb.txt"), std::string("report\U000E0041.pdf"),
                                std::string("x\u180E.doc"), std::string("pay\uFFA0.xlsx"), std::string("a\u2061b.txt"), std::string("a\u206Ab.txt")}) {
    auto r = safe_name(bad);
    ASSERT_FALSE(r) << visible_text(bad) << " was accepted as " << visible_text(*r);
    EXPECT_EQ(r.error().code, "transfer.name");
    EXPECT_EQ(r.error().where, visible_text(bad));
  }
  EXPECT_EQ(*safe_name("CON .txt"), "_CON .txt");
  EXPECT_EQ(*safe_name("nul  .tar.gz"), "_nul  .tar.gz");
  EXPECT_EQ(*safe_name("COM\u00B9.txt"), "_COM\u00B9.txt");
  EXPECT_EQ(*safe_name("lpt\u00B3"), "_lpt\u00B3");
  EXPECT_EQ(*safe_name("CONOUT$.log"), "_CONOUT$.log");
  EXPECT_EQ(*safe_name("com0.txt"), "_com0.txt");
  EXPECT_EQ(*safe_name("console.txt"), "console.txt");
  EXPECT_EQ(*safe_name("com10.txt"), "com10.txt");
  EXPECT_EQ(*safe_name("見積書（第2版）.docx"), "見積書（第2版）.docx");
}

TEST_P(TransferTest, AHostileNameOrLimitRefusesTheWholeTransferBeforeAnythingIsKept) {
  const Upload bidi[] = {{"発注.csv", kPlainCsv}, {"請求書\u202Efdp.exe", kExe}};
  auto refused = service_->send(person("yamada"), "kato", "", bidi);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "transfer.name");
  const Upload many[] = {{"a.txt", "a"}, {"b.txt", "b"}, {"c.txt", "c"}, {"d.txt", "d"}};
  EXPECT_EQ(service_->send(person("yamada"), "kato", "", many).error().code, "transfer.limit");
  const Upload big[] = {{"big.txt", std::string((1 << 20) + 1, 'x')}};
  EXPECT_EQ(service_->send(person("yamada"), "kato", "", big).error().code, "transfer.limit");
  EXPECT_EQ(service_->send(person("yamada"), "nobody", "", big).error().code, "transfer.unknown-recipient");
  const Upload small[] = {{"a.txt", "a"}};
  EXPECT_EQ(service_->send(person("suzuki"), "vendor\u202Emoc.elpmaxe@", "報告", small).error().code, "transfer.recipient");
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfers"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.refuse'"), 5);
  auto records = quarantine_.database().query("SELECT record FROM audit_entries WHERE action = 'transfer.refuse'");
  ASSERT_TRUE(records);
  for (const auto& r : *records) EXPECT_EQ(r.text(0).find("\u202E"), std::string::npos) << "no record carries the hidden character: " << r.text(0);
}

TEST_P(TransferTest, AFailingStoreLeavesNoTransferHalfWrittenAndLosesNoOriginal) {
  store::Database& db = quarantine_.database();
  if (GetParam() == store::Backend::kSqlite) {
    ASSERT_TRUE(db.execute_script("CREATE TRIGGER fail_files BEFORE INSERT ON transfer_files BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"));
  } else {
    ASSERT_TRUE(db.execute_script("CREATE FUNCTION fail_files() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql;"
                                  "CREATE TRIGGER fail_files BEFORE INSERT ON transfer_files FOR EACH ROW EXECUTE FUNCTION fail_files();"));
  }
  const Upload files[] = {{"発注.csv", kPlainCsv}, {"見積書.docm", macro_docm()}};
  auto t = service_->send(person("yamada"), "kato", "", files);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().to_string().find("injected failure"), std::string::npos) << t.error().to_string();
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfers"), 0) << "no transfer without its files";
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfer_files"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.send'"), 0) << "no record of a transfer that is not there";
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 2) << "the originals stay kept, each with its record";
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'file.sanitize'"), 2);
}

// A notice as the relay received it: its header, and its base64 body decoded.
struct ReceivedNotice {
  std::string header, body;
};
ReceivedNotice read_notice(const std::string& dumped) {
  ReceivedNotice n;
  const std::size_t end = dumped.find("\r\n\r\n") != std::string::npos ? dumped.find("\r\n\r\n") : dumped.find("\n\n");
  n.header = dumped.substr(0, end);
  const std::string b64 = dumped.substr(end == std::string::npos ? dumped.size() : end);
  n.body.resize(b64.size());
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(n.body.data()), n.body.size(), b64.data(), b64.size(), "\r\n", &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    n.body = "(not base64)";
  } else {
    n.body.resize(len);
  }
  return n;
}

TEST_P(TransferTest, ThePeopleATransferConcernsAreToldByMailAndEachNoticeIsRecorded) {
  sanso::testing::SmtpSink relay(store_dir_->dir() / "relay");
  ASSERT_NO_FATAL_FAILURE(open_service_mailing(relay, "https://sanso.city.example.lg.jp"));

  // Files from the internet: their recipient is told they wait, with what became of each.
  const Upload incoming[] = {{"見積書.docm", macro_docm()}, {"setup.exe", kExe}};
  auto in = service_->send(person("yamada"), "kato", "", incoming);
  ASSERT_TRUE(in) << in.error().to_string();
  auto dumped = relay.messages(1);
  ASSERT_EQ(dumped.size(), 1u);
  ReceivedNotice ready = read_notice(dumped[0]);
  EXPECT_NE(dumped[0].find("<kato@city.example.lg.jp>"), std::string::npos) << ready.header;
  EXPECT_NE(ready.header.find("X-Sanso-Transfer: " + in->id), std::string::npos) << ready.header;
  EXPECT_NE(ready.header.find("Auto-Submitted: auto-generated"), std::string::npos);
  EXPECT_NE(ready.body.find("見積書.docm"), std::string::npos) << ready.body;
  EXPECT_NE(ready.body.find("blocked"), std::string::npos) << "the blocked file is named with why: " << ready.body;
  EXPECT_NE(ready.body.find("https://sanso.city.example.lg.jp/transfer"), std::string::npos) << ready.body;

  // Leaving for the internet: the approvers are told, never the sender, and a reason typed with
  // line breaks stays in the body instead of adding a header.
  const Upload outgoing[] = {{"報告書.csv", kPlainCsv}};
  auto out = service_->send(person("suzuki"), "contractor@example.com", "報告\r\nBcc: leak@example.com", outgoing);
  ASSERT_TRUE(out) << out.error().to_string();
  ASSERT_EQ(out->state, State::kPendingApproval);
  dumped = relay.messages(2);
  ASSERT_EQ(dumped.size(), 2u);
  const std::string& pending_raw = dumped[0].find(out->id) != std::string::npos ? dumped[0] : dumped[1];
  ReceivedNotice pending = read_notice(pending_raw);
  EXPECT_NE(pending_raw.find("tanaka@city.example.lg.jp"), std::string::npos) << "the other security_manager decides";
  EXPECT_EQ(pending_raw.find("suzuki@city.example.lg.jp"), std::string::npos) << "the sender cannot approve, so is not asked to";
  EXPECT_EQ(pending_raw.find("kato@city.example.lg.jp"), std::string::npos) << "kato holds no approver role";
  EXPECT_EQ(pending.header.find("leak@example.com"), std::string::npos) << pending.header;
  EXPECT_EQ(pending.header.find("Bcc:"), std::string::npos) << pending.header;
  EXPECT_NE(pending.body.find("Bcc: leak@example.com"), std::string::npos) << "shown, made visible, in the body: " << pending.body;

  // Decided: the sender is told.
  ASSERT_TRUE(service_->approve(out->id, person("tanaka"), "確認済み"));
  dumped = relay.messages(3);
  ASSERT_EQ(dumped.size(), 3u);
  EXPECT_EQ(std::count_if(dumped.begin(), dumped.end(),
                          [](const std::string& m) { return m.find("<suzuki@city.example.lg.jp>") != std::string::npos; }),
            1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.notify' AND record LIKE '%\"outcome\":\"sent\"%'"), 3);

  // A relay that is down: the transfer stands, the failed notice is recorded.
  ASSERT_NO_FATAL_FAILURE(open_service(kOutgoingException, [&](TransferService::Options& o) {
    o.notice_from = "postmaster";
    o.send_notice = [](const mime::ComposedNotice& n, const std::vector<std::string>& to) {
      mail::SmtpOptions closed{"127.0.0.1:" + std::to_string(sanso::testing::free_tcp_port())};
      closed.timeout = std::chrono::seconds(2);
      return mail::send_mail(closed, mail::SmtpEnvelope{"", to}, n.message);
    };
  }));
  const Upload again[] = {{"発注.csv", kPlainCsv}};
  auto still = service_->send(person("yamada"), "kato", "", again);
  ASSERT_TRUE(still) << still.error().to_string();
  EXPECT_EQ(still->state, State::kReady);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.notify' AND record LIKE '%\"outcome\":\"failed\"%'"), 1);
}

// Issue #17: a 個人番号 in a file's name or an archive member's path holds the transfer, and
// reaches neither the hold reason, the audit log, the quarantine's listing nor the approvers'
// notice whole. The file itself keeps its name: it is handed out under it once approved.
TEST_P(TransferTest, NumbersInNamesAreMaskedInTheHoldTheRecordsAndTheNotice) {
  sanso::testing::SmtpSink relay(store_dir_->dir() / "relay");
  ASSERT_NO_FATAL_FAILURE(open_service_mailing(relay));
  const Upload files[] = {{"山田_123456789018.csv", kPlainCsv}, {"名簿_123456789018.zip", sanso::testing::zip_of({{"123456789018.csv", kNumberCsv}})}};
  // The sender's own reason carries a 法人番号 too: the record and the notice mask it as well.
  auto held = service_->send(person("kato"), "contractor@example.com", "名簿の送付 7000012050002", files);
  ASSERT_TRUE(held) << held.error().to_string();
  EXPECT_EQ(held->state, State::kPendingApproval);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE record LIKE '%70000120%'"), 0);
  EXPECT_GE(count("SELECT COUNT(*) FROM audit_entries WHERE record LIKE '%名簿の送付 *********0002%'"), 1);
  EXPECT_NE(held->hold_reason.find("山田_********9018.csv: 個人番号"), std::string::npos) << "a number in the name alone holds it: " << held->hold_reason;
  EXPECT_NE(held->hold_reason.find("名簿_********9018.zip/********9018.csv: 個人番号"), std::string::npos) << held->hold_reason;
  EXPECT_EQ(held->hold_reason.find("12345678"), std::string::npos) << held->hold_reason;
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE record LIKE '%12345678%'"), 0);
  EXPECT_GE(count("SELECT COUNT(*) FROM audit_entries WHERE record LIKE '%********9018.zip/********9018.csv%'"), 1) << "recorded, masked";
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items WHERE reason LIKE '%12345678%' OR file_name LIKE '%12345678%'"), 0);
  auto dumped = relay.messages(1);
  ASSERT_EQ(dumped.size(), 1u) << "the approvers are told";
  const ReceivedNotice pending = read_notice(dumped[0]);
  EXPECT_NE(pending.body.find("山田_********9018.csv"), std::string::npos) << pending.body;
  EXPECT_EQ(pending.body.find("12345678"), std::string::npos) << pending.body;
  EXPECT_EQ(pending.body.find("70000120"), std::string::npos) << pending.body;
  ASSERT_EQ(held->files.size(), 2u);
  EXPECT_EQ(held->files[0].name, "山田_123456789018.csv") << "the file's own row keeps the name it is handed out under";
}

TEST_P(TransferTest, APpapZipIsUnlockedByItsSenderAndThePasswordIsKeptNowhere) {
  const std::string password = "Minamata-PPAP-2026";
  const Upload files[] = {{"見積.zip", sanso::testing::encrypted_zip({{"見積書.docm", macro_docm()}}, ZIP_EM_AES_256, password.c_str())},
                          {"発注.csv", kPlainCsv}};
  auto t = service_->send(person("yamada"), "kato", "", files);
  ASSERT_TRUE(t) << t.error().to_string();
  ASSERT_EQ(t->files[0].verdict, "blocked");
  ASSERT_TRUE(t->files[0].awaits_password()) << t->files[0].reason;
  EXPECT_FALSE(t->files[1].awaits_password());
  auto first = service_->fetch(t->id, person("kato"));
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_EQ(first->size(), 1u) << "the locked file is not handed over";

  ::testing::internal::CaptureStderr();
  EXPECT_EQ(service_->unlock(t->id, 0, person("kato"), password, "test").error().code, "transfer.not-found") << "only its sender gives the password";
  Person on_lgwan = person("yamada");
  on_lgwan.zone = "lgwan";
  EXPECT_EQ(service_->unlock(t->id, 0, on_lgwan, password, "test").error().code, "transfer.zone") << "never from the LGWAN side";
  EXPECT_EQ(service_->unlock(t->id, 1, person("yamada"), password, "test").error().code, "transfer.state") << "the CSV waits for nothing";
  auto wrong = service_->unlock(t->id, 0, person("yamada"), "minamata-ppap-2026", "test");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, "transfer.password");
  auto right = service_->unlock(t->id, 0, person("yamada"), password, "test");
  const std::string logged = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(right) << right.error().to_string();
  EXPECT_EQ(right->verdict, "sanitized");
  EXPECT_NE(right->findings_json.find("vba_macro"), std::string::npos) << right->findings_json;
  EXPECT_EQ(right->output_name, "見積.zip");
  EXPECT_EQ(right->unlock_attempts, 2);
  EXPECT_EQ(service_->unlock(t->id, 0, person("yamada"), password, "test").error().code, "transfer.state") << "unlocked once";

  auto stored = service_->get(t->id, person("kato"));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->state, State::kReady) << "the recipient has a file more to fetch";
  auto got = service_->fetch(t->id, person("kato"));
  ASSERT_TRUE(got) << got.error().to_string();
  ASSERT_EQ(got->size(), 2u);
  const auto members = cdr::fixtures::unzip((*got)[0].bytes);
  ASSERT_TRUE(members.count("見積書.docx")) << "rebuilt macro-free";
  EXPECT_EQ(members.at("見積書.docx").find("vbaProject"), std::string::npos);

  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.unlock' AND record LIKE '%\"wrong\"%'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.unlock' AND record LIKE '%\"ok\"%'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.unlock' AND record LIKE '%\"refused\"%'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE record LIKE '%Minamata-PPAP%' OR record LIKE '%minamata-ppap%'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfer_files WHERE reason LIKE '%Minamata-PPAP%' OR findings LIKE '%Minamata-PPAP%'"), 0);
  EXPECT_EQ(logged.find("PPAP-2026"), std::string::npos) << logged;
  EXPECT_FALSE(sanso::testing::kept_anywhere(store_dir_->dir(), "PPAP-2026")) << "the password is in a file of the data directory";
}

TEST_P(TransferTest, UnlockAttemptsAreLimitedAndAHostilePasswordCountsForNothing) {
  ASSERT_NO_FATAL_FAILURE(open_service(kOutgoingException, [](TransferService::Options& o) { o.limits.unlock_attempts = 3; }));
  const Upload files[] = {{"a.zip", sanso::testing::encrypted_zip({{"a.txt", "本文"}}, ZIP_EM_TRAD_PKWARE, "right")}};
  auto t = service_->send(person("yamada"), "kato", "", files);
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_EQ(service_->unlock(t->id, 0, person("yamada"), std::string("right\0x", 7), "test").error().code, "transfer.password-input");
  EXPECT_EQ(service_->unlock(t->id, 0, person("yamada"), std::string(5000, 'a'), "test").error().code, "transfer.password-input");
  EXPECT_EQ(service_->unlock(t->id, 0, person("yamada"), "", "test").error().code, "transfer.password-input");
  EXPECT_EQ(count("SELECT unlock_attempts FROM transfer_files WHERE transfer_id = '" + t->id + "'"), 0) << "refused before it is counted";
  for (const char* guess : {"wrong-1", "wrong-2", "wrong-3"}) {
    EXPECT_EQ(service_->unlock(t->id, 0, person("yamada"), guess, "test").error().code, "transfer.password");
  }
  EXPECT_EQ(service_->unlock(t->id, 0, person("yamada"), "right", "test").error().code, "transfer.locked") << "no attempts are left";
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.unlock' AND record LIKE '%\"locked\"%'"), 2);
  auto still = service_->get(t->id, person("yamada"));
  ASSERT_TRUE(still);
  EXPECT_EQ(still->files[0].verdict, "blocked");
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfer_files WHERE output_sealed IS NOT NULL AND transfer_id = '" + t->id + "'"), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, TransferTest, ::testing::ValuesIn(sanso::testing::test_backends()), sanso::testing::backend_name);

}  // namespace
}  // namespace sanso::transfer
