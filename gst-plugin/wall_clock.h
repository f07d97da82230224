// Unix times of buffers. Running time 0 is anchored to the wall clock when the first buffer
// arrives, so that every camera of one element shares one time line: files replay as if recorded
// from that moment, live sources follow the wall clock. hatmatch and hatpublish time their
// sightings and events with it.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <mutex>

namespace hat::gst {

class WallClockAnchor {
 public:
  // The buffer's Unix time in microseconds; the wall clock now for a buffer without a time.
  // Thread-safe.
  int64_t unix_us(const GstSegment& segment, GstBuffer* buffer);
  // The next buffer anchors the time line again (a new start).
  void reset();

 private:
  std::mutex mutex_;
  bool anchored_ = false;
  int64_t anchor_us_ = 0;
};

}  // namespace hat::gst
