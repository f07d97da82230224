// inference/embedding_engine: batching, images of any size, options and devices.
#include <gtest/gtest.h>

#include <torch/cuda.h>

#include "base/error.h"
#include "inference/embedding_engine.h"
#include "tests/cuda_skip.h"

namespace hat {
namespace {

LoadedModel tiny_model(int seed) {
  torch::manual_seed(seed);
  LoadedModel m;
  m.model = HatModel(preset("tiny"));
  m.preprocess = PreprocessConfig::for_model(m.model->config());
  return m;
}

TEST(Engine, BatchingDoesNotChangeEmbeddings) {
  auto model = tiny_model(1);
  const auto inputs = torch::randn({7, 3, 128, 64});
  EngineOptions three;
  three.batch_size = 3;
  EmbeddingEngine a(model, three);
  const auto batched = a.embed_inputs(inputs);
  ASSERT_EQ(batched.sizes(), (std::vector<int64_t>{7, 640}));
  for (int i = 0; i < 7; ++i)
    EXPECT_TRUE(torch::allclose(batched[i], a.embed_inputs(inputs.narrow(0, i, 1))[0], 1e-4, 1e-5))
        << i;
  EXPECT_EQ(a.embed_inputs(torch::empty({0, 3, 128, 64})).sizes(), (std::vector<int64_t>{0, 640}));
}

TEST(Engine, ImagesOfAnySizeGoThroughThePreprocessing) {
  EmbeddingEngine engine(tiny_model(2), {});
  cv::Mat big(300, 100, CV_8UC3, cv::Scalar(10, 20, 30)),
      small(50, 20, CV_8UC3, cv::Scalar(10, 20, 30));
  const auto e = engine.embed_images({big, small});
  EXPECT_TRUE(
      torch::allclose(e[0], e[1], 1e-4, 1e-4));  // a constant image looks the same at any size
}

TEST(Engine, WrongInputShapeAndOptionsAreRejected) {
  EmbeddingEngine engine(tiny_model(3), {});
  EXPECT_THROW(engine.embed_inputs(torch::randn({2, 3, 256, 128})), Error);
  EngineOptions bad;
  bad.batch_size = 0;
  EXPECT_THROW(EmbeddingEngine(tiny_model(3), bad), Error);
}

TEST(Engine, DeviceNames) {
  EXPECT_TRUE(parse_device("cpu").is_cpu());
  EXPECT_THROW(parse_device("gpu"), Error);
  EXPECT_THROW(parse_device("cuda:x"), Error);
  if (!torch::cuda::is_available()) {
    try {
      parse_device("cuda");
      FAIL() << "cuda accepted without a GPU";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("cuda"), std::string::npos);
    }
  }
}

TEST(Engine, CudaMatchesCpu) {
  if (test::no_cuda()) GTEST_SKIP() << "SKIPPED: no CUDA device on this machine";
  const auto inputs = torch::randn({4, 3, 128, 64});
  EmbeddingEngine cpu(tiny_model(4), {});
  EngineOptions on_gpu;
  on_gpu.device = "cuda";
  EmbeddingEngine gpu(tiny_model(4), on_gpu);
  const auto a = cpu.embed_inputs(inputs), b = gpu.embed_inputs(inputs);
  EXPECT_LT(((a - b).norm() / a.norm()).item<double>(), 1e-3);
}

}  // namespace
}  // namespace hat
