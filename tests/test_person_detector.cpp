// detection/: decoding YOLOv5, YOLOv8 and SSD outputs, clear errors for bad ONNX model files and
// detector names, the ground-plane fit, and the background detector's use of it (splitting,
// joining, rejecting) on drawn scenes whose people are known exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "base/error.h"
#include "detection/background_detector.h"
#include "detection/detector_factory.h"
#include "detection/ground_plane.h"
#include "detection/person_detector.h"
#include "tests/tiny_model.h"
#include "tracking/box_iou.h"

namespace hat {
namespace {

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

// Regressions of fuzz_detector_output (docs/RELIABILITY.md): a network's output is not trusted.
TEST(DetectorOutput, NonFiniteHugeOrEmptyOutputsAreDroppedOrRefusedNeverConverted) {
  gst::DetectorOptions o;
  o.threshold = 0.5;
  const int sz5[] = {1, 10, 7};  // more candidates than attributes: YOLOv5's layout
  cv::Mat v5(3, sz5, CV_32F, cv::Scalar(0));
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = INFINITY;
  const float rows5[4][7] = {{nan, 100, 40, 80, 0.9f, 0.95f, 0},
                             {100, 100, 1e30f, 80, 0.9f, 0.95f, 0},
                             {100, 100, 40, 80, 0.9f, nan, 0},
                             {100, 100, 40, -inf, 0.9f, 0.95f, 0}};
  std::memcpy(v5.ptr<float>(), rows5, sizeof(rows5));
  EXPECT_TRUE(gst::decode_detector_output(v5, 640, 640, o).empty());
  // No candidates at all, in either YOLO layout or SSD's.
  for (const auto& shape : std::vector<std::vector<int>>{{1, 0, 85}, {1, 84, 0}, {1, 1, 0, 7}})
    EXPECT_TRUE(gst::decode_detector_output(
                    cv::Mat(static_cast<int>(shape.size()), shape.data(), CV_32F), 640, 640, o)
                    .empty());
  // An SSD-like shape that holds no rows, and a float64 output: refused, not read.
  const int ssd_empty[] = {0, 1, 5, 7}, v5_shape[] = {1, 10, 7};
  EXPECT_THROW(gst::decode_detector_output(cv::Mat(4, ssd_empty, CV_32F), 10, 10, o), Error);
  EXPECT_THROW(gst::decode_detector_output(cv::Mat(3, v5_shape, CV_64F, cv::Scalar(0)), 10, 10, o),
               Error);
  // A negative threshold (OpenCV's NMS asserts >= 0) keeps every candidate, as 0 does.
  o.threshold = -1;
  const float row[7] = {100, 100, 40, 80, 0.9f, 0.95f, 0};
  std::memcpy(v5.ptr<float>(), row, sizeof(row));
  EXPECT_EQ(gst::decode_detector_output(v5, 640, 640, o).size(), 1u);
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

TEST(Detector, AnUnknownDetectorNameOrOnnxWithoutAModelIsAClearError) {
  EXPECT_THROW(gst::make_person_detector("yolo", "", {}), Error);
  EXPECT_THROW(gst::make_person_detector("onnx", "", {}), Error);
  EXPECT_STREQ(gst::make_person_detector("background", "", {})->name(), "background");
  EXPECT_STREQ(gst::make_person_detector("hog", "", {})->name(), "hog");
}

// The camera of these tests: people are 0.25 * foot_y + 10 pixels tall.
double plane_height(double foot_y) { return 0.25 * foot_y + 10; }

TEST(GroundPlane, FitsTheLineOfIsolatedPeopleDespiteGroupsAndFragments) {
  gst::GroundPlane plane;
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> row(150, 470), noise(0.95, 1.05), kind(0, 1);
  EXPECT_FALSE(plane.expected_height(300).has_value()) << "nothing learned yet";
  for (int i = 0; i < 400; ++i) {
    const double y = row(rng);
    // 30 % outliers: pairs one behind the other (1.8 x) and heads or legs alone (0.4 x).
    const double k = kind(rng);
    const double h = plane_height(y) * noise(rng) * (k < 0.15 ? 1.8 : k < 0.3 ? 0.4 : 1.0);
    plane.add_sample(
        cv::Rect(100, static_cast<int>(y - h), static_cast<int>(h * 0.4), static_cast<int>(h)));
  }
  ASSERT_TRUE(plane.fitted());
  EXPECT_NEAR(plane.slope(), 0.25, 0.02);
  for (double y : {150.0, 300.0, 470.0})
    EXPECT_NEAR(*plane.expected_height(y), plane_height(y), 0.05 * plane_height(y)) << y;
}

// A textured background with sensor noise, and people as dark figures with a head, drawn at the
// plane's height for their feet.
class DrawnCamera {
 public:
  DrawnCamera() : background_(480, 640, CV_8UC3) {
    cv::RNG rng(3);
    rng.fill(background_, cv::RNG::UNIFORM, 110, 150);
    cv::GaussianBlur(background_, background_, cv::Size(0, 0), 2);
  }
  static cv::Rect person(double x, double foot_y) {
    const double h = plane_height(foot_y);
    return cv::Rect(static_cast<int>(x), static_cast<int>(foot_y - h), static_cast<int>(0.35 * h),
                    static_cast<int>(h));
  }
  // `gap_rows`: a band of background across each body (a fragmenting occluder).
  cv::Mat frame(const std::vector<cv::Rect>& people, int gap_rows = 0) {
    cv::Mat f = background_.clone();
    for (const auto& p : people) {
      cv::rectangle(f, cv::Rect(p.x, p.y + p.height / 6, p.width, p.height - p.height / 6),
                    cv::Scalar(40, 50, 60), -1);
      cv::ellipse(f, cv::Point(p.x + p.width / 2, p.y + p.height / 12),
                  cv::Size(p.width / 3, p.height / 12), 0, 0, 360, cv::Scalar(60, 80, 120), -1);
      if (gap_rows > 0) {
        const cv::Rect band(p.x, p.y + p.height / 3, p.width, gap_rows);
        background_(band).copyTo(f(band));
      }
    }
    cv::Mat noise(f.size(), CV_8UC3);
    cv::RNG(frames_++).fill(noise, cv::RNG::UNIFORM, 0, 4);
    return f + noise;
  }

 private:
  cv::Mat background_;
  uint64_t frames_ = 0;
};

// Teaches `detector` the background and the ground plane: one person at a time at many rows.
void teach_camera(gst::PersonDetector& detector, DrawnCamera& camera) {
  for (int i = 0; i < 30; ++i) detector.detect(FrameView::from_bgr(camera.frame({})));
  for (int i = 0; i < 240; ++i) {
    const double foot = 200 + (i * 37) % 270, x = 40 + (i * 53) % 500;
    detector.detect(FrameView::from_bgr(camera.frame({DrawnCamera::person(x, foot)})));
  }
}

// How many of `truth` a detection matches at IoU 0.6 or more, one to one.
int matched(const std::vector<gst::PersonDetection>& found, const std::vector<cv::Rect>& truth) {
  int n = 0;
  std::vector<bool> used(found.size(), false);
  for (const auto& t : truth)
    for (size_t j = 0; j < found.size(); ++j)
      if (!used[j] && tracking::box_iou(found[j].box, t) >= 0.6) {
        used[j] = true;
        ++n;
        break;
      }
  return n;
}

TEST(BackgroundDetector, SplitsPeopleWalkingSideBySideOnceItKnowsTheGroundPlane) {
  DrawnCamera camera;
  auto detector = gst::make_background_detector({});
  teach_camera(*detector, camera);
  // Three people shoulder to shoulder: one blob three people wide.
  const double foot = 400, w = 0.35 * plane_height(foot);
  const std::vector<cv::Rect> group = {DrawnCamera::person(200, foot),
                                       DrawnCamera::person(200 + w + 2, foot),
                                       DrawnCamera::person(200 + 2 * (w + 2), foot)};
  const auto found = detector->detect(FrameView::from_bgr(camera.frame(group)));
  EXPECT_EQ(found.size(), 3u);
  EXPECT_EQ(matched(found, group), 3);
}

TEST(BackgroundDetector, JoinsTheFragmentsOfOnePersonCutByAnOccluder) {
  DrawnCamera camera;
  auto detector = gst::make_background_detector({});
  teach_camera(*detector, camera);
  const std::vector<cv::Rect> one = {DrawnCamera::person(300, 420)};
  const auto found = detector->detect(FrameView::from_bgr(camera.frame(one, 14)));
  ASSERT_EQ(found.size(), 1u) << "head and legs are one person";
  EXPECT_EQ(matched(found, one), 1);
}

TEST(BackgroundDetector, RejectsAFigureFarTooSmallForItsRow) {
  DrawnCamera camera;
  auto detector = gst::make_background_detector({});
  teach_camera(*detector, camera);
  // A 40-pixel figure where people are 115 pixels tall: a bag or a dog, not a person.
  const cv::Rect small(300, 380, 14, 40);
  const auto found = detector->detect(FrameView::from_bgr(camera.frame({small})));
  EXPECT_TRUE(found.empty());
}

}  // namespace
}  // namespace hat
