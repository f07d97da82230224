// hat-train: train HAT models with the paper's recipe, make synthetic datasets, measure training
// throughput.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/arg_parser.h"
#include "base/error.h"
#include "base/file_io.h"
#include "base/json_settings.h"
#include "base/run_tool.h"
#include "inference/autocast_scope.h"
#include "inference/benchmark.h"
#include "inference/channels_last.h"
#include "inference/embedding_engine.h"
#include "inference/torch_error_line.h"
#include "model/flops.h"
#include "train/composite_scene.h"
#include "train/detector_trainer.h"
#include "train/losses.h"
#include "train/optimizer.h"
#include "train/process_group.h"
#include "train/site_adapter.h"
#include "train/synthetic_dataset.h"
#include "train/synthetic_site.h"
#include "train/trainer.h"

namespace {

using hat::ArgParser;

constexpr const char* kTop =
    R"(usage: hat-train [train] --dataset NAME --root DIR --output RUN_DIR [OPTIONS]
       hat-train adapt --model FILE --video FILE|DIR [--video ...] --output RUN_DIR [OPTIONS]
       hat-train detector --video FILE|DIR [--video ...] --output RUN_DIR [OPTIONS]
       hat-train synth --layout LAYOUT --out DIR --ids N [OPTIONS]
       hat-train synth-site --out DIR [OPTIONS]
       hat-train synth-scene --video FILE --out DIR [OPTIONS]
       hat-train bench --preset NAME [--batch N] [--device D]

Train HAT person re-identification models with the paper's recipe (P x K = 16 x 4, label-smoothed
cross-entropy + batch-hard triplet on every branch, Adam 4e-4 with warm-up and x0.4 steps, 150
epochs), on Market-1501, DukeMTMC-reID, CUHK03-NP, MSMT17 or custom data.

commands:
  train   train (the default command); --resume continues a run exactly; --nproc N (and
          --nnodes) trains data-parallel over processes and machines (c10d Gloo / NCCL)
  adapt   adapt a model to a site's unlabeled video (self-supervised) and calibrate its threshold
  detector  train a person detector for a site's fixed cameras from their unlabeled video
  synth   write a synthetic dataset in a benchmark's layout (procedural people and cameras)
  synth-site  write a synthetic two-camera site: unlabeled videos for adapt, labeled test crops
  synth-scene composite synthetic people over a real camera's background plate, with MOT truth
  bench   measure training images/s on random data

'hat-train COMMAND --help' describes a command.
)";

// The --config file's JSON object, or an empty one without --config.
nlohmann::json config_file(const ArgParser& p) {
  return p.has("config") ? hat::read_json_file(p.get("config")) : nlohmann::json::object();
}

// `hat-train train --nproc N`: N copies of this command, each with torchrun's environment
// (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT). The first worker
// to fail stops the others: a run never hangs on a dead worker.
int launch_workers(const std::vector<std::string>& args, int nproc, int nnodes, int node_rank,
                   const std::string& master_addr, int master_port) {
  std::vector<std::string> argv_strings = {"hat-train", "train"};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::map<pid_t, int> ranks;
  for (int local = 0; local < nproc; ++local) {
    const int rank = node_rank * nproc + local;
    std::vector<std::string> env = {
        "RANK=" + std::to_string(rank),        "WORLD_SIZE=" + std::to_string(nproc * nnodes),
        "LOCAL_RANK=" + std::to_string(local), "LOCAL_WORLD_SIZE=" + std::to_string(nproc),
        "MASTER_ADDR=" + master_addr,          "MASTER_PORT=" + std::to_string(master_port)};
    for (char** e = environ; *e; ++e) {
      const std::string v = *e;
      const std::string name = v.substr(0, v.find('='));
      if (name != "RANK" && name != "WORLD_SIZE" && name != "LOCAL_RANK" &&
          name != "LOCAL_WORLD_SIZE" && name != "MASTER_ADDR" && name != "MASTER_PORT")
        env.push_back(v);
    }
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    const pid_t pid = fork();
    if (pid < 0) throw hat::Error("cannot start worker " + std::to_string(rank) + ": fork failed");
    if (pid == 0) {
      execve("/proc/self/exe", argv.data(), envp.data());
      _exit(127);
    }
    ranks[pid] = rank;
  }
  int failed_rank = -1;
  std::string why;
  while (!ranks.empty()) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) break;
    const auto it = ranks.find(pid);
    if (it == ranks.end()) continue;
    const int rank = it->second;
    ranks.erase(it);
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (ok || failed_rank >= 0) continue;
    failed_rank = rank;
    why = WIFSIGNALED(status) ? "was killed by signal " + std::to_string(WTERMSIG(status))
                              : "exited with status " + std::to_string(WEXITSTATUS(status));
    for (const auto& [other, r] : ranks) kill(other, SIGTERM);
  }
  if (failed_rank < 0) return 0;
  std::cerr << "hat-train: worker rank " << failed_rank << " " << why
            << "; stopped the other workers on this machine\n";
  return 1;
}

int cmd_train(const std::vector<std::string>& args) {
  ArgParser p(
      "hat-train train",
      "Train on a dataset. The defaults are the paper's recipe; --config FILE (JSON) and --set "
      "KEY=VALUE\n"
      "change any setting (see RUN_DIR/config.json for the keys). RUN_DIR receives config.json,\n"
      "log.jsonl, curves.png, last.hat (resumable) and model.hat (the trained model).");
  p.option("dataset", "NAME",
           "market1501, dukemtmc, cuhk03np-labeled, cuhk03np-detected, msmt17, msmt17-v2, custom")
      .option("root", "DIR", "folder holding the dataset release")
      .option("preset", "NAME", "hat-r50, hat-r18, hat-mnv2 or tiny")
      .option("pretrained", "FILE",
              "ImageNet weights for the backbone: a torchvision ResNet state dict, or a "
              "MobileNetV2 one "
              "for hat-mnv2 (data/pretrained/mobilenetv2-imagenet.pth)")
      .option("output", "RUN_DIR", "run folder")
      .option("config", "FILE", "JSON training configuration")
      .repeated("set", "KEY=VALUE", "override one setting, e.g. epochs=60 or loss.margin=0.5")
      .option("epochs", "N", "epochs (150)")
      .option("seed", "S", "random seed; runs on the CPU are deterministic")
      .option("device", "D", "cpu, cuda or cuda:N")
      .flag("msmt17-train-only", "MSMT17: train on list_train only (default: train + val)")
      .flag("resume", "continue RUN_DIR from its last checkpoint")
      .flag("quiet", "no progress bars")
      .option("grad-accumulation", "N",
              "train each batch in N slices of P/N identities, one after the other (1)")
      .option("nproc", "N",
              "data-parallel: N worker processes on this machine (c10d: Gloo on the CPU, NCCL "
              "on CUDA), each taking P/N identities of every batch",
              "1")
      .option("nnodes", "N", "machines taking part, each running hat-train with --nproc", "1")
      .option("node-rank", "R", "this machine's place among them (0: the master)", "0")
      .option("master-addr", "ADDR", "the master machine's address (rendezvous)", "127.0.0.1")
      .option("master-port", "PORT", "the master's rendezvous port", "29500")
      .option("dist-timeout", "S",
              "seconds a worker waits for the others before failing with an error", "1800");
  if (!p.parse(args)) return 0;
  // Launcher: start this machine's workers with the environment torchrun would give them.
  const bool worker = std::getenv("RANK") && std::getenv("WORLD_SIZE");
  const int nproc = p.get_int("nproc", 1, 1024), nnodes = p.get_int("nnodes", 1, 65536);
  if (!worker && nproc * nnodes > 1)
    return launch_workers(args, nproc, nnodes, p.get_int("node-rank", 0, nnodes - 1),
                          p.get("master-addr"), p.get_int("master-port", 1, 65535));
  nlohmann::json config = config_file(p);
  for (const char* key : {"dataset", "root", "preset", "pretrained", "output", "device"})
    if (p.has(key)) config[key] = p.get(key);
  if (p.has("epochs")) config["epochs"] = p.get_int("epochs", 1, 100000);
  if (p.has("seed")) config["seed"] = p.get_int("seed", 0, 1 << 30);
  if (p.flag_set("msmt17-train-only")) config["msmt17_train_only"] = true;
  if (p.flag_set("quiet")) config["progress"] = false;
  if (p.has("grad-accumulation"))
    config["grad_accumulation"] = p.get_int("grad-accumulation", 1, 1024);
  for (const auto& s : p.get_all("set")) hat::apply_override(config, s);
  hat::TrainConfig tc = hat::train_config_from_json(config);
  if (tc.dataset.empty() || tc.root.empty() || tc.output.empty())
    throw hat::UsageError("--dataset, --root and --output are required");
  std::unique_ptr<hat::ProcessGroup> group;
  std::ostringstream quiet;  // the other ranks' log: rank 0 reports for all
  if (worker) {
    hat::DistributedOptions d = hat::distributed_from_environment();
    d.timeout = std::chrono::seconds(p.get_int("dist-timeout", 1, 86400 * 7));
    // The machine's cores shared among its workers, unless the run says otherwise.
    if (tc.threads == 0)
      tc.threads =
          std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / d.local_world_size);
    if (d.rank != 0) tc.progress = false;
    if (tc.device == "cuda")  // one GPU per worker of the machine
      tc.device = "cuda:" + std::to_string(d.local_rank);
    group = std::make_unique<hat::ProcessGroup>(d, hat::parse_device(tc.device));
  }
  const bool reports = !group || group->rank() == 0;
  hat::Trainer trainer(tc, reports ? std::cerr : quiet, group.get());
  trainer.run(p.flag_set("resume"));
  if (!reports) return 0;
  const auto& last = trainer.history().back();
  std::cout << "trained " << trainer.config().preset << " on " << tc.dataset << " for "
            << trainer.completed_epochs() << " epochs";
  if (!last.metrics.is_null())
    std::cout << std::fixed << std::setprecision(2) << ": mAP "
              << 100 * last.metrics["mAP"].get<double>() << " %, R1 "
              << 100 * last.metrics["cmc"][0].get<double>() << " %";
  std::cout << "\nmodel: " << tc.output << "/model.hat\nlog: " << tc.output
            << "/log.jsonl, curves: " << tc.output << "/curves.png\n";
  return 0;
}

int cmd_adapt(const std::vector<std::string>& args) {
  ArgParser p(
      "hat-train adapt",
      "Adapt a model to a site from its own unlabeled video, one file (or folder of files) per\n"
      "camera. Tracklets are mined with hatdetect's and hattrack's code; each tracklet is a\n"
      "pseudo-identity, two tracklets seen in one frame are two people, and tracklets of one "
      "person\n"
      "are merged across time and cameras by clustering (never two seen together). Each round\n"
      "re-clusters and trains the HAT recipe from the current model. The match threshold is then\n"
      "calibrated at --target-fmr and stored in RUN_DIR/model.hat, where hatmatch and hat-gallery\n"
      "take it as their default. RUN_DIR also receives tracklets.json, crops/, round-N/ (a "
      "hat-train\n"
      "run each), calibration.json and distances.png. --set KEY=VALUE changes any setting of\n"
      "RUN_DIR/adapt.json (e.g. mining.min_length=30, train.lr=2e-4).");
  p.option("model", "FILE", "the initial model (e.g. the Quick start's runs/default/run/model.hat)")
      .repeated("video", "FILE|DIR", "a camera's video file, or a folder of them")
      .option("output", "RUN_DIR", "run folder")
      .option("preset", "NAME", "refuse an initial model of another preset")
      .option("detector", "NAME", "background (fixed cameras), hog, or an .onnx detector file")
      .option("rounds", "N", "cluster-and-train rounds (2)")
      .option("epochs-per-round", "N", "training epochs per round (20)")
      .option("target-fmr", "RATE", "false-match rate for the calibrated threshold (0.01)")
      .option("max-frames", "N", "read at most N frames of each video")
      .option("config", "FILE", "JSON adapt settings")
      .repeated("set", "KEY=VALUE", "override one setting")
      .option("seed", "S", "random seed; runs on the CPU are deterministic")
      .option("device", "D", "cpu, cuda or cuda:N")
      .flag("resume", "continue RUN_DIR where it stopped")
      .flag("quiet", "no progress bars");
  if (!p.parse(args)) return 0;
  nlohmann::json config = config_file(p);
  for (const char* key : {"model", "output", "preset", "device"})
    if (p.has(key)) config[key] = p.get(key);
  if (!p.get_all("video").empty()) config["videos"] = p.get_all("video");
  if (p.has("detector")) config["mining"]["detector"] = p.get("detector");
  if (p.has("max-frames")) config["mining"]["max_frames"] = p.get_int("max-frames", 1, 1 << 30);
  if (p.has("rounds")) config["rounds"] = p.get_int("rounds", 1, 100);
  if (p.has("epochs-per-round"))
    config["epochs_per_round"] = p.get_int("epochs-per-round", 1, 10000);
  if (p.has("target-fmr"))
    config["target_false_match_rate"] = p.get_double("target-fmr", 0, 0.999999);
  if (p.has("seed")) config["seed"] = p.get_int("seed", 0, 1 << 30);
  if (p.flag_set("quiet")) config["progress"] = false;
  for (const auto& s : p.get_all("set")) hat::apply_override(config, s);
  const hat::AdaptConfig ac = hat::adapt_config_from_json(config);
  if (ac.model.empty() || ac.videos.empty() || ac.output.empty())
    throw hat::UsageError("--model, --video and --output are required");
  const auto r = hat::adapt_to_site(ac, p.flag_set("resume"), std::cerr);
  std::cout << "adapted " << ac.model << " to " << r.tracklets_per_video.size()
            << " camera(s): " << r.tracklets << " tracklets, " << r.co_occurring_pairs
            << " co-occurring pairs, " << r.pseudo_identities << " pseudo-identities\n"
            << std::fixed << std::setprecision(4) << "match threshold " << r.calibration.threshold
            << " (false matches " << std::setprecision(1) << 100 * r.calibration.false_match_rate
            << " %, true matches " << 100 * r.calibration.true_match_rate
            << " %)\nmodel: " << r.model << "\ndistances: " << ac.output << "/distances.png\n";
  return 0;
}

int cmd_detector(const std::vector<std::string>& args) {
  ArgParser p(
      "hat-train detector",
      "Train a person detector for a site from its own unlabeled video, one file (or folder of\n"
      "files) per fixed camera: synthetic people composited on each camera's background plate\n"
      "(exact boxes) and the video's frames pseudo-labelled by the background detector and the\n"
      "tracker, from ImageNet MobileNetV2 weights, then one round of self-training. RUN_DIR\n"
      "receives detector.onnx (hatdetect model-location=RUN_DIR/detector.onnx), detector.pt,\n"
      "config.json, log.jsonl and summary.json (precision and recall on held-out composites).\n"
      "--set KEY=VALUE changes any setting of RUN_DIR/config.json (e.g. composites.scenes=6).");
  p.repeated("video", "FILE|DIR", "a camera's video file, or a folder of them")
      .option("output", "RUN_DIR", "run folder")
      .option("pretrained", "FILE",
              "ImageNet MobileNetV2 weights (data/pretrained/mobilenetv2-imagenet.pth); without "
              "it the backbone starts from random weights")
      .option("input-width", "N",
              "network input width, a multiple of 32 (384); the height "
              "follows the video's aspect")
      .option("iterations", "N", "training iterations before self-training (450)")
      .option("self-training-iterations", "N", "iterations after self-training; 0 skips it (150)")
      .option("config", "FILE", "JSON detector training settings")
      .repeated("set", "KEY=VALUE", "override one setting")
      .option("seed", "S", "random seed; runs on the CPU are deterministic")
      .flag("quiet", "no progress bars");
  if (!p.parse(args)) return 0;
  nlohmann::json config = config_file(p);
  for (const char* key : {"output", "pretrained"})
    if (p.has(key)) config[key] = p.get(key);
  if (!p.get_all("video").empty()) config["videos"] = p.get_all("video");
  if (p.has("input-width")) config["input_width"] = p.get_int("input-width", 32, 4096);
  if (p.has("iterations")) config["iterations"] = p.get_int("iterations", 1, 1 << 24);
  if (p.has("self-training-iterations"))
    config["self_training_iterations"] = p.get_int("self-training-iterations", 0, 1 << 24);
  if (p.has("seed")) config["seed"] = p.get_int("seed", 0, 1 << 30);
  if (p.flag_set("quiet")) config["progress"] = false;
  for (const auto& s : p.get_all("set")) hat::apply_override(config, s);
  const bool progress = !config.contains("progress") || config["progress"].get<bool>();
  config.erase("progress");
  hat::DetectorTrainConfig dc = hat::detector_train_config_from_json(config);
  dc.progress = progress;
  if (dc.videos.empty() || dc.output.empty())
    throw hat::UsageError("--video and --output are required");
  const auto start = std::chrono::steady_clock::now();
  const auto r = hat::train_person_detector(dc, std::cerr);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "trained a person detector on " << r.composite_images << " composite and "
            << r.real_images << " pseudo-labelled frames (" << r.promoted
            << " regions promoted by self-training) in " << std::fixed << std::setprecision(0)
            << seconds << " s\n";
  for (size_t k = 0; k < r.validation.size(); ++k)
    std::cout << "round " << k + 1 << " on held-out composites: precision " << std::setprecision(3)
              << r.validation[k].precision << ", recall " << r.validation[k].recall << "\n";
  std::cout << "detector: " << r.onnx << " (hatdetect model-location=" << r.onnx
            << ")\nweights: " << r.weights << "\n";
  return 0;
}

int cmd_synth(const std::vector<std::string>& args) {
  ArgParser p(
      "hat-train synth",
      "Write a synthetic re-ID dataset with the file names and list files of a real release: "
      "procedural\n"
      "people (body, clothes, textures, bags, poses) seen by cameras that differ in scale, light, "
      "colour\n"
      "cast, blur, noise, background and occlusion. Half the identities train, half are tested.");
  p.option("layout", "LAYOUT", "market1501, dukemtmc, cuhk03np or msmt17")
      .option("out", "DIR", "dataset root (the release folder is created inside)")
      .option("ids", "N", "identities", "100")
      .option("cameras", "N", "cameras (default: the release's)", "0")
      .option("images-per-camera", "N", "at most, per identity and camera", "3")
      .option("distractors", "N", "gallery-only distractor images", "0")
      .option("junk", "N", "Market junk images (identity -1)", "0")
      .option("look", "LOOK",
              "classic, or varied: side light, wider casts, saturation, motion blur, compression, "
              "misframed boxes, neighbours, poles and scene occluders",
              "classic")
      .repeated("background", "FILE",
                "an image or video (its background plate) to cut the crops' backgrounds from, "
                "e.g. the site's own video; may be repeated")
      .option("seed", "S", "random seed", "0");
  if (!p.parse(args)) return 0;
  hat::SynthOptions o;
  o.look = p.get("look");
  o.backgrounds = p.get_all("background");
  o.layout = p.get("layout");
  o.out = p.get("out");
  o.ids = p.get_int("ids", 4, 1000000);
  o.cameras = p.get_int("cameras", 0, 100);
  o.max_images_per_camera = p.get_int("images-per-camera", 2, 1000);
  o.distractors = p.get_int("distractors", 0, 10000000);
  o.junk = p.get_int("junk", 0, 10000000);
  o.seed = static_cast<uint64_t>(p.get_int("seed", 0, 1 << 30));
  hat::write_synthetic_dataset(o, std::cout);
  return 0;
}

int cmd_synth_site(const std::vector<std::string>& args) {
  ArgParser p("hat-train synth-site",
              "Write a synthetic two-camera site in a look the synthetic training sets never have "
              "(pastel\n"
              "clothes, sodium-light casts, low light, blur, paved backgrounds): DIR/videos/ "
              "(unlabeled, for\n"
              "hat-train adapt), DIR/test/ (labeled crops of other people, Market-1501 layout, for "
              "hat-eval)\n"
              "and DIR/test-videos/ with MOTChallenge ground truth.");
  p.option("out", "DIR", "site folder")
      .option("people", "N", "people in the adaptation videos", "12")
      .option("test-people", "N", "other people in the test crops and videos", "12")
      .option("seed", "S", "random seed", "0");
  if (!p.parse(args)) return 0;
  hat::SiteOptions o;
  o.people = p.get_int("people", 2, 1000);
  o.test_people = p.get_int("test-people", 2, 1000);
  o.seed = static_cast<uint64_t>(p.get_int("seed", 0, 1 << 30));
  hat::write_synthetic_site(o, p.get("out"), std::cout);
  return 0;
}

int cmd_synth_scene(const std::vector<std::string>& args) {
  ArgParser p("hat-train synth-scene",
              "Composite synthetic people over the background plate (temporal median) of a fixed "
              "camera's\n"
              "video: ground-plane perspective, crossings, occlusion, shadows, light drift and "
              "noise. Writes\n"
              "DIR/scene.avi, DIR/gt.txt (MOTChallenge ground truth, for hat-eval mot) and "
              "DIR/plate.png.");
  p.option("video", "FILE", "the camera's video (people in it are removed by the median)")
      .option("out", "DIR", "scene folder")
      .option("frames", "N", "frames", "300")
      .option("people", "N", "people walking through over the whole scene", "16")
      .option("fps", "F", "frame rate", "10")
      .option("seed", "S", "random seed", "0");
  if (!p.parse(args)) return 0;
  hat::CompositeOptions o;
  o.frames = p.get_int("frames", 1, 1000000);
  o.people = p.get_int("people", 1, 100000);
  o.fps = p.get_double("fps", 1, 240);
  o.seed = static_cast<uint64_t>(p.get_int("seed", 0, 1 << 30));
  hat::write_composite_scene(p.get("video"), o, p.get("out"), std::cout);
  return 0;
}

int cmd_bench(const std::vector<std::string>& args) {
  ArgParser p("hat-train bench",
              "Training throughput (forward, deeply supervised losses, backward, Adam step) on "
              "random P x K\n"
              "batches, warm-up excluded.");
  p.option("preset", "NAME", "hat-r50, hat-r18, hat-mnv2 or tiny", "hat-r18")
      .option("batch", "N", "images per batch (K = 4 per identity)", "64")
      .option("device", "D", "cpu, cuda or cuda:N", "cpu")
      .option("amp", "MODE", "off, bf16 or fp16 (CUDA)", "off")
      .option("steps", "N", "timed steps", "5")
      .option("json", "OUT", "write the result as JSON");
  if (!p.parse(args)) return 0;
  const int batch = p.get_int("batch", 8, 4096), steps = p.get_int("steps", 1, 100000);
  const torch::Device device = hat::parse_device(p.get("device"));
  torch::manual_seed(0);
  hat::HatConfig c = hat::preset(p.get("preset"));
  c.num_classes = 751;
  hat::HatModel model(c);
  model->to(device);
  model->train();
  auto x = torch::randn({batch, 3, c.input_height, c.input_width},
                        torch::TensorOptions().device(device));
  if (device.is_cuda()) {  // as the trainer runs on CUDA
    hat::convert_to_channels_last(*model);
    x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  }
  hat::OptimizerOptions oo;
  auto opt = hat::make_optimizer(*model, oo);
  const auto y =
      torch::div(torch::arange(batch), 4, "floor").to(device);  // K = 4 images per identity
  const torch::ScalarType amp_dtype =
      hat::parse_precision(p.get("amp") == "off" ? "fp32" : p.get("amp"));
  const bool amp = device.is_cuda() && amp_dtype != torch::kFloat32;
  auto step = [&] {
    hat::LossTerms terms;
    {
      hat::AutocastScope autocast(amp, c10::DeviceType::CUDA, amp_dtype);
      terms = hat::deep_supervision_loss(model->forward_train(x), y, {});
    }
    opt->zero_grad();
    terms.total.backward();
    opt->step();
    return terms.total.item<double>();  // waits for the device
  };
  step();  // warm-up
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double rate = batch * steps / seconds;
  // Forward + backward is about 3x the forward pass's FLOPs; compared with this machine's GEMM
  // rate measured now, in the same process.
  const double gflop = 3 * hat::count_flops(c).total() / 1e9;
  // With AMP the products run in bf16/fp16, so that is the rate to compare with.
  const torch::ScalarType gemm_dtype = amp ? amp_dtype : torch::kFloat32;
  const std::string gemm_name = !amp ? "fp32" : p.get("amp");
  const double gemm =
      hat::measure_gemm_gflops(device, gemm_dtype, device.is_cuda() ? 8192 : 2048, 3.0);
  std::cout << std::fixed << std::setprecision(2) << "training " << c.preset << ", batch " << batch
            << ", device " << p.get("device") << (amp ? ", amp " + p.get("amp") : "")
            << ", threads " << torch::get_num_threads() << ": " << rate << " images/s ("
            << 1e3 * seconds / steps << " ms/step), about " << gflop * rate
            << " GFLOP/s = " << 100 * gflop * rate / gemm << " % of the " << gemm_name
            << " GEMM rate (" << gemm << " GFLOP/s, same run), peak memory " << std::setprecision(0)
            << hat::peak_rss_mib() << " MiB\n";
  if (p.has("json")) {
    const nlohmann::json j = {{"preset", c.preset},
                              {"batch", batch},
                              {"device", p.get("device")},
                              {"amp", amp ? p.get("amp") : "off"},
                              {"images_per_second", rate},
                              {"ms_per_step", 1e3 * seconds / steps},
                              {"threads", torch::get_num_threads()},
                              {"approx_gflops", gflop * rate},
                              {"gemm_gflops", gemm},
                              {"gemm_dtype", gemm_name},
                              {"peak_rss_mib", hat::peak_rss_mib()}};
    hat::write_json_file(p.get("json"), j);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Training is the default command: "hat-train --dataset ..." means "hat-train train --dataset
  // ...".
  std::vector<char*> args(argv, argv + argc);
  static char train[] = "train";
  if (argc > 1 && argv[1][0] == '-' && std::string(argv[1]) != "--help" &&
      std::string(argv[1]) != "-h" && std::string(argv[1]) != "--version")
    args.insert(args.begin() + 1, train);
  return hat::run_tool("hat-train", kTop,
                       {{"train", cmd_train},
                        {"adapt", cmd_adapt},
                        {"detector", cmd_detector},
                        {"synth", cmd_synth},
                        {"synth-site", cmd_synth_site},
                        {"synth-scene", cmd_synth_scene},
                        {"bench", cmd_bench}},
                       static_cast<int>(args.size()), args.data(), hat::torch_error_line);
}
