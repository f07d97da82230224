// Mixed precision for a scope: while alive, the device's autocast runs matrix products and
// convolutions in `dtype` (bf16 or fp16) and keeps precision-sensitive ops in float32. Used by
// inference (EmbeddingEngine) and training alike; with `on` false it does nothing.
#pragma once

#include <string>

#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include "base/error.h"

namespace hat {

// "fp32", "bf16" or "fp16" (the names of every --precision/--amp option) as a dtype.
inline torch::ScalarType parse_precision(const std::string& name) {
  if (name == "fp32") return torch::kFloat32;
  if (name == "bf16") return torch::kBFloat16;
  if (name == "fp16") return torch::kHalf;
  throw Error("invalid precision '" + name + "' (expected fp32, bf16 or fp16)");
}

class AutocastScope {
 public:
  AutocastScope(bool on, c10::DeviceType device, torch::ScalarType dtype, bool cache_casts = true)
      : on_(on), device_(device) {
    if (!on_) return;
    was_enabled_ = at::autocast::is_autocast_enabled(device_);
    was_dtype_ = at::autocast::get_autocast_dtype(device_);
    was_caching_ = at::autocast::is_autocast_cache_enabled();
    at::autocast::set_autocast_enabled(device_, true);
    at::autocast::set_autocast_dtype(device_, dtype);
    // A CUDA graph must not capture casts held in the cache, which is emptied on exit.
    at::autocast::set_autocast_cache_enabled(cache_casts);
    at::autocast::increment_nesting();
  }
  ~AutocastScope() {
    if (!on_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(device_, was_enabled_);
    at::autocast::set_autocast_dtype(device_, was_dtype_);
    at::autocast::set_autocast_cache_enabled(was_caching_);
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool on_;
  c10::DeviceType device_;
  bool was_enabled_ = false;
  torch::ScalarType was_dtype_ = torch::kBFloat16;
  bool was_caching_ = true;
};

}  // namespace hat
