// `hat-train adapt`: self-supervised adaptation of a re-ID model to a site's own unlabeled
// video. Tracklets are mined with the project's detector and tracker (train/tracklet_miner.h);
// each round embeds them with the current model, merges tracklets of one person across time and
// cameras by constrained clustering of their k-reciprocal distances (never two that co-occur,
// train/tracklet_clustering.h), and trains the HAT recipe on the resulting pseudo-identities from
// the current model (train/trainer.h). Finally the match threshold is calibrated on the same data
// at a target false-match rate (train/match_calibration.h) and written into the model's
// provenance, where hatmatch and hat-gallery take it as their default.
//
// RUN_DIR holds adapt.json (the settings), tracklets.json and crops/ (the mined tracklets),
// round-N/ (labels.json, the pseudo-identities, and a hat-train run folder: config.json,
// log.jsonl, curves.png, last.hat, model.hat), calibration.json, distances.png and model.hat, the
// adapted and calibrated model. A killed run resumes (--resume) from its last checkpoint.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "evaluation/rerank.h"
#include "train/match_calibration.h"
#include "train/tracklet_clustering.h"
#include "train/tracklet_miner.h"
#include "train/train_config.h"

namespace hat {

struct AdaptConfig {
  std::vector<std::string> videos;  // files or folders; one video is one camera
  std::string model;                // the initial model (a project checkpoint)
  std::string output;               // RUN_DIR
  std::string preset;               // when set, the initial model must be this preset
  MiningOptions mining;
  int min_tracklets = 8;      // fewer cannot make a training set
  int rounds = 2;             // cluster, then train, this many times
  int epochs_per_round = 20;  // epochs are short: one pass over the pseudo-identities
  bool rerank = true;         // k-reciprocal distances for the clustering
  RerankParams rerank_params{.k1 = 12, .k2 = 4, .lambda = 0.3};
  // Clusters merge below this distance; 0: the `merge_quantile` of the distances between
  // co-occurring tracklets (which are known to be different people).
  double merge_distance = 0;
  double merge_quantile = 0.02;
  // Whether tracklets of one camera may merge (a person coming back); off, only tracklets of
  // different cameras merge, and tracklets of one camera stay apart.
  bool merge_within_camera = false;
  // Whether training batches put the pseudo-identities of co-occurring tracklets side by side,
  // as hard negatives for the triplet loss (PkSampler). Off by default: measured mixed on the
  // synthetic sites (docs/BENCHMARKS.md, "Hard-negative batches").
  bool hard_negative_batches = false;
  double target_false_match_rate = 0.01;
  TrainConfig train;  // the recipe per round; epochs, output, init, seed and preset are set here
  uint64_t seed = 0;
  std::string device = "cpu";
  bool progress = true;
};
// The recipe adapt uses by default: the paper's losses, a short warm-up, a fine-tuning rate.
AdaptConfig default_adapt_config();
nlohmann::json to_json(const AdaptConfig& config);
// Missing keys keep their defaults; an unknown key or a wrong type is a hat::Error naming it.
AdaptConfig adapt_config_from_json(const nlohmann::json& json,
                                   const AdaptConfig& defaults = default_adapt_config());

struct AdaptResult {
  int tracklets = 0, co_occurring_pairs = 0, pseudo_identities = 0;
  std::vector<int> tracklets_per_video;
  Calibration calibration;
  std::string model;  // RUN_DIR/model.hat
};

// Runs (or with `resume`, continues) the adaptation. hat::Error for an unreadable video, a video
// with no people, too few tracklets (saying how many were found per video and how many are
// needed), an initial model that is missing, corrupt or of another preset.
AdaptResult adapt_to_site(const AdaptConfig& config, bool resume, std::ostream& log);

}  // namespace hat
