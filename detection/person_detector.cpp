#include "detection/person_detector.h"

#include <algorithm>
#include <cmath>
#include <fstream>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "base/error.h"
#include "detection/letterbox.h"
#include "detection/onnx_input_shape.h"
#include "frame/crop.h"
#include "frame/frame_gray.h"

namespace hat::gst {
namespace {

constexpr double kNmsIou = 0.45;

std::vector<PersonDetection> filter(std::vector<PersonDetection> found,
                                    const DetectorOptions& options, int width, int height) {
  std::vector<PersonDetection> kept;
  for (auto& d : found) {
    d.box = clip_box(d.box, width, height);
    if (d.box.empty() || d.confidence < options.threshold || d.box.height < options.min_size)
      continue;
    kept.push_back(d);
  }
  return kept;
}

class HogDetector final : public PersonDetector {
 public:
  explicit HogDetector(const DetectorOptions& options) : options_(options) {
    hog_.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
  }

  std::vector<PersonDetection> detect(const FrameView& frame) override {
    cv::Mat gray = frame_gray(frame);
    const double s = options_.scale;
    if (s != 1.0) {
      cv::Mat resized;
      cv::resize(gray, resized, cv::Size(), s, s, s < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR);
      gray = resized;
    }
    std::vector<cv::Rect> boxes;
    std::vector<double> margins;
    if (gray.cols >= hog_.winSize.width && gray.rows >= hog_.winSize.height)
      hog_.detectMultiScale(gray, boxes, margins, 0.0, cv::Size(8, 8), cv::Size(), 1.05, 2.0);
    std::vector<PersonDetection> found;
    for (size_t i = 0; i < boxes.size(); ++i) {
      const cv::Rect& b = boxes[i];
      // HOG boxes carry a margin around the person: trim it as OpenCV's peopledetect sample does.
      const cv::Rect trimmed(static_cast<int>(std::lround((b.x + b.width * 0.1) / s)),
                             static_cast<int>(std::lround((b.y + b.height * 0.07) / s)),
                             static_cast<int>(std::lround(b.width * 0.8 / s)),
                             static_cast<int>(std::lround(b.height * 0.8 / s)));
      found.push_back({trimmed, 1.0 / (1.0 + std::exp(-margins[i]))});
    }
    return filter(std::move(found), options_, frame.width, frame.height);
  }
  const char* name() const override { return "hog"; }

 private:
  DetectorOptions options_;
  cv::HOGDescriptor hog_;
};

class OnnxDetector final : public PersonDetector {
 public:
  OnnxDetector(const std::string& path, const DetectorOptions& options) : options_(options) {
    if (!std::ifstream(path).good()) throw Error(path + ": cannot open the detector model");
    // A model exported at a fixed size is fed at that size; dynamic ones at input-size square.
    const std::vector<int64_t> dims = read_onnx_input_shape(path);
    input_ = cv::Size(options.input_size, options.input_size);
    if (dims.size() == 4 && dims[2] > 0 && dims[3] > 0)
      input_ = cv::Size(static_cast<int>(dims[3]), static_cast<int>(dims[2]));
    try {
      net_ = cv::dnn::readNetFromONNX(path);
    } catch (const cv::Exception& e) {
      throw Error(path + ": not a loadable ONNX model (" + e.err + ")");
    }
    if (net_.empty()) throw Error(path + ": not a loadable ONNX model");
  }

  std::vector<PersonDetection> detect(const FrameView& frame) override {
    // Letterboxed so that boxes map back with one scale.
    const Letterboxed in =
        letterbox(crop_to_rgb(frame, cv::Rect(0, 0, frame.width, frame.height)), input_);
    net_.setInput(cv::dnn::blobFromImage(in.image, 1.0 / 255.0));
    cv::Mat output;
    try {
      output = net_.forward();
    } catch (const cv::Exception& e) {
      throw Error(std::string("the ONNX detector failed: ") + e.err);
    }
    auto found = decode_detector_output(output, input_.width, input_.height, options_);
    const double r = in.scale;
    for (auto& d : found) {
      d.box = cv::Rect(static_cast<int>(d.box.x / r), static_cast<int>(d.box.y / r),
                       static_cast<int>(d.box.width / r), static_cast<int>(d.box.height / r));
    }
    return filter(std::move(found), options_, frame.width, frame.height);
  }
  const char* name() const override { return "onnx"; }

 private:
  DetectorOptions options_;
  cv::Size input_;
  cv::dnn::Net net_;
};

std::vector<PersonDetection> nms(const std::vector<PersonDetection>& found, double threshold) {
  std::vector<cv::Rect> boxes;
  std::vector<float> scores;
  for (const auto& d : found) {
    boxes.push_back(d.box);
    scores.push_back(static_cast<float>(d.confidence));
  }
  std::vector<int> keep;
  // OpenCV asserts a threshold >= 0; a negative one keeps everything, as 0 does.
  cv::dnn::NMSBoxes(boxes, scores, static_cast<float>(std::max(0.0, threshold)),
                    static_cast<float>(kNmsIou), keep);
  std::vector<PersonDetection> kept;
  for (int i : keep) kept.push_back(found[static_cast<size_t>(i)]);
  return kept;
}

}  // namespace

std::vector<PersonDetection> decode_detector_output(const cv::Mat& output, int input_width,
                                                    int input_height,
                                                    const DetectorOptions& options) {
  std::vector<PersonDetection> found;
  if (output.type() != CV_32F)
    throw Error("detector output is not float32 (OpenCV type " + std::to_string(output.type()) +
                ")");
  // A network's output is not trusted to be finite or in range: a candidate with a value that
  // an int cannot hold (NaN, huge) or an empty box is dropped instead of converted (undefined).
  const auto pixel = [](float v, int& out) {
    if (!(std::abs(v) < static_cast<float>(1 << 24))) return false;
    out = static_cast<int>(v);
    return true;
  };
  const auto add = [&found](const cv::Rect& box, double score) {
    if (box.width > 0 && box.height > 0 && std::isfinite(score)) found.push_back({box, score});
  };
  const int dims = output.dims;
  if (dims == 4 && output.size[3] == 7 && output.size[0] == 1 && output.size[1] == 1) {  // SSD
    const int person = options.class_id >= 0 ? options.class_id : 1;
    const cv::Mat rows(output.size[2], 7, CV_32F,
                       const_cast<void*>(static_cast<const void*>(output.ptr<float>())));
    for (int i = 0; i < rows.rows; ++i) {
      const float* d = rows.ptr<float>(i);
      if (d[1] != static_cast<float>(person)) continue;
      int x1, y1, x2, y2;
      if (pixel(d[3] * input_width, x1) && pixel(d[4] * input_height, y1) &&
          pixel(d[5] * input_width, x2) && pixel(d[6] * input_height, y2))
        add(cv::Rect(x1, y1, x2 - x1, y2 - y1), d[2]);
    }
    return nms(found, options.threshold);
  }
  if (dims != 3 || output.size[0] != 1)
    throw Error(
        "unrecognised detector output shape: expected [1, N, 5 + C], [1, 4 + C, N] or [1, 1, N, "
        "7]");
  const int person = options.class_id >= 0 ? options.class_id : 0;
  const int a = output.size[1], b = output.size[2];
  if (a == 0 || b == 0) return found;  // no candidates
  // YOLOv8 exports put the attributes first (84 x 8400); YOLOv5 puts the candidates first
  // (25200 x 85). Real models have far more candidates than attributes.
  const bool transposed = a < b;
  cv::Mat table(a, b, CV_32F, const_cast<void*>(static_cast<const void*>(output.ptr<float>())));
  if (transposed) table = table.t();
  const int attributes = table.cols;
  const bool objectness = !transposed;
  const int first_class = objectness ? 5 : 4;
  if (attributes <= first_class + person)
    throw Error("detector output has " + std::to_string(attributes) +
                " attributes per box: too few for class " + std::to_string(person));
  for (int i = 0; i < table.rows; ++i) {
    const float* d = table.ptr<float>(i);
    double score = d[first_class + person];
    if (objectness) score *= d[4];
    if (!(score >= options.threshold)) continue;  // NaN too
    int x, y, w, h;
    if (pixel(d[0] - d[2] / 2, x) && pixel(d[1] - d[3] / 2, y) && pixel(d[2], w) && pixel(d[3], h))
      add(cv::Rect(x, y, w, h), score);
  }
  return nms(found, options.threshold);
}

std::unique_ptr<PersonDetector> make_hog_detector(const DetectorOptions& options) {
  return std::make_unique<HogDetector>(options);
}

std::unique_ptr<PersonDetector> make_onnx_detector(const std::string& model_path,
                                                   const DetectorOptions& options) {
  return std::make_unique<OnnxDetector>(model_path, options);
}

}  // namespace hat::gst
