// The match threshold of a site, chosen from its own data: distances of positive pairs (two
// halves of one tracklet: one person) and negative pairs (co-occurring tracklets: two people),
// with the threshold at a target false-match rate. hatmatch and hat-gallery read the result from
// the model's provenance (model/checkpoint.h: calibrated_match_threshold).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hat {

struct Calibration {
  double threshold = 0;                // cosine distance: below it, a match
  double target_false_match_rate = 0;  // asked for
  double false_match_rate = 0;         // share of negative pairs below the threshold
  double true_match_rate = 0;          // share of positive pairs below the threshold
  int positive_pairs = 0, negative_pairs = 0;
};
nlohmann::json to_json(const Calibration& calibration);

// The largest threshold (among the negatives' distances) below which at most
// `target_false_match_rate` of `negatives` lie, with the rates it gives. hat::Error without
// negatives or positives, or for a rate outside [0, 1).
Calibration calibrate_match_threshold(const std::vector<double>& positives,
                                      const std::vector<double>& negatives,
                                      double target_false_match_rate);

// Histograms of both distributions (share of pairs per 0.02 of distance) and the threshold, as a
// PNG chart; written atomically.
void write_distance_plot(const std::string& path, const std::vector<double>& positives,
                         const std::vector<double>& negatives, const Calibration& calibration);

}  // namespace hat
