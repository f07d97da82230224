// One camera's tracked people as the MQTT messages NVRs understand (docs/METADATA.md, "MQTT"):
// Frigate's event envelope on `<prefix>/events` when a track starts, when its identity changes
// and when it ends (never per frame); a `reid` update on `<prefix>/tracked_object_update` each
// time hatmatch recognises a track, also when a known person comes back; the retained "last
// seen" of each identity on `<prefix>/identity/<name or global id>/state`; and, when asked for,
// Home Assistant discovery of enrolled people. Embeddings are included only when asked for:
// they are biometric data.
//
// GStreamer-free and MQTT-free: it turns frames into messages; hatpublish sends them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "publish/mqtt_client.h"

namespace hat::publish {

struct ObjectCandidate {
  int64_t global_id = 0;
  double distance = 0;
  std::string label;
};

// A tracked person on one frame.
struct ObjectObservation {
  int track = 0;
  int x = 0, y = 0, width = 0, height = 0;
  double score = 0;       // detection confidence, 0..1
  int64_t global_id = 0;  // 0: no identity yet
  double distance = 0;
  std::string label;        // enrolled name, "" when not enrolled
  std::string recognition;  // hatmatch's event on this frame ("new", "matched", "switched"), or ""
  std::vector<ObjectCandidate> candidates;  // with a recognition: the nearest identities
  std::vector<float> embedding;             // empty unless computed on this frame
};

struct EventOptions {
  std::string camera = "camera";
  std::string prefix = "hat";
  int64_t end_timeout_us = 2000000;  // a track not seen this long has ended
  bool include_embeddings = false;
  bool ha_discovery = false;
  std::string ha_prefix = "homeassistant";
};

// A name as one MQTT topic level (and a Home Assistant object id): '/', '+', '#', spaces and
// control characters become '_'; "" becomes "_".
std::string topic_level(const std::string& name);

// hat::Error naming `what` unless `prefix` is a usable topic prefix: one or more non-empty
// levels without MQTT's wildcards ('+', '#') or control characters (a NUL would cut the topic).
void check_topic_prefix(const std::string& prefix, const std::string& what);

// sub_label's score for a cosine distance: 1 - distance, within [0, 1].
double match_score(double distance);

class TrackedObjectEvents {
 public:
  // hat::Error for a prefix (or, with ha_discovery, an ha_prefix) that check_topic_prefix refuses.
  explicit TrackedObjectEvents(EventOptions options);

  const EventOptions& options() const { return options_; }

  // The messages one frame at `time_us` (Unix microseconds) gives rise to. Tracks missing for
  // longer than end_timeout_us end here.
  std::vector<MqttMessage> frame(int64_t time_us, const std::vector<ObjectObservation>& objects);
  // The stream ended (EOS, a flush, a stop): every live track ends where it was last seen.
  std::vector<MqttMessage> end_all();

  size_t live_tracks() const { return objects_.size(); }

 private:
  struct Object {
    std::string id;  // Frigate-style event id, unique across restarts of track ids
    int track = 0;
    int64_t start_us = 0, last_us = 0;
    int x = 0, y = 0, width = 0, height = 0;
    double score = 0, top_score = 0;
    int64_t global_id = 0;
    double distance = 0;
    std::string label;
  };

  nlohmann::json object_json(const Object& o, bool ended) const;
  void envelope(const std::string& type, const nlohmann::json& before, const Object& after,
                bool ended, std::vector<MqttMessage>& out) const;
  void identity_state(const Object& o, bool active, std::vector<MqttMessage>& out);
  void end(const Object& o, std::vector<MqttMessage>& out);

  EventOptions options_;
  std::map<int, Object> objects_;
  std::map<std::string, bool> discovered_;  // labels announced to Home Assistant
};

}  // namespace hat::publish
