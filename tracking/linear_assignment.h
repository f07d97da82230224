// Minimum-cost bipartite matching (the Hungarian method): used by the tracker to pair tracks with
// detections and by the MOT metrics to pair ground-truth and predicted identities.
#pragma once

#include <utility>
#include <vector>

namespace hat::tracking {

// cost[i][j] for rows i and columns j (any shape). Returns the (row, column) pairs of a minimum
// total cost assignment of min(rows, cols) pairs whose cost is below `max_cost`: pairs at or
// above it are dropped from the result (they stay unmatched).
std::vector<std::pair<int, int>> solve_assignment(const std::vector<std::vector<double>>& cost,
                                                  double max_cost);

}  // namespace hat::tracking
