// The synthetic data generator: every layout reads back through the release readers with the
// counts it reports, and its people are consistent within an identity and differ across them.
#include <gtest/gtest.h>

#include <sstream>

#include <opencv2/imgcodecs.hpp>

#include "base/error.h"
#include "evaluation/readers.h"
#include "tests/test_env.h"
#include "train/synthetic_dataset.h"
#include "train/synthetic_people.h"

namespace hat {
namespace {

SynthOptions options(const std::string& layout) {
  SynthOptions o;
  o.layout = layout;
  o.out = test::scratch_dir();
  o.ids = 8;
  o.distractors = 3;
  o.junk = 2;
  o.seed = 1;
  return o;
}

void expect_readable(const ReidDataset& d, const SynthSummary& s) {
  EXPECT_EQ(static_cast<int>(d.train.size()), s.train_images);
  EXPECT_EQ(static_cast<int>(d.query.size()), s.query_images);
  EXPECT_EQ(static_cast<int>(d.gallery.size()), s.gallery_images);
  EXPECT_EQ(d.num_train_ids(), 4);
  // Every query has a true match from another camera in the gallery.
  for (const auto& q : d.query) {
    bool match = false;
    for (const auto& g : d.gallery) match |= g.pid == q.pid && g.camid != q.camid;
    EXPECT_TRUE(match) << q.path;
  }
  EXPECT_FALSE(cv::imread(d.gallery.back().path).empty());
}

TEST(SyntheticData, MarketLayoutWithDistractorsAndJunk) {
  const auto o = options("market1501");
  std::ostringstream log;
  const auto s = write_synthetic_dataset(o, log);
  const auto d = read_market1501(o.out, log);
  expect_readable(d, s);
  int distractors = 0;
  for (const auto& g : d.gallery) distractors += g.pid == 0;
  EXPECT_EQ(distractors, 3);
  EXPECT_NE(log.str().find("dropped 2 junk image(s)"), std::string::npos) << log.str();
  const cv::Mat img = cv::imread(d.query[0].path);
  EXPECT_EQ(img.size(), cv::Size(64, 128));  // Market's fixed crop size
}

TEST(SyntheticData, DukeAndCuhkLayouts) {
  std::ostringstream log;
  auto duke = options("dukemtmc");
  expect_readable(read_dukemtmc(duke.out, log), write_synthetic_dataset(duke, log));
  auto cuhk = options("cuhk03np");
  cuhk.distractors = 0;
  const auto s = write_synthetic_dataset(cuhk, log);
  expect_readable(read_cuhk03np(cuhk.out, false, log), s);
  const auto labeled = read_cuhk03np(cuhk.out, true, log);
  EXPECT_EQ(static_cast<int>(labeled.query.size()), s.query_images);
  for (const auto& r : labeled.gallery) EXPECT_LT(r.camid, 2);
}

TEST(SyntheticData, Msmt17LayoutWithLists) {
  auto o = options("msmt17");
  o.ids = 20;
  std::ostringstream log;
  const auto s = write_synthetic_dataset(o, log);
  const auto d = read_msmt17(o.out, 1, {}, log);
  EXPECT_EQ(static_cast<int>(d.train.size()), s.train_images);
  EXPECT_EQ(d.num_train_ids(), 10);
  ReaderOptions train_only;
  train_only.msmt17_train_only = true;
  EXPECT_LT(read_msmt17(o.out, 1, train_only, log).train.size(),
            d.train.size());  // list_val is used
  for (const auto& r : d.gallery) EXPECT_FALSE(cv::imread(r.path).empty()) << r.path;
}

TEST(SyntheticData, IdentitiesAreConsistentAndDistinct) {
  const Camera cam = make_camera(3);
  auto render = [&](int id, uint64_t variant) {
    cv::Mat f;
    render_person(make_identity(id), cam, variant, cv::Size(64, 128)).convertTo(f, CV_32FC3);
    return f;
  };
  // The same identity in two images is closer (in mean colour of the torso band) than two others.
  auto torso = [](const cv::Mat& m) { return cv::mean(m(cv::Rect(16, 40, 32, 30))); };
  const double same = cv::norm(torso(render(1, 1)) - torso(render(1, 2)));
  const double other = cv::norm(torso(render(1, 1)) - torso(render(2, 1)));
  EXPECT_LT(same, other);
  EXPECT_GT(cv::norm(render(1, 1), render(1, 2)), 0.0);  // but not identical images
}

TEST(SyntheticData, BadOptions) {
  auto o = options("viper");
  std::ostringstream log;
  EXPECT_THROW(write_synthetic_dataset(o, log), Error);
  o = options("market1501");
  o.ids = 2;
  EXPECT_THROW(write_synthetic_dataset(o, log), Error);
}

}  // namespace
}  // namespace hat
