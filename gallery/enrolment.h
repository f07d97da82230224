// Enrolling a watch-list person: their images' embeddings become enrolled sightings (kept by
// retention and purge) of the identity with their label, created when new, each with its
// thumbnail. `hat-gallery enroll` and the HTTP service enrol through it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gallery/gallery_store.h"

namespace hat {

struct EnrolmentImage {
  int width = 0, height = 0;
  std::vector<float> embedding;  // L2-normalised, of the gallery's embedding space
  std::string thumbnail_jpeg;    // may be empty
};

struct EnrolmentResult {
  int64_t identity = 0;
  bool created = false;
  int images = 0;
};

// hat::Error for an empty label, no images, another embedding space than the gallery's, or a
// store error (nothing written then).
EnrolmentResult enrol(GalleryStore& store, const EmbeddingSpace& space, const std::string& label,
                      const std::vector<EnrolmentImage>& images, int64_t time_us);

}  // namespace hat
