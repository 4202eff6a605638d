// A zone's console ([listeners] web_zones): the LGWAN console answers nobody at an internet-zone
// address and nobody who acts from the internet side, and the internet console the other way
// round; a browser's address is the peer's unless the peer is a trusted proxy, whose
// X-Forwarded-For alone is believed. Each refusal is recorded.
#include "web/transfer_console.h"

namespace sanso::web {
namespace {

class ZoneListenerTest : public TransferConsoleTest {
 protected:
  void serve_zone(const std::string& zone, std::vector<std::string> proxies = {"127.0.0.1"}) {
    ConsoleOptions o = console_options();
    o.zone = zone;
    o.trusted_proxies = std::move(proxies);
    auto served = serve(o);
    ASSERT_TRUE(served) << served.error().to_string();
  }

  std::size_t refusals(const std::string& reason) {
    auto all = records(*h_->reader_, "console.request");
    return static_cast<std::size_t>(
        std::count_if(all.begin(), all.end(), [&](const auto& r) { return testing::detail(r, "reason") == reason; }));
  }
};

TEST_P(ZoneListenerTest, TheLgwanPagesAreUnreachableFromAnInternetZoneAddress) {
  serve_zone("lgwan");
  Visitor internet{"", "", kInternet};
  for (const char* path : {"/login", "/", "/approvals", "/quarantine", "/audit", "/transfer", "/registers"}) {
    SCOPED_TRACE(path);
    auto res = get(internet, path);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 403);
    EXPECT_NE(res->body.find("別の領域のためのもの"), std::string::npos);
  }
  EXPECT_EQ(refusals("listener-zone"), 7u) << "each refusal is recorded";
  // Nor can anything be sent to it from there: refused at the headers, nothing stored.
  EXPECT_EQ(upload(internet, "kato", "", {{"a.txt", "x"}})->status, 403);
  auto login = client_->Post("/login", headers(internet), httplib::Params{{"name", "tanaka"}, {"password", kPassword}});
  EXPECT_EQ(login->status, 403);
  EXPECT_EQ(records(*h_->reader_, "console.sign-in").size(), 0u) << "not even a sign-in was tried";
  // Health checks and the style sheet are the same for everyone.
  EXPECT_EQ(get(internet, "/healthz")->status, 200);

  // From LGWAN, the LGWAN side works; the same session taken to an internet address does not.
  Visitor tanaka = sign_in("tanaka", kLgwan);
  ASSERT_FALSE(tanaka.csrf.empty());
  EXPECT_EQ(get(tanaka, "/approvals")->status, 200);
  EXPECT_EQ(get(tanaka, "/quarantine")->status, 200);
  Visitor moved = tanaka;
  moved.address = kInternet;
  EXPECT_EQ(get(moved, "/approvals")->status, 403);

  // A person who acts from the internet side cannot sign in here, even at an LGWAN computer.
  Visitor yamada{"", "", kLgwan};
  auto refused = client_->Post("/login", headers(yamada), httplib::Params{{"name", "yamada"}, {"password", kPassword}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_EQ(refused->get_header_value("Set-Cookie"), "") << "no session is handed out";
  auto recorded = records(*h_->reader_, "console.request");
  ASSERT_FALSE(recorded.empty());
  EXPECT_EQ(recorded.back()["actor"], "yamada");
  EXPECT_EQ(testing::detail(recorded.back(), "reason"), "listener-zone");
  EXPECT_EQ(stored_transfers(), 0);
}

TEST_P(ZoneListenerTest, TheInternetConsoleServesOnlyTheInternetSide) {
  serve_zone("internet");
  Visitor lgwan{"", "", kLgwan};
  EXPECT_EQ(get(lgwan, "/login")->status, 403);
  Visitor yamada = sign_in("yamada", kInternet);
  EXPECT_EQ(get(yamada, "/transfer")->status, 200);
  // The LGWAN side's people have nothing here: their approvals, quarantine and audit log are on
  // the LGWAN console only, and they do not sign in here.
  Visitor tanaka{"", "", kInternet};
  auto refused = client_->Post("/login", headers(tanaka), httplib::Params{{"name", "tanaka"}, {"password", kPassword}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_NE(refused->body.find("別の領域のためのもの"), std::string::npos);
  // The one-time link page is the internet side's.
  Visitor holder{"", "", kInternet};
  EXPECT_EQ(get(holder, "/link/" + std::string(64, 'a'))->status, 200);
}

TEST_P(ZoneListenerTest, XForwardedForIsBelievedOnlyFromATrustedProxy) {
  // No trusted proxy: the header is the client's own claim, and 127.0.0.1 is in no zone of the
  // policy, which counts as the internet — never as LGWAN.
  serve_zone("lgwan", {});
  Visitor claims_lgwan{"", "", kLgwan};
  EXPECT_EQ(get(claims_lgwan, "/login")->status, 403);
  httplib::Headers chain{{"X-Forwarded-For", std::string(kLgwan) + ", " + kInternet}};
  EXPECT_EQ(client_->Get("/login", chain)->status, 403);
}

TEST_P(ZoneListenerTest, AZoneTheConsoleCannotPlaceIsAnError) {
  ConsoleOptions o = console_options();
  o.zone = "nowhere";
  auto refused = Console::start(o, *services_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "web.zone");
  ConsoleServices without_policy = *services_;
  without_policy.policy = nullptr;
  without_policy.proof = {};
  o.zone = "lgwan";
  auto blind = Console::start(o, without_policy);
  ASSERT_FALSE(blind);
  EXPECT_EQ(blind.error().code, "web.zone");
}

INSTANTIATE_TEST_SUITE_P(Backends, ZoneListenerTest, ::testing::ValuesIn(sanso::testing::test_backends()), sanso::testing::backend_name);

}  // namespace
}  // namespace sanso::web
