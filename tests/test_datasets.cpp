// Every dataset reader on folder trees generated here in each release's layout, with junk
// identities, distractors, malformed names, missing list files, non-image files and empty folders.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <opencv2/imgcodecs.hpp>

#include "base/error.h"
#include "evaluation/readers.h"
#include "tests/test_env.h"

namespace hat {
namespace {

namespace fs = std::filesystem;

void touch_image(const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  cv::imwrite(path, cv::Mat(16, 8, CV_8UC3, cv::Scalar(10, 20, 30)));
}

void write_text(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// A Market-style release: 2 train ids, a query, and a gallery with a junk image, a distractor,
// a malformed name and a non-image file.
std::string make_market_style(const std::string& dir, const std::vector<std::string>& names) {
  for (const auto& n : names) touch_image(dir + "/" + n);
  return dir;
}

TEST(Readers, Market1501) {
  const std::string root = test::scratch_dir(), d = root + "/Market-1501-v15.09.15";
  make_market_style(
      d + "/bounding_box_train",
      {"0002_c1s1_000451_03.jpg", "0002_c2s1_000551_01.jpg", "0007_c3s3_077419_06.jpg"});
  make_market_style(d + "/query", {"0002_c3s1_000301_00.jpg"});
  make_market_style(d + "/bounding_box_test", {"-1_c1s1_000401_03.jpg", "0000_c6s1_000851_02.jpg",
                                               "0002_c5s1_000101_01.jpg", "readme_c1.jpg"});
  write_text(d + "/bounding_box_test/Thumbs.db", "x");
  std::ostringstream log;
  const auto data = read_market1501(root, log);
  EXPECT_EQ(data.name, "market1501");
  ASSERT_EQ(data.train.size(), 3u);
  EXPECT_EQ(data.num_train_ids(), 2);
  EXPECT_EQ(data.train[2].pid, 7);
  EXPECT_EQ(data.train[2].camid, 2);   // c3 -> 0-based 2
  ASSERT_EQ(data.gallery.size(), 2u);  // junk dropped, distractor kept, malformed skipped
  EXPECT_EQ(data.gallery[0].pid, 0);
  EXPECT_EQ(data.gallery[0].camid, 5);
  const std::string text = log.str();
  EXPECT_NE(text.find("skipped 1 file(s) whose names are not PID_cCAM"), std::string::npos) << text;
  EXPECT_NE(text.find("ignored 1 non-image file(s)"), std::string::npos) << text;
  EXPECT_NE(text.find("dropped 1 junk image(s)"), std::string::npos) << text;
  EXPECT_NE(text.find("warning: market1501 train ids has 2, the official release has 751"),
            std::string::npos)
      << text;
  // The release folder itself is accepted as the root too.
  EXPECT_EQ(read_market1501(d, log).query.size(), 1u);
}

TEST(Readers, DukeMtmc) {
  const std::string root = test::scratch_dir(), d = root + "/DukeMTMC-reID";
  make_market_style(d + "/bounding_box_train", {"0001_c2_f0046182.jpg"});
  make_market_style(d + "/query", {"0005_c2_f0046985.jpg"});
  make_market_style(d + "/bounding_box_test", {"0005_c5_f0051781.jpg", "0019_c1_f0056049.jpg"});
  std::ostringstream log;
  const auto data = read_dukemtmc(root, log);
  EXPECT_EQ(data.query[0].pid, 5);
  EXPECT_EQ(data.gallery[0].camid, 4);
  EXPECT_NE(log.str().find("official release has 702"), std::string::npos);
}

TEST(Readers, Cuhk03NpLabeledAndDetectedAreSeparate) {
  const std::string root = test::scratch_dir();
  for (const std::string kind : {"labeled", "detected"}) {
    const std::string d = root + "/cuhk03-np/" + kind;
    make_market_style(d + "/bounding_box_train", {"0001_c1_1.png", "0001_c2_2.png"});
    make_market_style(d + "/query", {"0003_c1_1.png"});
    make_market_style(d + "/bounding_box_test",
                      {"0003_c2_1.png", "0004_c1_1.png", "0004_c2_1.png"});
  }
  fs::remove(root + "/cuhk03-np/detected/bounding_box_test/0004_c2_1.png");
  std::ostringstream log;
  const auto labeled = read_cuhk03np(root, true, log), detected = read_cuhk03np(root, false, log);
  EXPECT_EQ(labeled.name, "cuhk03np-labeled");
  EXPECT_EQ(detected.name, "cuhk03np-detected");
  EXPECT_EQ(labeled.gallery.size(), 3u);
  EXPECT_EQ(detected.gallery.size(), 2u);
  EXPECT_NE(log.str().find("the official release has 5332"), std::string::npos);
}

void make_msmt(const std::string& d, const std::string& train, const std::string& test) {
  write_text(d + "/list_train.txt",
             "0000/0000_000_01_0303morning_0015_0.jpg 0\n0001/0001_004_05_0303noon_0001_1.jpg 1\n");
  write_text(d + "/list_val.txt", "0001/0001_010_07_0303noon_0100_0.jpg 1\n");
  write_text(d + "/list_query.txt", "0000/0000_000_01_0303morning_0015_0.jpg 0\r\n");
  write_text(
      d + "/list_gallery.txt",
      "0000/0000_001_15_0303morning_0016_0.jpg 0\n\n0002/0002_002_03_0303morning_0020_1.jpg 2\n");
  touch_image(d + "/" + train + "/0000/0000_000_01_0303morning_0015_0.jpg");
  touch_image(d + "/" + test + "/0000/0000_001_15_0303morning_0016_0.jpg");
}

TEST(Readers, Msmt17V1AndV2) {
  const std::string root = test::scratch_dir();
  make_msmt(root + "/MSMT17_V1", "train", "test");
  make_msmt(root + "/MSMT17_V2", "mask_train_v2", "mask_test_v2");
  std::ostringstream log;
  const auto v1 = read_msmt17(root, 1, {}, log);
  EXPECT_EQ(v1.train.size(), 3u);  // train + val by default
  EXPECT_EQ(v1.num_train_ids(), 2);
  ASSERT_EQ(v1.gallery.size(), 2u);
  EXPECT_EQ(v1.gallery[0].camid, 14);  // third '_' field "15" -> 14
  EXPECT_EQ(v1.gallery[0].path, root + "/MSMT17_V1/test/0000/0000_001_15_0303morning_0016_0.jpg");
  ReaderOptions train_only;
  train_only.msmt17_train_only = true;
  EXPECT_EQ(read_msmt17(root, 1, train_only, log).train.size(), 2u);
  const auto v2 = read_msmt17(root, 2, {}, log);
  EXPECT_EQ(v2.name, "msmt17-v2");
  EXPECT_EQ(v2.query[0].path,
            root + "/MSMT17_V2/mask_test_v2/0000/0000_000_01_0303morning_0015_0.jpg");
  EXPECT_NE(log.str().find("the official release has 82161"), std::string::npos);
}

TEST(Readers, Msmt17ListErrorsNameFileAndLine) {
  const std::string root = test::scratch_dir(), d = root + "/MSMT17_V1";
  make_msmt(d, "train", "test");
  std::ostringstream log;
  fs::remove(d + "/list_val.txt");
  EXPECT_EQ(error_of([&] { read_msmt17(root, 1, {}, log); }),
            d + "/list_val.txt: list file missing or unreadable");
  make_msmt(d, "train", "test");
  write_text(d + "/list_gallery.txt",
             "0000/0000_001_15_0303morning_0016_0.jpg 0\n0000/bad.jpg 0\n");
  EXPECT_EQ(error_of([&] { read_msmt17(root, 1, {}, log); }),
            d + "/list_gallery.txt:2: no camera in the third '_' field of 'bad.jpg' (expected "
                "'relative/path.jpg PID')");
  write_text(d + "/list_gallery.txt", "0000/0000_001_15_0303morning_0016_0.jpg zero\n");
  EXPECT_EQ(error_of([&] { read_msmt17(root, 1, {}, log); }),
            d + "/list_gallery.txt:1: malformed line (expected 'relative/path.jpg PID')");
}

TEST(Readers, CustomFolderPerIdentityOrMarketNames) {
  const std::string root = test::scratch_dir();
  touch_image(root + "/train/alice/c1_0001.jpg");
  touch_image(root + "/train/bob/c2_0001.jpg");
  touch_image(root + "/query/alice/cam3_frame9.png");
  touch_image(root + "/gallery/alice/c1_0002.jpg");
  touch_image(root + "/gallery/carol/photo.jpg");  // no camera in the name
  // More digits than an int holds (fuzz_dataset_folder): no camera, not an exception.
  touch_image(root + "/gallery/carol/c99999999999_1.jpg");
  std::ostringstream log;
  const auto data = read_custom_folder(root, log);
  EXPECT_EQ(data.num_train_ids(), 2);
  EXPECT_EQ(data.query[0].camid, 2);
  EXPECT_EQ(data.query[0].pid, data.train[0].pid);  // "alice" is one identity across splits
  EXPECT_EQ(data.gallery[1].camid, -1);
  EXPECT_EQ(data.gallery[2].camid, -1);
  EXPECT_NE(log.str().find("name no camera"), std::string::npos);

  const std::string market = test::scratch_dir();
  make_market_style(market + "/bounding_box_train", {"0001_c1_a.jpg"});
  make_market_style(market + "/query", {"0002_c1_a.jpg"});
  make_market_style(market + "/bounding_box_test", {"0002_c2_a.jpg"});
  EXPECT_EQ(read_dataset("custom", market, {}, log).gallery[0].camid, 1);
}

TEST(Readers, ATestOnlyFolderHasQueryAndGalleryButNoTrainingSplit) {
  // A site's labeled test crops: query/ and bounding_box_test/ only.
  const std::string root = test::scratch_dir();
  make_market_style(root + "/query", {"0002_c1_0001.jpg"});
  make_market_style(root + "/bounding_box_test", {"0002_c2_0001.jpg", "0003_c2_0002.jpg"});
  for (const std::string name : {"market1501", "dukemtmc", "custom"}) {
    std::ostringstream log;
    const auto data = read_dataset(name, root, {}, log);
    EXPECT_TRUE(data.train.empty()) << name;
    EXPECT_EQ(data.query.size(), 1u) << name;
    EXPECT_EQ(data.gallery.size(), 2u) << name;
    EXPECT_NE(log.str().find("query and gallery only (evaluation)"), std::string::npos)
        << name << ": " << log.str();
  }
  // An existing but empty training folder is still an error: it is a mistake, not a choice.
  fs::create_directories(root + "/bounding_box_train");
  std::ostringstream log;
  EXPECT_EQ(error_of([&] { read_market1501(root, log); }),
            root + "/bounding_box_train: no usable images");
}

TEST(Readers, EmptyAndMissingFolders) {
  const std::string root = test::scratch_dir(), d = root + "/Market-1501-v15.09.15";
  make_market_style(d + "/bounding_box_train", {"0002_c1s1_000451_03.jpg"});
  fs::create_directories(d + "/query");
  std::ostringstream log;
  EXPECT_EQ(error_of([&] { read_market1501(root, log); }), d + "/query: no usable images");
  make_market_style(d + "/query", {"0002_c3s1_000301_00.jpg"});
  EXPECT_EQ(error_of([&] { read_market1501(root, log); }),
            d + "/bounding_box_test: folder missing");
  EXPECT_EQ(error_of([&] { read_dukemtmc(root + "/nowhere", log); }),
            root + "/nowhere: dataset root missing");
  EXPECT_NE(error_of([&] { read_dukemtmc(root, log); }).find("not a DukeMTMC-reID release"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_dataset("viper", root, {}, log); }).find("unknown dataset 'viper'"),
            std::string::npos);
}

}  // namespace
}  // namespace hat
