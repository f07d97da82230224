#include "gallery/matching_benchmark.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include <torch/torch.h>

#include "gallery/random_embeddings.h"
#include "gallery/sighting_index.h"
#include "gallery/sqlite_gallery_store.h"

namespace hat {

namespace {
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

int64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

// Runs `body` repeatedly for about `seconds` (at least 3 times); the median seconds per run.
template <typename F>
double median_seconds(double seconds, F&& body) {
  std::vector<double> times;
  const auto start = Clock::now();
  while (times.size() < 3 || (seconds_since(start) < seconds && times.size() < 1000)) {
    const auto t = Clock::now();
    body();
    times.push_back(seconds_since(t));
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// Streaming bandwidth of this machine now (a large fp32 dot product), the ceiling of a scan.
double memory_bandwidth_gbs(double seconds) {
  const auto a = torch::rand({64 * 1024 * 1024});  // 256 MB, beyond any cache
  const auto b = torch::rand({64 * 1024 * 1024});
  const double s = median_seconds(seconds, [&] { (void)torch::dot(a, b).item<float>(); });
  return 2.0 * a.numel() * 4 / s / 1e9;
}
}  // namespace

nlohmann::json run_matching_benchmark(const MatchingBenchOptions& o, std::ostream& log) {
  nlohmann::json out;
  out["dim"] = o.dim;
  out["threads"] = at::get_num_threads();
  const double bandwidth = memory_bandwidth_gbs(o.seconds_per_point);
  out["memory_bandwidth_gb_s"] = bandwidth;
  log << "dim " << o.dim << ", " << at::get_num_threads() << " threads, memory bandwidth "
      << bandwidth << " GB/s (streaming fp32 dot product)\n";
  std::mt19937 rng(7);
  const auto queries =
      random_unit_rows(*std::max_element(o.queries.begin(), o.queries.end()), o.dim, rng);
  nlohmann::json rows = nlohmann::json::array();
  double first_latency = 0;
  for (const int64_t size : o.sizes) {
    const int64_t before = resident_bytes();
    auto index = std::make_unique<SightingIndex>(o.dim);
    // Added in chunks so that the fp32 staging never dominates the resident size measured.
    constexpr int64_t kChunk = 10000;
    for (int64_t start = 0; start < size; start += kChunk) {
      const int64_t n = std::min(kChunk, size - start);
      const auto e = random_unit_rows(n, o.dim, rng);
      for (int64_t r = 0; r < n; ++r) {
        const int64_t i = start + r;
        index->add(e.data() + r * o.dim, {i / o.sightings_per_identity + 1,
                                          static_cast<uint64_t>(i % 997 + 1), i, false});
      }
    }
    const int64_t grown = resident_bytes() - before;
    for (const int q : o.queries) {
      const std::vector<uint64_t> owners(static_cast<size_t>(q), 1);
      const double s = median_seconds(o.seconds_per_point, [&] {
        (void)index->nearest_identities(queries.data(), q, owners, 0, 5);
      });
      if (rows.empty()) first_latency = s;
      const double scanned = static_cast<double>(size) * o.dim * 2 * q;
      nlohmann::json row = {{"sightings", size},
                            {"identities", index->identities()},
                            {"queries", q},
                            {"latency_ms", s * 1e3},
                            {"queries_per_s", q / s},
                            {"sightings_per_s", static_cast<double>(size) * q / s},
                            {"scan_gb_s", scanned / s / 1e9},
                            {"fraction_of_bandwidth", scanned / s / 1e9 / bandwidth},
                            {"index_bytes_per_sighting", index->bytes_per_sighting()},
                            {"resident_bytes_per_sighting", static_cast<double>(grown) / size}};
      char line[256];
      std::snprintf(
          line, sizeof line,
          "%8lld sightings, %2d queries: %9.3f ms (%10.0f queries/s, %5.1f GB/s = %3.0f%% "
          "of bandwidth), %4.0f B resident per sighting\n",
          static_cast<long long>(size), q, s * 1e3, q / s, scanned / s / 1e9,
          100 * scanned / s / 1e9 / bandwidth, static_cast<double>(grown) / size);
      log << line;
      rows.push_back(row);
    }
  }
  out["matching"] = rows;
  out["first_latency_ms"] = first_latency * 1e3;

  if (o.db_sightings > 0) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("hat-gallery-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "gallery.db").string();
    double seconds = 0;
    {
      SqliteGalleryStore store(path);
      store.require_space({"bench", o.dim});
      const int64_t identity = store.create_identity("", 0);
      const auto e = random_unit_rows(1, o.dim, rng);
      constexpr int kPerCommit = 10;  // a frame's worth of tracks
      const auto start = Clock::now();
      for (int64_t i = 0; i < o.db_sightings; i += kPerCommit) {
        std::vector<SightingRecord> batch(kPerCommit);
        for (auto& s : batch) {
          s.identity = identity;
          s.session = 1;
          s.camera = "bench";
          s.time_us = i;
          s.embedding = e;
        }
        store.add_sightings(batch);
      }
      seconds = seconds_since(start);
    }
    std::uintmax_t bytes = 0;
    for (const auto& f : std::filesystem::directory_iterator(dir)) bytes += f.file_size();
    std::filesystem::remove_all(dir);
    out["gallery_file"] = {{"sightings", o.db_sightings},
                           {"sightings_per_commit", 10},
                           {"sightings_per_s", o.db_sightings / seconds},
                           {"bytes_per_sighting", static_cast<double>(bytes) / o.db_sightings}};
    log << "gallery file: " << o.db_sightings / seconds << " sightings/s written (10 per commit), "
        << static_cast<double>(bytes) / o.db_sightings << " B per sighting on disk\n";
  }
  return out;
}

}  // namespace hat
