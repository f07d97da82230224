#include "model/preprocess_config.h"

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace hat {

PreprocessConfig PreprocessConfig::for_model(const HatConfig& config) {
  PreprocessConfig p;
  p.height = config.input_height;
  p.width = config.input_width;
  return p;
}

bool PreprocessConfig::operator==(const PreprocessConfig& o) const {
  return height == o.height && width == o.width && mean == o.mean && std == o.std;
}

nlohmann::json to_json(const PreprocessConfig& p) {
  return {{"input_size", {p.height, p.width}},
          {"color", "RGB"},
          {"resize", "bilinear, half-pixel centres, no antialias"},
          {"scale", 1.0 / 255.0},
          {"mean", p.mean},
          {"std", p.std}};
}

PreprocessConfig preprocess_from_json(const nlohmann::json& j) {
  PreprocessConfig p;
  try {
    p.height = j.at("input_size").at(0).get<int>();
    p.width = j.at("input_size").at(1).get<int>();
    p.mean = j.at("mean").get<std::array<float, 3>>();
    p.std = j.at("std").get<std::array<float, 3>>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("invalid preprocessing description: ") + e.what());
  }
  if (p.height <= 0 || p.width <= 0) throw Error("invalid preprocessing description: input size");
  return p;
}

}  // namespace hat
