// gallery/identity_event_json: the JSON line of an identity event (docs/METADATA.md).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gallery/identity_event_json.h"

namespace hat {
namespace {

IdentityEvent event(const std::string& kind) {
  IdentityEvent e;
  e.kind = kind;
  e.camera = "lobby";
  e.track = 3;
  e.global_id = 42;
  e.distance = 0.125;
  e.label = "alice";
  e.time_us = 1700000000123456;  // 2023-11-14 22:13:20.123456 UTC
  e.box = {10, 20, 30, 60};
  return e;
}

TEST(IdentityEventJson, CarriesEveryFieldOfTheEvent) {
  const auto j = identity_event_json(event("new"), 40000000);
  EXPECT_EQ(j["event"], "new");
  EXPECT_EQ(j["camera"], "lobby");
  EXPECT_EQ(j["track"], 3);
  EXPECT_EQ(j["global_id"], 42);
  EXPECT_DOUBLE_EQ(j["distance"].get<double>(), 0.125);
  EXPECT_EQ(j["label"], "alice");
  EXPECT_EQ(j["pts"], 40000000u);
  EXPECT_EQ(j["unix_time_us"], 1700000000123456);
  EXPECT_EQ(j["time"], "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(j["box"], nlohmann::json({10, 20, 30, 60}));
  EXPECT_FALSE(j.contains("previous_id")) << "only switched events name the previous identity";
  EXPECT_FALSE(j.contains("merged"));
}

TEST(IdentityEventJson, NoPtsIsNullAndSwitchesNameThePreviousIdentity) {
  auto e = event("switched");
  e.previous_id = 7;
  e.merged = true;
  const auto j = identity_event_json(e, std::nullopt);
  EXPECT_TRUE(j["pts"].is_null());
  EXPECT_EQ(j["previous_id"], 7);
  EXPECT_EQ(j["merged"], true);
}

}  // namespace
}  // namespace hat
