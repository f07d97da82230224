#include "gallery/sighting_index.h"

#include <algorithm>
#include <limits>

#include <torch/torch.h>

#include "gallery/half_float.h"

namespace hat {

namespace {
// Rows per tile: a tile (4 MB of 1024-d rows) stays in cache while each query of the batch
// scans it.
constexpr int64_t kTileRows = 2048;
}  // namespace

SightingIndex::SightingIndex(int dim) : dim_(dim) {}

int32_t SightingIndex::slot_of(int64_t identity) {
  const auto it = identity_slot_.find(identity);
  if (it != identity_slot_.end()) return it->second;
  int32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<int32_t>(slots_.size());
    slots_.emplace_back();
  }
  slots_[static_cast<size_t>(slot)] = Slot{identity, 0, false, 0};
  identity_slot_[identity] = slot;
  return slot;
}

void SightingIndex::release(int32_t slot) {
  auto& s = slots_[static_cast<size_t>(slot)];
  if (--s.rows > 0) return;
  identity_slot_.erase(s.identity);
  free_slots_.push_back(slot);
}

void SightingIndex::add(const float* embedding, const IndexedSighting& sighting) {
  Rows& rows = sighting.enrolled ? enrolled_ : observed_;
  for (int d = 0; d < dim_; ++d) rows.embeddings.push_back(float_to_half(embedding[d]));
  rows.info.push_back(sighting);
  const int32_t slot = slot_of(sighting.identity);
  rows.slot.push_back(slot);
  auto& s = slots_[static_cast<size_t>(slot)];
  ++s.rows;
  if (s.rows == 1) {
    s.first_owner = sighting.owner;
  } else if (sighting.owner != s.first_owner) {
    s.several_owners = true;
  }
}

void SightingIndex::evict(size_t max_size, int64_t min_time_us) {
  const size_t end = observed_.info.size();
  // Arrival order is time order up to the few sightings another process wrote late: eviction
  // from the front is exact for the size cap and close enough for the TTL.
  while (front_ < end && (observed_.info[front_].time_us < min_time_us ||
                          end - front_ + enrolled_.info.size() > max_size)) {
    release(observed_.slot[front_]);
    ++front_;
  }
  if (front_ > 4096 && front_ * 2 > end) compact();
}

void SightingIndex::compact() {
  const auto first = static_cast<std::ptrdiff_t>(front_);
  observed_.embeddings.erase(observed_.embeddings.begin(),
                             observed_.embeddings.begin() + first * dim_);
  observed_.info.erase(observed_.info.begin(), observed_.info.begin() + first);
  observed_.slot.erase(observed_.slot.begin(), observed_.slot.begin() + first);
  front_ = 0;
}

void SightingIndex::relabel(int64_t from, int64_t into) {
  const auto it = identity_slot_.find(from);
  if (it == identity_slot_.end() || from == into) return;
  const int32_t old_slot = it->second;
  const Slot moved = slots_[static_cast<size_t>(old_slot)];
  const int32_t new_slot = slot_of(into);
  for (Rows* rows : {&observed_, &enrolled_}) {
    for (size_t i = 0; i < rows->info.size(); ++i) {
      if (rows->slot[i] != old_slot) continue;
      rows->slot[i] = new_slot;
      rows->info[i].identity = into;
    }
  }
  auto& s = slots_[static_cast<size_t>(new_slot)];
  if (s.rows == 0) {
    s.first_owner = moved.first_owner;
  } else if (moved.first_owner != s.first_owner) {
    s.several_owners = true;
  }
  s.several_owners = s.several_owners || moved.several_owners;
  // The live rows move with their counts, so later evictions release the new slot.
  s.rows += moved.rows;
  identity_slot_.erase(from);
  free_slots_.push_back(old_slot);
}

bool SightingIndex::seen_by_others(int64_t identity, uint64_t owner) const {
  const auto it = identity_slot_.find(identity);
  if (it == identity_slot_.end()) return false;
  const auto& s = slots_[static_cast<size_t>(it->second)];
  return s.several_owners || s.first_owner != owner;
}

void SightingIndex::scan(const Rows& rows, size_t begin, const std::vector<uint16_t>& half_queries,
                         int count, const std::vector<uint64_t>& exclude_owner, int64_t min_time_us,
                         std::vector<float>& best) const {
  const auto n = static_cast<int64_t>(rows.info.size());
  if (n <= static_cast<int64_t>(begin)) return;
  const auto q =
      torch::from_blob(const_cast<uint16_t*>(half_queries.data()), {count, dim_}, torch::kHalf);
  // One matrix-vector product per query and tile: LibTorch's fp16 GEMV streams the rows at
  // memory speed, where an fp16 GEMM with several columns does not (docs/BENCHMARKS.md).
  const size_t slots = slots_.size();
  for (int64_t start = static_cast<int64_t>(begin); start < n; start += kTileRows) {
    const int64_t rows_here = std::min(kTileRows, n - start);
    // from_blob does not copy; the tensors never outlive this call.
    const auto block =
        torch::from_blob(const_cast<uint16_t*>(rows.embeddings.data()) + start * dim_,
                         {rows_here, dim_}, torch::kHalf);
    for (int j = 0; j < count; ++j) {
      const torch::Tensor scores = torch::mv(block, q[j]);
      const auto* s = scores.data_ptr<at::Half>();
      float* best_j = best.data() + static_cast<size_t>(j) * slots;
      const uint64_t excluded = exclude_owner[static_cast<size_t>(j)];
      for (int64_t r = 0; r < rows_here; ++r) {
        const auto& info = rows.info[static_cast<size_t>(start + r)];
        if (!info.enrolled && info.time_us < min_time_us) continue;
        if (info.owner != 0 && info.owner == excluded) continue;
        float& b = best_j[rows.slot[static_cast<size_t>(start + r)]];
        b = std::max(b, static_cast<float>(s[r]));
      }
    }
  }
}

std::vector<std::vector<IdentityCandidate>> SightingIndex::nearest_identities(
    const float* queries, int count, const std::vector<uint64_t>& exclude_owner,
    int64_t min_time_us, int k) const {
  std::vector<std::vector<IdentityCandidate>> out(static_cast<size_t>(count));
  if (count == 0 || size() == 0) return out;
  const size_t slots = slots_.size();
  std::vector<float> best(static_cast<size_t>(count) * slots,
                          -std::numeric_limits<float>::infinity());
  std::vector<uint16_t> half_queries;
  for (int j = 0; j < count * dim_; ++j) half_queries.push_back(float_to_half(queries[j]));
  scan(observed_, front_, half_queries, count, exclude_owner, min_time_us, best);
  scan(enrolled_, 0, half_queries, count, exclude_owner, min_time_us, best);
  for (int j = 0; j < count; ++j) {
    auto& candidates = out[static_cast<size_t>(j)];
    const float* b = best.data() + static_cast<size_t>(j) * slots;
    for (size_t slot = 0; slot < slots; ++slot)
      if (b[slot] > -std::numeric_limits<float>::infinity())
        candidates.push_back({slots_[slot].identity, 1.0f - b[slot]});
    const size_t keep = std::min(candidates.size(), static_cast<size_t>(std::max(k, 0)));
    std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(keep),
                      candidates.end(), [](const auto& a, const auto& b) {
                        return a.distance < b.distance ||
                               (a.distance == b.distance && a.identity < b.identity);
                      });
    candidates.resize(keep);
  }
  return out;
}

size_t SightingIndex::bytes_per_sighting() const {
  return sizeof(uint16_t) * static_cast<size_t>(dim_) + sizeof(IndexedSighting) + sizeof(int32_t);
}

}  // namespace hat
