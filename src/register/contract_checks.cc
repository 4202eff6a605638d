// Contractor checks (委託事業者, 6(8)): each check of each required contract clause, appended to
// `contractor_checks` with its audit record and never overwritten, so that the register shows a
// clause's whole history and the automatic item contract-check reads the latest check per clause.
#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <set>

#include "core/text.h"
#include "register/register.h"

namespace sanso::registers {
namespace {

using F = FieldType;

// A column header or key=value key: the key, the Japanese or the English label.
const FieldSpec* field_by_header(std::string_view header) {
  const KindSpec checks{Kind::kContractors, "6(8)", contract_check_fields()};
  return checks.find_header(header);
}

std::string text_of(const nlohmann::json& fields, std::string_view key) {
  auto it = fields.find(key);
  return it != fields.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The typed fields of one check → a check of an existing contractor's required clause, or why not.
Result<ContractCheck> check_from(const nlohmann::json& fields, const std::map<std::string, Entry>& contractors, const std::string& where, Date today) {
  for (const auto& f : contract_check_fields()) {
    if (f.required && text_of(fields, f.key).empty()) {
      return make_error("register.missing-value", where, std::string(f.ja) + " (" + std::string(f.key) + ") is required in a contract check");
    }
  }
  ContractCheck c;
  c.contractor = text_of(fields, "contractor");
  auto it = contractors.find(c.contractor);
  if (it == contractors.end()) {
    return make_error("register.not-found", where, "the contractors register (委託事業者台帳) has no entry '" + visible_text(c.contractor) + "'");
  }
  c.clause = text_of(fields, "clause");
  std::vector<std::string> required;
  if (auto r = it->second.fields.find("required_clauses"); r != it->second.fields.end() && r->is_array()) {
    for (const auto& x : *r) required.push_back(x.get<std::string>());
  }
  if (std::find(required.begin(), required.end(), c.clause) == required.end()) {
    std::string known;
    for (const auto& x : required) known += (known.empty() ? "" : "; ") + x;
    return make_error("register.inconsistent", where,
                      "'" + visible_text(c.clause) + "' is not a required contract clause of " + c.contractor + " (必要な契約条項: " +
                          (known.empty() ? std::string("none yet — add them with --field required_clauses=…") : known) + ")");
  }
  c.checked_on = text_of(fields, "checked_on");
  c.result = text_of(fields, "result");
  c.checked_by = text_of(fields, "checked_by");
  c.note = text_of(fields, "note");
  c.next_check = text_of(fields, "next_check");
  // Checks are only appended and the latest by date speaks for its clause: one dated in the future
  // (a typo, or on purpose) would hide every later failure and overdue date for good.
  if (c.checked_on > today.to_string()) {
    return make_error("register.bad-value", where, "the check's date (checked_on " + c.checked_on + ") is after today (" + today.to_string() + ")");
  }
  if (!c.next_check.empty() && c.next_check <= c.checked_on) {
    return make_error("register.inconsistent", where, "the clause's next check (next_check " + c.next_check + ") falls due after this check (" + c.checked_on + ")");
  }
  return c;
}

Result<std::map<std::string, Entry>> contractors_by_key(store::Database& db) {
  std::map<std::string, Entry> out;
  for (auto& e : SANSO_TRY(list_entries(db, Kind::kContractors))) out.emplace(e.key, std::move(e));
  return out;
}

Result<std::int64_t> next_number(store::Database& db, const std::string& contractor) {
  auto row = SANSO_TRY(db.query_one("SELECT COALESCE(MAX(number), 0) FROM contractor_checks WHERE contractor = ?", {contractor}));
  return (row ? row->integer(0) : 0) + 1;
}

Result<void> insert(store::Database& db, const ContractCheck& c) {
  SANSO_TRY(db.execute("INSERT INTO contractor_checks (contractor, number, clause, checked_on, result, checked_by, note, next_check, recorded_by, "
                    "recorded_at, audit_index) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    {c.contractor, c.number, c.clause, c.checked_on, c.result, c.checked_by, c.note, c.next_check, c.recorded_by, c.recorded_at,
                     static_cast<std::int64_t>(c.audit_index)}));
  return ok();
}

}  // namespace

std::span<const FieldSpec> contract_check_fields() {
  // The result's choices are the contractors register's check results (適合/一部不適合/不適合).
  static const std::array<FieldSpec, 7> kFields = {
      FieldSpec{"contractor", "委託事業者", "contractor", F::kId, true},
      FieldSpec{"clause", "契約条項", "contract clause", F::kText, true},
      FieldSpec{"checked_on", "確認日", "checked on", F::kDate, true},
      FieldSpec{"result", "確認結果", "result", F::kChoice, true, false, spec(Kind::kContractors).find("check_result")->choices},
      FieldSpec{"checked_by", "確認者", "checked by", F::kText, true},
      FieldSpec{"note", "確認の内容", "note", F::kLongText},
      FieldSpec{"next_check", "次回確認期限", "next check due", F::kDate},
  };
  return kFields;
}

const FieldSpec& contract_check_field(std::string_view key) {
  for (const auto& f : contract_check_fields()) {
    if (f.key == key) return f;
  }
  return contract_check_fields().front();
}

Result<std::vector<ContractCheck>> contract_checks(store::Database& db, const std::string& contractor) {
  const std::string columns =
      "SELECT contractor, number, clause, checked_on, result, checked_by, note, next_check, recorded_by, recorded_at, audit_index FROM contractor_checks ";
  auto rows = SANSO_TRY(contractor.empty() ? db.query(columns + "ORDER BY contractor, number")
                                           : db.query(columns + "WHERE contractor = ? ORDER BY number", {contractor}));
  std::vector<ContractCheck> out;
  for (const auto& row : rows) {
    out.push_back({row.text(0), row.integer(1), row.text(2), row.text(3), row.text(4), row.text(5), row.text(6), row.text(7), row.text(8),
                   row.integer(9), static_cast<std::uint64_t>(row.integer(10))});
  }
  return out;
}

std::vector<ContractCheck> latest_per_clause(const std::vector<ContractCheck>& checks) {
  std::map<std::pair<std::string, std::string>, ContractCheck> latest;
  for (const auto& c : checks) {
    auto [it, inserted] = latest.emplace(std::pair{c.contractor, c.clause}, c);
    // A check entered late for an earlier date does not replace a newer one.
    if (!inserted && (it->second.checked_on < c.checked_on || (it->second.checked_on == c.checked_on && it->second.number < c.number))) it->second = c;
  }
  std::vector<ContractCheck> out;
  for (auto& [key, c] : latest) out.push_back(std::move(c));
  return out;
}

std::vector<ClauseStanding> clause_standings(const Entry& contractor, Date today, const std::vector<ContractCheck>& latest_checks) {
  std::vector<ClauseStanding> out;
  const auto required = contractor.fields.find("required_clauses");
  if (required == contractor.fields.end() || !required->is_array()) return out;
  const auto entry_next = Date::parse(text_of(contractor.fields, "next_check"));
  for (const auto& clause : *required) {
    if (!clause.is_string()) continue;
    ClauseStanding s;
    s.clause = clause.get<std::string>();
    const auto check = std::find_if(latest_checks.begin(), latest_checks.end(),
                                    [&](const ContractCheck& c) { return c.contractor == contractor.key && c.clause == s.clause; });
    if (check != latest_checks.end()) {
      s.latest = &*check;
      s.failed = check->result == "fail";
    }
    // A check that names no next date is due when the contractor is (the entry's next_check).
    if (s.latest && !s.latest->next_check.empty()) {
      s.due = Date::parse(s.latest->next_check);
    } else {
      s.due = entry_next;
      s.due_from_entry = true;
    }
    s.overdue = s.due && *s.due < today;
    out.push_back(std::move(s));
  }
  return out;
}

std::pair<std::vector<std::string>, std::vector<std::vector<std::string>>> contract_check_table(const std::vector<ContractCheck>& checks) {
  std::vector<std::string> header;
  for (const auto& f : contract_check_fields()) header.emplace_back(f.ja);
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : checks) {
    rows.push_back({c.contractor, c.clause, c.checked_on, format_value(contract_check_field("result"), c.result), c.checked_by, c.note, c.next_check});
  }
  return {std::move(header), std::move(rows)};
}

Result<ContractCheck> Registers::add_contract_check(const std::string& contractor, const std::vector<std::pair<std::string, std::string>>& values,
                                                    const std::string& actor) {
  const std::string where = "contractors/" + visible_text(contractor) + " check";
  SANSO_TRY(check_actor(actor));
  nlohmann::json fields = nlohmann::json::object();
  fields["contractor"] = SANSO_TRY(parse_value(contract_check_field("contractor"), contractor, where));
  for (const auto& [key, text] : values) {
    const FieldSpec* f = field_by_header(key);
    if (!f || f->key == "contractor") {
      return make_error("register.unknown-field", where + " " + visible_text(key),
                        "not a field of a contract check (clause, checked_on, result, checked_by, note, next_check)");
    }
    fields[std::string(f->key)] = SANSO_TRY(parse_value(*f, text, where + " " + std::string(f->key)));
  }
  auto tx = SANSO_TRY(store::Transaction::begin(db_));
  ContractCheck c = SANSO_TRY(check_from(fields, SANSO_TRY(contractors_by_key(db_)), where, clock_.today()));
  c.number = SANSO_TRY(next_number(db_, c.contractor));
  c.recorded_by = actor;
  c.recorded_at = now();
  c.audit_index = SANSO_TRY(record(actor, "register.contract-check", "contractors/" + c.contractor, Kind::kContractors,
                                   {{"id", c.contractor}, {"number", std::to_string(c.number)}, {"clause", c.clause}, {"checked_on", c.checked_on},
                                    {"result", c.result}, {"checked_by", c.checked_by}, {"next_check", c.next_check}, {"note", c.note}}));
  SANSO_TRY(insert(db_, c));
  SANSO_TRY(tx.commit());
  return c;
}

Result<ImportSummary> Registers::import_contract_checks(const Table& table, const std::string& file_name, const std::string& file_sha256,
                                                        const std::string& actor) {
  SANSO_TRY(check_actor(actor));
  std::vector<const FieldSpec*> columns;
  std::set<std::string_view> named;
  for (std::size_t i = 0; i < table.header.size(); ++i) {
    const std::string where = file_name + " row 1 column " + column_name(i);
    const FieldSpec* f = field_by_header(table.header[i]);
    if (!f) {
      return make_error("register.unknown-column", where,
                        "'" + visible_text(table.header[i].substr(0, 80)) +
                            "' is not a column of contract checks (委託事業者, 契約条項, 確認日, 確認結果, 確認者, 確認の内容, 次回確認期限)");
    }
    if (!named.insert(f->key).second) return make_error("register.duplicate-column", where, "the column " + std::string(f->ja) + " appears twice");
    columns.push_back(f);
  }
  std::string missing;
  for (const auto& f : contract_check_fields()) {
    if (f.required && !named.contains(f.key)) missing += (missing.empty() ? "" : ", ") + std::string(f.ja) + " (" + std::string(f.key) + ")";
  }
  if (!missing.empty()) return make_error("register.missing-column", file_name, "the header lacks required columns: " + missing + "; nothing was imported");

  auto tx = SANSO_TRY(store::Transaction::begin(db_));
  const auto contractors = SANSO_TRY(contractors_by_key(db_));
  std::vector<Error> problems;
  std::size_t total = 0;
  std::vector<ContractCheck> checks;
  for (const auto& row : table.rows) {
    nlohmann::json fields = nlohmann::json::object();
    bool row_ok = true;
    for (std::size_t i = 0; i < row.cells.size(); ++i) {
      const std::string where = file_name + " row " + std::to_string(row.line) + " column " + column_name(i);
      if (i >= columns.size()) {
        if (row.cells[i].is_number || row.cells[i].text.find_first_not_of(" \t\r\n") != std::string::npos) {
          ++total, row_ok = false;
          if (problems.size() < kMaxImportProblems) problems.push_back(make_error("register.bad-value", where, "a value under a column with no header"));
        }
        continue;
      }
      const Cell& cell = row.cells[i];
      auto value = cell.is_number ? parse_number(*columns[i], cell.number, table.date1904, where) : parse_value(*columns[i], cell.text, where);
      if (!value) {
        ++total, row_ok = false;
        if (problems.size() < kMaxImportProblems) problems.push_back(std::move(value).error());
        continue;
      }
      fields[std::string(columns[i]->key)] = std::move(*value);
    }
    if (!row_ok) continue;
    auto c = check_from(fields, contractors, file_name + " row " + std::to_string(row.line), clock_.today());
    if (!c) {
      ++total;
      if (problems.size() < kMaxImportProblems) problems.push_back(std::move(c).error());
      continue;
    }
    checks.push_back(std::move(*c));
  }
  if (total > 0) {
    return make_error(total == 1 ? problems.front().code : "register.import-refused", file_name, problem_list(problems, total));
  }
  ImportSummary summary;
  summary.rows = table.rows.size();
  summary.added = checks.size();
  summary.encoding = table.encoding;
  summary.audit_index = SANSO_TRY(record(actor, "register.contract-check.import", "contractors", Kind::kContractors,
                                         {{"file", file_name}, {"file_sha256", file_sha256}, {"encoding", table.encoding},
                                          {"rows", std::to_string(summary.rows)}, {"added", std::to_string(summary.added)}}));
  std::map<std::string, std::int64_t> numbers;
  for (auto& c : checks) {
    auto [it, inserted] = numbers.emplace(c.contractor, 0);
    if (inserted) it->second = SANSO_TRY(next_number(db_, c.contractor)) - 1;
    c.number = ++it->second;
    c.recorded_by = actor;
    c.recorded_at = now();
    c.audit_index = summary.audit_index;
    SANSO_TRY(insert(db_, c));
  }
  SANSO_TRY(tx.commit());
  return summary;
}

}  // namespace sanso::registers
