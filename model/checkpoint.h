// The project's checkpoint: one self-describing file (configuration, preprocessing, weights and
// provenance) that every tool and the plugin load with no other flags.
//
// On disk it is a torch.save-compatible zip holding a plain dict, so Python reads it too:
//   ckpt = torch.load("model.hat", weights_only=True)
//   ckpt["format"] == "hat-reid-checkpoint"; json.loads(ckpt["config"]); ckpt["state_dict"]
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "model/config.h"
#include "model/preprocess_config.h"
#include "model/state_dict.h"

namespace hat {

constexpr const char* kCheckpointFormat = "hat-reid-checkpoint";
constexpr int kCheckpointVersion = 1;

struct Checkpoint {
  HatConfig config;
  PreprocessConfig preprocess;
  // Where the weights come from: source, dataset, epoch, metrics, creation time, tool version.
  nlohmann::json provenance = nlohmann::json::object();
  StateDict state;
  // A training run's resumable state (optimiser, RNG, progress), absent from released models.
  nlohmann::json training;  // null when absent
  StateDict training_tensors;
};

// Serialises atomically (temporary file + rename): a crash or a full disk keeps the old file.
void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);

// True when the dict is a project checkpoint (has the format marker).
bool is_checkpoint_dict(const c10::impl::GenericDict& dict);

// Decodes a project checkpoint dict; hat::Error names the file and the missing or bad entry.
Checkpoint checkpoint_from_dict(const c10::impl::GenericDict& dict, const std::string& path);

// A project checkpoint file with everything in it (training state included).
Checkpoint read_checkpoint(const std::string& path);

// The match threshold calibrated for a site by hat-train adapt (provenance "calibration" /
// "threshold"), which hatmatch and hat-gallery use when the user sets none; nullopt when the
// model has none (or a malformed one).
std::optional<double> calibrated_match_threshold(const nlohmann::json& provenance);

// The current UTC time as ISO 8601, for provenance.
std::string utc_timestamp();

}  // namespace hat
