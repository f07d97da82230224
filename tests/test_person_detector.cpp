// gst-plugin/person_detector: decoding YOLOv5, YOLOv8 and SSD outputs, and clear errors for bad
// ONNX model files.
#include <gtest/gtest.h>

#include <cstring>

#include <opencv2/core.hpp>

#include "base/error.h"
#include "detection/person_detector.h"
#include "tests/tiny_model.h"

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
