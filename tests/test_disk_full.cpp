// Specification of a full disk (docs/RELIABILITY.md): the gallery on a filesystem that fills up,
// and a training run whose checkpoint no longer fits. Each gets a one-line error that names the
// file and says the disk is full; everything committed before stays intact; once space is free
// again the gallery takes writes and the run resumes. The filesystems are small tmpfs mounts
// made by the test (root only: the test says it skipped otherwise).
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/file_io.h"
#include "gallery/gallery_store.h"
#include "tests/gallery_fixtures.h"
#include "tests/test_env.h"

namespace hat {
namespace {

// A tmpfs of `size` (mount's size syntax) on a fresh folder, unmounted at the end.
class SmallDisk {
 public:
  explicit SmallDisk(const std::string& size) : dir_(test::scratch_dir() + "/disk") {
    std::filesystem::create_directories(dir_);
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0) {
      mounted_ = true;
    } else {
      why_ = std::strerror(errno);
    }
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& why() const { return why_; }
  const std::string& dir() const { return dir_; }
  bool resize(const std::string& size) {
    return ::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, ("size=" + size).c_str()) == 0;
  }

 private:
  std::string dir_, why_;
  bool mounted_ = false;
};

#define REQUIRE_MOUNT(disk) \
  if (!(disk).mounted())    \
  GTEST_SKIP() << "SKIPPED: mounting a small tmpfs needs root (" << (disk).why() << ")"

TEST(DiskFull, AGalleryOnAFullDiskRefusesTheWriteWithItsPathAndKeepsEveryCommittedSighting) {
  SmallDisk disk("1M");
  REQUIRE_MOUNT(disk);
  const std::string path = disk.dir() + "/gallery.db";
  int64_t committed = 0;
  std::string error;
  {
    auto store = open_gallery(path);
    store->require_space({"tiny", test::kDim});
    const int64_t id = store->create_identity("", 1);
    for (int batch = 0; batch < 1000 && error.empty(); ++batch) {
      std::vector<SightingRecord> sightings;
      for (int i = 0; i < 4; ++i) {
        sightings.push_back(test::sighting(id, 7, batch * 10 + i, test::unit(batch * 10 + i)));
        sightings.back().thumbnail_jpeg.assign(16 * 1024, static_cast<char>(batch));
        sightings.back().thumbnail_score = batch;
      }
      try {
        store->add_sightings(sightings, 1000);
        committed += 4;
      } catch (const Error& e) {
        error = e.what();
      }
    }
  }
  ASSERT_FALSE(error.empty()) << "1 MiB never filled up";
  EXPECT_NE(error.find(path), std::string::npos) << error;
  EXPECT_NE(error.find("full"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  EXPECT_GT(committed, 0);
  // Reopened: every committed sighting, none of the refused batch, and a sound file.
  {
    auto store = open_gallery(path);
    EXPECT_EQ(store->sighting_count(), committed);
    EXPECT_EQ(store->integrity_check(), "ok");
  }
  // Space again: the same gallery takes writes.
  ASSERT_TRUE(disk.resize("8M"));
  auto store = open_gallery(path);
  std::vector<SightingRecord> more{
      test::sighting(store->identities().at(0).identity.id, 7, 99999, test::unit(99999))};
  EXPECT_NO_THROW(store->add_sightings(more));
  EXPECT_EQ(store->sighting_count(), committed + 1);
}

TEST(DiskFull, ACheckpointThatNoLongerFitsStopsTheRunClearlyAndTheRunResumes) {
  // The tiny preset's training checkpoint is about 140 MB and its model about 46 MB: 250 MB
  // hold the first epoch's files but not the second checkpoint's temporary file beside them.
  SmallDisk disk("250M");
  REQUIRE_MOUNT(disk);
  const std::string data = test::scratch_dir() + "/data", run = disk.dir() + "/run";
  auto r = test::run(test::hat_train_tool() + " synth --layout market1501 --out " + data +
                     " --ids 16 --seed 3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string train = test::hat_train_tool() + " train --dataset market1501 --root " + data +
                            " --preset tiny --seed 11 --quiet --set threads=1 --set p=4"
                            " --set k=2 --set max_batches_per_epoch=3 --set eval_every=0"
                            " --set checkpoint_every=1 --output " +
                            run;
  r = test::run(train + " --epochs 3 2>&1");
  ASSERT_NE(r.exit_code, 0) << "the run fitted: " << r.output;
  const std::string last_line = r.output.substr(r.output.rfind('\n', r.output.size() - 2) + 1);
  EXPECT_NE(last_line.find("error"), std::string::npos) << r.output;
  EXPECT_NE(last_line.find(run), std::string::npos) << last_line;
  EXPECT_NE(last_line.find("No space left on device"), std::string::npos) << last_line;
  // The first epoch's checkpoint is whole (hat-model reads it), and no temporary file is left
  // taking the space.
  const auto info = test::run(test::hat_model_tool() + " info " + run + "/last.hat 2>&1");
  EXPECT_EQ(info.exit_code, 0) << info.output;
  for (const auto& entry : std::filesystem::directory_iterator(run))
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
  // Space again: --resume continues from epoch 1 and finishes.
  ASSERT_TRUE(disk.resize("600M"));
  r = test::run(train + " --epochs 3 --resume 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Epoch 2's line, logged before its checkpoint failed, was dropped on resume and written again.
  const std::string log = read_file(run + "/log.jsonl");
  EXPECT_EQ(test::line_count(log), 3) << log;
}

}  // namespace
}  // namespace hat
