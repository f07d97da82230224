// GstHarness tests of each element: caps for every format, the metadata produced, properties,
// state changes, EOS and flush, degenerate ROIs and resolution changes.
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "frame/image_file.h"
#include "gst-plugin/overlay_painter.h"
#include "gst-plugin/roi_meta.h"
#include "inference/embedding_engine.h"
#include "model/model_loader.h"
#include "tests/cuda_skip.h"
#include "tests/gst_test_support.h"
#include "tests/test_env.h"
#include "tests/test_scene.h"
#include "tests/tiny_model.h"

namespace hat {
namespace {

namespace g = hat::gst;

constexpr int kW = 320, kH = 240;

class GstElements : public ::testing::Test {
 protected:
  void SetUp() override { test::init_gstreamer(); }
  void TearDown() override {
    for (auto* h : harnesses_) gst_harness_teardown(h);
  }
  // A harness around the element described by `launch` (one element with properties).
  GstHarness* harness(const std::string& launch, const std::string& caps) {
    GError* error = nullptr;
    GstElement* e = gst_parse_launch(launch.c_str(), &error);
    EXPECT_EQ(error, nullptr) << launch;
    GstHarness* h = gst_harness_new_with_element(e, "sink", "src");
    gst_object_unref(e);
    gst_harness_set_src_caps_str(h, caps.c_str());
    harnesses_.push_back(h);
    return h;
  }
  std::vector<GstHarness*> harnesses_;
};

std::string model_arg() { return " model=" + test::tiny_model_path(); }

GstVideoRegionOfInterestMeta* add_roi(GstBuffer* b, const cv::Rect& r, int track = 0,
                                      const char* type = g::kPersonRoiType) {
  auto* roi = gst_buffer_add_video_region_of_interest_meta(
      b, type, static_cast<guint>(r.x), static_cast<guint>(r.y), static_cast<guint>(r.width),
      static_cast<guint>(r.height));
  if (track > 0) g::set_track(roi, {track, "tracked", 0});
  return roi;
}

cv::Mat vtest_frame(int index) {
  cv::VideoCapture cap(test::source_root() + "/data/vtest.avi");
  cv::Mat f;
  for (int i = 0; i <= index; ++i) cap >> f;
  return f;
}

TEST_F(GstElements, PluginListsItsElementsAndDocumentsEveryProperty) {
  GstPlugin* plugin = gst_registry_find_plugin(gst_registry_get(), "hat");
  ASSERT_NE(plugin, nullptr) << "GST_PLUGIN_PATH_1_0 must point at build/gst-plugin";
  gst_object_unref(plugin);
  const std::map<std::string, std::vector<std::string>> required = {
      {"hatdetect",
       {"detector", "threshold", "min-size", "scale", "inference-interval", "model-location"}},
      {"hattrack", {"max-age", "min-hits", "iou-threshold"}},
      {"hatembed",
       {"model", "device", "batch-size", "precision", "channels-last", "cuda-graphs",
        "reembed-interval", "min-size", "object-class"}},
      {"hatoverlay", {"line-width", "show-labels"}},
      {"hatevents", {"location", "camera-id"}},
      {"hatmatch",
       {"threshold", "hysteresis", "time-window", "same-camera-constraint", "max-gallery-size",
        "ttl", "gallery-location", "events-location"}},
      {"hatpublish",
       {"host", "port", "client-id", "username", "password", "ca-file", "cert-file", "key-file",
        "qos", "keep-alive", "max-queue", "topic-prefix", "camera-id", "end-timeout",
        "include-embeddings", "ha-discovery", "ha-discovery-prefix", "connected", "dropped"}},
  };
  for (const auto& [name, props] : required) {
    GstElementFactory* f = gst_element_factory_find(name.c_str());
    ASSERT_NE(f, nullptr) << name;
    EXPECT_STRNE(gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_DESCRIPTION), "");
    GstElement* e = gst_element_factory_create(f, nullptr);
    guint n = 0;
    GParamSpec** specs = g_object_class_list_properties(G_OBJECT_GET_CLASS(e), &n);
    for (guint i = 0; i < n; ++i) {
      if (specs[i]->owner_type != G_OBJECT_TYPE(e)) continue;
      const std::string pname = g_param_spec_get_name(specs[i]);
      EXPECT_EQ(pname.find('_'), std::string::npos)
          << name << ": " << pname << " is not kebab-case";
      EXPECT_GT(std::string(g_param_spec_get_blurb(specs[i])).size(), 10u) << name << "::" << pname;
    }
    for (const auto& p : props)
      EXPECT_NE(g_object_class_find_property(G_OBJECT_GET_CLASS(e), p.c_str()), nullptr)
          << name << "::" << p;
    g_free(specs);
    gst_object_unref(e);
    gst_object_unref(f);
  }
}

TEST_F(GstElements, EveryElementNegotiatesEveryFormatAndRefusesOthers) {
  const std::vector<std::string> elements = {"hatdetect", "hattrack", "hatembed" + model_arg(),
                                             "hatoverlay"};
  const cv::Mat scene = test::test_scene(kW, kH);
  for (const auto& launch : elements) {
    for (const char* format : test::kVideoFormats) {
      const std::string caps = test::video_caps(format, kW, kH);
      GstHarness* h = harness(launch, caps);
      GstBuffer* in = test::make_frame(scene, format);
      add_roi(in, cv::Rect(100, 50, 40, 100), 1);
      ASSERT_EQ(gst_harness_push(h, in), GST_FLOW_OK) << launch << " " << format;
      GstBuffer* out = gst_harness_pull(h);
      ASSERT_NE(out, nullptr);
      GstCaps* negotiated = gst_pad_get_current_caps(h->sinkpad);
      GstCaps* expected = gst_caps_from_string(caps.c_str());
      EXPECT_TRUE(gst_caps_is_equal(negotiated, expected)) << launch << " " << format;
      gst_caps_unref(negotiated);
      gst_caps_unref(expected);
      gst_buffer_unref(out);
    }
    GstHarness* h = harness(launch, test::video_caps("YUY2", kW, kH));
    EXPECT_EQ(gst_harness_push(h, gst_buffer_new_allocate(nullptr, kW * kH * 2, nullptr)),
              GST_FLOW_NOT_NEGOTIATED)
        << launch;
  }
}

TEST_F(GstElements, HatdetectFindsThePeopleOfTheSampleVideoAndMarksItsFrames) {
  const cv::Mat frame = vtest_frame(40);
  ASSERT_FALSE(frame.empty()) << "data/vtest.avi (scripts/install-deps.sh extracts it)";
  for (const char* format : {"BGR", "I420"}) {
    // HOG finds people in a single frame; the default detector needs the camera's past frames.
    GstHarness* h = harness("hatdetect detector=hog scale=1.5 inference-interval=2",
                            test::video_caps(format, frame.cols, frame.rows));
    GstBuffer* first = test::make_frame(frame, format);
    const cv::Rect upstream(5, 5, 30, 60);
    add_roi(first, upstream, 0, "car");  // another detector's ROI, left alone
    gst_harness_push(h, first);
    GstBuffer* out = gst_harness_pull(h);
    const auto people = g::rois_of_type(out, g::kPersonRoiType);
    EXPECT_GE(people.size(), 3u) << format;
    for (auto* roi : people) {
      const auto c = g::roi_confidence(roi);
      ASSERT_TRUE(c.has_value());
      EXPECT_GE(*c, 0.5);
      const cv::Rect box = g::roi_box(roi);
      EXPECT_EQ(box & cv::Rect(0, 0, frame.cols, frame.rows), box) << "inside the frame";
      const GstStructure* s = gst_video_region_of_interest_meta_get_param(roi, g::kDetectionParams);
      double x_max = 0;
      ASSERT_TRUE(gst_structure_get_double(s, "x_max", &x_max));
      EXPECT_NEAR(x_max, static_cast<double>(box.br().x) / frame.cols, 1e-9);
      EXPECT_STREQ(gst_structure_get_string(s, "label"), "person");
    }
    const auto cars = g::rois_of_type(out, "car");
    ASSERT_EQ(cars.size(), 1u);
    EXPECT_EQ(g::roi_box(cars[0]), upstream);
    EXPECT_EQ(g::detection_ran(out), std::optional<bool>(true));
    gst_buffer_unref(out);
    gst_harness_push(h, test::make_frame(frame, format));  // skipped by inference-interval=2
    out = gst_harness_pull(h);
    EXPECT_TRUE(g::rois_of_type(out, g::kPersonRoiType).empty());
    EXPECT_EQ(g::detection_ran(out), std::optional<bool>(false));
    gst_buffer_unref(out);
  }
  GstHarness* h = harness("hatdetect detector=hog scale=1.5 min-size=400",
                          test::video_caps("BGR", frame.cols, frame.rows));
  gst_harness_push(h, test::make_frame(frame, "BGR"));
  GstBuffer* out = gst_harness_pull(h);
  EXPECT_TRUE(g::rois_of_type(out, g::kPersonRoiType).empty()) << "min-size filters";
  gst_buffer_unref(out);
}

TEST_F(GstElements, TheDefaultDetectorLearnsTheFixedCameraAndFindsItsPeople) {
  cv::VideoCapture cap(test::source_root() + "/data/vtest.avi");
  ASSERT_TRUE(cap.isOpened()) << "data/vtest.avi (scripts/install-deps.sh extracts it)";
  cv::Mat frame;
  cap >> frame;
  GstHarness* h = harness("hatdetect", test::video_caps("BGR", frame.cols, frame.rows));
  size_t found_first = 0, found_late = 0;
  for (int f = 0; f < 120 && !frame.empty(); ++f, cap >> frame) {
    gst_harness_push(h, test::make_frame(frame, "BGR"));
    GstBuffer* out = gst_harness_pull(h);
    const auto people = g::rois_of_type(out, g::kPersonRoiType);
    if (f == 0) found_first = people.size();
    if (f >= 100) found_late += people.size();
    for (auto* roi : people) {
      const cv::Rect box = g::roi_box(roi);
      EXPECT_EQ(box & cv::Rect(0, 0, frame.cols, frame.rows), box) << "inside the frame";
      // People of this camera are about 35 to 160 pixels tall.
      EXPECT_GE(box.height, 16) << "frame " << f << " box " << box;
      EXPECT_LE(box.height, 200) << "frame " << f;
      const auto c = g::roi_confidence(roi);
      ASSERT_TRUE(c.has_value());
      EXPECT_GE(*c, 0.3) << "the default threshold";
      const GstStructure* s = gst_video_region_of_interest_meta_get_param(roi, g::kDetectionParams);
      ASSERT_NE(s, nullptr);
      EXPECT_STREQ(gst_structure_get_string(s, "detector"), "background");
    }
    gst_buffer_unref(out);
  }
  EXPECT_EQ(found_first, 0u) << "the first frame only teaches the background";
  // Frame 110 shows 6 people (counted by eye); two walking side by side may come out as one.
  EXPECT_GE(found_late, 20u * 3);
  EXPECT_LE(found_late, 20u * 10);
}

// Pushes one frame with the given person boxes through `h` and returns the output.
GstBuffer* push_boxes(GstHarness* h, const std::vector<cv::Rect>& boxes,
                      const char* format = "I420", int w = kW, int hgt = kH,
                      std::optional<bool> detector_ran = std::nullopt) {
  GstBuffer* b = test::make_frame(test::test_scene(w, hgt), format);
  for (const auto& r : boxes) add_roi(b, r);
  if (detector_ran) g::mark_detection_frame(b, *detector_ran);
  EXPECT_EQ(gst_harness_push(h, b), GST_FLOW_OK);
  return gst_harness_pull(h);
}

// Person ROIs from left to right (meta order is not meaningful).
std::vector<GstVideoRegionOfInterestMeta*> people_by_x(GstBuffer* b) {
  auto rois = g::rois_of_type(b, g::kPersonRoiType);
  std::sort(rois.begin(), rois.end(), [](auto* x, auto* y) { return x->x < y->x; });
  return rois;
}

// Track ids (0: untracked) from left to right.
std::vector<int> track_ids(GstBuffer* b) {
  std::vector<int> ids;
  for (auto* roi : people_by_x(b)) {
    const auto t = g::roi_track(roi);
    ids.push_back(t ? t->id : 0);
  }
  return ids;
}

TEST_F(GstElements, HattrackGivesStableIdsPredictsSkippedFramesAndResets) {
  GstHarness* h = harness("hattrack min-hits=2", test::video_caps("I420", kW, kH));
  std::vector<int> ids;
  for (int f = 0; f < 6; ++f) {
    GstBuffer* out =
        push_boxes(h, {cv::Rect(10 + 5 * f, 50, 40, 100), cv::Rect(250 - 5 * f, 60, 40, 100)});
    ids = track_ids(out);
    gst_buffer_unref(out);
    if (f == 0) {
      EXPECT_EQ(ids, std::vector<int>({0, 0})) << "tentative";
    }
  }
  std::vector<int> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, std::vector<int>({1, 2}));
  const std::vector<int> confirmed = ids;
  // A frame hatdetect skipped: the tracks come out at their predicted places.
  GstBuffer* out = push_boxes(h, {}, "I420", kW, kH, false);
  auto rois = people_by_x(out);
  ASSERT_EQ(rois.size(), 2u);
  EXPECT_EQ(g::roi_track(rois[0])->state, "predicted");
  EXPECT_NEAR(rois[0]->x, 10 + 5 * 6, 3);
  EXPECT_EQ(track_ids(out), confirmed) << "the same people";
  gst_buffer_unref(out);
  // Zero-size and off-frame ROIs are ignored, not tracked, not fatal.
  out = push_boxes(h, {cv::Rect(10, 10, 0, 0), cv::Rect(kW + 50, 10, 40, 100)});
  EXPECT_EQ(track_ids(out), std::vector<int>({0, 0}));
  gst_buffer_unref(out);
  // A flush (seek) restarts tracking: ids start again at 1.
  gst_harness_push_event(h, gst_event_new_flush_start());
  gst_harness_push_event(h, gst_event_new_flush_stop(TRUE));
  gst_harness_push_event(h, gst_event_new_segment([] {
                           static GstSegment s;
                           gst_segment_init(&s, GST_FORMAT_TIME);
                           return &s;
                         }()));
  for (int f = 0; f < 2; ++f) {
    out = push_boxes(h, {cv::Rect(200, 50, 40, 100)});
    ids = track_ids(out);
    gst_buffer_unref(out);
  }
  EXPECT_EQ(ids, std::vector<int>({1}));
  // A resolution change mid-stream restarts tracks too, and frames keep flowing.
  gst_harness_set_src_caps_str(h, test::video_caps("I420", 640, 480).c_str());
  for (int f = 0; f < 2; ++f) {
    out = push_boxes(h, {cv::Rect(400, 100, 80, 200)}, "I420", 640, 480);
    ids = track_ids(out);
    gst_buffer_unref(out);
  }
  EXPECT_EQ(ids, std::vector<int>({1}));
}

TEST_F(GstElements, HatembedEqualsTheEvaluatorsEmbeddingOfTheSameCrop) {
  // The crop as an image file, as hat-eval would read it from a dataset folder.
  const cv::Mat scene = test::test_scene(kW, kH, 5);
  const cv::Rect box(100, 40, 48, 120);
  const std::string png = test::scratch_dir() + "/crop.png";
  cv::imwrite(png, scene(box));
  EmbeddingEngine engine(load_model(test::tiny_model_path()), {});
  const torch::Tensor expected = engine.embed_images({read_rgb_image(png)});
  for (const char* format : {"RGB", "BGR", "RGBx", "BGRx"}) {
    GstHarness* h = harness("hatembed" + model_arg(), test::video_caps(format, kW, kH));
    GstBuffer* in = test::make_frame(scene, format);
    add_roi(in, box);
    gst_harness_push(h, in);
    GstBuffer* out = gst_harness_pull(h);
    const auto e = g::roi_embedding(g::rois_of_type(out, g::kPersonRoiType).at(0));
    ASSERT_TRUE(e.has_value()) << format;
    EXPECT_EQ(e->model, "tiny");
    EXPECT_EQ(e->model_file, "tiny.hat");
    EXPECT_EQ(e->age, 0);
    ASSERT_EQ(static_cast<int64_t>(e->data.size()), expected.size(1));
    const torch::Tensor got =
        torch::from_blob(const_cast<float*>(e->data.data()), {1, expected.size(1)});
    EXPECT_TRUE(torch::allclose(got, expected, 1e-4, 1e-5))
        << format << ": max diff " << (got - expected).abs().max().item<float>();
    gst_buffer_unref(out);
  }
  // YUV frames lose colour precision in the conversion itself: close, not equal.
  for (const char* format : {"I420", "NV12"}) {
    GstHarness* h = harness("hatembed" + model_arg(), test::video_caps(format, kW, kH));
    GstBuffer* in = test::make_frame(scene, format);
    add_roi(in, box);
    gst_harness_push(h, in);
    GstBuffer* out = gst_harness_pull(h);
    const auto e = g::roi_embedding(g::rois_of_type(out, g::kPersonRoiType).at(0));
    ASSERT_TRUE(e.has_value()) << format;
    const torch::Tensor got =
        torch::from_blob(const_cast<float*>(e->data.data()), {1, expected.size(1)});
    EXPECT_GT(torch::cosine_similarity(got, expected).item<float>(), 0.98f) << format;
    gst_buffer_unref(out);
  }
}

// device=cuda: crops made by the GPU kernel, forward pass on the GPU; the embeddings are the
// CPU's (fp32, within TF32 convolution rounding) or close to them (bf16, graphs).
TEST_F(GstElements, HatembedOnCudaGivesTheCpuEmbeddingsInEveryFormat) {
  if (test::no_cuda()) GTEST_SKIP() << "SKIPPED: no CUDA device on this machine";
  const cv::Mat scene = test::test_scene(kW, kH, 7);
  const std::vector<cv::Rect> boxes = {{100, 40, 48, 120}, {13, 7, 61, 150}, {250, 100, 90, 200}};
  auto embed = [&](const std::string& options, const char* format) {
    GstHarness* h =
        harness("hatembed time-budget=0" + options + model_arg(), test::video_caps(format, kW, kH));
    GstBuffer* in = test::make_frame(scene, format);
    for (const auto& b : boxes) add_roi(in, b);
    gst_harness_push(h, in);
    GstBuffer* out = gst_harness_pull(h);
    std::vector<torch::Tensor> rows;
    for (auto* roi : g::rois_of_type(out, g::kPersonRoiType)) {
      const auto e = g::roi_embedding(roi);
      EXPECT_TRUE(e.has_value()) << options << " " << format;
      if (e) rows.push_back(torch::tensor(e->data));
    }
    gst_buffer_unref(out);
    return torch::stack(rows);
  };
  for (const char* format : {"RGB", "BGR", "RGBx", "BGRx", "I420", "NV12"}) {
    const auto cpu = embed("", format);
    const auto gpu = embed(" device=cuda", format);
    const auto fast =
        embed(" device=cuda precision=bf16 channels-last=true cuda-graphs=true", format);
    ASSERT_EQ(gpu.sizes(), cpu.sizes());
    EXPECT_GT(torch::cosine_similarity(gpu, cpu, 1).min().item<float>(), 0.9999f) << format;
    EXPECT_GT(torch::cosine_similarity(fast, cpu, 1).min().item<float>(), 0.999f) << format;
  }
}

TEST_F(GstElements, HatembedReembedsTracksOnItsIntervalAndSkipsDegenerateRois) {
  GstHarness* h = harness("hatembed reembed-interval=3 min-size=40 time-budget=0" + model_arg(),
                          test::video_caps("I420", kW, kH));
  std::vector<int> ages;
  for (int f = 0; f < 6; ++f) {
    GstBuffer* in = test::make_frame(test::test_scene(kW, kH), "I420");
    add_roi(in, cv::Rect(50, 50, 40, 100), 7);         // tracked
    add_roi(in, cv::Rect(150, 50, 40, 100));           // untracked: every frame
    add_roi(in, cv::Rect(10, 10, 0, 0));               // zero-size
    add_roi(in, cv::Rect(kW + 10, 0, 40, 100));        // off-frame
    add_roi(in, cv::Rect(kW - 20, 100, 60, 100));      // partly off-frame: clipped, still 100 tall
    add_roi(in, cv::Rect(200, 10, 20, 30));            // shorter than min-size
    add_roi(in, cv::Rect(60, 60, 40, 100), 0, "car");  // not the object class
    gst_harness_push(h, in);
    GstBuffer* out = gst_harness_pull(h);
    ASSERT_EQ(g::rois_of_type(out, "").size(), 7u);
    // The ROI with this box and type (meta order is not meaningful).
    auto roi = [&](const cv::Rect& box, const char* type = g::kPersonRoiType) {
      for (auto* r : g::rois_of_type(out, type))
        if (g::roi_box(r) == box) return r;
      ADD_FAILURE() << "no ROI " << box;
      return g::rois_of_type(out, type)[0];
    };
    const auto tracked = g::roi_embedding(roi(cv::Rect(50, 50, 40, 100)));
    ASSERT_TRUE(tracked.has_value()) << "frame " << f;
    ages.push_back(tracked->age);
    EXPECT_EQ(g::roi_embedding(roi(cv::Rect(150, 50, 40, 100)))->age, 0);
    EXPECT_FALSE(g::roi_embedding(roi(cv::Rect(10, 10, 0, 0))).has_value());
    EXPECT_FALSE(g::roi_embedding(roi(cv::Rect(kW + 10, 0, 40, 100))).has_value());
    EXPECT_TRUE(g::roi_embedding(roi(cv::Rect(kW - 20, 100, 60, 100))).has_value());
    EXPECT_FALSE(g::roi_embedding(roi(cv::Rect(200, 10, 20, 30))).has_value());
    EXPECT_FALSE(g::roi_embedding(roi(cv::Rect(60, 60, 40, 100), "car")).has_value());
    gst_buffer_unref(out);
  }
  EXPECT_EQ(ages, std::vector<int>({0, 1, 2, 0, 1, 2}));
}

TEST_F(GstElements, HatembedSkipsEmbeddingsNotFramesWhenOverBudgetAndReportsThem) {
  GstHarness* h =
      harness("hatembed time-budget=0.001" + model_arg(), test::video_caps("I420", kW, kH));
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  const int frames = 6;
  for (int f = 0; f < frames; ++f) {
    GstBuffer* in = test::make_frame(test::test_scene(kW, kH), "I420");
    for (int k = 0; k < 5; ++k) add_roi(in, cv::Rect(10 + 60 * k, 50, 40, 100), k + 1);
    ASSERT_EQ(gst_harness_push(h, in), GST_FLOW_OK);
  }
  EXPECT_EQ(gst_harness_buffers_received(h), static_cast<guint>(frames)) << "no frame is dropped";
  guint64 embedded = 0, skipped = 0;
  g_object_get(h->element, "embedded", &embedded, "skipped", &skipped, nullptr);
  EXPECT_EQ(embedded, 1u) << "one crop measures the cost; nothing else fits in 1 us";
  EXPECT_EQ(skipped, 4u * frames);
  gst_harness_push_event(h, gst_event_new_eos());
  GstMessage* msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT);
  ASSERT_NE(msg, nullptr) << "hatembed-stats at EOS";
  const GstStructure* s = gst_message_get_structure(msg);
  EXPECT_TRUE(gst_structure_has_name(s, "hatembed-stats"));
  guint64 reported = 0;
  gst_structure_get_uint64(s, "skipped", &reported);
  EXPECT_EQ(reported, skipped);
  gst_message_unref(msg);
  gst_element_set_bus(h->element, nullptr);
  gst_object_unref(bus);
}

TEST_F(GstElements, HatoverlayDrawsEachIdentityInItsColourInEveryFormat) {
  const cv::Mat scene(kH, kW, CV_8UC3, cv::Scalar(128, 128, 128));
  const cv::Rect box(100, 60, 60, 120);
  for (const char* format : test::kVideoFormats) {
    GstHarness* h =
        harness("hatoverlay line-width=4 show-labels=false", test::video_caps(format, kW, kH));
    GstBuffer* in = test::make_frame(scene, format);
    auto* roi = add_roi(in, box, 3);
    g::set_identity(roi, {12, 0.1, "", "", {}});
    gst_harness_push(h, in);
    GstBuffer* out = gst_harness_pull(h);
    const cv::Mat bgr = test::frame_to_bgr(out, format, kW, kH);
    const cv::Scalar rgb = g::identity_colour(12);
    const cv::Vec3b edge = bgr.at<cv::Vec3b>(box.y + box.height / 2, box.x + 1);
    const double tolerance =
        std::string(format) == "I420" || std::string(format) == "NV12" ? 40 : 0;
    EXPECT_NEAR(edge[2], rgb[0], tolerance) << format;
    EXPECT_NEAR(edge[1], rgb[1], tolerance) << format;
    EXPECT_NEAR(edge[0], rgb[2], tolerance) << format;
    const cv::Vec3b far = bgr.at<cv::Vec3b>(10, 10);
    EXPECT_NEAR(far[0], 128, 3) << format << ": untouched away from the boxes";
    gst_buffer_unref(out);
  }
  EXPECT_NE(g::identity_colour(1), g::identity_colour(2));
  EXPECT_EQ(g::identity_colour(5), g::identity_colour(5));
}

TEST_F(GstElements, HateventsWritesOneJsonLinePerFrameWithPeople) {
  const std::string path = test::scratch_dir() + "/events.jsonl";
  GstHarness* h =
      harness("hatevents camera-id=cam1 location=" + path, test::video_caps("I420", kW, kH));
  for (int f = 0; f < 3; ++f) {
    GstBuffer* in = test::make_frame(test::test_scene(kW, kH), "I420", f * GST_SECOND / 10);
    if (f != 1) add_roi(in, cv::Rect(10, 20, 30, 60), 4);
    gst_harness_push(h, in);
    gst_buffer_unref(gst_harness_pull(h));
  }
  gst_harness_push_event(h, gst_event_new_eos());
  std::ifstream in(path);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 2u) << "frames without people are not written by default";
  EXPECT_EQ(lines[1]["frame"], 2);
  EXPECT_EQ(lines[1]["pts_ns"], 2 * GST_SECOND / 10);
  EXPECT_EQ(lines[1]["camera"], "cam1");
  EXPECT_EQ(lines[1]["objects"][0]["track_id"], 4);
  EXPECT_EQ(lines[1]["objects"][0]["box"], nlohmann::json({10, 20, 30, 60}));
}

// Runs `launch` to PLAYING; returns the error text ("" when it played).
std::string play_error(const std::string& launch) {
  GstElement* p = gst_parse_launch(launch.c_str(), nullptr);
  const auto ret = gst_element_set_state(p, GST_STATE_PLAYING);
  std::string text;
  GstBus* bus = gst_element_get_bus(p);
  if (GstMessage* m = gst_bus_timed_pop_filtered(
          bus, 10 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS))) {
    if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
      GError* e = nullptr;
      gst_message_parse_error(m, &e, nullptr);
      text = e->message;
      g_error_free(e);
    }
    gst_message_unref(m);
  }
  EXPECT_TRUE(text.empty() || ret == GST_STATE_CHANGE_FAILURE || ret == GST_STATE_CHANGE_ASYNC);
  gst_object_unref(bus);
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(p);
  return text;
}

TEST_F(GstElements, BadPropertyValuesAreRejectedOrReportedClearly) {
  // Out-of-range values are refused by the property system and the old value stays.
  const std::vector<std::tuple<std::string, std::string, double>> out_of_range = {
      {"hatdetect", "threshold", 1.5},
      {"hatdetect", "scale", 0.0},
      {"hattrack", "iou-threshold", -1},
      {"hatoverlay", "font-scale", 100}};
  for (const auto& [element, property, value] : out_of_range) {
    GstElement* e = gst_element_factory_make(element.c_str(), nullptr);
    GValue before = G_VALUE_INIT, v = G_VALUE_INIT;
    g_value_init(&before, G_TYPE_DOUBLE);
    g_object_get_property(G_OBJECT(e), property.c_str(), &before);
    g_value_init(&v, G_TYPE_DOUBLE);
    g_value_set_double(&v, value);
    g_object_set_property(G_OBJECT(e), property.c_str(), &v);
    GValue after = G_VALUE_INIT;
    g_value_init(&after, G_TYPE_DOUBLE);
    g_object_get_property(G_OBJECT(e), property.c_str(), &after);
    EXPECT_EQ(g_value_get_double(&after), g_value_get_double(&before))
        << element << "::" << property;
    gst_object_unref(e);
  }
  for (const auto& [element, property] :
       std::vector<std::pair<std::string, std::string>>{{"hatembed", "batch-size"},
                                                        {"hatdetect", "inference-interval"},
                                                        {"hatoverlay", "line-width"}}) {
    GstElement* e = gst_element_factory_make(element.c_str(), nullptr);
    GParamSpec* spec = g_object_class_find_property(G_OBJECT_GET_CLASS(e), property.c_str());
    GValue v = G_VALUE_INIT;
    g_value_init(&v, spec->value_type);
    if (spec->value_type == G_TYPE_INT)
      g_value_set_int(&v, 0);
    else
      g_value_set_uint(&v, 0);
    EXPECT_TRUE(g_param_value_validate(spec, &v)) << element << "::" << property << " accepts 0";
    gst_object_unref(e);
  }
  // Values only the element can judge fail at start with an error that names them.
  const std::string src =
      "videotestsrc num-buffers=2 ! video/x-raw,format=I420,width=64,height=64 ! ";
  EXPECT_NE(play_error(src + "hatembed ! fakesink").find("no model"), std::string::npos);
  EXPECT_NE(
      play_error(src + "hatembed model=/nonexistent/m.hat ! fakesink").find("/nonexistent/m.hat"),
      std::string::npos);
  EXPECT_NE(play_error(src + "hatembed device=tpu" + model_arg() + " ! fakesink").find("tpu"),
            std::string::npos);
  {  // An enum refuses unknown names when the launch line is parsed.
    GError* error = nullptr;
    GstElement* p = gst_parse_launch((src + "hatembed precision=fp8 ! fakesink").c_str(), &error);
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find("precision"), std::string::npos) << error->message;
    g_error_free(error);
    if (p) gst_object_unref(p);
  }
  EXPECT_NE(play_error(src + "hatembed cuda-graphs=true" + model_arg() + " ! fakesink")
                .find("CUDA graphs need a CUDA device"),
            std::string::npos);
  EXPECT_NE(play_error(src + "hatdetect model-location=/nonexistent/d.onnx ! fakesink")
                .find("/nonexistent/d.onnx"),
            std::string::npos);
  EXPECT_NE(play_error(src + "hatevents location=/nonexistent/dir/e.jsonl ! fakesink")
                .find("/nonexistent/dir/e.jsonl"),
            std::string::npos);
  EXPECT_EQ(play_error(src + "hatembed" + model_arg() + " ! fakesink"), "");
}

TEST_F(GstElements, SurvivesManyNullPlayingCyclesWithEosAndWithout) {
  const std::string events = test::scratch_dir() + "/cycles.jsonl";
  const std::string launch =
      "videotestsrc num-buffers=4 pattern=ball ! video/x-raw,format=I420,width=320,height=240 ! "
      "hatdetect ! hattrack ! hatembed" +
      model_arg() + " ! hatoverlay ! hatevents all-frames=true location=" + events + " ! fakesink";
  GstElement* p = gst_parse_launch(launch.c_str(), nullptr);
  GstBus* bus = gst_element_get_bus(p);
  for (int cycle = 0; cycle < 12; ++cycle) {
    ASSERT_NE(gst_element_set_state(p, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
    if (cycle % 3 == 1) {  // stopped mid-stream, before EOS
      gst_element_get_state(p, nullptr, nullptr, 10 * GST_SECOND);
    } else {
      GstMessage* m = gst_bus_timed_pop_filtered(
          bus, 30 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
      ASSERT_NE(m, nullptr) << "cycle " << cycle;
      EXPECT_EQ(GST_MESSAGE_TYPE(m), GST_MESSAGE_EOS) << "cycle " << cycle;
      gst_message_unref(m);
    }
    ASSERT_EQ(gst_element_set_state(p, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  }
  gst_object_unref(bus);
  gst_object_unref(p);
  std::ifstream in(events);
  int lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  EXPECT_EQ(lines, 4) << "the last full run wrote every frame";
}

}  // namespace
}  // namespace hat
