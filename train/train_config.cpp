#include "train/train_config.h"

#include "base/error.h"
#include "base/json_settings.h"

namespace hat {

nlohmann::json to_json(const TrainConfig& c) {
  return {{"dataset", c.dataset},
          {"root", c.root},
          {"output", c.output},
          {"preset", c.preset},
          {"pretrained", c.pretrained},
          {"init", c.init},
          {"msmt17_train_only", c.msmt17_train_only},
          {"epochs", c.epochs},
          {"p", c.p},
          {"k", c.k},
          {"lr", c.lr},
          {"weight_decay", c.weight_decay},
          {"transformer_lr_factor", c.transformer_lr_factor},
          {"warmup_epochs", c.warmup_epochs},
          {"warmup_factor", c.warmup_factor},
          {"gamma", c.gamma},
          {"first_milestone", c.first_milestone},
          {"milestone_step", c.milestone_step},
          {"loss",
           {{"identity_weights", c.loss.identity},
            {"triplet_weights", c.loss.triplet},
            {"label_smoothing", c.loss.label_smoothing},
            {"margin", c.loss.margin}}},
          {"augmentation", c.augmentation},
          {"augment",
           {{"pad", c.augment.pad},
            {"flip_probability", c.augment.flip_probability},
            {"erase_probability", c.augment.erase_probability}}},
          {"max_batches_per_epoch", c.max_batches_per_epoch},
          {"grad_accumulation", c.grad_accumulation},
          {"eval_every", c.eval_every},
          {"checkpoint_every", c.checkpoint_every},
          {"seed", c.seed},
          {"device", c.device},
          {"amp", c.amp},
          {"threads", c.threads},
          {"loader_threads", c.loader_threads},
          {"eval_batch", c.eval_batch},
          {"progress", c.progress}};
}

namespace {

constexpr const char* kWhat = "training configuration";

template <typename T>
void read(const nlohmann::json& j, const char* key, T& out) {
  read_setting(j, key, out, kWhat);
}

}  // namespace

TrainConfig train_config_from_json(const nlohmann::json& j, const TrainConfig& defaults) {
  check_known_keys(j, to_json(defaults), kWhat);
  TrainConfig c = defaults;
  read(j, "dataset", c.dataset);
  read(j, "root", c.root);
  read(j, "output", c.output);
  read(j, "preset", c.preset);
  read(j, "pretrained", c.pretrained);
  read(j, "init", c.init);
  read(j, "msmt17_train_only", c.msmt17_train_only);
  read(j, "epochs", c.epochs);
  read(j, "p", c.p);
  read(j, "k", c.k);
  read(j, "lr", c.lr);
  read(j, "weight_decay", c.weight_decay);
  read(j, "transformer_lr_factor", c.transformer_lr_factor);
  read(j, "warmup_epochs", c.warmup_epochs);
  read(j, "warmup_factor", c.warmup_factor);
  read(j, "gamma", c.gamma);
  read(j, "first_milestone", c.first_milestone);
  read(j, "milestone_step", c.milestone_step);
  if (j.contains("loss")) {
    const auto& l = j["loss"];
    read(l, "identity_weights", c.loss.identity);
    read(l, "triplet_weights", c.loss.triplet);
    read(l, "label_smoothing", c.loss.label_smoothing);
    read(l, "margin", c.loss.margin);
  }
  read(j, "augmentation", c.augmentation);
  if (j.contains("augment")) {
    const auto& a = j["augment"];
    read(a, "pad", c.augment.pad);
    read(a, "flip_probability", c.augment.flip_probability);
    read(a, "erase_probability", c.augment.erase_probability);
  }
  read(j, "max_batches_per_epoch", c.max_batches_per_epoch);
  read(j, "grad_accumulation", c.grad_accumulation);
  read(j, "eval_every", c.eval_every);
  read(j, "checkpoint_every", c.checkpoint_every);
  read(j, "seed", c.seed);
  read(j, "device", c.device);
  read(j, "amp", c.amp);
  read(j, "threads", c.threads);
  read(j, "loader_threads", c.loader_threads);
  read(j, "eval_batch", c.eval_batch);
  read(j, "progress", c.progress);
  if (c.epochs < 1 || c.p < 2 || c.k < 1 || c.lr <= 0 || c.eval_every < 0 ||
      c.checkpoint_every < 1 || c.loader_threads < 1 || c.eval_batch < 1 || c.warmup_epochs < 0 ||
      c.grad_accumulation < 1)
    throw Error(
        "training configuration: epochs, p >= 2, k, lr, checkpoint_every, loader_threads, "
        "eval_batch and grad_accumulation must be positive");
  if (c.amp != "auto" && c.amp != "off" && c.amp != "bf16" && c.amp != "fp16")
    throw Error("training configuration: amp must be auto, off, bf16 or fp16");
  return c;
}

void apply_override(nlohmann::json& config, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw Error("override '" + assignment + "' is not KEY=VALUE");
  const std::string key = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    value = text;  // a bare word
  }
  if (config.is_null()) config = nlohmann::json::object();
  if (!config.is_object())
    throw Error("override '" + assignment + "': the configuration is not a JSON object");
  nlohmann::json* node = &config;
  size_t start = 0;
  for (size_t dot; (dot = key.find('.', start)) != std::string::npos; start = dot + 1) {
    node = &(*node)[key.substr(start, dot - start)];
    if (node->is_null()) *node = nlohmann::json::object();  // a section not given yet
    if (!node->is_object())
      throw Error("override '" + assignment + "': '" + key.substr(0, dot) + "' is not a section");
  }
  (*node)[key.substr(start)] = value;
}

}  // namespace hat
