// A person detector for fixed cameras: a per-pixel background model (OpenCV's MOG2, shadows
// suppressed) gives the moving foreground, whose connected blobs become person boxes. A
// ground-plane prior learned from the same video (detection/ground_plane: person height against
// the row of the feet, fitted from isolated, well-shaped blobs) then does what a shape test alone
// cannot: it rejects blobs of implausible height, splits a blob of people side by side at the
// gaps of its foreground, separates a near person from a farther one above, and joins the
// fragments of one person (a head split from the legs). Until the prior is fitted (the first
// ~60 isolated people) boxes pass a plain aspect and fill test.
//
// It needs no model file and no training. It is stateful (it learns the background and the
// ground plane from the frames it is given, in order), so one instance serves one camera.
#pragma once

#include <memory>

#include "detection/ground_plane.h"
#include "detection/person_detector.h"

namespace hat::gst {

struct BackgroundOptions {
  int history = 500;            // frames the background model remembers
  double var_threshold = 24.0;  // MOG2's squared Mahalanobis distance for "foreground"
  int warmup_frames = 15;       // frames that only teach the background (no detections)
  double min_aspect = 1.3;      // box height / width of a standing or walking person
  double max_aspect = 4.5;
  double min_fill = 0.30;      // foreground share of the box (below: noise, reflections)
  int min_height = 16;         // frame pixels: smaller people are too few pixels to re-identify
  double person_width = 0.42;  // a person's width as a share of their height (splitting)
  GroundPlaneOptions ground;
};

// Boxes of foreground blobs shaped like people. Confidence is the blob's fill of its box (a solid
// person, fill 0.6 and above, reaches 1) times, once the ground plane is fitted, how well its
// height agrees with the plane's (1 at the expected height, 0.75 at 30 % off, 0.46 at 50 %).
// `options.scale` < 1 models the background at a lower resolution (faster); boxes are in frame
// pixels either way.
std::unique_ptr<PersonDetector> make_background_detector(const DetectorOptions& options,
                                                         const BackgroundOptions& background = {});

}  // namespace hat::gst
