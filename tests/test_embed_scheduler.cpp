// gst-plugin/embed_scheduler: which ROIs hatembed embeds on a frame, and the cost model that fits
// crops to a time budget.
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "gst-plugin/embed_scheduler.h"

namespace hat {
namespace {

TEST(EmbedScheduler, ReembedsTracksEveryIntervalAndUntrackedEveryFrame) {
  gst::EmbedScheduler s(3);
  const std::vector<gst::EmbedCandidate> c = {{1}, {std::nullopt}};
  for (long f = 0; f < 6; ++f) {
    const auto plan = s.plan(f, c, -1);
    const bool track_due = f % 3 == 0;
    EXPECT_EQ(plan.compute.size(), track_due ? 2u : 1u) << "frame " << f;
    EXPECT_EQ(plan.reuse.count(0), track_due ? 0u : 1u);
    if (track_due) s.store(1, f, {static_cast<float>(f)});
  }
  long at = -1;
  ASSERT_NE(s.cached(1, &at), nullptr);
  EXPECT_EQ(at, 3);
}

TEST(EmbedScheduler, OverCapacityTheLongestWaitingGoFirstAndSkipsAreCounted) {
  gst::EmbedScheduler s(1);
  const std::vector<gst::EmbedCandidate> c = {{1}, {2}, {3}};
  auto plan = s.plan(0, c, 1);
  EXPECT_EQ(plan.compute, std::vector<int>({0}));
  EXPECT_EQ(plan.skipped, 2);
  s.store(1, 0, {1.f});
  plan = s.plan(1, c, 1);  // tracks 2 and 3 never embedded: they go before track 1
  EXPECT_EQ(plan.compute, std::vector<int>({1}));
  EXPECT_EQ(plan.reuse.count(0), 1u) << "a skipped track keeps its stale embedding";
  EXPECT_EQ(plan.skipped, 2);
}

TEST(CostModel, FitsCropsToTheBudget) {
  gst::CostModel m;
  EXPECT_EQ(m.affordable(1.0), 1) << "measures with one crop first";
  m.observe(4, 0.425);  // 0.1 s per crop
  EXPECT_EQ(m.affordable(0.5), 4);
  EXPECT_EQ(m.affordable(0.05), 0);
}

}  // namespace
}  // namespace hat
