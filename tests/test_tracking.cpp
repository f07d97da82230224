// tracking/: box IoU, the minimum-cost assignment (against brute force) and the SORT tracker
// (confirmation, crossings, coasting, appearance).
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "tracking/box_iou.h"
#include "tracking/linear_assignment.h"
#include "tracking/sort_tracker.h"

namespace hat {
namespace {

TEST(BoxIou, OverlapOverUnionByHand) {
  EXPECT_DOUBLE_EQ(tracking::box_iou({0, 0, 10, 10}, {0, 0, 10, 10}), 1.0);
  EXPECT_DOUBLE_EQ(tracking::box_iou({0, 0, 10, 10}, {5, 0, 10, 10}), 50.0 / 150.0);
  EXPECT_DOUBLE_EQ(tracking::box_iou({0, 0, 10, 10}, {20, 20, 5, 5}), 0.0);
  EXPECT_DOUBLE_EQ(tracking::box_iou({0, 0, 0, 0}, {0, 0, 0, 0}), 0.0) << "empty boxes";
}

double brute_force_min(const std::vector<std::vector<double>>& c) {
  const size_t n = c.size(), m = c[0].size();
  std::vector<int> cols(m);
  std::iota(cols.begin(), cols.end(), 0);
  double best = 1e18;
  do {  // rows <= columns here: row i takes column cols[i]
    double s = 0;
    for (size_t i = 0; i < n; ++i) s += c[i][static_cast<size_t>(cols[i])];
    best = std::min(best, s);
  } while (std::next_permutation(cols.begin(), cols.end()));
  return best;
}

TEST(LinearAssignment, MatchesBruteForceOnRandomMatrices) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(0, 10);
  for (int trial = 0; trial < 30; ++trial) {
    const size_t n = 1 + trial % 4, m = n + trial % 3;
    std::vector<std::vector<double>> c(n, std::vector<double>(m));
    for (auto& row : c)
      for (auto& x : row) x = u(rng);
    const auto pairs = tracking::solve_assignment(c, 1e9);
    ASSERT_EQ(pairs.size(), n);
    double total = 0;
    for (const auto& [i, j] : pairs) total += c[static_cast<size_t>(i)][static_cast<size_t>(j)];
    EXPECT_NEAR(total, brute_force_min(c), 1e-9);
    // The transpose (more rows than columns) gives the same optimum.
    std::vector<std::vector<double>> t(m, std::vector<double>(n));
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < m; ++j) t[j][i] = c[i][j];
    double total_t = 0;
    for (const auto& [i, j] : tracking::solve_assignment(t, 1e9))
      total_t += t[static_cast<size_t>(i)][static_cast<size_t>(j)];
    EXPECT_NEAR(total_t, total, 1e-9);
  }
}

TEST(LinearAssignment, DropsPairsAtOrAboveTheBar) {
  const auto pairs = tracking::solve_assignment({{0.1, 5.0}, {5.0, 5.0}}, 1.0);
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0], std::make_pair(0, 0));
  EXPECT_TRUE(tracking::solve_assignment({}, 1.0).empty());
}

std::vector<tracking::TrackerDetection> dets(std::initializer_list<cv::Rect> boxes) {
  std::vector<tracking::TrackerDetection> d;
  for (const auto& b : boxes) d.push_back({b, {}});
  return d;
}

TEST(SortTracker, ConfirmsAfterMinHitsAndKeepsIdsThroughACrossing) {
  tracking::TrackerOptions o;
  o.min_hits = 3;
  tracking::SortTracker tracker(o);
  int id_a = 0, id_b = 0;
  for (int f = 0; f < 40; ++f) {
    // A walks right, B walks left, one row apart: they cross at frame 20.
    const cv::Rect a(20 + 10 * f, 100, 40, 100), b(420 - 10 * f, 130, 40, 100);
    const auto out = tracker.update(dets({a, b}));
    ASSERT_EQ(out.size(), 2u);
    if (f < 2) {
      EXPECT_EQ(out[0].track_id, 0) << "tentative before min-hits";
      continue;
    }
    if (f == 2) {
      id_a = out[0].track_id;
      id_b = out[1].track_id;
      EXPECT_GT(id_a, 0);
      EXPECT_GT(id_b, 0);
      EXPECT_NE(id_a, id_b);
    }
    EXPECT_EQ(out[0].track_id, id_a) << "frame " << f;
    EXPECT_EQ(out[1].track_id, id_b) << "frame " << f;
  }
}

TEST(SortTracker, CoastsOnSkippedFramesAndForgetsAfterMaxAge) {
  tracking::TrackerOptions o;
  o.min_hits = 1;
  o.max_age = 5;
  tracking::SortTracker tracker(o);
  for (int f = 0; f < 5; ++f) tracker.update(dets({cv::Rect(10 * f, 0, 40, 100)}));
  const auto coast = tracker.update({}, /*detector_ran=*/false);
  ASSERT_EQ(coast.size(), 1u);
  EXPECT_EQ(coast[0].detection, -1);
  EXPECT_NEAR(coast[0].box.x, 50, 3) << "the prediction continues the motion";
  for (int f = 0; f < 6; ++f) tracker.update({});
  EXPECT_EQ(tracker.track_count(), 0u);
  tracker.reset();
  EXPECT_EQ(tracker.update(dets({cv::Rect(0, 0, 40, 100)}))[0].track_id, 1) << "ids restart";
}

TEST(SortTracker, AppearanceKeepsIdentitiesWhereMotionIsAmbiguous) {
  // Two people stand still side by side, then both jump to the other's place (a camera cut):
  // motion alone would keep the places, appearance must keep the people.
  tracking::TrackerOptions o;
  o.min_hits = 1;
  tracking::SortTracker tracker(o);
  const std::vector<float> red = {1, 0, 0, 0}, blue = {0, 1, 0, 0};
  const cv::Rect left(100, 100, 40, 100), right(130, 100, 40, 100);
  std::vector<tracking::TrackerDetection> before = {{left, red}, {right, blue}};
  std::vector<tracking::TrackerDetection> after = {{left, blue}, {right, red}};
  int red_id = 0, blue_id = 0;
  for (int f = 0; f < 5; ++f) {
    const auto out = tracker.update(before);
    red_id = out[0].track_id;
    blue_id = out[1].track_id;
  }
  const auto out = tracker.update(after);
  EXPECT_EQ(out[0].track_id, blue_id);
  EXPECT_EQ(out[1].track_id, red_id);
}

TEST(SortTracker, WeakDetectionsContinueTracksButStartNone) {
  tracking::TrackerOptions o;
  o.min_hits = 1;
  tracking::SortTracker tracker(o);
  int id = 0;
  for (int f = 0; f < 5; ++f)
    id = tracker.update({{cv::Rect(100 + 5 * f, 50, 40, 100), {}, 0.9}})[0].track_id;
  // Half hidden: the same person now scores 0.3, and a weak false box appears far away.
  const auto out = tracker.update(
      {{cv::Rect(400, 50, 40, 100), {}, 0.3}, {cv::Rect(125, 50, 40, 100), {}, 0.3}});
  ASSERT_EQ(out.size(), 1u) << "the weak box that continues nothing has no output";
  EXPECT_EQ(out[0].detection, 1);
  EXPECT_EQ(out[0].track_id, id);
  EXPECT_EQ(tracker.track_count(), 1u);
}

TEST(SortTracker, ATrackThatWalksOutOfTheFrameEndsThere) {
  tracking::TrackerOptions o;
  o.min_hits = 1;
  o.max_age = 100;
  tracking::SortTracker tracker(o);
  tracker.set_frame_size(cv::Size(300, 200));
  for (int f = 0; f < 10; ++f) tracker.update(dets({cv::Rect(150 + 10 * f, 50, 40, 100)}));
  // Last seen at x 240..280, walking 10 px a frame: more than half out after 4 frames (the
  // filter's velocity lags a little behind).
  int frames_alive = 0;
  while (tracker.track_count() > 0 && frames_alive < 50) {
    tracker.update({});
    ++frames_alive;
  }
  EXPECT_LE(frames_alive, 6) << "ended at the edge, not max_age frames later";
}

TEST(SortTracker, ALostTrackIsNotReportedOnSkippedFramesUntilMatchedAgain) {
  tracking::TrackerOptions o;
  o.min_hits = 1;
  tracking::SortTracker tracker(o);
  for (int f = 0; f < 5; ++f) tracker.update(dets({cv::Rect(100, 50, 40, 100)}));
  EXPECT_EQ(tracker.update({}, false).size(), 1u) << "matched at the last detector frame";
  tracker.update({});  // the detector ran and missed the person: the track is lost
  EXPECT_TRUE(tracker.update({}, false).empty()) << "a lost track is not drawn on";
  const auto back = tracker.update(dets({cv::Rect(101, 50, 40, 100)}));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].track_id, 1);
  EXPECT_EQ(tracker.update({}, false).size(), 1u);
}

TEST(SortTracker, AppearanceReactivatesATrackLostBehindAnOccluder) {
  tracking::TrackerOptions o;
  o.min_hits = 1;
  tracking::SortTracker tracker(o);
  const std::vector<float> red = {1, 0, 0, 0}, blue = {0, 1, 0, 0};
  int id = 0;
  for (int f = 0; f < 5; ++f)
    id = tracker.update({{cv::Rect(100 + 4 * f, 50, 40, 100), red}})[0].track_id;
  for (int f = 0; f < 10; ++f) tracker.update({});  // hidden for 10 frames
  // Reappears 1.5 box heights on, beyond any IoU with the prediction (which stopped short).
  const auto again = tracker.update({{cv::Rect(116 + 150, 50, 40, 100), red}});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].track_id, id) << "the same appearance continues the lost track";

  tracking::SortTracker other(o);
  for (int f = 0; f < 5; ++f) other.update({{cv::Rect(100 + 4 * f, 50, 40, 100), red}});
  for (int f = 0; f < 10; ++f) other.update({});
  const auto stranger = other.update({{cv::Rect(116 + 150, 50, 40, 100), blue}});
  ASSERT_EQ(stranger.size(), 1u);
  EXPECT_NE(stranger[0].track_id, id) << "another appearance there is another person";
}

}  // namespace
}  // namespace hat
