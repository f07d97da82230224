// hat-read-metadata: a small application that reads the plugin's metadata from an appsink,
// as an NVR integration would. It runs detection -> tracking -> embedding on a video file and
// prints each frame's people (box, track id, embedding) through the gst-plugin/roi_meta.h API.
//
//   hat-read-metadata VIDEO MODEL [MAX_FRAMES]
#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "gst-plugin/roi_meta.h"

namespace {

int fail(const std::string& message) {
  std::fprintf(stderr, "hat-read-metadata: %s\n", message.c_str());
  return 1;
}

// Prints one frame; returns the number of people in it.
int print_frame(GstSample* sample, long frame, std::set<int>& tracks) {
  GstBuffer* buffer = gst_sample_get_buffer(sample);
  const auto rois = hat::gst::rois_of_type(buffer, hat::gst::kPersonRoiType);
  std::printf("frame %ld pts %.3f s: %zu people\n", frame,
              static_cast<double>(GST_BUFFER_PTS(buffer)) / GST_SECOND, rois.size());
  for (auto* roi : rois) {
    const cv::Rect box = hat::gst::roi_box(roi);
    std::printf("  box [%d, %d, %d, %d]", box.x, box.y, box.width, box.height);
    if (auto c = hat::gst::roi_confidence(roi)) std::printf(" confidence %.2f", *c);
    if (auto t = hat::gst::roi_track(roi)) {
      std::printf(" track %d (%s)", t->id, t->state.c_str());
      tracks.insert(t->id);
    }
    if (auto e = hat::gst::roi_embedding(roi)) {
      double norm = 0;
      for (float v : e->data) norm += static_cast<double>(v) * v;
      std::printf(" embedding %s %zu-d |e|=%.3f age %d", e->model.c_str(), e->data.size(),
                  std::sqrt(norm), e->age);
    }
    std::printf("\n");
  }
  return static_cast<int>(rois.size());
}

}  // namespace

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  if (argc < 3 || argc > 4) return fail("usage: hat-read-metadata VIDEO MODEL [MAX_FRAMES]");
  const long max_frames = argc == 4 ? std::atol(argv[3]) : -1;
  GError* error = nullptr;
  gchar* video = g_strescape(argv[1], nullptr);
  gchar* model = g_strescape(argv[2], nullptr);
  gchar* description = g_strdup_printf(
      "filesrc location=\"%s\" ! decodebin ! videoconvert ! video/x-raw,format=I420 ! "
      "hatdetect ! hattrack ! hatembed model=\"%s\" ! "
      "appsink name=sink sync=false",
      video, model);
  GstElement* pipeline = gst_parse_launch(description, &error);
  g_free(description);
  g_free(video);
  g_free(model);
  if (pipeline == nullptr || error != nullptr) {
    const std::string message = error ? error->message : "cannot build the pipeline";
    if (error) g_error_free(error);
    if (pipeline) gst_object_unref(pipeline);
    return fail(message);
  }
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  GstBus* bus = gst_element_get_bus(pipeline);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  long frames = 0, people = 0;
  std::set<int> tracks;
  int status = 0;
  while (max_frames < 0 || frames < max_frames) {
    // An error (missing file, bad model) stops the stream without EOS: watch the bus between
    // samples and report it as one line.
    if (GstMessage* msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
      GError* err = nullptr;
      gchar* debug = nullptr;
      gst_message_parse_error(msg, &err, &debug);
      // The debug text's last line names the file for GStreamer's own elements.
      std::string detail = debug ? debug : "";
      detail = detail.substr(
          detail.find_last_of('\n') == std::string::npos ? 0 : detail.find_last_of('\n') + 1);
      status = fail(std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(msg))) + ": " + err->message +
                    (detail.empty() ? "" : " (" + detail + ")"));
      g_error_free(err);
      g_free(debug);
      gst_message_unref(msg);
      break;
    }
    GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), GST_SECOND / 10);
    if (sample == nullptr) {
      if (gst_app_sink_is_eos(GST_APP_SINK(sink))) break;
      continue;
    }
    people += print_frame(sample, frames++, tracks);
    gst_sample_unref(sample);
  }
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
  std::printf("summary: %ld frames, %ld person boxes, %zu tracks\n", frames, people, tracks.size());
  return status;
}
