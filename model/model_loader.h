// Loading a model from any supported file: a project checkpoint, a reference HAT state dict or
// ImageNet backbone weights (a torchvision ResNet or a MobileNetV2 state dict). Detection is by
// content, never by file name.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "model/checkpoint.h"
#include "model/hat_model.h"

namespace hat {

enum class ModelFileKind { kCheckpoint, kReference, kTorchvision, kMobileNetV2 };
const char* to_string(ModelFileKind kind);

struct LoadOptions {
  // For bare backbone weights, the preset whose HAT parts get fresh initial weights; default:
  // default_preset_for(the backbone) (model/pretrained_import.h).
  std::optional<std::string> preset;
  // Reject a file whose model is not this preset (e.g. resuming hat-r50 from a hat-r18 file).
  std::optional<std::string> expect_preset;
};

struct LoadedModel {
  HatModel model{nullptr};  // in eval mode, on the CPU
  PreprocessConfig preprocess;
  nlohmann::json provenance;
  ModelFileKind kind = ModelFileKind::kCheckpoint;

  // The file's contents as a project checkpoint.
  Checkpoint to_checkpoint() const;
};

// hat::Error names the file (and key) for a missing, truncated, corrupt or mismatched file.
LoadedModel load_model(const std::string& path, const LoadOptions& options = {});

}  // namespace hat
