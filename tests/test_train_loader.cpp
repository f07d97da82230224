// The training loader on a synthetic dataset: P x K batches, hard negatives side by side, the
// same batches whatever the threads or the resume point, and corrupt images skipped and counted.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "base/error.h"
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

TEST(TrainLoader, HardNegativePidsAreBatchedTogether) {
  std::set<int> pids;
  for (const auto& r : data().train) pids.insert(r.pid);
  ASSERT_GE(pids.size(), 4u);
  const int a = *pids.begin(), b = *std::next(pids.begin());  // training labels 0 and 1
  LoaderOptions o;
  o.p = 4;
  o.k = 2;
  o.hard_negatives = {{a, b}};
  std::ostringstream log;
  // In each seed's first epoch, the first batch that holds either holds both (neither had used
  // any of its images), unless the first came in the batch's last place, with no room left for
  // the other. Identities come K by K in the order they were placed.
  int together = 0;
  for (uint64_t seed = 0; seed < 6; ++seed) {
    o.seed = seed;
    TrainLoader loader(data().train, small(), o, log);
    for (const auto& batch : epoch(loader, 0)) {
      const auto l = batch.labels;
      const bool has_a = (l == 0).any().item<bool>(), has_b = (l == 1).any().item<bool>();
      if (!has_a && !has_b) continue;
      const int64_t last = l[(o.p - 1) * o.k].item<int64_t>();
      if (has_a != has_b) {
        EXPECT_EQ(last, has_a ? 0 : 1) << "seed " << seed << ": a hard negative was left out";
      }
      together += has_a && has_b;
      break;
    }
  }
  EXPECT_GE(together, 3);
  o.hard_negatives = {{a, 99999}};
  try {
    TrainLoader bad(data().train, small(), o, log);
    ADD_FAILURE() << "a hard negative without images was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("99999"), std::string::npos) << e.what();
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
