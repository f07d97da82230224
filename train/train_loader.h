// Training batches: P x K sampling, decoding and augmentation on a pool of threads so that the
// model never waits for images. Identities are relabelled 0..N-1 for the classifiers. A corrupt
// image is left out of its batch with a warning and counted, never a crash.
#pragma once

#include <cstdint>
#include <future>
#include <ostream>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "evaluation/dataset.h"
#include "model/preprocess_config.h"
#include "train/augmentations.h"
#include "train/pk_sampler.h"

namespace hat {

struct TrainBatch {
  torch::Tensor images;  // [B, 3, H, W]
  torch::Tensor labels;  // [B] int64, training labels
  int skipped = 0;       // unreadable images left out of this batch
  // Rows of each of this loader's slices, in order (LoaderOptions::slices): they sum to B.
  std::vector<int64_t> slice_rows;
};

struct LoaderOptions {
  int p = 16, k = 4;
  int threads = 2;  // decoding threads
  uint64_t seed = 0;
  AugmentOptions augment;
  bool augmentation = true;
  // Data parallelism and gradient accumulation: every P x K batch is cut into `slices` slices of
  // P / slices identities; this loader loads only slices [first_slice, first_slice +
  // slice_count). An image's augmentation depends on its place in the whole batch, so a slice
  // is the same whichever process loads it.
  int slices = 1, first_slice = 0, slice_count = 1;
  // Pairs of identities (pids) that are different people, batched side by side (PkSampler).
  std::vector<std::pair<int, int>> hard_negatives;
};

class TrainLoader {
 public:
  TrainLoader(std::vector<ImageRecord> images, const PreprocessConfig& preprocess,
              const LoaderOptions& options, std::ostream& log);

  int num_classes() const { return num_classes_; }
  int batches_per_epoch() const { return static_cast<int>(sampler_.epoch(0).size()); }

  // The batches of `epoch` from batch `first` on, produced ahead on the thread pool. Batch b of
  // epoch e is the same whatever the threads or where training resumed.
  void start_epoch(int epoch, int first = 0);
  bool next(TrainBatch& batch);  // false at the end of the epoch

  int64_t skipped_total() const { return skipped_total_; }

 private:
  TrainBatch load(int epoch, int index, const std::vector<int>& members);

  std::vector<ImageRecord> images_;
  std::vector<int> labels_;
  int num_classes_ = 0;
  PreprocessConfig preprocess_;
  LoaderOptions options_;
  PkSampler sampler_;
  std::ostream& log_;
  int epoch_ = 0;
  std::vector<std::vector<int>> batches_;
  size_t cursor_ = 0;
  std::vector<std::future<TrainBatch>> ahead_;
  int64_t skipped_total_ = 0;
};

}  // namespace hat
