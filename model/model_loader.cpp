#include "model/model_loader.h"

#include "base/error.h"
#include "base/file_io.h"
#include "model/pretrained_import.h"
#include "model/reference_import.h"

namespace hat {

const char* to_string(ModelFileKind kind) {
  switch (kind) {
    case ModelFileKind::kCheckpoint:
      return "hat-reid checkpoint";
    case ModelFileKind::kReference:
      return "HAT reference state dict";
    case ModelFileKind::kTorchvision:
      return "torchvision ResNet state dict";
    case ModelFileKind::kMobileNetV2:
      return "MobileNetV2 ImageNet state dict";
  }
  return "?";
}

Checkpoint LoadedModel::to_checkpoint() const {
  Checkpoint ckpt;
  ckpt.config = model->config();
  ckpt.preprocess = preprocess;
  ckpt.provenance = provenance;
  ckpt.state = module_state(*model);
  return ckpt;
}

LoadedModel load_model(const std::string& path, const LoadOptions& options) {
  const auto dict = parse_torch_save_dict(read_file_bytes(path), path);
  LoadedModel out;
  if (is_checkpoint_dict(dict)) {
    Checkpoint ckpt = checkpoint_from_dict(dict, path);
    out.kind = ModelFileKind::kCheckpoint;
    out.model = HatModel(ckpt.config);
    load_state(*out.model, ckpt.state, path);
    out.preprocess = ckpt.preprocess;
    out.provenance = ckpt.provenance;
  } else {
    const StateDict state = to_state_dict(dict, path);
    if (is_reference_state(state)) {
      out.kind = ModelFileKind::kReference;
      out.model = HatModel(reference_config());
      load_state(*out.model, import_reference_state(state, path), path);
    } else if (const auto backbone = detect_pretrained_backbone(state)) {
      out.kind = *backbone == Backbone::kMobileNetV2 ? ModelFileKind::kMobileNetV2
                                                     : ModelFileKind::kTorchvision;
      HatConfig config = preset(options.preset.value_or(default_preset_for(*backbone)));
      if (!options.preset && config.backbone != *backbone) {  // ResNet-34: hat-r18's HAT on it
        config.backbone = *backbone;
        config.preset = "custom";
      }
      out.model = HatModel(config);
      import_pretrained_backbone(*out.model, state, path);
    } else {
      throw Error(
          path +
          ": a state dict of an unknown model (expected a hat-reid checkpoint, the HAT reference, "
          "a torchvision ResNet or a MobileNetV2; first key '" +
          (state.is_empty() ? std::string() : state.keys()[0]) + "')");
    }
    out.preprocess = PreprocessConfig::for_model(out.model->config());
    out.provenance = {
        {"source", to_string(out.kind)}, {"imported_from", path}, {"imported_at", utc_timestamp()}};
  }
  if (options.expect_preset && out.model->config().preset != *options.expect_preset)
    throw Error(path + ": holds preset '" + out.model->config().preset + "', expected '" +
                *options.expect_preset + "'");
  out.model->eval();
  return out;
}

}  // namespace hat
