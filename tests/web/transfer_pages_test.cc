// The transfer pages over HTTP on a real console, transfer service, store, quarantine, policy
// and sandboxed CDR engine: which side a page serves is the signed-in person's zone and the
// browser's address (here given through a trusted proxy's X-Forwarded-For, as behind the city's
// reverse proxy), hostile uploads are refused with nothing stored, and the four-eyes rule holds.
#include "web/transfer_console.h"

namespace sanso::web {
namespace {

class TransferPagesTest : public TransferConsoleTest {};

TEST_P(TransferPagesTest, AMacroDocumentUploadedOnTheInternetSideReachesTheLgwanRecipientRebuilt) {
  Visitor yamada = sign_in("yamada", kInternet);
  auto home = get(yamada, "/transfer");
  ASSERT_TRUE(home);
  ASSERT_EQ(home->status, 200) << home->body;
  EXPECT_NE(home->body.find("enctype=\"multipart/form-data\""), std::string::npos);
  EXPECT_NE(home->body.find("LGWAN 接続系へファイルを送る"), std::string::npos);

  auto sent = upload(yamada, "kato", "", {{"見積書.docm", cdr::fixtures::macro_docm()}});
  ASSERT_TRUE(sent);
  ASSERT_EQ(sent->status, 303) << sent->body;
  const std::string id = id_of(sent);
  ASSERT_FALSE(id.empty()) << sent->get_header_value("Location");
  auto result = get(yamada, "/transfer/" + id + "?done=sent");
  ASSERT_EQ(result->status, 200) << result->body;
  EXPECT_NE(result->body.find("見積書.docm"), std::string::npos);
  EXPECT_NE(result->body.find("無害化済み"), std::string::npos) << result->body;
  EXPECT_NE(result->body.find("マクロ"), std::string::npos) << "the finding is labelled in Japanese";
  EXPECT_EQ(result->body.find("class=\"download\""), std::string::npos) << "the sender does not download";

  Visitor kato = sign_in("kato", kLgwan);
  auto inbox = get(kato, "/transfer");
  ASSERT_EQ(inbox->status, 200);
  EXPECT_NE(inbox->body.find(id), std::string::npos);
  auto page = get(kato, "/transfer/" + id);
  ASSERT_EQ(page->status, 200);
  ASSERT_NE(page->body.find("/transfer/" + id + "/file/0"), std::string::npos) << page->body;
  auto file = get(kato, "/transfer/" + id + "/file/0");
  ASSERT_TRUE(file);
  ASSERT_EQ(file->status, 200) << file->body;
  EXPECT_EQ(file->get_header_value("Content-Type"), "application/octet-stream");
  EXPECT_EQ(file->get_header_value("X-Content-Type-Options"), "nosniff");
  const std::string disposition = file->get_header_value("Content-Disposition");
  EXPECT_EQ(disposition.rfind("attachment; ", 0), 0u) << disposition;
  // The client library decodes %XX in header values; the bytes on the wire are checked below.
  EXPECT_NE(disposition.find("filename*=UTF-8''見積書.docx"), std::string::npos) << disposition;
  const std::string wire = raw_exchange(console_->port(), "GET /transfer/" + id + "/file/0 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: " +
                                                              kato.address + "\r\nCookie: " + kato.cookie + "\r\nConnection: close\r\n\r\n");
  EXPECT_NE(wire.find("Content-Disposition: attachment; filename=\"_________.docx\"; filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8.docx\r\n"),
            std::string::npos)
      << wire.substr(0, 600);
  EXPECT_EQ(file->body.find("vbaProject"), std::string::npos) << "the macro is gone";
  EXPECT_EQ(file->body.rfind("PK", 0), 0u);
}

TEST_P(TransferPagesTest, EachSideIsServedOnlyToAnAddressOfItsZone) {
  Visitor kato_outside = sign_in("kato", kInternet);  // an LGWAN person at an internet-side computer
  auto refused = get(kato_outside, "/transfer");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_NE(refused->body.find("自分の領域の端末からだけ"), std::string::npos);
  auto recorded = records(*h_->reader_, "console.request");
  ASSERT_FALSE(recorded.empty());
  EXPECT_EQ(testing::detail(recorded.back(), "reason"), "zone-address");

  Visitor yamada_inside = sign_in("yamada", kLgwan);
  EXPECT_EQ(get(yamada_inside, "/transfer")->status, 403);
  EXPECT_EQ(upload(yamada_inside, "kato", "", {{"a.txt", "x"}})->status, 403);
  // An address in no zone counts as the internet, as everywhere in Sanso: never as LGWAN.
  Visitor tanaka_nowhere = sign_in("tanaka", "192.168.99.1");
  EXPECT_EQ(get(tanaka_nowhere, "/transfer")->status, 403);
  EXPECT_EQ(testing::detail(records(*h_->reader_, "console.request").back(), "reason"), "zone-address");
  // The one-time link page is the internet side's.
  Visitor lgwan_stranger{"", "", kLgwan};
  EXPECT_EQ(get(lgwan_stranger, "/link/" + std::string(64, 'a'))->status, 403);
  Visitor internet_stranger{"", "", kInternet};
  EXPECT_EQ(get(internet_stranger, "/link/" + std::string(64, 'a'))->status, 200);
  EXPECT_EQ(stored_transfers(), 0);

  Visitor kato = sign_in("kato", kLgwan);
  EXPECT_EQ(get(kato, "/transfer")->status, 200);
}

TEST_P(TransferPagesTest, HostileUploadsAreRefusedClearlyAndNothingIsStored) {
  Visitor yamada = sign_in("yamada", kInternet);
  // No form token, or another's: refused and recorded.
  auto no_token = upload(yamada, "kato", "", {{"a.txt", "x"}}, false);
  EXPECT_EQ(no_token->status, 403);
  EXPECT_EQ(testing::detail(records(*h_->reader_, "console.request").back(), "reason"), "csrf-token");
  // From another site.
  httplib::Headers other = headers(yamada);
  other.emplace("Origin", "https://evil.example");
  auto cross = client_->Post("/transfer/send", other, multipart({{"csrf", yamada.csrf}, {"recipient", "kato"}}, {{"a.txt", "x"}}),
                             ("multipart/form-data; boundary=" + kBoundary).c_str());
  EXPECT_EQ(cross->status, 403);
  // A file over [transfer] max_file_mb (1 MB here), and a body declared over the total.
  auto big = upload(yamada, "kato", "", {{"big.bin", std::string(1024 * 1024 + 1, 'x')}});
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_NE(big->body.find("上限を超えています"), std::string::npos);
  auto many = upload(yamada, "kato", "", {{"1.txt", "1"}, {"2.txt", "2"}, {"3.txt", "3"}, {"4.txt", "4"}});
  EXPECT_EQ(many->status, 413);
  // Names that hide what a file is are refused by the service, with why.
  auto bidi = upload(yamada, "kato", "", {{"invoice\u202Etxt.exe", "MZ"}});
  EXPECT_EQ(bidi->status, 400);
  EXPECT_NE(bidi->body.find("受け渡しは受け付けられませんでした"), std::string::npos);
  // Without a boundary.
  auto no_boundary = client_->Post("/transfer/send", headers(yamada), "x", "multipart/form-data");
  EXPECT_EQ(no_boundary->status, 400);
  EXPECT_NE(no_boundary->body.find("boundary"), std::string::npos);

  // A body cut short: the connection ends before Content-Length bytes came.
  const std::string body = multipart({{"csrf", yamada.csrf}, {"recipient", "kato"}}, {{"a.txt", "内容"}});
  const std::string head = "POST /transfer/send HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: " + std::string(kInternet) +
                           "\r\nCookie: " + yamada.cookie + "\r\nContent-Type: multipart/form-data; boundary=" + kBoundary +
                           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  std::string answer = raw_exchange(console_->port(), head + body.substr(0, body.size() - 10));
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer.substr(0, 200);
  // Chunked bodies are not taken: a form's length is known.
  const std::string chunked = "POST /transfer/send HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + yamada.cookie +
                              "\r\nContent-Type: multipart/form-data; boundary=" + kBoundary + "\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
  answer = raw_exchange(console_->port(), chunked);
  EXPECT_EQ(answer.rfind("HTTP/1.1 411", 0), 0u) << answer.substr(0, 200);
  // A body larger than any upload may be is refused at its headers.
  const std::string huge = "POST /transfer/send HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + yamada.cookie +
                           "\r\nContent-Type: multipart/form-data; boundary=" + kBoundary + "\r\nContent-Length: 99999999999\r\n\r\n";
  answer = raw_exchange(console_->port(), huge);
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer.substr(0, 200);
  // A body the upload refuses unread (not multipart) is never taken for a next request.
  const std::string smuggled = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  answer = raw_exchange(console_->port(), "POST /transfer/send HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: " + std::string(kInternet) +
                                              "\r\nCookie: " + yamada.cookie + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                                              std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled);
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer.substr(0, 200);
  EXPECT_EQ(answer.find("HTTP/1.1", 1), std::string::npos) << "one answer only: " << answer;
  // Other forms stay small.
  const std::string big_form = "POST /account/password HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                               "Content-Length: 100000\r\n\r\n";
  answer = raw_exchange(console_->port(), big_form);
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer.substr(0, 200);

  EXPECT_EQ(stored_transfers(), 0);
  EXPECT_TRUE(std::filesystem::is_empty(h_->config_.data_dir + "/tmp/uploads"));
}

TEST_P(TransferPagesTest, OutgoingFilesWaitForAnotherApproverAndLeaveByAOneTimeLink) {
  Visitor suzuki = sign_in("suzuki", kLgwan);
  auto home = get(suzuki, "/transfer");
  ASSERT_EQ(home->status, 200);
  EXPECT_NE(home->body.find("インターネット側へファイルを持ち出す"), std::string::npos);
  // The reason is required for files leaving LGWAN.
  EXPECT_EQ(upload(suzuki, "vendor@example.com", "", {{"報告.csv", "a,b\n"}})->status, 400);

  const std::string numbers = "氏名,個人番号\n山田 太郎,1234 5678 9018\n";
  auto sent = upload(suzuki, "vendor@example.com", "委託先への報告", {{"報告.csv", numbers}});
  ASSERT_EQ(sent->status, 303) << sent->body;
  const std::string id = id_of(sent);
  auto page = get(suzuki, "/transfer/" + id);
  EXPECT_NE(page->body.find("data-state=\"pending-approval\""), std::string::npos) << page->body;
  EXPECT_NE(page->body.find("個人番号"), std::string::npos);
  EXPECT_EQ(page->body.find("id=\"decide-form\""), std::string::npos) << "the sender is not offered the decision";
  // Asked anyway, the service refuses, and says why.
  auto own = post(suzuki, "/transfer/" + id + "/decide", {{"decision", "approve"}});
  EXPECT_EQ(own->status, 403);
  EXPECT_NE(own->body.find("申請者本人は承認できません"), std::string::npos);

  // The role the policy names to approve it requires MFA ([[roles]] mfa): the approver's code again.
  auto secret = h_->accounts_->enroll_second_factor("tanaka", testing::as("kato"));
  ASSERT_TRUE(secret) << secret.error().to_string();
  auto code_now = [&] {
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(h_->clock_.now().time_since_epoch()).count();
    return totp_code(*secret, static_cast<std::uint64_t>(seconds / 30));
  };
  Visitor tanaka = sign_in("tanaka", kLgwan, code_now());
  auto inbox = get(tanaka, "/approvals");
  ASSERT_EQ(inbox->status, 200);
  EXPECT_NE(inbox->body.find(id), std::string::npos);
  EXPECT_EQ(post(tanaka, "/transfer/" + id + "/decide", {{"decision", "approve"}, {"note", "確認済み"}})->status, 401) << "no code, no approval";
  h_->clock_.advance(std::chrono::seconds(30));
  auto approved = post(tanaka, "/transfer/" + id + "/decide", {{"decision", "approve"}, {"note", "確認済み"}, {"code", code_now()}});
  ASSERT_EQ(approved->status, 303) << approved->body;
  EXPECT_EQ(approved->get_header_value("Location"), "/approvals?done=transfer_approved");
  auto back = get(tanaka, approved->get_header_value("Location"));
  EXPECT_EQ(back->status, 200);
  EXPECT_NE(back->body.find("承認しました"), std::string::npos);

  // The link is for the internet side: it names [web] internet_origin, not the console's own address.
  ConsoleOptions behind_proxies = console_options();
  behind_proxies.public_origin = "https://sanso.city.example.lg.jp";
  behind_proxies.internet_origin = "https://files.city.example.jp";
  ASSERT_TRUE(serve(behind_proxies));
  auto issued = post(suzuki, "/transfer/" + id + "/link", {{"password", "合言葉"}});
  ASSERT_EQ(issued->status, 200) << issued->body;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(issued->body, m, std::regex("https://files\\.city\\.example\\.jp/link/([0-9a-f]{64})"))) << issued->body;
  const std::string link = "/link/" + m[1].str();
  Visitor holder{"", "", kInternet};
  EXPECT_EQ(client_->Post(link, headers(holder), httplib::Params{{"password", "違う"}})->status, 401);
  auto got = client_->Post(link, headers(holder), httplib::Params{{"password", "合言葉"}});
  ASSERT_EQ(got->status, 200) << got->body;
  EXPECT_EQ(got->body, numbers);
  EXPECT_NE(got->get_header_value("Content-Disposition").find("filename*=UTF-8''報告.csv"), std::string::npos)
      << got->get_header_value("Content-Disposition");
  EXPECT_EQ(client_->Post(link, headers(holder), httplib::Params{{"password", "合言葉"}})->status, 404) << "once only";
}

TEST_P(TransferPagesTest, AnApprovalAsksForTheApproversSecondFactorAgain) {
  auto secret = h_->accounts_->enroll_second_factor("tanaka", testing::as("kato"));
  ASSERT_TRUE(secret) << secret.error().to_string();
  auto code_now = [&] {
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(h_->clock_.now().time_since_epoch()).count();
    return totp_code(*secret, static_cast<std::uint64_t>(seconds / 30));
  };
  const std::string first = code_now();
  Visitor tanaka = sign_in("tanaka", kLgwan, first);
  Visitor suzuki = sign_in("suzuki", kLgwan);
  auto sent = upload(suzuki, "vendor@example.com", "委託先への報告", {{"報告.csv", "氏名,個人番号\n山田 太郎,1234 5678 9018\n"}});
  const std::string id = id_of(sent);
  ASSERT_FALSE(id.empty());
  auto page = get(tanaka, "/transfer/" + id);
  EXPECT_NE(page->body.find("name=\"code\""), std::string::npos) << "the form asks for a code";

  EXPECT_EQ(post(tanaka, "/transfer/" + id + "/decide", {{"decision", "approve"}})->status, 401);
  EXPECT_EQ(post(tanaka, "/transfer/" + id + "/decide", {{"decision", "approve"}, {"code", first}})->status, 401) << "the sign-in's code, again";
  EXPECT_EQ(transfers_->get(id, transfer::Person{"tanaka", {"security_manager"}, "lgwan", "test", ""})->state, transfer::State::kPendingApproval);
  h_->clock_.advance(std::chrono::seconds(30));
  auto approved = post(tanaka, "/transfer/" + id + "/decide", {{"decision", "approve"}, {"code", code_now()}});
  EXPECT_EQ(approved->status, 303) << approved->body;
  auto checks = records(*h_->reader_, "console.second-factor");
  ASSERT_EQ(checks.size(), 3u);
  EXPECT_EQ(checks[0]["outcome"], "refused");
  EXPECT_EQ(checks[2]["outcome"], "ok");
}

TEST_P(TransferPagesTest, TheMynumberZoneIsRefusedWithItsClause) {
  // (kato, system_admin, holds the example's city.eltax-import exception; sato holds none.)
  Visitor sato = sign_in("sato", kLgwan);
  auto refused = upload(sato, "ito", "住民票の写し", {{"一覧.csv", "a,b\n"}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_NE(refused->body.find("6(3)①"), std::string::npos) << refused->body;
  EXPECT_EQ(stored_transfers(), 0);
}

// [web.permissions] decides which page groups a person reaches, whatever they type into the
// address bar: staff exchange files but never see the quarantine or the audit log, approvers get
// the approvals inbox, the administrators the rest. Every refusal is a recorded 403, and an
// upload of someone without the transfer permission is refused before its body is read.
TEST_P(TransferPagesTest, EachPageGroupServesOnlyThePeopleItsPermissionNames) {
  struct Expect {
    const char* name;
    const char* address;
    int transfer, approvals, quarantine, audit;
  };
  const Expect people[] = {
      {"sato", kLgwan, 200, 403, 403, 403},      // staff (LGWAN)
      {"yamada", kInternet, 200, 403, 403, 403},  // staff (internet side)
      {"suzuki", kLgwan, 200, 200, 403, 403},     // approver
      {"tanaka", kLgwan, 200, 200, 200, 200},     // security manager: everything
      {"kato", kLgwan, 200, 403, 200, 200},       // system administrator: no approvals
      {"mori", kLgwan, 403, 403, 403, 200},       // auditor: the audit log only
  };
  for (const auto& p : people) {
    SCOPED_TRACE(p.name);
    Visitor v = sign_in(p.name, p.address);
    ASSERT_FALSE(v.csrf.empty());
    EXPECT_EQ(get(v, "/transfer")->status, p.transfer);
    EXPECT_EQ(get(v, "/approvals")->status, p.approvals);
    EXPECT_EQ(get(v, "/quarantine")->status, p.quarantine);
    EXPECT_EQ(get(v, "/quarantine/q0000000000000000/original")->status == 403, p.quarantine == 403);
    EXPECT_EQ(get(v, "/audit")->status, p.audit);
    EXPECT_EQ(get(v, "/account")->status, 200) << "everyone who signs in keeps their own account page";
    // The menu and the overview offer only what the person may open.
    auto home = get(v, "/");
    ASSERT_TRUE(home);
    ASSERT_EQ(home->status, 200);
    EXPECT_EQ(home->body.find("href=\"/quarantine\"") != std::string::npos, p.quarantine == 200);
    EXPECT_EQ(home->body.find("id=\"count-held\"") != std::string::npos, p.quarantine == 200) << "no quarantine figures for staff";
    EXPECT_EQ(home->body.find("href=\"/audit\"") != std::string::npos, p.audit == 200);
    EXPECT_EQ(home->body.find("id=\"tree-size\"") != std::string::npos, p.audit == 200);
    EXPECT_EQ(home->body.find("href=\"/transfer\"") != std::string::npos, p.transfer == 200);
    EXPECT_EQ(home->body.find("href=\"/approvals\"") != std::string::npos, p.approvals == 200);
  }
  auto refusals = records(*h_->reader_, "console.request");
  const auto permission_refusals = std::count_if(refusals.begin(), refusals.end(), [](const auto& r) { return testing::detail(r, "reason") == "permission"; });
  EXPECT_EQ(permission_refusals, 4 + 4 + 3 + 0 + 1 + 4) << "every refused page is recorded";
  const auto sato_audit = std::find_if(refusals.begin(), refusals.end(), [](const auto& r) {
    return r["actor"] == "sato" && r["subject"].template get<std::string>().find("/audit") != std::string::npos;
  });
  ASSERT_NE(sato_audit, refusals.end());
  EXPECT_EQ(testing::detail(*sato_audit, "needs"), "audit");

  // Acting, not just looking: staff cannot decide what waits for approval, even by posting the
  // form themselves; the auditor cannot send files, and nothing of their upload is kept.
  Visitor suzuki = sign_in("suzuki", kLgwan);
  auto sent = upload(suzuki, "vendor@example.com", "委託先への報告", {{"報告.csv", "氏名,金額\n山田,1000\n"}});
  const std::string id = id_of(sent);
  ASSERT_FALSE(id.empty()) << (sent ? sent->body : "no answer");
  Visitor sato = sign_in("sato", kLgwan);
  EXPECT_EQ(get(sato, "/transfer/" + id)->status, 404) << "not theirs: as if it did not exist";
  EXPECT_EQ(post(sato, "/transfer/" + id + "/decide", {{"decision", "approve"}})->status, 403);
  Visitor tanaka = sign_in("tanaka", kLgwan);
  auto page = get(tanaka, "/transfer/" + id);
  ASSERT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("id=\"decide-form\""), std::string::npos);
  Visitor mori = sign_in("mori", kLgwan);
  const auto before = stored_transfers();
  auto refused = upload(mori, "sato", "", {{"a.txt", "x"}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_EQ(stored_transfers(), before);
  auto pending = transfers_->get(id, transfer::Person{"tanaka", {"security_manager"}, "lgwan", "test", ""});
  ASSERT_TRUE(pending) << pending.error().to_string();
  EXPECT_EQ(pending->state, transfer::State::kPendingApproval) << "nobody without the permission decided it";
}

INSTANTIATE_TEST_SUITE_P(Backends, TransferPagesTest, ::testing::ValuesIn(sanso::testing::test_backends()), sanso::testing::backend_name);

}  // namespace
}  // namespace sanso::web
