// gallery/identity_matcher: identities across cameras, the same-camera constraint, hysteresis,
// merges, min-embeddings, time window, TTL, two processes on one file, and wrong embeddings.
#include <gtest/gtest.h>

#include <memory>

#include "gallery/identity_matcher.h"
#include "gallery/sqlite_gallery_store.h"
#include "tests/gallery_fixtures.h"

namespace hat {
namespace {

using namespace test;  // the gallery fixtures: unit, near, sighting, gallery_path, expect_error

const EmbeddingSpace kSpace{"tiny", kDim};

TrackObservation obs(int track, const std::vector<float>& e) { return observation(track, e); }

int64_t id_of(const FrameIdentities& f, int track) {
  for (const auto& t : f.tracks)
    if (t.track == track) return t.global_id;
  return 0;
}

MatchPolicy test_policy() {
  MatchPolicy p;
  p.threshold = 0.3;
  p.hysteresis = 0.05;
  p.sighting_interval_us = 0;
  p.sync_interval_us = 0;
  p.min_embeddings = 1;
  return p;
}

TEST(IdentityMatcher, OnePersonKeepsOneIdentityAcrossCamerasAndOthersGetNewOnes) {
  IdentityMatcher m(test_policy(), nullptr);
  const auto alice = unit(1), bob = unit(2);
  int64_t t = 1000000;
  FrameIdentities f;
  for (int i = 0; i < 5; ++i)
    f = m.process_frame("cam1", t += 100000, kSpace, {obs(1, near(alice, 0.2, i))});
  const int64_t a = id_of(f, 1);
  ASSERT_NE(a, 0);
  f = m.process_frame("cam2", t += 100000, kSpace, {obs(7, near(alice, 0.2, 50)), obs(8, bob)});
  EXPECT_EQ(id_of(f, 7), a);
  EXPECT_NE(id_of(f, 8), 0);
  EXPECT_NE(id_of(f, 8), a);
  ASSERT_EQ(f.events.size(), 2u);
  for (const auto& e : f.events) EXPECT_EQ(e.kind, e.track == 7 ? "matched" : "new");
}

TEST(IdentityMatcher, TwoTracksOfOneCameraNeverShareAnIdentityUnderTheConstraint) {
  const auto twin = unit(1);
  for (const bool constrained : {true, false}) {
    auto policy = test_policy();
    policy.same_camera_constraint = constrained;
    IdentityMatcher m(policy, nullptr);
    m.process_frame("cam2", 1000000, kSpace, {obs(1, twin)});  // seen once elsewhere
    const auto f = m.process_frame("cam1", 2000000, kSpace,
                                   {obs(1, near(twin, 0.05, 1)), obs(2, near(twin, 0.05, 2))});
    if (constrained) {
      EXPECT_NE(id_of(f, 1), id_of(f, 2));
    } else {
      EXPECT_EQ(id_of(f, 1), id_of(f, 2));
    }
  }
}

// Camera 2's track wavers between two similar people seen by camera 1 (one embedding per
// frame, no averaging); returns how often its identity changes.
int wavering_switches(double hysteresis) {
  auto policy = test_policy();
  policy.track_window = 1;
  policy.hysteresis = hysteresis;
  IdentityMatcher m(policy, nullptr);
  const auto a = unit(1);
  const auto b = near(a, 0.6, 2);
  m.process_frame("cam1", 1000000, kSpace, {obs(1, a)});
  m.process_frame("cam1", 1000000, kSpace, {obs(2, b)});
  int switches = 0;
  int64_t last = 0;
  for (int i = 0; i < 20; ++i) {
    std::vector<float> mix(kDim);
    const double w = i % 2 ? 0.52 : 0.48;
    for (int d = 0; d < kDim; ++d) mix[d] = static_cast<float>(w * a[d] + (1 - w) * b[d]);
    const auto f = m.process_frame("cam2", 2000000 + i * 100000, kSpace, {obs(5, mix)});
    if (last != 0 && id_of(f, 5) != last) ++switches;
    last = id_of(f, 5);
  }
  return switches;
}

TEST(IdentityMatcher, HysteresisHoldsAnIdentityBetweenTwoCloseCandidates) {
  EXPECT_GT(wavering_switches(0.0), 10);  // without a margin it flips nearly every frame
  EXPECT_EQ(wavering_switches(0.05), 0);
}

TEST(IdentityMatcher, AFirstMistakeIsMergedIntoTheRightIdentity) {
  IdentityMatcher m(test_policy(), nullptr);
  const auto alice = unit(1);
  auto f = m.process_frame("cam1", 1000000, kSpace, {obs(1, alice)});
  const int64_t a = id_of(f, 1);
  // Camera 2's track starts on a bad crop (a new identity), then sees alice clearly.
  f = m.process_frame("cam2", 2000000, kSpace, {obs(3, unit(99))});
  const int64_t wrong = id_of(f, 3);
  EXPECT_NE(wrong, a);
  for (int i = 0; i < 12; ++i)
    f = m.process_frame("cam2", 2100000 + i * 100000, kSpace, {obs(3, alice)});
  EXPECT_EQ(id_of(f, 3), a);
  EXPECT_EQ(m.identity_count(), 1u);  // the mistaken identity is gone
}

TEST(IdentityMatcher, ATrackIsMatchedOnceItHasMinEmbeddings) {
  auto policy = test_policy();
  policy.min_embeddings = 3;
  IdentityMatcher m(policy, nullptr);
  const auto alice = unit(1);
  EXPECT_EQ(id_of(m.process_frame("cam1", 1, kSpace, {obs(1, alice)}), 1), 0);
  EXPECT_EQ(id_of(m.process_frame("cam1", 2, kSpace, {obs(1, {})}), 1), 0);  // no new embedding
  EXPECT_EQ(id_of(m.process_frame("cam1", 3, kSpace, {obs(1, alice)}), 1), 0);
  EXPECT_NE(id_of(m.process_frame("cam1", 4, kSpace, {obs(1, alice)}), 1), 0);
}

TEST(IdentityMatcher, OnlySightingsInTheTimeWindowMatch) {
  auto policy = test_policy();
  policy.time_window_us = 10000000;
  IdentityMatcher m(policy, nullptr);
  const auto alice = unit(1);
  const int64_t a = id_of(m.process_frame("cam1", 1000000, kSpace, {obs(1, alice)}), 1);
  EXPECT_EQ(id_of(m.process_frame("cam2", 5000000, kSpace, {obs(1, alice)}), 1), a);
  EXPECT_NE(id_of(m.process_frame("cam3", 60000000, kSpace, {obs(1, alice)}), 1), a);
}

TEST(IdentityMatcher, TracksThatLeaveReleaseTheirIdentityAndTtlForgets) {
  auto policy = test_policy();
  policy.ttl_us = 30000000;
  policy.track_timeout_us = 1000000;
  IdentityMatcher m(policy, nullptr);
  const auto alice = unit(1);
  m.process_frame("cam1", 1000000, kSpace, {obs(1, alice)});
  EXPECT_EQ(m.sighting_count(), 1u);
  m.process_frame("cam1", 100000000, kSpace, {obs(2, unit(2))});  // long after: alice expired
  EXPECT_EQ(m.sighting_count(), 1u);
}

TEST(IdentityMatcher, TwoProcessesShareIdentitiesAndLabelsThroughTheGalleryFile) {
  const auto path = gallery_path();
  {
    SqliteGalleryStore store(path);
    store.require_space(kSpace);
    std::vector<SightingRecord> s = {
        sighting(store.create_identity("carol", 1), 0, 1, unit(3), true)};
    store.add_sightings(s);
  }
  IdentityMatcher first(test_policy(), std::make_unique<SqliteGalleryStore>(path));
  IdentityMatcher second(test_policy(), std::make_unique<SqliteGalleryStore>(path));
  const auto alice = unit(1);
  const int64_t now = 1000000;
  auto f =
      first.process_frame("lobby", now, kSpace, {obs(1, alice), obs(2, near(unit(3), 0.1, 4))});
  const int64_t a = id_of(f, 1);
  EXPECT_EQ(f.tracks[1].label, "carol");
  f = second.process_frame("garage", now + 500000, kSpace, {obs(4, near(alice, 0.1, 5))});
  EXPECT_EQ(id_of(f, 4), a);
  EXPECT_FALSE(f.warning.has_value()) << f.warning->message;
  SqliteGalleryStore check(path);
  EXPECT_EQ(check.sighting_count(), 4);
}

TEST(IdentityMatcher, WrongEmbeddingsAreClearErrors) {
  IdentityMatcher m(test_policy(), nullptr);
  m.process_frame("cam1", 1, kSpace, {obs(1, unit(1))});
  expect_error(
      [&] {
        m.process_frame("cam1", 2, {"hat-r18", 1024}, {obs(1, unit(1, 1024))});
      },
      "every camera needs the same model");
  const auto path = gallery_path();
  {
    SqliteGalleryStore store(path);
    store.require_space({"hat-r50", 4096});
  }
  IdentityMatcher g(test_policy(), std::make_unique<SqliteGalleryStore>(path));
  expect_error([&] { g.process_frame("cam1", 1, kSpace, {obs(1, unit(1))}); },
               "holds 4096-d embeddings of hat-r50");
}

}  // namespace
}  // namespace hat
