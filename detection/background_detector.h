// A person detector for fixed cameras: a per-pixel background model (OpenCV's MOG2, shadows
// suppressed) gives the moving foreground, whose connected blobs with a person's shape become
// boxes. People who overlap in the image come out as one blob, which the shape test then
// usually rejects. It needs no model file and no training, and suits the static cameras of a site;
// it is stateful (it learns the background from the frames it is given, in order), so one instance
// serves one camera.
#pragma once

#include <memory>

#include "detection/person_detector.h"

namespace hat::gst {

struct BackgroundOptions {
  int history = 300;            // frames the background model remembers
  double var_threshold = 24.0;  // MOG2's squared Mahalanobis distance for "foreground"
  int warmup_frames = 15;       // frames that only teach the background (no detections)
  double min_aspect = 1.3;      // box height / width a standing or walking person has
  double max_aspect = 4.5;
  double min_fill = 0.30;  // foreground share of the box (below: noise, reflections)
};

// Boxes of foreground blobs shaped like a person. Confidence is the blob's fill of its box,
// scaled so that a solid person reaches 1 (fill 0.6 and above). `options.scale` < 1 models the
// background at a lower resolution (faster); boxes are in frame pixels either way.
std::unique_ptr<PersonDetector> make_background_detector(const DetectorOptions& options,
                                                         const BackgroundOptions& background = {});

}  // namespace hat::gst
