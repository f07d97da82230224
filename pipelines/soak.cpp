// hat-soak: the main pipeline (detect -> track -> embed -> match over a gallery file -> events
// -> overlay) on a video looped without end for a set time, as a camera runs for months, while
// its own resident memory, open file descriptors and threads are sampled. It fails when, after
// the warm-up, memory grows more than a bound or descriptors or threads grow at all
// (scripts/soak.sh, docs/RELIABILITY.md). The loop is a segment seek at each end of the file:
// no flush, running time keeps growing, as from a live source.
#include <dirent.h>
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <gst/gst.h>
#include <nlohmann/json.hpp>

#include "base/arg_parser.h"
#include "base/error.h"
#include "base/file_io.h"
#include "base/run_tool.h"
#include "evaluation/line_plot.h"

namespace {

const char* kTop =
    "usage: hat-soak run --model MODEL --video VIDEO --out DIR [--minutes N] ...\n"
    "\n"
    "Runs the main pipeline on VIDEO looped for N minutes and checks that its memory, file\n"
    "descriptors and threads stay flat after the warm-up. 'hat-soak run --help' lists options.\n";

struct Sample {
  double seconds = 0;
  double rss_mib = 0;
  // What the program holds allocated through malloc (glibc's count, all arenas and mmapped
  // blocks): a leak grows it; memory the allocator keeps for reuse grows only rss_mib.
  double heap_mib = 0;
  int fds = 0, threads = 0, loops = 0;
};

// This process's resident memory (MiB) and threads, from /proc/self/status, its open
// descriptors, from /proc/self/fd, and its allocated heap, from glibc.
Sample sample_self() {
  Sample s;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    std::istringstream in(line);
    std::string key;
    in >> key;
    if (key == "VmRSS:") {
      double kib = 0;
      in >> kib;
      s.rss_mib = kib / 1024;
    } else if (key == "Threads:") {
      in >> s.threads;
    }
  }
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (const dirent* e = readdir(dir))
      if (e->d_name[0] != '.') ++s.fds;
    closedir(dir);
    --s.fds;  // the descriptor opendir itself holds
  }
  const struct mallinfo2 heap = mallinfo2();
  s.heap_mib = static_cast<double>(heap.uordblks + heap.hblkhd) / (1024 * 1024);
  return s;
}

bool loop_from_start(GstElement* pipeline, bool flush) {
  const auto flags = static_cast<GstSeekFlags>(GST_SEEK_FLAG_SEGMENT |
                                               (flush ? GST_SEEK_FLAG_FLUSH : GST_SEEK_FLAG_NONE));
  return gst_element_seek(pipeline, 1.0, GST_FORMAT_TIME, flags, GST_SEEK_TYPE_SET, 0,
                          GST_SEEK_TYPE_NONE, GST_CLOCK_TIME_NONE);
}

std::string quoted(const std::string& path) { return "\"" + path + "\""; }

int run(const std::vector<std::string>& args) {
  hat::ArgParser p("hat-soak run", "the main pipeline on a looped video, its resources sampled");
  p.option("model", "MODEL", "hatembed's model file")
      .option("video", "VIDEO", "the video to loop (e.g. data/vtest.avi)")
      .option("out", "DIR", "where samples.csv, soak.png, summary.json and the gallery go")
      .option("minutes", "N", "how long to run", "60")
      .option("warmup", "S", "seconds before the baseline is taken", "60")
      .option("sample-every", "S", "seconds between samples", "10")
      .option("max-rss-growth", "MIB", "memory growth allowed after the warm-up", "32")
      .option("max-gallery-size", "N",
              "hatmatch's in-memory sightings: reached in the warm-up, so that what grows after "
              "it is not the index",
              "300")
      .option("detect", "PROPS", "hatdetect properties, e.g. \"detector=hog\"", "")
      .flag("no-sync", "run as fast as the CPU allows instead of at the video's frame rate");
  if (!p.parse(args)) return 0;
  for (const char* required : {"model", "video", "out"})
    if (!p.has(required)) throw hat::UsageError(std::string("--") + required + " is required");
  const double minutes = p.get_double("minutes", 0.05, 60 * 24 * 30);
  const double warmup = p.get_double("warmup", 0, 3600);
  const double every = p.get_double("sample-every", 0.5, 3600);
  const double max_growth = p.get_double("max-rss-growth", 0, 1 << 20);
  const std::string out = p.get("out");
  hat::create_folders(out);
  for (const char* f : {"gallery.db", "gallery.db-wal", "gallery.db-shm"})
    std::remove((out + "/" + f).c_str());

  gst_init(nullptr, nullptr);
  const std::string description =
      "filesrc location=" + quoted(p.get("video")) +
      " ! decodebin ! videoconvert ! video/x-raw,format=I420 ! hatdetect " +
      (p.has("detect") ? p.get("detect") : "") +
      " ! hattrack ! hatembed model=" + quoted(p.get("model")) +
      " ! hatmatch gallery-location=" + quoted(out + "/gallery.db") +
      " max-gallery-size=" + std::to_string(p.get_int("max-gallery-size", 1, 1 << 30)) +
      " ! hatevents location=" + quoted(out + "/events.jsonl") +
      " ! hatoverlay ! fakesink sync=" + (p.flag_set("no-sync") ? "false" : "true");
  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch(description.c_str(), &error);
  if (!pipeline || error) {
    const std::string what = error ? error->message : "unknown error";
    if (error) g_error_free(error);
    if (pipeline) gst_object_unref(pipeline);
    throw hat::Error("hat-soak: cannot make the pipeline (" + what + "): " + description);
  }
  GstBus* bus = gst_element_get_bus(pipeline);
  gst_element_set_state(pipeline, GST_STATE_PAUSED);

  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&start] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  std::vector<Sample> samples;
  std::string failure;
  int loops = 0;
  bool playing = false;
  double next_sample = 0;
  while (failure.empty() && elapsed() < minutes * 60) {
    GstMessage* m = gst_bus_timed_pop(bus, 100 * GST_MSECOND);
    if (m) {
      switch (GST_MESSAGE_TYPE(m)) {
        case GST_MESSAGE_ERROR: {
          GError* e = nullptr;
          gst_message_parse_error(m, &e, nullptr);
          failure = std::string("the pipeline failed: ") + GST_OBJECT_NAME(m->src) + ": " +
                    (e ? e->message : "unknown error");
          if (e) g_error_free(e);
          break;
        }
        case GST_MESSAGE_ASYNC_DONE:
          if (!playing) {  // prerolled: the first segment seek, then play
            if (!loop_from_start(pipeline, true)) failure = "the video cannot be looped (seek)";
            gst_element_set_state(pipeline, GST_STATE_PLAYING);
            playing = true;
          }
          break;
        case GST_MESSAGE_SEGMENT_DONE:
          ++loops;
          if (!loop_from_start(pipeline, false)) failure = "the video cannot be looped (seek)";
          break;
        case GST_MESSAGE_EOS:
          failure = "end of stream although the video was looped";
          break;
        default:
          break;
      }
      gst_message_unref(m);
    }
    if (elapsed() >= next_sample) {
      Sample s = sample_self();
      s.seconds = elapsed();
      s.loops = loops;
      samples.push_back(s);
      next_sample += every;
    }
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipeline);

  // The baseline: the first sample at or after the warm-up, by when hatmatch's index is full
  // (max-gallery-size). Memory may grow by the bound (identities, a few hundred bytes each, and
  // the allocator's fragmentation); descriptors and threads may not grow at all: each one more
  // is a handle or a thread leaked per track or per loop.
  const auto base = std::find_if(samples.begin(), samples.end(),
                                 [warmup](const Sample& s) { return s.seconds >= warmup; });
  double growth = 0;
  int fd_growth = 0, thread_growth = 0;
  if (failure.empty() && (base == samples.end() || base + 1 >= samples.end()))
    failure = "too short: no samples after the warm-up (--minutes must exceed --warmup)";
  if (failure.empty()) {
    for (auto s = base + 1; s != samples.end(); ++s) {
      growth = std::max(growth, s->rss_mib - base->rss_mib);
      fd_growth = std::max(fd_growth, s->fds - base->fds);
      thread_growth = std::max(thread_growth, s->threads - base->threads);
    }
    if (loops < 1)
      failure = "the video never looped: run longer than the video lasts";
    else if (growth > max_growth)
      failure = "resident memory grew by " + std::to_string(growth) +
                " MiB after the warm-up (bound " + std::to_string(max_growth) + " MiB)";
    else if (fd_growth > 0)
      failure = "open file descriptors grew by " + std::to_string(fd_growth) + " after the warm-up";
    else if (thread_growth > 0)
      failure = "threads grew by " + std::to_string(thread_growth) + " after the warm-up";
  }

  std::ostringstream csv;
  csv << "seconds,rss_mib,heap_mib,fds,threads,loops\n";
  hat::Series rss{"resident memory (MiB)", {}, {}}, heap{"heap held (MiB)", {}, {}},
      fds{"open descriptors", {}, {}}, threads{"threads", {}, {}};
  for (const auto& s : samples) {
    csv << s.seconds << ',' << s.rss_mib << ',' << s.heap_mib << ',' << s.fds << ',' << s.threads
        << ',' << s.loops << '\n';
    for (auto* series : {&rss, &heap, &fds, &threads}) series->x.push_back(s.seconds / 60);
    rss.y.push_back(s.rss_mib);
    heap.y.push_back(s.heap_mib);
    fds.y.push_back(s.fds);
    threads.y.push_back(s.threads);
  }
  const std::string text = csv.str();
  hat::write_file_atomically(out + "/samples.csv", text.data(), text.size());
  if (!samples.empty())
    hat::write_line_plot(out + "/soak.png", "hat-soak: the main pipeline on a looped video",
                         "minutes", "MiB / count", {rss, heap, fds, threads}, 0, 0);
  const nlohmann::json summary = {
      {"minutes", elapsed() / 60},
      {"loops", loops},
      {"samples", samples.size()},
      {"baseline", base != samples.end() ? nlohmann::json{{"seconds", base->seconds},
                                                          {"rss_mib", base->rss_mib},
                                                          {"fds", base->fds},
                                                          {"threads", base->threads}}
                                         : nlohmann::json(nullptr)},
      {"rss_growth_mib", growth},
      {"rss_bound_mib", max_growth},
      {"fd_growth", fd_growth},
      {"thread_growth", thread_growth},
      {"passed", failure.empty()},
      {"failure", failure}};
  hat::write_json_file(out + "/summary.json", summary);
  std::printf(
      "hat-soak: %.1f min, %d loops of the video, %zu samples; memory %+.1f MiB after the "
      "warm-up (bound %.0f), descriptors %+d, threads %+d\n",
      elapsed() / 60, loops, samples.size(), growth, max_growth, fd_growth, thread_growth);
  if (!failure.empty()) throw hat::Error("hat-soak: " + failure + " (" + out + "/soak.png)");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return hat::run_tool("hat-soak", kTop, {{"run", run}}, argc, argv);
}
