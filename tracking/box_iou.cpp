#include "tracking/box_iou.h"

namespace hat::tracking {

namespace {
template <typename Box>
double iou_of(const Box& a, const Box& b) {
  const double inter = (a & b).area();
  const double uni = static_cast<double>(a.area()) + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0;
}
}  // namespace

double box_iou(const cv::Rect& a, const cv::Rect& b) { return iou_of(a, b); }
double subpixel_box_iou(const cv::Rect2f& a, const cv::Rect2f& b) { return iou_of(a, b); }

}  // namespace hat::tracking
