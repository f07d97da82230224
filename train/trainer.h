// The training engine: the HAT recipe end to end on a dataset, with periodic evaluation,
// crash-safe checkpoints, exact resume, a JSON-lines log and loss / mAP curves.
//
// RUN_DIR holds config.json, log.jsonl (one line per epoch), last.hat (the model plus the
// optimiser, RNG and progress, written atomically every checkpoint_every epochs), model.hat (the
// final model for every tool and the plugin, with its metrics) and curves.png.
//
// Data-parallel (with a ProcessGroup): every process takes its slice of P / N identities of each
// P x K batch, gradients and BatchNorm statistics are averaged over the processes before each
// step, so all keep the same weights; rank 0 alone evaluates and writes RUN_DIR. Resuming needs
// RUN_DIR/last.hat readable by every process (a shared folder, or copied to each machine).
#pragma once

#include <array>
#include <memory>
#include <ostream>
#include <vector>

#include <nlohmann/json.hpp>

#include "evaluation/dataset.h"
#include "evaluation/metrics.h"
#include "model/hat_model.h"
#include "train/optimizer.h"
#include "train/process_group.h"
#include "train/train_config.h"
#include "train/train_loader.h"

namespace hat {

struct EpochRecord {
  int epoch = 0;  // 1-based: epochs completed
  double lr = 0, seconds = 0, images_per_second = 0, total = 0;
  std::array<double, 4> identity{}, triplet{};  // mean per branch: global, level1, level2, level3
  int64_t skipped = 0;
  nlohmann::json metrics;  // mAP / cmc / mINP when evaluated this epoch, else null
};
nlohmann::json to_json(const EpochRecord& record);
EpochRecord epoch_record_from_json(const nlohmann::json& json);

class Trainer {
 public:
  // Reads the dataset and builds the model; hat::Error for a dataset without training images
  // (a test-only folder), a bad pretrained file or a bad setting.
  // With `group`, one process of a data-parallel run (the group must outlive the trainer).
  Trainer(TrainConfig config, std::ostream& log, ProcessGroup* group = nullptr);
  // Trains on `data` as given (config.dataset and config.root only name it): pseudo-labelled
  // crops from hat-train adapt. Without query images nothing is evaluated (metrics stay null).
  Trainer(TrainConfig config, ReidDataset data, std::ostream& log, ProcessGroup* group = nullptr);
  ~Trainer();

  // Trains up to config.epochs. With `resume`, continues from RUN_DIR/last.hat exactly where it
  // stopped (same weights, optimiser, schedule, sampler and random state).
  void run(bool resume);

  // mAP / CMC / mINP of the current model on the dataset's query and gallery.
  MetricsSummary evaluate();

  const std::vector<EpochRecord>& history() const { return history_; }
  HatModel model() const { return model_; }
  const TrainConfig& config() const { return config_; }
  int completed_epochs() const { return completed_; }

 private:
  EpochRecord train_epoch(int epoch);
  // One optimiser step on `batch` (this process's slices); adds its losses to `r`.
  void train_step(const TrainBatch& batch, int epoch, int index, EpochRecord& r);
  bool writes_run_folder() const { return !group_ || group_->rank() == 0; }
  void save_checkpoint_files(bool final);
  void restore(const std::string& path);
  void write_log_and_curves() const;
  void build();
  void initialise_from(const std::string& path);

  TrainConfig config_;
  std::ostream& log_;
  ProcessGroup* group_ = nullptr;
  ReidDataset data_;
  std::unique_ptr<TrainLoader> loader_;
  HatModel model_{nullptr};
  OptimizerOptions optimizer_options_;
  std::unique_ptr<torch::optim::Adam> optimizer_;
  torch::Device device_;
  bool autocast_ = false;
  torch::ScalarType autocast_dtype_ = torch::kBFloat16;
  double loss_scale_ = 65536.0;  // fp16 only
  int good_steps_ = 0;
  int completed_ = 0;
  std::vector<EpochRecord> history_;
};

}  // namespace hat
