// The in-memory side of the gallery that matching searches: every sighting's L2-normalised
// embedding, fp16, in one contiguous matrix scanned by matrix-vector products (memory-bound: fp16
// halves both the memory per sighting and the scan time of fp32), and each identity's distance
// is the nearest of its sightings (1 - cosine similarity).
//
// Observed sightings are kept in arrival order and evicted oldest first (a size cap and a TTL);
// enrolled (watch-list) sightings are kept apart and never evicted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace hat {

struct IndexedSighting {
  int64_t identity = 0;
  uint64_t owner = 0;  // the track that saw it (0: enrolment); a track is not matched to itself
  int64_t time_us = 0;
  bool enrolled = false;
};

struct IdentityCandidate {
  int64_t identity = 0;
  float distance = 0;  // cosine distance to the nearest sighting
};

class SightingIndex {
 public:
  explicit SightingIndex(int dim);

  int dim() const { return dim_; }
  size_t size() const { return (observed_.info.size() - front_) + enrolled_.info.size(); }
  size_t identities() const { return identity_slot_.size(); }

  // `embedding` must be L2-normalised (dim floats).
  void add(const float* embedding, const IndexedSighting& sighting);

  // Drops observed sightings older than `min_time_us`, then the oldest beyond `max_size`.
  void evict(size_t max_size, int64_t min_time_us);
  // Every sighting of `from` now belongs to `into`.
  void relabel(int64_t from, int64_t into);
  // Whether sightings of `identity` come from any owner other than `owner`.
  bool seen_by_others(int64_t identity, uint64_t owner) const;

  // For each of `count` queries (L2-normalised, row-major): up to `k` identities, nearest first,
  // among sightings at or after `min_time_us` (enrolled ones always count) and not owned by
  // `exclude_owner[q]`.
  std::vector<std::vector<IdentityCandidate>> nearest_identities(
      const float* queries, int count, const std::vector<uint64_t>& exclude_owner,
      int64_t min_time_us, int k) const;

  // Bytes the index holds per sighting (embedding and bookkeeping).
  size_t bytes_per_sighting() const;

 private:
  struct Rows {
    std::vector<uint16_t> embeddings;  // rows x dim, IEEE fp16
    std::vector<IndexedSighting> info;
    std::vector<int32_t> slot;  // dense identity slot of each row
  };
  struct Slot {
    int64_t identity = 0;
    uint64_t first_owner = 0;
    bool several_owners = false;
    size_t rows = 0;
  };
  int32_t slot_of(int64_t identity);
  void release(int32_t slot);
  void compact();
  // `half_queries`: `count` queries, fp16, row-major.
  void scan(const Rows& rows, size_t begin, const std::vector<uint16_t>& half_queries, int count,
            const std::vector<uint64_t>& exclude_owner, int64_t min_time_us,
            std::vector<float>& best) const;

  int dim_;
  Rows observed_, enrolled_;
  size_t front_ = 0;  // observed rows before it are evicted
  std::unordered_map<int64_t, int32_t> identity_slot_;
  std::vector<Slot> slots_;
  std::vector<int32_t> free_slots_;
};

}  // namespace hat
