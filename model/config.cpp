#include "model/config.h"

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "model/mobilenet_v2_spec.h"

namespace hat {

namespace {

const std::array<Branch, 4> kAllBranches = {Branch::kGlobal, Branch::kLevel1, Branch::kLevel2,
                                            Branch::kLevel3};
const std::array<Backbone, 4> kAllBackbones = {Backbone::kResNet18, Backbone::kResNet34,
                                               Backbone::kResNet50, Backbone::kMobileNetV2};

void require(bool ok, const std::string& what) {
  if (!ok) throw Error("invalid model configuration: " + what);
}

}  // namespace

std::array<int, 4> HatConfig::stage_channels() const {
  if (backbone == Backbone::kResNet50) return {256, 512, 1024, 2048};
  if (backbone == Backbone::kMobileNetV2)  // the ends of stages 24, 32 and 96, the last conv
    return {kMobileNetV2Stages[1].channels, kMobileNetV2Stages[2].channels,
            kMobileNetV2Stages[4].channels, kMobileNetV2LastChannels};
  return {64, 128, 256, 512};
}

std::array<int, 4> HatConfig::stage_blocks() const {
  if (backbone == Backbone::kResNet18) return {2, 2, 2, 2};
  return {3, 4, 6, 3};  // ResNet-34 and ResNet-50
}

int HatConfig::tfc_in_dim(int level) const {
  const int own = stage_channels()[level];
  return level == 0 ? own : own + tfc_dim[level - 1];
}

int HatConfig::branch_dim(Branch branch) const {
  switch (branch) {
    case Branch::kGlobal:
      return stage_channels()[3];
    case Branch::kLevel1:
      return tfc_dim[0];
    case Branch::kLevel2:
      return tfc_dim[1];
    case Branch::kLevel3:
      return tfc_dim[2];
  }
  return 0;
}

int HatConfig::embedding_dim() const {
  int dim = 0;
  for (Branch b : embedding) dim += branch_dim(b);
  return dim;
}

void HatConfig::validate() const {
  require(input_height > 0 && input_width > 0 && input_height % 16 == 0 && input_width % 16 == 0,
          "input size " + std::to_string(input_height) + "x" + std::to_string(input_width) +
              " must be positive multiples of 16");
  require(last_stride == 1 || last_stride == 2, "last_stride must be 1 or 2");
  for (int l = 0; l < kNumLevels; ++l) {
    const std::string lvl = " of level " + std::to_string(l + 1);
    require(refine_depth[l] >= 0 && refine_depth[l] <= 64, "refine_depth" + lvl + " must be 0..64");
    require(tfc_depth[l] >= 1 && tfc_depth[l] <= 64, "tfc_depth" + lvl + " must be 1..64");
    require(tfc_dim[l] >= 4 && tfc_dim[l] % 4 == 0, "tfc_dim" + lvl + " must be a multiple of 4");
  }
  require(heads >= 1 && head_dim >= 1, "heads and head_dim must be positive");
  require(mlp_dim >= 1, "mlp_dim must be positive");
  require(dropout >= 0.0 && dropout < 1.0, "dropout must be in [0, 1)");
  require(num_classes >= 0, "num_classes must be >= 0");
  require(!embedding.empty(), "embedding must name at least one branch");
}

bool HatConfig::operator==(const HatConfig& o) const { return to_json(*this) == to_json(o); }

const char* to_string(Backbone backbone) {
  switch (backbone) {
    case Backbone::kResNet18:
      return "resnet18";
    case Backbone::kResNet34:
      return "resnet34";
    case Backbone::kResNet50:
      return "resnet50";
    case Backbone::kMobileNetV2:
      return "mobilenetv2";
  }
  return "?";
}

const char* to_string(Branch branch) {
  switch (branch) {
    case Branch::kGlobal:
      return "global";
    case Branch::kLevel1:
      return "level1";
    case Branch::kLevel2:
      return "level2";
    case Branch::kLevel3:
      return "level3";
  }
  return "?";
}

Backbone backbone_from_string(const std::string& name) {
  for (Backbone b : kAllBackbones)
    if (name == to_string(b)) return b;
  throw Error("unknown backbone '" + name +
              "' (expected resnet18, resnet34, resnet50 or mobilenetv2)");
}

Branch branch_from_string(const std::string& name) {
  for (Branch b : kAllBranches)
    if (name == to_string(b)) return b;
  throw Error("unknown branch '" + name + "' (expected global, level1, level2 or level3)");
}

std::vector<std::string> preset_names() { return {"hat-r50", "hat-r18", "hat-mnv2", "tiny"}; }

HatConfig preset(const std::string& name) {
  HatConfig c;  // the defaults are the reference model
  c.preset = name;
  if (name == "hat-r50") return c;
  if (name == "hat-r18") {
    // ResNet-18 trunk with narrower, shallower TFCs: about 1/12 of hat-r50's FLOPs
    // (docs/MODEL.md), 1024-d embedding.
    c.backbone = Backbone::kResNet18;
    c.tfc_depth = {2, 2, 2};
    c.tfc_dim = {128, 256, 512};
    c.heads = 8;
    c.head_dim = 64;
    c.mlp_dim = 1024;
    return c;
  }
  if (name == "hat-mnv2") {
    // ImageNet MobileNetV2 (from a registry wheel: docs/MODEL.md) under hat-r18's HAT parts with
    // narrower TFCs, sized for 2-core sites; 1280 + 256 = 1536-d embedding.
    c.backbone = Backbone::kMobileNetV2;
    c.refine_depth = {1, 1, 1};
    c.tfc_depth = {2, 2, 2};
    c.tfc_dim = {64, 128, 256};
    c.heads = 4;
    c.head_dim = 64;
    c.mlp_dim = 512;
    return c;
  }
  if (name == "tiny") {
    // Small enough that a training step on a batch of 16 takes about a second on 2 cores.
    c.backbone = Backbone::kResNet18;
    c.input_height = 128;
    c.input_width = 64;
    c.refine_depth = {1, 1, 1};
    c.tfc_depth = {1, 1, 1};
    c.tfc_dim = {32, 64, 128};
    c.heads = 2;
    c.head_dim = 32;
    c.mlp_dim = 128;
    return c;
  }
  std::string known;
  for (const auto& n : preset_names()) known += (known.empty() ? "" : ", ") + n;
  throw Error("unknown preset '" + name + "' (known: " + known + ")");
}

nlohmann::json to_json(const HatConfig& c) {
  nlohmann::json embedding = nlohmann::json::array();
  for (Branch b : c.embedding) embedding.push_back(to_string(b));
  return {{"preset", c.preset},
          {"backbone", to_string(c.backbone)},
          {"last_stride", c.last_stride},
          {"stem_relu", c.stem_relu},
          {"input_size", {c.input_height, c.input_width}},
          {"refine_depth", c.refine_depth},
          {"tfc_depth", c.tfc_depth},
          {"tfc_dim", c.tfc_dim},
          {"heads", c.heads},
          {"head_dim", c.head_dim},
          {"mlp_dim", c.mlp_dim},
          {"attn_scale_by_model_dim", c.attn_scale_by_model_dim},
          {"dropout", c.dropout},
          {"num_classes", c.num_classes},
          {"embedding", embedding}};
}

HatConfig config_from_json(const nlohmann::json& j) {
  HatConfig c;
  try {
    c.preset = j.at("preset").get<std::string>();
    c.backbone = backbone_from_string(j.at("backbone").get<std::string>());
    c.last_stride = j.at("last_stride").get<int>();
    c.stem_relu = j.at("stem_relu").get<bool>();
    c.input_height = j.at("input_size").at(0).get<int>();
    c.input_width = j.at("input_size").at(1).get<int>();
    c.refine_depth = j.at("refine_depth").get<std::array<int, kNumLevels>>();
    c.tfc_depth = j.at("tfc_depth").get<std::array<int, kNumLevels>>();
    c.tfc_dim = j.at("tfc_dim").get<std::array<int, kNumLevels>>();
    c.heads = j.at("heads").get<int>();
    c.head_dim = j.at("head_dim").get<int>();
    c.mlp_dim = j.at("mlp_dim").get<int>();
    c.attn_scale_by_model_dim = j.at("attn_scale_by_model_dim").get<bool>();
    c.dropout = j.at("dropout").get<double>();
    c.num_classes = j.at("num_classes").get<int>();
    c.embedding.clear();
    for (const auto& b : j.at("embedding")) c.embedding.push_back(branch_from_string(b));
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("invalid model configuration: ") + e.what());
  }
  c.validate();
  return c;
}

}  // namespace hat
