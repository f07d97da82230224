#include "evaluation/report.h"

#include <cstdio>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "base/error.h"
#include "base/file_io.h"
#include "evaluation/line_plot.h"

namespace hat {

namespace {

void write_png(const std::string& path, const cv::Mat& image) {
  std::vector<uchar> bytes;
  if (!cv::imencode(".png", image, bytes)) throw Error("cannot encode " + path);
  write_file_atomically(path, bytes.data(), bytes.size());
}

double cmc_at(const MetricsSummary& m, size_t rank) {
  return m.cmc.empty() ? 0.0 : m.cmc[std::min(rank, m.cmc.size()) - 1];
}

}  // namespace

void print_table(std::ostream& out, const std::string& title, const MetricsSummary& m) {
  char line[160];
  out << title << " (" << m.num_valid_queries << " of " << m.num_queries << " queries valid)\n";
  out << "  mAP      R1       R5       R10      mINP\n";
  std::snprintf(line, sizeof line, "  %-8.2f %-8.2f %-8.2f %-8.2f %-8.2f\n", 100 * m.mAP,
                100 * cmc_at(m, 1), 100 * cmc_at(m, 5), 100 * cmc_at(m, 10), 100 * m.mINP);
  out << line;
}

nlohmann::json to_json(const MetricsSummary& m) {
  return {{"mAP", m.mAP},
          {"mINP", m.mINP},
          {"cmc", m.cmc},
          {"num_valid_queries", m.num_valid_queries},
          {"num_queries", m.num_queries}};
}

void write_cmc_plot(const std::string& path, const MetricsSummary& m, const std::string& title) {
  Series cmc{"CMC", {}, {}};
  for (size_t r = 0; r < m.cmc.size(); ++r) {
    cmc.x.push_back(static_cast<double>(r + 1));
    cmc.y.push_back(100 * m.cmc[r]);
  }
  char caption[200];
  std::snprintf(caption, sizeof caption, "%s   mAP %.1f  R1 %.1f  mINP %.1f", title.c_str(),
                100 * m.mAP, 100 * cmc_at(m, 1), 100 * m.mINP);
  write_line_plot(path, caption, "rank", "matching rate (%)", {cmc}, 0, 100);
}

void write_ranked_list(const std::string& path, const RankedListInput& in) {
  if (in.lists.empty()) throw Error("no ranked lists to draw");
  const int cw = 64, ch = 128, pad = 6, border = 4, gap = 16;
  size_t columns = 0;
  for (const auto& [q, list] : in.lists) columns = std::max(columns, list.size());
  const int w = pad + (cw + pad) * (1 + static_cast<int>(columns)) + gap;
  const int h = pad + (ch + pad) * static_cast<int>(in.lists.size());
  cv::Mat canvas(h, w, CV_8UC3, cv::Scalar(255, 255, 255));
  auto tile = [&](const std::string& image_path, int x, int y, const cv::Scalar& frame) {
    cv::Mat bgr;
    try {
      bgr = cv::imread(image_path, cv::IMREAD_COLOR);
    } catch (const cv::Exception&) {
    }
    cv::Mat cell(ch, cw, CV_8UC3, cv::Scalar(200, 200, 200));
    if (!bgr.empty()) cv::resize(bgr, cell, cell.size(), 0, 0, cv::INTER_AREA);
    cell.copyTo(canvas(cv::Rect(x, y, cw, ch)));
    if (frame[0] >= 0) cv::rectangle(canvas, cv::Rect(x, y, cw, ch), frame, border);
  };
  int y = pad;
  for (const auto& [q, list] : in.lists) {
    tile(in.query_paths.at(q), pad, y, cv::Scalar(-1, 0, 0));
    int x = pad + cw + pad + gap;
    for (int j : list) {
      const bool match = in.gallery->pids[j] == in.query->pids[q];
      tile(in.gallery_paths.at(j), x, y, match ? cv::Scalar(0, 170, 0) : cv::Scalar(0, 0, 220));
      x += cw + pad;
    }
    y += ch + pad;
  }
  write_png(path, canvas);
}

std::vector<int> sample_queries(int total, int count) {
  std::vector<int> out;
  if (total <= 0 || count <= 0) return out;
  count = std::min(count, total);
  for (int i = 0; i < count; ++i)
    out.push_back(static_cast<int>(static_cast<int64_t>(i) * total / count));
  return out;
}

}  // namespace hat
