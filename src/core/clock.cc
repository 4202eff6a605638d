#include "core/clock.h"

#include <charconv>
#include <ctime>

namespace sanso {
namespace {

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

bool parse_digits(std::string_view text, int& out) {
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

std::string Date::to_string() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

std::optional<Date> Date::parse(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  Date d;
  if (!parse_digits(text.substr(0, 4), d.year) || !parse_digits(text.substr(5, 2), d.month) ||
      !parse_digits(text.substr(8, 2), d.day)) {
    return std::nullopt;
  }
  if (d.year < 1 || d.month < 1 || d.month > 12 || d.day < 1 ||
      d.day > days_in_month(d.year, d.month)) {
    return std::nullopt;
  }
  return d;
}

Date Date::next_day() const {
  Date d = *this;
  if (++d.day > days_in_month(d.year, d.month)) {
    d.day = 1;
    if (++d.month > 12) {
      d.month = 1;
      ++d.year;
    }
  }
  return d;
}

std::chrono::system_clock::time_point SystemClock::now() const {
  return std::chrono::system_clock::now();
}

Date SystemClock::today() const {
  std::time_t t = std::chrono::system_clock::to_time_t(now());
  std::tm tm{};
  localtime_r(&t, &tm);
  return Date{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
}

FixedClock::FixedClock(Date date) : date_(date) {}

std::chrono::system_clock::time_point FixedClock::now() const {
  std::tm tm{};
  tm.tm_year = date_.year - 1900;
  tm.tm_mon = date_.month - 1;
  tm.tm_mday = date_.day;
  tm.tm_hour = 12;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

std::string iso_utc(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string local_time(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %z", &tm);
  return buf;
}

}  // namespace sanso
