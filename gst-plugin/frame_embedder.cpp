#include "gst-plugin/frame_embedder.h"

#include <chrono>

#include "frame/crop.h"
#include "gst-plugin/shared_engine.h"
#include "inference/preprocess.h"

namespace hat::gst {

namespace {
constexpr double kLiveBudgetShare = 0.8;  // of the frame duration, in auto mode on live input
}

FrameEmbedder::FrameEmbedder(const std::string& model_path, const EngineOptions& engine,
                             const FrameEmbedderOptions& options)
    : engine_(SharedEngine::acquire(model_path, engine)),
      options_(options),
      scheduler_(options.reembed_interval) {}

FrameEmbedder::~FrameEmbedder() = default;  // the last user's release frees the weights

FrameEmbeddings FrameEmbedder::embed(const FrameView& frame, const std::vector<RoiToEmbed>& rois,
                                     double budget_s) {
  const long frame_no = frame_++;
  FrameEmbeddings out;
  out.rois.resize(rois.size());
  std::vector<size_t> roi_of;  // candidate index -> ROI index
  std::vector<cv::Rect> boxes;
  std::vector<EmbedCandidate> candidates;
  for (size_t r = 0; r < rois.size(); ++r) {
    const cv::Rect box = clip_box(rois[r].box, frame.width, frame.height);
    if (box.empty() || box.height < options_.min_size) continue;  // zero-size, off-frame, small
    roi_of.push_back(r);
    boxes.push_back(box);
    candidates.push_back({rois[r].track_id});
  }
  if (candidates.empty()) return out;
  const int capacity = budget_s < 0 ? -1 : cost_.affordable(budget_s);
  const auto plan = scheduler_.plan(frame_no, candidates, capacity);

  if (!plan.compute.empty()) {
    std::vector<cv::Rect> crop_boxes;
    for (int i : plan.compute) crop_boxes.push_back(boxes[static_cast<size_t>(i)]);
    const auto start = std::chrono::steady_clock::now();
    // On a CUDA device the crops are made on the GPU, by one kernel launch for the frame.
    const torch::Tensor inputs =
        preprocess_boxes(frame, crop_boxes, engine_->preprocess(), engine_->device());
    const torch::Tensor embeddings = engine_->embed(inputs).contiguous();
    cost_.observe(static_cast<int>(crop_boxes.size()),
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    const int dim = static_cast<int>(embeddings.size(1));
    for (size_t k = 0; k < plan.compute.size(); ++k) {
      const auto i = static_cast<size_t>(plan.compute[k]);
      const float* row = embeddings.data_ptr<float>() + static_cast<int64_t>(k) * dim;
      RoiEmbedding e{std::vector<float>(row, row + dim), 0};
      if (const auto& t = candidates[i].track_id) scheduler_.store(*t, frame_no, e.data);
      out.rois[roi_of[i]] = std::move(e);
    }
  }
  for (const auto& [i, track] : plan.reuse) {
    long computed_at = 0;
    if (const auto* cached = scheduler_.cached(track, &computed_at))
      out.rois[roi_of[static_cast<size_t>(i)]] =
          RoiEmbedding{*cached, static_cast<int>(frame_no - computed_at)};
  }
  out.computed = static_cast<int>(plan.compute.size());
  out.skipped = plan.skipped;
  embedded_ += plan.compute.size();
  skipped_ += static_cast<uint64_t>(plan.skipped);
  reused_ += plan.reuse.size();
  return out;
}

void FrameEmbedder::reset() { scheduler_.reset(); }

FrameEmbedder::Stats FrameEmbedder::stats() const {
  return {embedded_.load(), skipped_.load(), reused_.load()};
}

const std::string& FrameEmbedder::preset() const { return engine_->preset(); }
const std::string& FrameEmbedder::model_file() const { return engine_->model_file(); }
double FrameEmbedder::match_threshold() const { return engine_->match_threshold(); }
int FrameEmbedder::dim() const { return engine_->dim(); }
bool FrameEmbedder::on_gpu() const { return engine_->device().is_cuda(); }

double frame_budget_seconds(double time_budget_ms, bool live, double frame_duration_s) {
  if (time_budget_ms == 0.0) return -1.0;
  if (time_budget_ms > 0.0) return time_budget_ms / 1000.0;
  if (!live) return -1.0;
  return kLiveBudgetShare * (frame_duration_s > 0.0 ? frame_duration_s : 1.0 / 30.0);
}

}  // namespace hat::gst
