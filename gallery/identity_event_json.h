// An identity event as the JSON line that hatmatch appends to its events-location
// (docs/METADATA.md, "hatmatch events").
#pragma once

#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "gallery/identity_matcher.h"

namespace hat {

// `pts_ns`: the buffer's presentation time, written as null when it has none. previous_id and
// merged are written for "switched" events only.
nlohmann::json identity_event_json(const IdentityEvent& event, std::optional<uint64_t> pts_ns);

}  // namespace hat
