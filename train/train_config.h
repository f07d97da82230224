// Everything a training run is made of, with the paper's recipe as defaults. Stored as
// RUN_DIR/config.json; a JSON file and "key=value" overrides change it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/augmentations.h"
#include "train/losses.h"

namespace hat {

struct TrainConfig {
  std::string dataset, root, output;
  std::string preset = "hat-r18";
  std::string pretrained;  // ImageNet backbone weights (model/pretrained_import.h)
  // A model file of the same preset whose weights start the run (its classifiers too when they
  // have the same number of identities; else those start fresh): fine-tuning, hat-train adapt.
  std::string init;
  bool msmt17_train_only = false;

  int epochs = 150;
  int p = 16, k = 4;
  double lr = 4e-4, weight_decay = 5e-4, transformer_lr_factor = 0.5;
  int warmup_epochs = 10;
  double warmup_factor = 0.01, gamma = 0.4;
  int first_milestone = 50, milestone_step = 20;
  LossWeights loss;
  bool augmentation = true;
  AugmentOptions augment;
  int max_batches_per_epoch = 0;  // 0: the sampler's full epoch
  // Each P x K batch in this many slices of P / N identities, one after the other, gradients
  // summed: the batch of N data-parallel processes in one (their BatchNorm statistics and
  // triplet mining are per slice, as there). P must be divisible by slices in all.
  int grad_accumulation = 1;

  int eval_every = 30;        // epochs; the last epoch is always evaluated
  int checkpoint_every = 10;  // epochs; the last epoch always writes one
  uint64_t seed = 0;
  std::string device = "cpu";
  std::string amp = "auto";  // auto (bf16 on CUDA), off, bf16, fp16 (with loss scaling)
  int threads = 0;           // intra-op threads, 0: LibTorch's default
  int loader_threads = 2;
  int eval_batch = 64;
  bool progress = true;
};

nlohmann::json to_json(const TrainConfig& config);
// Missing keys keep their defaults; an unknown key or a wrong type is a hat::Error naming it.
TrainConfig train_config_from_json(const nlohmann::json& json, const TrainConfig& defaults = {});
// "epochs=20", "loss.margin=0.5": the value is read as JSON (a bare word as a string).
void apply_override(nlohmann::json& config, const std::string& assignment);

}  // namespace hat
