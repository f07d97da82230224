#include "train/site_adapter.h"

#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "base/file_io.h"
#include "base/json_settings.h"
#include "base/version.h"
#include "evaluation/distance.h"
#include "evaluation/feature_extractor.h"
#include "inference/embedding_engine.h"
#include "model/checkpoint.h"
#include "model/model_loader.h"
#include "train/trainer.h"

namespace hat {

namespace {

constexpr const char* kWhat = "adapt settings";

bool exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

std::string round_dir(const AdaptConfig& c, int round) {
  return c.output + "/round-" + std::to_string(round);
}

// Unit embeddings of every crop of every tracklet, in tracklet order: [crops, D].
torch::Tensor embed_crops(const std::string& model_path, const MinedSite& site,
                          const AdaptConfig& c, const std::string& label) {
  std::vector<ImageRecord> records;
  for (const auto& t : site.tracklets)
    for (const auto& crop : t.crops) records.push_back({crop, 0, t.camera});
  EngineOptions eo;
  eo.device = c.device;
  eo.batch_size = c.train.eval_batch;
  EmbeddingEngine engine(load_model(model_path), eo);
  ExtractOptions xo;
  xo.progress = c.progress;
  xo.label = label;
  torch::Tensor features = extract_features(engine, records, eo.batch_size, xo);
  l2_normalize_(features);
  return features;
}

// The unit mean of rows [begin, end) of `features`.
torch::Tensor unit_mean(const torch::Tensor& features, int64_t begin, int64_t end) {
  auto m = features.slice(0, begin, end).mean(0, /*keepdim=*/true);
  l2_normalize_(m);
  return m;
}

torch::Tensor tracklet_means(const torch::Tensor& crops, const MinedSite& site) {
  std::vector<torch::Tensor> rows;
  int64_t at = 0;
  for (const auto& t : site.tracklets) {
    const int64_t n = static_cast<int64_t>(t.crops.size());
    rows.push_back(unit_mean(crops, at, at + n));
    at += n;
  }
  return torch::cat(rows);
}

// Tracklet x tracklet distances for clustering: cosine, re-ranked with k-reciprocal neighbours
// when asked (and when there are enough tracklets for the neighbourhoods), made symmetric.
std::vector<double> tracklet_distances(const torch::Tensor& means, const AdaptConfig& c) {
  DistanceBlocks blocks(means.clone(), means.clone(), DistanceMetric::kCosine);
  const int64_t n = means.size(0);
  torch::Tensor d = blocks.rows(0, n).clone();
  if (c.rerank && n > c.rerank_params.k1 + 1) {
    KReciprocalReranker reranker(blocks.query(), blocks.gallery(), DistanceMetric::kCosine,
                                 c.rerank_params, int64_t{1} << 28);
    reranker.apply(d, 0);
  }
  d = ((d + d.t()) / 2).contiguous().to(torch::kDouble);
  return std::vector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
}

// Each camera's mean tracklet embedding removed: a camera's light and colour cast move all its
// embeddings together, which would otherwise keep every person's tracklets apart by camera.
torch::Tensor camera_centred(torch::Tensor means, const MinedSite& site) {
  const auto n = static_cast<int64_t>(site.tracklets.size());
  std::vector<int64_t> camera_of(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    camera_of[static_cast<size_t>(i)] = site.tracklets[static_cast<size_t>(i)].camera;
  const auto cams = torch::tensor(camera_of);
  for (size_t v = 0; v < site.videos.size(); ++v) {
    const auto rows = (cams == static_cast<int64_t>(v)).nonzero().squeeze(1);
    if (rows.numel() < 2) continue;
    means.index_put_({rows}, means.index({rows}) - means.index({rows}).mean(0, true));
  }
  l2_normalize_(means);
  return means;
}

nlohmann::json cluster_round(const std::string& model_path, const MinedSite& site,
                             const std::vector<std::pair<int, int>>& cannot_link,
                             const AdaptConfig& c, int round, std::ostream& log) {
  const auto means = camera_centred(
      tracklet_means(embed_crops(model_path, site, c, "round " + std::to_string(round)), site),
      site);
  const int n = static_cast<int>(site.tracklets.size());
  const auto d = tracklet_distances(means, c);
  double merge = c.merge_distance;
  if (merge <= 0) {
    if (cannot_link.empty()) {
      merge = 0;  // nothing tells what "different" looks like here: every tracklet stays apart
      log << "round " << round
          << ": no co-occurring tracklets to set the merge distance; no merges\n";
    } else {
      std::vector<double> negative;
      for (const auto& [a, b] : cannot_link)
        negative.push_back(d[static_cast<size_t>(a) * n + static_cast<size_t>(b)]);
      merge = quantile(negative, c.merge_quantile);
    }
  }
  // Unless asked, merges join tracklets of different cameras only: under one camera's light two
  // people in similar clothes look closer than one person across cameras, and those false merges
  // are what hurt the pseudo-labels most.
  auto constraints = cannot_link;
  if (!c.merge_within_camera)
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j)
        if (site.tracklets[static_cast<size_t>(i)].camera ==
            site.tracklets[static_cast<size_t>(j)].camera)
          constraints.emplace_back(i, j);
  const ClusteringResult r = cluster_with_cannot_links(d, n, constraints, merge);
  log << "round " << round << ": " << n << " tracklets -> " << r.clusters << " pseudo-identities ("
      << r.merges << " merges below distance " << merge << ", " << r.blocked
      << " refused by constraints)\n";
  return {{"labels", r.labels},   {"clusters", r.clusters},  {"merges", r.merges},
          {"blocked", r.blocked}, {"merge_distance", merge}, {"model", model_path}};
}

// The tracklets' crops under their pseudo-identities (pid = label + 1); with `cannot_link`, the
// pseudo-identities of co-occurring tracklets as hard negative pairs.
ReidDataset pseudo_labelled(const MinedSite& site, const std::vector<int>& labels,
                            const std::vector<std::pair<int, int>>& cannot_link,
                            const std::string& root) {
  ReidDataset data;
  data.name = "site";
  data.root = root;
  for (size_t i = 0; i < site.tracklets.size(); ++i)
    for (const auto& crop : site.tracklets[i].crops)
      data.train.push_back({crop, labels[i] + 1, site.tracklets[i].camera});
  for (const auto& [a, b] : cannot_link)
    if (labels[static_cast<size_t>(a)] != labels[static_cast<size_t>(b)])
      data.hard_negatives.emplace_back(labels[static_cast<size_t>(a)] + 1,
                                       labels[static_cast<size_t>(b)] + 1);
  return data;
}

void calibrate(const std::string& model_path, const MinedSite& site,
               const std::vector<std::pair<int, int>>& cannot_link, const AdaptConfig& c,
               Calibration& out, std::ostream& log) {
  const auto crops = embed_crops(model_path, site, c, "calibration");
  // Positive pairs: the first half of a tracklet against its second half, as hatmatch compares a
  // track's recent mean with an identity's. Negative pairs: the means of co-occurring tracklets.
  std::vector<double> positives, negatives;
  const torch::Tensor means = tracklet_means(crops, site);
  int64_t at = 0;
  for (const auto& t : site.tracklets) {
    const int64_t n = static_cast<int64_t>(t.crops.size()), half = n / 2;
    if (half >= 1)
      positives.push_back(1.0 -
                          (unit_mean(crops, at, at + half) * unit_mean(crops, at + half, at + n))
                              .sum()
                              .item<double>());
    at += n;
  }
  for (const auto& [a, b] : cannot_link)
    negatives.push_back(1.0 - (means[a] * means[b]).sum().item<double>());
  out = calibrate_match_threshold(positives, negatives, c.target_false_match_rate);
  write_json_file(c.output + "/calibration.json", to_json(out));
  write_distance_plot(c.output + "/distances.png", positives, negatives, out);
  char line[200];
  std::snprintf(line, sizeof line,
                "calibration: threshold %.4f at %.1f %% false matches (%d negative pairs), "
                "%.1f %% of %d positive pairs below it\n",
                out.threshold, 100 * out.false_match_rate, out.negative_pairs,
                100 * out.true_match_rate, out.positive_pairs);
  log << line;
}

}  // namespace

AdaptConfig default_adapt_config() {
  AdaptConfig c;
  c.train.lr = 1e-4;
  c.train.warmup_epochs = 0;
  c.train.first_milestone = 1000;  // no step decay within a round
  c.train.eval_every = 0;
  c.train.checkpoint_every = 1;
  c.train.p = 8;
  c.train.k = 4;
  return c;
}

nlohmann::json to_json(const AdaptConfig& c) {
  return {{"videos", c.videos},
          {"model", c.model},
          {"output", c.output},
          {"preset", c.preset},
          {"mining", to_json(c.mining)},
          {"min_tracklets", c.min_tracklets},
          {"rounds", c.rounds},
          {"epochs_per_round", c.epochs_per_round},
          {"rerank", c.rerank},
          {"rerank_k1", c.rerank_params.k1},
          {"rerank_k2", c.rerank_params.k2},
          {"rerank_lambda", c.rerank_params.lambda},
          {"merge_distance", c.merge_distance},
          {"merge_quantile", c.merge_quantile},
          {"merge_within_camera", c.merge_within_camera},
          {"hard_negative_batches", c.hard_negative_batches},
          {"target_false_match_rate", c.target_false_match_rate},
          {"train", to_json(c.train)},
          {"seed", c.seed},
          {"device", c.device},
          {"progress", c.progress}};
}

AdaptConfig adapt_config_from_json(const nlohmann::json& j, const AdaptConfig& defaults) {
  check_known_keys(j, to_json(defaults), kWhat);
  AdaptConfig c = defaults;
  read_setting(j, "videos", c.videos, kWhat);
  read_setting(j, "model", c.model, kWhat);
  read_setting(j, "output", c.output, kWhat);
  read_setting(j, "preset", c.preset, kWhat);
  if (j.contains("mining")) c.mining = mining_options_from_json(j["mining"], defaults.mining);
  read_setting(j, "min_tracklets", c.min_tracklets, kWhat);
  read_setting(j, "rounds", c.rounds, kWhat);
  read_setting(j, "epochs_per_round", c.epochs_per_round, kWhat);
  read_setting(j, "rerank", c.rerank, kWhat);
  read_setting(j, "rerank_k1", c.rerank_params.k1, kWhat);
  read_setting(j, "rerank_k2", c.rerank_params.k2, kWhat);
  read_setting(j, "rerank_lambda", c.rerank_params.lambda, kWhat);
  read_setting(j, "merge_distance", c.merge_distance, kWhat);
  read_setting(j, "merge_quantile", c.merge_quantile, kWhat);
  read_setting(j, "merge_within_camera", c.merge_within_camera, kWhat);
  read_setting(j, "hard_negative_batches", c.hard_negative_batches, kWhat);
  read_setting(j, "target_false_match_rate", c.target_false_match_rate, kWhat);
  if (j.contains("train")) c.train = train_config_from_json(j["train"], defaults.train);
  read_setting(j, "seed", c.seed, kWhat);
  read_setting(j, "device", c.device, kWhat);
  read_setting(j, "progress", c.progress, kWhat);
  if (c.min_tracklets < 2 || c.rounds < 1 || c.epochs_per_round < 1 || c.rerank_params.k1 < 1 ||
      c.rerank_params.k2 < 1 || c.merge_quantile < 0 || c.merge_quantile > 1 ||
      c.target_false_match_rate < 0 || c.target_false_match_rate >= 1)
    throw Error(std::string(kWhat) +
                ": min_tracklets >= 2, rounds >= 1, epochs_per_round >= 1, rerank_k1/k2 >= 1, "
                "merge_quantile in [0, 1], target_false_match_rate in [0, 1)");
  return c;
}

AdaptResult adapt_to_site(const AdaptConfig& c, bool resume, std::ostream& log) {
  if (c.output.empty()) throw Error("no run folder given (--output)");
  if (c.model.empty()) throw Error("no initial model given (--model)");
  if (c.videos.empty()) throw Error("no video given (--video)");
  // The initial model first: a wrong file fails before minutes of mining.
  LoadOptions lo;
  if (!c.preset.empty()) lo.expect_preset = c.preset;
  const std::string preset = load_model(c.model, lo).model->config().preset;
  std::error_code ec;
  std::filesystem::create_directories(c.output, ec);
  if (ec) throw Error(c.output + ": cannot create the run folder (" + ec.message() + ")");
  const auto videos = list_videos(c.videos);
  write_json_file(c.output + "/adapt.json", to_json(c));

  MinedSite site;
  const std::string mined = c.output + "/tracklets.json";
  if (resume && exists(mined)) {
    site = mined_site_from_json(nlohmann::json::parse(read_file(mined)));
    if (site.videos != videos)
      throw Error(mined + ": was mined from other videos; start a new run folder");
    log << "resumed " << site.tracklets.size() << " tracklets from " << mined << "\n";
  } else {
    // Absolute crop paths: the run folder's files are read from wherever the tools run.
    site = mine_tracklets(videos, c.mining, std::filesystem::absolute(c.output).string() + "/crops",
                          log, c.progress);
    write_json_file(mined, to_json(site));
  }
  AdaptResult result;
  result.tracklets = static_cast<int>(site.tracklets.size());
  result.tracklets_per_video.assign(videos.size(), 0);
  for (const auto& t : site.tracklets) ++result.tracklets_per_video[static_cast<size_t>(t.camera)];
  if (result.tracklets < c.min_tracklets) {
    std::string per;
    for (size_t v = 0; v < videos.size(); ++v)
      per += (v ? ", " : "") + videos[v] + ": " + std::to_string(result.tracklets_per_video[v]);
    throw Error("found " + std::to_string(result.tracklets) + " tracklets (" + per +
                "); adapt needs at least " + std::to_string(c.min_tracklets) +
                ": give longer or more videos, or lower mining.min_length");
  }
  const auto cannot_link = co_occurring_pairs(site.tracklets);
  result.co_occurring_pairs = static_cast<int>(cannot_link.size());
  log << result.tracklets << " tracklets, " << cannot_link.size() << " co-occurring pairs\n";

  std::string current = c.model;
  for (int round = 1; round <= c.rounds; ++round) {
    const std::string dir = round_dir(c, round);
    create_folders(dir);
    const std::string labels_file = dir + "/labels.json";
    const bool continuing = resume && exists(labels_file);
    if (continuing && exists(dir + "/model.hat")) {
      current = dir + "/model.hat";
      result.pseudo_identities = nlohmann::json::parse(read_file(labels_file)).at("clusters");
      continue;
    }
    nlohmann::json labels;
    if (continuing) {
      labels = nlohmann::json::parse(read_file(labels_file));
    } else {
      labels = cluster_round(current, site, cannot_link, c, round, log);
      write_json_file(labels_file, labels);
    }
    result.pseudo_identities = labels.at("clusters");
    if (result.pseudo_identities < 2)
      throw Error("round " + std::to_string(round) + ": all " + std::to_string(result.tracklets) +
                  " tracklets fell into one pseudo-identity; set merge_distance lower");
    TrainConfig tc = c.train;
    tc.p = std::min(tc.p, result.pseudo_identities);  // a batch cannot hold more identities
    tc.dataset = "site";
    tc.root = c.output;
    tc.output = dir;
    tc.preset = preset;
    tc.pretrained.clear();
    tc.init = current;
    tc.epochs = c.epochs_per_round;
    tc.seed = c.seed + static_cast<uint64_t>(round);
    tc.device = c.device;
    tc.progress = c.progress;
    Trainer trainer(
        tc,
        pseudo_labelled(site, labels.at("labels").get<std::vector<int>>(),
                        c.hard_negative_batches ? cannot_link : std::vector<std::pair<int, int>>{},
                        c.output),
        log);
    trainer.run(continuing && exists(dir + "/last.hat"));
    current = dir + "/model.hat";
  }

  calibrate(current, site, cannot_link, c, result.calibration, log);
  Checkpoint ckpt = read_checkpoint(current);
  ckpt.training = nullptr;
  ckpt.training_tensors.clear();
  ckpt.provenance = {{"source", "hat-train adapt " + std::string(kVersion)},
                     {"adapted_from", c.model},
                     {"videos", videos},
                     {"tracklets", result.tracklets},
                     {"co_occurring_pairs", result.co_occurring_pairs},
                     {"pseudo_identities", result.pseudo_identities},
                     {"rounds", c.rounds},
                     {"epochs_per_round", c.epochs_per_round},
                     {"seed", c.seed},
                     {"calibration", to_json(result.calibration)},
                     {"created", utc_timestamp()}};
  result.model = c.output + "/model.hat";
  save_checkpoint(result.model, ckpt);
  return result;
}

}  // namespace hat
