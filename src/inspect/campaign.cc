#include "inspect/campaign.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <set>

#include <nlohmann/json.hpp>

#include "core/digest.h"
#include "core/text.h"

namespace sanso::inspect {
namespace {

constexpr std::int64_t kJstOffset = 9 * 3600;
constexpr std::size_t kMaxNameBytes = 128;
constexpr std::size_t kMaxNoteBytes = 4000;

constexpr const char* kCampaignColumns =
    "id, body, template_id, template_title, template_sha256, items, period, period_label, period_start, period_end, "
    "assignee, reviewer, created_by, created_at, state, signed_by, signed_at, signoff_note, section";
constexpr const char* kActionColumns =
    "id, body, campaign, item, clause, finding, description, owner, due, created_by, state, closed_in, closed_by, closing_note, section, "
    "template_id";

bool has_control(std::string_view text, bool allow_newline) {
  return std::any_of(text.begin(), text.end(), [&](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && !(allow_newline && (c == '\n' || c == '\t'))) || u == 0x7f;
  });
}

// People are named by the configuration's account names; an empty or invisible name would make
// "someone else" meaningless.
Result<void> check_name(std::string_view what, const std::string& name) {
  if (name.empty()) return make_error("inspect.bad-name", std::string(what), std::string(what) + " must name a person");
  if (name.size() > kMaxNameBytes || !is_valid_utf8(name) || has_control(name, false) || name.find_first_not_of(' ') == std::string::npos) {
    return make_error("inspect.bad-name", std::string(what),
                      std::string(what) + " is not a usable name (UTF-8, no control characters, at most 128 bytes)");
  }
  return ok();
}

Result<void> check_note(std::string_view what, const std::string& note) {
  if (note.size() > kMaxNoteBytes || !is_valid_utf8(note) || has_control(note, true)) {
    return make_error("inspect.bad-text", std::string(what),
                      std::string(what) + " must be UTF-8 text without control characters, at most 4000 bytes");
  }
  return ok();
}

// A section is shown in lists, forms and printed reports and keys the carry-over of actions: one
// visible line of text, no control, bidirectional or invisible characters that would make two
// sections look alike, at most 64 characters' worth of UTF-8.
constexpr std::size_t kMaxSectionBytes = 192;

Result<void> check_section(const std::string& section) {
  if (section.empty()) return ok();
  if (section.size() > kMaxSectionBytes || !is_valid_utf8(section)) {
    return make_error("inspect.bad-section", visible_text(section.substr(0, 64)),
                      "a section (課/係) is UTF-8 text of at most " + std::to_string(kMaxSectionBytes) + " bytes (about 64 characters); this one has " +
                          std::to_string(section.size()) + " bytes");
  }
  if (visible_text(section) != section || has_control(section, false)) {
    return make_error("inspect.bad-section", visible_text(section),
                      "a section (課/係) must be one line of visible text: no control, bidirectional or invisible characters");
  }
  if (section.find_first_not_of(' ') == std::string::npos || section.front() == ' ' || section.back() == ' ') {
    return make_error("inspect.bad-section", section, "a section (課/係) does not begin or end with a space; leave it empty for the whole body");
  }
  return ok();
}

// One person under two spellings ("Tanaka", "tanaka") is still one person.
bool same_person(std::string_view a, std::string_view b) { return ascii_lower(a) == ascii_lower(b); }

std::string items_json(const std::vector<Item>& items) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& item : items) {
    j.push_back({{"id", item.id}, {"clause", item.clause}, {"question", item.question.ja}, {"question_en", item.question.en},
                 {"kind", item.kind == ItemKind::kManual ? "manual" : "automatic"}, {"check", item.check}});
  }
  return j.dump();
}

Result<std::vector<Item>> parse_items(const std::string& text, const std::string& campaign) {
  std::vector<Item> items;
  try {
    for (const auto& j : nlohmann::json::parse(text)) {
      Item item;
      item.id = j.at("id").get<std::string>();
      item.clause = j.at("clause").get<std::string>();
      item.question.ja = j.at("question").get<std::string>();
      item.question.en = j.at("question_en").get<std::string>();
      item.kind = j.at("kind").get<std::string>() == "manual" ? ItemKind::kManual : ItemKind::kAutomatic;
      item.check = j.at("check").get<std::string>();
      items.push_back(std::move(item));
    }
  } catch (const std::exception& e) {
    return make_error("inspect.corrupt", campaign, std::string("the campaign's items in the store do not parse: ") + e.what());
  }
  return items;
}

Result<Campaign> campaign_from(const store::Row& row) {
  Campaign c;
  c.id = row.text(0);
  c.body = row.text(1);
  c.template_id = row.text(2);
  c.template_title = row.text(3);
  c.template_sha256 = row.text(4);
  c.items = SANSO_TRY(parse_items(row.text(5), c.id));
  c.period = row.text(6) == "annual" ? Period::kAnnual : Period::kMonthly;
  c.period_label = row.text(7);
  c.period_start = row.integer(8);
  c.period_end = row.integer(9);
  c.assignee = row.text(10);
  c.reviewer = row.text(11);
  c.created_by = row.text(12);
  c.created_at = row.integer(13);
  c.state = row.text(14) == "open" ? CampaignState::kOpen : CampaignState::kSignedOff;
  c.signed_by = row.text(15);
  c.signed_at = row.integer(16);
  c.signoff_note = row.text(17);
  c.section = row.text(18);
  return c;
}

CorrectiveAction action_from(const store::Row& row) {
  CorrectiveAction a;
  a.id = row.integer(0);
  a.body = row.text(1);
  a.campaign = row.text(2);
  a.item = row.text(3);
  a.clause = row.text(4);
  a.finding = row.text(5);
  a.description = row.text(6);
  a.owner = row.text(7);
  a.due = Date::parse(row.text(8)).value_or(Date{});
  a.created_by = row.text(9);
  a.state = row.text(10) == "open" ? ActionState::kOpen : ActionState::kClosed;
  a.closed_in = row.text(11);
  a.closed_by = row.text(12);
  a.closing_note = row.text(13);
  a.section = row.text(14);
  a.template_id = row.text(15);
  return a;
}

std::optional<int> digits(std::string_view text) {
  if (text.empty() || text.size() > 4) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::int64_t jst_midnight(int year, int month) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = 1;
  return static_cast<std::int64_t>(timegm(&tm)) - kJstOffset;
}

}  // namespace

std::string section_key(std::string_view section) { return section.empty() ? std::string() : sha256_hex(section).substr(0, 12); }

std::string body_and_section(std::string_view body_name, std::string_view section) {
  return section.empty() ? std::string(body_name) : std::string(body_name) + " " + std::string(section);
}

std::string_view to_string(CampaignState state) { return state == CampaignState::kOpen ? "open" : "signed-off"; }

std::string_view to_string(Answer answer) {
  switch (answer) {
    case Answer::kYes: return "yes";
    case Answer::kNo: return "no";
    case Answer::kNotApplicable: return "na";
  }
  return "";
}

std::string_view label_ja(Answer answer) {
  switch (answer) {
    case Answer::kYes: return "はい";
    case Answer::kNo: return "いいえ";
    case Answer::kNotApplicable: return "該当なし";
  }
  return "";
}

Result<Answer> parse_answer(std::string_view text) {
  if (text == "yes") return Answer::kYes;
  if (text == "no") return Answer::kNo;
  if (text == "na") return Answer::kNotApplicable;
  return make_error("inspect.bad-answer", "answer", "answer '" + std::string(text) + "' is not one of yes, no, na");
}

const Item* Campaign::find_item(std::string_view item_id) const {
  for (const auto& item : items) {
    if (item.id == item_id) return &item;
  }
  return nullptr;
}

Result<std::pair<std::int64_t, std::int64_t>> period_bounds(Period period, std::string_view label) {
  if (period == Period::kMonthly) {
    const auto year = label.size() == 7 && label[4] == '-' ? digits(label.substr(0, 4)) : std::nullopt;
    const auto month = year ? digits(label.substr(5, 2)) : std::nullopt;
    if (!year || !month || *year < 2000 || *month < 1 || *month > 12) {
      return make_error("inspect.bad-period", std::string(label), "a monthly campaign's period is a month like 2026-11");
    }
    const int next_year = *month == 12 ? *year + 1 : *year;
    const int next_month = *month == 12 ? 1 : *month + 1;
    return std::pair{jst_midnight(*year, *month), jst_midnight(next_year, next_month)};
  }
  const auto year = label.size() == 4 ? digits(label) : std::nullopt;
  if (!year || *year < 2000) {
    return make_error("inspect.bad-period", std::string(label),
                      "an annual campaign's period is a fiscal year like 2026 (2026年度: April 2026 to March 2027)");
  }
  return std::pair{jst_midnight(*year, 4), jst_midnight(*year + 1, 4)};
}

std::int64_t Campaigns::now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
}

Result<void> Campaigns::record(const std::string& actor, const std::string& action, const std::string& subject,
                               const std::string& outcome, const std::string& clause,
                               std::vector<std::pair<std::string, std::string>> details) {
  store::AuditEvent event;
  event.time = now();
  event.actor = actor;
  event.action = action;
  event.subject = subject;
  event.outcome = outcome;
  event.clause = clause;
  event.details = std::move(details);
  return audit_.append(db_, event);
}

Result<Campaign> Campaigns::create(const Template& checklist, const policy::Policy& policy, const NewCampaign& request,
                                   const std::string& actor) {
  SANSO_TRY(check_name("the creator", actor));
  SANSO_TRY(check_name("the assignee", request.assignee));
  if (!request.reviewer.empty()) {
    SANSO_TRY(check_name("the reviewer", request.reviewer));
    if (same_person(request.reviewer, request.assignee)) {
      return make_error("inspect.same-person", request.reviewer, "the reviewer must be someone other than the assignee");
    }
  }
  if (!policy.find_body(request.body)) {
    std::string known;
    for (const auto& b : policy.bodies) known += (known.empty() ? "" : ", ") + b.id + " (" + b.name.ja + ")";
    return make_error("inspect.unknown-body", request.body,
                      "'" + request.body + "' is not a body of the policy (4(1)); the bodies are: " + known);
  }
  SANSO_TRY(check_section(request.section));
  const auto [start, end] = SANSO_TRY(period_bounds(checklist.period, request.period_label));
  Campaign c;
  c.id = checklist.id + ":" + request.body + ":" + request.period_label + (request.section.empty() ? "" : ":" + section_key(request.section));
  c.body = request.body;
  c.section = request.section;
  c.template_id = checklist.id;
  c.template_title = checklist.title.ja;
  c.template_sha256 = sha256_hex(items_json(checklist.items));
  c.items = checklist.items;
  c.period = checklist.period;
  c.period_label = request.period_label;
  c.period_start = start;
  c.period_end = end;
  c.assignee = request.assignee;
  c.reviewer = request.reviewer;
  c.created_by = actor;
  c.created_at = now();

  auto tx = SANSO_TRY(store::Transaction::begin(db_));
  if (SANSO_TRY(db_.query_one("SELECT 1 FROM inspect_campaigns WHERE id = ? OR (template_id = ? AND body = ? AND section = ? AND period_label = ?)",
                              {c.id, c.template_id, c.body, c.section, c.period_label}))) {
    return make_error("inspect.exists", c.id,
                      c.section.empty() ? "there is already a campaign of this template for this body and period"
                                        : "there is already a campaign of this template for this body, section (" + c.section + ") and period");
  }
  SANSO_TRY(db_.execute(
      "INSERT INTO inspect_campaigns (id, body, template_id, template_title, template_sha256, items, period, period_label, "
      "period_start, period_end, assignee, reviewer, created_by, created_at, section) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {c.id, c.body, c.template_id, c.template_title, c.template_sha256, items_json(c.items), std::string(to_string(c.period)),
       c.period_label, start, end, c.assignee, c.reviewer, actor, c.created_at, c.section}));
  std::vector<std::pair<std::string, std::string>> details = {{"body", c.body}, {"template", c.template_id}, {"template_sha256", c.template_sha256},
                                                              {"period", c.period_label}, {"assignee", c.assignee}, {"reviewer", c.reviewer}};
  if (!c.section.empty()) details.emplace_back("section", c.section);
  SANSO_TRY(record(actor, "inspect.campaign.create", c.id, "ok", "7", std::move(details)));
  SANSO_TRY(tx.commit());
  return c;
}

Result<Campaign> Campaigns::get(const std::string& id) {
  auto row = SANSO_TRY(db_.query_one(std::string("SELECT ") + kCampaignColumns + " FROM inspect_campaigns WHERE id = ?", {id}));
  if (!row) return make_error("inspect.no-campaign", id, "there is no campaign '" + id + "' (see `sanso inspect campaign list`)");
  return campaign_from(*row);
}

Result<std::vector<Campaign>> Campaigns::list(const std::string& body_filter) {
  auto rows = SANSO_TRY(body_filter.empty()
                            ? db_.query(std::string("SELECT ") + kCampaignColumns + " FROM inspect_campaigns ORDER BY created_at, id")
                            : db_.query(std::string("SELECT ") + kCampaignColumns +
                                            " FROM inspect_campaigns WHERE body = ? ORDER BY created_at, id",
                                        {body_filter}));
  std::vector<Campaign> out;
  for (const auto& row : rows) out.push_back(SANSO_TRY(campaign_from(row)));
  return out;
}

// Inside a transaction: takes the campaign's row for this transaction (PostgreSQL holds the row
// lock until commit, so a sign-off cannot slip between this check and the change) and refuses a
// campaign that is signed off.
Result<Campaign> Campaigns::open_for_change(const std::string& campaign_id) {
  const auto touched = SANSO_TRY(db_.execute("UPDATE inspect_campaigns SET state = state WHERE id = ? AND state = 'open'", {campaign_id}));
  Campaign c = SANSO_TRY(get(campaign_id));
  if (touched == 0 || c.state != CampaignState::kOpen) {
    return make_error("inspect.locked", campaign_id,
                      "the campaign was signed off by " + c.signed_by + " on " + local_time(c.signed_at) +
                          " and is locked; changes go into the next campaign");
  }
  return c;
}

Result<void> Campaigns::answer(const std::string& campaign_id, const std::string& item_id, Answer answer, const std::string& note,
                               const std::string& actor, const std::string& account, bool inspector) {
  SANSO_TRY(check_name("the person answering", actor));
  SANSO_TRY(check_note("the note", note));
  auto tx = SANSO_TRY(store::Transaction::begin(db_));
  const Campaign c = SANSO_TRY(open_for_change(campaign_id));
  const Item* item = c.find_item(item_id);
  if (!item) return make_error("inspect.no-item", campaign_id, "the campaign has no item '" + item_id + "'");
  if (item->kind != ItemKind::kManual) {
    return make_error("inspect.automatic-item", campaign_id + " " + item_id,
                      "item '" + item_id + "' is answered by Sanso from its records: run `sanso inspect evaluate " + campaign_id + "`");
  }
  const std::string answerer = Campaigns::answerer(c, SANSO_TRY(item_assignees(campaign_id)), item_id);
  if (!same_person(actor, answerer) && !inspector) {
    return make_error("inspect.not-assignee", campaign_id + " " + item_id,
                      actor + " is not assigned to item '" + item_id + "'; " + answerer +
                          " answers it (or an inspector) / この項目の担当は " + answerer + " です");
  }
  if (answer == Answer::kNotApplicable && note.find_first_not_of(" \n\t") == std::string::npos) {
    return make_error("inspect.note-required", campaign_id + " " + item_id, "an answer 'na' needs a note saying why the item does not apply");
  }
  SANSO_TRY(db_.execute("DELETE FROM inspect_answers WHERE campaign = ? AND item = ?", {campaign_id, item_id}));
  SANSO_TRY(db_.execute(
      "INSERT INTO inspect_answers (campaign, item, answer, note, answered_by, answered_account, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      {campaign_id, item_id, std::string(to_string(answer)), note, actor, account, now()}));
  std::vector<std::pair<std::string, std::string>> details = {{"item", item_id}, {"note_sha256", sha256_hex(note)}};
  if (!account.empty()) details.emplace_back("account", account);
  SANSO_TRY(record(actor, "inspect.answer", campaign_id, std::string(to_string(answer)), item->clause, std::move(details)));
  return tx.commit();
}

Result<void> Campaigns::assign(const std::string& campaign_id, const std::string& item_id, const std::string& person,
                               const std::vector<std::string>& people, const std::string& actor, bool inspector) {
  SANSO_TRY(check_name("who assigns", actor));
  auto tx = SANSO_TRY(store::Transaction::begin(db_));
  const Campaign c = SANSO_TRY(open_for_change(campaign_id));
  const Item* item = c.find_item(item_id);
  if (!item) return make_error("inspect.no-item", campaign_id, "the campaign has no item '" + visible_text(item_id) + "'");
  if (item->kind != ItemKind::kManual) {
    return make_error("inspect.automatic-item", campaign_id + " " + item_id, "item '" + item_id + "' is answered by Sanso from its records; nobody is assigned to it");
  }
  if (!inspector && !same_person(actor, c.assignee) && !same_person(actor, c.created_by)) {
    return make_error("inspect.not-assignee", campaign_id,
                      actor + " may not assign items: the campaign's assignee (" + c.assignee + "), its creator or an inspector does");
  }
  std::string name;
  if (!person.empty()) {
    const auto known = std::find_if(people.begin(), people.end(), [&](const std::string& p) { return same_person(p, person); });
    if (known == people.end()) {
      return make_error("inspect.unknown-person", campaign_id + " " + item_id,
                        "'" + visible_text(person) + "' is not a person of [[users]] in sanso.toml; an item is assigned to a named user");
    }
    name = *known;
  }
  SANSO_TRY(db_.execute("DELETE FROM inspect_item_assignees WHERE campaign = ? AND item = ?", {campaign_id, item_id}));
  if (!name.empty() && !same_person(name, c.assignee)) {
    SANSO_TRY(db_.execute("INSERT INTO inspect_item_assignees (campaign, item, assignee, assigned_by, assigned_at) VALUES (?, ?, ?, ?, ?)",
                          {campaign_id, item_id, name, actor, now()}));
  }
  SANSO_TRY(record(actor, "inspect.assign", campaign_id, "ok", item->clause,
                   {{"item", item_id}, {"assignee", name.empty() ? c.assignee : name}}));
  return tx.commit();
}

Result<std::map<std::string, std::string>> Campaigns::item_assignees(const std::string& campaign_id) {
  std::map<std::string, std::string> out;
  for (const auto& row : SANSO_TRY(db_.query("SELECT item, assignee FROM inspect_item_assignees WHERE campaign = ?", {campaign_id}))) {
    out[row.text(0)] = row.text(1);
  }
  return out;
}

std::string Campaigns::answerer(const Campaign& c, const std::map<std::string, std::string>& assignees, const std::string& item_id) {
  auto it = assignees.find(item_id);
  return it != assignees.end() ? it->second : c.assignee;
}

Result<std::vector<AnswerRecord>> Campaigns::answers(const std::string& campaign_id) {
  auto rows = SANSO_TRY(db_.query(
      "SELECT item, answer, note, answered_by, answered_at, answered_account FROM inspect_answers WHERE campaign = ? ORDER BY item", {campaign_id}));
  std::vector<AnswerRecord> out;
  for (const auto& row : rows) {
    AnswerRecord a;
    a.item = row.text(0);
    a.answer = SANSO_TRY(parse_answer(row.text(1)));
    a.note = row.text(2);
    a.answered_by = row.text(3);
    a.answered_at = row.integer(4);
    a.answered_account = row.text(5);
    out.push_back(std::move(a));
  }
  return out;
}

Result<Evidence> Campaigns::add_evidence(const std::string& campaign_id, const std::string& item_id, const std::string& file_name,
                                         const std::string& content, const std::string& actor) {
  SANSO_TRY(check_name("the person adding evidence", actor));
  // Only the name is kept, never a path: it is shown and used as a download name, so nothing in it
  // may make it read as another in the report (a right-to-left override turns "出席簿\u202Efdp.exe"
  // into "出席簿exe.pdf" on screen; zero-width and other invisible characters hide).
  if (file_name.empty() || file_name.size() > 255 || !is_valid_utf8(file_name) || visible_text(file_name) != file_name ||
      file_name.find('/') != std::string::npos || file_name.find('\\') != std::string::npos || file_name == "." || file_name == "..") {
    return make_error("inspect.bad-file-name", visible_text(file_name),
                      "an evidence file's name must be a plain UTF-8 file name (no path, no control, bidirectional or invisible characters, "
                      "at most 255 bytes)");
  }
  if (content.size() > kMaxEvidenceBytes) {
    return make_error("inspect.too-large", file_name,
                      "the file has " + human_size(content.size()) + "; evidence files are at most " + human_size(kMaxEvidenceBytes));
  }
  auto tx = SANSO_TRY(store::Transaction::begin(db_));
  const Campaign c = SANSO_TRY(open_for_change(campaign_id));
  const Item* item = c.find_item(item_id);
  if (!item) return make_error("inspect.no-item", campaign_id, "the campaign has no item '" + item_id + "'");
  Evidence e;
  e.item = item_id;
  e.file_name = file_name;
  e.sha256 = sha256_hex(content);
  e.size = static_cast<std::int64_t>(content.size());
  e.added_by = actor;
  e.added_at = now();
  SANSO_TRY(db_.execute("INSERT INTO inspect_evidence (campaign, item, file_name, sha256, size, content, added_by, added_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        {campaign_id, item_id, file_name, e.sha256, e.size, store::Bytes{content}, actor, e.added_at}));
  auto id = SANSO_TRY(db_.query_one("SELECT MAX(id) FROM inspect_evidence WHERE campaign = ? AND sha256 = ?", {campaign_id, e.sha256}));
  e.id = id ? id->integer(0) : 0;
  SANSO_TRY(record(actor, "inspect.evidence.add", campaign_id, "ok", item->clause,
                   {{"item", item_id}, {"evidence", std::to_string(e.id)}, {"file_name", file_name}, {"sha256", e.sha256},
                    {"size", std::to_string(e.size)}}));
  SANSO_TRY(tx.commit());
  return e;
}

Result<std::vector<Evidence>> Campaigns::evidence(const std::string& campaign_id) {
  auto rows = SANSO_TRY(db_.query("SELECT id, item, file_name, sha256, size, added_by, added_at FROM inspect_evidence WHERE campaign = ? ORDER BY id",
                                  {campaign_id}));
  std::vector<Evidence> out;
  for (const auto& row : rows) {
    out.push_back({row.integer(0), row.text(1), row.text(2), row.text(3), row.integer(4), row.text(5), row.integer(6)});
  }
  return out;
}

Result<std::string> Campaigns::evidence_content(const std::string& campaign_id, std::int64_t evidence_id) {
  auto row = SANSO_TRY(db_.query_one("SELECT sha256, content, file_name FROM inspect_evidence WHERE campaign = ? AND id = ?",
                                     {campaign_id, evidence_id}));
  if (!row) return make_error("inspect.no-evidence", campaign_id, "the campaign has no evidence file " + std::to_string(evidence_id));
  std::string content = row->bytes(1);
  if (sha256_hex(content) != row->text(0)) {
    return make_error("inspect.evidence-damaged", campaign_id + " evidence " + std::to_string(evidence_id),
                      "the stored file '" + row->text(2) + "' no longer matches the SHA-256 recorded when it was added (" + row->text(0) +
                          "); restore the store from a backup");
  }
  return content;
}

Result<std::uint64_t> Campaigns::store_results(const std::string& campaign_id, std::vector<AutomaticResult>& results,
                                               const store::AuditEvent& evaluation) {
  auto tx = SANSO_TRY(store::Transaction::begin(db_));
  const Campaign c = SANSO_TRY(open_for_change(campaign_id));
  for (const auto& r : results) {
    const Item* item = c.find_item(r.item);
    if (!item || item->kind != ItemKind::kAutomatic || item->check != r.check) {
      return make_error("inspect.no-item", campaign_id, "the campaign has no automatic item '" + r.item + "' for check '" + r.check + "'");
    }
  }
  const std::uint64_t index = SANSO_TRY(audit_.append_batch(db_, std::span<const store::AuditEvent>(&evaluation, 1)));
  for (auto& r : results) {
    r.audit_index = index;
    nlohmann::json evidence = r.evidence;
    SANSO_TRY(db_.execute("DELETE FROM inspect_results WHERE campaign = ? AND item = ?", {campaign_id, r.item}));
    SANSO_TRY(db_.execute("INSERT INTO inspect_results (campaign, item, check_id, passed, summary, evidence, audit_index, evaluated_at) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                          {campaign_id, r.item, r.check, std::int64_t{r.passed ? 1 : 0}, r.summary, evidence.dump(),
                           static_cast<std::int64_t>(index), r.evaluated_at}));
  }
  SANSO_TRY(tx.commit());
  return index;
}

Result<std::vector<AutomaticResult>> Campaigns::results(const std::string& campaign_id) {
  auto rows = SANSO_TRY(db_.query("SELECT item, check_id, passed, summary, evidence, audit_index, evaluated_at FROM inspect_results "
                                  "WHERE campaign = ? ORDER BY item",
                                  {campaign_id}));
  std::vector<AutomaticResult> out;
  for (const auto& row : rows) {
    AutomaticResult r;
    r.item = row.text(0);
    r.check = row.text(1);
    r.passed = row.integer(2) != 0;
    r.summary = row.text(3);
    try {
      r.evidence = nlohmann::json::parse(row.text(4)).get<std::vector<std::uint64_t>>();
    } catch (const std::exception& e) {
      return make_error("inspect.corrupt", campaign_id, "the evidence of item '" + r.item + "' in the store does not parse");
    }
    r.audit_index = static_cast<std::uint64_t>(row.integer(5));
    r.evaluated_at = row.integer(6);
    out.push_back(std::move(r));
  }
  return out;
}

Result<CorrectiveAction> Campaigns::add_action(const std::string& campaign_id, const std::string& item_id, const std::string& description,
                                               const std::string& owner, Date due, const std::string& actor) {
  SANSO_TRY(check_name("the person recording the action", actor));
  SANSO_TRY(check_name("the action's owner", owner));
  SANSO_TRY(check_note("the action", description));
  if (description.find_first_not_of(" \n\t") == std::string::npos) {
    return make_error("inspect.note-required", campaign_id + " " + item_id, "a corrective action needs a description of what will be done");
  }
  if (due < clock_.today()) {
    return make_error("inspect.bad-due", due.to_string(), "the due date " + due.to_string() + " has already passed");
  }
  auto tx = SANSO_TRY(store::Transaction::begin(db_));
  const Campaign c = SANSO_TRY(open_for_change(campaign_id));
  const Item* item = c.find_item(item_id);
  if (!item) return make_error("inspect.no-item", campaign_id, "the campaign has no item '" + item_id + "'");
  std::string finding;
  if (item->kind == ItemKind::kManual) {
    auto row = SANSO_TRY(db_.query_one("SELECT answer, note FROM inspect_answers WHERE campaign = ? AND item = ?", {campaign_id, item_id}));
    if (row && row->text(0) == "no") finding = item->question.ja + " → いいえ" + (row->text(1).empty() ? "" : "（" + row->text(1) + "）");
  } else {
    auto row = SANSO_TRY(db_.query_one("SELECT passed, summary FROM inspect_results WHERE campaign = ? AND item = ?", {campaign_id, item_id}));
    if (row && row->integer(0) == 0) finding = row->text(1);
  }
  if (finding.empty()) {
    return make_error("inspect.no-finding", campaign_id + " " + item_id,
                      "item '" + item_id + "' is not a finding (no 'no' answer, no failed evaluation); a corrective action answers a finding");
  }
  CorrectiveAction a;
  a.body = c.body;
  a.section = c.section;
  a.template_id = c.template_id;
  a.campaign = campaign_id;
  a.item = item_id;
  a.clause = item->clause;
  a.finding = finding;
  a.description = description;
  a.owner = owner;
  a.due = due;
  a.created_by = actor;
  SANSO_TRY(db_.execute("INSERT INTO inspect_actions (body, campaign, item, clause, finding, description, owner, due, created_by, created_at, "
                        "section, template_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        {a.body, campaign_id, item_id, a.clause, finding, description, owner, due.to_string(), actor, now(), a.section,
                         a.template_id}));
  auto id = SANSO_TRY(db_.query_one("SELECT MAX(id) FROM inspect_actions WHERE campaign = ? AND item = ?", {campaign_id, item_id}));
  a.id = id ? id->integer(0) : 0;
  SANSO_TRY(record(actor, "inspect.action.add", campaign_id, "open", a.clause,
                   {{"action", std::to_string(a.id)}, {"item", item_id}, {"owner", owner}, {"due", due.to_string()}}));
  SANSO_TRY(tx.commit());
  return a;
}

Result<void> Campaigns::close_action(std::int64_t action_id, const std::string& campaign_id, const std::string& note,
                                     const std::string& actor) {
  SANSO_TRY(check_name("the person closing the action", actor));
  SANSO_TRY(check_note("the closing note", note));
  auto tx = SANSO_TRY(store::Transaction::begin(db_));
  const Campaign c = SANSO_TRY(open_for_change(campaign_id));
  auto row = SANSO_TRY(db_.query_one(std::string("SELECT ") + kActionColumns + " FROM inspect_actions WHERE id = ?", {action_id}));
  if (!row) return make_error("inspect.no-action", std::to_string(action_id), "there is no corrective action " + std::to_string(action_id));
  const CorrectiveAction a = action_from(*row);
  if (a.body != c.body) {
    return make_error("inspect.other-body", campaign_id,
                      "action " + std::to_string(action_id) + " belongs to body '" + a.body + "', not to '" + c.body + "'");
  }
  if (a.section != c.section || a.template_id != c.template_id) {
    return make_error("inspect.other-section", campaign_id,
                      "action " + std::to_string(action_id) + " was found by template '" + a.template_id + "' for " +
                          (a.section.empty() ? std::string("the whole body") : "section '" + a.section + "'") +
                          "; it is closed in that template's later campaign for the same section, not in this one (" +
                          (c.section.empty() ? std::string("the whole body") : "section '" + c.section + "'") + ")");
  }
  if (a.campaign == campaign_id) {
    return make_error("inspect.same-campaign", campaign_id,
                      "an action is closed in a later campaign of the body, which checks that the finding is gone");
  }
  const auto changed = SANSO_TRY(db_.execute(
      "UPDATE inspect_actions SET state = 'closed', closed_in = ?, closed_by = ?, closed_at = ?, closing_note = ? WHERE id = ? AND state = 'open'",
      {campaign_id, actor, now(), note, action_id}));
  if (changed == 0) {
    return make_error("inspect.action-closed", std::to_string(action_id), "action " + std::to_string(action_id) + " is already closed");
  }
  SANSO_TRY(record(actor, "inspect.action.close", campaign_id, "closed", a.clause,
                   {{"action", std::to_string(action_id)}, {"found_in", a.campaign}}));
  return tx.commit();
}

Result<std::vector<CorrectiveAction>> Campaigns::actions_found(const std::string& campaign_id) {
  auto rows = SANSO_TRY(db_.query(std::string("SELECT ") + kActionColumns + " FROM inspect_actions WHERE campaign = ? ORDER BY id", {campaign_id}));
  std::vector<CorrectiveAction> out;
  for (const auto& row : rows) out.push_back(action_from(row));
  return out;
}

Result<std::vector<CorrectiveAction>> Campaigns::carried_actions(const std::string& campaign_id) {
  const Campaign c = SANSO_TRY(get(campaign_id));
  auto rows = SANSO_TRY(db_.query(std::string("SELECT ") + kActionColumns +
                                      " FROM inspect_actions WHERE body = ? AND section = ? AND template_id = ? AND campaign <> ? "
                                      "AND (state = 'open' OR closed_in = ?) ORDER BY id",
                                  {c.body, c.section, c.template_id, campaign_id, campaign_id}));
  std::vector<CorrectiveAction> out;
  for (const auto& row : rows) out.push_back(action_from(row));
  return out;
}

Result<void> Campaigns::sign_off(const std::string& campaign_id, const std::string& note, const std::string& actor,
                                 const std::string& account) {
  SANSO_TRY(check_name("the reviewer", actor));
  SANSO_TRY(check_note("the sign-off note", note));
  auto tx = SANSO_TRY(store::Transaction::begin(db_));
  const Campaign c = SANSO_TRY(open_for_change(campaign_id));
  if (same_person(actor, c.assignee)) {
    return make_error("inspect.same-person", campaign_id, actor + " is the campaign's assignee; someone else signs it off");
  }
  if (!c.reviewer.empty() && !same_person(actor, c.reviewer)) {
    return make_error("inspect.not-reviewer", campaign_id, "the campaign names " + c.reviewer + " as its reviewer, not " + actor);
  }
  const auto answered = SANSO_TRY(answers(campaign_id));
  for (const auto& a : answered) {
    if (same_person(actor, a.answered_by)) {
      return make_error("inspect.same-person", campaign_id, actor + " answered item '" + a.item + "'; someone else signs it off");
    }
    // A name given on the command line is a claim; the account is what the kernel says. The one
    // who answered as the assignee does not sign off by claiming to be the reviewer.
    if (!account.empty() && account == a.answered_account) {
      return make_error("inspect.same-person", campaign_id,
                        "item '" + a.item + "' was answered (as " + a.answered_by + ") from the same operating-system account (" + account +
                            "); someone else signs it off / 回答者と同じアカウントでは確認できません");
    }
  }
  // Evidence is part of what is checked: whoever supplied some does not sign it off either.
  for (const auto& e : SANSO_TRY(evidence(campaign_id))) {
    if (same_person(actor, e.added_by)) {
      return make_error("inspect.same-person", campaign_id,
                        actor + " added evidence '" + visible_text(e.file_name) + "' to item '" + e.item +
                            "'; someone else signs it off / 証跡を追加した人は確認できません");
    }
  }
  const auto evaluated = SANSO_TRY(results(campaign_id));
  const auto actions = SANSO_TRY(actions_found(campaign_id));
  std::vector<std::string> unanswered, unevaluated, without_action;
  for (const auto& item : c.items) {
    bool finding = false;
    if (item.kind == ItemKind::kManual) {
      auto it = std::find_if(answered.begin(), answered.end(), [&](const AnswerRecord& a) { return a.item == item.id; });
      if (it == answered.end()) unanswered.push_back(item.id);
      finding = it != answered.end() && it->answer == Answer::kNo;
    } else {
      auto it = std::find_if(evaluated.begin(), evaluated.end(), [&](const AutomaticResult& r) { return r.item == item.id; });
      if (it == evaluated.end()) unevaluated.push_back(item.id);
      finding = it != evaluated.end() && !it->passed;
    }
    if (finding && std::none_of(actions.begin(), actions.end(), [&](const CorrectiveAction& a) { return a.item == item.id; })) {
      without_action.push_back(item.id);
    }
  }
  auto joined = [](const std::vector<std::string>& ids) {
    std::string out;
    for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
    return out;
  };
  if (!unanswered.empty()) return make_error("inspect.incomplete", campaign_id, "items not answered yet: " + joined(unanswered));
  if (!unevaluated.empty()) {
    return make_error("inspect.incomplete", campaign_id,
                      "automatic items not evaluated yet: " + joined(unevaluated) + " (run `sanso inspect evaluate " + campaign_id + "`)");
  }
  if (!without_action.empty()) {
    return make_error("inspect.finding-without-action", campaign_id,
                      "findings without a corrective action (owner and due date): " + joined(without_action));
  }
  SANSO_TRY(db_.execute("UPDATE inspect_campaigns SET state = 'signed-off', signed_by = ?, signed_at = ?, signoff_note = ? WHERE id = ?",
                        {actor, now(), note, campaign_id}));
  std::vector<std::pair<std::string, std::string>> details = {{"body", c.body}, {"period", c.period_label}, {"actions", std::to_string(actions.size())}};
  if (!c.section.empty()) details.emplace_back("section", c.section);
  if (!account.empty()) details.emplace_back("account", account);
  SANSO_TRY(record(actor, "inspect.signoff", campaign_id, "signed-off", "7", std::move(details)));
  return tx.commit();
}

}  // namespace sanso::inspect
