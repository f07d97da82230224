// The hat-eval command end to end: run and score agree on the same features, the reports are
// written, and bad input is a one-line error naming the file (and line).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "base/file_io.h"
#include "evaluation/evaluator.h"
#include "evaluation/labels_io.h"
#include "evaluation/mot_metrics.h"
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
  for (const std::string cmd : {"run", "score", "bench", "mot"}) {
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

// A crowd's ground truth and a flawed tracker's output of it: jittered boxes (some under the IoU
// bar), dropped boxes, tracks that break into a new id, ids that swap, and false boxes.
struct MotCase {
  TrackSequence truth, tracked;
};

MotCase flawed_tracking(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> jitter(0, 4);
  MotCase c;
  const int frames = 150, people = 10;
  c.truth.resize(frames);
  c.tracked.resize(frames);
  int next_track = 100;
  for (int p = 1; p <= people; ++p) {
    const int enter = static_cast<int>(u(rng) * 80), length = 40 + static_cast<int>(u(rng) * 70);
    const double x0 = u(rng) * 600, y0 = 100 + u(rng) * 300, vx = (u(rng) - 0.5) * 12;
    const int h = 60 + static_cast<int>(u(rng) * 80);
    int track = next_track++;
    for (int f = enter; f < std::min(frames, enter + length); ++f) {
      const cv::Rect box(static_cast<int>(x0 + vx * (f - enter)), static_cast<int>(y0), h * 2 / 5,
                         h);
      c.truth[static_cast<size_t>(f)].push_back({p, box});
      if (u(rng) < 0.03) track = next_track++;  // the track breaks
      if (u(rng) < 0.1) continue;               // missed
      const cv::Rect seen(box.x + static_cast<int>(jitter(rng)),
                          box.y + static_cast<int>(jitter(rng)),
                          box.width + static_cast<int>(jitter(rng)), box.height);
      c.tracked[static_cast<size_t>(f)].push_back({track, seen});
    }
  }
  for (int f = 0; f < frames; ++f) {
    auto& out = c.tracked[static_cast<size_t>(f)];
    if (f % 20 == 10 && out.size() >= 2) std::swap(out[0].id, out[1].id);  // identities swap
    if (u(rng) < 0.3)
      out.push_back({next_track++, cv::Rect(static_cast<int>(u(rng) * 700),
                                            static_cast<int>(u(rng) * 500), 30, 80)});
  }
  return c;
}

void write_events(const std::string& path, const TrackSequence& tracked) {
  std::ofstream out(path);
  for (size_t f = 0; f < tracked.size(); ++f) {
    nlohmann::json objects = nlohmann::json::array();
    for (const auto& t : tracked[f])
      objects.push_back({{"type", "person"},
                         {"box", {t.box.x, t.box.y, t.box.width, t.box.height}},
                         {"track_id", t.id},
                         {"track_state", "tracked"}});
    // An untracked detection is not tracker output.
    objects.push_back({{"type", "person"}, {"box", {1, 1, 20, 50}}, {"confidence", 0.4}});
    out << nlohmann::json{{"frame", f}, {"objects", objects}}.dump() << "\n";
  }
}

TEST(HatEvalCli, MotAgreesWithPyMotmetricsOnFlawedTracking) {
  const std::string oracle = test::source_root() + "/.venv-mot/bin/python";
  ASSERT_TRUE(fs::exists(oracle)) << oracle
                                  << " is missing: scripts/install-deps.sh installs py-motmetrics";
  for (uint64_t seed : {1, 2, 3}) {
    const std::string dir = test::scratch_dir();
    const MotCase c = flawed_tracking(seed);
    write_mot_file(dir + "/gt.txt", c.truth);
    write_events(dir + "/events.jsonl", c.tracked);
    const auto ours = test::run(tool() + " mot --gt " + dir + "/gt.txt --events " + dir +
                                "/events.jsonl --write-tracks " + dir + "/tracks.txt --json " +
                                dir + "/ours.json");
    ASSERT_EQ(ours.exit_code, 0) << ours.output;
    const auto theirs =
        test::run(oracle + " " + test::source_root() + "/tests/oracles/motmetrics_score.py " + dir +
                  "/gt.txt " + dir + "/tracks.txt");
    ASSERT_EQ(theirs.exit_code, 0) << theirs.output;
    const auto a = nlohmann::json::parse(read_file(dir + "/ours.json"));
    const auto b = nlohmann::json::parse(theirs.output.substr(theirs.output.find('{')));
    SCOPED_TRACE("seed " + std::to_string(seed) + ": ours " + a.dump() + " motmetrics " + b.dump());
    EXPECT_GT(b["num_switches"].get<double>(), 0);  // the case exercises every kind of error
    EXPECT_GT(b["num_misses"].get<double>(), 0);
    EXPECT_GT(b["num_false_positives"].get<double>(), 0);
    EXPECT_EQ(a["id_switches"].get<double>(), b["num_switches"].get<double>());
    EXPECT_EQ(a["misses"].get<double>(), b["num_misses"].get<double>());
    EXPECT_EQ(a["false_positives"].get<double>(), b["num_false_positives"].get<double>());
    EXPECT_EQ(a["ground_truth"].get<double>(), b["num_objects"].get<double>());
    EXPECT_EQ(a["predicted"].get<double>(), b["num_predictions"].get<double>());
    EXPECT_EQ(a["idtp"].get<double>(), b["idtp"].get<double>());
    EXPECT_EQ(a["gt_ids"].get<double>(), b["num_unique_objects"].get<double>());
    for (const auto& [ours_key, their_key] : std::vector<std::pair<std::string, std::string>>{
             {"mota", "mota"}, {"idf1", "idf1"}, {"precision", "precision"}, {"recall", "recall"}})
      EXPECT_NEAR(a[ours_key].get<double>(), b[their_key].get<double>(), 1e-12) << ours_key;
    // The MOTChallenge file written from the events scores the same.
    const auto again = test::run(tool() + " mot --gt " + dir + "/gt.txt --tracks " + dir +
                                 "/tracks.txt --json " + dir + "/again.json");
    ASSERT_EQ(again.exit_code, 0) << again.output;
    EXPECT_EQ(nlohmann::json::parse(read_file(dir + "/again.json")), a);
  }
}

TEST(HatEvalCli, MotBadInputIsOneLineNamingTheFileAndLine) {
  const std::string dir = test::scratch_dir();
  write_mot_file(dir + "/gt.txt", flawed_tracking(1).truth);
  {
    std::ofstream out(dir + "/events.jsonl");
    out << R"({"frame": 0, "objects": []})"
        << "\n"
        << R"({"frame": 1, "objects": [{"track_id": 2}]})"
        << "\n";
  }
  expect_one_line_error(
      test::run(tool() + " mot --gt " + dir + "/gt.txt --events " + dir + "/events.jsonl"),
      "events.jsonl:2: not a hatevents line");
  {
    std::ofstream out(dir + "/bad-gt.txt");
    out << "1,1,10,10,20,40,1,1,1\nnot,a,line\n";
  }
  expect_one_line_error(
      test::run(tool() + " mot --gt " + dir + "/bad-gt.txt --tracks " + dir + "/gt.txt"),
      "bad-gt.txt:2: not a MOTChallenge line");
  expect_one_line_error(
      test::run(tool() + " mot --gt " + dir + "/missing.txt --tracks " + dir + "/gt.txt"),
      "missing.txt: cannot read");
  expect_one_line_error(test::run(tool() + " mot --gt " + dir + "/gt.txt"),
                        "exactly one of --events and --tracks", 2);
}

}  // namespace
}  // namespace hat
