// Import of the HAT reference implementation's state dict (keys as in its PyTorch model).
#pragma once

#include <optional>
#include <string>

#include "model/config.h"
#include "model/state_dict.h"

namespace hat {

// True when the keys look like the reference model's (base.*, HAT.TFC_S*, bottleneck_*).
bool is_reference_state(const StateDict& state);

// The project's name for a reference key; std::nullopt for entries the reference registers but
// never uses (transformer.Non*, TFC_S3's NeA) and for the classifiers, which depend on the
// training set. hat::Error for a key that belongs to no known entry.
std::optional<std::string> map_reference_key(const std::string& key, const std::string& source);

// The reference dict renamed to the project's keys, unused entries dropped. Loading it into a
// hat-r50 model (no classifiers) is strict, so a missing or mis-shaped key is named.
StateDict import_reference_state(const StateDict& reference, const std::string& source);

// The configuration of a model imported from the reference: hat-r50 without classifiers.
HatConfig reference_config();

}  // namespace hat
