// hatmatch under concurrency: an application thread sets and reads properties while two
// cameras' buffers flow on their own threads, and the element is stopped and started again in
// the middle. Checked for behaviour here and for data races by scripts/test-tsan.sh, which runs
// this suite under ThreadSanitizer. The suite registers hatmatch itself rather than loading the
// plugin, so that sanitized build needs none of the plugin's LibTorch parts.
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/file_io.h"
#include "gst-plugin/elements.h"
#include "gst-plugin/roi_meta.h"
#include "tests/gst_test_support.h"
#include "tests/test_env.h"

namespace hat {
namespace {

namespace g = hat::gst;

constexpr int kW = 64, kH = 48, kDim = 16;

std::vector<float> person(uint64_t seed, uint64_t jitter_seed) {
  return test::person_embedding(seed, kDim, 0.1, jitter_seed);
}

GstBuffer* frame(int camera, int index) {
  GstBuffer* b = gst_buffer_new_allocate(nullptr, kW * kH * 3, nullptr);
  gst_buffer_memset(b, 0, 128, kW * kH * 3);
  GST_BUFFER_PTS(b) = static_cast<GstClockTime>(index) * GST_SECOND / 10;
  GST_BUFFER_DURATION(b) = GST_SECOND / 10;
  for (int track = 1; track <= 2; ++track) {
    auto* roi = g::add_person_roi(b, cv::Rect(4 + 20 * (track - 1), 4, 16, 40), kW, kH, 0.9, "t");
    g::set_track(roi, {track, "tracked", index});
    g::set_embedding(roi, {"tiny", "test.hat", person(10 * camera + track, index), 0});
  }
  return b;
}

TEST(HatMatchThreads, PropertiesChangeWhileBuffersFlowAndTheElementStopsAndRestarts) {
  test::init_gstreamer();
  ASSERT_TRUE(GST_ELEMENT_REGISTER(hatmatch, nullptr));
  const std::string dir = test::scratch_dir();
  const std::string events = dir + "/identities.jsonl";
  GstElement* element = gst_element_factory_make("hatmatch", nullptr);
  ASSERT_NE(element, nullptr);
  gst_object_ref_sink(element);
  g_object_set(element, "events-location", events.c_str(), "gallery-location",
               (dir + "/gallery.db").c_str(), "sighting-interval", 0u, "sync-interval", 0u,
               nullptr);
  const char* cameras[] = {"lobby", "garage"};
  std::vector<GstPad*> sinks;
  std::vector<GstHarness*> harnesses;
  for (int c = 0; c < 2; ++c) {
    const std::string sink = "sink_" + std::to_string(c), src = "src_" + std::to_string(c);
    GstPad* pad = gst_element_request_pad_simple(element, sink.c_str());
    ASSERT_NE(pad, nullptr);
    g_object_set(pad, "camera-id", cameras[c], nullptr);
    sinks.push_back(pad);
  }
  for (int c = 0; c < 2; ++c) {
    GstHarness* h = gst_harness_new_with_element(element, ("sink_" + std::to_string(c)).c_str(),
                                                 ("src_" + std::to_string(c)).c_str());
    gst_harness_set_src_caps_str(h, test::video_caps("RGB", kW, kH).c_str());
    harnesses.push_back(h);
  }

  std::atomic<bool> done{false};
  std::atomic<int> errors{0};
  std::atomic<int> pushed[2] = {{0}, {0}};
  std::vector<std::thread> threads;
  // The application: changes the matching policy, reads the counters, sets a pad property.
  threads.emplace_back([&] {
    for (int i = 0; !done; ++i) {
      g_object_set(element, "threshold", 0.3 + 0.01 * (i % 10), "hysteresis", 0.01 * (i % 5),
                   "track-window", static_cast<guint>(1 + i % 5), "post-messages", i % 2 == 0,
                   nullptr);
      guint identities = 0, sightings = 0;
      g_object_get(element, "identities", &identities, "sightings", &sightings, nullptr);
      double read_back = 0;
      g_object_get(element, "threshold", &read_back, nullptr);
      g_object_set(sinks[0], "camera-id", cameras[0], nullptr);
      gchar* camera = nullptr;
      g_object_get(sinks[1], "camera-id", &camera, nullptr);
      if (camera == nullptr || std::string(camera) != cameras[1]) ++errors;
      g_free(camera);
    }
  });
  // Two cameras, each on its own streaming thread. While the element is stopped a push is
  // refused with FLUSHING; it must never fail otherwise.
  for (int c = 0; c < 2; ++c)
    threads.emplace_back([&, c] {
      for (int i = 0; !done; ++i) {
        const GstFlowReturn r = gst_harness_push(harnesses[static_cast<size_t>(c)], frame(c, i));
        if (r == GST_FLOW_OK) {
          ++pushed[c];
        } else if (r != GST_FLOW_FLUSHING) {
          ++errors;
        }
        while (GstBuffer* out = gst_harness_try_pull(harnesses[static_cast<size_t>(c)]))
          gst_buffer_unref(out);
      }
    });
  auto wait_for = [&](int count) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while ((pushed[0] < count || pushed[1] < count) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_GE(pushed[0].load(), count);
    EXPECT_GE(pushed[1].load(), count);
  };
  wait_for(100);
  for (int cycle = 0; cycle < 5; ++cycle) {  // stop and restart while everything runs
    EXPECT_EQ(gst_element_set_state(element, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
    EXPECT_NE(gst_element_set_state(element, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
    wait_for(pushed[0] + 100);
  }
  done = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);

  // The last values set are the ones that hold.
  g_object_set(element, "threshold", 0.42, nullptr);
  double threshold = 0;
  g_object_get(element, "threshold", &threshold, nullptr);
  EXPECT_DOUBLE_EQ(threshold, 0.42);
  guint sightings = 0;
  g_object_get(element, "sightings", &sightings, nullptr);
  EXPECT_GT(sightings, 0u);

  for (auto* h : harnesses) gst_harness_teardown(h);
  for (auto* pad : sinks) gst_object_unref(pad);
  gst_element_set_state(element, GST_STATE_NULL);
  gst_object_unref(element);
  // Identity events from both threads and all runs: whole lines only.
  std::istringstream in(read_file(events));
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines)
    EXPECT_TRUE(nlohmann::json::accept(line)) << "not a whole JSON line: " << line;
  EXPECT_GE(lines, 4) << "two identities per camera at least";
}

}  // namespace
}  // namespace hat
