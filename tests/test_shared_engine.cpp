// gst-plugin/shared_engine: one engine per model in a process, and the batching of concurrent
// requests into shared forward passes.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include <torch/torch.h>

#include "base/error.h"
#include "gst-plugin/shared_engine.h"
#include "inference/embedding_engine.h"
#include "model/model_loader.h"
#include "tests/tiny_model.h"

namespace hat {
namespace {

TEST(SharedEngine, OneCopyPerModelAndConcurrentCropsShareForwardPasses) {
  const std::string model = test::tiny_model_path();
  EngineOptions o;
  o.batch_size = 64;
  auto a = gst::SharedEngine::acquire(model, o);
  auto b = gst::SharedEngine::acquire(model, o);
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(gst::SharedEngine::loaded_count(), 1u);

  torch::manual_seed(1);
  const torch::Tensor inputs = torch::randn({4, 3, 128, 64});
  EmbeddingEngine direct(load_model(model), o);
  const torch::Tensor expected = direct.embed_inputs(inputs);
  std::vector<torch::Tensor> results(8);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t)
    threads.emplace_back([&, t] { results[t] = a->embed(inputs); });
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_TRUE(torch::allclose(r, expected, 1e-4, 1e-5));
  const auto stats = a->stats();
  EXPECT_EQ(stats.requests, 8);
  EXPECT_LT(stats.passes, 8) << "requests waiting together must share a pass";
  a.reset();
  b.reset();
  EXPECT_EQ(gst::SharedEngine::loaded_count(), 0u) << "the last user frees the weights";
}

TEST(SharedEngine, BadModelFileIsAClearError) {
  try {
    gst::SharedEngine::acquire("/nonexistent/model.hat", {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.hat"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hat
