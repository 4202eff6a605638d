// The approvals inbox (/approvals) over HTTP on a real console, transfer service, quarantine,
// registers and the example city's policy: one page with every decision that waits for the
// signed-in person — a transfer held by its scan, a held mail whose release was asked for, an
// exception requested in the register — never their own requests; deciding from it is each
// owner's own action (its four-eyes rule, its audit record with the approver's reason), and an
// approval for a role the policy marks mfa asks for the approver's one-time code.
#include "register/register.h"
#include "web/transfer_console.h"

namespace sanso::web {
namespace {

constexpr const char* kException = "exc-usb-2026";
constexpr const char* kNumbers = "氏名,個人番号\n山田 太郎,1234 5678 9018\n";

class InboxPageTest : public TransferConsoleTest {
 protected:
  // An exception requested in the register by `requester`, to be decided by `role`.
  void request_exception(const std::string& key, const std::string& requester, const std::string& role) {
    auto use = h_->shared_->use();
    registers::Registers regs(*use, *h_->log_, h_->clock_, example_.policy.get());
    auto put = regs.put(registers::Kind::kExceptions,
                        {{"id", key},
                         {"rule", "city.lgwan-removable-media"},
                         {"requested_by", requester},
                         {"requested_on", "2026-11-20"},
                         {"reason", "災害時の住民名簿の持ち出し（USBメモリ）"},
                         {"approver_role", role},
                         {"state", "requested"}},
                        false, requester);
    ASSERT_TRUE(put) << put.error().to_string();
  }

  std::string exception_state(const std::string& key) {
    auto use = h_->shared_->use();
    registers::Registers regs(*use, *h_->log_, h_->clock_, example_.policy.get());
    auto e = regs.get(registers::Kind::kExceptions, key);
    return e && *e ? (*e)->fields.value("state", "") : std::string("?");
  }

  // A held mail whose release `requester` asked for.
  std::string requested_mail(const std::string& requester) {
    const std::string id = testing::held_mail(*quarantine_, "From: vendor@example.com\r\n\r\nMZ...");
    auto asked = quarantine_->request_release(id, testing::as(requester), "取引先からの正規の見積書と確認済み");
    EXPECT_TRUE(asked) << asked.error().to_string();
    return id;
  }

  // An outgoing transfer from `sender`, held by its scan (a 個人番号) for the approver roles.
  std::string held_transfer(const Visitor& sender) {
    auto sent = upload(sender, "vendor@example.com", "委託先への報告", {{"報告.csv", kNumbers}});
    EXPECT_TRUE(sent && sent->status == 303) << (sent ? sent->body : "no answer");
    return id_of(sent);
  }

  httplib::Result decide(const Visitor& v, const std::string& kind, const std::string& id, const std::string& decision,
                         const std::string& note, const std::string& code = "", const std::string& expires = "") {
    httplib::Params p{{"kind", kind}, {"id", id}, {"decision", decision}, {"note", note}};
    if (!code.empty()) p.emplace("code", code);
    if (!expires.empty()) p.emplace("expires", expires);
    return post(v, "/approvals/decide", p);
  }

  // Gives `name` a second factor; returns a function for the code of the hand clock's step now.
  std::function<std::string()> second_factor(const std::string& name) {
    auto secret = h_->accounts_->enroll_second_factor(name, testing::as("kato"));
    EXPECT_TRUE(secret) << secret.error().to_string();
    const std::string key = secret ? *secret : std::string();
    return [this, key] {
      auto seconds = std::chrono::duration_cast<std::chrono::seconds>(h_->clock_.now().time_since_epoch()).count();
      return totp_code(key, static_cast<std::uint64_t>(seconds / 30));
    };
  }
};

TEST_P(InboxPageTest, OnePageListsEveryKindThePersonMayDecideAndNeverTheirOwnRequests) {
  Visitor suzuki = sign_in("suzuki", kLgwan);  // general security officer: an approver role
  const std::string transfer_id = held_transfer(suzuki);
  ASSERT_FALSE(transfer_id.empty());
  const std::string mail_id = requested_mail("suzuki");
  request_exception(kException, "suzuki", "security_manager");

  Visitor tanaka = sign_in("tanaka", kLgwan);  // security manager
  auto inbox = get(tanaka, "/approvals");
  ASSERT_TRUE(inbox);
  ASSERT_EQ(inbox->status, 200) << inbox->body;
  EXPECT_NE(inbox->body.find("data-kind=\"transfer\" data-id=\"" + transfer_id + "\""), std::string::npos) << inbox->body;
  EXPECT_NE(inbox->body.find("data-kind=\"mail\" data-id=\"" + mail_id + "\""), std::string::npos);
  EXPECT_NE(inbox->body.find("data-kind=\"exception\" data-id=\"" + std::string(kException) + "\""), std::string::npos);
  EXPECT_NE(inbox->body.find("情報セキュリティ管理者 (security_manager)"), std::string::npos) << "the role the policy names";
  EXPECT_NE(inbox->body.find("取引先からの正規の見積書と確認済み"), std::string::npos) << "the requester's reason";
  EXPECT_NE(inbox->body.find("name=\"code\""), std::string::npos) << "the example's roles all require MFA";
  EXPECT_EQ(inbox->body.find("<script"), std::string::npos) << "plain forms";
  // English is available.
  auto english = client_->Get("/approvals", {{"X-Forwarded-For", kLgwan}, {"Cookie", tanaka.cookie + "; sanso_lang=en"}});
  ASSERT_EQ(english->status, 200);
  EXPECT_NE(english->body.find("Information Security Manager (security_manager)"), std::string::npos) << english->body;

  // The requester sees none of their own requests; the old address leads to the same page.
  auto own = get(suzuki, "/approvals");
  ASSERT_EQ(own->status, 200);
  EXPECT_EQ(own->body.find(transfer_id), std::string::npos);
  EXPECT_EQ(own->body.find(mail_id), std::string::npos);
  EXPECT_EQ(own->body.find(kException), std::string::npos);
  auto old = get(suzuki, "/transfer/approvals?done=transfer_approved");
  EXPECT_EQ(old->status, 303);
  EXPECT_EQ(old->get_header_value("Location"), "/approvals?done=transfer_approved");
  // Neither holds the security manager's role nor decides anything: kato may not open it at all.
  EXPECT_EQ(get(sign_in("kato", kLgwan), "/approvals")->status, 403);

  // Transfers are decided from the person's own zone only; the rest of the inbox is still theirs.
  Visitor tanaka_outside = sign_in("tanaka", kInternet);
  auto outside = get(tanaka_outside, "/approvals");
  ASSERT_EQ(outside->status, 200);
  EXPECT_NE(outside->body.find("id=\"transfers-other-side\""), std::string::npos);
  EXPECT_EQ(outside->body.find(transfer_id), std::string::npos);
  EXPECT_NE(outside->body.find(mail_id), std::string::npos);
  EXPECT_EQ(decide(tanaka_outside, "transfer", transfer_id, "deny", "外から")->status, 403);
  EXPECT_EQ(transfers_->get(transfer_id, transfer::Person{"tanaka", {"security_manager"}, "lgwan", "test", ""})->state,
            transfer::State::kPendingApproval);
}

TEST_P(InboxPageTest, DecidingIsTheOwnersActionWithTheRolesSecondFactorAndTheReasonRecorded) {
  Visitor suzuki = sign_in("suzuki", kLgwan);
  const std::string transfer_id = held_transfer(suzuki);
  ASSERT_FALSE(transfer_id.empty());
  const std::string mail_id = requested_mail("suzuki");
  request_exception(kException, "suzuki", "security_manager");

  // The security manager's role requires MFA (the policy's roles.mfa): without a second factor
  // set up, nothing is approved, and the attempt is recorded.
  Visitor tanaka = sign_in("tanaka", kLgwan);
  auto refused = decide(tanaka, "exception", kException, "approve", "期間を限って認める", "123456", "2027-03-31");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401) << refused->body;
  EXPECT_NE(refused->body.find("二要素認証が設定されていません"), std::string::npos);
  EXPECT_EQ(exception_state(kException), "requested");
  auto checks = records(*h_->reader_, "console.second-factor");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(testing::detail(checks[0], "reason"), "no-second-factor");

  auto code_now = second_factor("tanaka");
  tanaka = sign_in("tanaka", kLgwan, code_now());
  h_->clock_.advance(std::chrono::seconds(30));
  // A decision explains itself: without a reason, nothing is decided.
  EXPECT_EQ(decide(tanaka, "exception", kException, "approve", "  ", code_now(), "2027-03-31")->status, 400);
  EXPECT_EQ(exception_state(kException), "requested");
  // A wrong code approves nothing.
  EXPECT_EQ(decide(tanaka, "mail", mail_id, "approve", "確認済み", "000000")->status, 401);
  EXPECT_EQ(quarantine_->get(mail_id)->state, quarantine::ItemState::kReleaseRequested);

  auto approved = decide(tanaka, "exception", kException, "approve", "期間を限って認める", code_now(), "2027-03-31");
  ASSERT_TRUE(approved);
  ASSERT_EQ(approved->status, 303) << approved->body;
  EXPECT_EQ(approved->get_header_value("Location"), "/approvals?done=inbox_approved");
  EXPECT_EQ(exception_state(kException), "approved");
  auto exception_records = records(*h_->reader_, "register.exception.approve");
  ASSERT_EQ(exception_records.size(), 1u);
  EXPECT_EQ(exception_records[0]["actor"], "tanaka");
  EXPECT_EQ(testing::detail(exception_records[0], "note"), "期間を限って認める");
  EXPECT_EQ(testing::detail(exception_records[0], "approver_role"), "security_manager");

  h_->clock_.advance(std::chrono::seconds(30));
  ASSERT_EQ(decide(tanaka, "mail", mail_id, "approve", "送信元を電話で確認", code_now())->status, 303);
  EXPECT_EQ(quarantine_->get(mail_id)->state, quarantine::ItemState::kApproved);
  auto mail_records = records(*h_->reader_, "quarantine.approve");
  ASSERT_FALSE(mail_records.empty());
  EXPECT_EQ(mail_records.back()["actor"], "tanaka");
  EXPECT_EQ(testing::detail(mail_records.back(), "note"), "送信元を電話で確認");

  // Denying lets nothing through: no code is asked.
  auto denied = decide(tanaka, "transfer", transfer_id, "deny", "個人番号を含むため不可");
  ASSERT_EQ(denied->status, 303) << denied->body;
  EXPECT_EQ(denied->get_header_value("Location"), "/approvals?done=inbox_denied");
  auto decided = transfers_->get(transfer_id, transfer::Person{"suzuki", {"general_security_officer"}, "lgwan", "test", ""});  // its sender sees it
  ASSERT_TRUE(decided) << decided.error().to_string();
  EXPECT_EQ(decided->state, transfer::State::kDenied);
  auto transfer_records = records(*h_->reader_, "transfer.deny");
  ASSERT_EQ(transfer_records.size(), 1u);
  EXPECT_EQ(testing::detail(transfer_records[0], "note"), "個人番号を含むため不可");

  auto after = get(tanaka, "/approvals?done=inbox_denied");
  ASSERT_EQ(after->status, 200);
  EXPECT_NE(after->body.find("却下しました"), std::string::npos);
  EXPECT_EQ(after->body.find("data-id="), std::string::npos) << "nothing left to decide";
}

TEST_P(InboxPageTest, NobodyDecidesTheirOwnRequestOrForARoleTheyDoNotHold) {
  Visitor suzuki = sign_in("suzuki", kLgwan);
  const std::string transfer_id = held_transfer(suzuki);
  const std::string mail_id = requested_mail("suzuki");
  request_exception(kException, "suzuki", "general_security_officer");  // suzuki's own role
  request_exception("exc-other", "sato", "security_manager");           // not suzuki's role

  // Posted by hand, each owner refuses, and says why.
  auto own_transfer = decide(suzuki, "transfer", transfer_id, "deny", "自分で取り下げ");
  EXPECT_EQ(own_transfer->status, 403);
  EXPECT_NE(own_transfer->body.find("申請者本人は承認できません"), std::string::npos) << own_transfer->body;
  EXPECT_EQ(decide(suzuki, "mail", mail_id, "deny", "自分で取り下げ")->status, 403);
  auto own_exception = decide(suzuki, "exception", kException, "deny", "自分で取り下げ");
  EXPECT_EQ(own_exception->status, 403);
  EXPECT_NE(own_exception->body.find("someone other than who requested it"), std::string::npos);
  auto other_role = decide(suzuki, "exception", "exc-other", "deny", "権限外");
  EXPECT_EQ(other_role->status, 403);
  EXPECT_NE(other_role->body.find("security_manager"), std::string::npos);
  EXPECT_EQ(exception_state(kException), "requested");
  EXPECT_EQ(exception_state("exc-other"), "requested");
  EXPECT_EQ(quarantine_->get(mail_id)->state, quarantine::ItemState::kReleaseRequested);

  // Staff have no inbox, and a forged decision is refused before any owner is asked.
  Visitor sato = sign_in("sato", kLgwan);
  EXPECT_EQ(decide(sato, "exception", kException, "deny", "権限外")->status, 403);
  // Malformed requests: an unknown kind, a decision word nobody offers, no form token.
  Visitor tanaka = sign_in("tanaka", kLgwan);
  EXPECT_EQ(decide(tanaka, "everything", mail_id, "approve", "x")->status, 400);
  EXPECT_EQ(decide(tanaka, "mail", mail_id, "release", "x")->status, 400);
  auto forged = client_->Post("/approvals/decide", headers(tanaka),
                              httplib::Params{{"kind", "mail"}, {"id", mail_id}, {"decision", "deny"}, {"note", "x"}});
  EXPECT_EQ(forged->status, 403);
  EXPECT_EQ(quarantine_->get(mail_id)->state, quarantine::ItemState::kReleaseRequested);
}

INSTANTIATE_TEST_SUITE_P(Backends, InboxPageTest, ::testing::ValuesIn(sanso::testing::test_backends()), sanso::testing::backend_name);

}  // namespace
}  // namespace sanso::web
