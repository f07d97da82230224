// The network's full description: everything needed to build a HAT model, and its presets.
#pragma once

#include <array>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace hat {

enum class Backbone { kResNet18, kResNet34, kResNet50, kMobileNetV2 };

// Branches that own a BNNeck head; the embedding is a concatenation of some of them (after BN).
enum class Branch { kGlobal, kLevel1, kLevel2, kLevel3 };

constexpr int kNumLevels = 3;  // levels with a TFC (layer1..layer3); layer4 feeds only kGlobal

struct HatConfig {
  std::string preset = "custom";
  Backbone backbone = Backbone::kResNet50;
  int last_stride = 2;     // stride of layer4 (the reference's effective value is 2)
  bool stem_relu = false;  // the reference omits the stem ReLU (conv1 -> bn1 -> maxpool)
  int input_height = 256;
  int input_width = 128;
  std::array<int, kNumLevels> refine_depth = {3, 3, 3};    // bottleneck blocks per level
  std::array<int, kNumLevels> tfc_depth = {3, 3, 6};       // transformer blocks per TFC
  std::array<int, kNumLevels> tfc_dim = {256, 768, 2048};  // TFC output (model) dims
  int heads = 16;
  int head_dim = 64;
  int mlp_dim = 2048;
  // The reference scales attention logits by model_dim^-0.5, not head_dim^-0.5.
  bool attn_scale_by_model_dim = true;
  double dropout = 0.1;
  int num_classes = 0;  // 0: no classifiers (an inference-only model)
  std::vector<Branch> embedding = {Branch::kGlobal, Branch::kLevel3};

  // Token grid of every TFC: the layer3 resolution, input / 16.
  int grid_height() const { return input_height / 16; }
  int grid_width() const { return input_width / 16; }
  int num_tokens() const { return grid_height() * grid_width(); }
  // Output channels of the four levels (strides 4, 8, 16, 32): ResNet's layer1..layer4,
  // MobileNetV2's features[3], [6], [13] and [18].
  std::array<int, 4> stage_channels() const;
  // Residual blocks in layer1..layer4 (torchvision's depths); ResNets only.
  std::array<int, 4> stage_blocks() const;
  // Input width of TFC `level` (0-based): its level's channels plus the previous TFC's output.
  int tfc_in_dim(int level) const;
  // Width of a branch's feature (and of its BNNeck).
  int branch_dim(Branch branch) const;
  int embedding_dim() const;

  // Throws hat::Error naming the first invalid field.
  void validate() const;
  bool operator==(const HatConfig& other) const;
};

const char* to_string(Backbone backbone);
const char* to_string(Branch branch);
Backbone backbone_from_string(const std::string& name);
Branch branch_from_string(const std::string& name);

// Named presets: "hat-r50" (the reference model), "hat-r18" (CPU sites), "hat-mnv2" (MobileNetV2,
// for ImageNet initialisation from a registry; CPU sites), "tiny" (tests).
std::vector<std::string> preset_names();
HatConfig preset(const std::string& name);

nlohmann::json to_json(const HatConfig& config);
HatConfig config_from_json(const nlohmann::json& json);

}  // namespace hat
