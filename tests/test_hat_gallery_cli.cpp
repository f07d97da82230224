// The hat-gallery command: enroll, list, search, purge and export, and one-line errors that leave
// the gallery untouched.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "base/file_io.h"
#include "tests/test_env.h"
#include "tests/tiny_model.h"
#include "train/synthetic_people.h"

namespace hat {
namespace {

TEST(HatGalleryCli, EnrollListSearchPurgeExportAndErrors) {
  const std::string tool = test::hat_gallery_tool(), dir = test::scratch_dir();
  const std::string gallery = dir + "/gallery.db", model = test::tiny_model_path();
  std::vector<std::string> images;
  for (int i = 0; i < 3; ++i) {
    images.push_back(dir + "/p" + std::to_string(i) + ".png");
    const uint64_t who = i < 2 ? 1 : 2;  // two images of one person, one of another
    cv::imwrite(images.back(),
                render_person(make_identity(who), make_camera(i), 10 + i, {64, 128}));
  }
  auto r = test::run(tool + " enroll --gallery " + gallery + " --name alice --model " + model +
                     " " + images[0] + " " + images[1]);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("enrolled 2 image(s) of 'alice' as identity 1 (new)"), std::string::npos)
      << r.output;
  r = test::run(tool + " enroll --gallery " + gallery + " --name bob --model " + model + " " +
                images[2]);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run(tool + " list --gallery " + gallery + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto list = nlohmann::json::parse(r.output);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["label"], "alice");
  EXPECT_EQ(list[0]["sightings"], 2);
  r = test::run(tool + " search --gallery " + gallery + " --model " + model + " --image " +
                images[0] + " --top 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto hits = nlohmann::json::parse(r.output);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0]["label"], "alice");
  EXPECT_NEAR(hits[0]["distance"].get<double>(), 0.0, 2e-3);  // the image itself (fp16)
  EXPECT_LE(hits[0]["distance"].get<double>(), hits[1]["distance"].get<double>());
  r = test::run(tool + " export --gallery " + gallery + " --embeddings --output " + dir +
                "/export.json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto exported = nlohmann::json::parse(read_file(dir + "/export.json"));
  EXPECT_EQ(exported["model"], "tiny");
  EXPECT_EQ(exported["identities"][1]["sightings"][0]["embedding"].size(), 640u);
  r = test::run(tool + " purge --gallery " + gallery + " --older-than 0s");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("purged 0 sightings and 0 identities"), std::string::npos) << r.output;

  // Bad input: one line, non-zero exit, the gallery untouched.
  const std::string before = read_file(gallery);
  for (const auto& [command, expected] : std::vector<std::pair<std::string, std::string>>{
           {"list --gallery " + dir + "/none.db", "no such file"},
           {"enroll --gallery " + gallery + " --name x --model " + model + " " + dir + "/no.png",
            "no.png"},
           {"enroll --gallery " + gallery + " --name x --model " + dir + "/no.hat " + images[0],
            "no.hat"},
           {"purge --gallery " + gallery + " --older-than soon", "'soon' is not a duration"},
           {"list --gallery " + images[0], "is corrupt or not a gallery"}}) {
    r = test::run(tool + " " + command);
    EXPECT_NE(r.exit_code, 0) << command;
    EXPECT_NE(r.output.find(expected), std::string::npos) << command << ": " << r.output;
    EXPECT_EQ(test::line_count(r.output), 1) << r.output;
  }
  EXPECT_EQ(read_file(gallery), before);
}

TEST(HatGalleryCli, SearchTakesTheModelsCalibratedThresholdAsItsDefaultMaxDistance) {
  // The model that tests/oracles/adapt_synthetic_site.sh adapted and calibrated.
  const std::string run = test::generated("synthetic-site") + "/run";
  const std::string tool = test::hat_gallery_tool(), dir = test::scratch_dir();
  const std::string gallery = dir + "/gallery.db", model = run + "/model.hat";
  const double threshold =
      nlohmann::json::parse(read_file(run + "/calibration.json"))["threshold"].get<double>();
  std::vector<std::string> images;
  for (int i = 0; i < 4; ++i) {
    images.push_back(dir + "/p" + std::to_string(i) + ".png");
    cv::imwrite(images.back(),
                render_person(make_identity(i % 2 ? 7 : 8), make_camera(i), 20 + i, {64, 128}));
  }
  auto r = test::run(tool + " enroll --gallery " + gallery + " --name a --model " + model + " " +
                     images[0] + " " + images[1] + " " + images[2]);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string search = tool + " search --gallery " + gallery + " --model " + model +
                             " --image " + images[3] + " --top 3 --json";
  r = test::run(search + " --max-distance 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto all = nlohmann::json::parse(r.output);
  ASSERT_EQ(all.size(), 3u);
  r = test::run(search);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto calibrated = nlohmann::json::parse(r.output);
  // Exactly the sightings closer than the calibrated threshold.
  size_t closer = 0;
  for (const auto& h : all) closer += h["distance"].get<double>() < threshold;
  EXPECT_EQ(calibrated.size(), closer) << "threshold " << threshold << ": " << all.dump();
}

}  // namespace
}  // namespace hat
