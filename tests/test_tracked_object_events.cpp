// Specification of the MQTT message builder (publish/tracked_object_events): Frigate's envelope
// on a new track, an identity change and an end, nothing per frame; reid updates on each
// recognition, with candidates; retained "last seen" states; Home Assistant discovery for
// enrolled people only; embeddings only when asked for; topic levels that cannot break topics.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "publish/tracked_object_events.h"

namespace hat::publish {
namespace {

using nlohmann::json;

constexpr int64_t kSecond = 1000000;
constexpr int64_t kStart = 1795000000 * kSecond;

ObjectObservation person(int track, int64_t global_id = 0, const std::string& label = "",
                         const std::string& recognition = "") {
  ObjectObservation o;
  o.track = track;
  o.x = 10 * track;
  o.y = 20;
  o.width = 30;
  o.height = 90;
  o.score = 0.8;
  o.global_id = global_id;
  o.distance = global_id ? 0.2 : 0;
  o.label = label;
  o.recognition = recognition;
  if (!recognition.empty()) o.candidates = {{global_id, 0.2, label}, {99, 0.6, ""}};
  o.embedding = {0.5f, -0.5f};
  return o;
}

std::vector<MqttMessage> on_topic(const std::vector<MqttMessage>& all, const std::string& topic) {
  std::vector<MqttMessage> out;
  for (const auto& m : all)
    if (m.topic == topic) out.push_back(m);
  return out;
}

TEST(TrackedObjectEvents, ATrackGivesNewThenUpdateOnIdentityThenEndAndNothingPerFrame) {
  TrackedObjectEvents events({"lobby", "hat", 2 * kSecond, false, false, "homeassistant"});
  std::vector<MqttMessage> all;
  auto add = [&](std::vector<MqttMessage> m) { all.insert(all.end(), m.begin(), m.end()); };
  add(events.frame(kStart, {person(3)}));
  for (int f = 1; f < 20; ++f) add(events.frame(kStart + f * kSecond / 10, {person(3)}));
  ASSERT_EQ(all.size(), 1u) << "one message for 20 frames of an unchanged track";
  const json created = json::parse(all[0].payload);
  EXPECT_EQ(all[0].topic, "hat/events");
  EXPECT_FALSE(all[0].retain);
  EXPECT_EQ(created["type"], "new");
  EXPECT_EQ(created["after"]["camera"], "lobby");
  EXPECT_EQ(created["after"]["label"], "person");
  EXPECT_EQ(created["after"]["track_id"], 3);
  EXPECT_EQ(created["after"]["box"], json::array({30, 20, 60, 110}));  // x1, y1, x2, y2
  EXPECT_TRUE(created["after"]["global_id"].is_null());
  EXPECT_TRUE(created["after"]["sub_label"].is_null());
  EXPECT_TRUE(created["after"]["end_time"].is_null());
  EXPECT_DOUBLE_EQ(created["after"]["start_time"].get<double>(), kStart / 1e6);

  all.clear();
  add(events.frame(kStart + 2 * kSecond, {person(3, 17, "", "new")}));
  add(events.frame(kStart + 21 * kSecond / 10, {person(3, 17)}));
  const auto updates = on_topic(all, "hat/events");
  ASSERT_EQ(updates.size(), 1u);
  const json update = json::parse(updates[0].payload);
  EXPECT_EQ(update["type"], "update");
  EXPECT_TRUE(update["before"]["global_id"].is_null());
  EXPECT_EQ(update["after"]["global_id"], 17);
  EXPECT_EQ(update["after"]["id"], created["after"]["id"]);

  all.clear();
  add(events.frame(kStart + 5 * kSecond, {}));  // 2.9 s unseen: more than the timeout
  const auto ends = on_topic(all, "hat/events");
  ASSERT_EQ(ends.size(), 1u);
  const json end = json::parse(ends[0].payload);
  EXPECT_EQ(end["type"], "end");
  EXPECT_FALSE(end["after"]["active"].get<bool>());
  EXPECT_DOUBLE_EQ(end["after"]["end_time"].get<double>(), (kStart + 21 * kSecond / 10) / 1e6);
  EXPECT_EQ(events.live_tracks(), 0u);
}

TEST(TrackedObjectEvents, EachRecognitionIsAReidUpdateWithCandidatesAndALastSeenState) {
  TrackedObjectEvents events({"garage", "site", 2 * kSecond, false, false, "homeassistant"});
  const auto first = events.frame(kStart, {person(1, 5, "alice", "matched")});
  const auto reid = on_topic(first, "site/tracked_object_update");
  ASSERT_EQ(reid.size(), 1u);
  const json r = json::parse(reid[0].payload);
  EXPECT_EQ(r["type"], "reid");
  EXPECT_EQ(r["event"], "matched");
  EXPECT_EQ(r["global_id"], 5);
  EXPECT_EQ(r["name"], "alice");
  EXPECT_DOUBLE_EQ(r["score"].get<double>(), 0.8);
  ASSERT_EQ(r["candidates"].size(), 2u);
  EXPECT_EQ(r["candidates"][0]["global_id"], 5);
  EXPECT_TRUE(r["candidates"][1]["name"].is_null());
  EXPECT_FALSE(r.contains("embedding")) << "embeddings are biometric data: off by default";
  const auto state = on_topic(first, "site/identity/alice/state");
  ASSERT_EQ(state.size(), 1u);
  EXPECT_TRUE(state[0].retain);
  const json s = json::parse(state[0].payload);
  EXPECT_EQ(s["camera"], "garage");
  EXPECT_EQ(s["last_seen"], "2026-11-18T11:06:40.000Z");  // Python: utcfromtimestamp(1795000000)
  EXPECT_TRUE(s["active"].get<bool>());
  const json created = json::parse(on_topic(first, "site/events").at(0).payload);
  EXPECT_EQ(created["after"]["sub_label"], json::array({"alice", 0.8}));

  // The same person comes back on a new track: another recognition, another update.
  events.end_all();
  const auto again = events.frame(kStart + 60 * kSecond, {person(2, 5, "alice", "matched")});
  EXPECT_EQ(on_topic(again, "site/tracked_object_update").size(), 1u);
  // An identity without a name is keyed by its global id.
  const auto stranger = events.frame(kStart + 61 * kSecond, {person(3, 8, "", "new")});
  EXPECT_EQ(on_topic(stranger, "site/identity/8/state").size(), 1u);
  EXPECT_TRUE(on_topic(stranger, "homeassistant/sensor/hat_site_alice/config").empty());
}

TEST(TrackedObjectEvents, EmbeddingsAndHomeAssistantDiscoveryOnlyWhenAskedFor) {
  TrackedObjectEvents events({"lobby", "hat", 2 * kSecond, true, true, "ha"});
  const auto out = events.frame(kStart, {person(1, 5, "alice", "matched")});
  const json r = json::parse(on_topic(out, "hat/tracked_object_update").at(0).payload);
  EXPECT_EQ(r["embedding"], json::array({0.5, -0.5}));
  const auto config = on_topic(out, "ha/sensor/hat_hat_alice/config");
  ASSERT_EQ(config.size(), 1u);
  EXPECT_TRUE(config[0].retain);
  const json c = json::parse(config[0].payload);
  EXPECT_EQ(c["state_topic"], "hat/identity/alice/state");
  EXPECT_EQ(c["availability_topic"], "hat/available");
  EXPECT_EQ(c["value_template"], "{{ value_json.camera }}");
  // Announced once, not on every recognition.
  const auto later = events.frame(kStart + kSecond, {person(1, 5, "alice", "matched")});
  EXPECT_TRUE(on_topic(later, "ha/sensor/hat_hat_alice/config").empty());
  // Unnamed identities are not announced.
  const auto stranger = events.frame(kStart + 2 * kSecond, {person(2, 9, "", "new")});
  for (const auto& m : stranger) EXPECT_EQ(m.topic.rfind("ha/", 0), std::string::npos) << m.topic;
}

TEST(TrackedObjectEvents, NamesBecomeSafeTopicLevels) {
  EXPECT_EQ(topic_level("alice"), "alice");
  EXPECT_EQ(topic_level("a/b+c#d e"), "a_b_c_d_e");
  EXPECT_EQ(topic_level(std::string("x\ny", 3)), "x_y");
  EXPECT_EQ(topic_level(""), "_");
  EXPECT_DOUBLE_EQ(match_score(0.25), 0.75);
  EXPECT_DOUBLE_EQ(match_score(1.7), 0.0);
  TrackedObjectEvents events({"lobby", "hat", kSecond, false, false, "homeassistant"});
  const auto out = events.frame(kStart, {person(1, 5, "eve/#", "matched")});
  EXPECT_EQ(on_topic(out, "hat/identity/eve__/state").size(), 1u);
}

// Regressions of fuzz_mqtt_events (docs/RELIABILITY.md).
TEST(TrackedObjectEvents, APrefixThatCannotBeATopicIsRefusedWithItsName) {
  for (const std::string& bad : std::vector<std::string>{"", "a/+/b", "hat/#", "/hat", "hat/",
                                                         "a//b", std::string("h\0t", 3)}) {
    try {
      TrackedObjectEvents events({"lobby", bad, kSecond, false, false, "homeassistant"});
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("topic-prefix"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(TrackedObjectEvents({"lobby", "hat", kSecond, false, true, "home+assistant"}),
               Error);
  EXPECT_NO_THROW(TrackedObjectEvents({"lobby", "site/hat", kSecond, false, true, "ha"}));
}

TEST(TrackedObjectEvents, BoxesAtTheEdgesOfIntGiveTheirCornersAndAreaWithoutOverflow) {
  TrackedObjectEvents events({"lobby", "hat", kSecond, false, false, "homeassistant"});
  ObjectObservation o = person(1);
  o.x = o.y = o.width = o.height = std::numeric_limits<int>::max();
  const auto out = on_topic(events.frame(kStart, {o}), "hat/events");
  ASSERT_EQ(out.size(), 1u);
  const json after = json::parse(out[0].payload)["after"];
  EXPECT_EQ(after["box"][2].get<int64_t>(), 2 * int64_t{std::numeric_limits<int>::max()});
  EXPECT_EQ(after["area"].get<int64_t>(),
            int64_t{std::numeric_limits<int>::max()} * std::numeric_limits<int>::max());
}

TEST(TrackedObjectEvents, TrackIdsReusedAfterAnEndAreNewEvents) {
  TrackedObjectEvents events({"lobby", "hat", kSecond, false, false, "homeassistant"});
  const auto a = events.frame(kStart, {person(1)});
  const auto ended = events.end_all();
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(json::parse(ended[0].payload)["type"], "end");
  const auto b = events.frame(kStart + 5 * kSecond, {person(1)});
  const std::string id_a = json::parse(a.at(0).payload)["after"]["id"];
  const std::string id_b = json::parse(b.at(0).payload)["after"]["id"];
  EXPECT_NE(id_a, id_b);
  EXPECT_EQ(json::parse(b.at(0).payload)["type"], "new");
}

}  // namespace
}  // namespace hat::publish
