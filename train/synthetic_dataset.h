// Synthetic re-ID datasets written in the public releases' exact layouts (folders, file names,
// list files), so that every reader, the trainer and the evaluator run on them unchanged.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace hat {

struct SynthOptions {
  std::string layout = "market1501";  // market1501 | dukemtmc | cuhk03np | msmt17
  std::string out;                    // the dataset root (the release folder is created inside)
  int ids = 100;                      // identities, split half for training, half for testing
  int cameras = 0;                    // 0: the release's (6, 8, 2, 15)
  int max_images_per_camera = 3;      // per identity and camera (at least 2 for test identities)
  int distractors = 0;                // gallery-only images (pid 0 in Market, extra ids elsewhere)
  int junk = 0;                       // Market's pid -1 images
  uint64_t seed = 0;
  // "classic": the cameras of make_camera; "varied": vary_camera's side light, casts,
  // saturation, motion blur, compression, misframed boxes, neighbours and occluders.
  std::string look = "classic";
  // Images or videos whose backgrounds the crops are cut from (a video gives its background
  // plate, train/background_plate): a site's own scenery. Empty: procedural backgrounds.
  std::vector<std::string> backgrounds;
};

struct SynthSummary {
  int train_images = 0, query_images = 0, gallery_images = 0;
  std::string root;  // the release folder
};

std::vector<std::string> synth_layouts();

// Writes the dataset; hat::Error for an unknown layout or look, too few identities, an unreadable
// background file (named) or an unwritable folder.
SynthSummary write_synthetic_dataset(const SynthOptions& options, std::ostream& log);

}  // namespace hat
