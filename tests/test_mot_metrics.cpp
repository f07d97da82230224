// evaluation/mot_metrics: MOTA and IDF1 on hand-countable sequences.
#include <gtest/gtest.h>

#include "evaluation/mot_metrics.h"

namespace hat {
namespace {

TrackSequence walk(int id, int frames, int x0, int dx) {
  TrackSequence s(static_cast<size_t>(frames));
  for (int f = 0; f < frames; ++f)
    s[static_cast<size_t>(f)].push_back({id, cv::Rect(x0 + dx * f, 50, 40, 100)});
  return s;
}

TEST(MotMetrics, PerfectTrackingScoresOne) {
  const auto truth = walk(1, 10, 0, 5);
  auto tracked = walk(7, 10, 0, 5);  // any id naming works
  const auto m = evaluate_tracking(truth, tracked);
  EXPECT_DOUBLE_EQ(m.mota, 1.0);
  EXPECT_DOUBLE_EQ(m.idf1, 1.0);
  EXPECT_EQ(m.id_switches, 0);
}

TEST(MotMetrics, CountsSwitchesMissesAndFalsePositives) {
  const auto truth = walk(1, 10, 0, 5);
  auto tracked = walk(7, 10, 0, 5);
  for (int f = 5; f < 10; ++f) tracked[static_cast<size_t>(f)][0].id = 8;  // a switch at frame 5
  tracked[2].clear();                                                      // a miss
  tracked[3].push_back({9, cv::Rect(400, 300, 40, 100)});                  // a false positive
  const auto m = evaluate_tracking(truth, tracked);
  EXPECT_EQ(m.id_switches, 1);
  EXPECT_EQ(m.misses, 1);
  EXPECT_EQ(m.false_positives, 1);
  EXPECT_NEAR(m.mota, 1.0 - 3.0 / 10.0, 1e-12);
  // Best mapping 1 -> 8 (5 frames) or 1 -> 7 (4 frames after the miss): IDTP 5 over 10 + 10.
  EXPECT_EQ(m.idtp, 5);
  EXPECT_NEAR(m.idf1, 2.0 * 5 / 20, 1e-12);
}

}  // namespace
}  // namespace hat
