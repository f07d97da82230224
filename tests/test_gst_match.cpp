// GstHarness tests of hatmatch with two and three cameras: paired request pads, per-pad
// camera-id, identities shared across cameras, the reid-identity structure, hat-identity bus
// messages and JSON events, the persistent gallery and enrolled labels, launch-line use, and
// clear errors for a corrupt gallery, duplicate camera ids and another model's embeddings.
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "base/file_io.h"
#include "gallery/sqlite_gallery_store.h"
#include "gst-plugin/roi_meta.h"
#include "tests/gst_test_support.h"
#include "tests/test_env.h"
#include "tests/test_scene.h"

namespace hat {
namespace {

namespace g = hat::gst;

constexpr int kW = 320, kH = 240, kDim = 32;

std::vector<float> person(uint64_t seed, double noise = 0, uint64_t noise_seed = 0) {
  return test::person_embedding(seed, kDim, noise, noise_seed);
}

struct Roi {
  int track;
  std::vector<float> embedding;  // empty: none on this frame
  std::string model = "tiny";
};

GstBuffer* frame(const std::vector<Roi>& rois, GstClockTime pts) {
  GstBuffer* b = test::make_frame(test::test_scene(kW, kH), "RGB", pts);
  for (const auto& r : rois) {
    auto* roi = g::add_person_roi(b, cv::Rect(20 * r.track, 40, 30, 90), kW, kH, 0.9, "test");
    g::set_track(roi, {r.track, "tracked", 5});
    if (!r.embedding.empty()) g::set_embedding(roi, {r.model, "test.hat", r.embedding, 0});
  }
  return b;
}

// track id -> the reid-identity on its ROI.
std::map<int, g::Identity> identities(GstBuffer* b) {
  std::map<int, g::Identity> out;
  for (auto* roi : g::rois_of_type(b, g::kPersonRoiType))
    if (const auto id = g::roi_identity(roi)) out[g::roi_track(roi)->id] = *id;
  return out;
}

class HatMatch : public ::testing::Test {
 protected:
  void SetUp() override {
    test::init_gstreamer();
    bus_ = gst_bus_new();
  }
  void TearDown() override {
    for (auto* h : harnesses_) gst_harness_teardown(h);
    if (element_) gst_object_unref(element_);
    gst_object_unref(bus_);
  }
  // hatmatch with `properties` (gst-launch syntax) and one harness per camera.
  void start(const std::string& properties, const std::vector<std::string>& cameras) {
    GError* error = nullptr;
    element_ = gst_parse_launch(("hatmatch " + properties).c_str(), &error);
    ASSERT_EQ(error, nullptr) << error->message;
    gst_object_ref_sink(element_);
    gst_element_set_bus(element_, bus_);
    for (size_t i = 0; i < cameras.size(); ++i) {
      const std::string sink = "sink_" + std::to_string(i), src = "src_" + std::to_string(i);
      GstPad* pad = gst_element_request_pad_simple(element_, sink.c_str());
      ASSERT_NE(pad, nullptr);
      g_object_set(pad, "camera-id", cameras[i].c_str(), nullptr);
      gst_object_unref(pad);
    }
    for (size_t i = 0; i < cameras.size(); ++i) {
      GstHarness* h = gst_harness_new_with_element(element_, ("sink_" + std::to_string(i)).c_str(),
                                                   ("src_" + std::to_string(i)).c_str());
      gst_harness_set_src_caps_str(h, test::video_caps("RGB", kW, kH).c_str());
      harnesses_.push_back(h);
    }
  }
  // Pushes on camera `c`, returns the identities of the buffer that comes out of its src pad.
  std::map<int, g::Identity> push(size_t c, const std::vector<Roi>& rois, int frame_index) {
    EXPECT_EQ(gst_harness_push(harnesses_[c], frame(rois, frame_index * GST_SECOND / 10)),
              GST_FLOW_OK);
    GstBuffer* out = gst_harness_pull(harnesses_[c]);
    auto ids = identities(out);
    gst_buffer_unref(out);
    return ids;
  }
  std::vector<GstStructure*> messages(const char* name) {
    std::vector<GstStructure*> out;
    while (GstMessage* m = gst_bus_pop(bus_)) {
      const GstStructure* s = gst_message_get_structure(m);
      if (s && gst_structure_has_name(s, name)) out.push_back(gst_structure_copy(s));
      gst_message_unref(m);
    }
    return out;
  }
  std::string error_message() {
    std::string text;
    while (GstMessage* m = gst_bus_pop(bus_)) {
      if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
        GError* e = nullptr;
        gst_message_parse_error(m, &e, nullptr);
        text = e->message;
        g_error_free(e);
      }
      gst_message_unref(m);
    }
    return text;
  }

  GstElement* element_ = nullptr;
  GstBus* bus_ = nullptr;
  std::vector<GstHarness*> harnesses_;
};

TEST_F(HatMatch, RequestPadsComeInPairsWithACameraIdEach) {
  GstElement* m = gst_element_factory_make("hatmatch", nullptr);
  GstPad* src1 = gst_element_request_pad_simple(m, "src_1");  // asking for either half
  ASSERT_NE(src1, nullptr);
  GstPad* sink1 = gst_element_get_static_pad(m, "sink_1");
  ASSERT_NE(sink1, nullptr);
  gchar* camera = nullptr;
  g_object_get(sink1, "camera-id", &camera, nullptr);
  EXPECT_STREQ(camera, "camera-1");
  g_free(camera);
  GstPad* next = gst_element_request_pad_simple(m, "sink_%u");  // the lowest free index
  EXPECT_STREQ(GST_PAD_NAME(next), "sink_0");
  EXPECT_EQ(GST_ELEMENT(m)->numpads, 4u);
  gst_element_release_request_pad(m, src1);
  EXPECT_EQ(GST_ELEMENT(m)->numpads, 2u);
  for (GstPad* p : {src1, sink1, next}) gst_object_unref(p);
  gst_object_unref(m);
}

TEST_F(HatMatch, KeepsABoundedNumberOfThumbnailsPerIdentityInTheGallery) {
  const std::string path = test::scratch_dir() + "/thumbnails.db";
  start("gallery-location=" + path + " thumbnails=2 thumbnail-size=48 sighting-interval=0",
        {"lobby"});
  std::map<int, g::Identity> ids;
  for (int f = 0; f < 6; ++f) ids = push(0, {{1, person(1, 0.2, f)}, {2, person(2, 0.2, f)}}, f);
  for (auto* h : harnesses_) gst_harness_teardown(h);  // stops hatmatch: the sightings are written
  harnesses_.clear();
  const SqliteGalleryStore store(path, {.read_only = true});
  for (const int track : {1, 2}) {
    const int64_t identity = ids.at(track).global_id;
    const auto best = store.best_thumbnail(identity);
    ASSERT_TRUE(best) << "track " << track;
    const std::string jpeg = *store.thumbnail(*best);
    const cv::Mat picture =
        cv::imdecode(std::vector<uchar>(jpeg.begin(), jpeg.end()), cv::IMREAD_COLOR);
    ASSERT_FALSE(picture.empty());
    EXPECT_EQ(picture.rows, 48);  // the 90-pixel box, scaled to thumbnail-size
    EXPECT_EQ(picture.cols, 16);  // 30 x 48 / 90, rounded
    int with = 0, all = 0;
    for (const auto& s : store.sightings_of(identity, {})) {
      with += s.has_thumbnail;
      ++all;
    }
    EXPECT_EQ(all, 6);
    EXPECT_EQ(with, 2) << "thumbnails=2 per identity";
  }
}

TEST_F(HatMatch, CamerasShareGlobalIdentitiesAndReportThem) {
  const std::string events = test::scratch_dir() + "/identities.jsonl";
  start("events-location=" + events, {"lobby", "garage", "street"});
  const auto alice = person(1), bob = person(2);
  std::map<int, g::Identity> lobby;
  for (int f = 0; f < 3; ++f) lobby = push(0, {{1, person(1, 0.2, f)}, {2, person(2, 0.2, f)}}, f);
  ASSERT_EQ(lobby.size(), 2u);
  EXPECT_NE(lobby[1].global_id, lobby[2].global_id);
  EXPECT_TRUE(lobby[1].label.empty());
  // Alice walks into the garage, bob into the street; a stranger appears in the street.
  const auto garage = push(1, {{4, person(1, 0.2, 10)}}, 5);
  EXPECT_EQ(garage.at(4).global_id, lobby[1].global_id);
  EXPECT_GT(garage.at(4).distance, 0.0) << garage.at(4).global_id;
  EXPECT_LT(garage.at(4).distance, 0.3);
  const auto street = push(2, {{1, person(2, 0.2, 11)}, {2, person(3)}}, 6);
  EXPECT_EQ(street.at(1).global_id, lobby[2].global_id);
  EXPECT_NE(street.at(2).global_id, lobby[1].global_id);
  EXPECT_NE(street.at(2).global_id, lobby[2].global_id);
  // Frames without new embeddings still carry the identities; no buffer crosses cameras.
  EXPECT_EQ(push(1, {{4, {}}}, 6).at(4).global_id, lobby[1].global_id);
  EXPECT_EQ(gst_harness_buffers_in_queue(harnesses_[0]), 0u);

  guint identities_seen = 0;
  g_object_get(element_, "identities", &identities_seen, nullptr);
  EXPECT_EQ(identities_seen, 3u);
  const auto posted = messages("hat-identity");
  ASSERT_EQ(posted.size(), 5u);  // lobby x2 new, garage matched, street matched + new
  std::map<std::string, int> kinds;
  for (auto* s : posted) {
    kinds[gst_structure_get_string(s, "event")]++;
    for (const char* field : {"camera", "track", "global-id", "distance", "timestamp", "label"})
      EXPECT_TRUE(gst_structure_has_field(s, field)) << field;
    gst_structure_free(s);
  }
  EXPECT_EQ(kinds["new"], 3);
  EXPECT_EQ(kinds["matched"], 2);

  for (auto* h : harnesses_) gst_harness_teardown(h);
  harnesses_.clear();
  std::ifstream in(events);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[2]["camera"], "garage");
  EXPECT_EQ(lines[2]["event"], "matched");
  EXPECT_EQ(lines[2]["global_id"], lobby[1].global_id);
  EXPECT_EQ(lines[2]["pts"], 5 * GST_SECOND / 10);
  EXPECT_EQ(lines[2]["box"].size(), 4u);
  EXPECT_EQ(lines[2]["time"].get<std::string>().back(), 'Z');
}

TEST_F(HatMatch, TheGalleryFilePersistsIdentitiesAndEnrolledNamesLabelMatches) {
  const std::string gallery = test::scratch_dir() + "/gallery.db";
  {
    SqliteGalleryStore store(gallery);
    store.require_space({"tiny", kDim});
    std::vector<SightingRecord> s(1);
    s[0].identity = store.create_identity("dave", 1);
    s[0].camera = "enrolment";
    s[0].enrolled = true;
    s[0].embedding = person(9);
    s[0].time_us = 1;
    store.add_sightings(s);
  }
  start("gallery-location=" + gallery, {"lobby"});
  auto ids = push(0, {{1, person(1)}, {2, person(9, 0.2, 3)}}, 0);
  EXPECT_EQ(ids.at(2).label, "dave");
  EXPECT_TRUE(ids.at(1).label.empty());
  const int alice = ids.at(1).global_id;
  for (auto* h : harnesses_) gst_harness_teardown(h);  // the pipeline stops: sightings written
  harnesses_.clear();
  gst_object_unref(element_);
  element_ = nullptr;
  struct stat st {};
  ASSERT_EQ(stat(gallery.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  start("gallery-location=" + gallery, {"garage"});  // a later run, another camera
  ids = push(0, {{3, person(1, 0.2, 5)}}, 0);
  EXPECT_EQ(ids.at(3).global_id, alice);
  SqliteGalleryStore store(gallery, {.read_only = true});
  EXPECT_EQ(store.sighting_count(), 4);  // dave's image, two from the lobby, one from the garage
}

TEST_F(HatMatch, BadGalleriesDuplicateCamerasAndOtherModelsAreClearErrors) {
  const std::string dir = test::scratch_dir();
  const std::string corrupt = dir + "/corrupt.db";
  const std::string junk(4096, 'x');
  write_file_atomically(corrupt, junk.data(), junk.size());
  for (const auto& [properties, expected] : std::vector<std::pair<std::string, std::string>>{
           {"gallery-location=" + corrupt, "gallery " + corrupt + " is corrupt or not a gallery"},
           {"gallery-location=" + dir + "/no/such/dir/g.db", "cannot create"},
           {"events-location=" + dir + "/no/such/dir/e.jsonl", "cannot open for writing"}}) {
    GstElement* m = gst_parse_launch(("hatmatch " + properties).c_str(), nullptr);
    gst_element_set_bus(m, bus_);
    gst_object_unref(gst_element_request_pad_simple(m, "sink_0"));
    EXPECT_EQ(gst_element_set_state(m, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
    EXPECT_NE(error_message().find(expected), std::string::npos) << properties;
    gst_element_set_state(m, GST_STATE_NULL);
    gst_object_unref(m);
  }
  EXPECT_EQ(read_file(corrupt), junk);  // nothing overwritten

  GstElement* m = gst_element_factory_make("hatmatch", nullptr);
  gst_element_set_bus(m, bus_);
  for (const char* name : {"sink_0", "sink_1"}) {
    GstPad* pad = gst_element_request_pad_simple(m, name);
    g_object_set(pad, "camera-id", "door", nullptr);
    gst_object_unref(pad);
  }
  EXPECT_EQ(gst_element_set_state(m, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  EXPECT_NE(error_message().find("pads sink_0 and sink_1 both have camera-id 'door'"),
            std::string::npos);
  gst_element_set_state(m, GST_STATE_NULL);
  gst_object_unref(m);

  start("", {"a", "b"});
  push(0, {{1, person(1)}}, 0);
  EXPECT_EQ(
      gst_harness_push(harnesses_[1], frame({{1, std::vector<float>(64, 1.0f), "hat-r18"}}, 0)),
      GST_FLOW_ERROR);
  EXPECT_NE(error_message().find("camera b: embeddings of hat-r18 (64-d) cannot be matched"),
            std::string::npos);
}

TEST_F(HatMatch, RunsInALaunchLineWithPerPadProperties) {
  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch(
      "hatmatch name=m sink_0::camera-id=lobby sink_1::camera-id=garage "
      "videotestsrc num-buffers=5 ! video/x-raw,width=64,height=48 ! m.sink_0 "
      "videotestsrc num-buffers=7 ! video/x-raw,width=64,height=48 ! m.sink_1 "
      "m.src_0 ! fakesink name=out0 m.src_1 ! fakesink name=out1",
      &error);
  ASSERT_EQ(error, nullptr) << error->message;
  GstElement* m = gst_bin_get_by_name(GST_BIN(pipeline), "m");
  GstPad* sink1 = gst_element_get_static_pad(m, "sink_1");
  gchar* camera = nullptr;
  g_object_get(sink1, "camera-id", &camera, nullptr);
  EXPECT_STREQ(camera, "garage");
  g_free(camera);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* msg = gst_bus_timed_pop_filtered(
      bus, 20 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  ASSERT_NE(msg, nullptr);
  EXPECT_EQ(GST_MESSAGE_TYPE(msg), GST_MESSAGE_EOS);
  gst_message_unref(msg);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(sink1);
  gst_object_unref(m);
  gst_object_unref(pipeline);
}

}  // namespace
}  // namespace hat
