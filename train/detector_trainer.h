// `hat-train detector`: trains the site person detector (model/person_detector_net.h) for one
// site from its own unlabeled video, with no labels:
//  1. the background plate of each camera, synthetic people composited on it (exact boxes), and
//     the video's real frames pseudo-labelled by the project's background detector and tracker
//     (train/detector_data.h);
//  2. training from ImageNet MobileNetV2 weights on both, half of each batch of each kind;
//  3. one round of self-training: on the real frames, a region the first round's detector and
//     the background detector agree on (IoU >= 0.5, score >= promote_score) becomes a person
//     instead of an ignore region, and training continues at a lower rate;
//  4. RUN_DIR/detector.onnx (what hatdetect loads, model-location=...), RUN_DIR/detector.pt (the
//     LibTorch weights), log.jsonl (losses; precision and recall on held-out composites after
//     each round) and summary.json.
// Deterministic on the CPU for a given seed.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/detector_data.h"
#include "train/tracklet_miner.h"

namespace hat {

struct DetectorTrainConfig {
  std::vector<std::string> videos;     // files or folders; each video is a camera of the site
  std::string output;                  // RUN_DIR
  std::string pretrained;              // ImageNet MobileNetV2 weights (either layout); "" = random
  int input_width = 384;               // network input; its height follows the first video's aspect
  int iterations = 450;                // round 1
  int self_training_iterations = 150;  // round 2; 0 skips self-training
  int batch = 8;
  double lr = 2e-3;  // AdamW, cosine to 2 % of it per round (round 2 starts at a third)
  double weight_decay = 1e-4;
  double promote_score = 0.5;
  int frozen_blocks = 4;  // backbone features[0 .. n-1] keep their ImageNet weights
  CompositeSampleOptions composites;
  PseudoLabelOptions pseudo;
  MiningOptions mining;
  uint64_t seed = 0;
  bool progress = true;
};
nlohmann::json to_json(const DetectorTrainConfig& config);
// Missing keys keep their defaults; an unknown key or a wrong type is a hat::Error naming it.
DetectorTrainConfig detector_train_config_from_json(const nlohmann::json& json,
                                                    const DetectorTrainConfig& defaults = {});

struct DetectionScore {
  double precision = 0, recall = 0;  // at IoU 0.5 and score >= 0.3 after NMS
  int people = 0, detections = 0;
};

struct DetectorTrainResult {
  std::string onnx, weights;
  int composite_images = 0, real_images = 0, promoted = 0;
  std::vector<DetectionScore> validation;  // after each round
};

// hat::Error for an unreadable video, one without people, pretrained weights that are not a
// MobileNetV2, or an output that cannot be written (each naming the file).
DetectorTrainResult train_person_detector(const DetectorTrainConfig& config, std::ostream& log);

}  // namespace hat
