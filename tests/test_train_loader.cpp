// The training loader on a synthetic dataset: P x K batches, the same batches whatever the
// threads or the resume point, and corrupt images skipped and counted.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "evaluation/readers.h"
#include "tests/test_env.h"
#include "train/synthetic_dataset.h"
#include "train/train_loader.h"

namespace hat {
namespace {

const ReidDataset& data() {
  static const ReidDataset d = [] {
    SynthOptions o;
    o.out = test::scratch_dir();
    o.ids = 16;  // 8 training identities
    std::ostringstream log;
    write_synthetic_dataset(o, log);
    return read_market1501(o.out, log);
  }();
  return d;
}

PreprocessConfig small() {
  PreprocessConfig p;
  p.height = 64;
  p.width = 32;
  return p;
}

std::vector<TrainBatch> epoch(TrainLoader& loader, int e, int first = 0) {
  std::vector<TrainBatch> out;
  loader.start_epoch(e, first);
  TrainBatch b;
  while (loader.next(b)) out.push_back(b);
  return out;
}

TEST(TrainLoader, PkBatchesWithRelabelledIdentities) {
  LoaderOptions o;
  o.p = 4;
  o.k = 2;
  std::ostringstream log;
  TrainLoader loader(data().train, small(), o, log);
  EXPECT_EQ(loader.num_classes(), 8);
  const auto batches = epoch(loader, 0);
  ASSERT_EQ(static_cast<int>(batches.size()), loader.batches_per_epoch());
  for (const auto& b : batches) {
    ASSERT_EQ(b.images.sizes(), (std::vector<int64_t>{8, 3, 64, 32}));
    const auto l = b.labels;
    for (int i = 0; i < 8; i += 2) EXPECT_EQ(l[i].item<int64_t>(), l[i + 1].item<int64_t>());
    EXPECT_LT(l.max().item<int64_t>(), 8);
  }
}

TEST(TrainLoader, SameBatchesWhateverThreadsAndResumePoint) {
  LoaderOptions one, three;
  one.p = three.p = 4;
  one.k = three.k = 2;
  one.threads = 1;
  three.threads = 3;
  std::ostringstream log;
  TrainLoader a(data().train, small(), one, log), b(data().train, small(), three, log);
  const auto ea = epoch(a, 2), eb = epoch(b, 2), resumed = epoch(b, 2, 1);
  ASSERT_EQ(ea.size(), eb.size());
  ASSERT_EQ(resumed.size() + 1, ea.size());
  for (size_t i = 0; i < ea.size(); ++i) {
    EXPECT_TRUE(torch::equal(ea[i].images, eb[i].images)) << i;
    EXPECT_TRUE(torch::equal(ea[i].labels, eb[i].labels)) << i;
    if (i > 0) {
      EXPECT_TRUE(torch::equal(ea[i].images, resumed[i - 1].images)) << i;
    }
  }
  EXPECT_FALSE(torch::equal(ea[0].images, epoch(a, 3)[0].images));  // epochs differ
}

TEST(TrainLoader, CorruptImagesAreSkippedAndCounted) {
  std::vector<ImageRecord> images = data().train;
  const std::string bad = test::scratch_dir() + "/broken.jpg";
  std::ofstream(bad) << "not an image";
  for (int i = 0; i < 3; ++i) images.push_back({bad, images[0].pid, 0});
  LoaderOptions o;
  o.p = 4;
  o.k = 2;
  std::ostringstream log;
  TrainLoader loader(images, small(), o, log);
  int64_t seen = 0;
  for (const auto& b : epoch(loader, 0)) seen += b.images.size(0) + b.skipped;
  EXPECT_GT(loader.skipped_total(), 0);
  EXPECT_NE(log.str().find("warning: skipped " + bad + ": missing, unreadable or not an image"),
            std::string::npos);
  EXPECT_EQ(seen, static_cast<int64_t>(loader.batches_per_epoch()) * 8);
}

}  // namespace
}  // namespace hat
