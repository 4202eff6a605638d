// Clock: the one source of "now" and "today", injectable so that expiry logic is testable.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sanso {

// A calendar date (no time zone); policy exceptions expire at the end of such a day.
struct Date {
  int year = 0;
  int month = 0;
  int day = 0;

  auto operator<=>(const Date&) const = default;
  // ISO 8601, "2027-03-31".
  std::string to_string() const;
  // Accepts exactly YYYY-MM-DD with a real calendar day; anything else is nullopt.
  static std::optional<Date> parse(std::string_view text);
  Date next_day() const;
};

// Source of the current time; production uses SystemClock, tests a FixedClock.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;
  // The local calendar date (the municipality's, from the machine's time zone).
  virtual Date today() const = 0;
};

// The machine's clock.
class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override;
  Date today() const override;
};

// A clock stopped at a given date (midday), for tests and for `--today` on the CLI.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(Date date);
  std::chrono::system_clock::time_point now() const override;
  Date today() const override { return date_; }

 private:
  Date date_;
};

const Clock& system_clock();

// "2026-11-25 22:10:05 +0900": a Unix time in the machine's time zone, as the municipality reads it.
std::string local_time(std::int64_t unix_seconds);
// "2026-11-30T00:53:20Z": UTC, as audit records and the flow monitor write times.
std::string iso_utc(std::int64_t unix_seconds);

}  // namespace sanso
