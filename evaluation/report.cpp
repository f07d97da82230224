#include "evaluation/report.h"

#include <cstdio>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "model/error.h"
#include "model/file_io.h"
#include "model/preprocess.h"

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
  const int w = 640, h = 420, left = 60, right = 20, top = 60, bottom = 50;
  cv::Mat img(h, w, CV_8UC3, cv::Scalar(255, 255, 255));
  const int pw = w - left - right, ph = h - top - bottom;
  const cv::Scalar axis(0, 0, 0), grid(225, 225, 225), curve(200, 90, 30);
  const int ranks = static_cast<int>(m.cmc.size());
  auto px = [&](double rank) {
    return left + static_cast<int>(pw * (rank - 1) / std::max(1, ranks - 1));
  };
  auto py = [&](double v) { return top + static_cast<int>(ph * (1.0 - v)); };
  for (int t = 0; t <= 10; ++t) {
    cv::line(img, {left, py(t / 10.0)}, {left + pw, py(t / 10.0)}, grid);
    cv::putText(img, std::to_string(t * 10), {left - 35, py(t / 10.0) + 5},
                cv::FONT_HERSHEY_SIMPLEX, 0.4, axis);
  }
  for (int r = 1; r <= ranks; r += std::max(1, ranks / 10)) {
    cv::line(img, {px(r), top}, {px(r), top + ph}, grid);
    cv::putText(img, std::to_string(r), {px(r) - 6, top + ph + 18}, cv::FONT_HERSHEY_SIMPLEX, 0.4,
                axis);
  }
  cv::rectangle(img, {left, top}, {left + pw, top + ph}, axis);
  for (int r = 1; r < ranks; ++r)
    cv::line(img, {px(r), py(m.cmc[r - 1])}, {px(r + 1), py(m.cmc[r])}, curve, 2, cv::LINE_AA);
  if (ranks == 1) cv::circle(img, {px(1), py(m.cmc[0])}, 3, curve, -1);
  char caption[200];
  std::snprintf(caption, sizeof caption, "%s   mAP %.1f  R1 %.1f  mINP %.1f", title.c_str(),
                100 * m.mAP, 100 * cmc_at(m, 1), 100 * m.mINP);
  cv::putText(img, caption, {left, 25}, cv::FONT_HERSHEY_SIMPLEX, 0.5, axis, 1, cv::LINE_AA);
  cv::putText(img, "rank", {left + pw / 2 - 15, h - 12}, cv::FONT_HERSHEY_SIMPLEX, 0.45, axis);
  cv::putText(img, "matching rate (%)", {5, top - 12}, cv::FONT_HERSHEY_SIMPLEX, 0.4, axis);
  write_png(path, img);
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
