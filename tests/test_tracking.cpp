// The plugin's C++ core without GStreamer: assignment, MOT metrics, the tracker, the embedding
// scheduler, the shared engine and the detector output decoders.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <thread>

#include "evaluation/linear_assignment.h"
#include "evaluation/mot_metrics.h"
#include "gst-plugin/embed_scheduler.h"
#include "gst-plugin/person_detector.h"
#include "gst-plugin/shared_engine.h"
#include "gst-plugin/sort_tracker.h"
#include "model/error.h"
#include "tests/gst_test_support.h"

namespace hat {
namespace {

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
    const auto pairs = solve_assignment(c, 1e9);
    ASSERT_EQ(pairs.size(), n);
    double total = 0;
    for (const auto& [i, j] : pairs) total += c[static_cast<size_t>(i)][static_cast<size_t>(j)];
    EXPECT_NEAR(total, brute_force_min(c), 1e-9);
    // The transpose (more rows than columns) gives the same optimum.
    std::vector<std::vector<double>> t(m, std::vector<double>(n));
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < m; ++j) t[j][i] = c[i][j];
    double total_t = 0;
    for (const auto& [i, j] : solve_assignment(t, 1e9))
      total_t += t[static_cast<size_t>(i)][static_cast<size_t>(j)];
    EXPECT_NEAR(total_t, total, 1e-9);
  }
}

TEST(LinearAssignment, DropsPairsAtOrAboveTheBar) {
  const auto pairs = solve_assignment({{0.1, 5.0}, {5.0, 5.0}}, 1.0);
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0], std::make_pair(0, 0));
  EXPECT_TRUE(solve_assignment({}, 1.0).empty());
}

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

std::vector<gst::TrackerDetection> dets(std::initializer_list<cv::Rect> boxes) {
  std::vector<gst::TrackerDetection> d;
  for (const auto& b : boxes) d.push_back({b, {}});
  return d;
}

TEST(SortTracker, ConfirmsAfterMinHitsAndKeepsIdsThroughACrossing) {
  gst::TrackerOptions o;
  o.min_hits = 3;
  gst::SortTracker tracker(o);
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
  gst::TrackerOptions o;
  o.min_hits = 1;
  o.max_age = 5;
  gst::SortTracker tracker(o);
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
  gst::TrackerOptions o;
  o.min_hits = 1;
  gst::SortTracker tracker(o);
  const std::vector<float> red = {1, 0, 0, 0}, blue = {0, 1, 0, 0};
  const cv::Rect left(100, 100, 40, 100), right(130, 100, 40, 100);
  std::vector<gst::TrackerDetection> before = {{left, red}, {right, blue}};
  std::vector<gst::TrackerDetection> after = {{left, blue}, {right, red}};
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

TEST(SharedEngine, OneCopyPerModelAndConcurrentCropsShareForwardPasses) {
  const std::string model = test::tiny_model_path();
  EngineOptions o;
  o.batch_size = 64;
  auto a = gst::SharedEngine::acquire(model, o);
  auto b = gst::SharedEngine::acquire(model, o);
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(gst::SharedEngine::loaded_count(), 1u);

  torch::manual_seed(1);
  const torch::Tensor inputs = torch::randn({4, 3, 128, 64});
  EmbeddingEngine direct(load_model(model), o);
  const torch::Tensor expected = direct.embed_inputs(inputs);
  std::vector<torch::Tensor> results(8);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t)
    threads.emplace_back([&, t] { results[t] = a->embed(inputs); });
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_TRUE(torch::allclose(r, expected, 1e-4, 1e-5));
  const auto stats = a->stats();
  EXPECT_EQ(stats.requests, 8);
  EXPECT_LT(stats.passes, 8) << "requests waiting together must share a pass";
  a.reset();
  b.reset();
  EXPECT_EQ(gst::SharedEngine::loaded_count(), 0u) << "the last user frees the weights";
}

TEST(SharedEngine, BadModelFileIsAClearError) {
  try {
    gst::SharedEngine::acquire("/nonexistent/model.hat", {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.hat"), std::string::npos) << e.what();
  }
}

TEST(DetectorOutput, DecodesYoloV5YoloV8AndSsdLayouts) {
  gst::DetectorOptions o;
  o.threshold = 0.5;
  // YOLOv5: [1, N, 5 + C]: one person (class 0), one car (class 1), one weak person, and empty
  // candidates (real models have thousands: more candidates than attributes tells the layouts
  // apart).
  const int sz5[] = {1, 10, 7};
  cv::Mat v5(3, sz5, CV_32F, cv::Scalar(0));
  const float rows5[3][7] = {{100, 100, 40, 80, 0.9f, 0.95f, 0.1f},
                             {300, 100, 60, 40, 0.9f, 0.1f, 0.9f},
                             {200, 200, 40, 80, 0.3f, 0.9f, 0.0f}};
  std::memcpy(v5.ptr<float>(), rows5, sizeof(rows5));
  auto d = gst::decode_detector_output(v5, 640, 640, o);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].box, cv::Rect(80, 60, 40, 80));
  EXPECT_NEAR(d[0].confidence, 0.9 * 0.95, 1e-6);
  // YOLOv8: [1, 4 + C, N], attributes first, no objectness.
  const int sz8[] = {1, 6, 10};
  cv::Mat v8(3, sz8, CV_32F, cv::Scalar(0));
  auto at8 = [&](int attr, int n) -> float& { return v8.ptr<float>()[attr * 10 + n]; };
  at8(0, 4) = 320;
  at8(1, 4) = 240;
  at8(2, 4) = 50;
  at8(3, 4) = 120;
  at8(4, 4) = 0.8f;
  d = gst::decode_detector_output(v8, 640, 640, o);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].box, cv::Rect(295, 180, 50, 120));
  // SSD: [1, 1, N, 7] with normalised corners; person is label 1.
  const int szs[] = {1, 1, 2, 7};
  cv::Mat ssd(4, szs, CV_32F, cv::Scalar(0));
  const float rows_s[2][7] = {{0, 1, 0.7f, 0.1f, 0.2f, 0.3f, 0.6f},
                              {0, 3, 0.9f, 0.5f, 0.5f, 0.6f, 0.6f}};
  std::memcpy(ssd.ptr<float>(), rows_s, sizeof(rows_s));
  d = gst::decode_detector_output(ssd, 100, 100, o);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].box, cv::Rect(10, 20, 20, 40));
  const int bad[] = {2, 3};
  EXPECT_THROW(gst::decode_detector_output(cv::Mat(2, bad, CV_32F), 10, 10, o), Error);
}

TEST(Detector, MissingOrCorruptOnnxModelIsAClearError) {
  EXPECT_THROW(gst::make_onnx_detector("/nonexistent.onnx", {}), Error);
  const std::string junk = test::tiny_model_path();  // not ONNX
  try {
    gst::make_onnx_detector(junk, {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(junk), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hat
