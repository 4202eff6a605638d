// The JSON API and /metrics over HTTP on a real console, store, quarantine, audit log and the
// example city's policy: tokens (kept as hashes, scoped, revocable, rate limited per address (an IPv6 /64) when wrong),
// strict request bodies, the four-eyes release through two clients, and every response checked
// against docs/api/openapi.json; /metrics checked by Prometheus's own promtool.
#include <httplib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

#include <gtest/gtest.h>

#include "core/digest.h"
#include "metrics/metrics.h"
#include "support/example_policy.h"
#include "support/metrics_scrape.h"
#include "support/openapi_check.h"
#include "support/udp_log_sink.h"
#include "web/api_tokens.h"
#include "web/console.h"
#include "web/web_fixture.h"

namespace sanso::web {
namespace {

using nlohmann::json;
using testing::detail;
using testing::records;

using Exchange = sanso::testing::ApiExchange;

class ApiTest : public ::testing::TestWithParam<store::Backend> {
 protected:
  void SetUp() override {
    h_ = std::make_unique<testing::AccountsHarness>(GetParam());
    ASSERT_NE(h_->accounts_, nullptr);
    quarantine_ = h_->open_quarantine();
    ASSERT_NE(quarantine_, nullptr);
    auto tokens = ApiTokens::open(*h_->shared_, h_->config_, *h_->log_, h_->clock_, TokenLimits{5, std::chrono::seconds(300)});
    ASSERT_TRUE(tokens) << tokens.error().to_string();
    tokens_ = std::move(tokens).value();
    example_ = sanso::testing::example_policy();
    ASSERT_NE(example_.policy, nullptr);
  }

  void start(ConsoleOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.node = "gw-test";
    ConsoleServices services{*h_->accounts_, *quarantine_, *h_->shared_, h_->config_,
                             [this](const quarantine::Item& item, const std::string& original, const quarantine::Actor& actor) -> Result<std::string> {
                               delivered_.push_back(item.id + " by " + actor.name + ": " + original);
                               return std::string("test:delivered");
                             },
                             nullptr, example_.policy.get(), tokens_.get()};
    console_.reset();
    auto console = Console::start(options, services);
    ASSERT_TRUE(console) << console.error().to_string();
    console_ = std::move(console).value();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", console_->port());
  }

  void TearDown() override {
    if (!exchanges_.empty()) check_against_openapi();
  }

  std::string token(const std::string& name, const std::string& person, std::vector<std::string> scopes) {
    auto t = tokens_->create(name, person, scopes, testing::as("kato"));
    EXPECT_TRUE(t) << t.error().to_string();
    return t ? *t : std::string();
  }

  httplib::Headers bearer(const std::string& t) const { return {{"Authorization", "Bearer " + t}}; }

  // A call whose JSON response is kept for the OpenAPI check under `path_template`.
  std::pair<int, json> call(const std::string& method, const std::string& path, const std::string& path_template, const std::string& t,
                            const std::string& body = "", const std::string& type = "application/json") {
    httplib::Result res = method == "GET" ? client_->Get(path, bearer(t)) : client_->Post(path, bearer(t), body, type);
    EXPECT_TRUE(res) << method << " " << path;
    if (!res) return {0, json()};
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json") << res->body;
    json parsed = json::parse(res->body, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << res->body;
    exchanges_.push_back({method, path_template, res->status, parsed});
    return {res->status, parsed};
  }

  std::string held_item() { return testing::held_mail(*quarantine_, "Subject: 見積書\r\n\r\n本文\r\n"); }

  // Runs the document's own check over everything this test saw: each body against its schema;
  // `every_operation`: and every operation but the transfers' (api_transfer_test.cc, which needs
  // the transfer service this console lacks) exercised.
  void check_against_openapi(bool every_operation = false) {
    const std::vector<std::string> cover = {"/api/v1/decide", "/api/v1/quarantine", "/api/v1/findings", "/metrics"};
    EXPECT_EQ(sanso::testing::openapi_problems(exchanges_, h_->store_.dir(), every_operation ? cover : std::vector<std::string>{}), "");
  }

  std::unique_ptr<testing::AccountsHarness> h_;
  std::unique_ptr<quarantine::QuarantineStore> quarantine_;
  std::unique_ptr<ApiTokens> tokens_;
  sanso::testing::ExamplePolicy example_;
  std::unique_ptr<Console> console_;
  std::unique_ptr<httplib::Client> client_;
  std::vector<std::string> delivered_;
  std::vector<Exchange> exchanges_;
};

TEST_P(ApiTest, TokenIsShownOnceAndKeptOnlyAsItsHash) {
  std::string t = token("fileserver", "tanaka", {"decide", "quarantine"});
  ASSERT_TRUE(std::regex_match(t, std::regex("sanso_[0-9a-f]{64}"))) << t;
  auto rows = h_->reader_->query("SELECT name, token_sha256, person, scopes FROM api_tokens");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].text(1), sha256_hex(t));
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ((*rows)[0].text(i).find(t.substr(6)), std::string::npos);
  auto created = records(*h_->reader_, "api.token-create");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0]["actor"], "kato");
  EXPECT_EQ(created[0]["subject"], "fileserver");
  EXPECT_EQ(detail(created[0], "scopes"), "decide,quarantine");
  EXPECT_EQ(created[0].dump().find(t.substr(6)), std::string::npos) << "the token itself is never recorded";
  auto listed = tokens_->list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].person, "tanaka");
}

TEST_P(ApiTest, OnlyAdministratorsCreateTokensAndNamesAreNeverReused) {
  auto refused = tokens_->create("x", "sato", {"decide"}, testing::as("sato"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "web.forbidden");
  auto rec = records(*h_->reader_, "api.token-create");
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0]["outcome"], "refused");
  EXPECT_EQ(tokens_->create("x", "sato", {"everything"}, testing::as("kato")).error().code, "api.input");
  EXPECT_EQ(tokens_->create("x", "nobody", {"decide"}, testing::as("kato")).error().code, "api.input");
  EXPECT_EQ(tokens_->create("X Y", "sato", {"decide"}, testing::as("kato")).error().code, "api.input");
  EXPECT_EQ(tokens_->create("x", "sato", {}, testing::as("kato")).error().code, "api.input");
  token("x", "sato", {"decide"});
  ASSERT_TRUE(tokens_->revoke("x", testing::as("kato")));
  EXPECT_EQ(tokens_->create("x", "sato", {"decide"}, testing::as("kato")).error().code, "api.exists");
  EXPECT_EQ(tokens_->revoke("x", testing::as("kato")).error().code, "api.not-found");
  EXPECT_EQ(records(*h_->reader_, "api.token-revoke").size(), 1u);
}

TEST_P(ApiTest, RevokedTokensAndTokensOfPeopleRemovedFromTheConfigurationAreRefused) {
  std::string t = token("wf", "sato", {"decide"});
  auto ok_ = tokens_->authenticate("Bearer " + t, "192.0.2.1");
  ASSERT_TRUE(ok_);
  ASSERT_TRUE(std::holds_alternative<ApiClient>(*ok_));
  EXPECT_EQ(std::get<ApiClient>(*ok_).roles, std::vector<std::string>{"staff"});
  config::ServiceConfig without_sato = h_->config_;
  std::erase_if(without_sato.operators, [](const config::Operator& op) { return op.name == "sato"; });
  tokens_->reload(without_sato);
  auto gone = tokens_->authenticate("Bearer " + t, "192.0.2.1");
  ASSERT_TRUE(gone);
  EXPECT_EQ(std::get<TokenRefusal>(*gone), TokenRefusal::kPersonGone);
  tokens_->reload(h_->config_);
  ASSERT_TRUE(tokens_->revoke("wf", testing::as("kato")));
  auto revoked = tokens_->authenticate("Bearer " + t, "192.0.2.1");
  ASSERT_TRUE(revoked);
  EXPECT_EQ(std::get<TokenRefusal>(*revoked), TokenRefusal::kRevoked);
  auto refusals = records(*h_->reader_, "api.token-refused");
  ASSERT_EQ(refusals.size(), 2u);
  EXPECT_EQ(detail(refusals[1], "reason"), "revoked");
  EXPECT_EQ(detail(refusals[1], "source"), "192.0.2.1");
}

TEST_P(ApiTest, AnAddressThatKeepsGuessingIsRefusedEvenWithAGoodTokenUntilTheWindowPasses) {
  std::string t = token("wf", "sato", {"decide"});
  const std::string wrong = "Bearer sanso_" + std::string(64, 'a');
  for (int i = 0; i < 5; ++i) {
    auto r = tokens_->authenticate(i % 2 == 0 ? wrong : "Basic dXNlcjpwYXNz", "192.0.2.66");
    ASSERT_TRUE(r);
    EXPECT_NE(std::get<TokenRefusal>(*r), TokenRefusal::kRateLimited) << i;
  }
  auto limited = tokens_->authenticate("Bearer " + t, "192.0.2.66");
  ASSERT_TRUE(limited);
  ASSERT_TRUE(std::holds_alternative<TokenRefusal>(*limited));
  EXPECT_EQ(std::get<TokenRefusal>(*limited), TokenRefusal::kRateLimited);
  auto elsewhere = tokens_->authenticate("Bearer " + t, "192.0.2.67");
  ASSERT_TRUE(elsewhere);
  EXPECT_TRUE(std::holds_alternative<ApiClient>(*elsewhere));
  // The limited guesses are counted, not recorded one by one: the log holds the five refusals.
  EXPECT_EQ(records(*h_->reader_, "api.token-refused").size(), 5u);
  EXPECT_EQ(detail(records(*h_->reader_, "api.token-refused")[4], "rate_limited_for_seconds"), "300");
  // IPv6: the addresses of one /64 share their refusals (one machine may hold them all).
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(tokens_->authenticate(wrong, "2001:db8:1:2::" + std::to_string(i + 1)));
  auto same_net = tokens_->authenticate("Bearer " + t, "2001:db8:1:2::ffff");
  ASSERT_TRUE(same_net);
  EXPECT_TRUE(std::holds_alternative<TokenRefusal>(*same_net));
  auto other_net = tokens_->authenticate("Bearer " + t, "2001:db8:1:3::1");
  ASSERT_TRUE(other_net);
  EXPECT_TRUE(std::holds_alternative<ApiClient>(*other_net));
  h_->clock_.advance(std::chrono::seconds(301));
  auto later = tokens_->authenticate("Bearer " + t, "192.0.2.66");
  ASSERT_TRUE(later);
  EXPECT_TRUE(std::holds_alternative<ApiClient>(*later));
}

TEST_P(ApiTest, DecideAnswersWithRuleAndClauseAndRecordsEveryCall) {
  start();
  std::string t = token("fileserver", "tanaka", {"decide"});
  auto [status, body] = call("POST", "/api/v1/decide", "/api/v1/decide", t,
                             R"({"who":"sato","from":"mynumber","to":"lgwan","channel":"mail","asset":"resident_register"})");
  ASSERT_EQ(status, 200) << body;
  EXPECT_EQ(body["decision"], "deny");
  EXPECT_EQ(body["rule_id"], "profile.mynumber-egress");
  EXPECT_EQ(body["clause"], "6(3)①");
  auto rec = records(*h_->reader_, "api.decide");
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0]["actor"], "api:fileserver");
  EXPECT_EQ(rec[0]["subject"], "sato");
  EXPECT_EQ(rec[0]["outcome"], "deny");
  EXPECT_EQ(rec[0]["rule"], "profile.mynumber-egress");
  EXPECT_EQ(rec[0]["clause"], "6(3)①");
  EXPECT_EQ(detail(rec[0], "asset"), "resident_register");
  EXPECT_EQ(body["audit_index"], rec[0]["seq"]);
  auto [unknown, why] = call("POST", "/api/v1/decide", "/api/v1/decide", t, R"({"who":"sato","from":"moon","to":"lgwan","channel":"mail"})");
  EXPECT_EQ(unknown, 400);
  EXPECT_EQ(why["error"]["code"], "api.input");
  EXPECT_NE(why["error"]["why"].get<std::string>().find("moon"), std::string::npos) << why;
}

TEST_P(ApiTest, RequestBodiesAreStrictAndErrorsSayWhatWhereAndWhy) {
  start();
  std::string t = token("fileserver", "tanaka", {"decide"});
  const std::string good = R"("who":"sato","from":"lgwan","to":"internet","channel":"mail")";
  struct Case {
    std::string body, type, code, where;
    int status;
  };
  const std::vector<Case> cases = {
      {"{" + good + R"(,"priority":"high"})", "application/json", "api.field", "/priority", 400},
      {"{" + good + R"(,"to":"mynumber"})", "application/json", "api.field", "/to", 400},
      {R"({"who":"sato","from":"lgwan","to":"internet","channel":7})", "application/json", "api.type", "/channel", 400},
      {R"({"who":"sato","from":"lgwan","to":"internet"})", "application/json", "api.missing", "/channel", 400},
      {"{" + good + ",", "application/json", "api.json", "", 400},
      {"[" + std::string(60, '[') + std::string(60, ']') + "]", "application/json", "api.json", "", 400},
      {"{\"who\":\"\xff\xfe\",\"from\":\"lgwan\",\"to\":\"internet\",\"channel\":\"mail\"}", "application/json", "api.json", "", 400},
      {"[]", "application/json", "api.json", "/", 400},
      {"{" + good + "}", "application/x-www-form-urlencoded", "api.content-type", "Content-Type", 415},
      {"{" + good + "}", "text/plain", "api.content-type", "Content-Type", 415},
  };
  for (const auto& c : cases) {
    auto [status, body] = call("POST", "/api/v1/decide", "/api/v1/decide", t, c.body, c.type);
    EXPECT_EQ(status, c.status) << c.body;
    EXPECT_EQ(body["error"]["code"], c.code) << c.body << " → " << body;
    if (!c.where.empty()) {
      EXPECT_EQ(body["error"]["where"], c.where) << c.body;
    }
    EXPECT_FALSE(body["error"]["why"].get<std::string>().empty());
  }
  EXPECT_TRUE(records(*h_->reader_, "api.decide").empty()) << "a refused body decides nothing";
  // Too large for any request: refused before it is read, as JSON too.
  auto huge = client_->Post("/api/v1/decide", bearer(t), "{\"who\":\"" + std::string(70 * 1024, 'a') + "\"}", "application/json");
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->status, 413);
  EXPECT_EQ(json::parse(huge->body, nullptr, false)["error"]["code"], "api.too-large") << huge->body;
}

TEST_P(ApiTest, OnlyABearerTokenOfTheRightScopeOpensAnEndpointNeverACookie) {
  start();
  ASSERT_TRUE(h_->accounts_->set_password("tanaka", "section chief's passphrase", testing::as("kato")));
  auto signed_in = h_->accounts_->sign_in("tanaka", "section chief's passphrase", "127.0.0.1");
  ASSERT_TRUE(signed_in && signed_in->session);
  auto with_cookie = client_->Get("/api/v1/quarantine", {{"Cookie", "sanso_session=" + signed_in->token}});
  ASSERT_TRUE(with_cookie);
  EXPECT_EQ(with_cookie->status, 401);
  EXPECT_EQ(with_cookie->get_header_value("WWW-Authenticate"), "Bearer");
  exchanges_.push_back({"GET", "/api/v1/quarantine", with_cookie->status, json::parse(with_cookie->body)});
  auto in_query = client_->Get("/api/v1/quarantine?access_token=" + token("q", "tanaka", {"quarantine"}));
  ASSERT_TRUE(in_query);
  EXPECT_EQ(in_query->status, 401);
  std::string decide_only = token("d", "tanaka", {"decide"});
  auto [status, body] = call("GET", "/api/v1/quarantine", "/api/v1/quarantine", decide_only);
  EXPECT_EQ(status, 403);
  EXPECT_EQ(body["error"]["code"], "api.scope");
  auto [bad, why] = call("GET", "/api/v1/findings", "/api/v1/findings", "sanso_" + std::string(64, '0'));
  EXPECT_EQ(bad, 401);
  EXPECT_EQ(why["error"]["code"], "api.unauthenticated");
  auto [missing, nothing] = call("GET", "/api/v1/nothing-here", "/api/v1/quarantine", decide_only);
  EXPECT_EQ(missing, 404);
  exchanges_.pop_back();  // not a documented path: its error is still JSON
  EXPECT_EQ(nothing["error"]["code"], "api.not-found");
}

// A scope opens an endpoint to the token, never beyond its person: someone who may not use the
// console (sato holds no [web] role), or not its quarantine or findings pages ([web.permissions]),
// gets nothing through a token either, and the attempt is recorded.
TEST_P(ApiTest, ATokenNeverDoesWhatItsPersonCouldNotDoInTheConsole) {
  start();
  const std::string id = held_item();
  const std::string clerk = token("clerk", "sato", {"decide", "quarantine", "findings", "metrics"});
  auto [decided, not_console] = call("POST", "/api/v1/decide", "/api/v1/decide", clerk, R"({"who":"sato","from":"lgwan","to":"internet","channel":"mail"})");
  EXPECT_EQ(decided, 403) << not_console;
  EXPECT_EQ(not_console["error"]["code"], "api.permission");
  EXPECT_NE(not_console["error"]["why"].get<std::string>().find("[web] roles"), std::string::npos) << not_console;
  auto [asked, refused] = call("POST", "/api/v1/quarantine/" + id + "/request", "/api/v1/quarantine/{id}/request", clerk, R"({"reason":"r"})");
  EXPECT_EQ(asked, 403) << refused;
  auto scrape = client_->Get("/metrics", bearer(clerk));
  ASSERT_TRUE(scrape);
  EXPECT_EQ(scrape->status, 403) << scrape->body;
  auto item = quarantine_->get(id);
  ASSERT_TRUE(item);
  EXPECT_EQ(item->state, quarantine::ItemState::kHeld) << "a refused token changes nothing";
  EXPECT_TRUE(records(*h_->reader_, "api.decide").empty());

  // Console people (as config.cc makes [web] roles of [web.permissions]), but the quarantine's
  // pages only for the security manager, the findings only for the system administrator, and the
  // general security officer only the transfers' approvals inbox; read at every request, so a
  // reload takes effect at once.
  config::ServiceConfig narrowed = h_->config_;
  narrowed.web.permissions = {{"quarantine", {"security_manager"}}, {"findings", {"system_admin"}}, {"approvals", {"general_security_officer"}}};
  narrowed.web.roles = {"security_manager", "system_admin", "general_security_officer"};
  tokens_->reload(narrowed);
  const std::string officer = token("officer", "suzuki", {"quarantine", "approvals", "findings", "decide"});
  const std::string chief = token("chief", "tanaka", {"quarantine", "findings"});
  EXPECT_EQ(call("GET", "/api/v1/quarantine", "/api/v1/quarantine", officer).first, 403);
  EXPECT_EQ(call("GET", "/api/v1/quarantine/" + id, "/api/v1/quarantine/{id}", officer).first, 403);
  EXPECT_EQ(call("POST", "/api/v1/quarantine/" + id + "/decide", "/api/v1/quarantine/{id}/decide", officer, R"({"decision":"deny"})").first, 403);
  EXPECT_EQ(call("POST", "/api/v1/quarantine/" + id + "/release", "/api/v1/quarantine/{id}/release", officer, "{}").first, 403);
  EXPECT_EQ(call("GET", "/api/v1/findings", "/api/v1/findings", officer).first, 403);
  EXPECT_EQ(call("POST", "/api/v1/decide", "/api/v1/decide", officer, R"({"who":"x","from":"lgwan","to":"internet","channel":"mail"})").first, 200)
      << "a decision needs only a console person";
  EXPECT_EQ(call("GET", "/api/v1/quarantine", "/api/v1/quarantine", chief).first, 200);
  auto [findings, why] = call("GET", "/api/v1/findings", "/api/v1/findings", chief);
  EXPECT_EQ(findings, 403) << why;
  EXPECT_NE(why["error"]["why"].get<std::string>().find("findings"), std::string::npos) << why;

  auto refusals = records(*h_->reader_, "api.request");
  ASSERT_EQ(refusals.size(), 9u);
  EXPECT_EQ(refusals[0]["actor"], "sato");
  EXPECT_EQ(refusals[0]["outcome"], "refused");
  EXPECT_EQ(refusals[0]["subject"], "/api/v1/decide");
  EXPECT_EQ(detail(refusals[0], "needs"), "console");
  EXPECT_EQ(detail(refusals[0], "via"), "api token clerk from 127.0.0.1");
  EXPECT_EQ(refusals[3]["actor"], "suzuki");
  EXPECT_EQ(detail(refusals[3], "needs"), "quarantine");
  EXPECT_EQ(detail(refusals[8], "needs"), "findings");
}

// A bearer token carries no second factor: a release whose approver role the policy asks one of
// (every role of the example city: mfa = true) is approved in the console, never through the API.
TEST_P(ApiTest, ATokenDoesNotApproveWhatTheRoleMustConfirmWithASecondFactor) {
  start();
  const std::string id = testing::held_mail(*quarantine_, "Subject: 見積書\r\n\r\n本文\r\n", "security_manager");
  const std::string path = "/api/v1/quarantine/" + id;
  // tanaka holds the role and did not ask: the console would let him decide, with his code.
  std::string requester = token("workflow-suzuki", "suzuki", {"quarantine", "approvals"});
  std::string approver = token("workflow-tanaka", "tanaka", {"quarantine", "approvals"});
  ASSERT_EQ(call("POST", path + "/request", "/api/v1/quarantine/{id}/request", requester, R"({"reason":"確認済み"})").first, 200);
  auto [status, body] = call("POST", path + "/decide", "/api/v1/quarantine/{id}/decide", approver, R"({"decision":"approve"})");
  EXPECT_EQ(status, 403) << body;
  EXPECT_EQ(body["error"]["code"], "api.second-factor");
  EXPECT_NE(body["error"]["why"].get<std::string>().find("security_manager"), std::string::npos) << body;
  auto [got, now] = call("GET", path, "/api/v1/quarantine/{id}", approver);
  ASSERT_EQ(got, 200) << now;
  EXPECT_EQ(now["state"], "release_requested") << "nothing was approved";
  EXPECT_TRUE(records(*h_->reader_, "quarantine.approve").empty());
  const auto refused = records(*h_->reader_, "api.request");
  ASSERT_FALSE(refused.empty());
  EXPECT_EQ(refused.back()["outcome"], "refused");
  EXPECT_NE(refused.back().dump().find("second factor"), std::string::npos) << refused.back();
  // Denying lets nothing through: a token may still do that.
  EXPECT_EQ(call("POST", path + "/decide", "/api/v1/quarantine/{id}/decide", approver, R"({"decision":"deny","note":"不要"})").first, 200);
  check_against_openapi();
}

TEST_P(ApiTest, TwoClientsCarryOutAFourEyesReleaseThroughTheQuarantine) {
  start();
  const std::string id = held_item();
  std::string requester = token("workflow-tanaka", "tanaka", {"quarantine", "approvals"});
  std::string approver = token("workflow-suzuki", "suzuki", {"quarantine", "approvals"});
  const std::string item_path = "/api/v1/quarantine/" + id;
  auto [listed, list] = call("GET", "/api/v1/quarantine?state=held", "/api/v1/quarantine", requester);
  ASSERT_EQ(listed, 200) << list;
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["subject"], "【見積】①号案件");
  auto [got, item] = call("GET", item_path, "/api/v1/quarantine/{id}", requester);
  ASSERT_EQ(got, 200) << item;
  EXPECT_TRUE(item["allowed"]["request_release"]);
  auto [asked, after_ask] = call("POST", item_path + "/request", "/api/v1/quarantine/{id}/request", requester, R"({"reason":"取引先確認済み"})");
  ASSERT_EQ(asked, 200) << after_ask;
  EXPECT_EQ(after_ask["state"], "release_requested");
  // The requester cannot approve their own request, through the API as anywhere.
  auto [own, refusal] = call("POST", item_path + "/decide", "/api/v1/quarantine/{id}/decide", requester, R"({"decision":"approve"})");
  EXPECT_EQ(own, 403) << refusal;
  EXPECT_EQ(refusal["error"]["code"], "quarantine.four-eyes");
  auto [odd, odd_why] = call("POST", item_path + "/decide", "/api/v1/quarantine/{id}/decide", approver, R"({"decision":"maybe"})");
  EXPECT_EQ(odd, 400);
  EXPECT_EQ(odd_why["error"]["where"], "/decision");
  auto [decided, approved] = call("POST", item_path + "/decide", "/api/v1/quarantine/{id}/decide", approver, R"({"decision":"approve","note":"OK"})");
  ASSERT_EQ(decided, 200) << approved;
  EXPECT_EQ(approved["state"], "approved");
  EXPECT_EQ(approved["releases"][0]["decided_by"], "suzuki");
  auto [released, done] = call("POST", item_path + "/release", "/api/v1/quarantine/{id}/release", approver, "{}");
  ASSERT_EQ(released, 200) << done;
  EXPECT_EQ(done["state"], "released");
  ASSERT_EQ(delivered_.size(), 1u);
  EXPECT_EQ(delivered_[0].rfind(id + " by suzuki", 0), 0u);
  auto [again, conflict] = call("POST", item_path + "/release", "/api/v1/quarantine/{id}/release", approver, "{}");
  EXPECT_EQ(again, 409) << conflict;
  auto [nope, not_found] = call("GET", "/api/v1/quarantine/no-such-item", "/api/v1/quarantine/{id}", requester);
  EXPECT_EQ(nope, 404) << not_found;
  // The quarantine recorded each action with the token that did it.
  auto approvals = records(*h_->reader_, "quarantine.approve");
  ASSERT_EQ(approvals.size(), 2u);  // the refused attempt is evidence too
  EXPECT_EQ(approvals[0]["actor"], "tanaka");
  EXPECT_EQ(approvals[0]["outcome"], "refused");
  EXPECT_EQ(approvals[1]["actor"], "suzuki");
  EXPECT_NE(approvals[1].dump().find("api token workflow-suzuki from 127.0.0.1"), std::string::npos) << approvals[1];
}

// review20b: the API shows an envelope address masked as the console does (that the item keeps
// it whole for the release is checked in console_test.cc).
TEST_P(ApiTest, ANumberInAnEnvelopeAddressIsShownMasked) {
  start();
  const std::string id = testing::held_mail_between(*quarantine_, "y.123456789018@example.com", {"kikaku@city.minamata.lg.jp", "1234-5678-9018@example.jp"});
  ASSERT_FALSE(id.empty());
  const std::string t = token("reader", "tanaka", {"quarantine"});
  auto [listed, list] = call("GET", "/api/v1/quarantine?state=held", "/api/v1/quarantine", t);
  ASSERT_EQ(listed, 200) << list;
  auto [got, one] = call("GET", "/api/v1/quarantine/" + id, "/api/v1/quarantine/{id}", t);
  ASSERT_EQ(got, 200) << one;
  for (const json* j : {&list, &one}) {
    EXPECT_EQ(j->dump().find("56789018"), std::string::npos) << *j;
    EXPECT_EQ(j->dump().find("5678-9018"), std::string::npos) << *j;
  }
  EXPECT_EQ(one["envelope_from"], "y.********9018@example.com");
  EXPECT_EQ(one["envelope_to"][1], "********9018@example.jp");
}

TEST_P(ApiTest, FindingsOfTheFlowMonitorAreReadable) {
  start();
  ASSERT_TRUE(h_->reader_->execute(
      "INSERT INTO monitor_findings (rule, clause, src, dst, dport, proto, src_zone, dst_zone, first_seen, last_seen, count, source, detail, node) "
      "VALUES ('monitor.zone-crossing', '6(3)①', '10.1.0.5', '203.0.113.9', 443, 'tcp', 'mynumber', 'internet', 1795700000, 1795700100, 3, "
      "'udp 192.0.2.1:514', '', 'gw-test')"));
  std::string t = token("siem", "kato", {"findings"});
  auto [status, body] = call("GET", "/api/v1/findings", "/api/v1/findings", t);
  ASSERT_EQ(status, 200) << body;
  ASSERT_EQ(body["findings"].size(), 1u);
  EXPECT_EQ(body["findings"][0]["src_zone"], "mynumber");
  EXPECT_EQ(body["findings"][0]["count"], 3);
  auto [bad, why] = call("GET", "/api/v1/findings?limit=0", "/api/v1/findings", t);
  EXPECT_EQ(bad, 400);
  EXPECT_EQ(why["error"]["where"], "?limit");
  auto [unknown, what] = call("GET", "/api/v1/findings?since=1", "/api/v1/findings", t);
  EXPECT_EQ(unknown, 400);
  EXPECT_EQ(what["error"]["code"], "api.field");
}

// Each request answered leaves one "http.request" line in the service's log (docs/logging.md),
// read back here as a syslog server would take it (UDP on loopback): method, path, status,
// duration, actor and client — never the token in the query, never a 個人番号 in the path.
TEST_P(ApiTest, EveryRequestLeavesOneLogLineWithoutItsTokenOrTheNumberInItsPath) {
  start();
  sanso::testing::UdpLogSink sink;
  auto line_for = [&](const std::string& wanted) { return sink.line("http.request", wanted); };

  const std::string t = token("q", "tanaka", {"quarantine"});
  auto listed = client_->Get("/api/v1/quarantine?state=held", bearer(t));
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->status, 200);
  const std::string ok_line = line_for("path=\"/api/v1/quarantine?state=held\"");
  EXPECT_NE(ok_line.find("method=\"GET\""), std::string::npos) << ok_line;
  EXPECT_NE(ok_line.find("status=\"200\""), std::string::npos) << ok_line;
  EXPECT_NE(ok_line.find("actor=\"tanaka (api token q)\""), std::string::npos) << ok_line;
  EXPECT_NE(ok_line.find("client=\"127.0.0.1\""), std::string::npos) << ok_line;
  EXPECT_TRUE(std::regex_search(ok_line, std::regex(R"(duration_s="\d+\.\d{3}")"))) << ok_line;

  // A token in the query and a 個人番号 in the path: neither reaches the log.
  const std::string leaked = "sanso_" + std::string(64, 'c');
  auto hostile = client_->Get("/api/v1/quarantine/123456789018?access_token=" + leaked + "&x=1", bearer(t));
  ASSERT_TRUE(hostile);
  EXPECT_EQ(hostile->status, 404);
  const std::string hostile_line = line_for("/api/v1/quarantine/************");
  ASSERT_FALSE(hostile_line.empty()) << "no line for the request";
  EXPECT_NE(hostile_line.find("access_token=[redacted\\]"), std::string::npos) << hostile_line;
  EXPECT_NE(hostile_line.find("status=\"404\""), std::string::npos) << hostile_line;
  EXPECT_EQ(hostile_line.find(std::string(64, 'c')), std::string::npos) << hostile_line;
  EXPECT_EQ(hostile_line.find("123456789018"), std::string::npos) << hostile_line;
  EXPECT_EQ(hostile_line.find(t.substr(6)), std::string::npos) << "the bearer token is never logged either";

  // Nobody signed in: no actor.
  ASSERT_TRUE(client_->Get("/healthz"));
  const std::string anonymous = line_for("path=\"/healthz\"");
  EXPECT_NE(anonymous.find("actor=\"\""), std::string::npos) << anonymous;
}

using sanso::testing::metric_sample;

TEST_P(ApiTest, MetricsAreOpenToListedAddressesOrAMetricsTokenAndPassPromtool) {
  start();
  auto closed = client_->Get("/metrics");
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->status, 401);
  std::string t = token("prometheus", "kato", {"metrics"});
  std::string decide = token("fileserver", "tanaka", {"decide"});
  auto before = client_->Get("/metrics", bearer(t));
  ASSERT_TRUE(before);
  ASSERT_EQ(before->status, 200) << before->body;
  EXPECT_EQ(before->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string series = R"(sanso_api_requests_total{endpoint="/api/v1/decide",code="200"})";
  const double decided = std::max(0.0, metric_sample(before->body, series));
  held_item();
  held_item();
  auto [status, body] = call("POST", "/api/v1/decide", "/api/v1/decide", decide, R"({"who":"sato","from":"lgwan","to":"internet","channel":"mail"})");
  ASSERT_EQ(status, 200) << body;

  ConsoleOptions listed;
  listed.metrics_from = {"127.0.0.0/8"};
  start(listed);
  auto after = client_->Get("/metrics");
  ASSERT_TRUE(after);
  ASSERT_EQ(after->status, 200) << after->body;
  EXPECT_EQ(metric_sample(after->body, series), decided + 1) << after->body;
  EXPECT_EQ(metric_sample(after->body, R"(sanso_quarantine_items{state="held"})"), 2) << after->body;
  EXPECT_GT(metric_sample(after->body, "sanso_audit_log_entries"), 0);
  EXPECT_GE(metric_sample(after->body, R"(sanso_api_request_duration_seconds_count{endpoint="/api/v1/decide"})"), 1);

  const auto problems = sanso::testing::promtool_problems(after->body, h_->store_.dir());
  if (!problems) GTEST_SKIP() << "promtool (Debian's prometheus) is not installed";
  EXPECT_EQ(*problems, "") << "promtool check metrics";
}

// One call of every operation the document lists, each answer checked against it, and none left
// out: the document cannot describe an endpoint that does not exist, nor miss one a test calls.
TEST_P(ApiTest, EveryDocumentedOperationAnswersAsDocumented) {
  ConsoleOptions listed;
  listed.metrics_from = {"127.0.0.1"};
  start(listed);
  const std::string id = held_item();
  std::string a = token("a", "tanaka", {"decide", "quarantine", "approvals", "findings"});
  std::string b = token("b", "suzuki", {"approvals"});
  EXPECT_EQ(call("POST", "/api/v1/decide", "/api/v1/decide", a, R"({"who":"x","from":"lgwan","to":"internet","channel":"file","role":"staff"})").first, 200);
  EXPECT_EQ(call("GET", "/api/v1/quarantine", "/api/v1/quarantine", a).first, 200);
  EXPECT_EQ(call("GET", "/api/v1/quarantine/" + id, "/api/v1/quarantine/{id}", a).first, 200);
  EXPECT_EQ(call("POST", "/api/v1/quarantine/" + id + "/request", "/api/v1/quarantine/{id}/request", a, R"({"reason":"r"})").first, 200);
  EXPECT_EQ(call("POST", "/api/v1/quarantine/" + id + "/decide", "/api/v1/quarantine/{id}/decide", b, R"({"decision":"deny","note":"no"})").first, 200);
  EXPECT_EQ(call("POST", "/api/v1/quarantine/" + id + "/release", "/api/v1/quarantine/{id}/release", b, "{}").first, 409);
  EXPECT_EQ(call("GET", "/api/v1/findings?state=all&limit=5", "/api/v1/findings", a).first, 200);
  auto scrape = client_->Get("/metrics");
  ASSERT_TRUE(scrape);
  EXPECT_EQ(scrape->status, 200);
  exchanges_.push_back({"GET", "/metrics", scrape->status, json()});
  check_against_openapi(true);
  exchanges_.clear();
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiTest, ::testing::ValuesIn(sanso::testing::test_backends()), sanso::testing::backend_name);

}  // namespace
}  // namespace sanso::web
