#include "model/preprocess.h"

#include <nlohmann/json.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "model/error.h"

namespace hat {

PreprocessConfig PreprocessConfig::for_model(const HatConfig& config) {
  PreprocessConfig p;
  p.height = config.input_height;
  p.width = config.input_width;
  return p;
}

bool PreprocessConfig::operator==(const PreprocessConfig& o) const {
  return height == o.height && width == o.width && mean == o.mean && std == o.std;
}

nlohmann::json to_json(const PreprocessConfig& p) {
  return {{"input_size", {p.height, p.width}},
          {"color", "RGB"},
          {"resize", "bilinear, half-pixel centres, no antialias"},
          {"scale", 1.0 / 255.0},
          {"mean", p.mean},
          {"std", p.std}};
}

PreprocessConfig preprocess_from_json(const nlohmann::json& j) {
  PreprocessConfig p;
  try {
    p.height = j.at("input_size").at(0).get<int>();
    p.width = j.at("input_size").at(1).get<int>();
    p.mean = j.at("mean").get<std::array<float, 3>>();
    p.std = j.at("std").get<std::array<float, 3>>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("invalid preprocessing description: ") + e.what());
  }
  if (p.height <= 0 || p.width <= 0) throw Error("invalid preprocessing description: input size");
  return p;
}

FrameView FrameView::from_bgr(const cv::Mat& bgr) {
  FrameView f;
  f.format = bgr.channels() == 1 ? PixelFormat::kGray8 : PixelFormat::kBGR;
  f.width = bgr.cols;
  f.height = bgr.rows;
  f.planes[0] = bgr.data;
  f.strides[0] = static_cast<int>(bgr.step[0]);
  return f;
}

std::vector<PlaneShape> plane_layout(PixelFormat format, int width, int height) {
  const int cw = (width + 1) / 2, ch = (height + 1) / 2;
  switch (format) {
    case PixelFormat::kRGB:
    case PixelFormat::kBGR:
      return {{3 * width, height}};
    case PixelFormat::kRGBx:
    case PixelFormat::kBGRx:
      return {{4 * width, height}};
    case PixelFormat::kGray8:
      return {{width, height}};
    case PixelFormat::kI420:
      return {{width, height}, {cw, ch}, {cw, ch}};
    case PixelFormat::kNV12:
      return {{width, height}, {2 * cw, ch}};
  }
  return {};
}

cv::Rect clip_box(const cv::Rect& box, int width, int height) {
  return box & cv::Rect(0, 0, width, height);
}

namespace {

cv::Mat plane(const FrameView& f, int index, int rows, int cols, int type) {
  return cv::Mat(rows, cols, type, const_cast<uint8_t*>(f.planes[index]),
                 static_cast<size_t>(f.strides[index]));
}

bool is_yuv420(PixelFormat format) {
  return format == PixelFormat::kI420 || format == PixelFormat::kNV12;
}

// I420 / NV12: repack the (even-aligned) region as one contiguous YUV buffer, convert.
cv::Mat yuv420_crop_to_rgb(const FrameView& f, const cv::Rect& r) {
  const int cw = (f.width + 1) / 2, ch = (f.height + 1) / 2;
  const cv::Rect cr(r.x / 2, r.y / 2, r.width / 2, r.height / 2);
  cv::Mat packed(r.height * 3 / 2, r.width, CV_8UC1);
  plane(f, 0, f.height, f.width, CV_8UC1)(r).copyTo(packed.rowRange(0, r.height));
  cv::Mat rgb;
  if (f.format == PixelFormat::kI420) {
    // U then V planes, each (w/2 x h/2), laid out as h/4 rows of w in the packed buffer.
    cv::Mat chroma = packed.rowRange(r.height, packed.rows);
    const int n = cr.width * cr.height;
    cv::Mat u = plane(f, 1, ch, cw, CV_8UC1)(cr).clone().reshape(1, 1);
    cv::Mat v = plane(f, 2, ch, cw, CV_8UC1)(cr).clone().reshape(1, 1);
    cv::Mat flat = chroma.reshape(1, 1);
    u.copyTo(flat.colRange(0, n));
    v.copyTo(flat.colRange(n, 2 * n));
    cv::cvtColor(packed, rgb, cv::COLOR_YUV2RGB_I420);
  } else {
    cv::Mat uv = plane(f, 1, ch, cw, CV_8UC2)(cr);
    cv::Mat chroma = packed.rowRange(r.height, packed.rows).reshape(2, cr.height);
    uv.copyTo(chroma);
    cv::cvtColor(packed, rgb, cv::COLOR_YUV2RGB_NV12);
  }
  return rgb;
}

}  // namespace

cv::Rect crop_region(const FrameView& f, const cv::Rect& box) {
  if (f.width <= 0 || f.height <= 0 || !f.planes[0]) throw Error("empty frame");
  cv::Rect r = clip_box(box, f.width, f.height);
  if (r.empty())
    throw Error("box (" + std::to_string(box.x) + "," + std::to_string(box.y) + " " +
                std::to_string(box.width) + "x" + std::to_string(box.height) +
                ") lies outside the " + std::to_string(f.width) + "x" + std::to_string(f.height) +
                " frame or is empty");
  if (is_yuv420(f.format)) {
    r.x &= ~1;
    r.y &= ~1;
    r.width = std::min((r.width + 1) & ~1, (f.width - r.x) & ~1);
    r.height = std::min((r.height + 1) & ~1, (f.height - r.y) & ~1);
    if (r.width <= 0 || r.height <= 0) throw Error("box is smaller than one 2x2 chroma block");
  }
  return r;
}

cv::Mat crop_to_rgb(const FrameView& f, const cv::Rect& box) {
  const cv::Rect r = crop_region(f, box);
  cv::Mat rgb;
  switch (f.format) {
    case PixelFormat::kRGB:
      plane(f, 0, f.height, f.width, CV_8UC3)(r).copyTo(rgb);
      break;
    case PixelFormat::kBGR:
      cv::cvtColor(plane(f, 0, f.height, f.width, CV_8UC3)(r), rgb, cv::COLOR_BGR2RGB);
      break;
    case PixelFormat::kRGBx:
      cv::cvtColor(plane(f, 0, f.height, f.width, CV_8UC4)(r), rgb, cv::COLOR_RGBA2RGB);
      break;
    case PixelFormat::kBGRx:
      cv::cvtColor(plane(f, 0, f.height, f.width, CV_8UC4)(r), rgb, cv::COLOR_BGRA2RGB);
      break;
    case PixelFormat::kGray8:
      cv::cvtColor(plane(f, 0, f.height, f.width, CV_8UC1)(r), rgb, cv::COLOR_GRAY2RGB);
      break;
    case PixelFormat::kI420:
    case PixelFormat::kNV12:
      rgb = yuv420_crop_to_rgb(f, r);
      break;
  }
  return rgb;
}

torch::Tensor rgb_to_input(const cv::Mat& rgb, const PreprocessConfig& p) {
  if (rgb.empty() || rgb.type() != CV_8UC3) throw Error("expected a non-empty 8-bit RGB image");
  const cv::Mat packed = rgb.isContinuous() ? rgb : rgb.clone();
  auto x = torch::from_blob(packed.data, {1, packed.rows, packed.cols, 3}, torch::kUInt8)
               .permute({0, 3, 1, 2})
               .to(torch::kFloat32);
  // Resizing the float image keeps the arithmetic exact and device-independent (OpenCV's 8-bit
  // path rounds through fixed point), so a GPU implementation can match it.
  if (packed.rows != p.height || packed.cols != p.width) {
    x = torch::nn::functional::interpolate(x, torch::nn::functional::InterpolateFuncOptions()
                                                  .size(std::vector<int64_t>{p.height, p.width})
                                                  .mode(torch::kBilinear)
                                                  .align_corners(false));
  }
  const auto mean = torch::tensor({p.mean[0], p.mean[1], p.mean[2]}).view({1, 3, 1, 1});
  const auto std = torch::tensor({p.std[0], p.std[1], p.std[2]}).view({1, 3, 1, 1});
  return ((x / 255.0f - mean) / std).squeeze(0).contiguous();
}

torch::Tensor preprocess_boxes(const FrameView& frame, const std::vector<cv::Rect>& boxes,
                               const PreprocessConfig& config) {
  std::vector<torch::Tensor> inputs;
  inputs.reserve(boxes.size());
  for (const auto& box : boxes) inputs.push_back(rgb_to_input(crop_to_rgb(frame, box), config));
  if (inputs.empty()) return torch::empty({0, 3, config.height, config.width});
  return torch::stack(inputs);
}

cv::Mat read_rgb_image(const std::string& path) {
  // OpenCV would also print its own warning for an unreadable file; ours is the one line.
  static const bool quiet = [] {
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
    return true;
  }();
  (void)quiet;
  cv::Mat bgr;
  try {
    bgr = cv::imread(path, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    throw Error(path + ": cannot decode image (" + e.err + ")");
  }
  if (bgr.empty()) throw Error(path + ": missing, unreadable or not an image");
  return crop_to_rgb(FrameView::from_bgr(bgr), cv::Rect(0, 0, bgr.cols, bgr.rows));
}

}  // namespace hat
