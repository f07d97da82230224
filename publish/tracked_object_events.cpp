#include "publish/tracked_object_events.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "base/error.h"
#include "base/unix_time.h"

namespace hat::publish {
namespace {

// Camera ids and names come from users and the gallery: invalid UTF-8 is replaced, not thrown on.
std::string payload(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

double seconds(int64_t unix_us) { return static_cast<double>(unix_us) / 1e6; }

nlohmann::json optional_name(const std::string& label) {
  return label.empty() ? nlohmann::json(nullptr) : nlohmann::json(label);
}

}  // namespace

std::string topic_level(const std::string& name) {
  std::string out;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    out += (c == '/' || c == '+' || c == '#' || c == ' ' || u < 0x20 || u == 0x7f) ? '_' : c;
  }
  return out.empty() ? "_" : out;
}

void check_topic_prefix(const std::string& prefix, const std::string& what) {
  bool bad = prefix.empty() || prefix.front() == '/' || prefix.back() == '/' ||
             prefix.find("//") != std::string::npos;
  for (const char c : prefix) {
    const auto u = static_cast<unsigned char>(c);
    bad = bad || c == '+' || c == '#' || u < 0x20 || u == 0x7f;
  }
  if (bad)
    throw Error(what + " '" + topic_level(prefix) +
                "' is not a topic prefix: it needs one or more non-empty levels without '+', "
                "'#' or control characters");
}

double match_score(double distance) { return std::clamp(1.0 - distance, 0.0, 1.0); }

TrackedObjectEvents::TrackedObjectEvents(EventOptions options) : options_(std::move(options)) {
  check_topic_prefix(options_.prefix, "topic-prefix");
  if (options_.ha_discovery) check_topic_prefix(options_.ha_prefix, "ha-discovery-prefix");
}

nlohmann::json TrackedObjectEvents::object_json(const Object& o, bool ended) const {
  const bool known = o.global_id != 0;
  return {
      {"id", o.id},
      {"camera", options_.camera},
      {"frame_time", seconds(o.last_us)},
      {"label", "person"},
      {"sub_label", o.label.empty() ? nlohmann::json(nullptr)
                                    : nlohmann::json::array({o.label, match_score(o.distance)})},
      {"score", o.score},
      {"top_score", o.top_score},
      // 64-bit: the corners and area of any int box (fuzz_mqtt_events), not just a sane one.
      {"box", {o.x, o.y, int64_t{o.x} + o.width, int64_t{o.y} + o.height}},
      {"area", int64_t{o.width} * o.height},
      {"start_time", seconds(o.start_us)},
      {"end_time", ended ? nlohmann::json(seconds(o.last_us)) : nlohmann::json(nullptr)},
      {"active", !ended},
      {"stationary", false},
      {"current_zones", nlohmann::json::array()},
      {"entered_zones", nlohmann::json::array()},
      {"has_snapshot", false},
      {"has_clip", false},
      {"false_positive", false},
      {"track_id", o.track},
      {"global_id", known ? nlohmann::json(o.global_id) : nlohmann::json(nullptr)},
      {"distance", known ? nlohmann::json(o.distance) : nlohmann::json(nullptr)},
      {"name", optional_name(o.label)}};
}

void TrackedObjectEvents::envelope(const std::string& type, const nlohmann::json& before,
                                   const Object& after, bool ended,
                                   std::vector<MqttMessage>& out) const {
  const nlohmann::json message = {
      {"type", type}, {"before", before}, {"after", object_json(after, ended)}};
  out.push_back({options_.prefix + "/events", payload(message), false});
}

void TrackedObjectEvents::identity_state(const Object& o, bool active,
                                         std::vector<MqttMessage>& out) {
  if (o.global_id == 0) return;
  const std::string key = o.label.empty() ? std::to_string(o.global_id) : topic_level(o.label);
  const std::string topic = options_.prefix + "/identity/" + key + "/state";
  const nlohmann::json state = {{"global_id", o.global_id},
                                {"name", optional_name(o.label)},
                                {"camera", options_.camera},
                                {"last_seen", iso_utc(o.last_us)},
                                {"last_seen_time", seconds(o.last_us)},
                                {"event_id", o.id},
                                {"track_id", o.track},
                                {"active", active}};
  out.push_back({topic, payload(state), true});
  if (!options_.ha_discovery || o.label.empty() || discovered_.count(o.label)) return;
  discovered_[o.label] = true;
  // A sensor whose state is the camera the person was last seen on, with the rest as attributes.
  const std::string object_id = "hat_" + topic_level(options_.prefix) + "_" + topic_level(o.label);
  const nlohmann::json config = {{"name", o.label + " last seen"},
                                 {"unique_id", object_id},
                                 {"object_id", object_id},
                                 {"state_topic", topic},
                                 {"value_template", "{{ value_json.camera }}"},
                                 {"json_attributes_topic", topic},
                                 {"availability_topic", options_.prefix + "/available"},
                                 {"icon", "mdi:account-search"},
                                 {"device",
                                  {{"identifiers", {"hat-reid-" + options_.prefix}},
                                   {"name", "HAT re-ID (" + options_.prefix + ")"},
                                   {"manufacturer", "hat-reid"},
                                   {"model", "hatpublish"}}}};
  out.push_back({options_.ha_prefix + "/sensor/" + object_id + "/config", payload(config), true});
}

// A track's end time is when it was last seen.
void TrackedObjectEvents::end(const Object& o, std::vector<MqttMessage>& out) {
  const nlohmann::json before = object_json(o, false);
  envelope("end", before, o, true, out);
  identity_state(o, false, out);
}

std::vector<MqttMessage> TrackedObjectEvents::frame(int64_t time_us,
                                                    const std::vector<ObjectObservation>& objects) {
  std::vector<MqttMessage> out;
  for (const auto& ob : objects) {
    auto [it, added] = objects_.try_emplace(ob.track);
    Object& o = it->second;
    const nlohmann::json before = added ? nlohmann::json() : object_json(o, false);
    const bool identity_changed = !added && (ob.global_id != o.global_id || ob.label != o.label);
    if (added) {
      char id[64];
      std::snprintf(id, sizeof id, "%.6f-", seconds(time_us));
      o.id = id + topic_level(options_.camera) + "-" + std::to_string(ob.track);
      o.track = ob.track;
      o.start_us = time_us;
    }
    o.last_us = time_us;
    o.x = ob.x;
    o.y = ob.y;
    o.width = ob.width;
    o.height = ob.height;
    o.score = ob.score;
    o.top_score = std::max(o.top_score, ob.score);
    o.global_id = ob.global_id;
    o.distance = ob.distance;
    o.label = ob.label;
    if (added) {
      envelope("new", object_json(o, false), o, false, out);
    } else if (identity_changed) {
      envelope("update", before, o, false, out);
    }
    if (!ob.recognition.empty() && ob.global_id != 0) {
      nlohmann::json update = {{"type", "reid"},
                               {"id", o.id},
                               {"camera", options_.camera},
                               {"timestamp", seconds(time_us)},
                               {"track_id", o.track},
                               {"event", ob.recognition},
                               {"global_id", ob.global_id},
                               {"name", optional_name(ob.label)},
                               {"score", match_score(ob.distance)},
                               {"distance", ob.distance},
                               {"candidates", nlohmann::json::array()}};
      for (const auto& c : ob.candidates)
        update["candidates"].push_back({{"global_id", c.global_id},
                                        {"name", optional_name(c.label)},
                                        {"distance", c.distance},
                                        {"score", match_score(c.distance)}});
      if (options_.include_embeddings && !ob.embedding.empty()) update["embedding"] = ob.embedding;
      out.push_back({options_.prefix + "/tracked_object_update", payload(update), false});
      identity_state(o, true, out);
    }
  }
  for (auto it = objects_.begin(); it != objects_.end();) {
    if (time_us - it->second.last_us > options_.end_timeout_us) {
      end(it->second, out);
      it = objects_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

std::vector<MqttMessage> TrackedObjectEvents::end_all() {
  std::vector<MqttMessage> out;
  for (const auto& [track, o] : objects_) end(o, out);
  objects_.clear();
  return out;
}

}  // namespace hat::publish
