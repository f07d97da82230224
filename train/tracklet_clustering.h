// Pseudo-identities for self-supervised adaptation: tracklets of the same person, seen at other
// times or by other cameras, are merged by constrained agglomerative clustering of their
// embedding distances. Two tracklets that co-occur (both detected in one frame of one camera) are
// different people, so no merge may ever put them into one cluster.
#pragma once

#include <utility>
#include <vector>

namespace hat {

struct ClusteringResult {
  std::vector<int> labels;  // per tracklet, 0..clusters-1, in order of first member
  int clusters = 0;
  int merges = 0;
  int blocked = 0;  // merges refused because the two clusters held a co-occurring pair
};

// Average-linkage clustering: the two closest clusters merge while their mean distance is below
// `max_distance`, unless a cannot-link pair joins them (that pair of clusters is then never
// considered again). `distances` is n x n, row-major and symmetric. hat::Error when its size is
// not n * n or a cannot-link index is out of range.
ClusteringResult cluster_with_cannot_links(const std::vector<double>& distances, int n,
                                           const std::vector<std::pair<int, int>>& cannot_link,
                                           double max_distance);

// The value below which a share `rate` of `values` lies (linear interpolation between order
// statistics); hat::Error when `values` is empty or `rate` is outside [0, 1].
double quantile(std::vector<double> values, double rate);

}  // namespace hat
