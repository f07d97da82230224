// hat-cut-video: a range of frames of a video file as a new file, so that one recording can be
// fed as several time-separated "cameras" (pipelines/two-views.sh). Writes Motion-JPEG AVI
// through OpenCV's FFmpeg backend (OpenCV's own MJPEG writer gave frames that FFmpeg's decoder
// reports as damaged), to a temporary name, then renames.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

#include <opencv2/core/utils/logger.hpp>
#include <opencv2/videoio.hpp>

#include "base/arg_parser.h"
#include "base/error.h"
#include "base/run_tool.h"

namespace {

const char* kTop =
    "usage: hat-cut-video COMMAND ...\n"
    "\n"
    "  count IN                                 print the number of frames of the video IN and\n"
    "                                           its frame rate: FRAMES FPS\n"
    "  cut IN OUT.avi --first N --count N       copy frames [first, first + count) of IN to\n"
    "                                           OUT.avi (Motion-JPEG, same frame rate and size)\n";

cv::VideoCapture open_video(const std::string& path) {
  if (!std::ifstream(path)) throw hat::Error(path + ": cannot read: " + std::strerror(errno));
  // Our one-line error replaces OpenCV's multi-line backend warnings.
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  cv::VideoCapture video(path);
  if (!video.isOpened()) throw hat::Error(path + ": cannot open as a video");
  return video;
}

// Counted by decoding: container headers can be wrong or missing.
int cmd_count(const std::vector<std::string>& args) {
  hat::ArgParser p("hat-cut-video count",
                   "Print the number of frames and the frame rate of a video.");
  p.positional("IN", "the video to read");
  if (!p.parse(args)) return 0;
  cv::VideoCapture video = open_video(p.get("IN"));
  int frames = 0;
  while (video.grab()) ++frames;
  const double fps = video.get(cv::CAP_PROP_FPS);
  std::cout << frames << " " << fps << "\n";
  return 0;
}

int cmd_cut(const std::vector<std::string>& args) {
  hat::ArgParser p("hat-cut-video cut", "Copy a range of frames of a video to a new file.");
  p.positional("IN", "the video to read")
      .positional("OUT", "the .avi file to write")
      .option("first", "N", "the first frame (0-based)", "0")
      .option("count", "N", "how many frames");
  if (!p.parse(args)) return 0;
  const std::string in = p.get("IN"), out = p.get("OUT");
  const int first = p.get_int("first", 0, 1 << 30), count = p.get_int("count", 1, 1 << 30);
  cv::VideoCapture video = open_video(in);
  const double fps = video.get(cv::CAP_PROP_FPS) > 0 ? video.get(cv::CAP_PROP_FPS) : 25.0;
  cv::Mat frame;
  for (int i = 0; i < first; ++i)
    if (!video.grab())
      throw hat::Error(in + ": has " + std::to_string(i) + " frames, fewer than --first " +
                       std::to_string(first));
  const std::string tmp = out + ".tmp.avi";
  cv::VideoWriter writer;
  int written = 0;
  while (written < count && video.read(frame)) {
    if (!writer.isOpened() &&
        !writer.open(tmp, cv::CAP_FFMPEG, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps,
                     frame.size()))
      throw hat::Error(tmp + ": cannot write");
    writer.write(frame);
    ++written;
  }
  if (written == 0) throw hat::Error(in + ": no frame at " + std::to_string(first));
  writer.release();
  if (std::rename(tmp.c_str(), out.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw hat::Error(out + ": cannot rename the finished file into place");
  }
  std::cout << "wrote " << out << ": frames " << first << ".." << first + written - 1 << " ("
            << written << " at " << fps << " frames/s)\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return hat::run_tool("hat-cut-video", kTop, {{"count", cmd_count}, {"cut", cmd_cut}}, argc, argv);
}
