// PPAP from mail (issue #17), end to end without Postfix: the gateway's decision on an inbound
// mail with a password-protected zip, the link mailed to its sender through Postfix's smtp-sink,
// the sender's unlock page over real HTTP on the internet side, and the rebuilt file the LGWAN
// recipient fetches. The same store, quarantine, audit log and transfer service as `sanso milter`
// and `sanso web` share.
#include <sodium.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <regex>
#include <thread>

#include "store/database.h"

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
constexpr const char* kSato = "sato@city.minamata.lg.jp";
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
      if (u.name == "sato") u.mail = kSato;
    }
    // Five more LGWAN clerks with mailboxes: a mail to many registered people.
    for (int i = 1; i <= 5; ++i) {
      h_->config_.operators.push_back({"clerk" + std::to_string(i), "", {}, "lgwan", "clerk" + std::to_string(i) + "@city.minamata.lg.jp"});
    }
    o.limits.unlock_attempts = 3;
    o.clock = &clock_;
    o.notice_from = "postmaster@city.minamata.lg.jp";
    o.console_url = "https://sanso.city.minamata.example";
    o.internet_url = "https://files.city.minamata.example";  // [web] internet_origin: the links name it
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
    static const std::regex kLink(R"(https://files\.city\.minamata\.example/ppap/([0-9a-f]{64}))");
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

// The attachment must not outlive the mail it came in: the quarantine's purge of that mail
// discards the sealed copy in the same transaction (audited), though its link would still live —
// not one expiry sweep later (`sanso milter` alone never sweeps).
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
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfer_files WHERE original_sealed IS NOT NULL"), 0) << "gone with the purge, no sweep needed";
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.original' AND record LIKE '%purged%' AND record LIKE '%\"purge\"%'"), 1)
      << "recorded as the purger's";
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfers WHERE ppap_sha256 <> ''"), 0) << "the link is dead too";
  auto swept = transfers_->expire("sweep");
  ASSERT_TRUE(swept) << swept.error().to_string();
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.original'"), 1) << "nothing left for the sweep";
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

// A flood of unauthenticated POSTs from one internet-side client is cut before its handler runs:
// the audit log gets the allowance's records and one that the limit was hit, not one per request
// (a form refused as forged is a record each). Another client is not held up by it.
TEST_P(PpapMailTest, AFloodOfUnauthenticatedPostsWritesABoundedNumberOfAuditRecords) {
  ConsoleOptions o = console_options();
  o.unauthenticated_posts_per_window = 10;
  ASSERT_TRUE(serve(o));
  const std::int64_t before = count("SELECT COUNT(*) FROM audit_entries");
  const httplib::Headers flood{{"X-Forwarded-For", kInternet}};
  const httplib::Params forged{{"form", std::string(64, '0')}, {"position", "0"}, {"password", "guess"}};
  int cut = 0;
  for (int i = 0; i < 80; ++i) {
    auto r = client_->Post("/ppap/" + std::string(64, 'a' + i % 6), flood, forged);
    ASSERT_TRUE(r);
    if (r->status == 429) ++cut;
  }
  EXPECT_EQ(cut, 70);
  // The other open pages share the client's allowance: a sign-in and a link's download are cut too.
  auto login = client_->Post("/login", flood, httplib::Params{{"name", "kato"}, {"password", "wrong"}});
  EXPECT_EQ(login->status, 429);
  EXPECT_EQ(client_->Post("/link/" + std::string(64, 'b'), flood, httplib::Params{{"password", ""}})->status, 429);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries") - before, 11) << "ten refused forms and one record of the limit";
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'console.request' AND record LIKE '%rate-limited%'"), 1);
  // Another internet client still gets its answer (a forged form: refused and recorded); the
  // LGWAN side signs in as ever.
  EXPECT_EQ(client_->Post("/ppap/" + std::string(64, 'a'), httplib::Headers{{"X-Forwarded-For", "203.0.113.9"}}, forged)->status, 403);
  const Visitor kato = sign_in("kato", kLgwan);
  EXPECT_FALSE(kato.cookie.empty());
}

// Two attempts of one delivery racing each other, on two connections: the first holds the
// delivery's key in its open transaction; the second's insert finds it taken once the first
// commits and writes nothing — one transfer, one link, and both notices name it.
TEST_P(PpapMailTest, TwoSimultaneousAttemptsOfOneDeliveryMakeOneTransfer) {
  const std::string zip = sanso::testing::encrypted_zip({{"a.txt", "x"}}, ZIP_EM_AES_256, kZipPassword);
  const std::vector<transfer::MailAttachment> files{{"a.zip", "the zip archive is password-protected", zip}};
  const std::string delivery = std::string(64, 'd');
  auto first = transfers_->prepare_mail_ppap(kVendor, "kato", "q-first", "r", "6(3)", files, true, delivery);
  auto second = transfers_->prepare_mail_ppap(kVendor, "kato", "q-second", "r", "6(3)", files, true, delivery);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->transfer.id, second->transfer.id) << "both notices name the one transfer";
  EXPECT_NE(first->token, second->token);
  std::atomic<bool> holding{false};
  Result<bool> first_wrote = false, second_wrote = false;
  std::thread racer([&] {
    first_wrote = [&]() -> Result<bool> {
      bool made = false;
      SANSO_TRY(h_->shared_->commit([&](store::Database& d) -> Result<void> {
        made = SANSO_TRY(transfers_->write_mail_ppap(d, *first));
        holding = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the other attempt arrives meanwhile
        return ok();
      }));
      return made;
    }();
    holding = true;
  });
  while (!holding) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  second_wrote = [&]() -> Result<bool> {
    auto other = h_->store_.open();  // a connection of its own, as another milter process has
    auto tx = SANSO_TRY(store::Transaction::begin(*other));
    const bool made = SANSO_TRY(transfers_->write_mail_ppap(*other, *second));
    SANSO_TRY(tx.commit());
    return made;
  }();
  racer.join();
  ASSERT_TRUE(first_wrote) << first_wrote.error().to_string();
  ASSERT_TRUE(second_wrote) << second_wrote.error().to_string();
  EXPECT_TRUE(*first_wrote);
  EXPECT_FALSE(*second_wrote) << "the second finds the first's transfer";
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfers"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfer_files"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'transfer.send'"), 1);
  auto found = transfers_->mail_ppap_for_delivery(delivery);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ(**found, first->transfer.id);
  EXPECT_TRUE(transfers_->ppap_transfer(first->token)) << "the first's link works";
  EXPECT_FALSE(transfers_->ppap_transfer(second->token)) << "the second's was never kept";
}

// A mail to several LGWAN people: each gets a transfer of their own (what a transfer's recipient
// may see and fetch is unchanged), and their sender one link that unlocks the attachment for all.
// Each person's transfer seals its own copy of the attachments: a mail to many registered people
// makes transfers for the first five only, and the notice says so.
TEST_P(PpapMailTest, AMailToManyPeopleMakesTransfersForTheFirstFiveOnly) {
  mail::Envelope e;
  e.client_address = "203.0.113.7";
  e.sender = kVendor;
  e.recipients = {kKato, kSato};
  for (int i = 1; i <= 5; ++i) e.recipients.push_back("clerk" + std::to_string(i) + "@city.minamata.lg.jp");
  e.queue_id = "PPAP7";
  const auto v = gateway_->process(e, ppap_mail(std::string("Authentication-Results: ") + kVerifierId + "; dmarc=pass header.from=example.co.jp\r\n"));
  ASSERT_EQ(v.action, mail::GatewayVerdict::Action::kReplace) << v.reply;
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfers"), 5);
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfers WHERE recipient = 'clerk4' OR recipient = 'clerk5'"), 0) << "the first five, in the envelope's order";
  EXPECT_NE(text_of(v.message).find("最初の 5 人"), std::string::npos) << text_of(v.message);
}

TEST_P(PpapMailTest, EveryLgwanRecipientGetsATransferAndOneLinkUnlocksThemAll) {
  mail::Envelope e;
  e.client_address = "203.0.113.7";
  e.sender = kVendor;
  e.recipients = {kKato, kSato, "nobody@city.minamata.lg.jp"};
  e.queue_id = "PPAP2";
  const auto v = gateway_->process(e, ppap_mail(std::string("Authentication-Results: ") + kVerifierId + "; dmarc=pass header.from=example.co.jp\r\n"));
  ASSERT_EQ(v.action, mail::GatewayVerdict::Action::kReplace) << v.reply;
  std::map<std::string, std::string> id_of;
  {
    auto db = h_->shared_->use();
    auto rows = db->query("SELECT recipient, id FROM transfers ORDER BY recipient");
    ASSERT_TRUE(rows);
    for (const auto& r : *rows) id_of[r.text(0)] = r.text(1);
  }
  ASSERT_EQ(id_of.size(), 2u) << "kato and sato, not the address nobody has";
  ASSERT_TRUE(id_of.count("kato") && id_of.count("sato"));
  EXPECT_NE(text_of(v.message).find(id_of["kato"]), std::string::npos) << text_of(v.message);
  EXPECT_NE(text_of(v.message).find(id_of["sato"]), std::string::npos) << text_of(v.message);
  const std::string token = token_mailed();  // one link mail
  ASSERT_EQ(token.size(), 64u);
  const std::string form = form_of(client_->Get("/ppap/" + token, httplib::Headers{{"X-Forwarded-For", kInternet}})->body);
  ASSERT_FALSE(form.empty());
  EXPECT_EQ(unlock(token, form, "wrong-guess")->status, 401);
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfer_files WHERE unlock_attempts = 1"), 2) << "the attempt counted for each";
  auto right = unlock(token, form, kZipPassword);
  ASSERT_EQ(right->status, 200) << right->body;
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfer_files WHERE unlocked_at > 0 AND output_sealed IS NOT NULL"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfers WHERE ppap_sha256 <> ''"), 0) << "the link is spent for both";
  for (const char* person : {"kato", "sato"}) {
    const Visitor who = sign_in(person, kLgwan);
    auto file = get(who, "/transfer/" + id_of[person] + "/file/0");
    ASSERT_TRUE(file);
    EXPECT_EQ(file->status, 200) << person << ": " << file->body;
    EXPECT_TRUE(cdr::fixtures::unzip(file->body).count("見積書.txt")) << person;
  }
  const Visitor sato = sign_in("sato", kLgwan);
  EXPECT_NE(get(sato, "/transfer/" + id_of["kato"] + "/file/0")->status, 200) << "each fetches their own only";
}

INSTANTIATE_TEST_SUITE_P(Backends, PpapMailTest, ::testing::ValuesIn(sanso::testing::test_backends()), sanso::testing::backend_name);

}  // namespace
}  // namespace sanso::web
