// gst-plugin/frame_embedder: hatembed's work on a frame without GStreamer: the embeddings equal
// the engine's on the same crops, tracks are re-embedded on their interval and carry the last
// embedding in between, degenerate ROIs get none, a frame over budget skips embeddings (counted)
// and the budget follows the time-budget rules.
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include <torch/torch.h>

#include "base/error.h"
#include "frame/crop.h"
#include "frame/frame_view.h"
#include "gst-plugin/frame_embedder.h"
#include "inference/embedding_engine.h"
#include "model/model_loader.h"
#include "tests/test_scene.h"
#include "tests/tiny_model.h"

namespace hat {
namespace {

using gst::FrameEmbedder;
using gst::FrameEmbedderOptions;
using gst::RoiToEmbed;

constexpr int kW = 320, kH = 240;

FrameEmbedderOptions options(int interval, int min_size = 32) {
  return FrameEmbedderOptions{interval, min_size};
}

TEST(FrameEmbedder, EmbeddingsEqualTheEnginesOnTheSameCrops) {
  const cv::Mat scene = test::test_scene(kW, kH, 5);
  const FrameView frame = FrameView::from_bgr(scene);
  const std::vector<cv::Rect> boxes = {{100, 40, 48, 120}, {10, 20, 60, 150}, {250, 90, 70, 150}};
  // The oracle: the engine on the crops as the evaluator would feed them (RGB images).
  EmbeddingEngine engine(load_model(test::tiny_model_path()), {});
  std::vector<cv::Mat> crops;
  for (const auto& b : boxes) crops.push_back(crop_to_rgb(frame, b));
  const torch::Tensor expected = engine.embed_images(crops);

  FrameEmbedder embedder(test::tiny_model_path(), {}, options(10));
  EXPECT_EQ(embedder.preset(), "tiny");
  EXPECT_EQ(embedder.model_file(), "tiny.hat");
  EXPECT_EQ(embedder.dim(), expected.size(1));
  std::vector<RoiToEmbed> rois;
  for (const auto& b : boxes) rois.push_back({b, std::nullopt});
  const auto result = embedder.embed(frame, rois, -1.0);
  ASSERT_EQ(result.rois.size(), boxes.size());
  EXPECT_EQ(result.computed, 3);
  for (size_t i = 0; i < boxes.size(); ++i) {
    ASSERT_TRUE(result.rois[i].has_value()) << i;
    EXPECT_EQ(result.rois[i]->age, 0);
    const torch::Tensor got = torch::tensor(result.rois[i]->data).unsqueeze(0);
    EXPECT_TRUE(torch::allclose(got, expected[static_cast<int64_t>(i)].unsqueeze(0), 1e-4, 1e-5))
        << "ROI " << i;
  }
}

TEST(FrameEmbedder, TracksAreReembeddedOnTheirIntervalAndCarryTheLastEmbedding) {
  FrameEmbedder embedder(test::tiny_model_path(), {}, options(3));
  std::vector<int> ages;
  std::vector<float> first;
  for (int f = 0; f < 7; ++f) {
    // The scene changes every frame: a carried embedding is recognisably an old one.
    const cv::Mat scene = test::test_scene(kW, kH, f);
    const auto result = embedder.embed(
        FrameView::from_bgr(scene),
        {{cv::Rect(50, 50, 40, 100), 7}, {cv::Rect(150, 50, 40, 100), std::nullopt}}, -1.0);
    ASSERT_TRUE(result.rois[0].has_value()) << "frame " << f;
    ASSERT_TRUE(result.rois[1].has_value()) << "frame " << f;
    ages.push_back(result.rois[0]->age);
    EXPECT_EQ(result.rois[1]->age, 0) << "untracked ROIs are embedded on every frame";
    if (f == 0) first = result.rois[0]->data;
    if (f == 1 || f == 2) {
      EXPECT_EQ(result.rois[0]->data, first) << "carried from frame 0";
    }
    if (f == 3) {
      EXPECT_NE(result.rois[0]->data, first) << "re-embedded from frame 3's crop";
    }
  }
  EXPECT_EQ(ages, std::vector<int>({0, 1, 2, 0, 1, 2, 0}));
  const auto stats = embedder.stats();
  EXPECT_EQ(stats.embedded, 3u + 7u);  // the track on frames 0, 3, 6; the untracked ROI always
  EXPECT_EQ(stats.reused, 4u);
  EXPECT_EQ(stats.skipped, 0u);
}

TEST(FrameEmbedder, FramesWithoutRoisCountTowardsTheInterval) {
  FrameEmbedder embedder(test::tiny_model_path(), {}, options(3));
  const cv::Mat scene = test::test_scene(kW, kH);
  const FrameView frame = FrameView::from_bgr(scene);
  const RoiToEmbed person{cv::Rect(50, 50, 40, 100), 7};
  EXPECT_EQ(embedder.embed(frame, {person}, -1.0).rois[0]->age, 0);
  EXPECT_TRUE(embedder.embed(frame, {}, -1.0).rois.empty());
  EXPECT_EQ(embedder.embed(frame, {person}, -1.0).rois[0]->age, 2);
  EXPECT_EQ(embedder.embed(frame, {person}, -1.0).rois[0]->age, 0) << "frame 3: due again";
}

TEST(FrameEmbedder, DegenerateOffFrameAndSmallRoisGetNoEmbedding) {
  FrameEmbedder embedder(test::tiny_model_path(), {}, options(10, 40));
  const cv::Mat scene = test::test_scene(kW, kH);
  const auto result = embedder.embed(FrameView::from_bgr(scene),
                                     {{cv::Rect(10, 10, 0, 0), std::nullopt},
                                      {cv::Rect(kW + 10, 0, 40, 100), std::nullopt},
                                      {cv::Rect(kW - 20, 100, 60, 100), std::nullopt},
                                      {cv::Rect(200, 10, 20, 30), std::nullopt},
                                      {cv::Rect(-30, -70, 60, 100), std::nullopt}},
                                     -1.0);
  ASSERT_EQ(result.rois.size(), 5u);
  EXPECT_FALSE(result.rois[0].has_value()) << "zero-size";
  EXPECT_FALSE(result.rois[1].has_value()) << "off-frame";
  EXPECT_TRUE(result.rois[2].has_value()) << "partly off-frame: clipped, still 100 tall";
  EXPECT_FALSE(result.rois[3].has_value()) << "shorter than min-size";
  EXPECT_FALSE(result.rois[4].has_value()) << "clipped to 30 x 30: shorter than min-size";
  EXPECT_EQ(result.computed, 1);
}

TEST(FrameEmbedder, OverBudgetEmbeddingsAreSkippedLongestWaitingFirstAndCounted) {
  FrameEmbedder embedder(test::tiny_model_path(), {}, options(10));
  const cv::Mat scene = test::test_scene(kW, kH);
  std::vector<RoiToEmbed> rois;
  for (int k = 0; k < 5; ++k) rois.push_back({cv::Rect(10 + 60 * k, 50, 40, 100), k + 1});
  // The first frame measures the cost with one crop; nothing fits in a microsecond afterwards.
  auto result = embedder.embed(FrameView::from_bgr(scene), rois, 1e-6);
  EXPECT_EQ(result.computed, 1);
  EXPECT_EQ(result.skipped, 4);
  int with_embedding = 0;
  for (const auto& r : result.rois) with_embedding += r.has_value() ? 1 : 0;
  EXPECT_EQ(with_embedding, 1);
  result = embedder.embed(FrameView::from_bgr(scene), rois, 1e-6);
  EXPECT_EQ(result.computed, 0);
  EXPECT_EQ(result.skipped, 4) << "the embedded track is not due; the four others are";
  // Unlimited again: the four that waited are served.
  result = embedder.embed(FrameView::from_bgr(scene), rois, -1.0);
  EXPECT_EQ(result.computed, 4);
  const auto stats = embedder.stats();
  EXPECT_EQ(stats.embedded, 5u);
  EXPECT_EQ(stats.skipped, 8u);
}

TEST(FrameEmbedder, ResetForgetsTheTracksEmbeddings) {
  FrameEmbedder embedder(test::tiny_model_path(), {}, options(10));
  const cv::Mat scene = test::test_scene(kW, kH);
  const RoiToEmbed person{cv::Rect(50, 50, 40, 100), 7};
  embedder.embed(FrameView::from_bgr(scene), {person}, -1.0);
  EXPECT_EQ(embedder.embed(FrameView::from_bgr(scene), {person}, -1.0).rois[0]->age, 1);
  embedder.reset();  // a flush: the next frame does not continue the last one
  EXPECT_EQ(embedder.embed(FrameView::from_bgr(scene), {person}, -1.0).rois[0]->age, 0);
}

TEST(FrameEmbedder, BadModelFileIsAClearError) {
  try {
    FrameEmbedder embedder("/nonexistent/model.hat", {}, options(10));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.hat"), std::string::npos) << e.what();
  }
}

TEST(FrameBudget, FollowsTheTimeBudgetProperty) {
  EXPECT_LT(gst::frame_budget_seconds(0.0, true, 0.04), 0.0) << "0: unlimited";
  EXPECT_DOUBLE_EQ(gst::frame_budget_seconds(25.0, false, 0.04), 0.025) << "milliseconds";
  EXPECT_LT(gst::frame_budget_seconds(-1.0, false, 0.04), 0.0) << "auto, not live: unlimited";
  EXPECT_DOUBLE_EQ(gst::frame_budget_seconds(-1.0, true, 0.04), 0.8 * 0.04) << "auto, live";
  EXPECT_DOUBLE_EQ(gst::frame_budget_seconds(-1.0, true, 0.0), 0.8 / 30.0) << "unknown rate";
}

}  // namespace
}  // namespace hat
