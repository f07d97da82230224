#include "gallery/unix_time.h"

#include <chrono>
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

}  // namespace hat
