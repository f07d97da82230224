// hat-model: inspect, convert, run and benchmark HAT models.
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/arg_parser.h"
#include "base/error.h"
#include "base/file_io.h"
#include "base/run_tool.h"
#include "base/version.h"
#include "frame/image_file.h"
#include "inference/benchmark.h"
#include "inference/embedding_engine.h"
#include "inference/engine_options_cli.h"
#include "inference/npy.h"
#include "inference/preprocess_benchmark.h"
#include "inference/torch_error_line.h"
#include "model/flops.h"
#include "model/model_loader.h"

namespace {

using hat::ArgParser;

constexpr const char* kTop = R"(usage: hat-model COMMAND [ARGS]

Inspect, convert, run and benchmark HAT person re-identification models.

commands:
  info      describe a model file or a preset (configuration, size, compute, provenance)
  convert   turn a reference or torchvision state dict into a hat-reid checkpoint
  embed     embed images and write an N x D float32 .npy
  bench     measure embedding throughput against this machine's GEMM rate
  bench-preprocess
            measure the preprocessing of whole frames, CPU path against a device's

Model files may be hat-reid checkpoints, HAT reference state dicts or torchvision ResNet state
dicts; the kind is detected from the contents. 'hat-model COMMAND --help' describes a command.
)";

int64_t parameter_count(const hat::HatModel& model) {
  int64_t n = 0;
  for (const auto& p : model->parameters()) n += p.numel();
  return n;
}

nlohmann::json describe(const hat::HatModel& model) {
  const auto& c = model->config();
  const auto flops = hat::count_flops(c);
  return {{"config", hat::to_json(c)},
          {"embedding_dim", c.embedding_dim()},
          {"parameters", parameter_count(model)},
          {"gflop_per_crop",
           {{"total", flops.total() / 1e9},
            {"backbone", flops.backbone / 1e9},
            {"refine", flops.refine / 1e9},
            {"tfc", flops.tfc / 1e9},
            {"attention", flops.attention / 1e9},
            {"classifiers", flops.heads / 1e9}}}};
}

int cmd_info(const std::vector<std::string>& args) {
  ArgParser p("hat-model info", "Describe a model file, or a preset with --preset.");
  p.option("preset", "NAME",
           "describe this preset instead of a file (hat-r50, hat-r18, hat-mnv2, tiny)")
      .flag("json", "print JSON instead of text")
      .optional_positional("FILE", "model file: checkpoint, reference or torchvision state dict");
  if (!p.parse(args)) return 0;
  nlohmann::json info;
  if (p.has("preset")) {
    if (!p.rest().empty()) throw hat::UsageError("give a FILE or --preset, not both");
    info = describe(hat::HatModel(hat::preset(p.get("preset"))));
    info["kind"] = "preset";
  } else {
    if (p.rest().size() != 1) throw hat::UsageError("info takes one FILE (or --preset NAME)");
    const auto loaded = hat::load_model(p.rest()[0]);
    info = describe(loaded.model);
    info["file"] = p.rest()[0];
    info["kind"] = hat::to_string(loaded.kind);
    info["preprocess"] = hat::to_json(loaded.preprocess);
    info["provenance"] = loaded.provenance;
  }
  if (p.flag_set("json")) {
    std::cout << info.dump(2) << "\n";
    return 0;
  }
  const auto& c = info["config"];
  std::cout << "kind:           " << info["kind"].get<std::string>() << "\n"
            << "preset:         " << c["preset"].get<std::string>() << "\n"
            << "backbone:       " << c["backbone"].get<std::string>() << " (last stride "
            << c["last_stride"] << ")\n"
            << "input:          " << c["input_size"][0] << "x" << c["input_size"][1] << " (HxW)\n"
            << "TFC dims:       " << c["tfc_dim"].dump() << ", depths " << c["tfc_depth"].dump()
            << "\n"
            << "classes:        " << c["num_classes"] << "\n"
            << "embedding:      " << info["embedding_dim"] << "-d " << c["embedding"].dump() << "\n"
            << "parameters:     " << info["parameters"] << "\n"
            << "GFLOP / crop:   " << std::fixed << std::setprecision(2)
            << info["gflop_per_crop"]["total"].get<double>() << "\n";
  if (info.contains("provenance"))
    std::cout << "provenance:     " << info["provenance"].dump() << "\n";
  return 0;
}

int cmd_convert(const std::vector<std::string>& args) {
  ArgParser p(
      "hat-model convert",
      "Convert a HAT reference state dict, a torchvision ResNet state dict or a checkpoint into a\n"
      "hat-reid checkpoint (written atomically). A torchvision backbone gets freshly initialised\n"
      "HAT parts: the starting point for training.");
  p.option("preset", "NAME", "preset for a torchvision backbone (default: by its depth)")
      .positional("IN", "input model file")
      .positional("OUT", "output checkpoint");
  if (!p.parse(args)) return 0;
  hat::LoadOptions options;
  if (p.has("preset")) options.preset = p.get("preset");
  const auto loaded = hat::load_model(p.get("IN"), options);
  auto ckpt = loaded.to_checkpoint();
  ckpt.provenance["converted_by"] = std::string("hat-model ") + hat::kVersion;
  hat::save_checkpoint(p.get("OUT"), ckpt);
  std::cout << "wrote " << p.get("OUT") << " (" << hat::to_string(loaded.kind)
            << " -> checkpoint, preset " << ckpt.config.preset << ", "
            << ckpt.config.embedding_dim() << "-d embedding)\n";
  return 0;
}

void print_similarity(const torch::Tensor& embeddings, const std::vector<std::string>& names) {
  const auto n = torch::nn::functional::normalize(
      embeddings, torch::nn::functional::NormalizeFuncOptions().dim(1));
  const auto sim = torch::mm(n, n.t());
  std::cout << "cosine similarity:\n" << std::setw(8) << "";
  for (size_t j = 0; j < names.size(); ++j) std::cout << std::setw(8) << ("#" + std::to_string(j));
  std::cout << "\n";
  for (size_t i = 0; i < names.size(); ++i) {
    std::cout << std::setw(8) << ("#" + std::to_string(i));
    for (size_t j = 0; j < names.size(); ++j)
      std::cout << std::setw(8) << std::fixed << std::setprecision(3)
                << sim[static_cast<int64_t>(i)][static_cast<int64_t>(j)].item<float>();
    std::cout << "   " << names[i] << "\n";
  }
}

int cmd_embed(const std::vector<std::string>& args) {
  ArgParser p(
      "hat-model embed",
      "Embed images (any size; resized by the shared preprocessing) and write an N x D float32\n"
      ".npy whose rows follow the argument order.");
  p.option("model", "FILE", "checkpoint or reference state dict")
      .option("output", "OUT.npy", "where to write the embeddings");
  hat::add_engine_options(p, "32");
  p.flag("similarity", "also print the cosine similarity table")
      .positional("IMAGE", "image files", /*many=*/true);
  if (!p.parse(args)) return 0;
  const hat::EngineOptions eo = hat::engine_options(p);
  const std::string output = p.get("output");
  std::vector<cv::Mat> images;
  for (const auto& path : p.rest()) images.push_back(hat::read_rgb_image(path));
  auto loaded = hat::load_model(p.get("model"));
  if (loaded.kind == hat::ModelFileKind::kTorchvision ||
      loaded.kind == hat::ModelFileKind::kMobileNetV2)
    throw hat::Error(
        p.get("model") +
        ": an ImageNet backbone only; its HAT layers would be random (train it first)");
  hat::EmbeddingEngine engine(std::move(loaded), eo);
  const auto embeddings = engine.embed_images(images);
  hat::write_npy(output, embeddings);
  std::cout << "wrote " << output << " (" << embeddings.size(0) << " x " << embeddings.size(1)
            << " float32)\n";
  if (p.flag_set("similarity")) print_similarity(embeddings, p.rest());
  return 0;
}

int cmd_bench(const std::vector<std::string>& args) {
  ArgParser p(
      "hat-model bench",
      "Embedding throughput (warm-up excluded): crops/s, latency per batch, peak memory, and the\n"
      "achieved FLOP rate as a fraction of this machine's fp32 GEMM rate measured in the same "
      "run\n(on CUDA also of its bf16 GEMM rate, the tensor cores' matmul-bound ceiling).");
  p.option("model", "FILE", "model file to benchmark")
      .option("preset", "NAME", "benchmark a preset with random weights instead");
  hat::add_engine_options(p, "8");
  p.option("warmup", "N", "untimed batches", "2")
      .option("iterations", "N", "minimum timed batches", "5")
      .option("seconds", "S", "minimum timed seconds", "10")
      .option("json", "OUT", "also write the result as JSON");
  if (!p.parse(args)) return 0;
  if (p.has("model") == p.has("preset"))
    throw hat::UsageError("give exactly one of --model and --preset");
  hat::LoadedModel loaded;
  if (p.has("model")) {
    loaded = hat::load_model(p.get("model"));
  } else {
    loaded.model = hat::HatModel(hat::preset(p.get("preset")));
    loaded.preprocess = hat::PreprocessConfig::for_model(loaded.model->config());
  }
  const std::string name = loaded.model->config().preset;
  const hat::EngineOptions eo = hat::engine_options(p);
  hat::EmbeddingEngine engine(std::move(loaded), eo);
  const auto r =
      hat::benchmark_engine(engine, eo.batch_size, p.get_int("warmup", 0, 1000),
                            p.get_int("iterations", 1, 1000000), p.get_int("seconds", 0, 3600));
  std::cout << std::fixed << std::setprecision(2) << "model " << name << ", device " << eo.device
            << ", precision " << eo.precision << (eo.channels_last ? ", channels-last" : "")
            << (eo.cuda_graphs ? ", CUDA graphs" : "") << ", batch " << r.batch << ", threads "
            << torch::get_num_threads() << ", " << r.iterations << " timed batches\n"
            << "  crops/s:          " << r.crops_per_second << "\n"
            << "  latency / batch:  mean " << r.latency_ms_mean << " ms, p50 " << r.latency_ms_p50
            << " ms, p90 " << r.latency_ms_p90 << " ms\n"
            << "  compute:          " << r.gflop_per_crop << " GFLOP/crop -> " << r.achieved_gflops
            << " GFLOP/s\n"
            << "  fp32 GEMM rate:   " << r.gemm_gflops << " GFLOP/s (same run)\n"
            << "  fraction of GEMM: " << std::setprecision(1) << 100.0 * r.gemm_fraction << " %\n";
  if (r.bf16_gemm_gflops > 0)
    std::cout << std::setprecision(2) << "  bf16 GEMM rate:   " << r.bf16_gemm_gflops
              << " GFLOP/s (same run)\n"
              << "  of bf16 GEMM:     " << std::setprecision(1) << 100.0 * r.bf16_gemm_fraction
              << " % (matmul-bound fraction)\n";
  std::cout << "  peak memory:      " << std::setprecision(0) << r.peak_memory_mib
            << " MiB (process RSS)\n";
  if (p.has("json")) {
    auto j = hat::to_json(r);
    j["model"] = name;
    j["device"] = eo.device;
    j["threads"] = torch::get_num_threads();
    hat::write_json_file(p.get("json"), j);
  }
  return 0;
}

int cmd_bench_preprocess(const std::vector<std::string>& args) {
  ArgParser p(
      "hat-model bench-preprocess",
      "Frames/s and crops/s of the preprocessing (crop -> RGB -> resize -> normalise) of a\n"
      "frame with person-sized boxes: the CPU path, and with --device cuda the GPU kernel,\n"
      "in the same run.");
  p.option("device", "D", "cpu, cuda or cuda:N", "cpu")
      .option("format", "F", "RGB, BGR, RGBx, BGRx, I420, NV12 or GRAY8", "NV12")
      .option("width", "W", "frame width", "1920")
      .option("height", "H", "frame height", "1080")
      .option("boxes", "N", "boxes per frame", "16")
      .option("seconds", "S", "timed seconds per path", "3")
      .option("json", "OUT", "also write the result as JSON");
  if (!p.parse(args)) return 0;
  hat::PreprocessBenchOptions o;
  o.format = hat::parse_pixel_format(p.get("format"));
  o.width = p.get_int("width", 2, 16384);
  o.height = p.get_int("height", 2, 16384);
  o.boxes = p.get_int("boxes", 1, 4096);
  o.seconds = p.get_int("seconds", 1, 3600);
  const auto r =
      hat::benchmark_preprocessing(hat::PreprocessConfig{}, o, hat::parse_device(p.get("device")));
  std::cout << std::fixed << std::setprecision(1) << p.get("format") << " " << o.width << "x"
            << o.height << ", " << o.boxes << " boxes -> 256x128 inputs\n"
            << "  CPU path:    " << r.cpu_frames_per_second << " frames/s ("
            << r.cpu_frames_per_second * o.boxes << " crops/s, threads " << torch::get_num_threads()
            << ")\n";
  if (r.device_frames_per_second > 0)
    std::cout << "  " << r.device << (r.gpu_kernel ? " kernel: " : " path:   ")
              << r.device_frames_per_second << " frames/s (" << r.device_frames_per_second * o.boxes
              << " crops/s), " << r.device_frames_per_second / r.cpu_frames_per_second
              << "x the CPU path\n";
  if (p.has("json")) hat::write_json_file(p.get("json"), hat::to_json(r));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return hat::run_tool("hat-model", kTop,
                       {{"info", cmd_info},
                        {"convert", cmd_convert},
                        {"embed", cmd_embed},
                        {"bench", cmd_bench},
                        {"bench-preprocess", cmd_bench_preprocess}},
                       argc, argv, hat::torch_error_line);
}
