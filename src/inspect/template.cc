// TOML → ClauseList and Template. toml++ is confined to this file.
#include "inspect/template.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#define TOML_EXCEPTIONS 1
#include <toml++/toml.h>

#include "inspect/checks.h"

namespace sanso::inspect {
namespace {

// Templates and clause lists are a few kilobytes; anything far larger is not one.
constexpr std::uintmax_t kMaxFileBytes = 1 << 20;
constexpr std::size_t kMaxItems = 2000;

std::string at(const std::string& source, const toml::source_region& r) {
  return source + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
}

// Reads the keys of one table, turning each problem into an Error located at the key or value.
class Fields {
 public:
  Fields(const toml::table& table, const std::string& source, std::string what)
      : t_(table), source_(source), what_(std::move(what)) {}

  // Unknown keys are errors: a misspelt `clause` must not leave an item unchecked.
  Result<void> only(std::initializer_list<std::string_view> allowed) const {
    for (auto&& [key, value] : t_) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return make_error("inspect.unknown-key", at(source_, key.source()),
                        "unknown key '" + std::string(key.str()) + "' in " + what_ + " (known keys: " + list + ")");
    }
    return ok();
  }

  Result<std::string> text(std::string_view key, bool required) const {
    const toml::node* n = t_.get(key);
    if (!n) {
      if (!required) return std::string();
      return make_error("inspect.missing-key", at(source_, t_.source()),
                        what_ + " is missing required key '" + std::string(key) + "'");
    }
    const auto* s = n->as_string();
    if (!s) {
      return make_error("inspect.wrong-type", at(source_, n->source()),
                        "'" + std::string(key) + "' in " + what_ + " must be a string");
    }
    if (required && s->get().empty()) {
      return make_error("inspect.empty-value", at(source_, n->source()),
                        "'" + std::string(key) + "' in " + what_ + " must not be empty");
    }
    return s->get();
  }

  // The array of tables at `key` (absent: none).
  Result<std::vector<const toml::table*>> tables(std::string_view key) const {
    std::vector<const toml::table*> out;
    const toml::node* n = t_.get(key);
    if (!n) return out;
    const auto* array = n->as_array();
    if (!array) {
      return make_error("inspect.wrong-type", at(source_, n->source()), "'" + std::string(key) + "' must be [[" + std::string(key) + "]] tables");
    }
    for (const auto& element : *array) {
      const auto* table = element.as_table();
      if (!table) {
        return make_error("inspect.wrong-type", at(source_, element.source()),
                          "every element of '" + std::string(key) + "' must be a table");
      }
      out.push_back(table);
    }
    return out;
  }

  const toml::source_region& source_of(std::string_view key) const {
    const toml::node* n = t_.get(key);
    return n ? n->source() : t_.source();
  }

 private:
  const toml::table& t_;
  const std::string& source_;
  std::string what_;
};

Result<toml::table> parse_toml(std::string_view text, const std::string& source_name) {
  try {
    return toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    // toml++ also rejects bytes that are not UTF-8, with their position.
    return make_error("inspect.toml-syntax", at(source_name, e.source()), "invalid TOML: " + std::string(e.description()));
  }
}

Result<const toml::table*> required_table(const toml::table& doc, std::string_view key, const std::string& source) {
  const toml::node* n = doc.get(key);
  if (!n || !n->as_table()) {
    return make_error("inspect.missing-key", source + ":1:1", "the file needs a [" + std::string(key) + "] table");
  }
  return n->as_table();
}

Result<std::string> read_small_file(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return make_error("inspect.unreadable", path, "cannot read the file: " + ec.message());
  if (size > kMaxFileBytes) {
    return make_error("inspect.too-large", path, "the file has " + std::to_string(size) + " bytes; a template or clause list has at most " +
                                                     std::to_string(kMaxFileBytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("inspect.unreadable", path, "cannot open the file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// "6(3)①" → "6(3)", "6(3)" → "6", "7" → "". Empty optional when `id` is not in the notation
// the policy's rules use: a number, optionally "(n)", optionally a circled digit ①–⑳.
std::optional<std::string> parent_of(std::string_view id) {
  std::size_t i = 0;
  while (i < id.size() && id[i] >= '0' && id[i] <= '9') ++i;
  if (i == 0 || i > 3) return std::nullopt;
  const std::size_t top_end = i;
  if (i == id.size()) return std::string();
  if (id[i] != '(') return std::nullopt;
  const std::size_t open = ++i;
  while (i < id.size() && id[i] >= '0' && id[i] <= '9') ++i;
  if (i == open || i - open > 3 || i >= id.size() || id[i] != ')') return std::nullopt;
  const std::size_t paren_end = ++i;
  if (i == id.size()) return std::string(id.substr(0, top_end));
  // Circled digits ①..⑳ are U+2460..U+2473: E2 91 A0..B3.
  if (id.size() - i == 3 && static_cast<unsigned char>(id[i]) == 0xE2 && static_cast<unsigned char>(id[i + 1]) == 0x91 &&
      static_cast<unsigned char>(id[i + 2]) >= 0xA0 && static_cast<unsigned char>(id[i + 2]) <= 0xB3) {
    return std::string(id.substr(0, paren_end));
  }
  return std::nullopt;
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace

const Clause* ClauseList::find(std::string_view id) const {
  for (const auto& c : clauses) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

std::vector<const Clause*> ClauseList::leaves() const {
  std::set<std::string_view> parents;
  for (const auto& c : clauses) parents.insert(c.parent);
  std::vector<const Clause*> out;
  for (const auto& c : clauses) {
    if (!parents.contains(c.id)) out.push_back(&c);
  }
  return out;
}

Result<ClauseList> load_clause_list(std::string_view toml_text, const std::string& source_name) {
  const toml::table doc = SANSO_TRY(parse_toml(toml_text, source_name));
  SANSO_TRY(Fields(doc, source_name, "the clause list").only({"document", "clauses"}));
  const toml::table* document = SANSO_TRY(required_table(doc, "document", source_name));
  Fields document_fields(*document, source_name, "[document]");
  SANSO_TRY(document_fields.only({"title"}));
  ClauseList list;
  list.document = SANSO_TRY(document_fields.text("title", true));
  const auto tables = SANSO_TRY(Fields(doc, source_name, "the clause list").tables("clauses"));
  if (tables.empty()) return make_error("inspect.no-clauses", source_name + ":1:1", "the clause list has no [[clauses]]");
  if (tables.size() > kMaxItems) return make_error("inspect.too-many", source_name, "more than " + std::to_string(kMaxItems) + " clauses");
  for (const toml::table* t : tables) {
    Fields f(*t, source_name, "a [[clauses]] entry");
    SANSO_TRY(f.only({"id", "title"}));
    Clause clause;
    clause.id = SANSO_TRY(f.text("id", true));
    clause.title = SANSO_TRY(f.text("title", true));
    const auto parent = parent_of(clause.id);
    if (!parent) {
      return make_error("inspect.bad-clause-id", at(source_name, f.source_of("id")),
                        "clause id '" + clause.id + "' is not in the policy's notation (7, 6(2), 6(3)①)");
    }
    if (list.find(clause.id)) {
      return make_error("inspect.duplicate-clause", at(source_name, f.source_of("id")), "clause '" + clause.id + "' is listed twice");
    }
    if (!parent->empty() && !list.find(*parent)) {
      return make_error("inspect.orphan-clause", at(source_name, f.source_of("id")),
                        "clause '" + clause.id + "' comes before its parent '" + *parent + "' (or the parent is missing)");
    }
    clause.parent = *parent;
    list.clauses.push_back(std::move(clause));
  }
  return list;
}

Result<ClauseList> load_clause_list_file(const std::string& path) {
  const std::string text = SANSO_TRY(read_small_file(path));
  return load_clause_list(text, path);
}

std::string_view to_string(Period period) { return period == Period::kMonthly ? "monthly" : "annual"; }
std::string_view label_ja(Period period) { return period == Period::kMonthly ? "月次" : "年次"; }

const Item* Template::find_item(std::string_view item_id) const {
  for (const auto& item : items) {
    if (item.id == item_id) return &item;
  }
  return nullptr;
}

Result<Template> load_template(std::string_view toml_text, const std::string& source_name, const ClauseList& clauses) {
  const toml::table doc = SANSO_TRY(parse_toml(toml_text, source_name));
  Fields top(doc, source_name, "the template");
  SANSO_TRY(top.only({"template", "items"}));
  const toml::table* head = SANSO_TRY(required_table(doc, "template", source_name));
  Fields h(*head, source_name, "[template]");
  SANSO_TRY(h.only({"id", "title", "title_en", "period"}));
  Template out;
  out.source_name = source_name;
  out.id = SANSO_TRY(h.text("id", true));
  if (!valid_id(out.id)) {
    return make_error("inspect.bad-id", at(source_name, h.source_of("id")),
                      "template id '" + out.id + "' may hold only a-z, 0-9, '-', '_' and '.' (at most 64)");
  }
  out.title.ja = SANSO_TRY(h.text("title", true));
  out.title.en = SANSO_TRY(h.text("title_en", false));
  const std::string period = SANSO_TRY(h.text("period", true));
  if (period == "monthly") {
    out.period = Period::kMonthly;
  } else if (period == "annual") {
    out.period = Period::kAnnual;
  } else {
    return make_error("inspect.bad-period", at(source_name, h.source_of("period")),
                      "period '" + period + "' is neither 'monthly' nor 'annual'");
  }
  const auto tables = SANSO_TRY(top.tables("items"));
  if (tables.empty()) return make_error("inspect.no-items", at(source_name, head->source()), "the template has no [[items]]");
  if (tables.size() > kMaxItems) return make_error("inspect.too-many", source_name, "more than " + std::to_string(kMaxItems) + " items");
  for (const toml::table* t : tables) {
    Fields f(*t, source_name, "an [[items]] entry");
    SANSO_TRY(f.only({"id", "clause", "question", "question_en", "kind"}));
    Item item;
    item.line = static_cast<std::uint32_t>(t->source().begin.line);
    item.id = SANSO_TRY(f.text("id", true));
    if (!valid_id(item.id)) {
      return make_error("inspect.bad-id", at(source_name, f.source_of("id")),
                        "item id '" + item.id + "' may hold only a-z, 0-9, '-', '_' and '.' (at most 64)");
    }
    if (out.find_item(item.id)) {
      return make_error("inspect.duplicate-item", at(source_name, f.source_of("id")),
                        "item id '" + item.id + "' is used twice in template '" + out.id + "'");
    }
    item.clause = SANSO_TRY(f.text("clause", true));
    if (!clauses.find(item.clause)) {
      return make_error("inspect.unknown-clause", at(source_name, f.source_of("clause")),
                        "item '" + item.id + "' cites clause '" + item.clause + "', which is not in the clause list of " +
                            clauses.document);
    }
    item.question.ja = SANSO_TRY(f.text("question", true));
    item.question.en = SANSO_TRY(f.text("question_en", false));
    const std::string kind = SANSO_TRY(f.text("kind", true));
    constexpr std::string_view kAutomatic = "automatic:";
    if (kind == "manual") {
      item.kind = ItemKind::kManual;
    } else if (kind.starts_with(kAutomatic)) {
      item.kind = ItemKind::kAutomatic;
      item.check = kind.substr(kAutomatic.size());
      if (!find_automatic_check(item.check)) {
        std::string known;
        for (const auto& c : automatic_checks()) known += (known.empty() ? "" : ", ") + std::string(c.id);
        return make_error("inspect.unknown-check", at(source_name, f.source_of("kind")),
                          "item '" + item.id + "' names automatic check '" + item.check + "', which Sanso does not have (known: " +
                              known + ")");
      }
    } else {
      return make_error("inspect.bad-kind", at(source_name, f.source_of("kind")),
                        "item '" + item.id + "' has kind '" + kind + "'; write 'manual' or 'automatic:<check-id>'");
    }
    out.items.push_back(std::move(item));
  }
  return out;
}

Result<Template> load_template_file(const std::string& path, const ClauseList& clauses) {
  const std::string text = SANSO_TRY(read_small_file(path));
  return load_template(text, path, clauses);
}

std::vector<std::string> uncovered_clauses(const Template& checklist, const ClauseList& clauses) {
  std::set<std::string_view> cited;
  for (const auto& item : checklist.items) cited.insert(item.clause);
  std::vector<std::string> out;
  for (const Clause* leaf : clauses.leaves()) {
    if (!cited.contains(leaf->id)) out.push_back(leaf->id);
  }
  return out;
}

const Template* TemplateSet::find(std::string_view id) const {
  for (const auto& t : templates) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

Result<TemplateSet> load_template_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  TemplateSet set;
  set.clauses = SANSO_TRY(load_clause_list_file((fs::path(dir) / "clauses.toml").string()));
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.extension() == ".toml" && p.filename() != "clauses.toml") files.push_back(p);
  }
  if (ec) return make_error("inspect.unreadable", dir, "cannot list the template directory: " + ec.message());
  std::sort(files.begin(), files.end());  // the same order on every node
  for (const auto& p : files) {
    Template t = SANSO_TRY(load_template_file(p.string(), set.clauses));
    if (const Template* other = set.find(t.id)) {
      return make_error("inspect.duplicate-template", p.string(),
                        "template id '" + t.id + "' is also used by " + other->source_name);
    }
    set.templates.push_back(std::move(t));
  }
  return set;
}

}  // namespace sanso::inspect
