// hat-train adapt: the constrained clustering, co-occurrence, the threshold calibration, mining a
// synthetic site's video, and the whole adaptation of the tests' synthetic model to a site whose
// look it never saw (tests/oracles/adapt_synthetic_site.sh runs it once for the suites).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "base/error.h"
#include "base/file_io.h"
#include "evaluation/mot_metrics.h"
#include "model/checkpoint.h"
#include "tests/test_env.h"
#include "tracking/box_iou.h"
#include "train/match_calibration.h"
#include "train/site_adapter.h"
#include "train/synthetic_site.h"
#include "train/tracklet_clustering.h"
#include "train/tracklet_miner.h"

namespace hat {
namespace {

std::string site_dir() { return test::generated("synthetic-site"); }

nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(read_file(path)); }

double mean_ap(const std::string& model, const std::string& root) {
  const std::string json = test::scratch_dir() + "/metrics.json";
  const auto r = test::run(test::hat_eval_tool() + " run --dataset market1501 --root " + root +
                           " --model " + model + " --json " + json);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return read_json(json).at("mAP").get<double>();
}

TEST(TrackletClustering, NeverPutsACannotLinkPairIntoOneClusterAndStopsAtTheThreshold) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 30; ++trial) {
    const int n = 5 + static_cast<int>(rng() % 40);
    // Points on a line: distance |x_i - x_j|, so that clusters form at every scale.
    std::vector<double> x(static_cast<size_t>(n));
    for (auto& v : x) v = std::uniform_real_distribution<double>(0, 1)(rng);
    std::vector<double> d(static_cast<size_t>(n * n));
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) d[static_cast<size_t>(i * n + j)] = std::abs(x[i] - x[j]);
    std::vector<std::pair<int, int>> cannot;
    for (int k = 0; k < n / 2; ++k) {
      const int a = static_cast<int>(rng() % n), b = static_cast<int>(rng() % n);
      if (a != b) cannot.emplace_back(a, b);
    }
    const double threshold = std::uniform_real_distribution<double>(0.02, 0.5)(rng);
    const auto r = cluster_with_cannot_links(d, n, cannot, threshold);
    ASSERT_EQ(r.labels.size(), static_cast<size_t>(n));
    EXPECT_EQ(r.clusters, n - r.merges);
    for (const auto& [a, b] : cannot) EXPECT_NE(r.labels[a], r.labels[b]) << "trial " << trial;
    // Stopped at the threshold: any two final clusters are either constrained apart or at an
    // average distance of at least the threshold (computed here from the definition).
    std::map<int, std::vector<int>> members;
    for (int i = 0; i < n; ++i) members[r.labels[i]].push_back(i);
    std::set<std::pair<int, int>> blocked;
    for (const auto& [a, b] : cannot) {
      blocked.insert({r.labels[a], r.labels[b]});
      blocked.insert({r.labels[b], r.labels[a]});
    }
    for (const auto& [ca, ma] : members)
      for (const auto& [cb, mb] : members) {
        if (ca >= cb || blocked.count({ca, cb})) continue;
        double sum = 0;
        for (int i : ma)
          for (int j : mb) sum += d[static_cast<size_t>(i * n + j)];
        EXPECT_GE(sum / (ma.size() * mb.size()), threshold - 1e-9) << "trial " << trial;
      }
  }
}

TEST(TrackletClustering, MergesTheCloseGroupsItIsAllowedTo) {
  // Two tight groups {0,1,2} and {3,4}, far apart; 0 and 2 may not be joined.
  const double x[] = {0.0, 0.01, 0.02, 1.0, 1.01};
  std::vector<double> d(25);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j) d[static_cast<size_t>(i * 5 + j)] = std::abs(x[i] - x[j]);
  const auto r = cluster_with_cannot_links(d, 5, {{0, 2}}, 0.1);
  EXPECT_EQ(r.clusters, 3);
  EXPECT_EQ(r.labels[3], r.labels[4]);
  EXPECT_NE(r.labels[0], r.labels[2]);
  EXPECT_TRUE(r.labels[1] == r.labels[0] || r.labels[1] == r.labels[2]);
  EXPECT_THROW(cluster_with_cannot_links(d, 4, {}, 0.1), Error);
  EXPECT_THROW(cluster_with_cannot_links(d, 5, {{0, 7}}, 0.1), Error);
}

TEST(Tracklets, CoOccurMeansDetectedInOneFrameOfOneCamera) {
  Tracklet a, b, c;
  a.frames = {1, 2, 3, 10};
  b.frames = {4, 5, 10};
  c.frames = {4, 5, 6};
  EXPECT_TRUE(co_occur(a, b));   // frame 10
  EXPECT_FALSE(co_occur(a, c));  // spans overlap, but never the same frame
  b.camera = 1;
  EXPECT_FALSE(co_occur(a, b));  // another camera
  c.camera = 1;
  EXPECT_EQ(co_occurring_pairs({a, b, c}), (std::vector<std::pair<int, int>>{{1, 2}}));
}

TEST(MatchCalibration, ThresholdMeetsTheTargetFalseMatchRate) {
  std::mt19937 rng(5);
  std::normal_distribution<double> neg(0.7, 0.1), pos(0.2, 0.08);
  std::vector<double> negatives(2000), positives(500);
  for (auto& v : negatives) v = neg(rng);
  for (auto& v : positives) v = pos(rng);
  const auto c = calibrate_match_threshold(positives, negatives, 0.01);
  // The oracle: the share of negatives below the threshold, counted here.
  const double below =
      std::count_if(negatives.begin(), negatives.end(), [&](double v) { return v < c.threshold; }) /
      2000.0;
  EXPECT_NEAR(below, 0.01, 1.0 / 2000);
  EXPECT_DOUBLE_EQ(c.false_match_rate, below);
  EXPECT_NEAR(c.threshold, 0.7 - 2.326 * 0.1, 0.02);  // the normal's 1 % quantile
  EXPECT_GT(c.true_match_rate, 0.99);
  EXPECT_THROW(calibrate_match_threshold(positives, {}, 0.01), Error);
  EXPECT_THROW(calibrate_match_threshold(positives, negatives, 1.0), Error);
  const std::string png = test::scratch_dir() + "/distances.png";
  write_distance_plot(png, positives, negatives, c);
  EXPECT_GT(std::filesystem::file_size(png), 1000u);
}

TEST(TrackletMiner, FindsTheWalkersOfASyntheticSiteAsPureTracklets) {
  const std::string dir = test::scratch_dir();
  SiteOptions o;
  o.people = 8;
  o.test_people = 2;
  o.seed = 4;
  std::ostringstream log;
  write_synthetic_site(o, dir + "/site", log);
  const auto videos = list_videos({dir + "/site/videos"});
  ASSERT_EQ(videos.size(), 2u);
  MiningOptions mo;
  const MinedSite site = mine_tracklets(videos, mo, dir + "/crops", log, false);
  int pure = 0;
  std::set<std::pair<int, int>> people;  // (camera, truth id) found
  for (const auto& t : site.tracklets) {
    EXPECT_GE(static_cast<int>(t.frames.size()), mo.min_length);
    EXPECT_GE(t.crops.size(), 2u);
    for (const auto& crop : t.crops) EXPECT_TRUE(std::filesystem::exists(crop)) << crop;
    const auto truth =
        read_mot_file(videos[t.camera].substr(0, videos[t.camera].size() - 4) + ".txt",
                      site.frames_read[t.camera]);
    std::map<int, int> votes;
    for (size_t k = 0; k < t.frames.size(); ++k)
      for (const auto& g : truth[static_cast<size_t>(t.frames[k])])
        if (tracking::box_iou(g.box, t.boxes[k]) > 0.5) ++votes[g.id];
    int best = 0, best_id = 0;
    for (const auto& [id, v] : votes)
      if (v > best) best = v, best_id = id;
    if (best >= 0.8 * t.frames.size()) {
      ++pure;
      people.insert({t.camera, best_id});
    }
  }
  std::printf(
      "%zu tracklets, %d pure (80 %% of their frames on one person), %zu of 16 person "
      "passes found\n",
      site.tracklets.size(), pure, people.size());
  // Measured: 9 tracklets, 6 pure, 6 of 16 passes. The site is crowded on purpose (a person
  // enters every 8 frames): the background detector sees people who overlap as one blob, and
  // those tracks are dropped or impure. The bars: most tracklets pure, a third of the passes.
  EXPECT_GE(pure, 0.6 * site.tracklets.size());
  EXPECT_GE(people.size(), 5u);
}

TEST(TrackletMiner, SaysWhatIsWrongWithAVideo) {
  const std::string dir = test::scratch_dir();
  const std::string garbage = dir + "/garbage.avi";
  std::ofstream(garbage) << "not a video";
  MiningOptions mo;
  std::ostringstream log;
  try {
    mine_tracklets({garbage}, mo, dir + "/crops", log, false);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(garbage + ": cannot read the video"), std::string::npos)
        << e.what();
  }
  // A video of an empty scene: nobody to mine.
  const std::string empty = dir + "/empty.avi";
  {
    cv::VideoWriter w(empty, cv::CAP_FFMPEG, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 25,
                      cv::Size(320, 240));
    const cv::Mat scene = site_background(320, 240, 1);
    for (int f = 0; f < 60; ++f) w.write(scene);
  }
  try {
    mine_tracklets({empty}, mo, dir + "/crops", log, false);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(empty + ": no people found: 60 frames"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(list_videos({dir + "/missing"}), Error);
  std::filesystem::create_directories(dir + "/no-videos");
  EXPECT_THROW(list_videos({dir + "/no-videos"}), Error);
}

TEST(SiteAdapter, RefusesTooFewTrackletsAndAModelOfAnotherPreset) {
  const std::string dir = test::scratch_dir();
  AdaptConfig c = default_adapt_config();
  c.model = test::generated("synthetic-reid-model.hat");
  c.videos = {site_dir() + "/site/videos/cam-1.avi"};
  c.output = dir + "/run";
  c.progress = false;
  c.min_tracklets = 500;
  std::ostringstream log;
  try {
    adapt_to_site(c, false, log);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("tracklets (" + c.videos[0] + ": "), std::string::npos) << m;
    EXPECT_NE(m.find("adapt needs at least 500"), std::string::npos) << m;
  }
  c.preset = "hat-r50";
  try {
    adapt_to_site(c, false, log);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("hat-r50"), std::string::npos) << e.what();
  }
  // A bad setting names itself.
  EXPECT_THROW(adapt_config_from_json({{"rounds", 0}}), Error);
  EXPECT_THROW(adapt_config_from_json({{"mining", {{"detector", 3}}}}), Error);
  EXPECT_THROW(adapt_config_from_json({{"no_such_key", 1}}), Error);
}

// The run of tests/oracles/adapt_synthetic_site.sh: the synthetic model (trained on the
// project's usual synthetic people) adapted to the site's two unlabeled videos.
TEST(SiteAdapter, RaisesMapOnAnUnseenSiteWithoutEverMergingCoOccurringTracklets) {
  const std::string site = site_dir() + "/site", run = site_dir() + "/run";
  const double before = mean_ap(test::generated("synthetic-reid-model.hat"), site + "/test");
  const double after = mean_ap(run + "/model.hat", site + "/test");
  std::printf(
      "site test crops (other people than the adaptation videos'): mAP %.1f %% before, "
      "%.1f %% after adapt\n",
      100 * before, 100 * after);
  // Measured 22.7 % -> 58.5 % (seed 0; 12.2 % -> 93.0 % on seed 1): the bar asks for +20 points.
  EXPECT_GE(after, before + 0.20);

  // No round's pseudo-labels put two co-occurring tracklets together (co-occurrence recomputed
  // here from the tracklets' frames), and only tracklets of different cameras were merged.
  const auto mined = read_json(run + "/tracklets.json").at("tracklets");
  int rounds = 0;
  for (; std::filesystem::exists(run + "/round-" + std::to_string(rounds + 1)); ++rounds) {
    const auto labels =
        read_json(run + "/round-" + std::to_string(rounds + 1) + "/labels.json").at("labels");
    ASSERT_EQ(labels.size(), mined.size());
    for (size_t i = 0; i < mined.size(); ++i)
      for (size_t j = i + 1; j < mined.size(); ++j) {
        if (labels[i] != labels[j]) continue;
        // Merged: of different cameras (merge_within_camera is off by default), and so never
        // co-occurring; the frame check holds whatever that setting.
        EXPECT_NE(mined[i]["camera"], mined[j]["camera"]) << i << " and " << j;
        if (mined[i]["camera"] != mined[j]["camera"]) continue;
        std::set<int> fi(mined[i]["frames"].begin(), mined[i]["frames"].end());
        for (int f : mined[j]["frames"]) EXPECT_FALSE(fi.count(f)) << i << ", " << j << " @ " << f;
      }
  }
  EXPECT_EQ(rounds, 2);

  // The calibration is in the model's provenance, where hatmatch and hat-gallery find it.
  const Checkpoint ckpt = read_checkpoint(run + "/model.hat");
  const auto threshold = calibrated_match_threshold(ckpt.provenance);
  ASSERT_TRUE(threshold.has_value());
  const auto calibration = read_json(run + "/calibration.json");
  EXPECT_DOUBLE_EQ(*threshold, calibration.at("threshold").get<double>());
  EXPECT_LE(calibration.at("false_match_rate").get<double>(), 0.01);
  EXPECT_TRUE(ckpt.training.is_null());
  EXPECT_GT(std::filesystem::file_size(run + "/distances.png"), 1000u);
}

TEST(SiteAdapter, ResumesAFinishedRunWithoutTrainingAgain) {
  // A copy of the fixture's run: --resume finds both rounds done and only re-calibrates, to the
  // same threshold.
  const std::string copy = test::scratch_dir() + "/run";
  std::filesystem::copy(site_dir() + "/run", copy, std::filesystem::copy_options::recursive);
  const auto r = test::run(test::hat_train_tool() + " adapt --model " +
                           test::generated("synthetic-reid-model.hat") + " --video " + site_dir() +
                           "/site/videos --output " + copy + " --resume --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("resumed"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("epoch 1/"), std::string::npos) << r.output;
  EXPECT_DOUBLE_EQ(read_json(copy + "/calibration.json").at("threshold").get<double>(),
                   read_json(site_dir() + "/run/calibration.json").at("threshold").get<double>());
}

}  // namespace
}  // namespace hat
