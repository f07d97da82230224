// `hat-gallery bench-store`: what one gallery backend holds: sighting write throughput with 1, 4
// and 8 writer processes at once (each committing a frame's 10 sightings per transaction), and
// the latency from one process's commit to another process reading the sighting, the follower
// reading as hatmatch does (at once when the store is notified, otherwise every poll interval).
// Run against an SQLite file and a PostgreSQL database in the same run (scripts/bench-scale.sh).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hat {

struct StoreBenchOptions {
  std::string location;  // an empty gallery: a new file path or a postgresql:// URI
  int dim = 1024;
  std::vector<int> writers = {1, 4, 8};
  double seconds = 3;        // per writer count
  int latency_samples = 40;  // sightings written 50 ms apart, timed from commit to read
  int poll_ms = 500;         // the follower's poll (hatmatch's default sync-interval)
};

// hat::Error when the gallery cannot be opened or a writer fails.
nlohmann::json run_store_benchmark(const StoreBenchOptions& options, std::ostream& log);

}  // namespace hat
