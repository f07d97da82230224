// End-to-end runs: tracking quality on a synthetic multi-person video with known ground truth,
// the main job's pipeline on the sample video, and the appsink application.
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <opencv2/videoio.hpp>

#include "base/file_io.h"
#include "evaluation/mot_metrics.h"
#include "gst-plugin/roi_meta.h"
#include "tests/gst_test_support.h"
#include "tests/postgres_server.h"
#include "tests/synthetic_video.h"
#include "tests/test_env.h"
#include "tests/tiny_model.h"

namespace hat {
namespace {

namespace g = hat::gst;

// Runs the video through `launch` with the simulated detections as upstream ROIs; returns the
// tracks that come out (ROIs with an object_id).
TrackSequence run_tracking(const test::SyntheticVideo& video, const TrackSequence& detections,
                           const std::string& launch) {
  GstHarness* h = gst_harness_new_parse(launch.c_str());
  const int w = video.frames[0].cols, hgt = video.frames[0].rows;
  gst_harness_set_src_caps_str(h, test::video_caps("I420", w, hgt).c_str());
  TrackSequence tracked;
  for (size_t f = 0; f < video.frames.size(); ++f) {
    GstBuffer* in = test::make_frame(video.frames[f], "I420", f * GST_SECOND / 10);
    for (const auto& d : detections[f]) g::add_person_roi(in, d.box, w, hgt, 0.9, "simulated");
    EXPECT_EQ(gst_harness_push(h, in), GST_FLOW_OK);
    GstBuffer* out = gst_harness_pull(h);
    std::vector<TrackedBox> frame;
    for (auto* roi : g::rois_of_type(out, g::kPersonRoiType))
      if (const auto t = g::roi_track(roi)) frame.push_back({t->id, g::roi_box(roi)});
    tracked.push_back(frame);
    gst_buffer_unref(out);
  }
  gst_harness_teardown(h);
  return tracked;
}

TEST(GstPipelines, TrackingQualityOnASyntheticCrowdClearsTheBar) {
  test::init_gstreamer();
  // 10 people, 200 frames at 10 fps, crossing and occluding; the detector misses 10% of the
  // visible people and never reports one less than half visible.
  const auto video = test::render_walkers(640, 360, 200, 10, 7);
  const auto detections = test::simulated_detections(video, 0.10, 11);
  const auto motion = evaluate_tracking(video.truth, run_tracking(video, detections, "hattrack"));
  const auto appearance = evaluate_tracking(
      video.truth,
      run_tracking(video, detections, "hatembed model=" + test::tiny_model_path() + " ! hattrack"));
  for (const auto& [name, m] :
       {std::pair{"motion", motion}, std::pair{"motion+appearance", appearance}}) {
    std::printf("%-18s MOTA %.3f IDF1 %.3f (GT %ld, misses %ld, FP %ld, switches %ld)\n", name,
                m.mota, m.idf1, m.ground_truth, m.misses, m.false_positives, m.id_switches);
    // The bar (docs/PLUGIN.md): the detector's misses and the occluded people alone cost about
    // 0.15 of MOTA here (measured 0.85, IDF1 0.91-0.92, at most one switch), so MOTA >= 0.75
    // leaves room for few tracker errors, and IDF1 >= 0.80 needs identities to hold through
    // nearly all crossings.
    EXPECT_GE(m.mota, 0.75) << name;
    EXPECT_GE(m.idf1, 0.80) << name;
  }
}

// Per camera: the simulated detections through hattrack and hatembed; the buffers that come out.
std::vector<GstBuffer*> track_and_embed(const test::SyntheticVideo& video,
                                        const TrackSequence& detections, const std::string& model) {
  GstHarness* h = gst_harness_new_parse(
      ("hattrack ! hatembed time-budget=0 reembed-interval=5 model=" + model).c_str());
  const int w = video.frames[0].cols, hgt = video.frames[0].rows;
  gst_harness_set_src_caps_str(h, test::video_caps("I420", w, hgt).c_str());
  std::vector<GstBuffer*> out;
  for (size_t f = 0; f < video.frames.size(); ++f) {
    GstBuffer* in = test::make_frame(video.frames[f], "I420", f * GST_SECOND / 10);
    for (const auto& d : detections[f]) g::add_person_roi(in, d.box, w, hgt, 0.9, "simulated");
    EXPECT_EQ(gst_harness_push(h, in), GST_FLOW_OK);
    out.push_back(gst_harness_pull(h));
  }
  gst_harness_teardown(h);
  return out;
}

struct CrossCameraScores {
  MotMetrics global, per_camera;
  guint identities = 0;
  double threshold = 0;  // hatmatch's threshold at the end
};

// Both cameras through simulated detections, hattrack and hatembed (`model`), then one hatmatch;
// the identities scored against the truth across both cameras, and per-camera track ids alone.
CrossCameraScores cross_camera_scores(const std::vector<test::SyntheticVideo>& cameras,
                                      const std::string& model) {
  std::vector<std::vector<GstBuffer*>> embedded;
  for (size_t c = 0; c < cameras.size(); ++c)
    embedded.push_back(
        track_and_embed(cameras[c], test::simulated_detections(cameras[c], 0.05, 3 + c), model));
  const int w = cameras[0].frames[0].cols, hgt = cameras[0].frames[0].rows;
  GstElement* match = gst_parse_launch("hatmatch sync-interval=0", nullptr);
  std::vector<GstHarness*> h;
  for (int c = 0; c < 2; ++c) {
    const std::string n = std::to_string(c);
    h.push_back(gst_harness_new_with_element(match, ("sink_" + n).c_str(), ("src_" + n).c_str()));
    gst_harness_set_src_caps_str(h.back(), test::video_caps("I420", w, hgt).c_str());
  }
  // Both cameras' frames in time order, as live streams would arrive. Camera 2's boxes are
  // shifted off camera 1's, so one sequence scores identities across both.
  TrackSequence truth, global, per_camera;
  for (size_t f = 0; f < embedded[0].size(); ++f) {
    std::vector<TrackedBox> t, gl, pc;
    for (int c = 0; c < 2; ++c) {
      const cv::Point shift(c * 10000, 0);
      for (const auto& b : cameras[c].truth[f]) t.push_back({b.id, b.box + shift});
      EXPECT_EQ(gst_harness_push(h[c], embedded[c][f]), GST_FLOW_OK);
      GstBuffer* out = gst_harness_pull(h[c]);
      for (auto* roi : g::rois_of_type(out, g::kPersonRoiType)) {
        const auto track = g::roi_track(roi);
        if (!track) continue;
        pc.push_back({track->id + 1000 * c, g::roi_box(roi) + shift});
        if (const auto id = g::roi_identity(roi))
          gl.push_back({id->global_id, g::roi_box(roi) + shift});
      }
      gst_buffer_unref(out);
    }
    truth.push_back(t);
    global.push_back(gl);
    per_camera.push_back(pc);
  }
  CrossCameraScores scores;
  g_object_get(match, "identities", &scores.identities, "threshold", &scores.threshold, nullptr);
  for (auto* x : h) gst_harness_teardown(x);
  gst_object_unref(match);
  scores.global = evaluate_tracking(truth, global);
  scores.per_camera = evaluate_tracking(truth, per_camera);
  return scores;
}

TEST(GstPipelines, CrossCameraIdentitiesOnASyntheticTwoCameraVideoClearTheBar) {
  test::init_gstreamer();
  // 6 people cross camera 1, leave it, and a second later cross camera 2, whose background,
  // lighting and colour cast differ; each is in both cameras for about as long.
  const auto cameras = test::render_two_cameras(480, 288, 180, 6, 10, 17);
  const auto s = cross_camera_scores(cameras, test::generated("synthetic-reid-model.hat"));
  std::printf("global ids:       IDF1 %.3f MOTA %.3f (switches %ld, %u identities for 6 people)\n",
              s.global.idf1, s.global.mota, s.global.id_switches, s.identities);
  std::printf("per-camera ids:   IDF1 %.3f MOTA %.3f\n", s.per_camera.idf1, s.per_camera.mota);
  // The bar (docs/PLUGIN.md): per-camera track ids cannot score above about 0.5 here, since each
  // person spends about half the time in each camera (measured 0.48); global ids clear 0.70
  // only when most people are recognised in the second camera (measured 0.76).
  EXPECT_LE(s.per_camera.idf1, 0.6);
  EXPECT_GE(s.global.idf1, 0.70);
  EXPECT_GE(s.global.idf1, s.per_camera.idf1 + 0.2);
}

// ---- Two hosts on one PostgreSQL gallery -------------------------------------------------------
// Each host is this test program again (the disabled test below, run through /proc/self/exe):
// its own process with its own GStreamer and its own connection, as on another machine. The
// parent steps both through the frames in time order and scores the identities they report.

// What a host reports per frame: each tracked ROI's track, global id and box.
struct HostRoi {
  int32_t track = 0;
  int64_t global_id = 0;
  int32_t x = 0, y = 0, width = 0, height = 0;
};

void write_all(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = write(fd, p, n);
    if (w <= 0) throw std::runtime_error("pipe closed");
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void read_all(int fd, void* data, size_t n) {
  char* p = static_cast<char*>(data);
  while (n > 0) {
    const ssize_t r = read(fd, p, n);
    if (r <= 0) throw std::runtime_error("pipe closed");
    p += r;
    n -= static_cast<size_t>(r);
  }
}

TEST(GstPipelines, DISABLED_HostOfTheTwoHostTest) {
  const char* camera = std::getenv("HAT_HOST_CAMERA");
  if (!camera) GTEST_SKIP() << "run by TwoHostsOnOneDatabaseGiveEachPersonOneGlobalId";
  const int c = std::atoi(camera);
  const int in = std::atoi(std::getenv("HAT_HOST_IN")),
            out = std::atoi(std::getenv("HAT_HOST_OUT"));
  test::init_gstreamer();
  const auto cameras = test::render_two_cameras(480, 288, 180, 6, 10, 17);
  auto embedded = track_and_embed(cameras[c], test::simulated_detections(cameras[c], 0.05, 3 + c),
                                  test::generated("synthetic-reid-model.hat"));
  // Other hosts' writes reach this one only through notifications: its poll is a minute.
  GstElement* match = gst_parse_launch(("hatmatch sync-interval=60000 gallery-location=" +
                                        std::string(std::getenv("HAT_HOST_GALLERY")))
                                           .c_str(),
                                       nullptr);
  GstHarness* h = gst_harness_new_with_element(match, "sink_0", "src_0");
  GstPad* pad = gst_element_get_static_pad(match, "sink_0");
  g_object_set(pad, "camera-id", c == 0 ? "host-a-lobby" : "host-b-garage", nullptr);
  gst_object_unref(pad);
  const int w = cameras[c].frames[0].cols, hgt = cameras[c].frames[0].rows;
  gst_harness_set_src_caps_str(h, test::video_caps("I420", w, hgt).c_str());
  const char ready = 'r';
  write_all(out, &ready, 1);
  for (int32_t f; read_all(in, &f, sizeof f), f >= 0;) {
    ASSERT_EQ(gst_harness_push(h, embedded[static_cast<size_t>(f)]), GST_FLOW_OK);
    GstBuffer* buffer = gst_harness_pull(h);
    std::vector<HostRoi> rois;
    for (auto* roi : g::rois_of_type(buffer, g::kPersonRoiType)) {
      const auto track = g::roi_track(roi);
      if (!track) continue;
      const auto id = g::roi_identity(roi);
      const cv::Rect b = g::roi_box(roi);
      rois.push_back(
          {static_cast<int32_t>(track->id), id ? id->global_id : 0, b.x, b.y, b.width, b.height});
    }
    gst_buffer_unref(buffer);
    const auto n = static_cast<int32_t>(rois.size());
    write_all(out, &n, sizeof n);
    if (n > 0) write_all(out, rois.data(), rois.size() * sizeof(HostRoi));
  }
  gst_harness_teardown(h);
  gst_object_unref(match);
}

TEST(GstPipelines, TwoHostsOnOneDatabaseGiveEachPersonOneGlobalId) {
  // The scene of CrossCameraIdentitiesOnASyntheticTwoCameraVideoClearTheBar: 6 people cross
  // camera 1 (host A) and a second later camera 2 (host B), whose background, lighting and
  // colour cast differ. Only the PostgreSQL gallery joins the two hosts.
  const std::string gallery = test::shared_postgres().create_database();
  struct Host {
    pid_t pid = -1;
    int to = -1, from = -1;
  };
  std::vector<Host> hosts(2);
  for (int c = 0; c < 2; ++c) {
    int down[2], up[2];
    ASSERT_EQ(pipe(down), 0);
    ASSERT_EQ(pipe(up), 0);
    // Everything the child needs is made before fork: between fork and exec only
    // async-signal-safe calls (GStreamer's threads may hold allocator locks).
    std::vector<std::string> env = {
        "HAT_HOST_CAMERA=" + std::to_string(c), "HAT_HOST_GALLERY=" + gallery,
        "HAT_HOST_IN=" + std::to_string(down[0]), "HAT_HOST_OUT=" + std::to_string(up[1])};
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    char arg0[] = "host", filter[] = "--gtest_filter=GstPipelines.DISABLED_HostOfTheTwoHostTest",
         disabled[] = "--gtest_also_run_disabled_tests";
    char* argv[] = {arg0, filter, disabled, nullptr};
    hosts[c].pid = fork();
    if (hosts[c].pid == 0) {
      close(down[1]);
      close(up[0]);
      execve("/proc/self/exe", argv, envp.data());
      _exit(127);
    }
    close(down[0]);
    close(up[1]);
    hosts[c].to = down[1];
    hosts[c].from = up[0];
  }
  const auto cameras = test::render_two_cameras(480, 288, 180, 6, 10, 17);
  for (auto& host : hosts) {
    char ready = 0;
    read_all(host.from, &ready, 1);
  }
  TrackSequence truth, global, per_camera;
  for (int32_t f = 0; f < static_cast<int32_t>(cameras[0].frames.size()); ++f) {
    std::vector<TrackedBox> t, gl, pc;
    for (int c = 0; c < 2; ++c) {
      const cv::Point shift(c * 10000, 0);
      for (const auto& b : cameras[c].truth[static_cast<size_t>(f)])
        t.push_back({b.id, b.box + shift});
      write_all(hosts[c].to, &f, sizeof f);
      int32_t n = 0;
      read_all(hosts[c].from, &n, sizeof n);
      std::vector<HostRoi> rois(static_cast<size_t>(n));
      if (n > 0) read_all(hosts[c].from, rois.data(), rois.size() * sizeof(HostRoi));
      for (const auto& r : rois) {
        const cv::Rect box = cv::Rect(r.x, r.y, r.width, r.height) + shift;
        pc.push_back({r.track + 1000 * c, box});
        if (r.global_id != 0) gl.push_back({static_cast<int>(r.global_id), box});
      }
    }
    truth.push_back(t);
    global.push_back(gl);
    per_camera.push_back(pc);
  }
  for (auto& host : hosts) {
    const int32_t end = -1;
    write_all(host.to, &end, sizeof end);
    int status = 0;
    waitpid(host.pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  const auto g = evaluate_tracking(truth, global), pc = evaluate_tracking(truth, per_camera);
  std::printf(
      "two hosts, one PostgreSQL gallery: global IDF1 %.3f MOTA %.3f (switches %ld); "
      "per-camera IDF1 %.3f\n",
      g.idf1, g.mota, g.id_switches, pc.idf1);
  // The bar of the one-process two-camera test (docs/PLUGIN.md).
  EXPECT_GE(g.idf1, 0.70);
  EXPECT_GE(g.idf1, pc.idf1 + 0.2);
}

// A site video written by hat-train synth-site with its MOTChallenge ground truth.
test::SyntheticVideo read_site_video(const std::string& stem) {
  test::SyntheticVideo v;
  cv::VideoCapture capture(stem + ".avi", cv::CAP_FFMPEG);
  for (cv::Mat f; capture.read(f);) v.frames.push_back(f.clone());
  v.truth = read_mot_file(stem + ".txt", v.frames.size());
  for (const auto& frame : v.truth)  // the simulated detector sees everyone in the frame
    v.visibility.emplace_back(frame.size(), 1.0);
  return v;
}

TEST(GstPipelines, AdaptingToAnUnseenSiteRaisesItsCrossCameraIdf1) {
  test::init_gstreamer();
  // The test videos of the synthetic site that tests/oracles/adapt_synthetic_site.sh adapted the
  // synthetic model to: other people than those it adapted on, under the same two cameras.
  const std::string site = test::generated("synthetic-site");
  std::vector<test::SyntheticVideo> cameras = {read_site_video(site + "/site/test-videos/cam-1"),
                                               read_site_video(site + "/site/test-videos/cam-2")};
  ASSERT_GT(cameras[0].frames.size(), 100u);
  const auto before = cross_camera_scores(cameras, test::generated("synthetic-reid-model.hat"));
  const auto after = cross_camera_scores(cameras, site + "/run/model.hat");
  for (const auto& [name, s] : {std::pair{"before adapt", before}, std::pair{"after adapt", after}})
    std::printf(
        "%-13s global IDF1 %.3f MOTA %.3f, %u identities for 12 people (threshold %.3f); "
        "per-camera IDF1 %.3f\n",
        name, s.global.idf1, s.global.mota, s.identities, s.threshold, s.per_camera.idf1);
  // The adapted model's calibrated threshold reached hatmatch, which had none set.
  EXPECT_NE(after.threshold, before.threshold);
  // Measured 0.488 -> 0.540 (8 identities for 12 people either way): the bar asks for +0.03.
  EXPECT_GE(after.global.idf1, before.global.idf1 + 0.03);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// hatdetect (a detector) ! hattrack over a composited scene of the sample camera
// (hat-train synth-scene), scored by hat-eval mot.
nlohmann::json score_on_composite(const std::string& scene, const std::string& detect) {
  const std::string name = detect.empty() ? "default" : "other";
  const std::string events = scene + "/" + name + ".jsonl";
  const auto r = test::run("gst-launch-1.0 -q filesrc location=" + scene +
                           "/scene.avi ! decodebin ! videoconvert ! video/x-raw,format=I420 ! "
                           "hatdetect " +
                           detect + " ! hattrack ! hatevents location=" + events + " ! fakesink");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const auto m = test::run(test::hat_eval_tool() + " mot --gt " + scene + "/gt.txt --events " +
                           events + " --json " + scene + "/" + name + ".json");
  EXPECT_EQ(m.exit_code, 0) << m.output;
  std::printf("hatdetect %s ! hattrack: %s", detect.empty() ? "(default)" : detect.c_str(),
              m.output.c_str());
  return nlohmann::json::parse(read_file(scene + "/" + name + ".json"));
}

TEST(GstPipelines, TheDefaultDetectorTracksTheSyntheticPeopleOfACompositedSampleCamera) {
  // Seed 7 was not looked at while the detector was designed (seeds 0-2 were).
  const std::string scene = test::scratch_dir() + "/scene";
  const auto made = test::run(test::hat_train_tool() + " synth-scene --video " +
                              test::source_root() + "/data/vtest.avi --out " + scene + " --seed 7");
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const auto ours = score_on_composite(scene, "");
  const auto hog = score_on_composite(scene, "detector=hog scale=1.5 inference-interval=3");
  // Measured 2026-12-02: MOTA 0.859, IDF1 0.711, 19 switches (HOG, the former default: MOTA
  // 0.029, IDF1 0.280).
  EXPECT_GE(ours["mota"].get<double>(), 0.75);
  EXPECT_GE(ours["idf1"].get<double>(), 0.60);
  EXPECT_GE(ours["precision"].get<double>(), 0.90);
  EXPECT_LE(ours["id_switches"].get<int>(), 40);
  EXPECT_GE(ours["mota"].get<double>(), hog["mota"].get<double>() + 0.5);
}

TEST(GstPipelines, MainJobRunsOnTheSampleVideo) {
  const std::string out = test::scratch_dir() + "/pipeline";
  const std::string video = test::source_root() + "/data/vtest.avi";
  ASSERT_TRUE(std::filesystem::exists(video))
      << "scripts/install-deps.sh extracts the sample video";
  const auto r = test::run("bash " + test::source_root() + "/pipelines/sample-video.sh " +
                           test::tiny_model_path() + " " + out + " " + video);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_GT(std::filesystem::file_size(out + "/annotated.mp4"), 100000u);
  EXPECT_FALSE(std::filesystem::exists(out + "/annotated.mp4.tmp"));
  int lines = 0;
  std::ifstream events(out + "/events.jsonl");
  for (std::string line; std::getline(events, line);) {
    EXPECT_TRUE(nlohmann::json::accept(line)) << line;
    ++lines;
  }
  EXPECT_EQ(lines, 795) << "one event per frame of the sample video";
  const auto summary = nlohmann::json::parse(read_text(out + "/summary.json"));
  EXPECT_GE(summary["tracks"].get<int>(), 5);
  EXPECT_GT(summary["embeddings_computed"].get<int>(), 100);
  EXPECT_NEAR(summary["video_seconds"].get<double>(), 79.5, 0.2);
  EXPECT_NE(r.output.find("real time factor"), std::string::npos) << r.output;
}

TEST(GstPipelines, AppsinkApplicationReadsTheMetadata) {
  const char* tool = std::getenv("HAT_READ_METADATA_TOOL");
  ASSERT_NE(tool, nullptr);
  const auto r = test::run(std::string(tool) + " " + test::source_root() + "/data/vtest.avi " +
                           test::tiny_model_path() + " 60");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("summary: 60 frames"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" track "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("embedding tiny 640-d"), std::string::npos) << r.output;
  const auto bad = test::run(std::string(tool) + " /nonexistent.avi " + test::tiny_model_path());
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("/nonexistent.avi"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace hat

namespace hat {
namespace {

// The first seconds of the sample video, as a file the pipelines read.
std::string sample_clip() {
  // hat-cut-video cuts exact frame counts; identity eos-after once let 708 frames through under
  // load.
  const std::string clip = test::scratch_dir() + "/clip.avi";
  const auto r =
      test::run(std::string(std::getenv("HAT_CUT_VIDEO_TOOL")) + " cut " + test::source_root() +
                "/data/vtest.avi " + clip + " --first 0 --count 80");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return clip;
}

std::map<std::pair<std::string, std::string>, int> event_counts(const std::string& path) {
  std::map<std::pair<std::string, std::string>, int> counts;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    const auto e = nlohmann::json::parse(line);
    counts[{e["camera"], e["event"]}]++;
  }
  return counts;
}

TEST(GstPipelines, MultiCameraAndSharedGalleryPipelinesRun) {
  const std::string clip = sample_clip();
  const std::string model = test::generated("synthetic-reid-model.hat");
  const std::string pipelines = std::getenv("HAT_PIPELINES");
  const std::string out = test::scratch_dir();
  // The same clip as two cameras: every person of one camera is in the other at the same time.
  auto r = test::run("CAMERA_IDS=lobby,garage EMBED_OPTS=time-budget=0 " + pipelines +
                     "/multi-camera.sh " + model + " " + out + "/multi " + clip + " " + clip);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* f : {"/multi/lobby.mp4", "/multi/garage.mp4", "/multi/gallery.db"})
    EXPECT_TRUE(std::filesystem::file_size(out + f) > 0) << f;
  auto counts = event_counts(out + "/multi/identities.jsonl");
  const int created = counts[{"lobby", "new"}] + counts[{"garage", "new"}];
  const int matched = counts[{"lobby", "matched"}] + counts[{"garage", "matched"}];
  std::printf("one process, two cameras: %d identities created, %d tracks matched\n", created,
              matched);
  EXPECT_GT(created, 0);
  EXPECT_GE(matched, created / 2);

  // Two processes at once on one gallery; then hat-gallery reads it.
  r = test::run("CAMERA_IDS_1=door CAMERA_IDS_2=yard EMBED_OPTS=time-budget=0 " + pipelines +
                "/shared-gallery.sh " + model + " " + out + "/shared " + clip + " -- " + clip);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto first = event_counts(out + "/shared/process-1/identities.jsonl");
  const auto second = event_counts(out + "/shared/process-2/identities.jsonl");
  int cross = 0;
  for (const auto& counts_of : {first, second})
    for (const auto& [key, n] : counts_of)
      if (key.second == "matched") cross += n;
  std::printf("two processes sharing a gallery: %d tracks matched\n", cross);
  EXPECT_GT(cross, 0);
  // hat-gallery list: identities seen by both processes' cameras.
  EXPECT_TRUE(r.output.find("door,yard") != std::string::npos ||
              r.output.find("yard,door") != std::string::npos)
      << r.output;
}

TEST(GstPipelines, TwoViewsOfOneVideoFindIdentitiesAcrossTheViews) {
  const std::string clip = sample_clip();
  const std::string cutter = std::getenv("HAT_CUT_VIDEO_TOOL");
  const auto count = test::run(cutter + " count " + clip);
  ASSERT_EQ(count.exit_code, 0) << count.output;
  EXPECT_EQ(count.output.substr(0, count.output.find(' ')), "80") << count.output;
  const std::string out = test::scratch_dir() + "/two";
  const auto r = test::run("EMBED_OPTS=time-budget=0 " + std::string(std::getenv("HAT_PIPELINES")) +
                           "/two-views.sh " + test::generated("synthetic-reid-model.hat") + " " +
                           out + " " + clip);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // The views are the clip's two halves, frame for frame.
  for (const std::string view : {"view-a", "view-b"}) {
    EXPECT_EQ(test::run(cutter + " count " + out + "/" + view + ".avi").output, "40 10\n") << view;
    EXPECT_GT(std::filesystem::file_size(out + "/" + view + ".mp4"), 0u) << view;
  }
  EXPECT_GT(std::filesystem::file_size(out + "/gallery.db"), 0u);
  const auto summary = nlohmann::json::parse(read_file(out + "/identities-summary.json"));
  int tracks = 0;
  for (const auto& [id, held] : summary["tracks_per_identity"].items()) tracks += held.size();
  EXPECT_GT(summary["identities"].get<int>(), 0);
  EXPECT_EQ(tracks, summary["tracks"].get<int>());  // every track in exactly one identity
  EXPECT_NE(r.output.find("global identities: " + std::to_string(summary["identities"].get<int>())),
            std::string::npos)
      << r.output;
  EXPECT_GT(
      nlohmann::json::parse(read_file(out + "/timing.json"))["real_time_factor"].get<double>(), 0);
  // Bad input: one line naming the file.
  const auto bad = test::run(cutter + " cut " + clip + " " + out + "/x.avi --first 500 --count 1");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.output,
            "hat-cut-video cut: error: " + clip + ": has 80 frames, fewer than --first 500\n");
}

}  // namespace
}  // namespace hat
