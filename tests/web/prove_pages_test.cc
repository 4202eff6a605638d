// The registers' and the self-inspection's pages over HTTP on a real console, store, audit log and
// the example city's policy, on both backends: a form changes a register only through the same
// typed validation and audit record as the CLI, a hostile form changes nothing, and a campaign
// goes from answers and evidence to a sign-off that only someone else can give.
#include <httplib.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "inspect/campaign.h"
#include "audit/note.h"
#include "audit/versions.h"
#include "core/clock.h"
#include "core/digest.h"
#include "inspect/template.h"
#include "policy/check.h"
#include "policy/diff.h"
#include "support/pdf_text.h"
#include "support/slapd_server.h"
#include "web/console.h"
#include "web/web_fixture.h"

namespace sanso::web {
namespace {

using testing::records;

constexpr const char* kPassword = "a long enough passphrase";
const std::string kBoundary = "----SansoProveBoundary7";
const std::string kExampleDir = std::string(SANSO_SOURCE_DIR) + "/examples/minamata/";

constexpr std::string_view kTemplate = R"toml(
[template]
id = "t-monthly"
title = "月次点検"
period = "monthly"

[[items]]
id = "physical"
clause = "6(4)"
question = "サーバ室は施錠されているか"
kind = "manual"

[[items]]
id = "releases"
clause = "6(7)"
question = "解除は二名で行われたか"
kind = "automatic:release-two-person"
)toml";

struct Visitor {
  std::string cookie, csrf;
};

std::string form_token(const std::string& html) {
  std::smatch m;
  static const std::regex kCsrf(R"re(name="csrf" value="([^"]+)")re");
  return std::regex_search(html, m, kCsrf) ? m[1].str() : std::string();
}

std::string multipart(const std::vector<std::pair<std::string, std::string>>& fields, const std::string& file_name, const std::string& bytes) {
  std::string body;
  for (const auto& [k, v] : fields) body += "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + k + "\"\r\n\r\n" + v + "\r\n";
  body += "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + file_name +
          "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + bytes + "\r\n";
  return body + "--" + kBoundary + "--\r\n";
}

class ProvePagesTest : public ::testing::TestWithParam<store::Backend> {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    h_ = std::make_unique<testing::AccountsHarness>(GetParam());
    ASSERT_NE(h_->accounts_, nullptr);
    for (const char* name : {"tanaka", "suzuki", "kato"}) ASSERT_TRUE(h_->accounts_->set_password(name, kPassword, testing::as("kato"))) << name;
    quarantine::QuarantineStore::Options o;
    o.settings = h_->config_.quarantine;
    o.blob_dir = (h_->store_.dir() / "blobs").string();
    o.key_file = (h_->store_.dir() / "quarantine.key").string();
    o.audit = h_->log_.get();
    o.node = "gw-test";
    auto q = quarantine::QuarantineStore::open(*h_->shared_, o);
    ASSERT_TRUE(q) << q.error().to_string();
    quarantine_ = std::move(q).value();
    auto p = policy::load_checked_policy(kExampleDir + "policy.toml", Date{2026, 12, 1});
    ASSERT_TRUE(p) << p.error().to_string();
    policy_ = std::make_unique<policy::Policy>(*p);

    // The console offers the templates in inspection/ beside the policy file.
    h_->config_.policy_file = kExampleDir + "policy.toml";
    auto key = audit::generate_signing_key("test/audit");
    ASSERT_TRUE(key);
    key_ = *key;
    start_console(*h_->accounts_, h_->config_);
  }

  // (Re)starts the console with these accounts and settings; the client talks to it.
  void start_console(ConsoleAccounts& accounts, const config::ServiceConfig& config) {
    console_.reset();
    ConsoleOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.node = "gw-test";
    ConsoleServices services{accounts, *quarantine_, *h_->shared_, config,
                             [](const quarantine::Item&, const std::string&, const quarantine::Actor&) -> Result<std::string> {
                               return make_error("test.delivery", "", "not used here");
                             }};
    services.proof = {h_->log_.get(), policy_.get(), std::string(64, '0'), &key_};
    auto console = Console::start(options, services);
    ASSERT_TRUE(console) << console.error().to_string();
    console_ = std::move(console).value();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", console_->port());
    client_->set_read_timeout(300, 0);  // a PDF printed by Chromium under the sanitizers
  }

  // The policy text kept as a version, as a service that loads it records it.
  audit::FileVersion keep_policy(const std::string& text) {
    auto db = h_->shared_->use();
    auto kept = audit::keep_file_version(*db, *h_->log_, "policy", "/etc/sanso/policy.toml", sha256_hex(text), text, "gw-test");
    EXPECT_TRUE(kept) << kept.error().to_string();
    return kept ? *kept : audit::FileVersion{};
  }

  httplib::Headers headers(const Visitor& v, const std::string& lang = "") const {
    httplib::Headers h;
    std::string cookie = v.cookie;
    if (!lang.empty()) cookie += (cookie.empty() ? "" : "; ") + std::string("sanso_lang=") + lang;
    if (!cookie.empty()) h.emplace("Cookie", cookie);
    return h;
  }

  Visitor sign_in(const std::string& name) {
    Visitor v;
    auto res = client_->Post("/login", httplib::Params{{"name", name}, {"password", kPassword}});
    EXPECT_TRUE(res && res->status == 303) << name;
    if (!res) return v;
    std::string set = res->get_header_value("Set-Cookie");
    v.cookie = set.substr(0, set.find(';'));
    v.csrf = form_token(client_->Get("/", headers(v))->body);
    return v;
  }

  httplib::Result get(const Visitor& v, const std::string& path, const std::string& lang = "") { return client_->Get(path, headers(v, lang)); }
  httplib::Result post(const Visitor& v, const std::string& path, httplib::Params params, bool with_token = true) {
    if (with_token) params.emplace("csrf", v.csrf);
    return client_->Post(path, headers(v), params);
  }
  httplib::Result upload(const Visitor& v, const std::string& campaign, const std::string& item, const std::string& name, const std::string& bytes,
                         bool with_token = true) {
    std::vector<std::pair<std::string, std::string>> fields{{"campaign", campaign}, {"item", item}};
    if (with_token) fields.insert(fields.begin(), {"csrf", v.csrf});
    return client_->Post("/inspect/evidence", headers(v), multipart(fields, name, bytes), ("multipart/form-data; boundary=" + kBoundary).c_str());
  }

  std::int64_t count(const std::string& sql) {
    auto db = h_->shared_->use();
    auto row = db->query_one(sql);
    return row && *row ? (*row)->integer(0) : -1;
  }

  // A campaign of the example city's mayor's office for November 2026, answered by tanaka.
  std::string create_campaign() {
    auto clauses = inspect::load_clause_list_file(kExampleDir + "inspection/clauses.toml");
    EXPECT_TRUE(clauses) << clauses.error().to_string();
    auto t = inspect::load_template(kTemplate, "t.toml", *clauses);
    EXPECT_TRUE(t) << t.error().to_string();
    auto db = h_->shared_->use();
    inspect::Campaigns campaigns(*db, *h_->log_, h_->clock_);
    auto c = campaigns.create(*t, *policy_, {"mayor", "2026-11", "tanaka", ""}, "kato");
    EXPECT_TRUE(c) << c.error().to_string();
    return c ? c->id : std::string();
  }

  std::unique_ptr<testing::AccountsHarness> h_;
  std::unique_ptr<quarantine::QuarantineStore> quarantine_;
  std::unique_ptr<policy::Policy> policy_;
  audit::SigningKey key_;
  // A second set of settings and accounts a test may restart the console with (narrower permissions).
  std::unique_ptr<config::ServiceConfig> narrowed_;
  std::unique_ptr<ConsoleAccounts> narrowed_accounts_;
  std::unique_ptr<Console> console_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_P(ProvePagesTest, EveryRegisterIsListedWithItsClauseAndThePolicysItemsAreSeeded) {
  Visitor tanaka = sign_in("tanaka");
  auto page = get(tanaka, "/registers");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200) << page->body;
  EXPECT_NE(page->body.find("委託事業者台帳"), std::string::npos);
  EXPECT_NE(page->body.find("例外措置台帳"), std::string::npos);
  EXPECT_NE(page->body.find("href=\"/registers\""), std::string::npos);  // in the navigation
  auto contractors = get(tanaka, "/registers/contractors");
  ASSERT_TRUE(contractors);
  ASSERT_EQ(contractors->status, 200);
  EXPECT_NE(contractors->body.find("data-id=\"juki_vendor\""), std::string::npos) << "the policy's contractor was not seeded";
  EXPECT_FALSE(records(*h_->reader_, "register.seed").empty());
  EXPECT_EQ(get(tanaka, "/registers/nonsense")->status, 404);
}

TEST_P(ProvePagesTest, AnEntryAddedThroughTheFormIsValidatedRecordedAndShowsItsAlarm) {
  Visitor tanaka = sign_in("tanaka");
  auto added = post(tanaka, "/registers/contractors",
                    {{"f.id", "acme"}, {"f.name", "株式会社アクメ"}, {"f.next_check", "2020/01/31"}, {"f.check_result", "fail"}, {"f.check_note", ""}});
  ASSERT_TRUE(added);
  ASSERT_EQ(added->status, 303) << added->body;
  EXPECT_EQ(added->get_header_value("Location"), "/registers/contractors/entry/acme?done=rg_added");
  auto logged = records(*h_->reader_, "register.add");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0]["actor"], "tanaka");
  EXPECT_EQ(testing::detail(logged[0], "next_check"), "2020-01-31");  // typed: the date as the CLI stores it

  auto list = get(tanaka, "/registers/contractors");
  ASSERT_TRUE(list);
  EXPECT_NE(list->body.find("data-code=\"check-overdue\""), std::string::npos) << list->body;
  EXPECT_NE(list->body.find("data-code=\"check-failed\""), std::string::npos);
  auto english = get(tanaka, "/registers/contractors", "en");
  ASSERT_TRUE(english);
  EXPECT_NE(english->body.find("The contract check is past due"), std::string::npos);

  // Changed: the alarm goes, the history keeps both versions with their audit entries.
  auto changed = post(tanaka, "/registers/contractors/entry/acme",
                      {{"f.name", "株式会社アクメ"}, {"f.next_check", "2099-03-31"}, {"f.check_result", "pass"}});
  ASSERT_TRUE(changed);
  ASSERT_EQ(changed->status, 303) << changed->body;
  ASSERT_EQ(records(*h_->reader_, "register.change").size(), 1u);
  auto entry = get(tanaka, "/registers/contractors/entry/acme?done=rg_changed");
  ASSERT_TRUE(entry);
  ASSERT_EQ(entry->status, 200);
  EXPECT_EQ(entry->body.find("data-code=\"check-overdue\""), std::string::npos);
  EXPECT_NE(entry->body.find("変更しました。"), std::string::npos);
  EXPECT_NE(entry->body.find("<td>2</td><td>change</td><td>tanaka</td>"), std::string::npos) << entry->body;
  EXPECT_NE(entry->body.find("<td>1</td><td>add</td><td>tanaka</td>"), std::string::npos);
  EXPECT_NE(entry->body.find("JST"), std::string::npos);
}

TEST_P(ProvePagesTest, AHostileOrWrongFormChangesNothingAndSaysWhichFieldAndWhy) {
  Visitor tanaka = sign_in("tanaka");
  get(tanaka, "/registers");  // seeded
  const auto before = count("SELECT COUNT(*) FROM register_history");
  const auto entries_before = count("SELECT COUNT(*) FROM audit_entries");

  auto bad_date = post(tanaka, "/registers/contractors", {{"f.id", "acme"}, {"f.name", "アクメ"}, {"f.next_check", "2026-13-45"}});
  ASSERT_TRUE(bad_date);
  EXPECT_EQ(bad_date->status, 400);
  EXPECT_NE(bad_date->body.find("next_check"), std::string::npos) << bad_date->body;
  EXPECT_NE(bad_date->body.find("value=\"2026-13-45\""), std::string::npos) << "what was typed is given back to correct";

  auto formula = post(tanaka, "/registers/contractors", {{"f.id", "evil"}, {"f.name", "=HYPERLINK(\"http://x\",\"a\")"}});
  ASSERT_TRUE(formula);
  EXPECT_EQ(formula->status, 400);

  // The policy's own value is the policy file's to change.
  auto policy_field = post(tanaka, "/registers/contractors/entry/juki_vendor", {{"f.name", "別の名前"}});
  ASSERT_TRUE(policy_field);
  EXPECT_EQ(policy_field->status, 400);
  EXPECT_NE(policy_field->body.find("register.policy-field"), std::string::npos) << policy_field->body;

  auto twice = post(tanaka, "/registers/contractors", {{"f.id", "juki_vendor"}, {"f.name", "住民記録システム保守事業者"}});
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->status, 409);

  auto no_token = post(tanaka, "/registers/contractors", {{"f.id", "acme"}, {"f.name", "アクメ"}}, false);
  ASSERT_TRUE(no_token);
  EXPECT_EQ(no_token->status, 403);

  EXPECT_EQ(count("SELECT COUNT(*) FROM register_history"), before);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries"), entries_before + 1);  // only the refused form's own record
  EXPECT_EQ(records(*h_->reader_, "register.add").size(), 0u);
}

// 6(8) in the console: a contractor's page shows every check of each required clause, newest
// first, and appends a check from its form (recorded); a wrong check changes nothing.
TEST_P(ProvePagesTest, AContractorsChecksArePerClauseAppendedFromTheFormAndDownloadable) {
  Visitor tanaka = sign_in("tanaka");
  get(tanaka, "/registers");  // seeded
  auto none = get(tanaka, "/registers/contractors/entry/juki_vendor");
  ASSERT_TRUE(none);
  EXPECT_NE(none->body.find("id=\"no-clauses\""), std::string::npos) << none->body;
  ASSERT_EQ(post(tanaka, "/registers/contractors/entry/juki_vendor", {{"f.required_clauses", "秘密保持;再委託の制限"}})->status, 303);
  const auto check = [&](const std::string& on, const std::string& result, const std::string& by) {
    return post(tanaka, "/registers/contractors/entry/juki_vendor/check",
                {{"c.clause", "秘密保持"}, {"c.checked_on", on}, {"c.result", result}, {"c.checked_by", by}, {"c.note", ""}, {"c.next_check", ""}});
  };
  auto first = check("2026-04-01", "pass", "suzuki");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 303) << first->body;
  EXPECT_EQ(first->get_header_value("Location"), "/registers/contractors/entry/juki_vendor?done=rg_checked");
  ASSERT_EQ(check("2026-10-02", "fail", "sato")->status, 303);
  const auto logged = records(*h_->reader_, "register.contract-check");
  ASSERT_EQ(logged.size(), 2u);
  EXPECT_EQ(logged[1]["actor"], "tanaka");
  EXPECT_EQ(testing::detail(logged[1], "checked_by"), "sato");

  auto page = get(tanaka, "/registers/contractors/entry/juki_vendor?done=rg_checked");
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("確認を記録しました。"), std::string::npos);
  const auto newer = page->body.find("<tr data-number=\"2\"><td>2026-10-02</td><td data-result=\"fail\">不適合</td><td>sato</td>");
  const auto older = page->body.find("<tr data-number=\"1\"><td>2026-04-01</td><td data-result=\"pass\">適合</td><td>suzuki</td>");
  ASSERT_NE(newer, std::string::npos) << page->body;
  ASSERT_NE(older, std::string::npos) << page->body;
  EXPECT_LT(newer, older);
  EXPECT_NE(page->body.find("data-clause=\"再委託の制限\""), std::string::npos);

  const auto before = count("SELECT COUNT(*) FROM contractor_checks");
  auto bad_date = check("2026-02-30", "pass", "x");
  ASSERT_TRUE(bad_date);
  EXPECT_EQ(bad_date->status, 400);
  EXPECT_NE(bad_date->body.find("checked_on"), std::string::npos) << bad_date->body;
  auto wrong_clause = post(tanaka, "/registers/contractors/entry/juki_vendor/check",
                           {{"c.clause", "監査権"}, {"c.checked_on", "2026-11-01"}, {"c.result", "pass"}, {"c.checked_by", "x"}});
  EXPECT_EQ(wrong_clause->status, 400);
  auto no_token = post(tanaka, "/registers/contractors/entry/juki_vendor/check",
                       {{"c.clause", "秘密保持"}, {"c.checked_on", "2026-11-01"}, {"c.result", "pass"}, {"c.checked_by", "x"}}, false);
  EXPECT_EQ(no_token->status, 403);
  EXPECT_EQ(count("SELECT COUNT(*) FROM contractor_checks"), before);

  auto csv = get(tanaka, "/registers/contractors/checks.csv");
  ASSERT_TRUE(csv);
  ASSERT_EQ(csv->status, 200);
  EXPECT_NE(csv->body.find("\"juki_vendor\",\"秘密保持\",\"2026-10-02\",\"不適合\",\"sato\""), std::string::npos) << csv->body;
  auto xlsx = get(tanaka, "/registers/contractors/checks.xlsx");
  ASSERT_TRUE(xlsx);
  EXPECT_EQ(xlsx->body.rfind("PK\x03\x04", 0), 0u);
}

TEST_P(ProvePagesTest, ARegisterDownloadsAsCsvForExcelAndAsXlsx) {
  Visitor tanaka = sign_in("tanaka");
  ASSERT_EQ(post(tanaka, "/registers/assets", {{"f.id", "usb-01"}, {"f.name", "USBメモリ"}, {"f.form", "media"}, {"f.owner", "情報政策係"}})->status, 303);
  auto csv = get(tanaka, "/registers/assets/export.csv");
  ASSERT_TRUE(csv);
  ASSERT_EQ(csv->status, 200);
  EXPECT_EQ(csv->body.rfind("\xEF\xBB\xBF", 0), 0u) << "UTF-8 with a BOM, as Excel reads it";
  EXPECT_NE(csv->body.find("識別子"), std::string::npos);
  EXPECT_NE(csv->body.find("\"usb-01\""), std::string::npos);
  EXPECT_NE(csv->get_header_value("Content-Disposition").find("attachment"), std::string::npos);
  auto xlsx = get(tanaka, "/registers/assets/export.xlsx");
  ASSERT_TRUE(xlsx);
  ASSERT_EQ(xlsx->status, 200);
  EXPECT_EQ(xlsx->body.rfind("PK\x03\x04", 0), 0u);
  EXPECT_EQ(get(tanaka, "/registers/assets/export.html")->status, 404);
}

// One assignee per item in the console: the campaign's assignee gives an item to someone of
// [[users]], the page shows who answers each item, and that person answers it while another
// item stays refused to them.
TEST_P(ProvePagesTest, AnItemIsAssignedFromTheCampaignPageAndAnsweredByItsAssignee) {
  const std::string id = create_campaign();
  ASSERT_FALSE(id.empty());
  Visitor tanaka = sign_in("tanaka"), suzuki = sign_in("suzuki");
  auto before = get(suzuki, "/inspect/c/" + id);
  ASSERT_TRUE(before);
  EXPECT_EQ(before->body.find("id=\"answer-form\""), std::string::npos) << "suzuki answers nothing yet";
  EXPECT_EQ(before->body.find("id=\"assign-form\""), std::string::npos);
  auto by_suzuki = post(suzuki, "/inspect/c/" + id + "/assign", {{"item", "physical"}, {"person", "suzuki"}});
  ASSERT_TRUE(by_suzuki);
  EXPECT_EQ(by_suzuki->status, 403);
  auto unknown = post(tanaka, "/inspect/c/" + id + "/assign", {{"item", "physical"}, {"person", "yamamoto"}});
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 400);
  EXPECT_NE(unknown->body.find("inspect.unknown-person"), std::string::npos) << unknown->body;

  auto assigned = post(tanaka, "/inspect/c/" + id + "/assign", {{"item", "physical"}, {"person", "suzuki"}});
  ASSERT_TRUE(assigned);
  ASSERT_EQ(assigned->status, 303) << assigned->body;
  EXPECT_EQ(assigned->get_header_value("Location"), "/inspect/c/" + id + "?done=in_assigned");
  ASSERT_EQ(records(*h_->reader_, "inspect.assign").size(), 1u);
  auto page = get(suzuki, "/inspect/c/" + id);
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("<tr data-item=\"physical\">"), std::string::npos);
  EXPECT_NE(page->body.find("<td class=\"assignee\">suzuki</td>"), std::string::npos) << page->body;
  EXPECT_NE(page->body.find("id=\"answer-form\""), std::string::npos);

  ASSERT_EQ(post(suzuki, "/inspect/c/" + id + "/answer", {{"item", "physical"}, {"answer", "yes"}})->status, 303);
  // Given back to the campaign's assignee (an empty person): suzuki's answer is refused again.
  ASSERT_EQ(post(tanaka, "/inspect/c/" + id + "/assign", {{"item", "physical"}, {"person", ""}})->status, 303);
  auto not_theirs = post(suzuki, "/inspect/c/" + id + "/answer", {{"item", "physical"}, {"answer", "no"}});
  ASSERT_TRUE(not_theirs);
  EXPECT_EQ(not_theirs->status, 403);
  EXPECT_NE(not_theirs->body.find("tanaka"), std::string::npos);
}

TEST_P(ProvePagesTest, ACampaignIsAnsweredWithEvidenceAndSignedOffBySomeoneElseOnly) {
  const std::string id = create_campaign();
  ASSERT_FALSE(id.empty());
  Visitor tanaka = sign_in("tanaka"), suzuki = sign_in("suzuki");
  auto list = get(tanaka, "/inspect");
  ASSERT_TRUE(list);
  EXPECT_NE(list->body.find("href=\"/inspect/c/" + id + "\""), std::string::npos) << list->body;

  auto answered = post(tanaka, "/inspect/c/" + id + "/answer", {{"item", "physical"}, {"answer", "no"}, {"note", "鍵が壊れている"}});
  ASSERT_TRUE(answered);
  ASSERT_EQ(answered->status, 303) << answered->body;
  // Only the assignee answers.
  auto not_theirs = post(suzuki, "/inspect/c/" + id + "/answer", {{"item", "physical"}, {"answer", "yes"}});
  ASSERT_TRUE(not_theirs);
  EXPECT_EQ(not_theirs->status, 403);

  const std::string photo = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(1000, '\x01');
  auto stored = upload(tanaka, id, "physical", "写真/鍵.png", photo);
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->status, 303) << stored->body;
  auto page = get(tanaka, "/inspect/c/" + id);
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find(">鍵.png</a>"), std::string::npos) << "only the name, never the path";
  std::smatch m;
  ASSERT_TRUE(std::regex_search(page->body, m, std::regex("/inspect/c/" + std::regex_replace(id, std::regex("[.]"), "\\.") + "/evidence/([0-9]+)")));
  auto back = get(suzuki, m[0].str());
  ASSERT_TRUE(back);
  ASSERT_EQ(back->status, 200);
  EXPECT_EQ(back->body, photo);

  // The assignee cannot sign their own campaign off; nor can anyone while a finding has no action
  // or an automatic item is unevaluated.
  auto own = post(tanaka, "/inspect/c/" + id + "/signoff", {{"note", "確認"}});
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 403);
  auto early = post(suzuki, "/inspect/c/" + id + "/signoff", {{"note", "確認"}});
  ASSERT_TRUE(early);
  EXPECT_EQ(early->status, 400) << early->body;
  ASSERT_EQ(post(suzuki, "/inspect/c/" + id + "/evaluate", {})->status, 303);
  // Signed at once: the page proves the evaluation from the checkpoint.
  auto evaluated = get(suzuki, "/inspect/c/" + id);
  ASSERT_TRUE(evaluated);
  EXPECT_NE(evaluated->body.find("data-proved=\"yes\""), std::string::npos) << evaluated->body;
  EXPECT_EQ(evaluated->body.find("data-proved=\"no\""), std::string::npos);
  ASSERT_EQ(post(tanaka, "/inspect/c/" + id + "/action", {{"item", "physical"}, {"description", "鍵を交換する"}, {"owner", "kato"}, {"due", "2027-01-31"}})
                ->status,
            303);
  auto signed_off = post(suzuki, "/inspect/c/" + id + "/signoff", {{"note", "確認済み"}});
  ASSERT_TRUE(signed_off);
  ASSERT_EQ(signed_off->status, 303) << signed_off->body;
  auto locked = get(tanaka, "/inspect/c/" + id);
  ASSERT_TRUE(locked);
  EXPECT_NE(locked->body.find("data-state=\"signed-off\""), std::string::npos);
  EXPECT_EQ(locked->body.find("id=\"answer-form\""), std::string::npos);
  auto after = post(tanaka, "/inspect/c/" + id + "/answer", {{"item", "physical"}, {"answer", "yes"}});
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 409);

  auto signoffs = records(*h_->reader_, "inspect.signoff");
  ASSERT_EQ(signoffs.size(), 1u);
  EXPECT_EQ(signoffs[0]["actor"], "suzuki");
  auto report = get(suzuki, "/inspect/c/" + id + "/report.xlsx");
  ASSERT_TRUE(report);
  ASSERT_EQ(report->status, 200);
  EXPECT_EQ(report->body.rfind("PK\x03\x04", 0), 0u);
}

TEST_P(ProvePagesTest, AHostileEvidenceUploadStoresNothing) {
  const std::string id = create_campaign();
  ASSERT_FALSE(id.empty());
  Visitor tanaka = sign_in("tanaka");
  auto no_token = upload(tanaka, id, "physical", "a.txt", "x", false);
  ASSERT_TRUE(no_token);
  EXPECT_EQ(no_token->status, 403);
  // A right-to-left override would show "写真exe.png" for a program.
  auto disguised = upload(tanaka, id, "physical", "写真\xE2\x80\xAEgnp.exe", "MZ");
  ASSERT_TRUE(disguised);
  EXPECT_EQ(disguised->status, 400);
  EXPECT_NE(disguised->body.find("inspect.bad-file-name"), std::string::npos) << disguised->body;
  auto no_item = upload(tanaka, id, "nonexistent", "a.txt", "x");
  ASSERT_TRUE(no_item);
  EXPECT_EQ(no_item->status, 400);
  auto stranger = client_->Post("/inspect/evidence", multipart({{"campaign", id}, {"item", "physical"}}, "a.txt", "x"),
                                ("multipart/form-data; boundary=" + kBoundary).c_str());
  ASSERT_TRUE(stranger);
  EXPECT_EQ(stranger->status, 303);  // to the sign-in page
  EXPECT_EQ(count("SELECT COUNT(*) FROM inspect_evidence"), 0);
}

// The statistics page counts the month's audit entries (Japan time), draws its bars as SVG (no
// script, no inline style: the console's CSP), in Japanese or English, and refuses a bad month.
TEST_P(ProvePagesTest, StatisticsPageCountsTheMonthsAuditEntries) {
  // 2026-11 in Japan: from 2026-10-31T15:00Z to 2026-11-30T15:00Z.
  constexpr std::int64_t kNovember = 1793458800, kDecember = 1796050800;
  {
    auto db = h_->shared_->use();
    const std::pair<std::int64_t, const char*> seeded[] = {
        {kNovember - 1, "sanitized"}, {kNovember, "sanitized"}, {kNovember + 10, "held"}, {kDecember - 1, "clean"}, {kDecember, "clean"}};
    for (const auto& [time, outcome] : seeded) {
      store::AuditEvent e;
      e.time = time;
      e.actor = "milter@gw-test";
      e.action = "mail.gateway";
      e.subject = "<m" + std::to_string(time) + "@example.jp>";
      e.outcome = outcome;
      ASSERT_TRUE(h_->log_->append_now(*db, e));
    }
  }
  Visitor tanaka = sign_in("tanaka");
  auto page = get(tanaka, "/inspect/stats?month=2026-11");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200) << page->body;
  const auto row = page->body.find("id=\"m-mail\"");
  ASSERT_NE(row, std::string::npos) << page->body;
  const std::string mail = page->body.substr(row, page->body.find("</tr>", row) - row);
  EXPECT_NE(mail.find("<td class=\"total\">3</td>"), std::string::npos) << mail;
  EXPECT_NE(mail.find("無害化 1"), std::string::npos) << mail;
  EXPECT_NE(mail.find("保留 1"), std::string::npos) << mail;
  EXPECT_NE(mail.find("問題なし 1"), std::string::npos) << "the month's last second is in it: " << mail;
  EXPECT_NE(mail.find("<svg"), std::string::npos);
  EXPECT_NE(mail.find("<title>2026-10: 1</title>"), std::string::npos) << "the trend shows October's message: " << mail;
  EXPECT_EQ(page->body.find("<script"), std::string::npos);
  EXPECT_EQ(page->body.find("style=\""), std::string::npos);
  EXPECT_NE(page->body.find("href=\"/inspect/stats?month=2026-10\""), std::string::npos);
  EXPECT_NE(page->body.find("href=\"/inspect/stats?month=2026-12\""), std::string::npos);

  auto english = get(tanaka, "/inspect/stats?month=2026-11", "en");
  ASSERT_TRUE(english);
  EXPECT_NE(english->body.find("Mail (gateway)"), std::string::npos);
  EXPECT_NE(english->body.find("sanitized 1"), std::string::npos);

  EXPECT_EQ(get(tanaka, "/inspect/stats?month=2026-13")->status, 400);
  EXPECT_EQ(get(tanaka, "/inspect/stats?month=%3Cscript%3E")->status, 400);
  EXPECT_NE(get(tanaka, "/inspect")->body.find("href=\"/inspect/stats\""), std::string::npos);
  Visitor stranger;
  auto anonymous = get(stranger, "/inspect/stats?month=2026-11");
  ASSERT_TRUE(anonymous);
  EXPECT_NE(anonymous->status, 200);
}

// A campaign created from the console goes through the command line's validation and leaves the
// same inspect.campaign.create record, with the signed-in person as its creator; a refused form
// creates nothing and gives back what was typed.
TEST_P(ProvePagesTest, ACampaignIsCreatedFromTheFormWithItsRecord) {
  Visitor kato = sign_in("kato");
  auto list = get(kato, "/inspect");
  ASSERT_TRUE(list);
  ASSERT_NE(list->body.find("id=\"create-form\""), std::string::npos) << list->body;
  EXPECT_NE(list->body.find("<option value=\"minamata-monthly\""), std::string::npos);
  EXPECT_NE(list->body.find("<option value=\"mayor\""), std::string::npos);
  const httplib::Params form{{"template", "minamata-monthly"}, {"body", "mayor"}, {"period", "2026-11"}, {"assignee", "tanaka"}, {"reviewer", "suzuki"}};

  auto forged = post(kato, "/inspect/create", form, false);
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 403);
  httplib::Params bad_period = form;
  bad_period.erase("period");
  bad_period.emplace("period", "2026-13");
  auto refused = post(kato, "/inspect/create", bad_period);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  EXPECT_NE(refused->body.find("value=\"2026-13\""), std::string::npos) << "the form keeps what was typed";
  EXPECT_NE(refused->body.find("2026-11"), std::string::npos) << "the error says what a period looks like: " << refused->body;
  httplib::Params stranger_body = form;
  stranger_body.erase("body");
  stranger_body.emplace("body", "police");
  EXPECT_EQ(post(kato, "/inspect/create", stranger_body)->status, 400);
  httplib::Params no_template = form;
  no_template.erase("template");
  no_template.emplace("template", "../../etc/passwd");
  EXPECT_EQ(post(kato, "/inspect/create", no_template)->status, 400);
  EXPECT_EQ(count("SELECT COUNT(*) FROM inspect_campaigns"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'inspect.campaign.create'"), 0);

  auto created = post(kato, "/inspect/create", form);
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 303) << created->body;
  EXPECT_EQ(created->get_header_value("Location"), "/inspect/c/minamata-monthly:mayor:2026-11?done=in_created");
  EXPECT_EQ(count("SELECT COUNT(*) FROM inspect_campaigns"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'inspect.campaign.create' AND record LIKE '%\"actor\":\"kato\"%'"), 1);
  auto page = get(kato, "/inspect/c/minamata-monthly:mayor:2026-11?done=in_created");
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("点検を作成しました。"), std::string::npos);
  // The same campaign twice is refused, and still one exists.
  EXPECT_NE(post(kato, "/inspect/create", form)->status, 303);
  EXPECT_EQ(count("SELECT COUNT(*) FROM inspect_campaigns"), 1);
}

// The console's form names a section (課/係): the campaign is that section's, beside the whole
// body's campaign of the same month; the list and the campaign page show it; a hostile section is
// refused with the form refilled and nothing created.
TEST_P(ProvePagesTest, ACampaignOfOneSectionIsCreatedListedAndShown) {
  Visitor kato = sign_in("kato");
  const httplib::Params whole{{"template", "minamata-monthly"}, {"body", "mayor"}, {"period", "2026-11"}, {"assignee", "tanaka"}};
  ASSERT_EQ(post(kato, "/inspect/create", whole)->status, 303);
  httplib::Params section = whole;
  section.emplace("section", "総務課情報政策係");
  auto created = post(kato, "/inspect/create", section);
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 303) << created->body;
  const std::string id = "minamata-monthly:mayor:2026-11:" + inspect::section_key("総務課情報政策係");
  EXPECT_EQ(created->get_header_value("Location"), "/inspect/c/" + id + "?done=in_created");
  auto page = get(kato, "/inspect/c/" + id);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200) << page->body;
  EXPECT_NE(page->body.find("<dd id=\"section\">総務課情報政策係</dd>"), std::string::npos) << page->body;
  auto list = get(kato, "/inspect");
  ASSERT_TRUE(list);
  EXPECT_NE(list->body.find("<td class=\"section\">総務課情報政策係</td>"), std::string::npos) << list->body;
  EXPECT_NE(list->body.find("name=\"section\""), std::string::npos) << "the form asks for the section";
  httplib::Params hostile = whole;
  hostile.erase("period");
  hostile.emplace("period", "2026-12");
  hostile.emplace("section", "総務課\u202E係");
  auto refused = post(kato, "/inspect/create", hostile);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400) << refused->body;
  EXPECT_NE(refused->body.find("inspect.bad-section"), std::string::npos) << refused->body;
  EXPECT_EQ(count("SELECT COUNT(*) FROM inspect_campaigns"), 2);
}

// An incident (6(7)) links to the audit entries and monitor findings it names: numbers become
// links to the audit log and to the finding; other text stays text.
TEST_P(ProvePagesTest, AnIncidentLinksItsAuditEntriesAndMonitorFindings) {
  Visitor tanaka = sign_in("tanaka");
  {
    auto db = h_->shared_->use();
    for (int i = 0; i < 7; ++i) {
      ASSERT_TRUE(db->execute("INSERT INTO monitor_findings (rule, clause, src, dst, dport, proto, src_zone, dst_zone, first_seen, last_seen, "
                              "count, node) VALUES ('r', '6(3)', '10.0.0.1', '10.0.0.2', 445, 'tcp', 'lgwan', 'internet', 1, 1, 1, 'n1')"));
    }
  }
  ASSERT_EQ(count("SELECT COUNT(*) FROM monitor_findings WHERE id = 7"), 1);
  // A link to what does not exist is refused by the form, with the form's error and nothing kept.
  auto dangling = post(tanaka, "/registers/incidents",
                       {{"f.id", "inc-0"}, {"f.title", "存在しない記録"}, {"f.occurred_on", "2026-11-02"}, {"f.severity", "high"}, {"f.state", "open"},
                        {"f.audit_entries", "#999999"}, {"f.monitor_findings", "#8"}});
  ASSERT_TRUE(dangling);
  EXPECT_EQ(dangling->status, 400) << dangling->body;
  EXPECT_NE(dangling->body.find("register.no-such-link"), std::string::npos) << dangling->body;
  EXPECT_EQ(count("SELECT COUNT(*) FROM register_entries WHERE entry_key = 'inc-0'"), 0);
  auto added = post(tanaka, "/registers/incidents",
                    {{"f.id", "inc-1"}, {"f.title", "USBメモリの紛失"}, {"f.occurred_on", "2026-11-02"}, {"f.severity", "high"}, {"f.state", "open"},
                     {"f.audit_entries", "#1; 2"}, {"f.monitor_findings", "7; 外部からの通報"}});
  ASSERT_TRUE(added);
  ASSERT_EQ(added->status, 303) << added->body;
  auto entry = get(tanaka, "/registers/incidents/entry/inc-1");
  ASSERT_TRUE(entry);
  ASSERT_EQ(entry->status, 200);
  EXPECT_NE(entry->body.find("<a href=\"/audit?from=1\" class=\"ref\">#1</a>"), std::string::npos) << entry->body;
  EXPECT_NE(entry->body.find("<a href=\"/audit?from=2\" class=\"ref\">#2</a>"), std::string::npos);
  EXPECT_NE(entry->body.find("<a href=\"/monitor/findings/7\" class=\"ref\">#7</a>"), std::string::npos);
  EXPECT_NE(entry->body.find("外部からの通報"), std::string::npos);
  EXPECT_EQ(entry->body.find("/monitor/findings/外部"), std::string::npos);
}

std::string example_policy_text() {
  std::ifstream in(kExampleDir + "policy.toml");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

constexpr std::string_view kDenyInboundFiles = R"(
[[rules]]
id = "city.no-inbound-files"
from = "internet"
to = "lgwan"
channels = ["file"]
action = "deny"
clause = "6(3)②"
reason = "インターネット接続系からのファイル取込を停止"
)";

// The kept policy versions (clause 8) in the console: each with its hash, who loaded it, when (JST)
// and its policy.version record; the diff between two is `sanso policy diff`'s own computation and
// words, line for line; a hostile or unknown version is refused.
TEST_P(ProvePagesTest, ThePolicyVersionsAndTheDecisionsTheyChangeAreShown) {
  const std::string old_text = example_policy_text(), new_text = old_text + std::string(kDenyInboundFiles);
  const audit::FileVersion v1 = keep_policy(old_text), v2 = keep_policy(new_text);
  ASSERT_EQ(v2.number, v1.number + 1);
  Visitor suzuki = sign_in("suzuki");
  auto page = get(suzuki, "/policy/versions");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200) << page->body;
  for (const auto& v : {v1, v2}) {
    const auto row = page->body.find("data-version=\"" + std::to_string(v.number) + "\"");
    ASSERT_NE(row, std::string::npos) << page->body;
    const std::string tr = page->body.substr(row, page->body.find("</tr>", row) - row);
    EXPECT_NE(tr.find(v.sha256.substr(0, 16)), std::string::npos) << tr;
    EXPECT_NE(tr.find("gw-test"), std::string::npos) << tr;
    EXPECT_NE(tr.find("JST"), std::string::npos) << tr;
    EXPECT_NE(tr.find("href=\"/audit?from=" + std::to_string(v.audit_index) + "\""), std::string::npos) << tr;
  }
  const std::string link = "/policy/diff?old=" + std::to_string(v1.number) + "&amp;new=" + std::to_string(v2.number);
  EXPECT_NE(page->body.find("href=\"" + link + "\""), std::string::npos) << page->body;
  EXPECT_NE(page->body.find("id=\"diff-form\""), std::string::npos);
  EXPECT_EQ(page->body.find("<script"), std::string::npos);

  // What `sanso policy diff @1 @2` prints, computed here the same way.
  const Date today = system_clock().today();
  auto before = policy::CompiledPolicy::compile(*policy::load_checked_policy_text(old_text, "old", today), today);
  auto after = policy::CompiledPolicy::compile(*policy::load_checked_policy_text(new_text, "new", today), today);
  ASSERT_TRUE(before && after);
  const std::string expected = policy::render_diff_text(policy::diff_policies(*before, *after), *before, *after, "ja");
  ASSERT_NE(expected.find("インターネット接続系→LGWAN接続系 ファイル: 無害化 → 拒否（すべて）"), std::string::npos) << expected;
  auto diff = get(suzuki, "/policy/diff?old=" + std::to_string(v1.number) + "&new=" + std::to_string(v2.number));
  ASSERT_TRUE(diff);
  ASSERT_EQ(diff->status, 200) << diff->body;
  std::istringstream lines(expected);
  std::size_t compared = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find_first_of("&<>\"'") != std::string::npos) continue;  // escaped on the page
    EXPECT_NE(diff->body.find(line), std::string::npos) << "missing: " << line << "\n" << diff->body;
    ++compared;
  }
  EXPECT_GT(compared, 0u);
  EXPECT_NE(diff->body.find(v2.sha256.substr(0, 16)), std::string::npos);
  // By a hash prefix, in English.
  auto english = get(suzuki, "/policy/diff?old=@" + v1.sha256.substr(0, 10) + "&new=@" + std::to_string(v2.number), "en");
  ASSERT_TRUE(english);
  ASSERT_EQ(english->status, 200) << english->body;
  EXPECT_NE(english->body.find(": sanitize → deny (all requests)"), std::string::npos) << english->body;

  EXPECT_EQ(get(suzuki, "/policy/diff?old=1&new=99")->status, 404);
  EXPECT_EQ(get(suzuki, "/policy/diff?old=..%2F1&new=2")->status, 400);
  EXPECT_EQ(get(suzuki, "/policy/diff?old=%3Cscript%3E&new=2")->status, 400);
  EXPECT_EQ(get(suzuki, "/policy/diff?new=2")->status, 400);
  // Reached from the registers (the review register) and the inspection.
  EXPECT_NE(get(suzuki, "/registers")->body.find("href=\"/policy/versions\""), std::string::npos);
  EXPECT_NE(get(suzuki, "/registers/reviews")->body.find("href=\"/policy/versions\""), std::string::npos);
  EXPECT_NE(get(suzuki, "/inspect")->body.find("href=\"/policy/versions\""), std::string::npos);
  Visitor stranger;
  auto anonymous = get(stranger, "/policy/versions");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 303);
}

// The training audience (6(5)) from the directory in the console, as `sanso register audience`
// counts it: without training groups, and with the directory down, the page says so; against a
// real slapd, who of the groups' members attended (since a date) and who did not.
TEST_P(ProvePagesTest, TheTrainingAudienceComesFromTheDirectory) {
  Visitor tanaka = sign_in("tanaka");
  auto none = get(tanaka, "/registers/training/audience");
  ASSERT_TRUE(none);
  ASSERT_EQ(none->status, 200) << none->body;
  EXPECT_NE(none->body.find("id=\"audience-problem\""), std::string::npos) << none->body;
  EXPECT_NE(none->body.find("training_groups"), std::string::npos);
  EXPECT_EQ(none->body.find("id=\"audience-summary\""), std::string::npos);
  EXPECT_NE(get(tanaka, "/registers/training")->body.find("href=\"/registers/training/audience\""), std::string::npos);
  EXPECT_EQ(get(tanaka, "/registers/training/audience?since=2026-13-01")->status, 400);

  sanso::testing::SlapdServer slapd("/tmp/sanso-slapd-prove-" + std::to_string(::getpid()), sanso::testing::kCityDirectory);
  if (!slapd.available()) GTEST_SKIP() << "slapd or openssl is not installed (scripts/install-deps.sh installs them)";
  const std::string secret = (std::filesystem::path(slapd.ca_file()).parent_path() / "lookup.secret").string();
  std::ofstream(secret) << "tanaka-pass\n";
  directory::Settings& ds = h_->config_.directory;
  ds.uri = slapd.ldap_uri();
  ds.transport = directory::Transport::kStartTls;
  ds.ca_file = slapd.ca_file();
  ds.bind_template = "uid={user},ou=people,dc=city,dc=example";
  ds.base_dn = "dc=city,dc=example";
  ds.lookup_bind = "uid=tanaka,ou=people,dc=city,dc=example";
  ds.lookup_password_file = secret;
  ds.timeout = std::chrono::milliseconds(3000);
  ds.training_groups = {"cn=security-managers,ou=groups,dc=city,dc=example"};  // holds jouhou: tanaka and both

  ASSERT_EQ(post(tanaka, "/registers/training",
                 {{"f.id", "t1"}, {"f.person", "Tanaka"}, {"f.course", "情報セキュリティ研修"}, {"f.kind", "training"}, {"f.date", "2026-06-01"}})
                ->status,
            303);
  auto counted = get(tanaka, "/registers/training/audience");
  ASSERT_TRUE(counted);
  ASSERT_EQ(counted->status, 200) << counted->body;
  const auto missing = counted->body.find("id=\"missing\""), attended = counted->body.find("id=\"attended\"");
  ASSERT_NE(missing, std::string::npos) << counted->body;
  ASSERT_NE(attended, std::string::npos);
  const std::string missing_table = counted->body.substr(missing, attended - missing), attended_table = counted->body.substr(attended);
  EXPECT_NE(attended_table.find("data-person=\"tanaka\""), std::string::npos) << counted->body;
  EXPECT_NE(attended_table.find("田中 一郎"), std::string::npos);
  EXPECT_NE(missing_table.find("data-person=\"both\""), std::string::npos) << counted->body;
  EXPECT_EQ(missing_table.find("data-person=\"tanaka\""), std::string::npos);

  auto later = get(tanaka, "/registers/training/audience?since=2026-07-01&course=%E6%83%85%E5%A0%B1%E3%82%BB%E3%82%AD%E3%83%A5%E3%83%AA%E3%83%86%E3%82%A3%E7%A0%94%E4%BF%AE");
  ASSERT_TRUE(later);
  ASSERT_EQ(later->status, 200);
  const auto later_missing = later->body.find("id=\"missing\""), later_attended = later->body.find("id=\"attended\"");
  ASSERT_NE(later_attended, std::string::npos);
  EXPECT_NE(later->body.substr(later_missing, later_attended - later_missing).find("data-person=\"tanaka\""), std::string::npos)
      << "training before the date does not count: " << later->body;
  EXPECT_NE(later->body.find("value=\"情報セキュリティ研修\""), std::string::npos);

  auto english = get(tanaka, "/registers/training/audience", "en");
  ASSERT_TRUE(english);
  EXPECT_NE(english->body.find("Not attended"), std::string::npos);

  slapd.stop();
  auto down = get(tanaka, "/registers/training/audience");
  ASSERT_TRUE(down);
  EXPECT_EQ(down->status, 503);
  EXPECT_NE(down->body.find("ディレクトリに問い合わせられない"), std::string::npos) << down->body;
  EXPECT_EQ(down->body.find("id=\"audience-summary\""), std::string::npos);
}

// The printed report through the console: Chromium in the converter sandbox prints the campaign,
// served as a PDF download whose text reads back; nobody without the inspection permission, and
// nobody signed out, receives it. The same narrowed permissions decide the other new pages.
TEST_P(ProvePagesTest, ThePdfReportDownloadsOnlyToWhoMaySeeTheInspection) {
  const std::string id = create_campaign();
  ASSERT_FALSE(id.empty());
  {
    Visitor tanaka = sign_in("tanaka");
    ASSERT_EQ(post(tanaka, "/inspect/c/" + id + "/answer", {{"item", "physical"}, {"answer", "no"}, {"note", "鍵が壊れている"}})->status, 303);
  }
  narrowed_ = std::make_unique<config::ServiceConfig>(h_->config_);
  narrowed_->web.permissions = {{"registers", {"security_manager"}}, {"inspection", {"general_security_officer"}}, {"audit", {"system_admin"}}};
  narrowed_accounts_ = h_->make_accounts(*narrowed_);
  ASSERT_NE(narrowed_accounts_, nullptr);
  start_console(*narrowed_accounts_, *narrowed_);
  const std::string path = "/inspect/c/" + id + "/report.pdf";
  Visitor tanaka = sign_in("tanaka"), suzuki = sign_in("suzuki"), kato = sign_in("kato"), stranger;

  auto refused = get(tanaka, path);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_EQ(refused->body.rfind("%PDF", 0), std::string::npos);
  auto anonymous = get(stranger, path);
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 303);
  EXPECT_EQ(anonymous->body.rfind("%PDF", 0), std::string::npos);
  EXPECT_EQ(get(kato, path)->status, 403);
  // The policy's versions: registers or inspection; the audience: registers.
  EXPECT_EQ(get(tanaka, "/policy/versions")->status, 200);
  EXPECT_EQ(get(suzuki, "/policy/versions")->status, 200);
  EXPECT_EQ(get(kato, "/policy/versions")->status, 403);
  EXPECT_EQ(get(kato, "/policy/diff?old=1&new=2")->status, 403);
  EXPECT_EQ(get(tanaka, "/registers/training/audience")->status, 200);
  EXPECT_EQ(get(suzuki, "/registers/training/audience")->status, 403);

  const config::ServiceConfig defaults;
  if (::access(defaults.cdr.chromium.c_str(), X_OK) != 0) GTEST_SKIP() << defaults.cdr.chromium << " is not installed (Debian package chromium)";
  if (::access(sanso::testing::kPdfToText, X_OK) != 0) GTEST_SKIP() << "pdftotext is not installed (Debian package poppler-utils)";
  auto pdf = get(suzuki, path);
  ASSERT_TRUE(pdf);
  ASSERT_EQ(pdf->status, 200) << pdf->body.substr(0, 2000);
  EXPECT_EQ(pdf->get_header_value("Content-Type"), "application/pdf");
  EXPECT_NE(pdf->get_header_value("Content-Disposition").find("attachment"), std::string::npos);
  ASSERT_EQ(pdf->body.rfind("%PDF", 0), 0u);
  const std::filesystem::path file = h_->store_.dir() / "report.pdf";
  std::ofstream(file, std::ios::binary) << pdf->body;
  const std::string text = sanso::testing::pdf_text(file);
  EXPECT_NE(text.find("点検表"), std::string::npos) << text;
  EXPECT_NE(text.find("月次点検"), std::string::npos) << text;
  EXPECT_NE(text.find("鍵が壊れている"), std::string::npos) << "the answer's note is printed: " << text;
  EXPECT_NE(text.find(id), std::string::npos) << text;
}

INSTANTIATE_TEST_SUITE_P(Backends, ProvePagesTest, ::testing::ValuesIn(sanso::testing::test_backends()), sanso::testing::backend_name);

}  // namespace
}  // namespace sanso::web
