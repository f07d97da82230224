// The process-wide embedding engines of hatembed: instances that load the same model file on the
// same device share one copy of the weights, and their crops are batched into common forward
// passes by one worker thread (requests that arrive while a pass runs join the next one).
#pragma once

#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <torch/torch.h>

#include "inference/embedding_engine.h"

namespace hat::gst {

class SharedEngine {
 public:
  // The engine for (model file, device, precision, channels-last, CUDA graphs), loaded on first
  // use. hat::Error for a bad model file or option. `options.batch_size` caps a forward pass;
  // the first instance's value is kept.
  static std::shared_ptr<SharedEngine> acquire(const std::string& model_path,
                                               const EngineOptions& options);
  static size_t loaded_count();  // engines alive in this process

  ~SharedEngine();
  SharedEngine(const SharedEngine&) = delete;
  SharedEngine& operator=(const SharedEngine&) = delete;

  // Preprocessed crops [N, 3, H, W] -> embeddings [N, D]; blocks until done. Thread-safe.
  torch::Tensor embed(torch::Tensor inputs);

  const PreprocessConfig& preprocess() const { return engine_.preprocess(); }
  // Where inputs are best prepared: embed() takes them on this device without a copy.
  const torch::Device& device() const { return engine_.device(); }
  int dim() const { return engine_.dim(); }
  const std::string& preset() const { return engine_.config().preset; }
  const std::string& model_file() const { return model_file_; }
  // The model's calibrated match threshold (hat-train adapt); 0 when it has none.
  double match_threshold() const { return match_threshold_; }

  struct Stats {
    long passes = 0;    // forward passes run
    long requests = 0;  // embed() calls served
    long crops = 0;
  };
  Stats stats() const;

 private:
  SharedEngine(LoadedModel model, const EngineOptions& options, std::string model_file);
  void run();

  struct Request {
    torch::Tensor inputs;
    std::promise<torch::Tensor> result;
  };
  double match_threshold_ = 0;  // before engine_, which takes the model over
  EmbeddingEngine engine_;
  std::string model_file_;
  int max_batch_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Request> queue_;
  Stats stats_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace hat::gst
