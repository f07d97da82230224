#include "base/unix_time.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "base/error.h"

namespace hat {

int64_t now_unix_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string iso_utc(int64_t unix_us) {
  int64_t seconds = unix_us / 1000000, micros = unix_us % 1000000;
  if (micros < 0) {
    micros += 1000000;
    --seconds;
  }
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[48];
  const size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(micros / 1000));
  return text;
}

int64_t parse_duration_us(const std::string& text) {
  size_t used = 0;
  double value = -1;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const std::string unit = text.substr(used);
  double scale = 0;
  if (unit.empty() || unit == "s") scale = 1;
  if (unit == "m") scale = 60;
  if (unit == "h") scale = 3600;
  if (unit == "d") scale = 86400;
  if (unit == "w") scale = 7 * 86400;
  if (used == 0 || scale == 0 || !(value >= 0))
    throw Error("'" + text + "' is not a duration (examples: 90s, 15m, 12h, 30d, 2w)");
  return static_cast<int64_t>(value * scale * 1e6);
}

int64_t parse_time_us(const std::string& text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, consumed = 0;
  double second = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%lf%n", &year, &month, &day, &hour, &minute,
                  &second, &consumed) == 6 &&
      (text.substr(static_cast<size_t>(consumed)) == "Z" ||
       static_cast<size_t>(consumed) == text.size()) &&
      month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 &&
      second >= 0 && second < 61) {
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    const auto whole = static_cast<int64_t>(timegm(&tm));
    return whole * 1000000 + static_cast<int64_t>(std::llround(second * 1e6));
  }
  size_t used = 0;
  double seconds = 0;
  try {
    seconds = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(seconds) || std::fabs(seconds) > 1e11)
    throw Error("'" + text +
                "' is not a time (ISO 8601 UTC such as 2026-11-24T10:15:00Z, or Unix "
                "seconds)");
  return static_cast<int64_t>(std::llround(seconds * 1e6));
}

}  // namespace hat
