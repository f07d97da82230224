#include "train/train_loader.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "base/error.h"
#include "frame/image_file.h"
#include "inference/preprocess.h"

namespace hat {

namespace {

// Training labels 0..N-1 in the order of the identities' pids.
std::map<int, int> label_of_pid(const std::vector<ImageRecord>& images) {
  std::map<int, int> ids;
  for (const auto& r : images) ids.emplace(r.pid, 0);
  int next = 0;
  for (auto& [pid, label] : ids) label = next++;
  return ids;
}

std::vector<int> relabel(const std::vector<ImageRecord>& images) {
  const auto ids = label_of_pid(images);
  std::vector<int> labels;
  for (const auto& r : images) labels.push_back(ids.at(r.pid));
  return labels;
}

// The hard negative pairs of pids as pairs of training labels.
std::vector<std::pair<int, int>> relabel_pairs(const std::vector<ImageRecord>& images,
                                               const std::vector<std::pair<int, int>>& pids) {
  const auto ids = label_of_pid(images);
  std::vector<std::pair<int, int>> labels;
  for (const auto& [a, b] : pids) {
    const auto ia = ids.find(a), ib = ids.find(b);
    if (ia == ids.end() || ib == ids.end())
      throw Error("hard negative pair (" + std::to_string(a) + ", " + std::to_string(b) +
                  ") names an identity without training images");
    labels.emplace_back(ia->second, ib->second);
  }
  return labels;
}

std::mutex log_mutex;

}  // namespace

TrainLoader::TrainLoader(std::vector<ImageRecord> images, const PreprocessConfig& preprocess,
                         const LoaderOptions& options, std::ostream& log)
    : images_(std::move(images)),
      labels_(relabel(images_)),
      preprocess_(preprocess),
      options_(options),
      sampler_(labels_, options.p, options.k, options.seed,
               relabel_pairs(images_, options.hard_negatives)),
      log_(log) {
  if (options.threads < 1) throw Error("the loader needs at least one thread");
  if (options.slices < 1 || options.p % options.slices != 0)
    throw Error("P = " + std::to_string(options.p) + " identities per batch cannot be cut into " +
                std::to_string(options.slices) +
                " equal slices (processes x grad_accumulation): choose P divisible by it");
  if (options.first_slice < 0 || options.slice_count < 1 ||
      options.first_slice + options.slice_count > options.slices)
    throw Error("the loader's slices are out of range");
  num_classes_ = labels_.empty() ? 0 : *std::max_element(labels_.begin(), labels_.end()) + 1;
}

TrainBatch TrainLoader::load(int epoch, int index, const std::vector<int>& members) {
  // One generator per image, seeded by its place in the run: thread scheduling cannot change it.
  TrainBatch batch;
  std::vector<torch::Tensor> inputs;
  std::vector<int64_t> labels;
  // Members are grouped K by K: slice s holds identities [s, s + 1) * P / slices of the batch.
  const size_t per_slice = members.size() / static_cast<size_t>(options_.slices);
  const size_t begin = per_slice * static_cast<size_t>(options_.first_slice);
  const size_t end = begin + per_slice * static_cast<size_t>(options_.slice_count);
  for (size_t i = begin; i < end; ++i) {
    if ((i - begin) % per_slice == 0) batch.slice_rows.push_back(0);
    const ImageRecord& record = images_[members[i]];
    torch::Tensor x;
    try {
      x = rgb_to_input(read_rgb_image(record.path), preprocess_);
    } catch (const Error& e) {
      std::lock_guard<std::mutex> lock(log_mutex);
      log_ << "warning: skipped " << e.what() << "\n";
      ++batch.skipped;
      continue;
    }
    if (options_.augmentation) {
      auto gen = at::make_generator<at::CPUGeneratorImpl>(
          options_.seed * 1000003ULL + static_cast<uint64_t>(epoch) * 65537ULL +
          static_cast<uint64_t>(index) * 131ULL + i);
      x = augment(x, options_.augment, preprocess_, gen);
    }
    inputs.push_back(x);
    labels.push_back(labels_[members[i]]);
    ++batch.slice_rows.back();
  }
  batch.images = inputs.empty() ? torch::empty({0, 3, preprocess_.height, preprocess_.width})
                                : torch::stack(inputs);
  batch.labels = torch::tensor(labels, torch::kInt64);
  return batch;
}

void TrainLoader::start_epoch(int epoch, int first) {
  for (auto& f : ahead_) f.wait();
  ahead_.clear();
  epoch_ = epoch;
  batches_ = sampler_.epoch(epoch);
  cursor_ = static_cast<size_t>(std::max(0, first));
  for (int t = 0; t < options_.threads && cursor_ + t < batches_.size(); ++t) {
    const size_t b = cursor_ + t;
    ahead_.push_back(std::async(
        std::launch::async, [this, b] { return load(epoch_, static_cast<int>(b), batches_[b]); }));
  }
}

bool TrainLoader::next(TrainBatch& batch) {
  if (ahead_.empty()) return false;
  batch = ahead_.front().get();
  ahead_.erase(ahead_.begin());
  skipped_total_ += batch.skipped;
  const size_t b = cursor_ + ahead_.size() + 1;  // keep `threads` batches in flight
  ++cursor_;
  if (b < batches_.size())
    ahead_.push_back(std::async(
        std::launch::async, [this, b] { return load(epoch_, static_cast<int>(b), batches_[b]); }));
  return true;
}

}  // namespace hat
