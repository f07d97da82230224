// Forensic search by appearance: the sightings of a gallery nearest to a person's embedding, for
// `hat-gallery search` and the HTTP service's search by image.
#pragma once

#include <vector>

#include "gallery/gallery_store.h"

namespace hat {

struct SightingHit {
  double distance = 0;      // cosine distance
  SightingRecord sighting;  // without its embedding
};

// The `top` sightings nearest to `query` (L2-normalised, the gallery's dimension) closer than
// `max_distance`, nearest first. hat::Error as the store's reads.
std::vector<SightingHit> nearest_sightings(const GalleryStore& store,
                                           const std::vector<float>& query, int top,
                                           double max_distance);

}  // namespace hat
