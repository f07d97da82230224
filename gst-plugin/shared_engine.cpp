#include "gst-plugin/shared_engine.h"

#include <climits>
#include <cstdlib>
#include <map>
#include <vector>

namespace hat::gst {
namespace {

std::mutex registry_mutex;
std::map<std::string, std::weak_ptr<SharedEngine>>& registry() {
  static std::map<std::string, std::weak_ptr<SharedEngine>> engines;
  return engines;
}

std::string canonical(const std::string& path) {
  char resolved[PATH_MAX];
  return realpath(path.c_str(), resolved) != nullptr ? std::string(resolved) : path;
}

std::string base_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::shared_ptr<SharedEngine> SharedEngine::acquire(const std::string& model_path,
                                                    const EngineOptions& options) {
  // Instances share an engine only when it computes what each asked for.
  const std::string key = canonical(model_path) + "|" + parse_device(options.device).str() + "|" +
                          options.precision + (options.channels_last ? "|nhwc" : "") +
                          (options.cuda_graphs ? "|graphs" : "");
  std::lock_guard<std::mutex> lock(registry_mutex);
  if (auto existing = registry()[key].lock()) return existing;
  std::shared_ptr<SharedEngine> engine(
      new SharedEngine(load_model(model_path), options, base_name(model_path)));
  registry()[key] = engine;
  return engine;
}

size_t SharedEngine::loaded_count() {
  std::lock_guard<std::mutex> lock(registry_mutex);
  size_t n = 0;
  for (const auto& [key, weak] : registry()) n += weak.expired() ? 0 : 1;
  return n;
}

SharedEngine::SharedEngine(LoadedModel model, const EngineOptions& options, std::string model_file)
    : match_threshold_(calibrated_match_threshold(model.provenance).value_or(0.0)),
      engine_(std::move(model), options),
      model_file_(std::move(model_file)),
      max_batch_(options.batch_size) {
  worker_ = std::thread([this] { run(); });
}

SharedEngine::~SharedEngine() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

torch::Tensor SharedEngine::embed(torch::Tensor inputs) {
  std::future<torch::Tensor> result;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(Request{std::move(inputs), {}});
    result = queue_.back().result.get_future();
  }
  wake_.notify_one();
  return result.get();
}

SharedEngine::Stats SharedEngine::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void SharedEngine::run() {
  for (;;) {
    std::vector<Request> batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left to serve
      // Everything waiting joins this pass, up to the batch cap (a single large request always
      // goes, the engine splits it).
      long crops = 0;
      while (!queue_.empty() &&
             (batch.empty() || crops + queue_.front().inputs.size(0) <= max_batch_)) {
        crops += queue_.front().inputs.size(0);
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      ++stats_.passes;
      stats_.requests += static_cast<long>(batch.size());
      stats_.crops += crops;
    }
    try {
      std::vector<torch::Tensor> inputs;
      for (auto& r : batch) inputs.push_back(r.inputs);
      const torch::Tensor out = engine_.embed_inputs(torch::cat(inputs));
      int64_t offset = 0;
      for (auto& r : batch) {
        const int64_t n = r.inputs.size(0);
        r.result.set_value(out.narrow(0, offset, n).clone());
        offset += n;
      }
    } catch (...) {
      for (auto& r : batch) r.result.set_exception(std::current_exception());
    }
  }
}

}  // namespace hat::gst
