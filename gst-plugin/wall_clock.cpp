#include "gst-plugin/wall_clock.h"

namespace hat::gst {

int64_t WallClockAnchor::unix_us(const GstSegment& segment, GstBuffer* buffer) {
  const GstClockTime running =
      GST_BUFFER_PTS_IS_VALID(buffer)
          ? gst_segment_to_running_time(&segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer))
          : GST_CLOCK_TIME_NONE;
  const gint64 now = g_get_real_time();
  if (!GST_CLOCK_TIME_IS_VALID(running)) return now;
  std::lock_guard<std::mutex> lock(mutex_);
  if (!anchored_) {
    anchor_us_ = now - static_cast<gint64>(running / 1000);
    anchored_ = true;
  }
  return anchor_us_ + static_cast<int64_t>(running / 1000);
}

void WallClockAnchor::reset() {
  std::lock_guard<std::mutex> lock(mutex_);
  anchored_ = false;
}

}  // namespace hat::gst
