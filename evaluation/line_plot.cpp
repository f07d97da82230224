#include "evaluation/line_plot.h"

#include <algorithm>
#include <cstdio>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "base/error.h"
#include "base/file_io.h"

namespace hat {

namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, std::abs(v) >= 100 || v == static_cast<int>(v) ? "%.0f" : "%.2g",
                v);
  return buf;
}

}  // namespace

void write_line_plot(const std::string& path, const std::string& title, const std::string& x_label,
                     const std::string& y_label, const std::vector<Series>& series, double y_min,
                     double y_max) {
  const int w = 640, h = 420, left = 60, right = 20, top = 60, bottom = 50;
  const int pw = w - left - right, ph = h - top - bottom;
  double x0 = 1e300, x1 = -1e300, data_max = -1e300;
  for (const auto& s : series)
    for (size_t i = 0; i < s.x.size(); ++i) {
      x0 = std::min(x0, s.x[i]);
      x1 = std::max(x1, s.x[i]);
      data_max = std::max(data_max, s.y[i]);
    }
  if (x0 > x1) throw Error("nothing to plot for " + path);
  if (x1 == x0) x1 = x0 + 1;
  if (y_max <= y_min) y_max = data_max > y_min ? data_max * 1.05 : y_min + 1;
  cv::Mat img(h, w, CV_8UC3, cv::Scalar(255, 255, 255));
  const cv::Scalar axis(0, 0, 0), grid(225, 225, 225);
  auto px = [&](double x) { return left + static_cast<int>(pw * (x - x0) / (x1 - x0)); };
  auto py = [&](double y) {
    return top + static_cast<int>(ph * (1.0 - (y - y_min) / (y_max - y_min)));
  };
  for (int t = 0; t <= 10; ++t) {
    const double y = y_min + (y_max - y_min) * t / 10;
    cv::line(img, {left, py(y)}, {left + pw, py(y)}, grid);
    cv::putText(img, number(y), {5, py(y) + 5}, cv::FONT_HERSHEY_SIMPLEX, 0.4, axis);
  }
  for (int t = 0; t <= 10; ++t) {
    const double x = x0 + (x1 - x0) * t / 10;
    cv::line(img, {px(x), top}, {px(x), top + ph}, grid);
    cv::putText(img, number(x), {px(x) - 8, top + ph + 18}, cv::FONT_HERSHEY_SIMPLEX, 0.4, axis);
  }
  cv::rectangle(img, {left, top}, {left + pw, top + ph}, axis);
  const cv::Scalar colours[] = {
      {200, 90, 30}, {40, 40, 200}, {30, 160, 30}, {160, 30, 160}, {0, 140, 200}};
  int legend_x = left;
  for (size_t k = 0; k < series.size(); ++k) {
    const auto& s = series[k];
    const cv::Scalar c = colours[k % 5];
    for (size_t i = 1; i < s.x.size(); ++i)
      cv::line(img, {px(s.x[i - 1]), py(s.y[i - 1])}, {px(s.x[i]), py(s.y[i])}, c, 2, cv::LINE_AA);
    for (size_t i = 0; i < s.x.size(); ++i) cv::circle(img, {px(s.x[i]), py(s.y[i])}, 2, c, -1);
    cv::line(img, {legend_x, top - 8}, {legend_x + 18, top - 8}, c, 2);
    cv::putText(img, s.name, {legend_x + 22, top - 4}, cv::FONT_HERSHEY_SIMPLEX, 0.4, axis);
    legend_x += 30 + 8 * static_cast<int>(s.name.size());
  }
  cv::putText(img, title, {left, 22}, cv::FONT_HERSHEY_SIMPLEX, 0.5, axis, 1, cv::LINE_AA);
  cv::putText(img, x_label, {left + pw / 2 - 15, h - 12}, cv::FONT_HERSHEY_SIMPLEX, 0.45, axis);
  cv::putText(img, y_label, {5, 40}, cv::FONT_HERSHEY_SIMPLEX, 0.4, axis);
  std::vector<uchar> bytes;
  if (!cv::imencode(".png", img, bytes)) throw Error("cannot encode " + path);
  write_file_atomically(path, bytes.data(), bytes.size());
}

}  // namespace hat
