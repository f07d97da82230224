// frame/crop: a box's pixels as packed RGB, the same from every packed format.
#include <gtest/gtest.h>

#include <utility>

#include <opencv2/imgproc.hpp>

#include "frame/crop.h"
#include "frame/frame_view.h"
#include "tests/test_scene.h"

namespace hat {
namespace {

using test::random_bgr;

TEST(Crop, BgrFrameCropBecomesRgb) {
  cv::Mat bgr(20, 30, CV_8UC3, cv::Scalar(0, 0, 0));
  bgr(cv::Rect(10, 5, 4, 6)).setTo(cv::Scalar(255, 0, 0));  // blue in BGR
  const cv::Mat crop = crop_to_rgb(FrameView::from_bgr(bgr), cv::Rect(10, 5, 4, 6));
  ASSERT_EQ(crop.size(), cv::Size(4, 6));
  EXPECT_EQ(crop.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 255));
}

TEST(Crop, PackedFormatsAgree) {
  const cv::Mat bgr = random_bgr(24, 36, 3);
  const cv::Rect box(5, 3, 17, 15);
  const cv::Mat ref = crop_to_rgb(FrameView::from_bgr(bgr), box);
  cv::Mat rgb, rgbx, bgrx;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  cv::cvtColor(bgr, rgbx, cv::COLOR_BGR2RGBA);
  cv::cvtColor(bgr, bgrx, cv::COLOR_BGR2BGRA);
  for (auto [format, mat] : {std::pair{PixelFormat::kRGB, rgb},
                             {PixelFormat::kRGBx, rgbx},
                             {PixelFormat::kBGRx, bgrx}}) {
    FrameView f;
    f.format = format;
    f.width = mat.cols;
    f.height = mat.rows;
    f.planes[0] = mat.data;
    f.strides[0] = static_cast<int>(mat.step[0]);
    EXPECT_EQ(cv::norm(crop_to_rgb(f, box), ref, cv::NORM_INF), 0.0) << static_cast<int>(format);
  }
}

}  // namespace
}  // namespace hat
