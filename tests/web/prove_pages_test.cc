// The registers' and the self-inspection's pages over HTTP on a real console, store, audit log and
// the example city's policy, on both backends: a form changes a register only through the same
// typed validation and audit record as the CLI, a hostile form changes nothing, and a campaign
// goes from answers and evidence to a sign-off that only someone else can give.
#include <httplib.h>

#include <regex>

#include <gtest/gtest.h>

#include "inspect/campaign.h"
#include "audit/note.h"
#include "inspect/template.h"
#include "policy/check.h"
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
    ConsoleOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.node = "gw-test";
    ConsoleServices services{*h_->accounts_, *quarantine_, *h_->shared_, h_->config_,
                             [](const quarantine::Item&, const std::string&, const quarantine::Actor&) -> Result<std::string> {
                               return make_error("test.delivery", "", "not used here");
                             }};
    auto key = audit::generate_signing_key("test/audit");
    ASSERT_TRUE(key);
    key_ = *key;
    services.proof = {h_->log_.get(), policy_.get(), std::string(64, '0'), &key_};
    auto console = Console::start(options, services);
    ASSERT_TRUE(console) << console.error().to_string();
    console_ = std::move(console).value();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", console_->port());
    client_->set_read_timeout(60, 0);
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

INSTANTIATE_TEST_SUITE_P(Backends, ProvePagesTest, ::testing::ValuesIn(sanso::testing::test_backends()), sanso::testing::backend_name);

}  // namespace
}  // namespace sanso::web
