// What hatembed does to a frame, without GStreamer: of the frame's ROIs, which to embed now
// (embed_scheduler: re-embed interval, time budget, the longest-waiting first), the crops through
// THE preprocessing (on the GPU when the engine is on CUDA), the forward pass on the process-wide
// shared engine, and the per-track cache that carries a track's last embedding in between.
// The element (gsthatembed.cpp) only turns ROI metas into RoiToEmbed and results back into metas.
//
// Not thread-safe, but for stats(): one streaming thread calls embed() and reset().
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "frame/frame_view.h"
#include "gst-plugin/embed_scheduler.h"
#include "inference/engine_options.h"

namespace hat::gst {

class SharedEngine;

struct RoiToEmbed {
  cv::Rect box;                 // frame pixels (clipped here)
  std::optional<int> track_id;  // object_id from hattrack; untracked ROIs are due every frame
};

struct RoiEmbedding {
  std::vector<float> data;
  int age = 0;  // frames since it was computed (0: from this frame's crop)
};

struct FrameEmbeddings {
  // One entry per RoiToEmbed, in order: empty for ROIs that are off-frame, shorter than
  // min_size, or were due but skipped (over budget) without an earlier embedding to carry.
  std::vector<std::optional<RoiEmbedding>> rois;
  int computed = 0;  // crops through the model on this frame
  int skipped = 0;   // due but over the frame's budget
};

struct FrameEmbedderOptions {
  int reembed_interval = 10;  // frames between two embeddings of one track
  int min_size = 32;          // minimum ROI height in pixels, after clipping to the frame
};

class FrameEmbedder {
 public:
  // Loads the model, or shares the engine another instance in the process loaded with the same
  // file and options. hat::Error for a bad model file or engine option.
  FrameEmbedder(const std::string& model_path, const EngineOptions& engine,
                const FrameEmbedderOptions& options);
  ~FrameEmbedder();
  FrameEmbedder(const FrameEmbedder&) = delete;
  FrameEmbedder& operator=(const FrameEmbedder&) = delete;

  // The next frame. `budget_s`: seconds of inference it may take (< 0: unlimited); crops that
  // are not expected to fit are skipped (never the frame), served first next time, counted.
  // hat::Error when preprocessing or the forward pass fails.
  FrameEmbeddings embed(const FrameView& frame, const std::vector<RoiToEmbed>& rois,
                        double budget_s);

  // A flush: the tracks' cached embeddings are forgotten (frame numbering goes on).
  void reset();

  struct Stats {
    uint64_t embedded = 0;  // crops embedded since construction
    uint64_t skipped = 0;   // due but skipped for the budget
    uint64_t reused = 0;    // ROIs that carried their track's earlier embedding
  };
  Stats stats() const;  // thread-safe

  const std::string& preset() const;      // e.g. "hat-r18"
  const std::string& model_file() const;  // the checkpoint's file name
  double match_threshold() const;         // calibrated by hat-train adapt; 0: none
  int dim() const;
  bool on_gpu() const;

 private:
  std::shared_ptr<SharedEngine> engine_;
  FrameEmbedderOptions options_;
  EmbedScheduler scheduler_;
  CostModel cost_;
  long frame_ = 0;
  std::atomic<uint64_t> embedded_{0}, skipped_{0}, reused_{0};
};

// Seconds of inference a frame may take (< 0: unlimited) under hatembed's time-budget property:
// 0 is unlimited, > 0 is that many milliseconds, < 0 (auto) is 80% of the frame duration on live
// input (1/30 s when the duration is unknown) and unlimited otherwise.
double frame_budget_seconds(double time_budget_ms, bool live, double frame_duration_s);

}  // namespace hat::gst
