// What a model expects of its input crops: size and normalisation. It is part of the model (a
// checkpoint records it), so that every tool preprocesses a crop the way the model was trained.
// inference/preprocess applies it.
#pragma once

#include <array>

#include <nlohmann/json_fwd.hpp>

#include "model/config.h"

namespace hat {

struct PreprocessConfig {
  int height = 256;
  int width = 128;
  std::array<float, 3> mean = {0.485f, 0.456f, 0.406f};  // RGB, on [0, 1] values
  std::array<float, 3> std = {0.229f, 0.224f, 0.225f};

  static PreprocessConfig for_model(const HatConfig& config);
  bool operator==(const PreprocessConfig& other) const;
};

nlohmann::json to_json(const PreprocessConfig& config);
// hat::Error for a description without input_size, mean or std, or with a non-positive size.
PreprocessConfig preprocess_from_json(const nlohmann::json& json);

}  // namespace hat
