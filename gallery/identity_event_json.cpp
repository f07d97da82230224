#include "gallery/identity_event_json.h"

#include "base/unix_time.h"

namespace hat {

nlohmann::json identity_event_json(const IdentityEvent& e, std::optional<uint64_t> pts_ns) {
  nlohmann::json line = {{"event", e.kind},
                         {"camera", e.camera},
                         {"track", e.track},
                         {"global_id", e.global_id},
                         {"distance", e.distance},
                         {"label", e.label},
                         {"pts", pts_ns ? nlohmann::json(*pts_ns) : nullptr},
                         {"unix_time_us", e.time_us},
                         {"time", iso_utc(e.time_us)},
                         {"box", {e.box.x, e.box.y, e.box.width, e.box.height}}};
  line["candidates"] = nlohmann::json::array();
  for (const auto& c : e.candidates)
    line["candidates"].push_back(
        {{"global_id", c.identity}, {"distance", c.distance}, {"label", c.label}});
  if (e.previous_id != 0) {
    line["previous_id"] = e.previous_id;
    line["merged"] = e.merged;
  }
  return line;
}

}  // namespace hat
