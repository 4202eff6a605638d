// Operations statistics for 6(7) and 6(9): what the city's services did in a period — mail and
// files by verdict, holds, release requests, approvals, releases, transfers, monitor findings —
// counted from the audit log itself, never from counters that can drift or be reset. Every
// number is the count of audit entries of one action and outcome in [from, to), so an auditor
// can recount it from the verified log.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/database.h"

namespace sanso::inspect {

// One thing counted: the audit actions that record it, by outcome.
struct Measure {
  std::string_view id;        // "mail", "file", …
  std::string_view label_ja;
  std::string_view label_en;
  std::vector<std::string_view> actions;
};
// In report order.
const std::vector<Measure>& measures();

// The Japanese word for an audit outcome ("held" → "保留"); the outcome itself when unknown.
std::string_view outcome_ja(std::string_view outcome);

struct MeasureCount {
  std::string_view id;
  std::map<std::string, std::uint64_t> by_outcome;  // outcome → entries
  std::uint64_t total = 0;
};

struct OperationsStatistics {
  std::string label;          // "2026-11", or the campaign period's label
  std::int64_t from = 0;      // Unix seconds, inclusive
  std::int64_t to = 0;        // exclusive
  std::vector<MeasureCount> counts;  // one per measures(), same order
  std::uint64_t entries = 0;         // every audit entry of the period, counted or not
  std::uint64_t first_index = 0;     // the period's first and last audit entry (0/0: none)
  std::uint64_t last_index = 0;
  const MeasureCount& of(std::string_view id) const;
};

// Counts the audit entries of [from, to). Reads in pages (memory bounded by the page, not the
// month); an entry whose record does not parse is an error naming it, never skipped.
Result<OperationsStatistics> operations_statistics(store::Database& db, std::string label, std::int64_t from, std::int64_t to);

// Only the totals of [from, to), one per measures() in order: counted by the store without reading
// the records, for a trend over many months.
Result<std::vector<std::uint64_t>> measure_totals(store::Database& db, std::int64_t from, std::int64_t to);

// One month in Japan Standard Time, "2026-11"; an error for anything else.
Result<OperationsStatistics> monthly_statistics(store::Database& db, std::string_view month);

// The months of [from, to) as labels ("2026-04" … "2027-03" for 2026年度); at most 24.
std::vector<std::string> months_between(std::int64_t from, std::int64_t to);
// The month before "2026-11" ("2026-10"); the label unchanged when it is not a month.
std::string previous_month(std::string_view month);
std::string next_month(std::string_view month);

}  // namespace sanso::inspect
