// Person detectors behind hatdetect: OpenCV's built-in HOG people detector (no model file) and an
// OpenCV DNN ONNX detector with YOLO- or SSD-style outputs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "frame/frame_view.h"

namespace hat::gst {

struct PersonDetection {
  cv::Rect box;       // frame pixels
  double confidence;  // 0..1
};

struct DetectorOptions {
  double threshold = 0.5;  // minimum confidence
  int min_size = 0;        // minimum box height in frame pixels
  double scale = 1.0;      // the frame is resized by this factor before detection
  int class_id = -1;       // ONNX: the person class (-1: 0 for YOLO outputs, 1 for SSD outputs)
  int input_size = 640;    // ONNX: square network input for models without a fixed size
};

class PersonDetector {
 public:
  virtual ~PersonDetector() = default;
  virtual std::vector<PersonDetection> detect(const FrameView& frame) = 0;
  virtual const char* name() const = 0;
};

// HOG + linear SVM (Dalal-Triggs, OpenCV's default people detector): 64x128 windows, so people
// shorter than 128 / scale pixels are missed; confidence is the logistic of the SVM margin.
std::unique_ptr<PersonDetector> make_hog_detector(const DetectorOptions& options);

// hat::Error names the file when it is missing or not a loadable ONNX model.
std::unique_ptr<PersonDetector> make_onnx_detector(const std::string& model_path,
                                                   const DetectorOptions& options);

// Decodes a raw network output into boxes in network-input pixels (exposed for tests):
// [1, N, 5 + C] (YOLOv5: cx, cy, w, h, objectness, class scores), [1, 4 + C, N] (YOLOv8,
// transposed, no objectness) or [1, 1, N, 7] (SSD: image, label, score, x1, y1, x2, y2 in 0..1).
std::vector<PersonDetection> decode_detector_output(const cv::Mat& output, int input_width,
                                                    int input_height,
                                                    const DetectorOptions& options);

}  // namespace hat::gst
