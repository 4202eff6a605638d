// PPAP from mail (issue #17), end to end without Postfix: the gateway's decision on an inbound
// mail with a password-protected zip, the link mailed to its sender through Postfix's smtp-sink,
// the sender's unlock page over real HTTP on the internet side, and the rebuilt file the LGWAN
// recipient fetches. The same store, quarantine, audit log and transfer service as `sanso milter`
// and `sanso web` share.
#include <sodium.h>

#include <atomic>
#include <filesystem>
#include <regex>

#include "cdr/cdr.h"
#include "core/clock.h"
#include "mail/milter/gateway.h"
#include "mail/smtp_client.h"
#include "support/files.h"
#include "support/notice_text.h"
#include "support/ppap.h"
#include "support/smtp_sink.h"
#include "web/transfer_console.h"

namespace sanso::web {
namespace {

constexpr const char* kVendor = "vendor@example.co.jp";
constexpr const char* kKato = "kato@city.minamata.lg.jp";
constexpr const char* kZipPassword = "Kumamoto-PPAP-7731";
constexpr const char* kAuthservId = "mx.city.minamata.lg.jp";      // Sanso's own (it checks nothing)
constexpr const char* kVerifierId = "verify.city.minamata.lg.jp";  // the MTA's OpenDMARC

std::string base64(std::string_view bytes) {
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();
  std::string wrapped;
  for (std::size_t i = 0; i < out.size(); i += 76) wrapped += out.substr(i, 76) + "\r\n";
  return wrapped;
}

// The text of a one-part message whose body is base64 (a notice, the rebuilt mail).
std::string text_of(const std::string& message) { return sanso::testing::notice_text(message); }

// A vendor's mail with an encrypted zip; `authentication` is the Authentication-Results line.
std::string ppap_mail(const std::string& authentication, const std::string& from = "vendor@example.co.jp") {
  const std::string zip = sanso::testing::encrypted_zip({{"見積書.txt", "お見積り 一式 120,000円"}}, ZIP_EM_AES_256, kZipPassword);
  return "Received: from mail.example.co.jp (mail.example.co.jp [203.0.113.7])\r\n" + authentication +
         "From: =?UTF-8?B?5qWt6ICF?= <" + from + ">\r\n"
         "To: kato@city.minamata.lg.jp\r\nSubject: mitsumori\r\nMessage-ID: <ppap-1@example.co.jp>\r\nDate: Sun, 06 Dec 2026 10:00:00 +0900\r\n"
         "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
         "--b1\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nパスワードは別のメールでお送りします。\r\n"
         "--b1\r\nContent-Type: application/zip; name=\"mitsumori.zip\"\r\nContent-Disposition: attachment; filename=\"mitsumori.zip\"\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\n" +
         base64(zip) + "--b1--\r\n";
}

// The machine's time moved on by `ahead`: the transfer service's clock, for a link's expiry.
class ShiftedClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return system_clock().now() + ahead.load(); }
  Date today() const override { return system_clock().today(); }
  std::atomic<std::chrono::seconds> ahead{std::chrono::seconds(0)};
};

class PpapMailTest : public TransferConsoleTest {
 protected:
  void SetUp() override {
    sink_dir_ = std::filesystem::path(::testing::TempDir()) / ("sanso-ppap-sink-" + std::to_string(::getpid()) + "-" +
                                                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(sink_dir_);
    sink_ = std::make_unique<sanso::testing::SmtpSink>(sink_dir_);
    ASSERT_NO_FATAL_FAILURE(TransferConsoleTest::SetUp());
    settings_.ppap = transfers_.get();
    gateway_ = std::make_unique<mail::MailGateway>(*example_.policy, *example_.compiled, *quarantine_, *h_->log_, *h_->shared_, settings_,
                                                   std::move(*executors_));
  }
  void TearDown() override {
    gateway_.reset();
    sink_.reset();
    std::filesystem::remove_all(sink_dir_);
  }

  // Before the console's threads: kato has a mailbox, notices go to the sink, three attempts a
  // file, and the gateway's sandbox pools are started.
  void adjust_transfers(transfer::TransferService::Options& o) override {
    for (auto& u : h_->config_.operators) {
      if (u.name == "kato") u.mail = kKato;
    }
    o.limits.unlock_attempts = 3;
    o.clock = &clock_;
    o.notice_from = "postmaster@city.minamata.lg.jp";
    o.console_url = "https://sanso.city.minamata.example";
    o.send_notice = [relay = sink_->relay()](const mime::ComposedNotice& n, const std::vector<std::string>& to) {
      return mail::send_mail(mail::SmtpOptions{relay, "localhost"}, mail::SmtpEnvelope{"", to}, n.message);
    };
    settings_.node = "gw-test";
    settings_.sanitize.lang = "ja";
    settings_.sanitize.attachment_action = mail::AttachmentAction::kSanitize;
    settings_.sanitize.authserv_id = kAuthservId;
    settings_.verifier_authserv_id = kVerifierId;
    settings_.sanitize.correspondents = {{"業者", "vendor@example.co.jp"}};
    settings_.strict_for_first_time_senders = false;
    auto executors = mail::GatewayExecutors::start(*example_.policy, settings_.sanitize, sandbox::Launch::pool(1));
    ASSERT_TRUE(executors) << executors.error().to_string();
    executors_ = std::move(executors).value();
  }

  mail::GatewayVerdict deliver(const std::string& raw, const std::string& sender = kVendor) {
    mail::Envelope e;
    e.client_address = "203.0.113.7";
    e.sender = sender;
    e.recipients = {kKato};
    e.queue_id = "PPAP1";
    return gateway_->process(e, raw);
  }

  std::int64_t count(const std::string& sql) {
    auto db = h_->shared_->use();
    auto row = db->query_one(sql);
    return row && *row ? (*row)->integer(0) : -1;
  }

  // The token in the one link mail the sink received, decoded from its base64 body.
  std::string token_mailed() {
    const auto messages = sink_->messages(1);
    EXPECT_EQ(messages.size(), 1u);
    if (messages.size() != 1) return "";
    EXPECT_NE(messages[0].find(kVendor), std::string::npos) << "to the sender";
    const std::string body = text_of(messages[0]);
    std::smatch m;
    static const std::regex kLink("/ppap/([0-9a-f]{64})");
    EXPECT_TRUE(std::regex_search(body, m, kLink)) << body;
    return m.empty() ? "" : m[1].str();
  }

  httplib::Result unlock(const std::string& token, const std::string& form, const std::string& password) {
    httplib::Headers h{{"X-Forwarded-For", kInternet}};
    return client_->Post("/ppap/" + token, h, httplib::Params{{"form", form}, {"position", "0"}, {"password", password}});
  }

  static std::string form_of(const std::string& html) {
    std::smatch m;
    static const std::regex kForm(R"re(name="form" value="([0-9a-f]+)")re");
    return std::regex_search(html, m, kForm) ? m[1].str() : std::string();
  }

  ShiftedClock clock_;
  std::filesystem::path sink_dir_;
  std::unique_ptr<sanso::testing::SmtpSink> sink_;
  mail::GatewaySettings settings_;
  std::optional<mail::GatewayExecutors> executors_;
  std::unique_ptr<mail::MailGateway> gateway_;
};

TEST_P(PpapMailTest, AnAuthenticatedSenderUnlocksTheAttachmentByItsLinkAndTheRecipientGetsItRebuilt) {
  const auto v = deliver(ppap_mail(std::string("Authentication-Results: ") + kVerifierId +
                                   "; spf=pass smtp.mailfrom=vendor@example.co.jp; dmarc=pass header.from=example.co.jp\r\n"));
  ASSERT_EQ(v.action, mail::GatewayVerdict::Action::kReplace) << v.reply;
  EXPECT_EQ(v.message.find("application/zip"), std::string::npos) << "delivered text-only";
  const std::string notice = text_of(v.message);
  EXPECT_NE(notice.find("送信者に入力用のリンクを送りました"), std::string::npos) << notice;
  EXPECT_NE(notice.find("the sender has been sent a link"), std::string::npos) << notice;
  ASSERT_EQ(count("SELECT COUNT(*) FROM transfers WHERE sender = 'vendor@example.co.jp' AND recipient = 'kato' AND ppap_sha256 <> ''"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfer_files WHERE original_sealed IS NOT NULL AND verdict = 'blocked'"), 1);
  std::string id;
  {
    auto db = h_->shared_->use();
    auto row = db->query_one("SELECT id FROM transfers WHERE sender = 'vendor@example.co.jp'");
    ASSERT_TRUE(row && *row);
    id = (*row)->text(0);
  }
  EXPECT_NE(notice.find(id), std::string::npos) << "the notice names the transfer";
  const std::string token = token_mailed();
  ASSERT_EQ(token.size(), 64u);

  // Only on the internet side; an LGWAN address gets nothing of it.
  EXPECT_EQ(client_->Get("/ppap/" + token, httplib::Headers{{"X-Forwarded-For", kLgwan}})->status, 403);
  auto page = client_->Get("/ppap/" + token, httplib::Headers{{"X-Forwarded-For", kInternet}});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200) << page->body;
  const std::string form = form_of(page->body);
  ASSERT_FALSE(form.empty()) << page->body;
  EXPECT_NE(page->body.find("mitsumori.zip"), std::string::npos);
  EXPECT_EQ(client_->Post("/ppap/" + token, httplib::Headers{{"X-Forwarded-For", kLgwan}},
                          httplib::Params{{"form", form}, {"position", "0"}, {"password", kZipPassword}})
                ->status,
            403)
      << "never from an LGWAN address";
  EXPECT_EQ(unlock(token, std::string(64, '0'), kZipPassword)->status, 403) << "a form token not bound to the link";
  auto cross = client_->Post("/ppap/" + token, httplib::Headers{{"X-Forwarded-For", kInternet}, {"Origin", "https://evil.example"}},
                             httplib::Params{{"form", form}, {"position", "0"}, {"password", kZipPassword}});
  EXPECT_EQ(cross->status, 403) << "another site's form";

  ::testing::internal::CaptureStderr();
  auto wrong = unlock(token, form, "kumamoto-ppap-7731");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(count("SELECT unlock_attempts FROM transfer_files WHERE transfer_id = '" + id + "'"), 1) << "counted";
  auto right = unlock(token, form, kZipPassword);
  const std::string logged = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200) << right->body;

  // The recipient, on the LGWAN side, fetches the rebuilt file.
  const Visitor kato = sign_in("kato", kLgwan);
  auto file = get(kato, "/transfer/" + id + "/file/0");
  ASSERT_TRUE(file);
  ASSERT_EQ(file->status, 200) << file->body;
  const auto members = cdr::fixtures::unzip(file->body);
  ASSERT_TRUE(members.count("見積書.txt")) << "its members rebuilt";
  EXPECT_NE(members.at("見積書.txt").find("120,000"), std::string::npos);

  EXPECT_EQ(count("SELECT COUNT(*) FROM transfer_files WHERE original_sealed IS NOT NULL"), 0) << "the encrypted attachment goes once unlocked";
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.original' AND record LIKE '%\"discarded\"%' AND record LIKE '%unlocked%'"), 1);

  // The link is spent; the page says so.
  auto spent = client_->Get("/ppap/" + token, httplib::Headers{{"X-Forwarded-For", kInternet}});
  EXPECT_EQ(spent->status, 404);
  EXPECT_EQ(unlock(token, form, kZipPassword)->status, 404);

  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.unlock' AND record LIKE '%\"wrong\"%'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.unlock' AND record LIKE '%\"ok\"%'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.notify' AND record LIKE '%ppap-link%' AND record LIKE '%\"sent\"%'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE record LIKE '%PPAP-7731%' OR record LIKE '%ppap-7731%'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfer_files WHERE reason LIKE '%PPAP-7731%' OR findings LIKE '%PPAP-7731%'"), 0);
  EXPECT_EQ(logged.find("PPAP-7731"), std::string::npos) << logged;
  EXPECT_FALSE(sanso::testing::kept_anywhere(h_->store_.dir(), "PPAP-7731")) << "the password is in a file of the data directory";
  EXPECT_FALSE(sanso::testing::kept_anywhere(sink_dir_, "PPAP-7731")) << "the password went out by mail";
}

TEST_P(PpapMailTest, WrongPasswordsLockTheFileAndSpendTheLink) {
  deliver(ppap_mail(std::string("Authentication-Results: ") + kVerifierId + "; dmarc=pass header.from=example.co.jp\r\n"));
  const std::string token = token_mailed();
  ASSERT_EQ(token.size(), 64u);
  const std::string form = form_of(client_->Get("/ppap/" + token, httplib::Headers{{"X-Forwarded-For", kInternet}})->body);
  EXPECT_EQ(unlock(token, form, "guess-1")->status, 401);
  EXPECT_EQ(unlock(token, form, "guess-2")->status, 401);
  EXPECT_EQ(unlock(token, form, "guess-3")->status, 401) << "the last attempt, wrong: locked";
  EXPECT_EQ(unlock(token, form, kZipPassword)->status, 404) << "the link is spent once the file is locked";
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.unlock' AND record LIKE '%\"locked\"%'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfer_files WHERE output_sealed IS NOT NULL"), 0) << "nothing for the recipient";
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfer_files WHERE original_sealed IS NOT NULL"), 0) << "nor the encrypted attachment, once locked";
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.original' AND record LIKE '%locked%'"), 1);
}

TEST_P(PpapMailTest, AnExpiredLinkIsRefusedWithAClearPage) {
  deliver(ppap_mail(std::string("Authentication-Results: ") + kVerifierId + "; dmarc=pass header.from=example.co.jp\r\n"));
  const std::string token = token_mailed();
  ASSERT_EQ(token.size(), 64u);
  auto page = client_->Get("/ppap/" + token, httplib::Headers{{"X-Forwarded-For", kInternet}});
  ASSERT_EQ(page->status, 200);
  const std::string form = form_of(page->body);
  clock_.ahead = std::chrono::hours(h_->config_.transfer.link_hours + 1);
  auto expired = client_->Get("/ppap/" + token, httplib::Headers{{"X-Forwarded-For", kInternet}});
  EXPECT_EQ(expired->status, 404);
  EXPECT_NE(expired->body.find("このリンクは使えません"), std::string::npos) << expired->body;
  EXPECT_EQ(unlock(token, form, kZipPassword)->status, 404);
  EXPECT_EQ(count("SELECT unlock_attempts FROM transfer_files"), 0) << "nothing tried through an expired link";
  // The expiry sweep discards the attachment nobody can unlock any more, and says why.
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfer_files WHERE original_sealed IS NOT NULL"), 1);
  auto swept = transfers_->expire("sweep");
  ASSERT_TRUE(swept) << swept.error().to_string();
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfer_files WHERE original_sealed IS NOT NULL"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.original' AND record LIKE '%its link expired%'"), 1);
  EXPECT_EQ(client_->Get("/ppap/" + std::string(64, 'a'), httplib::Headers{{"X-Forwarded-For", kInternet}})->status, 404) << "nor an unknown one";
}

TEST_P(PpapMailTest, AForgedOrUnauthenticatedSenderIsSentNoLink) {
  // Another host's Authentication-Results (anyone can write one), and a pass not aligned with From.
  for (const std::string& ar : {std::string("Authentication-Results: mx.example.co.jp; dmarc=pass header.from=example.co.jp\r\n"),
                               std::string("Authentication-Results: ") + kVerifierId + "; dmarc=pass header.from=other.example\r\n",
                               std::string()}) {
    const auto v = deliver(ppap_mail(ar));
    ASSERT_EQ(v.action, mail::GatewayVerdict::Action::kReplace) << v.reply;
    const std::string notice = text_of(v.message);
    EXPECT_NE(notice.find("入力用のリンクは送っていません"), std::string::npos) << notice;
    EXPECT_NE(notice.find("Ask the sender to use the upload page"), std::string::npos) << notice;
  }
  // Our own verifier's pass for a sender the city does not know ([mail] correspondents): no link
  // either — whoever sends can make both the envelope and a header that claims it.
  const auto stranger = deliver(ppap_mail(std::string("Authentication-Results: ") + kVerifierId + "; dmarc=pass header.from=example.co.jp\r\n",
                                          "other@example.co.jp"),
                                "other@example.co.jp");
  ASSERT_EQ(stranger.action, mail::GatewayVerdict::Action::kReplace) << stranger.reply;
  EXPECT_NE(text_of(stranger.message).find("入力用のリンクは送っていません"), std::string::npos) << text_of(stranger.message);
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfers WHERE sender = 'vendor@example.co.jp' AND ppap_sha256 = ''"), 3) << "held, without a link";
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfers WHERE sender = 'other@example.co.jp' AND ppap_sha256 = ''"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.notify'"), 0) << "no link mail";
  EXPECT_TRUE(std::filesystem::is_empty(sink_dir_));
}

// The attachment must not outlive the mail it came in: once the quarantine purges that mail,
// the next expiry sweep discards the sealed copy (audited), though its link would still live.
TEST_P(PpapMailTest, TheEncryptedAttachmentGoesWithItsMailsQuarantineItem) {
  const auto v = deliver(ppap_mail(std::string("Authentication-Results: ") + kVerifierId + "; dmarc=pass header.from=example.co.jp\r\n"));
  ASSERT_EQ(v.action, mail::GatewayVerdict::Action::kReplace) << v.reply;
  ASSERT_TRUE(transfers_->expire("sweep"));
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfer_files WHERE original_sealed IS NOT NULL"), 1) << "kept while its mail is";
  {
    auto db = h_->shared_->use();
    ASSERT_TRUE(db->execute("UPDATE quarantine_items SET expires_at = 1 WHERE id = ?", {v.quarantine_id}));  // its retention is over
  }
  quarantine::Actor purger;
  purger.name = "purge";
  auto purged = quarantine_->purge(purger);
  ASSERT_TRUE(purged) << purged.error().to_string();
  ASSERT_EQ(*purged, 1);
  auto swept = transfers_->expire("sweep");
  ASSERT_TRUE(swept) << swept.error().to_string();
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfer_files WHERE original_sealed IS NOT NULL"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.original' AND record LIKE '%purged%'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfers WHERE ppap_sha256 <> ''"), 0) << "the link is dead too";
}

// Postfix retries a delivery whose answer was lost, with a Received: line of its own: the retry is
// answered with the same transfer in its notice, and the sender gets no second link. Another mail
// (a new Message-ID) is a transfer of its own.
TEST_P(PpapMailTest, ARetriedDeliveryGetsTheSameTransferAndNoSecondLink) {
  const std::string first = ppap_mail(std::string("Authentication-Results: ") + kVerifierId + "; dmarc=pass header.from=example.co.jp\r\n");
  const auto v1 = deliver(first);
  ASSERT_EQ(v1.action, mail::GatewayVerdict::Action::kReplace) << v1.reply;
  ASSERT_EQ(token_mailed().size(), 64u);
  // The client sends the same message again; Postfix writes a new Received: (a new queue id) on top
  // of it, and the verifier its field below that again.
  const std::string retried = "Received: from mail.example.co.jp by mx.city.minamata.lg.jp with ESMTPS id RETRY2\r\n" + first.substr(first.find("\r\n") + 2);
  const auto v2 = deliver(retried);
  ASSERT_EQ(v2.action, mail::GatewayVerdict::Action::kReplace) << v2.reply;
  ASSERT_EQ(count("SELECT COUNT(*) FROM transfers"), 1) << "no second transfer";
  std::string id;
  {
    auto db = h_->shared_->use();
    auto row = db->query_one("SELECT id FROM transfers");
    ASSERT_TRUE(row && *row);
    id = (*row)->text(0);
  }
  EXPECT_NE(text_of(v1.message).find(id), std::string::npos);
  EXPECT_NE(text_of(v2.message).find(id), std::string::npos) << "the retry names the same transfer: " << text_of(v2.message);
  EXPECT_NE(text_of(v2.message).find("送信者に入力用のリンクを送りました"), std::string::npos);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.notify' AND record LIKE '%ppap-link%'"), 1) << "one link mail";
  EXPECT_EQ(sink_->messages(2).size(), 1u) << "one link mail (waited for a second)";

  std::string another = first;
  another.replace(another.find("ppap-1@example.co.jp"), 20, "ppap-2@example.co.jp");
  ASSERT_EQ(deliver(another).action, mail::GatewayVerdict::Action::kReplace);
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfers"), 2) << "another mail, another transfer";
}

// The verifier's pass counts only where the MTA put it: at the top, below its own Received:. A
// sender who writes a passing field under Sanso's own id, or under the verifier's further down,
// gets no link (the lure in a correspondent's inbox); nor does anyone when no verifier is set.
TEST_P(PpapMailTest, AForgedAuthenticationResultsAnywhereButTheTopSendsNoLink) {
  const std::string pass = "; dmarc=pass header.from=example.co.jp\r\n";
  const std::string own = std::string("Authentication-Results: ") + kAuthservId + pass;
  const std::string verifier = std::string("Authentication-Results: ") + kVerifierId + pass;
  auto below_from = [&](const std::string& top) {
    std::string raw = ppap_mail(top);
    raw.insert(raw.find("To: kato@"), verifier);  // the sender's own header, below From
    return raw;
  };
  for (const std::string& raw : {ppap_mail(own), below_from(""), below_from(verifier)}) {
    const auto v = deliver(raw);
    ASSERT_EQ(v.action, mail::GatewayVerdict::Action::kReplace) << v.reply;
    EXPECT_NE(text_of(v.message).find("入力用のリンクは送っていません"), std::string::npos) << raw.substr(0, 400);
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfers WHERE sender = 'vendor@example.co.jp' AND ppap_sha256 = ''"), 3) << "held, without a link";
  EXPECT_TRUE(std::filesystem::is_empty(sink_dir_)) << "no link mail";
}

INSTANTIATE_TEST_SUITE_P(Backends, PpapMailTest, ::testing::ValuesIn(sanso::testing::test_backends()), sanso::testing::backend_name);

}  // namespace
}  // namespace sanso::web
