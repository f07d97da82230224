#include "tests/gst_test_support.h"

#include <mutex>
#include <random>

#include <opencv2/imgproc.hpp>

namespace hat::test {

void init_gstreamer() {
  static std::once_flag once;
  std::call_once(once, [] { gst_init(nullptr, nullptr); });
}

std::string video_caps(const std::string& format, int width, int height, int fps) {
  return "video/x-raw,format=" + format + ",width=" + std::to_string(width) +
         ",height=" + std::to_string(height) + ",framerate=" + std::to_string(fps) + "/1";
}

namespace {

GstVideoInfo info_for(const std::string& format, int width, int height) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, gst_video_format_from_string(format.c_str()),
                            static_cast<guint>(width), static_cast<guint>(height));
  return info;
}

cv::Mat plane_mat(GstVideoFrame& frame, int p, int rows, int cols, int type) {
  return cv::Mat(rows, cols, type, GST_VIDEO_FRAME_PLANE_DATA(&frame, p),
                 static_cast<size_t>(GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p)));
}

}  // namespace

GstBuffer* make_frame(const cv::Mat& bgr, const std::string& format, GstClockTime pts,
                      GstClockTime duration) {
  const int w = bgr.cols, h = bgr.rows;
  GstVideoInfo info = info_for(format, w, h);
  GstBuffer* buffer = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
  GST_BUFFER_PTS(buffer) = pts;
  GST_BUFFER_DURATION(buffer) = duration;
  GstVideoFrame frame;
  gst_video_frame_map(&frame, &info, buffer, GST_MAP_WRITE);
  if (format == "I420" || format == "NV12") {
    cv::Mat yuv;  // I420 as one (h * 3/2) x w image
    cv::cvtColor(bgr, yuv, cv::COLOR_BGR2YUV_I420);
    yuv.rowRange(0, h).copyTo(plane_mat(frame, 0, h, w, CV_8UC1));
    const cv::Mat u = yuv.rowRange(h, h + h / 4).reshape(1, h / 2);
    const cv::Mat v = yuv.rowRange(h + h / 4, h + h / 2).reshape(1, h / 2);
    if (format == "I420") {
      u.copyTo(plane_mat(frame, 1, h / 2, w / 2, CV_8UC1));
      v.copyTo(plane_mat(frame, 2, h / 2, w / 2, CV_8UC1));
    } else {
      cv::Mat uv;
      cv::merge(std::vector<cv::Mat>{u, v}, uv);
      uv.copyTo(plane_mat(frame, 1, h / 2, w / 2, CV_8UC2));
    }
  } else {
    cv::Mat out;
    if (format == "RGB") cv::cvtColor(bgr, out, cv::COLOR_BGR2RGB);
    if (format == "BGR") out = bgr;
    if (format == "RGBx") cv::cvtColor(bgr, out, cv::COLOR_BGR2RGBA);
    if (format == "BGRx") cv::cvtColor(bgr, out, cv::COLOR_BGR2BGRA);
    out.copyTo(plane_mat(frame, 0, h, w, out.type()));
  }
  gst_video_frame_unmap(&frame);
  return buffer;
}

cv::Mat frame_to_bgr(GstBuffer* buffer, const std::string& format, int width, int height) {
  GstVideoInfo info = info_for(format, width, height);
  GstVideoFrame frame;
  gst_video_frame_map(&frame, &info, buffer, GST_MAP_READ);
  cv::Mat bgr;
  const int w = width, h = height;
  if (format == "I420" || format == "NV12") {
    cv::Mat yuv(h * 3 / 2, w, CV_8UC1);
    plane_mat(frame, 0, h, w, CV_8UC1).copyTo(yuv.rowRange(0, h));
    cv::Mat u, v;
    if (format == "I420") {
      u = plane_mat(frame, 1, h / 2, w / 2, CV_8UC1).clone();
      v = plane_mat(frame, 2, h / 2, w / 2, CV_8UC1).clone();
    } else {
      std::vector<cv::Mat> uv;
      cv::split(plane_mat(frame, 1, h / 2, w / 2, CV_8UC2), uv);
      u = uv[0];
      v = uv[1];
    }
    u.reshape(1, h / 4).copyTo(yuv.rowRange(h, h + h / 4));
    v.reshape(1, h / 4).copyTo(yuv.rowRange(h + h / 4, h + h / 2));
    cv::cvtColor(yuv, bgr, cv::COLOR_YUV2BGR_I420);
  } else {
    const bool four = format == "RGBx" || format == "BGRx";
    const cv::Mat in = plane_mat(frame, 0, h, w, four ? CV_8UC4 : CV_8UC3);
    if (format == "RGB") cv::cvtColor(in, bgr, cv::COLOR_RGB2BGR);
    if (format == "BGR") bgr = in.clone();
    if (format == "RGBx") cv::cvtColor(in, bgr, cv::COLOR_RGBA2BGR);
    if (format == "BGRx") cv::cvtColor(in, bgr, cv::COLOR_BGRA2BGR);
  }
  gst_video_frame_unmap(&frame);
  return bgr;
}

std::vector<float> person_embedding(uint64_t seed, int dim, double noise, uint64_t noise_seed) {
  std::mt19937_64 rng(seed), jitter(noise_seed + 1000);
  std::normal_distribution<float> n, m;  // one each: a distribution caches half of its pairs
  std::vector<float> v(static_cast<size_t>(dim));
  for (float& x : v) x = n(rng) + static_cast<float>(noise) * m(jitter);
  return v;
}

}  // namespace hat::test
