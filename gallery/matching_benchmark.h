// `hat-gallery bench`: matching latency and throughput against the gallery's size, memory per
// sighting, and gallery-file write speed, each beside a same-run reference (the machine's memory
// bandwidth, an fp32 index's scan).
#pragma once

#include <ostream>
#include <vector>

#include <nlohmann/json.hpp>

namespace hat {

struct MatchingBenchOptions {
  int dim = 1024;  // hat-r18's embedding
  std::vector<int64_t> sizes = {1000, 10000, 100000, 1000000};
  std::vector<int> queries = {1, 8};  // tracks matched in one frame
  int sightings_per_identity = 20;
  int64_t db_sightings = 20000;  // written to a temporary gallery file (0: skip)
  double seconds_per_point = 1.0;
};

nlohmann::json run_matching_benchmark(const MatchingBenchOptions& options, std::ostream& log);

}  // namespace hat
