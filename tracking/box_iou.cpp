#include "tracking/box_iou.h"

namespace hat::tracking {

double box_iou(const cv::Rect& a, const cv::Rect& b) {
  const double inter = (a & b).area();
  const double uni = static_cast<double>(a.area()) + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0;
}

}  // namespace hat::tracking
