#include "gst-plugin/video_frame.h"

#include "base/error.h"

namespace hat::gst {

std::optional<PixelFormat> to_pixel_format(GstVideoFormat format) {
  switch (format) {
    case GST_VIDEO_FORMAT_RGB:
      return PixelFormat::kRGB;
    case GST_VIDEO_FORMAT_BGR:
      return PixelFormat::kBGR;
    case GST_VIDEO_FORMAT_RGBx:
      return PixelFormat::kRGBx;
    case GST_VIDEO_FORMAT_BGRx:
      return PixelFormat::kBGRx;
    case GST_VIDEO_FORMAT_I420:
      return PixelFormat::kI420;
    case GST_VIDEO_FORMAT_NV12:
      return PixelFormat::kNV12;
    case GST_VIDEO_FORMAT_GRAY8:
      return PixelFormat::kGray8;
    default:
      return std::nullopt;
  }
}

FrameView frame_view(const GstVideoFrame& frame) {
  const auto format = to_pixel_format(GST_VIDEO_FRAME_FORMAT(&frame));
  if (!format)
    throw Error(std::string("unsupported video format ") +
                gst_video_format_to_string(GST_VIDEO_FRAME_FORMAT(&frame)));
  FrameView view;
  view.format = *format;
  view.width = GST_VIDEO_FRAME_WIDTH(&frame);
  view.height = GST_VIDEO_FRAME_HEIGHT(&frame);
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&frame) && p < 3; ++p) {
    view.planes[p] = static_cast<const uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, p));
    view.strides[p] = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p);
  }
  return view;
}

}  // namespace hat::gst
