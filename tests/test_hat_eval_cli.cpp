// The hat-eval command end to end: run and score agree on the same features, the reports are
// written, and bad input is a one-line error naming the file (and line).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "base/file_io.h"
#include "evaluation/evaluator.h"
#include "evaluation/labels_io.h"
#include "inference/npy.h"
#include "model/checkpoint.h"
#include "model/hat_model.h"
#include "tests/test_env.h"

namespace hat {
namespace {

namespace fs = std::filesystem;

std::string tool() { return test::hat_eval_tool(); }

void expect_one_line_error(const test::CommandResult& r, const std::string& what, int code = 1) {
  EXPECT_EQ(r.exit_code, code) << r.output;
  EXPECT_EQ(test::line_count(r.output), 1) << r.output;
  EXPECT_NE(r.output.find(what), std::string::npos) << "expected '" << what << "' in: " << r.output;
}

// A person-like image per identity (colour of shirt and trousers), varied per camera.
void person(const std::string& path, int pid, int cam) {
  cv::Mat img(128, 64, CV_8UC3, cv::Scalar(90 + 20 * cam, 100, 110));
  const cv::Scalar shirt((pid * 67) % 255, (pid * 131) % 255, (pid * 29) % 255);
  const cv::Scalar trousers((pid * 17) % 255, (pid * 53) % 255, (pid * 97) % 255);
  cv::rectangle(img, cv::Rect(16, 24, 32, 44), shirt, -1);
  cv::rectangle(img, cv::Rect(20, 68, 24, 56), trousers, -1);
  cv::circle(img, {32, 14}, 9, cv::Scalar(150, 170, 200), -1);
  fs::create_directories(fs::path(path).parent_path());
  cv::imwrite(path, img);
}

struct Fixture {
  std::string root, model;
};

const Fixture& fixture() {
  static const Fixture f = [] {
    Fixture out;
    out.root = test::scratch_dir();
    const std::string d = out.root + "/Market-1501-v15.09.15";
    char name[64];
    for (int pid = 1; pid <= 6; ++pid) {
      std::snprintf(name, sizeof name, "/bounding_box_train/%04d_c1s1_000001_00.jpg", pid);
      person(d + name, pid, 1);
      std::snprintf(name, sizeof name, "/query/%04d_c1s1_000002_00.jpg", pid);
      person(d + name, pid, 1);
      for (int cam = 1; cam <= 3; ++cam) {
        std::snprintf(name, sizeof name, "/bounding_box_test/%04d_c%ds1_000003_00.jpg", pid, cam);
        person(d + name, pid, cam);
      }
    }
    person(d + "/bounding_box_test/0000_c2s1_000009_00.jpg", 99, 2);  // a distractor
    torch::manual_seed(0);
    HatModel model(preset("tiny"));
    Checkpoint ckpt;
    ckpt.config = model->config();
    ckpt.preprocess = PreprocessConfig::for_model(ckpt.config);
    ckpt.state = module_state(*model);
    out.model = out.root + "/tiny.hat";
    save_checkpoint(out.model, ckpt);
    return out;
  }();
  return f;
}

TEST(HatEvalCli, HelpForEverySubcommand) {
  for (const std::string cmd : {"run", "score", "bench"}) {
    const auto r = test::run(tool() + " " + cmd + " --help");
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_EQ(r.output.rfind("usage: hat-eval " + cmd, 0), 0u) << r.output;
  }
}

TEST(HatEvalCli, RunAndScoreAgreeOnTheSameFeatures) {
  const auto& f = fixture();
  const std::string out = test::scratch_dir();
  auto r = test::run(tool() + " run --dataset market1501 --root " + f.root + " --model " + f.model +
                     " --batch 5 --json " + out + "/run.json --save-features " + out +
                     "/features --report-dir " + out + "/report");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("mAP      R1       R5       R10      mINP"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("query: 6/6"), std::string::npos)
      << r.output;  // progress, as lines in logs
  r = test::run(tool() + " score --query " + out + "/features/query.npy --query-labels " + out +
                "/features/query.tsv --gallery " + out + "/features/gallery.npy --gallery-labels " +
                out + "/features/gallery.tsv --json " + out + "/score.json --report-dir " + out +
                "/score-report");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto run = nlohmann::json::parse(read_file(out + "/run.json"));
  const auto score = nlohmann::json::parse(read_file(out + "/score.json"));
  for (const char* key : {"mAP", "mINP", "cmc", "num_valid_queries"})
    EXPECT_EQ(run[key], score[key]) << key;
  EXPECT_EQ(run["num_valid_queries"], 6);
  EXPECT_EQ(run["cmc"].size(), 19u);  // rank 50 cut at the gallery size
  for (const double v : run["cmc"]) EXPECT_TRUE(v >= 0 && v <= 1);

  // The pictures: a CMC plot, and a ranked list with a row per query and 10 framed results.
  for (const std::string dir : {"/report", "/score-report"}) {
    const cv::Mat cmc = cv::imread(out + dir + "/cmc.png");
    EXPECT_EQ(cmc.size(), cv::Size(640, 420)) << dir;
    const cv::Mat ranked = cv::imread(out + dir + "/ranked_list.png");
    EXPECT_EQ(ranked.rows, 6 + 6 * (128 + 6)) << dir;
    // The first result tile of the first row is framed green or red.
    const cv::Vec3b frame = ranked.at<cv::Vec3b>(6 + 64, 6 + 64 + 6 + 16 + 1);
    EXPECT_TRUE(frame == cv::Vec3b(0, 170, 0) || frame == cv::Vec3b(0, 0, 220)) << frame;
  }
}

TEST(HatEvalCli, RunEvaluatesAFolderWithoutTrainingImages) {
  const auto& f = fixture();
  const std::string root = test::scratch_dir();
  const std::string release = f.root + "/Market-1501-v15.09.15";
  for (const std::string split : {"query", "bounding_box_test"})
    fs::copy(release + "/" + split, root + "/" + split);
  const std::string out = test::scratch_dir();
  const auto r = test::run(tool() + " run --dataset market1501 --root " + root + " --model " +
                           f.model + " --json " + out + "/run.json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("no bounding_box_train/"), std::string::npos) << r.output;
  EXPECT_EQ(nlohmann::json::parse(read_file(out + "/run.json"))["num_valid_queries"], 6);
}

TEST(HatEvalCli, FlipAndRerankRun) {
  const auto& f = fixture();
  const std::string out = test::scratch_dir();
  const auto r =
      test::run(tool() + " run --dataset market1501 --root " + f.root + " --model " + f.model +
                " --flip --rerank --metric euclidean --json " + out + "/m.json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(read_file(out + "/m.json"));
  EXPECT_EQ(j["rerank"], true);
  EXPECT_EQ(j["metric"], "euclidean");
  EXPECT_NE(j["title"].get<std::string>().find("+flip +rerank"), std::string::npos);
}

TEST(HatEvalCli, ScoreMatchesTheLibraryOnHandMadeFeatures) {
  const std::string dir = test::scratch_dir();
  const auto q = torch::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}});
  const auto g = torch::tensor({{0.9f, 0.1f}, {0.1f, 0.9f}, {0.7f, 0.7f}, {1.0f, 0.05f}});
  write_npy(dir + "/q.npy", q);
  write_npy(dir + "/g.npy", g);
  const std::string ql = "pid\tcamid\n1\t0\n2\t0\n";
  write_file_atomically(dir + "/q.tsv", ql.data(), ql.size());
  const std::string gl = "pid\tcamid\textra\n1\t1\tx\n2\t1\ty\n3\t1\tz\n1\t0\tw\n";
  write_file_atomically(dir + "/g.tsv", gl.data(), gl.size());
  const auto r = test::run(tool() + " score --query " + dir + "/q.npy --query-labels " + dir +
                           "/q.tsv --gallery " + dir + "/g.npy --gallery-labels " + dir +
                           "/g.tsv --json " + dir + "/s.json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(read_file(dir + "/s.json"));
  // Query 1 (cam 0): gallery 3 is the same identity AND camera, dropped; gallery 0 ranks first.
  // Query 2: gallery 1 ranks first. Both AP 1.
  EXPECT_DOUBLE_EQ(j["mAP"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["cmc"][0].get<double>(), 1.0);
  EXPECT_EQ(j["num_valid_queries"], 2);
  EXPECT_EQ(j["cmc"].size(), 4u);
}

TEST(HatEvalCli, BadInputIsOneLineNamingTheFile) {
  const std::string dir = test::scratch_dir();
  write_npy(dir + "/q.npy", torch::randn({2, 3}));
  write_npy(dir + "/g.npy", torch::randn({3, 3}));
  auto write = [&](const std::string& name, const std::string& text) {
    write_file_atomically(dir + "/" + name, text.data(), text.size());
  };
  write("q.tsv", "pid\tcamid\n1\t0\n2\t0\n");
  write("g.tsv", "pid\tcamid\n1\t1\n2\t1\n");  // one row short
  write("header.tsv", "id\tcam\n1\t0\n2\t0\n");
  write("word.tsv", "pid\tcamid\n1\t0\nfive\t0\n");
  auto score = [&](const std::string& ql, const std::string& gl, const std::string& qn = "q.npy") {
    return test::run(tool() + " score --query " + dir + "/" + qn + " --query-labels " + dir + "/" +
                     ql + " --gallery " + dir + "/g.npy --gallery-labels " + dir + "/" + gl);
  };
  expect_one_line_error(score("q.tsv", "g.tsv"),
                        dir + "/g.npy: 3 rows, but " + dir + "/g.tsv has 2 labels");
  expect_one_line_error(score("header.tsv", "g.tsv"),
                        dir + "/header.tsv:1: header must start with 'pid<TAB>camid'");
  expect_one_line_error(score("word.tsv", "g.tsv"), dir + "/word.tsv:3: 'five' is not an integer");
  expect_one_line_error(score("q.tsv", "g.tsv", "missing.npy"), dir + "/missing.npy: cannot open");
  expect_one_line_error(score("q.tsv", "missing.tsv"),
                        dir + "/missing.tsv: cannot open labels file");

  const auto& f = fixture();
  expect_one_line_error(
      test::run(tool() + " run --dataset market1501 --root " + dir + " --model " + f.model),
      dir + ": not a Market-1501 release");
  // A corrupt image in the gallery names the file.
  const std::string broken = test::scratch_dir();
  fs::copy(f.root + "/Market-1501-v15.09.15", broken + "/Market-1501-v15.09.15",
           fs::copy_options::recursive);
  const std::string bad =
      broken + "/Market-1501-v15.09.15/bounding_box_test/0003_c2s1_000003_00.jpg";
  std::ofstream(bad, std::ios::trunc) << "not a jpeg";
  const auto r =
      test::run(tool() + " run --dataset market1501 --root " + broken + " --model " + f.model);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("error: " + bad + ": missing, unreadable or not an image"),
            std::string::npos)
      << r.output;
  expect_one_line_error(test::run(tool() + " score --metric manhattan"),
                        "--query-labels is required", 2);
}

}  // namespace
}  // namespace hat
