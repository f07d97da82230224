// Times of sightings: Unix microseconds, shown as ISO 8601 UTC, and retention durations such as
// "30d" or "12h" as users type them.
#pragma once

#include <cstdint>
#include <string>

namespace hat {

int64_t now_unix_us();
std::string iso_utc(int64_t unix_us);  // "2026-11-24T10:15:00.250Z"
// "90s", "15m", "12h", "30d", "2w" or plain seconds; hat::Error names a malformed value.
int64_t parse_duration_us(const std::string& text);
// A time as ISO 8601 UTC ("2026-11-24T10:15:00Z", fractions allowed) or Unix seconds; hat::Error
// names a malformed value.
int64_t parse_time_us(const std::string& text);

}  // namespace hat
