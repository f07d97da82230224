// What people read: the terminal table, the JSON, the CMC curve and the ranked-list picture.
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "evaluation/metrics.h"

namespace hat {

// mAP, R1, R5, R10, mINP as percentages.
void print_table(std::ostream& out, const std::string& title, const MetricsSummary& metrics);

// {"mAP", "mINP", "cmc", "num_valid_queries", "num_queries"}, fractions in [0, 1].
nlohmann::json to_json(const MetricsSummary& metrics);

// The CMC curve (rank 1..N) as a PNG, written atomically.
void write_cmc_plot(const std::string& path, const MetricsSummary& metrics,
                    const std::string& title);

// One row per sampled query: the query image, then its best gallery images framed green (true
// match) or red (wrong). Written atomically as PNG.
struct RankedListInput {
  std::vector<std::string> query_paths, gallery_paths;
  const Labels* query = nullptr;
  const Labels* gallery = nullptr;
  std::map<int, std::vector<int>> lists;  // query index -> gallery indices in rank order
};
void write_ranked_list(const std::string& path, const RankedListInput& input);

// `count` query indices spread evenly over `total` (deterministic).
std::vector<int> sample_queries(int total, int count);

}  // namespace hat
