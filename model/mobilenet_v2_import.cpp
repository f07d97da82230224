#include "model/mobilenet_v2_import.h"

#include <map>

#include "base/error.h"

namespace hat {

namespace {

// The bottle layout's Sequential indices inside an inverted residual's `conv` (ReLU6 modules
// take indices of their own there) -> torchvision's (Conv2dNormActivation groups conv and BN).
const std::map<std::string, std::string> kExpandedBlock = {{"0", "0.0"}, {"1", "0.1"}, {"3", "1.0"},
                                                           {"4", "1.1"}, {"6", "2"},   {"7", "3"}};
const std::map<std::string, std::string> kUnexpandedBlock = {
    {"0", "0.0"}, {"1", "0.1"}, {"3", "1"}, {"4", "2"}};

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

// "features.N.conv.K.rest" in the bottle layout -> torchvision's name; other keys unchanged.
std::string rename_bottle_key(const std::string& key, const std::string& source) {
  const std::string features = "features.";
  if (!starts_with(key, features)) return key;
  const size_t block_end = key.find('.', features.size());
  const std::string conv = ".conv.";
  if (block_end == std::string::npos || key.compare(block_end, conv.size(), conv) != 0) return key;
  const bool block_1 = key.compare(features.size(), block_end - features.size(), "1") == 0;
  const size_t index_begin = block_end + conv.size();
  const size_t index_end = key.find('.', index_begin);
  const std::string index = key.substr(index_begin, index_end - index_begin);
  const auto& table = block_1 ? kUnexpandedBlock : kExpandedBlock;  // only block 1 has t = 1
  const auto it = table.find(index);
  if (it == table.end() || index_end == std::string::npos)
    throw Error(source + ": key '" + key + "' is no MobileNetV2 entry");
  return key.substr(0, index_begin) + it->second + key.substr(index_end);
}

}  // namespace

std::optional<MobileNetV2Layout> detect_mobilenet_v2_layout(const StateDict& state) {
  if (!state.contains("features.0.0.weight") || !state.contains("features.18.0.weight"))
    return std::nullopt;
  if (state.contains("features.1.conv.0.0.weight")) return MobileNetV2Layout::kTorchvision;
  if (state.contains("features.1.conv.3.weight")) return MobileNetV2Layout::kBottle;
  return std::nullopt;
}

StateDict to_torchvision_mobilenet_v2(const StateDict& state, const std::string& source) {
  const auto layout = detect_mobilenet_v2_layout(state);
  if (!layout)
    throw Error(source +
                ": not a MobileNetV2 state dict (expected features.0.0 ... features.18.0)");
  StateDict out;
  for (const auto& item : state) {
    if (starts_with(item.key(), "classifier.")) continue;  // the ImageNet classifier
    out.insert(
        *layout == MobileNetV2Layout::kBottle ? rename_bottle_key(item.key(), source) : item.key(),
        item.value());
  }
  return out;
}

void import_mobilenet_v2_backbone(HatModelImpl& model, const StateDict& state,
                                  const std::string& source) {
  if (model.config().backbone != Backbone::kMobileNetV2)
    throw Error(source + ": holds a mobilenetv2, but preset '" + model.config().preset +
                "' uses a " + to_string(model.config().backbone));
  load_state(*model.named_children()["backbone"], to_torchvision_mobilenet_v2(state, source),
             source);
}

}  // namespace hat
