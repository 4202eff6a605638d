#include "register/register.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <set>

#include "audit/versions.h"
#include "core/text.h"
#include "policy/policy.h"

namespace sanso::registers {
namespace {

constexpr std::size_t kMaxNameBytes = 128;
constexpr std::int64_t kDefaultDormantDays = 90;

constexpr const char* kEntryColumns = "kind, entry_key, fields, from_policy, version, created_by, created_at, changed_by, changed_at";

Result<Entry> entry_from(const store::Row& row) {
  Entry e;
  const auto kind = parse_kind(row.text(0));
  if (!kind) return make_error("register.corrupt", row.text(0) + "/" + row.text(1), "the store holds an entry of an unknown register");
  e.kind = *kind;
  e.key = row.text(1);
  try {
    e.fields = nlohmann::json::parse(row.text(2));
  } catch (const std::exception& ex) {
    return make_error("register.corrupt", row.text(0) + "/" + e.key, std::string("the entry's fields in the store do not parse: ") + ex.what());
  }
  if (!e.fields.is_object()) return make_error("register.corrupt", row.text(0) + "/" + e.key, "the entry's fields in the store are not an object");
  e.from_policy = row.integer(3) != 0;
  e.version = row.integer(4);
  e.created_by = row.text(5);
  e.created_at = row.integer(6);
  e.changed_by = row.text(7);
  e.changed_at = row.integer(8);
  return e;
}

std::optional<Date> date_field(const Entry& e, std::string_view key) {
  auto it = e.fields.find(key);
  if (it == e.fields.end() || !it->is_string()) return std::nullopt;
  return Date::parse(it->get<std::string>());
}

std::string text_field(const Entry& e, std::string_view key) {
  auto it = e.fields.find(key);
  return it != e.fields.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Fields without a value are left out, so that two spellings of "nothing" compare equal.
void drop_nulls(nlohmann::json& fields) {
  for (auto it = fields.begin(); it != fields.end();) {
    if (it->is_null()) it = fields.erase(it);
    else ++it;
  }
}

std::string json_text(const nlohmann::json& fields, const char* key) {
  auto it = fields.find(key);
  return it != fields.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// An exception (例外措置) is decided only by Registers::decide_exception, which asks for a holder
// of its approver role other than the requester (and the console and the CLI for the role's second
// factor). An add, change or import writes an exception's request, never its decision: not its
// state from or to approved/rejected, not who approved it or when, and not — once approved — the
// rule, role or expiry that were approved. `before` is the entry's current fields (null for a new
// entry).
Result<void> check_no_decision(const nlohmann::json* before, const nlohmann::json& after, const std::string& key, const std::string& where) {
  const std::string was = before != nullptr ? json_text(*before, "state") : std::string();
  const std::string is = json_text(after, "state");
  auto decided = [](const std::string& state) { return state == "approved" || state == "rejected"; };
  const std::string how = "; an exception is decided by a holder of its approver role with `sanso register decide exceptions " +
                          visible_text(key) +
                          " approve|deny --reason TEXT --as NAME` or in the approvals inbox (/approvals)";
  if (was != is && (decided(is) || decided(was)) && !(decided(was) && is == "withdrawn")) {
    return make_error("register.forbidden", where,
                      "the state of an exception does not change from '" + (was.empty() ? std::string("(new)") : visible_text(was)) + "' to '" +
                          visible_text(is) + "' in the register" + how);
  }
  for (const char* key : {"approved_by", "approved_on"}) {
    if (json_text(after, key) != (before != nullptr ? json_text(*before, key) : std::string())) {
      return make_error("register.forbidden", where, std::string("the exception's ") + key + " is written by its decision only" + how);
    }
  }
  if (was == "approved" && is == "approved") {
    for (const char* key : {"rule", "approver_role", "expires"}) {
      if (json_text(after, key) != json_text(*before, key)) {
        return make_error("register.forbidden", where,
                          std::string("the ") + key + " of an approved exception is what was approved; request a new exception" + how);
      }
    }
  }
  return ok();
}

}  // namespace

Result<void> Registers::check_actor(const std::string& actor) {
  if (actor.empty() || actor.size() > kMaxNameBytes || !is_valid_utf8(actor) ||
      std::any_of(actor.begin(), actor.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return make_error("register.bad-name", "actor", "who changes a register must be named (UTF-8, no control characters, at most 128 bytes)");
  }
  return ok();
}

std::string Registers::problem_list(const std::vector<Error>& problems, std::size_t total) {
  std::string out = std::to_string(total) + (total == 1 ? " problem" : " problems") + "; nothing was imported";
  for (const auto& p : problems) out += "\n  " + p.where + ": " + p.message;
  if (total > problems.size()) out += "\n  … and " + std::to_string(total - problems.size()) + " more";
  return out;
}

std::int64_t Registers::now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
}

Result<std::uint64_t> Registers::record(const std::string& actor, const std::string& action, const std::string& subject, Kind kind,
                                        std::vector<std::pair<std::string, std::string>> details) {
  store::AuditEvent event;
  event.time = now();
  event.actor = actor;
  event.action = action;
  event.subject = subject;
  event.outcome = "ok";
  event.clause = std::string(spec(kind).clause);
  event.details = std::move(details);
  event.details.insert(event.details.begin(), {"register", std::string(to_string(kind))});
  return audit_.append_batch(db_, std::span<const store::AuditEvent>(&event, 1));
}

std::optional<nlohmann::json> Registers::policy_fields(Kind kind, const std::string& key) const {
  if (!policy_) return std::nullopt;
  nlohmann::json f = nlohmann::json::object();
  const auto set = [&](const char* field, const std::string& value) {
    if (!value.empty()) f[field] = value;
  };
  switch (kind) {
    case Kind::kAssets:
      for (const auto& a : policy_->assets) {
        if (a.id != key) continue;
        set("name", a.name.ja);
        set("system", a.system);
        set("zone", std::string(policy_->zone_of(a)));
        set("confidentiality", a.confidentiality);
        set("integrity", a.integrity);
        set("availability", a.availability);
        set("responsible_role", a.responsible_role);
        return f;
      }
      return std::nullopt;
    case Kind::kContractors:
      for (const auto& c : policy_->contractors) {
        if (c.id != key) continue;
        set("name", c.name.ja);
        if (!c.systems.empty()) f["systems"] = c.systems;
        if (c.contract_until) f["contract_until"] = c.contract_until->to_string();
        f["security_requirements"] = c.security_requirements;
        return f;
      }
      return std::nullopt;
    case Kind::kCloud:
    case Kind::kSocialMedia: {
      const auto wanted = kind == Kind::kCloud ? policy::ExternalService::Kind::kCloud : policy::ExternalService::Kind::kSocialMedia;
      for (const auto& s : policy_->services) {
        if (s.id != key || s.kind != wanted) continue;
        set("name", s.name.ja);
        set("zone", s.zone);
        set("responsible_role", s.responsible_role);
        if (kind == Kind::kSocialMedia) set("responsible_person", s.responsible_person);
        return f;
      }
      return std::nullopt;
    }
    case Kind::kExceptions:
      // The entry's key is the rule's id: one exception per rule, as the policy file has it.
      for (const auto& r : policy_->rules) {
        if (r.id != key || !r.exception) continue;
        set("rule", r.id);
        set("approver_role", r.exception->approved_by);
        f["state"] = "approved";
        if (r.exception->approved_on) f["approved_on"] = r.exception->approved_on->to_string();
        f["expires"] = r.exception->expires.to_string();
        set("ticket", r.exception->ticket);
        return f;
      }
      return std::nullopt;
    default: return std::nullopt;
  }
}

Result<void> Registers::apply_policy_fields(Kind kind, const std::string& key, nlohmann::json& fields, const std::string& where) const {
  const auto declared = policy_fields(kind, key);
  if (!declared) return ok();
  for (const auto& f : spec(kind).fields) {
    if (!f.from_policy) continue;
    auto given = fields.find(f.key);
    auto policy_value = declared->find(f.key);
    const nlohmann::json expected = policy_value == declared->end() ? nlohmann::json() : *policy_value;
    if (given != fields.end() && !given->is_null() && *given != expected) {
      return make_error("register.policy-field", where,
                        std::string(f.ja) + " (" + std::string(f.key) + ") of '" + key + "' comes from the policy file (" +
                            (expected.is_null() ? std::string("not set there") : "'" + format_value(f, expected) + "'") +
                            "); change it in the policy, not in the register");
    }
    if (expected.is_null()) fields.erase(std::string(f.key));
    else fields[std::string(f.key)] = expected;
  }
  return ok();
}

Result<void> Registers::write(Kind kind, const std::vector<Write>& writes, const std::string& actor, std::uint64_t audit_index) {
  const std::string kind_name(to_string(kind));
  const std::int64_t at = now();
  for (const auto& w : writes) {
    const std::string fields = w.fields.dump();
    const auto current = SANSO_TRY(db_.query_one("SELECT version FROM register_entries WHERE kind = ? AND entry_key = ?", {kind_name, w.key}));
    std::int64_t version = 1;
    if (current) {
      version = current->integer(0) + 1;
      SANSO_TRY(db_.execute("UPDATE register_entries SET fields = ?, from_policy = ?, version = ?, changed_by = ?, changed_at = ? "
                            "WHERE kind = ? AND entry_key = ?",
                            {fields, std::int64_t{w.from_policy}, version, actor, at, kind_name, w.key}));
    } else {
      SANSO_TRY(db_.execute("INSERT INTO register_entries (kind, entry_key, fields, from_policy, version, created_by, created_at, changed_by, changed_at) "
                            "VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)",
                            {kind_name, w.key, fields, std::int64_t{w.from_policy}, actor, at, actor, at}));
    }
    SANSO_TRY(db_.execute("INSERT INTO register_history (kind, entry_key, version, change_kind, fields, changed_by, changed_at, audit_index) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                          {kind_name, w.key, version, w.change, fields, actor, at, static_cast<std::int64_t>(audit_index)}));
  }
  return ok();
}

Result<std::vector<Entry>> list_entries(store::Database& db, Kind kind) {
  auto rows = SANSO_TRY(db.query(std::string("SELECT ") + kEntryColumns + " FROM register_entries WHERE kind = ? ORDER BY entry_key",
                                 {std::string(to_string(kind))}));
  std::vector<Entry> out;
  for (const auto& row : rows) out.push_back(SANSO_TRY(entry_from(row)));
  return out;
}

Result<std::uint64_t> current_audit_index(store::Database& db, Kind kind, const std::string& key) {
  auto row = SANSO_TRY(db.query_one("SELECT h.audit_index FROM register_history h JOIN register_entries e ON e.kind = h.kind AND "
                                    "e.entry_key = h.entry_key AND e.version = h.version WHERE e.kind = ? AND e.entry_key = ?",
                                    {std::string(to_string(kind)), key}));
  if (!row) return make_error("register.not-found", std::string(to_string(kind)) + "/" + key, "no such entry");
  return static_cast<std::uint64_t>(row->integer(0));
}

Result<std::vector<Entry>> Registers::list(Kind kind) { return list_entries(db_, kind); }

Result<std::optional<Entry>> Registers::get(Kind kind, const std::string& key) {
  auto row = SANSO_TRY(db_.query_one(std::string("SELECT ") + kEntryColumns + " FROM register_entries WHERE kind = ? AND entry_key = ?",
                                     {std::string(to_string(kind)), key}));
  if (!row) return std::optional<Entry>();
  return std::optional<Entry>(SANSO_TRY(entry_from(*row)));
}

Result<std::vector<Change>> Registers::history(Kind kind, const std::string& key) {
  auto rows = SANSO_TRY(db_.query("SELECT version, change_kind, fields, changed_by, changed_at, audit_index FROM register_history "
                                  "WHERE kind = ? AND entry_key = ? ORDER BY version",
                                  {std::string(to_string(kind)), key}));
  std::vector<Change> out;
  for (const auto& row : rows) {
    Change c;
    c.version = row.integer(0);
    c.change = row.text(1);
    try {
      c.fields = nlohmann::json::parse(row.text(2));
    } catch (const std::exception& e) {
      return make_error("register.corrupt", key, std::string("a past version's fields do not parse: ") + e.what());
    }
    c.changed_by = row.text(3);
    c.changed_at = row.integer(4);
    c.audit_index = static_cast<std::uint64_t>(row.integer(5));
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::size_t> Registers::seed_from_policy(const std::string& actor) {
  if (!policy_) return std::size_t{0};
  SANSO_TRY(check_actor(actor));
  auto tx = SANSO_TRY(store::Transaction::begin(db_));
  std::size_t changed = 0;
  for (Kind kind : {Kind::kAssets, Kind::kContractors, Kind::kCloud, Kind::kSocialMedia, Kind::kExceptions}) {
    std::vector<std::string> declared;
    switch (kind) {
      case Kind::kExceptions:
        for (const auto& r : policy_->rules) {
          if (r.exception) declared.push_back(r.id);
        }
        break;
      case Kind::kAssets:
        for (const auto& a : policy_->assets) declared.push_back(a.id);
        break;
      case Kind::kContractors:
        for (const auto& c : policy_->contractors) declared.push_back(c.id);
        break;
      default:
        for (const auto& s : policy_->services) {
          if ((s.kind == policy::ExternalService::Kind::kCloud) == (kind == Kind::kCloud)) declared.push_back(s.id);
        }
    }
    std::map<std::string, Entry> existing;
    for (auto& e : SANSO_TRY(list(kind))) existing.emplace(e.key, std::move(e));
    std::vector<Write> writes;
    std::vector<std::string> keys;
    for (const auto& key : declared) {
      const nlohmann::json from_policy = *policy_fields(kind, key);
      auto it = existing.find(key);
      nlohmann::json fields = it == existing.end() ? nlohmann::json::object() : it->second.fields;
      for (const auto& f : spec(kind).fields) {
        if (!f.from_policy) continue;
        auto v = from_policy.find(f.key);
        if (v == from_policy.end()) fields.erase(std::string(f.key));
        else fields[std::string(f.key)] = *v;
      }
      if (it != existing.end() && it->second.from_policy && it->second.fields == fields) continue;
      writes.push_back({key, fields, true, "seed"});
      keys.push_back(key);
    }
    // An entry the policy no longer declares stays in the register, as the register's own.
    for (const auto& [key, e] : existing) {
      if (e.from_policy && std::find(declared.begin(), declared.end(), key) == declared.end()) {
        writes.push_back({key, e.fields, false, "seed"});
        keys.push_back(key);
      }
    }
    if (writes.empty()) continue;
    std::string joined;
    for (const auto& k : keys) joined += (joined.empty() ? "" : ",") + k;
    const auto index = SANSO_TRY(record(actor, "register.seed", std::string(to_string(kind)), kind,
                                        {{"entries", joined}, {"policy", policy_->source_name}}));
    SANSO_TRY(write(kind, writes, actor, index));
    changed += writes.size();
  }
  SANSO_TRY(tx.commit());
  return changed;
}

Result<Entry> Registers::put(Kind kind, const std::vector<std::pair<std::string, std::string>>& values, bool update, const std::string& actor) {
  SANSO_TRY(check_actor(actor));
  const KindSpec& ks = spec(kind);
  nlohmann::json given = nlohmann::json::object();
  std::set<std::string> seen;
  for (const auto& [name, text] : values) {
    const FieldSpec* f = ks.find_header(name);
    if (!f) {
      std::string keys;
      for (const auto& x : ks.fields) keys += (keys.empty() ? "" : ", ") + std::string(x.key);
      return make_error("register.unknown-field", "--field " + visible_text(name),
                        "the " + std::string(label(kind, "en")) + " register has no field '" + visible_text(name) + "' (fields: " + keys + ")");
    }
    if (!seen.insert(std::string(f->key)).second) {
      return make_error("register.duplicate-field", "--field " + std::string(f->key), "the field is given twice");
    }
    given[std::string(f->key)] = SANSO_TRY(parse_value(*f, text, "--field " + std::string(f->key)));
  }
  auto key_it = given.find("id");
  if (key_it == given.end() || key_it->is_null()) return make_error("register.missing-value", "--field id", "the entry's id is required (--field id=...)");
  const std::string key = key_it->get<std::string>();
  const std::string where = std::string(to_string(kind)) + "/" + key;

  auto tx = SANSO_TRY(store::Transaction::begin(db_));
  std::optional<Entry> existing;
  for (auto& e : SANSO_TRY(list(kind))) {
    if (ascii_lower(e.key) == ascii_lower(key)) existing = std::move(e);
  }
  if (existing && existing->key != key) {
    return make_error("register.duplicate-key", where, "the register already has '" + existing->key + "', the same id in other letters");
  }
  if (existing && !update) return make_error("register.exists", where, "the entry already exists; change it with --update");
  if (!existing && update) return make_error("register.not-found", where, "there is no such entry to change (add it without --update)");
  nlohmann::json fields = existing ? existing->fields : nlohmann::json::object();
  // The id is the entry's key, kept beside its fields, not among them.
  for (auto& [k, v] : given.items()) {
    if (k != "id") fields[k] = v;
  }
  SANSO_TRY(apply_policy_fields(kind, key, fields, where));
  drop_nulls(fields);
  SANSO_TRY(link_policy_version(kind, fields, where));
  if (existing && existing->fields == fields) return *existing;
  if (kind == Kind::kExceptions) SANSO_TRY(check_no_decision(existing ? &existing->fields : nullptr, fields, key, where));
  if (kind == Kind::kIncidents) SANSO_TRY(check_incident_links(existing ? &existing->fields : nullptr, fields, where));
  SANSO_TRY(check_entry(ks, fields, policy_, where));
  const bool from_policy = policy_fields(kind, key).has_value();
  const char* action = existing ? "register.change" : "register.add";
  std::vector<std::pair<std::string, std::string>> details{{"id", key}};
  for (const auto& [k, v] : given.items()) {
    if (k != "id") details.emplace_back(k, format_value(*ks.find(k), fields.contains(k) ? fields[k] : nlohmann::json()));
  }
  const auto index = SANSO_TRY(record(actor, action, where, kind, std::move(details)));
  SANSO_TRY(write(kind, {{key, fields, from_policy, existing ? "change" : "add"}}, actor, index));
  SANSO_TRY(tx.commit());
  return *SANSO_TRY(get(kind, key));
}

bool Registers::decision_allowed(const Entry& e, const Decider& decider) {
  if (e.kind != Kind::kExceptions || e.from_policy || text_field(e, "state") != "requested") return false;
  const std::string role = text_field(e, "approver_role");
  if (role.empty() || std::find(decider.roles.begin(), decider.roles.end(), role) == decider.roles.end()) return false;
  return ascii_lower(decider.name) != ascii_lower(text_field(e, "requested_by"));
}

Result<void> Registers::check_incident_links(const nlohmann::json* before, const nlohmann::json& after, const std::string& where) {
  auto items_of = [](const nlohmann::json* fields, const char* key) {
    std::set<std::string> out;
    if (fields == nullptr || !fields->contains(key) || !(*fields)[key].is_array()) return out;
    for (const auto& v : (*fields)[key]) out.insert(v.dump());
    return out;
  };
  const auto entries_before = items_of(before, "audit_entries");
  if (after.contains("audit_entries") && after["audit_entries"].is_array()) {
    for (const auto& v : after["audit_entries"]) {
      if (!v.is_number_integer() || entries_before.contains(v.dump())) continue;
      const std::int64_t index = v.get<std::int64_t>();
      if (!SANSO_TRY(db_.query_one("SELECT 1 FROM audit_entries WHERE idx = ?", {index}))) {
        return make_error("register.no-such-link", where + " audit_entries",
                          "the audit log has no entry #" + std::to_string(index) + " (see `sanso audit tail` or the console's /audit); an incident cites entries that exist");
      }
    }
  }
  const auto findings_before = items_of(before, "monitor_findings");
  if (after.contains("monitor_findings") && after["monitor_findings"].is_array()) {
    for (const auto& v : after["monitor_findings"]) {
      if (!v.is_string() || findings_before.contains(v.dump())) continue;
      const std::string item = v.get<std::string>();
      const std::string digits = item.starts_with('#') ? item.substr(1) : item;
      // Text that is not a finding number ("外部からの通報") describes a source; a number is a link.
      if (digits.empty() || digits.size() > 15 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
      if (!SANSO_TRY(db_.query_one("SELECT 1 FROM monitor_findings WHERE id = ?", {std::stoll(digits)}))) {
        return make_error("register.no-such-link", where + " monitor_findings",
                          "there is no monitor finding #" + digits + " (see the console's /monitor/findings); an incident links findings that exist");
      }
    }
  }
  return ok();
}

Result<Entry> Registers::decide_exception(const std::string& key, bool approve, const Decider& decider, const std::string& note,
                                          const std::string& expires) {
  SANSO_TRY(check_actor(decider.name));
  const std::string where = "exceptions/" + key;
  if (note.size() > 2000 || !is_valid_utf8(note)) return make_error("register.bad-value", where, "the reason for the decision must be UTF-8 text of at most 2000 bytes");
  auto tx = SANSO_TRY(store::Transaction::begin(db_));
  auto found = SANSO_TRY(get(Kind::kExceptions, key));
  if (!found) return make_error("register.not-found", where, "there is no such exception");
  Entry e = std::move(*found);
  if (!decision_allowed(e, decider)) {
    // Which rule refused, in words an approver can act on.
    const std::string why = e.from_policy ? "the policy file decides this exception, not the register"
                            : text_field(e, "state") != "requested"
                                ? "the exception is not waiting for a decision (state '" + visible_text(text_field(e, "state")) + "')"
                            : ascii_lower(decider.name) == ascii_lower(text_field(e, "requested_by"))
                                ? "an exception is decided by someone other than who requested it"
                                : "only a holder of the approver role '" + visible_text(text_field(e, "approver_role")) + "' decides it";
    return make_error("register.forbidden", where, why);
  }
  nlohmann::json fields = e.fields;
  fields["state"] = approve ? "approved" : "rejected";
  fields["approved_by"] = decider.name;
  fields["approved_on"] = clock_.today().to_string();
  if (!expires.empty()) {
    auto date = Date::parse(expires);
    if (!date) return make_error("register.bad-value", where + " expires", "the expiry must be a date such as 2027-03-31");
    fields["expires"] = date->to_string();
  }
  SANSO_TRY(check_entry(spec(Kind::kExceptions), fields, policy_, where));
  std::vector<std::pair<std::string, std::string>> details{{"id", key}, {"decision", approve ? "approved" : "rejected"},
                                                           {"approver_role", text_field(e, "approver_role")},
                                                           {"requested_by", text_field(e, "requested_by")}, {"note", note}};
  if (fields.contains("expires")) details.emplace_back("expires", fields["expires"].get<std::string>());
  if (!decider.second_factor.empty()) details.emplace_back("second_factor", decider.second_factor);
  const auto index = SANSO_TRY(record(decider.name, approve ? "register.exception.approve" : "register.exception.deny", where, Kind::kExceptions,
                                      std::move(details)));
  SANSO_TRY(write(Kind::kExceptions, {{key, fields, false, approve ? "approve" : "deny"}}, decider.name, index));
  SANSO_TRY(tx.commit());
  return *SANSO_TRY(get(Kind::kExceptions, key));
}

Result<ImportSummary> Registers::import(Kind kind, const Table& table, const std::string& file_name, const std::string& file_sha256,
                                        const std::string& actor) {
  SANSO_TRY(check_actor(actor));
  const KindSpec& ks = spec(kind);
  // Columns: each header names a field once; the id and every required field the register keeps
  // itself (not the policy's) must be there.
  std::vector<const FieldSpec*> columns;
  std::set<std::string_view> named;
  for (std::size_t i = 0; i < table.header.size(); ++i) {
    const std::string& h = table.header[i];
    const std::string where = file_name + " row 1 column " + column_name(i);
    if (h.find_first_not_of(" \t\r\n") == std::string::npos) {
      columns.push_back(nullptr);
      continue;
    }
    const FieldSpec* f = ks.find_header(h);
    if (!f) {
      std::string known;
      for (const auto& x : ks.fields) known += (known.empty() ? "" : ", ") + std::string(x.ja) + " (" + std::string(x.key) + ")";
      return make_error("register.unknown-column", where,
                        "'" + visible_text(h.substr(0, 80)) + "' is not a column of the " + std::string(label(kind, "en")) + " register (columns: " + known + ")");
    }
    if (!named.insert(f->key).second) return make_error("register.duplicate-column", where, "the column " + std::string(f->ja) + " (" + std::string(f->key) + ") appears twice");
    columns.push_back(f);
  }
  std::string missing;
  for (const auto& f : ks.fields) {
    if (f.required && !f.from_policy && !named.contains(f.key)) missing += (missing.empty() ? "" : ", ") + std::string(f.ja) + " (" + std::string(f.key) + ")";
  }
  if (!missing.empty()) {
    return make_error("register.missing-column", file_name, "the header lacks required columns: " + missing + "; nothing was imported");
  }

  auto tx = SANSO_TRY(store::Transaction::begin(db_));
  std::map<std::string, Entry> existing;  // by lower-case id
  for (auto& e : SANSO_TRY(list(kind))) existing.emplace(ascii_lower(e.key), std::move(e));

  std::vector<Error> problems;
  std::size_t total_problems = 0;
  const auto problem = [&](Error e) {
    ++total_problems;
    if (problems.size() < kMaxImportProblems) problems.push_back(std::move(e));
  };
  std::map<std::string, std::int64_t> keys_in_file;  // lower-case id → its row
  std::vector<Write> writes;
  ImportSummary summary;
  summary.encoding = table.encoding;
  for (const auto& row : table.rows) {
    ++summary.rows;
    nlohmann::json given = nlohmann::json::object();
    bool row_ok = true;
    for (std::size_t i = 0; i < row.cells.size() && i < columns.size(); ++i) {
      const Cell& cell = row.cells[i];
      const std::string where = file_name + " row " + std::to_string(row.line) + " column " + column_name(i);
      if (!columns[i]) {
        if (cell.is_number || cell.text.find_first_not_of(" \t\r\n") != std::string::npos) {
          problem(make_error("register.bad-value", where, "a value under a column with no header"));
          row_ok = false;
        }
        continue;
      }
      auto value = cell.is_number ? parse_number(*columns[i], cell.number, table.date1904, where) : parse_value(*columns[i], cell.text, where);
      if (!value) {
        problem(std::move(value).error());
        row_ok = false;
        continue;
      }
      given[std::string(columns[i]->key)] = std::move(*value);
    }
    if (!row_ok) continue;
    const std::string row_where = file_name + " row " + std::to_string(row.line);
    auto id = given.find("id");
    if (id == given.end() || id->is_null()) {
      problem(make_error("register.missing-value", row_where, "the row has no id"));
      continue;
    }
    const std::string key = id->get<std::string>();
    const std::string lower = ascii_lower(key);
    if (auto [at, inserted] = keys_in_file.emplace(lower, row.line); !inserted) {
      problem(make_error("register.duplicate-key", row_where, "the id '" + key + "' is already on row " + std::to_string(at->second)));
      continue;
    }
    auto it = existing.find(lower);
    if (it != existing.end() && it->second.key != key) {
      problem(make_error("register.duplicate-key", row_where, "the register already has '" + it->second.key + "', the same id in other letters"));
      continue;
    }
    nlohmann::json fields = it == existing.end() ? nlohmann::json::object() : it->second.fields;
    for (auto& [k, v] : given.items()) {
      if (k != "id") fields[k] = v;
    }
    if (auto r = apply_policy_fields(kind, key, fields, row_where); !r) {
      problem(std::move(r).error());
      continue;
    }
    drop_nulls(fields);
    if (auto r = link_policy_version(kind, fields, row_where); !r) {
      problem(std::move(r).error());
      continue;
    }
    // A row that changes nothing is not judged again: an exported register, incomplete entries
    // and all, imports back as it is.
    if (it != existing.end() && it->second.fields == fields) {
      ++summary.unchanged;
      continue;
    }
    if (kind == Kind::kExceptions) {
      if (auto r = check_no_decision(it == existing.end() ? nullptr : &it->second.fields, fields, key, row_where); !r) {
        problem(std::move(r).error());
        continue;
      }
    }
    if (kind == Kind::kIncidents) {
      if (auto r = check_incident_links(it == existing.end() ? nullptr : &it->second.fields, fields, row_where); !r) {
        if (r.error().code == "register.no-such-link") {
          problem(std::move(r).error());
          continue;
        }
        return r.error();  // the store failed: no list of problems hides it
      }
    }
    if (auto r = check_entry(ks, fields, policy_, row_where); !r) {
      problem(std::move(r).error());
      continue;
    }
    (it == existing.end() ? summary.added : summary.changed) += 1;
    writes.push_back({key, std::move(fields), policy_fields(kind, key).has_value(), "import"});
  }
  if (total_problems > 0) {
    const std::string code = problems.front().code;
    return make_error(total_problems == 1 ? code : "register.import-refused", file_name, problem_list(problems, total_problems));
  }
  summary.audit_index = SANSO_TRY(record(actor, "register.import", std::string(to_string(kind)), kind,
                                         {{"file", file_name}, {"file_sha256", file_sha256}, {"encoding", table.encoding},
                                          {"rows", std::to_string(summary.rows)}, {"added", std::to_string(summary.added)},
                                          {"changed", std::to_string(summary.changed)}, {"unchanged", std::to_string(summary.unchanged)}}));
  SANSO_TRY(write(kind, writes, actor, summary.audit_index));
  SANSO_TRY(tx.commit());
  return summary;
}

Result<std::pair<std::vector<std::string>, std::vector<std::vector<std::string>>>> Registers::table(Kind kind) {
  const KindSpec& ks = spec(kind);
  std::vector<std::string> header;
  for (const auto& f : ks.fields) header.emplace_back(f.ja);
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : SANSO_TRY(list(kind))) {
    std::vector<std::string> row;
    for (const auto& f : ks.fields) {
      if (f.key == "id") row.push_back(e.key);
      else row.push_back(e.fields.contains(f.key) ? format_value(f, e.fields[f.key]) : std::string());
    }
    rows.push_back(std::move(row));
  }
  return std::pair{std::move(header), std::move(rows)};
}

Attendance attendance(const std::vector<Entry>& training, const std::vector<std::string>& audience, std::string_view course,
                      std::optional<Date> since) {
  std::set<std::string> attended;
  for (const auto& e : training) {
    if (e.kind != Kind::kTraining || (!course.empty() && text_field(e, "course") != course)) continue;
    if (since) {
      const auto on = date_field(e, "date");
      if (!on || *on < *since) continue;
    }
    attended.insert(ascii_lower(text_field(e, "person")));
  }
  Attendance out;
  for (const auto& name : audience) (attended.count(ascii_lower(name)) != 0 ? out.attended : out.missing).push_back(name);
  return out;
}

std::int64_t day_number(const Date& date) {
  // Days from the civil date in the proleptic Gregorian calendar, with years counted from March
  // so that the leap day ends the year (H. Hinnant's days_from_civil): no time zone involved.
  const std::int64_t y = static_cast<std::int64_t>(date.year) - (date.month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t year_of_era = y - era * 400;
  const std::int64_t day_of_year = (153 * (date.month + (date.month > 2 ? -3 : 9)) + 2) / 5 + date.day - 1;
  const std::int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

Result<void> Registers::link_policy_version(Kind kind, nlohmann::json& fields, const std::string& where) {
  if (kind != Kind::kReviews) return ok();
  auto given = fields.find("policy_sha256");
  if (given == fields.end() || !given->is_string() || given->get<std::string>().empty()) return ok();
  const std::string text = given->get<std::string>();
  // A register value never starts with "@" (it would be a formula in a spreadsheet): the version is
  // written "v3", or as (a prefix of) its hash.
  const bool numbered = text.size() >= 2 && (text[0] == 'v' || text[0] == 'V') &&
                        std::all_of(text.begin() + 1, text.end(), [](char c) { return c >= '0' && c <= '9'; });
  auto version = audit::find_file_version(db_, "policy", "@" + (numbered ? text.substr(1) : text));
  if (!version) {
    return make_error("register.inconsistent", where,
                      "the reviewed policy (policy_sha256 '" + visible_text(text) + "') is not a kept policy version: " + version.error().message);
  }
  *given = version->sha256;
  return ok();
}

const Entry* latest_approved_review(const std::vector<Entry>& reviews, Date* reviewed_on) {
  const Entry* latest = nullptr;
  Date latest_on;
  for (const auto& r : reviews) {
    if (r.kind != Kind::kReviews || text_field(r, "decision") != "approved") continue;
    const auto on = date_field(r, "reviewed_on");
    // On the same day the later key wins, so that one review is always the newest.
    if (on && (!latest || latest_on < *on || (latest_on == *on && latest->key < r.key))) latest = &r, latest_on = *on;
  }
  if (latest && reviewed_on) *reviewed_on = latest_on;
  return latest;
}

std::vector<Alarm> Registers::alarms(const Entry& e, Date today, const std::vector<Entry>& same_register, const std::vector<ContractCheck>& latest_checks) {
  std::vector<Alarm> out;
  const auto add = [&](const char* code, std::string message) { out.push_back({e.key, code, std::move(message)}); };
  std::string missing;
  for (const auto& f : spec(e.kind).fields) {
    if (f.required && f.key != "id" && !e.fields.contains(f.key)) missing += (missing.empty() ? "" : "、") + std::string(f.ja);
  }
  if (!missing.empty()) add("incomplete", "未記入の必須項目: " + missing);
  const auto past = [&](std::string_view key) {
    auto d = date_field(e, key);
    return d && *d < today ? d : std::nullopt;
  };
  switch (e.kind) {
    case Kind::kContractors:
      if (auto d = past("next_check")) add("check-overdue", "次回確認期限 " + d->to_string() + " を過ぎています");
      if (auto d = past("contract_until")) add("contract-expired", "契約期限 " + d->to_string() + " を過ぎています");
      if (text_field(e, "check_result") == "fail") add("check-failed", "直近の確認結果が不適合です");
      // The history per required clause (clause_standings, as contract-check judges it): a clause
      // whose latest check failed, or whose latest check's next date has passed, says so whatever
      // the entry's own fields say. A clause due with the entry's own next_check is the alarm above.
      for (const auto& c : clause_standings(e, today, latest_checks)) {
        if (!c.latest) continue;
        if (c.failed) add("check-failed", "契約条項「" + c.clause + "」の直近の確認（" + c.latest->checked_on + "）が不適合です");
        if (c.overdue && !c.due_from_entry) add("check-overdue", "契約条項「" + c.clause + "」の次回確認期限 " + c.due->to_string() + " を過ぎています");
      }
      if (e.fields.contains("security_requirements") && !e.fields["security_requirements"].get<bool>()) {
        add("no-security-requirements", "契約に情報セキュリティ要件が明記されていません");
      }
      break;
    case Kind::kCloud:
      if (auto d = past("review_date")) add("review-overdue", "次回見直し期限 " + d->to_string() + " を過ぎています");
      if (auto d = past("contract_until")) add("contract-expired", "契約期限 " + d->to_string() + " を過ぎています");
      break;
    case Kind::kSocialMedia: {
      if (e.fields.contains("mfa") && !e.fields["mfa"].get<bool>()) add("no-mfa", "多要素認証が設定されていません");
      const std::int64_t dormant = e.fields.contains("dormant_days") ? e.fields["dormant_days"].get<std::int64_t>() : kDefaultDormantDays;
      if (auto d = date_field(e, "last_post"); d && day_number(today) - day_number(*d) > dormant) {
        add("dormant", "最終投稿 " + d->to_string() + " から " + std::to_string(day_number(today) - day_number(*d)) + " 日（休眠の目安 " +
                           std::to_string(dormant) + " 日）");
      }
      break;
    }
    case Kind::kExceptions:
      if (text_field(e, "state") == "approved") {
        if (auto d = past("expires")) add("expired", "有効期限 " + d->to_string() + " を過ぎた例外措置が承認のまま残っています");
      }
      break;
    case Kind::kReviews:
      // The reminder: a month before the next review falls due, and after it — only for the
      // newest approved review; an older one is superseded by it.
      if (text_field(e, "decision") == "approved") {
        const Entry* newest = latest_approved_review(same_register);
        if (newest && newest->key != e.key) break;
        if (auto d = past("next_review")) {
          add("review-overdue", "次回見直し期限 " + d->to_string() + " を過ぎています");
        } else if (auto due = date_field(e, "next_review"); due && day_number(*due) - day_number(today) <= kReviewReminderDays) {
          add("review-due", "次回見直し期限 " + due->to_string() + " まで " + std::to_string(day_number(*due) - day_number(today)) + " 日");
        }
      }
      break;
    case Kind::kRisks:
      if (text_field(e, "treatment") == "accept") {
        if (auto d = past("acceptance_expires")) add("acceptance-expired", "リスク受容の期限 " + d->to_string() + " を過ぎています");
      }
      break;
    default: break;
  }
  return out;
}

}  // namespace sanso::registers
