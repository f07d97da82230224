// THE preprocessing of the project: crop -> RGB -> bilinear resize to the model input -> /255 ->
// ImageNet mean/std. The trainer, the evaluator, hat-model and the GStreamer plugin all call
// these functions, so the same crop gives the same embedding everywhere. Steps 1-2 (the crop
// and its RGB pixels) are frame/crop; this header adds the tensor steps.
#pragma once

#include <vector>

#include <torch/types.h>
#include <opencv2/core.hpp>

#include "frame/crop.h"
#include "frame/frame_view.h"
#include "model/preprocess_config.h"

namespace hat {

// Step 3-5: an RGB crop of any size as the model's [3, H, W] float input. hat::Error for an
// empty image or one that is not 8-bit RGB.
torch::Tensor rgb_to_input(const cv::Mat& rgb, const PreprocessConfig& config);

// The whole chain for many boxes of one frame: [N, 3, H, W] (N = 0 for no boxes). hat::Error as
// crop_region for an off-frame or empty box.
torch::Tensor preprocess_boxes(const FrameView& frame, const std::vector<cv::Rect>& boxes,
                               const PreprocessConfig& config);

// The same, with the result on `device`. On a CUDA device (in builds with the CUDA kernels) the
// frame is uploaded once and one kernel launch computes every crop on the GPU, equal to the CPU
// result within float rounding; otherwise the CPU result is moved to the device. hat::Error
// also when the kernel fails to launch (with CUDA's message).
torch::Tensor preprocess_boxes(const FrameView& frame, const std::vector<cv::Rect>& boxes,
                               const PreprocessConfig& config, const torch::Device& device);

// Whether preprocess_boxes runs on the GPU for CUDA devices in this build.
bool gpu_preprocessing_built();

}  // namespace hat
