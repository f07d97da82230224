// The reference checkpoint format and the parity fixture: hat-r50 computes what the reference
// computes. The weights are generated at build time by tests/fixtures/parity's script.
#include <gtest/gtest.h>

#include <torch/serialize.h>

#include "base/error.h"
#include "base/file_io.h"
#include "frame/image_file.h"
#include "inference/embedding_engine.h"
#include "inference/npy.h"
#include "model/model_loader.h"
#include "model/reference_import.h"
#include "tests/test_env.h"

namespace hat {
namespace {

const StateDict& reference_state() {
  static const StateDict state = read_state_dict_file(test::generated("reference-weights.pth"));
  return state;
}

std::vector<cv::Mat> parity_crops() {
  std::vector<cv::Mat> crops;
  for (int i = 0; i < 4; ++i)
    crops.push_back(read_rgb_image(test::fixture("parity/crop" + std::to_string(i) + ".png")));
  return crops;
}

double relative_error(const torch::Tensor& out, const torch::Tensor& expected) {
  return ((out - expected).norm() / expected.norm()).item<double>();
}

// Writes a plain dict of tensors the way torch.save does.
void save_plain_dict(const std::string& path, const StateDict& state) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& item : state) dict.insert(item.key(), item.value());
  const auto bytes = torch::pickle_save(dict);
  write_file_atomically(path, bytes.data(), bytes.size());
}

TEST(ReferenceParity, FourCropsWithinRelativeError1e4) {
  EngineOptions options;
  options.batch_size = 4;
  EmbeddingEngine engine(load_model(test::generated("reference-weights.pth")), options);
  EXPECT_EQ(engine.model().kind, ModelFileKind::kReference);
  const auto out = engine.embed_images(parity_crops());
  const auto expected = read_npy(test::fixture("parity/expected_embeddings.npy"));
  ASSERT_EQ(out.sizes(), expected.sizes());
  for (int i = 0; i < 4; ++i) {
    const double err = relative_error(out[i], expected[i]);
    std::cout << "crop" << i << " relative error " << err << "\n";
    EXPECT_LT(err, 1e-4) << "crop " << i;
  }
  EXPECT_LT(relative_error(out, expected), 1e-4);
}

TEST(ReferenceParity, BatchSizeDoesNotChangeTheResult) {
  EngineOptions one;
  one.batch_size = 1;
  EmbeddingEngine engine(load_model(test::generated("reference-weights.pth")), one);
  const auto out = engine.embed_images(parity_crops());
  EXPECT_LT(relative_error(out, read_npy(test::fixture("parity/expected_embeddings.npy"))), 1e-4);
}

TEST(ReferenceImport, KeyMapping) {
  EXPECT_EQ(*map_reference_key("base.layer3.5.bn2.running_var", "t"),
            "backbone.layer3.5.bn2.running_var");
  EXPECT_EQ(*map_reference_key("non_linear2.1.conv3.weight", "t"),
            "aggregation.refine2.1.conv3.weight");
  EXPECT_EQ(*map_reference_key("HAT.TFC_S2.transformer.layers.2.0.fn.fn.to_qkv.weight", "t"),
            "aggregation.tfc2.blocks.2.attn.qkv.weight");
  EXPECT_EQ(*map_reference_key("HAT.TFC_S3.transformer.layers.5.1.fn.fn.net.3.bias", "t"),
            "aggregation.tfc3.blocks.5.ff.fc2.bias");
  EXPECT_EQ(*map_reference_key("bottleneck_t3.weight", "t"), "heads.level3.bn.weight");
  EXPECT_FALSE(map_reference_key("HAT.TFC_S1.transformer.Non0.weight", "t"));
  EXPECT_FALSE(map_reference_key("HAT.TFC_S3.NeA.conv1.weight", "t"));
  EXPECT_FALSE(map_reference_key("classifier_t2.weight", "t"));
  EXPECT_THROW(map_reference_key("HAT.TFC_S4.cls_token", "t"), Error);
}

TEST(ReferenceImport, EveryManifestEntryIsKnownAndModuleLikeKeysAreAccepted) {
  const auto& ref = reference_state();
  EXPECT_EQ(ref.size(), 726u);
  StateDict prefixed;  // saved from DataParallel
  for (const auto& item : ref) prefixed.insert("module." + item.key(), item.value());
  const std::string path = test::scratch_dir() + "/module-prefixed.pth";
  save_plain_dict(path, prefixed);
  const auto loaded = load_model(path);
  EXPECT_EQ(loaded.kind, ModelFileKind::kReference);
  EXPECT_EQ(loaded.model->config().embedding_dim(), 4096);
}

TEST(ReferenceImport, MissingKeyIsNamed) {
  StateDict broken;
  for (const auto& item : reference_state())
    if (item.key() != "HAT.TFC_S2.transformer.layers.1.0.fn.fn.to_qkv.weight")
      broken.insert(item.key(), item.value());
  HatModel model(reference_config());
  try {
    load_state(*model, import_reference_state(broken, "ref.pth"), "ref.pth");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "ref.pth: missing key 'aggregation.tfc2.blocks.1.attn.qkv.weight'");
  }
}

TEST(ReferenceImport, MisShapedKeyIsNamedWithBothShapes) {
  StateDict broken;
  for (const auto& item : reference_state())
    broken.insert(item.key(), item.key() == "base.layer2.0.conv2.weight"
                                  ? torch::zeros({128, 128, 1, 1})
                                  : item.value());
  HatModel model(reference_config());
  try {
    load_state(*model, import_reference_state(broken, "ref.pth"), "ref.pth");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "ref.pth: key 'backbone.layer2.0.conv2.weight' has shape 128x128x1x1, the model "
                 "expects 128x128x3x3");
  }
}

TEST(ReferenceImport, UnknownKeyIsNamed) {
  StateDict extra;
  for (const auto& item : reference_state()) extra.insert(item.key(), item.value());
  extra.insert("HAT.TFC_S4.cls_token", torch::zeros({1}));
  EXPECT_THROW(import_reference_state(extra, "ref.pth"), Error);
}

}  // namespace
}  // namespace hat
