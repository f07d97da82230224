// frame/image_file: image files read as RGB, and one-line errors naming the unreadable ones.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include <opencv2/imgcodecs.hpp>

#include "base/error.h"
#include "frame/image_file.h"
#include "tests/test_env.h"

namespace hat {
namespace {

TEST(ImageFile, UnreadableImagesAreNamed) {
  const std::string dir = test::scratch_dir();
  std::ofstream(dir + "/empty.png").close();
  std::ofstream(dir + "/text.jpg") << "this is not a JPEG\n";
  for (const std::string name : {"/empty.png", "/text.jpg", "/missing.png"}) {
    try {
      read_rgb_image(dir + name);
      FAIL() << name;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), dir + name + ": missing, unreadable or not an image");
    }
  }
}

TEST(ImageFile, GrayscaleFileIsExpandedToRgb) {
  const std::string path = test::scratch_dir() + "/gray.png";
  cv::imwrite(path, cv::Mat(10, 6, CV_8UC1, cv::Scalar(77)));
  const cv::Mat rgb = read_rgb_image(path);
  EXPECT_EQ(rgb.type(), CV_8UC3);
  EXPECT_EQ(rgb.at<cv::Vec3b>(3, 3), cv::Vec3b(77, 77, 77));
}

}  // namespace
}  // namespace hat
