// The JSON API's transfer endpoints over HTTP on a real console, transfer service, store,
// quarantine, the example city's policy and the sandboxed CDR engine: the same service as the
// console's pages, the zone the token's person acts from checked against the client's address
// (behind a trusted proxy only), the four-eyes rule, hostile uploads, PPAP, and every answer
// checked against docs/api/openapi.json.
#include "support/openapi_check.h"
#include "support/ppap.h"
#include "web/api_tokens.h"
#include "web/transfer_console.h"

namespace sanso::web {
namespace {

using nlohmann::json;
using sanso::testing::ApiExchange;

class TransferApiTest : public TransferConsoleTest {
 protected:
  void SetUp() override {
    TransferConsoleTest::SetUp();
    if (HasFatalFailure()) return;
    auto tokens = ApiTokens::open(*h_->shared_, h_->config_, *h_->log_, h_->clock_);
    ASSERT_TRUE(tokens) << tokens.error().to_string();
    tokens_ = std::move(tokens).value();
    services_->api_tokens = tokens_.get();
    ASSERT_TRUE(serve(console_options()));
  }

  void TearDown() override {
    if (!exchanges_.empty()) EXPECT_EQ(sanso::testing::openapi_problems(exchanges_, h_->store_.dir(), cover_), "");
  }

  std::string token(const std::string& name, const std::string& person, std::vector<std::string> scopes) {
    auto t = tokens_->create(name, person, scopes, testing::as("kato"));
    EXPECT_TRUE(t) << t.error().to_string();
    return t ? *t : std::string();
  }

  // The client at `address`, as the city's reverse proxy (127.0.0.1, trusted) vouches for it.
  httplib::Headers as_client(const std::string& t, const std::string& address) const {
    return {{"Authorization", "Bearer " + t}, {"X-Forwarded-For", address}};
  }

  std::pair<int, json> keep(const std::string& method, const std::string& path_template, const httplib::Result& res) {
    EXPECT_TRUE(res) << method << " " << path_template;
    if (!res) return {0, json()};
    json parsed = json::parse(res->body, nullptr, false);
    if (res->get_header_value("Content-Type") == "application/json") {
      EXPECT_FALSE(parsed.is_discarded()) << res->body;
      exchanges_.push_back({method, path_template, res->status, parsed});
    } else {
      exchanges_.push_back({method, path_template, res->status, json()});
    }
    return {res->status, parsed};
  }

  std::pair<int, json> get_json(const std::string& t, const std::string& address, const std::string& path, const std::string& path_template) {
    return keep("GET", path_template, client_->Get(path, as_client(t, address)));
  }

  std::pair<int, json> post_json(const std::string& t, const std::string& address, const std::string& path, const std::string& path_template,
                                 const std::string& body) {
    return keep("POST", path_template, client_->Post(path, as_client(t, address), body, "application/json"));
  }

  std::pair<int, json> send(const std::string& t, const std::string& address, const std::vector<std::pair<std::string, std::string>>& fields,
                            const std::vector<std::pair<std::string, std::string>>& files) {
    return keep("POST", "/api/v1/transfers",
                client_->Post("/api/v1/transfers", as_client(t, address), multipart(fields, files), ("multipart/form-data; boundary=" + kBoundary).c_str()));
  }

  std::unique_ptr<ApiTokens> tokens_;
  std::vector<ApiExchange> exchanges_;
  std::vector<std::string> cover_;
};

TEST_P(TransferApiTest, AnInternetSideUploadReachesTheLgwanRecipientRebuiltThroughTheSameService) {
  const std::string yamada = token("yamada-app", "yamada", {"transfer"});
  auto [status, sent] = send(yamada, kInternet, {{"recipient", "kato"}}, {{"見積書.docm", cdr::fixtures::macro_docm()}});
  ASSERT_EQ(status, 201) << sent;
  const std::string id = sent["id"];
  EXPECT_EQ(sent["from"], "internet");
  EXPECT_EQ(sent["to"], "lgwan");
  ASSERT_EQ(sent["files"].size(), 1u);
  EXPECT_EQ(sent["files"][0]["verdict"], "sanitized");
  bool macro = false;
  for (const auto& f : sent["files"][0]["findings"]) macro = macro || f["label_ja"].get<std::string>().find("マクロ") != std::string::npos;
  EXPECT_TRUE(macro) << sent;

  auto [listed, list] = get_json(yamada, kInternet, "/api/v1/transfers", "/api/v1/transfers");
  ASSERT_EQ(listed, 200) << list;
  ASSERT_EQ(list["transfers"].size(), 1u);
  EXPECT_EQ(list["transfers"][0]["id"], id);
  EXPECT_EQ(list["next"], "");

  const std::string kato = token("kato-app", "kato", {"transfer"});
  auto [got, detail] = get_json(kato, kLgwan, "/api/v1/transfers/" + id, "/api/v1/transfers/{id}");
  ASSERT_EQ(got, 200) << detail;
  EXPECT_TRUE(detail["allowed"]["download"]) << detail;
  EXPECT_FALSE(detail["allowed"]["decide"]);
  auto file = client_->Get("/api/v1/transfers/" + id + "/files/0", as_client(kato, kLgwan));
  ASSERT_TRUE(file);
  ASSERT_EQ(file->status, 200) << file->body;
  exchanges_.push_back({"GET", "/api/v1/transfers/{id}/files/{position}", file->status, json()});
  EXPECT_EQ(file->get_header_value("Content-Type"), "application/octet-stream");
  EXPECT_NE(file->get_header_value("Content-Disposition").find("filename*=UTF-8''見積書.docx"), std::string::npos);
  EXPECT_EQ(file->body.find("vbaProject"), std::string::npos) << "the macro is gone";
  EXPECT_EQ(file->body.rfind("PK", 0), 0u);

  // The sender does not download it; someone else learns nothing of it.
  auto [own, not_recipient] = get_json(yamada, kInternet, "/api/v1/transfers/" + id + "/files/0", "/api/v1/transfers/{id}/files/{position}");
  EXPECT_NE(own, 200) << not_recipient;
  const std::string sato = token("sato-app", "sato", {"transfer"});
  auto [stranger, nothing] = get_json(sato, kLgwan, "/api/v1/transfers/" + id, "/api/v1/transfers/{id}");
  EXPECT_EQ(stranger, 404) << nothing;
  EXPECT_EQ(nothing["error"]["code"], "transfer.not-found");
  EXPECT_EQ(get_json(sato, kLgwan, "/api/v1/transfers/" + id + "/files/0", "/api/v1/transfers/{id}/files/{position}").first, 404);

  // Recorded by the service as the console's pages are, naming the token.
  auto recorded = records(*h_->reader_, "transfer.send");
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0]["actor"], "yamada");
  EXPECT_NE(recorded[0].dump().find("api token yamada-app from " + std::string(kInternet)), std::string::npos) << recorded[0];
}

TEST_P(TransferApiTest, OutgoingFilesAreDecidedByAnotherApproverNeverTheRequesterAndNeverWithoutTheSecondFactor) {
  const std::string suzuki = token("suzuki-app", "suzuki", {"transfer", "approvals"});
  auto [status, sent] = send(suzuki, kLgwan, {{"recipient", "vendor@example.com"}, {"reason", "委託先への報告"}},
                             {{"報告.csv", "氏名,個人番号\n山田 太郎,1234 5678 9018\n"}});
  ASSERT_EQ(status, 201) << sent;
  const std::string id = sent["id"];
  EXPECT_EQ(sent["state"], "pending-approval");
  const std::string decide = "/api/v1/transfers/" + id + "/decide";
  // The requester, who holds an approver role, cannot decide their own.
  auto [own, refusal] = post_json(suzuki, kLgwan, decide, "/api/v1/transfers/{id}/decide", R"({"decision":"approve"})");
  EXPECT_EQ(own, 403) << refusal;
  EXPECT_EQ(refusal["error"]["code"], "transfer.own") << refusal;
  // The approver role of the example city asks a second factor, which a token cannot give.
  const std::string tanaka = token("tanaka-app", "tanaka", {"transfer", "approvals"});
  auto [pending, seen] = get_json(tanaka, kLgwan, "/api/v1/transfers/" + id, "/api/v1/transfers/{id}");
  ASSERT_EQ(pending, 200) << seen;
  EXPECT_TRUE(seen["allowed"]["decide"]) << seen;
  auto [mfa, why] = post_json(tanaka, kLgwan, decide, "/api/v1/transfers/{id}/decide", R"({"decision":"approve","note":"確認済み"})");
  EXPECT_EQ(mfa, 403) << why;
  EXPECT_EQ(why["error"]["code"], "api.second-factor");
  EXPECT_TRUE(records(*h_->reader_, "transfer.approve").size() <= 1u);
  EXPECT_EQ(transfers_->get(id, transfer::Person{"tanaka", {"security_manager"}, "lgwan", "test", ""})->state, transfer::State::kPendingApproval);
  // A token without the approvals scope, and a person without the approvals pages.
  const std::string no_scope = token("tanaka-read", "tanaka", {"transfer"});
  auto [scope, scope_why] = post_json(no_scope, kLgwan, decide, "/api/v1/transfers/{id}/decide", R"({"decision":"deny"})");
  EXPECT_EQ(scope, 403);
  EXPECT_EQ(scope_why["error"]["code"], "api.scope");
  const std::string sato = token("sato-approvals", "sato", {"transfer", "approvals"});
  auto [clerk, clerk_why] = post_json(sato, kLgwan, decide, "/api/v1/transfers/{id}/decide", R"({"decision":"deny"})");
  EXPECT_EQ(clerk, 403);
  EXPECT_EQ(clerk_why["error"]["code"], "api.permission");
  // Denying lets nothing through: a token may do that.
  auto [denied, after] = post_json(tanaka, kLgwan, decide, "/api/v1/transfers/{id}/decide", R"({"decision":"deny","note":"不要"})");
  ASSERT_EQ(denied, 200) << after;
  EXPECT_EQ(after["state"], "denied");
  EXPECT_EQ(after["decided_by"], "tanaka");
  auto [again, conflict] = post_json(tanaka, kLgwan, decide, "/api/v1/transfers/{id}/decide", R"({"decision":"deny"})");
  EXPECT_EQ(again, 409) << conflict;
  auto [odd, odd_why] = post_json(tanaka, kLgwan, decide, "/api/v1/transfers/{id}/decide", R"({"decision":"maybe"})");
  EXPECT_EQ(odd, 400);
  EXPECT_EQ(odd_why["error"]["where"], "/decision");
}

TEST_P(TransferApiTest, HostileUploadsAreRefusedClearlyAndNothingIsKept) {
  const std::string yamada = token("yamada-app", "yamada", {"transfer"});
  // Over [transfer] max_file_mb (1 MB here), too many files, a name that hides what it is.
  auto [big, big_why] = send(yamada, kInternet, {{"recipient", "kato"}}, {{"big.bin", std::string(1024 * 1024 + 1, 'x')}});
  EXPECT_EQ(big, 413) << big_why;
  EXPECT_EQ(big_why["error"]["code"], "upload.too-large");
  auto [many, many_why] = send(yamada, kInternet, {{"recipient", "kato"}}, {{"1.txt", "1"}, {"2.txt", "2"}, {"3.txt", "3"}, {"4.txt", "4"}});
  EXPECT_EQ(many, 413) << many_why;
  auto [bidi, bidi_why] = send(yamada, kInternet, {{"recipient", "kato"}}, {{"invoice\u202Etxt.exe", "MZ"}});
  EXPECT_EQ(bidi, 400) << bidi_why;
  EXPECT_EQ(bidi_why["error"]["code"], "transfer.name");
  auto [unknown, unknown_why] = send(yamada, kInternet, {{"recipient", "kato"}, {"zone", "lgwan"}}, {{"a.txt", "x"}});
  EXPECT_EQ(unknown, 400) << unknown_why;
  EXPECT_EQ(unknown_why["error"]["code"], "api.field");
  auto [none, none_why] = send(yamada, kInternet, {{"recipient", "kato"}}, {});
  EXPECT_EQ(none, 400) << none_why;
  auto [not_form, not_form_why] =
      keep("POST", "/api/v1/transfers", client_->Post("/api/v1/transfers", as_client(yamada, kInternet), R"({"recipient":"kato"})", "application/json"));
  EXPECT_EQ(not_form, 400) << not_form_why;
  // Declared over the whole upload's limit: refused at its headers, as JSON.
  const std::string huge = "POST /api/v1/transfers HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + yamada +
                           "\r\nContent-Type: multipart/form-data; boundary=" + kBoundary + "\r\nContent-Length: 99999999999\r\n\r\n";
  std::string answer = raw_exchange(console_->port(), huge);
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer.substr(0, 300);
  EXPECT_NE(answer.find("api.too-large"), std::string::npos) << answer.substr(0, 600);
  // A body cut short: the connection ends before Content-Length bytes came.
  const std::string body = multipart({{"recipient", "kato"}}, {{"a.txt", "内容"}});
  const std::string head = "POST /api/v1/transfers HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: " + std::string(kInternet) +
                           "\r\nAuthorization: Bearer " + yamada + "\r\nContent-Type: multipart/form-data; boundary=" + kBoundary +
                           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  answer = raw_exchange(console_->port(), head + body.substr(0, body.size() - 10));
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer.substr(0, 300);
  EXPECT_NE(answer.find("upload.malformed"), std::string::npos) << answer.substr(0, 600);
  EXPECT_EQ(stored_transfers(), 0);
  EXPECT_TRUE(std::filesystem::is_empty(h_->config_.data_dir + "/tmp/uploads"));
  // A path in the name keeps only its last part: nothing lands outside the transfer.
  auto [traversal, kept] = send(yamada, kInternet, {{"recipient", "kato"}}, {{"../../etc/cron.d/evil.txt", "本文"}});
  ASSERT_EQ(traversal, 201) << kept;
  EXPECT_EQ(kept["files"][0]["name"], "evil.txt");
  EXPECT_EQ(stored_transfers(), 1);
}

TEST_P(TransferApiTest, TheZoneIsThePersonsAndTheAddressNeverWhatTheClientSays) {
  const std::string kato = token("kato-app", "kato", {"transfer"});
  // An LGWAN person's token used from an internet-side address: refused and recorded.
  auto [outside, why] = get_json(kato, kInternet, "/api/v1/transfers", "/api/v1/transfers");
  EXPECT_EQ(outside, 403) << why;
  EXPECT_EQ(why["error"]["code"], "api.zone");
  auto refused = records(*h_->reader_, "api.request");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(testing::detail(refused[0], "reason"), "zone");
  EXPECT_EQ(get_json(kato, kLgwan, "/api/v1/transfers", "/api/v1/transfers").first, 200);
  // Without a trusted proxy, X-Forwarded-For is the client's own word and proves nothing: the
  // loopback peer is in no zone of the city, so it counts as the internet side.
  ConsoleOptions direct = console_options();
  direct.trusted_proxies.clear();
  ASSERT_TRUE(serve(direct));
  auto [spoofed, spoofed_why] = get_json(kato, kLgwan, "/api/v1/transfers", "/api/v1/transfers");
  EXPECT_EQ(spoofed, 403) << spoofed_why;
  EXPECT_EQ(spoofed_why["error"]["code"], "api.zone");
  // The mynumber zone's clerk sends nothing anywhere through the API either.
  ASSERT_TRUE(serve(console_options()));
  const std::string ito = token("ito-app", "ito", {"transfer"});
  EXPECT_EQ(get_json(ito, kInternet, "/api/v1/transfers", "/api/v1/transfers").first, 403);
}

TEST_P(TransferApiTest, PpapIsUnlockedByItsSenderOnlyWithAttemptsLimitedAndThePasswordNeverKept) {
  const std::string password = "minamata-ppap-correct-2026";
  const std::string yamada = token("yamada-app", "yamada", {"transfer"});
  auto [status, sent] = send(yamada, kInternet, {{"recipient", "kato"}},
                             {{"見積.zip", sanso::testing::encrypted_zip({{"見積書.txt", "見積の本文"}}, ZIP_EM_AES_256, password.c_str())}});
  ASSERT_EQ(status, 201) << sent;
  const std::string id = sent["id"];
  ASSERT_TRUE(sent["files"][0]["awaits_password"]) << sent;
  const std::string unlock = "/api/v1/transfers/" + id + "/unlock";
  // Not its sender: the transfer is not theirs to unlock (nor on their side).
  const std::string kato = token("kato-app", "kato", {"transfer"});
  auto [other, other_why] = post_json(kato, kLgwan, unlock, "/api/v1/transfers/{id}/unlock", R"({"position":0,"password":")" + password + "\"}");
  EXPECT_EQ(other, 404) << other_why;
  auto [typed, typed_why] = post_json(yamada, kInternet, unlock, "/api/v1/transfers/{id}/unlock", R"({"position":"0","password":"x"})");
  EXPECT_EQ(typed, 400) << typed_why;
  EXPECT_EQ(typed_why["error"]["code"], "api.type");
  auto [wrong, wrong_why] = post_json(yamada, kInternet, unlock, "/api/v1/transfers/{id}/unlock", R"({"position":0,"password":"guess-1"})");
  EXPECT_EQ(wrong, 422) << wrong_why;
  EXPECT_EQ(wrong_why["error"]["code"], "transfer.password");
  auto [right, unlocked] = post_json(yamada, kInternet, unlock, "/api/v1/transfers/{id}/unlock", R"({"position":0,"password":")" + password + "\"}");
  ASSERT_EQ(right, 200) << unlocked;
  EXPECT_NE(unlocked["files"][0]["verdict"], "blocked") << unlocked;
  EXPECT_FALSE(unlocked["files"][0]["awaits_password"]);

  // Another file: every attempt counted, and after [transfer] unlock_attempts it stays locked.
  auto [status2, sent2] = send(yamada, kInternet, {{"recipient", "kato"}},
                               {{"b.zip", sanso::testing::encrypted_zip({{"b.txt", "本文"}}, ZIP_EM_TRAD_PKWARE, password.c_str())}});
  ASSERT_EQ(status2, 201) << sent2;
  const std::string unlock2 = "/api/v1/transfers/" + sent2["id"].get<std::string>() + "/unlock";
  int locked = 0;
  for (std::int64_t i = 0; i < h_->config_.transfer.unlock_attempts + 1; ++i) {
    auto [s, body] = post_json(yamada, kInternet, unlock2, "/api/v1/transfers/{id}/unlock", R"({"position":0,"password":"guess-)" + std::to_string(i) + "\"}");
    if (s == 409) ++locked;
    EXPECT_TRUE(s == 422 || s == 409) << body;
  }
  EXPECT_EQ(locked, 1);
  auto [late, late_why] = post_json(yamada, kInternet, unlock2, "/api/v1/transfers/{id}/unlock", R"({"position":0,"password":")" + password + "\"}");
  EXPECT_EQ(late, 409) << late_why;
  EXPECT_EQ(late_why["error"]["code"], "transfer.locked");
  // The password is in no record.
  auto db = h_->shared_->use();
  auto rows = db->query("SELECT record FROM audit_entries");
  ASSERT_TRUE(rows);
  for (const auto& row : *rows) EXPECT_EQ(row.text(0).find(password), std::string::npos) << row.text(0);
}

// One call of every transfer operation the document lists, and none left out.
TEST_P(TransferApiTest, EveryTransferOperationAnswersAsDocumented) {
  cover_ = {"/api/v1/transfers"};
  const std::string yamada = token("yamada-app", "yamada", {"transfer"});
  const std::string kato = token("kato-app", "kato", {"transfer", "approvals"});
  auto [status, sent] = send(yamada, kInternet, {{"recipient", "kato"}, {"reason", "様式"}}, {{"a.txt", "本文"}});
  ASSERT_EQ(status, 201) << sent;
  const std::string id = sent["id"];
  EXPECT_EQ(get_json(yamada, kInternet, "/api/v1/transfers?limit=1", "/api/v1/transfers").first, 200);
  EXPECT_EQ(get_json(yamada, kInternet, "/api/v1/transfers?limit=0", "/api/v1/transfers").first, 400);
  EXPECT_EQ(get_json(kato, kLgwan, "/api/v1/transfers/" + id, "/api/v1/transfers/{id}").first, 200);
  EXPECT_EQ(get_json(kato, kLgwan, "/api/v1/transfers/" + id + "/files/0", "/api/v1/transfers/{id}/files/{position}").first, 200);
  EXPECT_EQ(post_json(kato, kLgwan, "/api/v1/transfers/" + id + "/decide", "/api/v1/transfers/{id}/decide", R"({"decision":"deny"})").first, 403);
  EXPECT_EQ(post_json(yamada, kInternet, "/api/v1/transfers/" + id + "/unlock", "/api/v1/transfers/{id}/unlock", R"({"position":0,"password":"p"})").first,
            409);
}

INSTANTIATE_TEST_SUITE_P(Backends, TransferApiTest, ::testing::ValuesIn(sanso::testing::test_backends()), sanso::testing::backend_name);

}  // namespace
}  // namespace sanso::web
