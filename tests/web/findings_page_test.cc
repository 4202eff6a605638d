// The monitor findings pages over HTTP on a real console and store, with findings stored by the
// real FindingStore: filters, evidence shown with controls made visible, and acknowledging — only
// for an approver, with a reason, through the session's form token, recorded in the audit log.
#include <httplib.h>

#include <regex>

#include <gtest/gtest.h>

#include "monitor/finding_store.h"
#include "policy/load.h"
#include "web/console.h"
#include "web/web_fixture.h"

namespace sanso::web {
namespace {

using testing::detail;
using testing::records;

constexpr const char* kTanaka = "section chief's passphrase";  // security_manager: an approver
constexpr const char* kKato = "admin's passphrase!";           // system_admin: not an approver

struct Visitor {
  std::string cookie, csrf;
};

std::string form_token(const std::string& html) {
  std::smatch m;
  static const std::regex kCsrf(R"re(name="csrf" value="([^"]+)")re");
  return std::regex_search(html, m, kCsrf) ? m[1].str() : std::string();
}

class FindingsPageTest : public ::testing::TestWithParam<store::Backend> {
 protected:
  void SetUp() override { set_up(testing::city_config()); }
  // The store, two people, the quarantine and a console on `config`.
  void set_up(config::ServiceConfig config) {
    client_.reset();
    console_.reset();
    quarantine_.reset();
    h_ = std::make_unique<testing::AccountsHarness>(GetParam(), std::move(config));
    ASSERT_NE(h_->accounts_, nullptr);
    for (auto [name, pw] : {std::pair{"tanaka", kTanaka}, {"kato", kKato}}) {
      ASSERT_TRUE(h_->accounts_->set_password(name, pw, testing::as("kato"))) << name;
    }
    quarantine::QuarantineStore::Options o;
    o.settings = h_->config_.quarantine;
    o.blob_dir = (h_->store_.dir() / "blobs").string();
    o.key_file = (h_->store_.dir() / "quarantine.key").string();
    o.audit = h_->log_.get();
    o.node = "gw-test";
    auto q = quarantine::QuarantineStore::open(*h_->shared_, o);
    ASSERT_TRUE(q) << q.error().to_string();
    quarantine_ = std::move(q).value();
    auto loaded = policy::load_policy_file(std::string(SANSO_SOURCE_DIR) + "/tests/data/monitor/policy.toml");
    ASSERT_TRUE(loaded && loaded->policy);
    policy_ = std::move(*loaded->policy);
    auto plan = monitor::AddressPlan::build(policy_);
    ASSERT_TRUE(plan);
    plan_ = std::make_unique<monitor::AddressPlan>(std::move(*plan));

    start_console();
  }

  // A console on the harness's configuration (a test may change it and start another).
  void start_console() {
    client_.reset();
    console_.reset();
    ConsoleOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.municipality = "水俣市";
    options.node = "gw-test";
    ConsoleServices services{*h_->accounts_, *quarantine_, *h_->shared_, h_->config_,
                             [](const quarantine::Item&, const std::string&, const quarantine::Actor&) -> Result<std::string> {
                               return std::string("unused");
                             }};
    services.audit_log = h_->log_.get();
    services.policy = &policy_;
    auto console = Console::start(options, services);
    ASSERT_TRUE(console) << console.error().to_string();
    console_ = std::move(console).value();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", console_->port());
  }

  // Stores a finding as a collector does: `src` → `dst`:443/tcp first seen at `t`, from `source`.
  std::int64_t stored(monitor::Rule rule, const std::string& src, const std::string& dst, std::int64_t t, const std::string& source,
                      const std::string& detail_text = "", std::uint16_t dport = 443) {
    monitor::Finding f;
    f.rule = rule;
    f.src = policy::parse_ip(src)->value;
    f.dst = policy::parse_ip(dst)->value;
    f.dport = dport;
    f.proto = 6;
    f.src_zone = plan_->zone_of(f.src);
    f.dst_zone = plan_->zone_of(f.dst);
    f.first_seen = f.last_seen = t;
    f.count = 3;
    f.detail = detail_text;
    monitor::FindingStore collector(*h_->reader_, *h_->log_, *plan_, "collector-1", "monitor@collector-1", 3600);
    auto r = collector.opened(f, source, t);
    EXPECT_TRUE(r) << r.error().to_string();
    return f.store_id;
  }

  Visitor sign_in(const std::string& name, const std::string& password) {
    auto res = client_->Post("/login", httplib::Params{{"name", name}, {"password", password}});
    Visitor v;
    EXPECT_TRUE(res && res->status == 303);
    if (!res) return v;
    std::string set = res->get_header_value("Set-Cookie");
    v.cookie = set.substr(0, set.find(';'));
    v.csrf = form_token(get(v, "/")->body);
    return v;
  }
  httplib::Result get(const Visitor& v, const std::string& path) { return client_->Get(path, httplib::Headers{{"Cookie", v.cookie}}); }
  httplib::Result post(const Visitor& v, const std::string& path, httplib::Params params) {
    return client_->Post(path, httplib::Headers{{"Cookie", v.cookie}}, params);
  }
  std::string state_of(std::int64_t id) {
    auto f = monitor::get_finding(*h_->reader_, id);
    EXPECT_TRUE(f && *f);
    return f && *f ? (*f)->state : std::string();
  }

  std::unique_ptr<testing::AccountsHarness> h_;
  std::unique_ptr<quarantine::QuarantineStore> quarantine_;
  policy::Policy policy_;
  std::unique_ptr<monitor::AddressPlan> plan_;
  std::unique_ptr<Console> console_;
  std::unique_ptr<httplib::Client> client_;
};

// The tests' times lie around a JST midnight, where JST and UTC days differ.
constexpr std::int64_t kDec1Jst = 1796050800;  // 2026-12-01 00:00:00 JST (2026-11-30 15:00 UTC)

TEST_P(FindingsPageTest, ListsOpenFindingsWithRuleClauseZonesAndJapanTime) {
  const std::int64_t id = stored(monitor::Rule::kMynumberEgress, "192.0.2.10", "203.0.113.7", kDec1Jst + 3600, "conn.log:12");
  Visitor v = sign_in("tanaka", kTanaka);
  auto res = get(v, "/monitor/findings");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("data-id=\"" + std::to_string(id) + "\""), std::string::npos) << res->body;
  EXPECT_NE(res->body.find("6(3)①"), std::string::npos);
  EXPECT_NE(res->body.find("mynumber → internet"), std::string::npos);
  EXPECT_NE(res->body.find("192.0.2.10 → 203.0.113.7:443/tcp"), std::string::npos);
  EXPECT_NE(res->body.find("2026-12-01 01:00:00 JST"), std::string::npos) << "first seen, in Japan time";
  EXPECT_NE(res->body.find("監視の検知"), std::string::npos);
  client_->set_default_headers({{"Accept-Language", "en"}});
  auto en = get(v, "/monitor/findings");
  ASSERT_TRUE(en);
  EXPECT_NE(en->body.find("Monitor findings"), std::string::npos);
}

TEST_P(FindingsPageTest, FiltersByStateZoneAndJapanDays) {
  const std::int64_t before_midnight = stored(monitor::Rule::kMynumberEgress, "192.0.2.10", "203.0.113.7", kDec1Jst - 60, "a");
  const std::int64_t after_midnight = stored(monitor::Rule::kLgwanInternet, "198.51.100.20", "203.0.113.7", kDec1Jst + 60, "b");
  Visitor v = sign_in("tanaka", kTanaka);
  auto shown = [&](const std::string& query, std::int64_t id) {
    auto res = get(v, "/monitor/findings" + query);
    EXPECT_TRUE(res && res->status == 200) << query;
    return res && res->body.find("data-id=\"" + std::to_string(id) + "\"") != std::string::npos;
  };
  // The JST day 2026-12-01 begins at 15:00 UTC on 11-30: a minute before is the previous day.
  EXPECT_TRUE(shown("?from=2026-12-01", after_midnight));
  EXPECT_FALSE(shown("?from=2026-12-01", before_midnight));
  EXPECT_TRUE(shown("?to=2026-11-30", before_midnight));
  EXPECT_FALSE(shown("?to=2026-11-30", after_midnight));
  EXPECT_TRUE(shown("?zone=lgwan", after_midnight));
  EXPECT_FALSE(shown("?zone=lgwan", before_midnight));
  EXPECT_FALSE(shown("?state=acknowledged", after_midnight));
  EXPECT_TRUE(shown("?state=all", after_midnight));
  for (const char* bad : {"?from=2026-13-01", "?to=yesterday", "?state=closed", "?before=-1", "?from=2026-12-01%0d%0a"}) {
    auto res = get(v, std::string("/monitor/findings") + bad);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << bad;
  }
}

TEST_P(FindingsPageTest, EvidenceFromTheNetworkIsShownVisiblyNeverAsMarkup) {
  const std::int64_t id = stored(monitor::Rule::kIndicator, "192.0.2.10", "203.0.113.7", kDec1Jst,
                                 "udp 198.51.100.1:514 <script>alert(1)</script>\r\nX", "list \xe2\x80\xae" "evil.txt");
  Visitor v = sign_in("tanaka", kTanaka);
  auto res = get(v, "/monitor/findings/" + std::to_string(id));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body.find("<script>alert(1)"), std::string::npos);
  EXPECT_NE(res->body.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(res->body.find("&lt;U+000D&gt;"), std::string::npos) << "a carriage return made visible";
  EXPECT_NE(res->body.find("&lt;U+202E&gt;"), std::string::npos) << "a bidi override made visible";
  EXPECT_EQ(res->body.find("\xe2\x80\xae"), std::string::npos);
}

TEST_P(FindingsPageTest, AnApproverAcknowledgesWithAReasonAndItIsRecorded) {
  const std::int64_t id = stored(monitor::Rule::kMynumberEgress, "192.0.2.10", "203.0.113.7", kDec1Jst, "conn.log:12");
  Visitor v = sign_in("tanaka", kTanaka);
  const std::string path = "/monitor/findings/" + std::to_string(id);
  auto page = get(v, path);
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("id=\"acknowledge-form\""), std::string::npos);

  auto empty = post(v, path + "/acknowledge", {{"csrf", v.csrf}, {"reason", "  "}});
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 400);
  EXPECT_EQ(state_of(id), "open");

  auto done = post(v, path + "/acknowledge", {{"csrf", v.csrf}, {"reason", "委託業者の保守作業。端末を隔離し確認済み。"}});
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, 303);
  EXPECT_EQ(state_of(id), "acknowledged");
  auto after = get(v, path + "?done=acknowledged");
  ASSERT_TRUE(after);
  EXPECT_NE(after->body.find("委託業者の保守作業"), std::string::npos);
  EXPECT_EQ(after->body.find("id=\"acknowledge-form\""), std::string::npos);
  auto acks = records(*h_->reader_, "monitor.acknowledge");
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0]["actor"], "tanaka");
  EXPECT_EQ(acks[0]["clause"], "6(3)①");
  EXPECT_EQ(detail(acks[0], "reason"), "委託業者の保守作業。端末を隔離し確認済み。");

  auto twice = post(v, path + "/acknowledge", {{"csrf", v.csrf}, {"reason", "again"}});
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->status, 409);
  EXPECT_EQ(records(*h_->reader_, "monitor.acknowledge").size(), 1u);
  auto acknowledged = get(v, "/monitor/findings?state=acknowledged");
  ASSERT_TRUE(acknowledged);
  EXPECT_NE(acknowledged->body.find("data-id=\"" + std::to_string(id) + "\""), std::string::npos);
}

TEST_P(FindingsPageTest, OthersCannotAcknowledgeAndTheAttemptIsRecorded) {
  const std::int64_t id = stored(monitor::Rule::kMynumberEgress, "192.0.2.10", "203.0.113.7", kDec1Jst, "conn.log:12");
  const std::string path = "/monitor/findings/" + std::to_string(id);
  Visitor admin = sign_in("kato", kKato);
  auto page = get(admin, path);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->body.find("id=\"acknowledge-form\""), std::string::npos);
  EXPECT_NE(page->body.find("id=\"not-allowed\""), std::string::npos);
  auto refused = post(admin, path + "/acknowledge", {{"csrf", admin.csrf}, {"reason", "not mine to close"}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_EQ(state_of(id), "open");
  auto refusals = records(*h_->reader_, "console.request");
  ASSERT_FALSE(refusals.empty());
  EXPECT_EQ(refusals.back()["actor"], "kato");

  // An approver's session, but a form from elsewhere: no token, or another origin.
  Visitor manager = sign_in("tanaka", kTanaka);
  auto no_token = post(manager, path + "/acknowledge", {{"reason", "forged"}});
  ASSERT_TRUE(no_token);
  EXPECT_EQ(no_token->status, 403);
  auto other_site = client_->Post(path + "/acknowledge", httplib::Headers{{"Cookie", manager.cookie}, {"Origin", "https://evil.example"}},
                                  httplib::Params{{"csrf", manager.csrf}, {"reason", "forged"}});
  ASSERT_TRUE(other_site);
  EXPECT_EQ(other_site->status, 403);
  EXPECT_EQ(state_of(id), "open");
  EXPECT_TRUE(records(*h_->reader_, "monitor.acknowledge").empty());
  // Without a session: to the sign-in page, nothing changed.
  auto anonymous = client_->Post(path + "/acknowledge", httplib::Params{{"reason", "x"}});
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 303);
  EXPECT_EQ(state_of(id), "open");
}

// The element of the zone map's SVG for the edge src → dst with open findings ("" when none).
std::string broken_edge(const std::string& html, const std::string& src, const std::string& dst) {
  const std::string start = "class=\"edge broken\"";
  for (std::size_t at = html.find(start); at != std::string::npos; at = html.find(start, at + 1)) {
    const std::size_t open = html.rfind("<a ", at);
    const std::size_t end = html.find("</a>", at);
    const std::string element = html.substr(open, end - open);
    if (element.find("data-src=\"" + src + "\" data-dst=\"" + dst + "\"") != std::string::npos) return element;
  }
  return "";
}

TEST_P(FindingsPageTest, TheZoneMapHighlightsTheBrokenEdgesWithCountSeverityAndALinkToThem) {
  // Two open 6(3)① findings mynumber → internet (deny), one unknown device in the city's range
  // (a warning, (unzoned) → internet), and an LGWAN → internet finding already acknowledged.
  const std::int64_t a = stored(monitor::Rule::kMynumberEgress, "192.0.2.10", "203.0.113.7", kDec1Jst, "conn.log:1");
  const std::int64_t b = stored(monitor::Rule::kMynumberEgress, "192.0.2.11", "203.0.113.8", kDec1Jst, "conn.log:2");
  const std::int64_t unknown = stored(monitor::Rule::kUnzonedAddress, "192.0.2.200", "203.0.113.9", kDec1Jst, "conn.log:3");
  const std::int64_t lgwan = stored(monitor::Rule::kLgwanInternet, "198.51.100.20", "203.0.113.7", kDec1Jst, "conn.log:4");
  Visitor v = sign_in("tanaka", kTanaka);
  ASSERT_EQ(post(v, "/monitor/findings/" + std::to_string(lgwan) + "/acknowledge", {{"csrf", v.csrf}, {"reason", "保守作業"}})->status, 303);

  auto map = get(v, "/monitor/zones");
  ASSERT_TRUE(map);
  ASSERT_EQ(map->status, 200);
  EXPECT_NE(map->body.find("<svg id=\"zone-map\""), std::string::npos);
  EXPECT_NE(map->body.find("領域マップ"), std::string::npos);
  EXPECT_EQ(map->body.find("<script"), std::string::npos);
  // Every zone of the policy is drawn, with its Japanese name.
  for (const char* zone : {"mynumber", "lgwan", "internet"}) {
    EXPECT_NE(map->body.find(std::string("class=\"zone\" data-zone=\"") + zone + "\""), std::string::npos) << zone;
  }
  EXPECT_NE(map->body.find("マイナンバー利用事務系"), std::string::npos);
  // The policy's sanctioned path: the screen-transfer server in internet, used from lgwan.
  EXPECT_NE(map->body.find("class=\"edge sanctioned\" data-src=\"lgwan\" data-dst=\"internet\""), std::string::npos);
  EXPECT_NE(map->body.find("画面転送サーバ (203.0.113.25:443/tcp)"), std::string::npos);

  const std::string egress = broken_edge(map->body, "mynumber", "internet");
  ASSERT_FALSE(egress.empty()) << map->body;
  EXPECT_NE(egress.find("data-severity=\"deny\""), std::string::npos) << egress;
  EXPECT_NE(egress.find("data-findings=\"2\""), std::string::npos) << egress;
  EXPECT_NE(egress.find("stroke=\"#c62828\""), std::string::npos) << egress;
  EXPECT_NE(egress.find("href=\"/monitor/findings?state=open&amp;src_zone=mynumber&amp;dst_zone=internet\""), std::string::npos) << egress;
  const std::string device = broken_edge(map->body, "(unzoned)", "internet");
  ASSERT_FALSE(device.empty()) << map->body;
  EXPECT_NE(device.find("data-severity=\"warn\""), std::string::npos) << device;
  EXPECT_NE(device.find("data-findings=\"1\""), std::string::npos) << device;
  EXPECT_TRUE(broken_edge(map->body, "lgwan", "internet").empty()) << "an acknowledged finding highlights nothing";

  // The edge's link lists that pair's open findings and no other.
  auto listed = get(v, "/monitor/findings?state=open&src_zone=mynumber&dst_zone=internet");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->status, 200);
  for (const std::int64_t id : {a, b}) EXPECT_NE(listed->body.find("data-id=\"" + std::to_string(id) + "\""), std::string::npos) << id;
  EXPECT_EQ(listed->body.find("data-id=\"" + std::to_string(unknown) + "\""), std::string::npos);
  EXPECT_NE(listed->body.find("id=\"pair-filter\""), std::string::npos);

  // Once both are acknowledged the edge is no longer highlighted.
  for (const std::int64_t id : {a, b}) {
    ASSERT_EQ(post(v, "/monitor/findings/" + std::to_string(id) + "/acknowledge", {{"csrf", v.csrf}, {"reason", "調査済み"}})->status, 303);
  }
  auto after = get(v, "/monitor/zones");
  ASSERT_TRUE(after);
  EXPECT_TRUE(broken_edge(after->body, "mynumber", "internet").empty());
  EXPECT_FALSE(broken_edge(after->body, "(unzoned)", "internet").empty());

  client_->set_default_headers({{"Accept-Language", "en"}});
  auto en = get(v, "/monitor/zones");
  ASSERT_TRUE(en);
  EXPECT_NE(en->body.find("Zone map"), std::string::npos);
  EXPECT_NE(en->body.find("Paths with open findings"), std::string::npos);
}

TEST_P(FindingsPageTest, TheZoneMapNeedsTheFindingsPermission) {
  config::ServiceConfig config = testing::city_config();
  config.web.roles = {"security_manager", "system_admin"};  // as the configuration derives them from [web.permissions]
  config.web.permissions = {{"findings", {"security_manager"}}, {"quarantine", {"system_admin"}}};
  set_up(config);
  stored(monitor::Rule::kMynumberEgress, "192.0.2.10", "203.0.113.7", kDec1Jst, "conn.log:1");
  Visitor manager = sign_in("tanaka", kTanaka);
  auto allowed = get(manager, "/monitor/zones");
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200);
  Visitor admin = sign_in("kato", kKato);
  auto refused = get(admin, "/monitor/zones");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_EQ(refused->body.find("zone-map"), std::string::npos);
  auto anonymous = client_->Get("/monitor/zones");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 303);
}

INSTANTIATE_TEST_SUITE_P(Backends, FindingsPageTest, ::testing::ValuesIn(sanso::testing::test_backends()), sanso::testing::backend_name);

}  // namespace
}  // namespace sanso::web
