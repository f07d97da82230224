// hatpublish against a real mosquitto broker (tests/mqtt_broker.h): two synthetic cameras
// through hatmatch publish Frigate's envelope, reid updates and retained "last seen" states, and
// nothing per frame; the last will reaches subscribers when the publisher is killed; a broker
// stopped mid-stream neither stalls the frames nor loses the events queued meanwhile (up to
// max-queue, the rest dropped and counted); bad settings are one-line errors.
#include <gst/gst.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "gst-plugin/roi_meta.h"
#include "tests/gst_test_support.h"
#include "tests/mqtt_broker.h"
#include "tests/test_env.h"
#include "tests/test_scene.h"

namespace hat {
namespace {

namespace g = hat::gst;
using nlohmann::json;
using std::chrono::milliseconds;
using test::ReceivedMessage;

constexpr int kW = 320, kH = 240, kDim = 32;

std::vector<float> person(uint64_t seed, uint64_t noise_seed) {
  return test::person_embedding(seed, kDim, 0.2, noise_seed);
}

struct Roi {
  int track;
  uint64_t who;  // the person's seed
};

GstBuffer* frame(const std::vector<Roi>& rois, int index, bool with_pts = true) {
  GstBuffer* b = test::make_frame(test::test_scene(kW, kH), "RGB",
                                  with_pts ? index * GST_SECOND / 10 : GST_CLOCK_TIME_NONE);
  for (const auto& r : rois) {
    auto* roi = g::add_person_roi(b, cv::Rect(20 * r.track % 250, 40, 30, 90), kW, kH, 0.9, "test");
    g::set_track(roi, {r.track, "tracked", 5});
    g::set_embedding(roi, {"tiny", "test.hat", person(r.who, static_cast<uint64_t>(index)), 0, 0});
  }
  return b;
}

std::vector<json> payloads(const std::vector<ReceivedMessage>& messages, const std::string& topic) {
  std::vector<json> out;
  for (const auto& m : messages)
    if (m.topic == topic) out.push_back(json::parse(m.payload));
  return out;
}

size_t count_events(const std::vector<ReceivedMessage>& messages, const std::string& type) {
  size_t n = 0;
  for (const auto& p : payloads(messages, "hat/events")) n += p["type"] == type;
  return n;
}

// A launched pipeline with appsrc elements named a0, a1, ...
class Pipeline {
 public:
  explicit Pipeline(const std::string& launch) {
    test::init_gstreamer();
    GError* error = nullptr;
    pipeline_ = gst_parse_launch(launch.c_str(), &error);
    if (error != nullptr) {
      ADD_FAILURE() << error->message;
      g_error_free(error);
    }
  }
  ~Pipeline() {
    if (pipeline_ == nullptr) return;
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    gst_object_unref(pipeline_);
  }
  GstElement* get(const char* name) { return gst_bin_get_by_name(GST_BIN(pipeline_), name); }
  GstStateChangeReturn play() {
    for (int i = 0;; ++i) {
      GstElement* src = get(("a" + std::to_string(i)).c_str());
      if (src == nullptr) break;
      GstCaps* caps = gst_caps_from_string(test::video_caps("RGB", kW, kH).c_str());
      g_object_set(src, "caps", caps, "format", GST_FORMAT_TIME, nullptr);
      gst_caps_unref(caps);
      gst_object_unref(src);
    }
    const auto ret = gst_element_set_state(pipeline_, GST_STATE_PLAYING);
    if (ret != GST_STATE_CHANGE_FAILURE)
      gst_element_get_state(pipeline_, nullptr, nullptr, GST_SECOND * 5);
    return ret;
  }
  void push(int src, GstBuffer* buffer) {
    GstElement* a = get(("a" + std::to_string(src)).c_str());
    GstFlowReturn ret = GST_FLOW_OK;
    g_signal_emit_by_name(a, "push-buffer", buffer, &ret);
    gst_buffer_unref(buffer);
    gst_object_unref(a);
    EXPECT_EQ(ret, GST_FLOW_OK);
  }
  void end(int src) {
    GstElement* a = get(("a" + std::to_string(src)).c_str());
    GstFlowReturn ret = GST_FLOW_OK;
    g_signal_emit_by_name(a, "end-of-stream", &ret);
    gst_object_unref(a);
  }
  // Waits for EOS (true) or an error (false); collects warnings and errors on the way.
  bool wait_eos(GstClockTime timeout = 20 * GST_SECOND) {
    GstBus* bus = gst_element_get_bus(pipeline_);
    bool eos = false;
    for (;;) {
      GstMessage* m = gst_bus_timed_pop_filtered(
          bus, timeout,
          static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING));
      if (m == nullptr) break;
      const auto type = GST_MESSAGE_TYPE(m);
      collect(m);
      gst_message_unref(m);
      if (type == GST_MESSAGE_EOS) eos = true;
      if (type != GST_MESSAGE_WARNING) break;
    }
    gst_object_unref(bus);
    return eos;
  }
  void drain_bus() {
    GstBus* bus = gst_element_get_bus(pipeline_);
    while (GstMessage* m = gst_bus_pop(bus)) {
      collect(m);
      gst_message_unref(m);
    }
    gst_object_unref(bus);
  }
  std::vector<std::string> warnings, errors;

 private:
  void collect(GstMessage* m) {
    GError* e = nullptr;
    if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_WARNING) gst_message_parse_warning(m, &e, nullptr);
    if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) gst_message_parse_error(m, &e, nullptr);
    if (e == nullptr) return;
    (GST_MESSAGE_TYPE(m) == GST_MESSAGE_WARNING ? warnings : errors).push_back(e->message);
    g_error_free(e);
  }
  GstElement* pipeline_ = nullptr;
};

std::string publisher(int port, const std::string& camera, const std::string& extra = "") {
  return " ! hatpublish name=p_" + camera + " host=127.0.0.1 port=" + std::to_string(port) +
         " camera-id=" + camera + " " + extra + " ! fakesink sync=false async=false ";
}

TEST(HatPublish, TwoCamerasPublishFrigateEventsAndReidUpdatesNotPerFrame) {
  test::MosquittoBroker broker;
  test::MqttRecorder recorder(broker.port(), "#");
  {
    Pipeline p(
        "hatmatch name=m sink_0::camera-id=lobby sink_1::camera-id=garage "
        "appsrc name=a0 ! m.sink_0 m.src_0" +
        publisher(broker.port(), "lobby") + "appsrc name=a1 ! m.sink_1 m.src_1" +
        publisher(broker.port(), "garage"));
    ASSERT_NE(p.play(), GST_STATE_CHANGE_FAILURE);
    ASSERT_TRUE(recorder.wait([](auto& m) { return !m.empty(); }, milliseconds(5000)));
    EXPECT_EQ(recorder.on("hat/available").at(0).payload, "online");
    // Alice (1) and bob (2) in the lobby for 2 s, then 3 s of an empty lobby: both tracks end.
    for (int f = 0; f < 50; ++f)
      p.push(0, frame(f < 20 ? std::vector<Roi>{{1, 1}, {2, 2}} : std::vector<Roi>{}, f));
    ASSERT_TRUE(
        recorder.wait([](auto& m) { return count_events(m, "end") == 2; }, milliseconds(5000)));
    // Alice walks into the garage.
    for (int f = 50; f < 70; ++f) p.push(1, frame({{7, 1}}, f));
    p.end(0);
    p.end(1);
    ASSERT_TRUE(p.wait_eos()) << (p.errors.empty() ? "" : p.errors[0]);
  }
  ASSERT_TRUE(
      recorder.wait([](auto& m) { return count_events(m, "end") == 3; }, milliseconds(5000)));
  const auto all = recorder.messages();
  EXPECT_EQ(count_events(all, "new"), 3u);
  EXPECT_LE(payloads(all, "hat/events").size(), 9u) << "events on changes only, not for 90 frames";

  std::map<std::pair<std::string, int>, json> created;  // (camera, track) -> the "new" object
  for (const auto& e : payloads(all, "hat/events")) {
    const json& a = e["after"];
    EXPECT_EQ(a["label"], "person");
    EXPECT_EQ(a["box"].size(), 4u);
    EXPECT_TRUE(a.contains("start_time") && a.contains("end_time") && a.contains("score"));
    if (e["type"] == "new") created[{a["camera"], a["track_id"]}] = a;
    if (e["type"] == "end") {
      EXPECT_FALSE(a["active"].get<bool>());
      EXPECT_GE(a["end_time"].get<double>(), a["start_time"].get<double>());
    }
  }
  ASSERT_EQ(created.size(), 3u);
  const auto reid = payloads(all, "hat/tracked_object_update");
  std::map<std::string, json> by_event_id;
  for (const auto& r : reid) by_event_id[r["id"]] = r;
  const json alice_lobby = by_event_id.at(created.at({"lobby", 1})["id"]);
  const json bob_lobby = by_event_id.at(created.at({"lobby", 2})["id"]);
  const json alice_garage = by_event_id.at(created.at({"garage", 7})["id"]);
  EXPECT_EQ(alice_lobby["type"], "reid");
  EXPECT_EQ(alice_lobby["event"], "new");
  EXPECT_NE(alice_lobby["global_id"], bob_lobby["global_id"]);
  // The same person on another camera: recognised, with her identity as the nearest candidate.
  EXPECT_EQ(alice_garage["event"], "matched");
  EXPECT_EQ(alice_garage["global_id"], alice_lobby["global_id"]);
  ASSERT_FALSE(alice_garage["candidates"].empty());
  EXPECT_EQ(alice_garage["candidates"][0]["global_id"], alice_lobby["global_id"]);
  EXPECT_LT(alice_garage["distance"].get<double>(), 0.35);
  for (const auto& m : all)
    EXPECT_EQ(m.payload.find("embedding"), std::string::npos)
        << "embeddings unless asked: " << m.topic;

  // What a subscriber that comes later finds retained: offline, and where alice was last seen.
  test::MqttRecorder late(broker.port(), "hat/#");
  const std::string alice_topic =
      "hat/identity/" + std::to_string(alice_lobby["global_id"].get<int>()) + "/state";
  ASSERT_TRUE(late.wait(
      [&](auto& m) {
        return std::any_of(m.begin(), m.end(), [&](auto& x) { return x.topic == alice_topic; }) &&
               std::any_of(m.begin(), m.end(), [](auto& x) { return x.topic == "hat/available"; });
      },
      milliseconds(3000)));
  EXPECT_EQ(late.on("hat/available").at(0).payload, "offline");
  EXPECT_TRUE(late.on("hat/available").at(0).retained);
  const json state = json::parse(late.on(alice_topic).at(0).payload);
  EXPECT_EQ(state["camera"], "garage");
  EXPECT_FALSE(state["active"].get<bool>());
}

TEST(HatPublish, EmbeddingsOnlyWithIncludeEmbeddings) {
  test::MosquittoBroker broker;
  test::MqttRecorder recorder(broker.port(), "hat/tracked_object_update");
  {
    Pipeline p("hatmatch name=m appsrc name=a0 ! m.sink_0 m.src_0" +
               publisher(broker.port(), "lobby", "include-embeddings=true"));
    ASSERT_NE(p.play(), GST_STATE_CHANGE_FAILURE);
    for (int f = 0; f < 3; ++f) p.push(0, frame({{1, 1}}, f));
    p.end(0);
    ASSERT_TRUE(p.wait_eos());
  }
  ASSERT_TRUE(recorder.wait([](auto& m) { return !m.empty(); }, milliseconds(3000)));
  const json r = json::parse(recorder.messages().at(0).payload);
  ASSERT_TRUE(r.contains("embedding"));
  EXPECT_EQ(r["embedding"].size(), static_cast<size_t>(kDim));
}

TEST(HatPublish, TheLastWillSaysOfflineWhenThePublisherIsKilled) {
  test::MosquittoBroker broker;
  test::MqttRecorder recorder(broker.port(), "will/available");
  const std::string launch = "videotestsrc is-live=true ! hatpublish host=127.0.0.1 port=" +
                             std::to_string(broker.port()) + " topic-prefix=will ! fakesink";
  const pid_t child = fork();
  if (child == 0) {
    execlp("gst-launch-1.0", "gst-launch-1.0", "-q", "videotestsrc", "is-live=true", "!",
           "hatpublish", "host=127.0.0.1", ("port=" + std::to_string(broker.port())).c_str(),
           "topic-prefix=will", "!", "fakesink", static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_TRUE(recorder.wait([](auto& m) { return !m.empty(); }, milliseconds(10000))) << launch;
  EXPECT_EQ(recorder.messages().back().payload, "online");
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  ASSERT_TRUE(recorder.wait([](auto& m) { return m.size() >= 2; }, milliseconds(10000)));
  EXPECT_EQ(recorder.messages().back().payload, "offline");
}

TEST(HatPublish, ABrokerOutageNeitherStallsFramesNorLosesQueuedEvents) {
  test::MosquittoBroker broker;
  // A persistent session: the subscriber gets, after the restart, what was published while it
  // was away with the broker.
  test::MqttRecorder recorder(broker.port(), "hat/events", "outage-recorder");
  std::vector<double> arrivals;  // seconds, wall clock, of each frame at the sink
  std::mutex arrivals_mutex;
  constexpr int kFrames = 120, kFps = 20;
  {
    Pipeline p(
        "hatmatch name=m appsrc name=a0 is-live=true do-timestamp=true ! m.sink_0 m.src_0 "
        "! hatpublish name=pub host=127.0.0.1 port=" +
        std::to_string(broker.port()) +
        " camera-id=lobby end-timeout=200 ! fakesink name=out sync=true");
    GstElement* out = p.get("out");
    GstPad* pad = gst_element_get_static_pad(out, "sink");
    gst_pad_add_probe(
        pad, GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad*, GstPadProbeInfo*, gpointer data) {
          auto* a = static_cast<std::pair<std::vector<double>*, std::mutex*>*>(data);
          std::lock_guard<std::mutex> lock(*a->second);
          a->first->push_back(g_get_monotonic_time() / 1e6);
          return GST_PAD_PROBE_OK;
        },
        new std::pair<std::vector<double>*, std::mutex*>(&arrivals, &arrivals_mutex),
        [](gpointer data) {
          delete static_cast<std::pair<std::vector<double>*, std::mutex*>*>(data);
        });
    gst_object_unref(pad);
    gst_object_unref(out);
    ASSERT_NE(p.play(), GST_STATE_CHANGE_FAILURE);
    // A new person every half second (each one track), the broker away from 1.5 s to 3.5 s.
    const auto t0 = std::chrono::steady_clock::now();
    std::thread outage([&] {
      std::this_thread::sleep_until(t0 + milliseconds(1500));
      broker.stop();
      std::this_thread::sleep_until(t0 + milliseconds(3500));
      broker.start();
    });
    for (int f = 0; f < kFrames; ++f) {
      std::this_thread::sleep_until(t0 + milliseconds(1000 * f / kFps));
      const int who = f / 10 + 1;
      p.push(0, frame({{who, static_cast<uint64_t>(who)}}, f, false));
    }
    outage.join();
    p.end(0);
    ASSERT_TRUE(p.wait_eos());
    GstElement* pub = p.get("pub");
    gboolean connected = FALSE;
    guint64 dropped = 1;
    g_object_get(pub, "connected", &connected, "dropped", &dropped, nullptr);
    gst_object_unref(pub);
    EXPECT_TRUE(connected) << "reconnected after the restart";
    EXPECT_EQ(dropped, 0u) << "the outage fits in the default queue";
    p.drain_bus();
    const std::string broker_name = "127.0.0.1:" + std::to_string(broker.port());
    EXPECT_TRUE(std::any_of(p.warnings.begin(), p.warnings.end(), [&](const std::string& w) {
      return w.find("MQTT broker " + broker_name) != std::string::npos;
    })) << "a warning names the broker";
  }
  // Frames kept flowing in real time while the broker was away.
  ASSERT_EQ(arrivals.size(), static_cast<size_t>(kFrames));
  double worst_gap = 0;
  for (size_t i = 1; i < arrivals.size(); ++i)
    worst_gap = std::max(worst_gap, arrivals[i] - arrivals[i - 1]);
  EXPECT_LT(worst_gap, 0.25) << "a frame waited on the broker";
  // Every person's "new" and "end" arrived, those of the outage included.
  ASSERT_TRUE(recorder.wait([](auto& m) { return count_events(m, "end") == kFrames / 10; },
                            milliseconds(15000)))
      << count_events(recorder.messages(), "new") << " new, "
      << count_events(recorder.messages(), "end") << " ended";
  std::set<int> tracks;
  for (const auto& e : payloads(recorder.messages(), "hat/events"))
    if (e["type"] == "new") tracks.insert(e["after"]["track_id"].get<int>());
  EXPECT_EQ(tracks.size(), static_cast<size_t>(kFrames / 10));
}

TEST(HatPublish, AFullQueueDropsTheOldestAndCountsThem) {
  test::MosquittoBroker broker;
  test::MqttRecorder recorder(broker.port(), "hat/#", "queue-recorder");
  broker.stop();
  Pipeline p(
      "hatmatch name=m appsrc name=a0 ! m.sink_0 m.src_0 ! hatpublish name=pub "
      "host=127.0.0.1 port=" +
      std::to_string(broker.port()) +
      " camera-id=lobby max-queue=3 ! fakesink sync=false async=false");
  ASSERT_NE(p.play(), GST_STATE_CHANGE_FAILURE);
  // Each new person is three messages: "new", a reid update and the identity's state.
  for (int f = 0; f < 10; ++f) p.push(0, frame({{f + 1, static_cast<uint64_t>(f + 1)}}, f));
  GstElement* pub = p.get("pub");
  guint64 dropped = 0;
  guint queued = 0;
  for (int i = 0; i < 100 && queued + dropped < 30; ++i) {  // appsrc hands frames on in its thread
    std::this_thread::sleep_for(milliseconds(50));
    g_object_get(pub, "dropped", &dropped, "queued", &queued, nullptr);
  }
  gst_object_unref(pub);
  EXPECT_EQ(queued, 3u);
  EXPECT_EQ(dropped, 27u);
  p.drain_bus();
  EXPECT_TRUE(std::any_of(p.warnings.begin(), p.warnings.end(), [](const std::string& w) {
    return w.find("dropped") != std::string::npos;
  }));
  broker.start();
  auto published = [](const std::vector<ReceivedMessage>& m) {
    std::vector<ReceivedMessage> out;
    for (const auto& x : m)
      if (x.topic != "hat/available") out.push_back(x);
    return out;
  };
  ASSERT_TRUE(
      recorder.wait([&](auto& m) { return published(m).size() >= 3; }, milliseconds(15000)));
  std::this_thread::sleep_for(milliseconds(300));
  const auto got = published(recorder.messages());
  ASSERT_EQ(got.size(), 3u) << "only the newest max-queue messages survive";
  EXPECT_EQ(got[0].topic, "hat/events");
  EXPECT_EQ(json::parse(got[0].payload)["after"]["track_id"], 10);
  EXPECT_EQ(got[1].topic, "hat/tracked_object_update");
}

TEST(HatPublish, BadSettingsAreOneLineErrors) {
  Pipeline p("appsrc name=a0 ! hatpublish ca-file=/nonexistent/ca.pem ! fakesink");
  EXPECT_EQ(p.play(), GST_STATE_CHANGE_FAILURE);
  p.drain_bus();
  ASSERT_FALSE(p.errors.empty());
  EXPECT_EQ(p.errors[0], "MQTT CA file /nonexistent/ca.pem: cannot be read");
}

}  // namespace
}  // namespace hat
