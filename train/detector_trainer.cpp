#include "train/detector_trainer.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <sstream>

#include <opencv2/videoio.hpp>

#include "base/error.h"
#include "base/file_io.h"
#include "base/json_lines_writer.h"
#include "base/json_settings.h"
#include "detection/person_detector.h"
#include "evaluation/progress_bar.h"
#include "model/mobilenet_v2_import.h"
#include "model/person_detector_net.h"
#include "model/person_detector_onnx.h"
#include "model/state_dict.h"
#include "tracking/box_iou.h"
#include "train/background_plate.h"
#include "train/detector_loss.h"

namespace hat {
namespace {

constexpr const char* kWhat = "detector training settings";
constexpr double kScoreThreshold = 0.3;  // hatdetect's default threshold
constexpr uint64_t kValidationSeed = 990000;

cv::Size input_size_for(const std::string& video, int width) {
  cv::VideoCapture capture(video, cv::CAP_FFMPEG);
  if (!capture.isOpened())
    throw Error(video + ": cannot read the video (not a file FFmpeg can decode)");
  const double w = capture.get(cv::CAP_PROP_FRAME_WIDTH),
               h = capture.get(cv::CAP_PROP_FRAME_HEIGHT);
  if (w <= 0 || h <= 0) throw Error(video + ": the video has no frame size");
  const int height = std::max(32, static_cast<int>(std::lround(width * h / w / 32)) * 32);
  return cv::Size(width, height);
}

torch::Tensor to_batch(const std::vector<cv::Mat>& images) {
  std::vector<torch::Tensor> tensors;
  for (const auto& m : images)
    tensors.push_back(torch::from_blob(m.data, {m.rows, m.cols, 3}, torch::kUInt8).clone());
  return torch::stack(tensors).permute({0, 3, 1, 2}).to(torch::kFloat).div_(255.0);
}

// The network's detections on one image, as hatdetect decodes them (threshold, NMS).
std::vector<gst::PersonDetection> detect(PersonDetectorNet& net, const cv::Mat& image,
                                         double threshold) {
  torch::NoGradGuard no_grad;
  torch::Tensor table = net->decode(net->forward(to_batch({image}))).contiguous();
  const int sizes[3] = {1, static_cast<int>(table.size(1)), static_cast<int>(table.size(2))};
  const cv::Mat output(3, sizes, CV_32F, table.data_ptr<float>());
  gst::DetectorOptions options;
  options.threshold = threshold;
  return gst::decode_detector_output(output, image.cols, image.rows, options);
}

DetectionScore score(PersonDetectorNet& net, const std::vector<DetectorSample>& samples) {
  net->eval();
  DetectionScore s;
  int matched = 0, false_positives = 0;
  for (const auto& sample : samples) {
    const auto found = detect(net, sample.image, kScoreThreshold);
    std::vector<bool> taken(sample.boxes.size(), false);
    for (const auto& d : found) {  // highest score first, after NMS
      const cv::Rect2f box(d.box);
      int best = -1;
      double best_iou = 0.5;
      for (size_t k = 0; k < sample.boxes.size(); ++k) {
        const double v = tracking::subpixel_box_iou(box, sample.boxes[k]);
        if (!taken[k] && v >= best_iou) best = static_cast<int>(k), best_iou = v;
      }
      if (best >= 0) {
        taken[static_cast<size_t>(best)] = true;
        ++matched;
        continue;
      }
      bool ignored = false;
      for (const auto& r : sample.ignore)
        ignored = ignored || tracking::subpixel_box_iou(box, r) >= 0.5;
      if (!ignored) ++false_positives;
    }
    s.people += static_cast<int>(sample.boxes.size());
  }
  s.detections = matched + false_positives;
  s.precision = s.detections ? static_cast<double>(matched) / s.detections : 0;
  s.recall = s.people ? static_cast<double>(matched) / s.people : 0;
  return s;
}

// A flipped (when the frame fills the input's width) and photometrically jittered copy.
void augment(const DetectorSample& in, std::mt19937_64& rng, cv::Mat& image,
             std::vector<cv::Rect2f>& boxes, std::vector<cv::Rect2f>& ignore) {
  std::uniform_real_distribution<double> unit(0, 1);
  const double contrast = 0.75 + 0.5 * unit(rng), brightness = -20 + 40 * unit(rng);
  in.image.convertTo(image, -1, contrast, brightness);
  boxes = in.boxes;
  ignore = in.ignore;
  if (in.content.width == in.image.cols && unit(rng) < 0.5) {
    cv::flip(image, image, 1);
    const auto w = static_cast<float>(image.cols);
    for (auto* list : {&boxes, &ignore})
      for (auto& r : *list) r.x = w - r.x - r.width;
  }
}

class Round {
 public:
  Round(PersonDetectorNet& net, const DetectorTrainConfig& c, JsonLinesWriter& log_file,
        std::mt19937_64& rng)
      : net_(net), c_(c), log_(log_file), rng_(rng) {}

  void run(const std::vector<DetectorSample>& composites, const std::vector<DetectorSample>& real,
           int iterations, double lr, int round) {
    std::vector<torch::Tensor> params;
    for (auto& p : net_->parameters())
      if (p.requires_grad()) params.push_back(p);
    torch::optim::AdamW optimizer(params,
                                  torch::optim::AdamWOptions(lr).weight_decay(c_.weight_decay));
    const cv::Size map(composites.front().image.cols / static_cast<int>(kPersonDetectorStride),
                       composites.front().image.rows / static_cast<int>(kPersonDetectorStride));
    ProgressBar bar("detector round " + std::to_string(round), iterations, c_.progress);
    for (int it = 0; it < iterations; ++it) {
      train_mode();
      const double t = static_cast<double>(it) / std::max(1, iterations);
      const double rate = lr * (0.02 + 0.98 * 0.5 * (1 + std::cos(M_PI * t)));
      for (auto& group : optimizer.param_groups()) group.options().set_lr(rate);
      std::vector<cv::Mat> images;
      std::vector<std::vector<cv::Rect2f>> boxes, ignore;
      const int real_count = real.empty() ? 0 : c_.batch / 2;
      for (int b = 0; b < c_.batch; ++b) {
        const auto& pool = b < real_count ? real : composites;
        const auto& sample = pool[std::uniform_int_distribution<size_t>(0, pool.size() - 1)(rng_)];
        cv::Mat image;
        boxes.emplace_back();
        ignore.emplace_back();
        augment(sample, rng_, image, boxes.back(), ignore.back());
        images.push_back(image);
      }
      const DetectorTargets targets = detector_targets(boxes, ignore, map);
      const DetectorLoss loss = detector_loss(net_->forward(to_batch(images)), targets);
      optimizer.zero_grad();
      loss.total.backward();
      optimizer.step();
      if ((it + 1) % 25 == 0 || it + 1 == iterations) {
        log_.write({{"round", round},
                    {"iteration", it + 1},
                    {"lr", rate},
                    {"loss", loss.total.item<double>()},
                    {"heat", loss.heat.item<double>()},
                    {"offset", loss.offset.item<double>()},
                    {"size", loss.size.item<double>()}});
      }
      bar.advance();
    }
    bar.finish();
  }

 private:
  // Training mode, except the frozen blocks, whose BN statistics stay ImageNet's.
  void train_mode() {
    net_->train();
    const auto& features = *net_->backbone()->features();
    for (int k = 0; k < c_.frozen_blocks && k < static_cast<int>(features.size()); ++k)
      features[static_cast<size_t>(k)]->eval();
  }

  PersonDetectorNet& net_;
  const DetectorTrainConfig& c_;
  JsonLinesWriter& log_;
  std::mt19937_64& rng_;
};

// Ignore regions that the trained network also finds become people (self-training).
int promote(PersonDetectorNet& net, std::vector<DetectorSample>& real, double min_score) {
  net->eval();
  int promoted = 0;
  for (auto& sample : real) {
    if (sample.ignore.empty()) continue;
    const auto found = detect(net, sample.image, min_score);
    std::vector<cv::Rect2f> kept;
    for (const auto& region : sample.ignore) {
      const gst::PersonDetection* best = nullptr;
      double best_iou = 0.5;
      for (const auto& d : found) {
        const double v = tracking::subpixel_box_iou(cv::Rect2f(d.box), region);
        if (v >= best_iou) best = &d, best_iou = v;
      }
      if (best) {
        sample.boxes.push_back(cv::Rect2f(best->box));
        ++promoted;
      } else {
        kept.push_back(region);
      }
    }
    sample.ignore = std::move(kept);
  }
  return promoted;
}

nlohmann::json score_json(const DetectionScore& s) {
  return {{"precision", s.precision},
          {"recall", s.recall},
          {"people", s.people},
          {"detections", s.detections}};
}

}  // namespace

nlohmann::json to_json(const DetectorTrainConfig& c) {
  return {{"videos", c.videos},
          {"output", c.output},
          {"pretrained", c.pretrained},
          {"input_width", c.input_width},
          {"iterations", c.iterations},
          {"self_training_iterations", c.self_training_iterations},
          {"batch", c.batch},
          {"lr", c.lr},
          {"weight_decay", c.weight_decay},
          {"promote_score", c.promote_score},
          {"frozen_blocks", c.frozen_blocks},
          {"composites",
           {{"scenes", c.composites.scenes},
            {"frames", c.composites.frames},
            {"step", c.composites.step},
            {"people", c.composites.people},
            {"min_visible", c.composites.min_visible},
            {"seed", c.composites.seed}}},
          {"pseudo_labels",
           {{"step", c.pseudo.step},
            {"warmup", c.pseudo.warmup},
            {"ignore_threshold", c.pseudo.ignore_threshold}}},
          {"mining", to_json(c.mining)},
          {"seed", c.seed}};
}

DetectorTrainConfig detector_train_config_from_json(const nlohmann::json& j,
                                                    const DetectorTrainConfig& defaults) {
  DetectorTrainConfig c = defaults;
  check_known_keys(j, to_json(defaults), kWhat);
  read_setting(j, "videos", c.videos, kWhat);
  read_setting(j, "output", c.output, kWhat);
  read_setting(j, "pretrained", c.pretrained, kWhat);
  read_setting(j, "input_width", c.input_width, kWhat);
  read_setting(j, "iterations", c.iterations, kWhat);
  read_setting(j, "self_training_iterations", c.self_training_iterations, kWhat);
  read_setting(j, "batch", c.batch, kWhat);
  read_setting(j, "lr", c.lr, kWhat);
  read_setting(j, "weight_decay", c.weight_decay, kWhat);
  read_setting(j, "promote_score", c.promote_score, kWhat);
  read_setting(j, "frozen_blocks", c.frozen_blocks, kWhat);
  read_setting(j, "seed", c.seed, kWhat);
  if (j.contains("composites")) {
    const auto& k = j["composites"];
    const std::string what = std::string(kWhat) + ": composites";
    check_known_keys(k, to_json(defaults)["composites"], what);
    read_setting(k, "scenes", c.composites.scenes, what);
    read_setting(k, "frames", c.composites.frames, what);
    read_setting(k, "step", c.composites.step, what);
    read_setting(k, "people", c.composites.people, what);
    read_setting(k, "min_visible", c.composites.min_visible, what);
    read_setting(k, "seed", c.composites.seed, what);
  }
  if (j.contains("pseudo_labels")) {
    const auto& k = j["pseudo_labels"];
    const std::string what = std::string(kWhat) + ": pseudo_labels";
    check_known_keys(k, to_json(defaults)["pseudo_labels"], what);
    read_setting(k, "step", c.pseudo.step, what);
    read_setting(k, "warmup", c.pseudo.warmup, what);
    read_setting(k, "ignore_threshold", c.pseudo.ignore_threshold, what);
  }
  if (j.contains("mining")) c.mining = mining_options_from_json(j["mining"], defaults.mining);
  auto positive = [](const char* key, double v) {
    if (!(v > 0)) throw Error(std::string(kWhat) + ": '" + key + "' must be positive");
  };
  positive("input_width", c.input_width);
  positive("iterations", c.iterations);
  positive("batch", c.batch);
  positive("lr", c.lr);
  positive("composites.scenes", c.composites.scenes);
  positive("composites.step", c.composites.step);
  positive("pseudo_labels.step", c.pseudo.step);
  if (c.input_width % 32 != 0)
    throw Error(std::string(kWhat) + ": 'input_width' must be a multiple of 32, not " +
                std::to_string(c.input_width));
  if (c.self_training_iterations < 0)
    throw Error(std::string(kWhat) + ": 'self_training_iterations' must be 0 or more");
  return c;
}

DetectorTrainResult train_person_detector(const DetectorTrainConfig& c, std::ostream& log) {
  if (c.videos.empty() || c.output.empty())
    throw Error("detector training needs videos and an output folder");
  const std::vector<std::string> videos = list_videos(c.videos);
  create_folders(c.output);
  write_json_file(c.output + "/config.json", to_json(c));
  torch::manual_seed(static_cast<int64_t>(c.seed));
  std::mt19937_64 rng(c.seed);
  const cv::Size input = input_size_for(videos.front(), c.input_width);
  log << "detector input " << input.width << "x" << input.height << "\n";

  // The data: composites on every camera's plate, pseudo-labelled real frames, held-out composites.
  std::vector<DetectorSample> composites, validation;
  for (size_t camera = 0; camera < videos.size(); ++camera) {
    const cv::Mat plate = background_plate(videos[camera]);
    CompositeSampleOptions o = c.composites;
    o.seed += 100 * camera;
    auto part = composite_samples(plate, input, o, log);
    composites.insert(composites.end(), part.begin(), part.end());
    if (camera == 0) {
      CompositeSampleOptions v = c.composites;
      v.scenes = 1;
      v.frames = 120;
      v.step = 4;
      v.seed = kValidationSeed;
      validation = composite_samples(plate, input, v, log);
    }
  }
  const MinedSite site = mine_tracklets(videos, c.mining, c.output + "/mining", log, c.progress);
  std::vector<DetectorSample> real = pseudo_labelled_samples(site, input, c.pseudo, log);
  std::filesystem::remove_all(c.output + "/mining");  // only the boxes were needed

  PersonDetectorNet net(
      PersonDetectorNetConfig{.input_width = input.width, .input_height = input.height});
  if (!c.pretrained.empty()) {
    load_state(*net->backbone(),
               to_torchvision_mobilenet_v2(read_state_dict_file(c.pretrained), c.pretrained),
               c.pretrained);
  }
  const auto& features = *net->backbone()->features();
  for (int k = 0; k < c.frozen_blocks && k < static_cast<int>(features.size()); ++k)
    for (auto& p : features[static_cast<size_t>(k)]->parameters()) p.set_requires_grad(false);

  JsonLinesWriter log_file(c.output + "/log.jsonl", JsonLinesWriter::Mode::kReplace);
  DetectorTrainResult result;
  result.composite_images = static_cast<int>(composites.size());
  result.real_images = static_cast<int>(real.size());
  Round round(net, c, log_file, rng);
  round.run(composites, real, c.iterations, c.lr, 1);
  result.validation.push_back(score(net, validation));
  log_file.write({{"round", 1}, {"validation", score_json(result.validation.back())}});
  if (c.self_training_iterations > 0 && !real.empty()) {
    result.promoted = promote(net, real, c.promote_score);
    log << "self-training: " << result.promoted
        << " ignore regions that both detectors find became people\n";
    round.run(composites, real, c.self_training_iterations, c.lr / 3, 2);
    result.validation.push_back(score(net, validation));
    log_file.write({{"round", 2},
                    {"promoted", result.promoted},
                    {"validation", score_json(result.validation.back())}});
  }
  log_file.close();
  net->eval();

  result.weights = c.output + "/detector.pt";
  {
    torch::serialize::OutputArchive archive;
    net->save(archive);
    std::ostringstream bytes;
    archive.save_to(bytes);
    const std::string data = bytes.str();
    write_file_atomically(result.weights, data.data(), data.size());
  }
  result.onnx = c.output + "/detector.onnx";
  export_person_detector_onnx(*net, result.onnx);
  nlohmann::json summary = {{"onnx", result.onnx},
                            {"weights", result.weights},
                            {"input", {input.width, input.height}},
                            {"composite_images", result.composite_images},
                            {"real_images", result.real_images},
                            {"promoted", result.promoted}};
  for (const auto& v : result.validation) summary["validation"].push_back(score_json(v));
  write_json_file(c.output + "/summary.json", summary);
  return result;
}

}  // namespace hat
