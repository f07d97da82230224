// Reduced precision, channels-last and CUDA graphs give the float32 embeddings: cosine of at
// least 0.999 per crop for bf16/fp16, equal within float rounding for layout and graphs. The CPU
// tests run everywhere (the CPU's own bf16 autocast rounds the same operands to bf16 as the
// GPU's); the Cuda tests need a CUDA device and say so when they skip.
#include <gtest/gtest.h>

#include <iostream>

#include "base/error.h"
#include "inference/embedding_engine.h"
#include "inference/preprocess.h"
#include "model/config.h"
#include "model/hat_model.h"
#include "model/model_loader.h"
#include "tests/cuda_skip.h"
#include "tests/test_env.h"
#include "train/synthetic_people.h"

namespace hat {
namespace {

LoadedModel random_model(const std::string& name, int seed) {
  torch::manual_seed(seed);
  LoadedModel m;
  m.model = HatModel(preset(name));
  m.preprocess = PreprocessConfig::for_model(m.model->config());
  return m;
}

LoadedModel trained_model() { return load_model(test::generated("synthetic-reid-model.hat")); }

// Crops of procedural people (not noise: real activations have the dynamic range that
// reduced precision must cope with), through the shared preprocessing.
torch::Tensor person_inputs(const PreprocessConfig& p, int count) {
  std::vector<torch::Tensor> inputs;
  for (int i = 0; i < count; ++i) {
    const cv::Mat bgr = render_person(make_identity(100 + i % 7), make_camera(i % 3), 1000 + i,
                                      cv::Size(64 + 8 * (i % 4), 160 + 16 * (i % 3)));
    inputs.push_back(
        rgb_to_input(crop_to_rgb(FrameView::from_bgr(bgr), {0, 0, bgr.cols, bgr.rows}), p));
  }
  return torch::stack(inputs);
}

// The worst per-crop cosine similarity between two sets of embeddings.
double min_cosine(const torch::Tensor& a, const torch::Tensor& b) {
  return torch::nn::functional::cosine_similarity(
             a, b, torch::nn::functional::CosineSimilarityFuncOptions().dim(1))
      .min()
      .item<double>();
}

torch::Tensor embed(LoadedModel model, EngineOptions options, const torch::Tensor& inputs) {
  EmbeddingEngine engine(std::move(model), options);
  return engine.embed_inputs(inputs);
}

TEST(MixedPrecision, CpuBf16AgreesWithFp32) {
  for (const auto* name : {"tiny", "trained"}) {
    const bool trained = std::string(name) == "trained";
    const auto model = [&] { return trained ? trained_model() : random_model(name, 3); };
    const auto inputs = person_inputs(model().preprocess, 6);
    EngineOptions bf16;
    bf16.precision = "bf16";
    const auto reference = embed(model(), {}, inputs), reduced = embed(model(), bf16, inputs);
    EXPECT_EQ(reduced.scalar_type(), torch::kFloat32);
    EXPECT_FALSE(torch::equal(reference, reduced)) << name << ": bf16 changed nothing";
    const double cosine = min_cosine(reference, reduced);
    std::cout << name << ": bf16 vs fp32, worst cosine " << cosine << "\n";
    EXPECT_GE(cosine, 0.999) << name;
  }
}

TEST(MixedPrecision, ChannelsLastComputesTheSameEmbeddings) {
  const auto inputs = person_inputs(trained_model().preprocess, 4);
  EngineOptions nhwc;
  nhwc.channels_last = true;
  const auto a = embed(trained_model(), {}, inputs), b = embed(trained_model(), nhwc, inputs);
  EXPECT_LT(((a - b).norm() / a.norm()).item<double>(), 1e-5);
}

TEST(MixedPrecision, BadOptionsAreClearErrors) {
  EngineOptions bad;
  bad.precision = "fp8";
  try {
    EmbeddingEngine e(random_model("tiny", 1), bad);
    FAIL() << "fp8 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fp8"), std::string::npos);
  }
  EngineOptions graphs_on_cpu;
  graphs_on_cpu.cuda_graphs = true;
  EXPECT_THROW(EmbeddingEngine(random_model("tiny", 1), graphs_on_cpu), Error);
}

TEST(MixedPrecision, CudaBf16AndFp16AgreeWithFp32) {
  if (test::no_cuda()) GTEST_SKIP() << "SKIPPED: no CUDA device on this machine";
  for (const auto* name : {"hat-r50", "trained"}) {
    const bool trained = std::string(name) == "trained";
    const auto model = [&] { return trained ? trained_model() : random_model(name, 3); };
    const auto inputs = person_inputs(model().preprocess, 32);
    EngineOptions fp32;
    fp32.device = "cuda";
    const auto reference = embed(model(), fp32, inputs);
    for (const auto* precision : {"bf16", "fp16"}) {
      EngineOptions o = fp32;
      o.precision = precision;
      o.channels_last = true;
      const double cosine = min_cosine(reference, embed(model(), o, inputs));
      std::cout << name << ": " << precision << " + channels-last vs fp32 on CUDA, worst cosine "
                << cosine << "\n";
      EXPECT_GE(cosine, 0.999) << name << " " << precision;
    }
  }
}

TEST(MixedPrecision, CudaGraphsReplayTheEagerForwardPass) {
  if (test::no_cuda()) GTEST_SKIP() << "SKIPPED: no CUDA device on this machine";
  const auto inputs = person_inputs(trained_model().preprocess, 19);
  for (const auto* precision : {"fp32", "bf16"}) {
    EngineOptions eager;
    eager.device = "cuda";
    eager.batch_size = 8;
    eager.precision = precision;
    eager.channels_last = true;
    EngineOptions graphs = eager;
    graphs.cuda_graphs = true;
    EmbeddingEngine with_graphs(trained_model(), graphs);
    const auto reference = embed(trained_model(), eager, inputs);
    // 19 crops = 8 + 8 + 3 (the 3 padded into the graph of 4); then every size from 1 to 8.
    const auto replayed = with_graphs.embed_inputs(inputs);
    EXPECT_LT(((replayed - reference).norm() / reference.norm()).item<double>(), 1e-3) << precision;
    for (int n = 1; n <= 8; ++n) {
      const auto part = inputs.narrow(0, n, n);
      const auto expected = reference.narrow(0, n, n);
      EXPECT_LT(
          ((with_graphs.embed_inputs(part) - expected).norm() / expected.norm()).item<double>(),
          1e-3)
          << precision << ", batch " << n;
    }
  }
}

}  // namespace
}  // namespace hat
