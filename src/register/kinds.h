// The registers' vocabulary as data: which registers there are (台帳), the clause each serves, and
// each register's fields with their types. Values enter as text (the command line, a CSV or XLSX
// cell) and are turned into typed JSON once, here, with an error that names the field and says
// what was expected; the store keeps only values that passed this.
//
// No stored value can act as a spreadsheet formula: text that a spreadsheet would read as one
// (starting with =, +, -, @, a tab or a carriage return, or their full-width forms) is refused
// wherever it enters, so an exported register is safe to open.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "core/vocabulary.h"

namespace sanso::policy {
struct Policy;
}

namespace sanso::registers {

enum class Kind : std::uint8_t { kAssets, kContractors, kCloud, kSocialMedia, kIncidents, kExceptions, kRisks, kTraining, kReviews };
inline constexpr std::size_t kKindCount = 9;
std::string_view to_string(Kind kind);  // "assets", "contractors", "cloud", "sns", ...
std::string_view label(Kind kind, std::string_view lang);
Result<Kind> parse_kind(std::string_view text);
std::string kind_names();

enum class FieldType : std::uint8_t {
  kId,        // the entry's key: letters, digits, '_', '-', '.'; at most 64 bytes
  kText,      // one line, at most 500 bytes
  kLongText,  // lines, at most 8000 bytes
  kDate,      // YYYY-MM-DD (an XLSX date serial is read too)
  kYesNo,     // yes/no, はい/いいえ
  kChoice,    // one of the field's choices, by name or label
  kLevel,     // 1 to 5
  kCount,     // 0 to 100000
  kList,      // items separated by ';' or new lines, each one line
  kEntryRefs  // audit-log entry indices, separated by ';'
};

struct FieldSpec {
  std::string_view key;
  std::string_view ja;
  std::string_view en;
  FieldType type = FieldType::kText;
  bool required = false;
  // For an entry the policy file declares, the value comes from the policy and is not edited here.
  bool from_policy = false;
  std::span<const Term> choices = {};
};

struct KindSpec {
  Kind kind;
  std::string_view clause;  // the clause of the policy the register serves
  std::span<const FieldSpec> fields;  // the first is the key (kId)

  const FieldSpec* find(std::string_view key) const;
  // A column header: the key, the Japanese or the English label (case-insensitive for ASCII).
  const FieldSpec* find_header(std::string_view header) const;
};

const KindSpec& spec(Kind kind);

// Text → the typed value (string, bool, integer, or array of strings/integers). Empty text is
// null (no value). `where` names the input ("assets.csv row 4 column C (所有者)").
Result<nlohmann::json> parse_value(const FieldSpec& field, std::string_view text, const std::string& where);
// A number from an XLSX cell: a date serial for kDate (1900 system, or 1904 when `date1904`), the
// number itself for kLevel/kCount, its shortest decimal text otherwise.
Result<nlohmann::json> parse_number(const FieldSpec& field, double number, bool date1904, const std::string& where);
// The value as a person reads it and as an import reads it back (choices by their Japanese label).
std::string format_value(const FieldSpec& field, const nlohmann::json& value, std::string_view lang = "ja");

// Checks between fields of one entry (an approved exception needs its approver and expiry, an
// accepted risk its approver...) and, with a policy, references into it (an exception's rule and
// approver role). `where` names the entry.
Result<void> check_entry(const KindSpec& kind, const nlohmann::json& fields, const policy::Policy* policy, const std::string& where);

}  // namespace sanso::registers
