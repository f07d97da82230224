#include "model/checkpoint.h"

#include <ctime>

#include <torch/serialize.h>

#include "base/error.h"
#include "base/file_io.h"

namespace hat {

void save_checkpoint(const std::string& path, const Checkpoint& ckpt) {
  c10::Dict<std::string, torch::Tensor> weights;
  for (const auto& item : ckpt.state)
    weights.insert(item.key(), item.value().detach().to(torch::kCPU).contiguous());
  c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
  dict.insert("format", std::string(kCheckpointFormat));
  dict.insert("format_version", static_cast<int64_t>(kCheckpointVersion));
  dict.insert("config", to_json(ckpt.config).dump());
  dict.insert("preprocess", to_json(ckpt.preprocess).dump());
  dict.insert("provenance", ckpt.provenance.dump());
  dict.insert("state_dict", weights);
  if (!ckpt.training.is_null()) {
    c10::Dict<std::string, torch::Tensor> training;
    for (const auto& item : ckpt.training_tensors)
      training.insert(item.key(), item.value().detach().to(torch::kCPU).contiguous());
    dict.insert("training", ckpt.training.dump());
    dict.insert("training_tensors", training);
  }
  const std::vector<char> bytes = torch::pickle_save(dict);
  write_file_atomically(path, bytes.data(), bytes.size());
}

bool is_checkpoint_dict(const c10::impl::GenericDict& dict) {
  const auto it = dict.find(std::string("format"));
  return it != dict.end() && it->value().isString() &&
         it->value().toStringRef() == kCheckpointFormat;
}

Checkpoint checkpoint_from_dict(const c10::impl::GenericDict& dict, const std::string& path) {
  auto entry = [&](const char* key) -> c10::IValue {
    const auto it = dict.find(std::string(key));
    if (it == dict.end()) throw Error(path + ": checkpoint has no '" + key + "' entry");
    return it->value();
  };
  auto json_entry = [&](const char* key) {
    const auto value = entry(key);
    if (!value.isString()) throw Error(path + ": checkpoint entry '" + key + "' is not a string");
    try {
      return nlohmann::json::parse(value.toStringRef());
    } catch (const nlohmann::json::exception& e) {
      throw Error(path + ": checkpoint entry '" + key + "' is not valid JSON");
    }
  };
  const auto version = entry("format_version");
  if (!version.isInt() || version.toInt() > kCheckpointVersion)
    throw Error(path + ": checkpoint format version is newer than this build understands (" +
                std::to_string(kCheckpointVersion) + ")");
  Checkpoint ckpt;
  try {
    ckpt.config = config_from_json(json_entry("config"));
    ckpt.preprocess = preprocess_from_json(json_entry("preprocess"));
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  ckpt.provenance = json_entry("provenance");
  const auto weights = entry("state_dict");
  if (!weights.isGenericDict()) throw Error(path + ": checkpoint entry 'state_dict' is not a dict");
  ckpt.state = to_state_dict(weights.toGenericDict(), path);
  if (dict.find(std::string("training")) != dict.end()) {
    ckpt.training = json_entry("training");
    const auto tensors = entry("training_tensors");
    if (!tensors.isGenericDict())
      throw Error(path + ": checkpoint entry 'training_tensors' is not a dict");
    ckpt.training_tensors = to_state_dict(tensors.toGenericDict(), path);
  }
  return ckpt;
}

Checkpoint read_checkpoint(const std::string& path) {
  const auto dict = parse_torch_save_dict(read_file_bytes(path), path);
  if (!is_checkpoint_dict(dict)) throw Error(path + ": not a hat-reid checkpoint");
  return checkpoint_from_dict(dict, path);
}

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<double> calibrated_match_threshold(const nlohmann::json& provenance) {
  if (!provenance.is_object() || !provenance.contains("calibration")) return std::nullopt;
  const auto& c = provenance["calibration"];
  if (!c.is_object() || !c.contains("threshold") || !c["threshold"].is_number())
    return std::nullopt;
  const double t = c["threshold"].get<double>();
  if (!(t > 0 && t <= 2)) return std::nullopt;
  return t;
}

}  // namespace hat
