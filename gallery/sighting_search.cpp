#include "gallery/sighting_search.h"

#include <algorithm>
#include <cmath>
#include <queue>

namespace hat {

std::vector<SightingHit> nearest_sightings(const GalleryStore& store,
                                           const std::vector<float>& query, int top,
                                           double max_distance) {
  auto farther = [](const SightingHit& a, const SightingHit& b) { return a.distance < b.distance; };
  std::priority_queue<SightingHit, std::vector<SightingHit>, decltype(farther)> hits(farther);
  store.for_each_sighting(
      [&](const SightingRecord& s) {
        if (s.embedding.size() != query.size()) return;
        double dot = 0, norm = 0;
        for (size_t d = 0; d < s.embedding.size(); ++d) {
          dot += static_cast<double>(query[d]) * s.embedding[d];
          norm += static_cast<double>(s.embedding[d]) * s.embedding[d];
        }
        const double distance = 1.0 - (norm > 0 ? dot / std::sqrt(norm) : 0.0);
        if (distance >= max_distance) return;
        if (static_cast<int>(hits.size()) < top) {
          hits.push({distance, s});
        } else if (!hits.empty() && distance < hits.top().distance) {
          hits.pop();
          hits.push({distance, s});
        }
      },
      true);
  std::vector<SightingHit> sorted;
  for (; !hits.empty(); hits.pop()) {
    sorted.push_back(hits.top());
    sorted.back().sighting.embedding.clear();
  }
  std::reverse(sorted.begin(), sorted.end());
  return sorted;
}

}  // namespace hat
