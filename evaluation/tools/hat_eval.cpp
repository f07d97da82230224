// hat-eval: re-ID evaluation under the benchmarks' protocols (mAP, CMC, mINP).
#include <sys/stat.h>

#include <chrono>
#include <iomanip>
#include <iostream>

#include <nlohmann/json.hpp>

#include "base/arg_parser.h"
#include "base/error.h"
#include "base/file_io.h"
#include "base/run_tool.h"
#include "evaluation/evaluator.h"
#include "evaluation/feature_extractor.h"
#include "evaluation/labels_io.h"
#include "evaluation/mot_metrics.h"
#include "evaluation/readers.h"
#include "evaluation/report.h"
#include "evaluation/synthetic_features.h"
#include "inference/benchmark.h"
#include "inference/engine_options_cli.h"
#include "inference/npy.h"
#include "inference/torch_error_line.h"

namespace {

using hat::ArgParser;

constexpr const char* kTop = R"(usage: hat-eval COMMAND [ARGS]

Person re-ID evaluation: mAP, CMC (rank 1..50) and mINP under the standard protocol (gallery items
sharing both identity and camera with the query are dropped; queries without a true match are
skipped).

commands:
  run     extract features of a dataset's query and gallery with a model, and evaluate
  score   evaluate precomputed features (.npy + labels .tsv) from any system
  bench   time the evaluator on synthetic MSMT17-shaped features
  mot     score tracking (MOTA, IDF1, ID switches, precision, recall) against MOTChallenge truth

datasets: market1501, dukemtmc, cuhk03np-labeled, cuhk03np-detected, msmt17, msmt17-v2, custom
'hat-eval COMMAND --help' describes a command.
)";

void add_eval_options(ArgParser& p) {
  p.option("metric", "M", "cosine or euclidean", "cosine")
      .flag("rerank", "k-reciprocal re-ranking (k1 20, k2 6, lambda 0.3)")
      .option("json", "OUT", "write the metrics as JSON")
      .option("report-dir", "DIR", "write cmc.png and ranked_list.png there")
      .option("samples", "N", "queries in the ranked-list picture", "8");
}

void make_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST)
    throw hat::Error(dir + ": cannot create folder");
}

hat::EvaluatorOptions evaluator_options(const ArgParser& p, int num_queries, bool pictures) {
  hat::EvaluatorOptions o;
  o.metric = hat::metric_from_string(p.get("metric"));
  o.rerank = p.flag_set("rerank");
  if (pictures)
    o.ranked_list_queries = hat::sample_queries(num_queries, p.get_int("samples", 1, 100));
  return o;
}

// Table on stdout, then the JSON and the pictures that were asked for.
void report(const ArgParser& p, const std::string& title, const hat::Evaluation& e,
            hat::RankedListInput pictures) {
  hat::print_table(std::cout, title, e.metrics);
  if (p.has("json")) {
    auto j = hat::to_json(e.metrics);
    j["title"] = title;
    j["metric"] = p.get("metric");
    j["rerank"] = p.flag_set("rerank");
    hat::write_json_file(p.get("json"), j);
    std::cout << "metrics: " << p.get("json") << "\n";
  }
  if (p.has("report-dir")) {
    const std::string dir = p.get("report-dir");
    make_dir(dir);
    hat::write_cmc_plot(dir + "/cmc.png", e.metrics, title);
    std::cout << "CMC curve: " << dir << "/cmc.png\n";
    if (!pictures.query_paths.empty() && !pictures.gallery_paths.empty()) {
      pictures.lists = e.ranked_lists;
      hat::write_ranked_list(dir + "/ranked_list.png", pictures);
      std::cout << "ranked lists: " << dir << "/ranked_list.png\n";
    }
  }
}

std::vector<std::string> paths_of(const std::vector<hat::ImageRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.path);
  return out;
}

int cmd_run(const std::vector<std::string>& args) {
  ArgParser p("hat-eval run",
              "Extract query and gallery features of a dataset with a model and evaluate them.");
  p.option("dataset", "NAME",
           "market1501, dukemtmc, cuhk03np-labeled, cuhk03np-detected, msmt17, msmt17-v2, custom")
      .option("root", "DIR", "folder holding the dataset release")
      .option("model", "FILE", "checkpoint or reference state dict")
      .flag("flip", "flip test: average each image's embedding with its mirror's")
      .option("save-features", "DIR",
              "also write query/gallery .npy and .tsv there (for hat-eval score)");
  hat::add_engine_options(p, "64");
  add_eval_options(p);
  if (!p.parse(args)) return 0;
  const hat::ReidDataset data = hat::read_dataset(p.get("dataset"), p.get("root"), {}, std::cerr);
  const hat::EngineOptions eo = hat::engine_options(p);
  hat::EmbeddingEngine engine(hat::load_model(p.get("model")), eo);
  hat::ExtractOptions xo;
  xo.flip = p.flag_set("flip");
  xo.label = "query";
  auto qf = hat::extract_features(engine, data.query, eo.batch_size, xo);
  xo.label = "gallery";
  auto gf = hat::extract_features(engine, data.gallery, eo.batch_size, xo);
  if (p.has("save-features")) {
    const std::string dir = p.get("save-features");
    make_dir(dir);
    hat::write_npy(dir + "/query.npy", qf);
    hat::write_labels_tsv(dir + "/query.tsv", data.query);
    hat::write_npy(dir + "/gallery.npy", gf);
    hat::write_labels_tsv(dir + "/gallery.tsv", data.gallery);
    std::cout << "features: " << dir << "/{query,gallery}.{npy,tsv}\n";
  }
  const hat::Labels q = hat::labels_of(data.query), g = hat::labels_of(data.gallery);
  const auto e =
      hat::evaluate(std::move(qf), std::move(gf), q, g,
                    evaluator_options(p, static_cast<int>(q.size()), p.has("report-dir")));
  std::string title = data.name + " / " + engine.config().preset;
  if (xo.flip) title += " +flip";
  if (p.flag_set("rerank")) title += " +rerank";
  report(p, title, e, {paths_of(data.query), paths_of(data.gallery), &q, &g, {}});
  return 0;
}

int cmd_mot(const std::vector<std::string>& args) {
  ArgParser p("hat-eval mot",
              "Multi-object tracking metrics (CLEAR MOT and IDF1, matched as py-motmetrics does) "
              "of a\n"
              "tracker's output against MOTChallenge ground truth (gt.txt: frame, id, x, y, w, h, "
              "flag, ...;\n"
              "rows with flag 0 are ignored). The output is hatevents' JSON lines (--events: the "
              "objects\n"
              "with a track_id; event frame f is MOT frame f + 1) or another MOTChallenge file "
              "(--tracks).");
  p.option("gt", "FILE", "ground truth, MOTChallenge format")
      .option("events", "FILE", "hatevents JSON lines")
      .option("tracks", "FILE", "tracker output, MOTChallenge format (instead of --events)")
      .option("iou", "T", "IoU a box needs to match", "0.5")
      .option("write-tracks", "FILE", "write the output read from --events as a MOTChallenge file")
      .option("json", "OUT", "write the metrics as JSON");
  if (!p.parse(args)) return 0;
  if (p.has("events") == p.has("tracks"))
    throw hat::UsageError("give exactly one of --events and --tracks");
  const double iou = p.get_double("iou", 0.01, 1.0);
  const hat::TrackSequence truth = hat::read_mot_file(p.get("gt"));
  const hat::TrackSequence tracks = p.has("events") ? hat::read_event_tracks(p.get("events"))
                                                    : hat::read_mot_file(p.get("tracks"));
  if (p.has("write-tracks")) hat::write_mot_file(p.get("write-tracks"), tracks);
  const hat::MotMetrics m = hat::evaluate_tracking(truth, tracks, iou);
  std::cout << std::fixed << std::setprecision(3) << "MOTA " << m.mota << "  IDF1 " << m.idf1
            << "  precision " << m.precision << "  recall " << m.recall << "\n"
            << "ID switches " << m.id_switches << ", misses " << m.misses << ", false positives "
            << m.false_positives << "; " << m.ground_truth << " ground-truth boxes of " << m.gt_ids
            << " ids, " << m.predicted << " tracker boxes of " << m.predicted_ids << " tracks, "
            << std::max(truth.size(), tracks.size()) << " frames\n";
  if (p.has("json"))
    hat::write_json_file(p.get("json"), {{"mota", m.mota},
                                         {"idf1", m.idf1},
                                         {"precision", m.precision},
                                         {"recall", m.recall},
                                         {"id_switches", m.id_switches},
                                         {"misses", m.misses},
                                         {"false_positives", m.false_positives},
                                         {"matches", m.matches},
                                         {"idtp", m.idtp},
                                         {"ground_truth", m.ground_truth},
                                         {"predicted", m.predicted},
                                         {"gt_ids", m.gt_ids},
                                         {"predicted_ids", m.predicted_ids},
                                         {"iou", iou}});
  return 0;
}

int cmd_score(const std::vector<std::string>& args) {
  ArgParser p(
      "hat-eval score",
      "Evaluate precomputed features from any system. Labels are TSV with the header\n"
      "'pid<TAB>camid' (more columns allowed; a 'path' column enables the ranked-list picture),\n"
      "one row per feature row.");
  p.option("query", "Q.npy", "query features, N x D")
      .option("query-labels", "Q.tsv", "query labels")
      .option("gallery", "G.npy", "gallery features, M x D")
      .option("gallery-labels", "G.tsv", "gallery labels");
  add_eval_options(p);
  if (!p.parse(args)) return 0;
  const auto ql = hat::read_labels_tsv(p.get("query-labels"));
  const auto gl = hat::read_labels_tsv(p.get("gallery-labels"));
  auto qf = hat::read_npy(p.get("query"));
  auto gf = hat::read_npy(p.get("gallery"));
  auto check = [](const torch::Tensor& f, const hat::LabelTable& l, const std::string& npy,
                  const std::string& tsv) {
    if (f.dim() != 2) throw hat::Error(npy + ": expected a 2-D array of features");
    if (static_cast<size_t>(f.size(0)) != l.labels.size())
      throw hat::Error(npy + ": " + std::to_string(f.size(0)) + " rows, but " + tsv + " has " +
                       std::to_string(l.labels.size()) + " labels");
  };
  check(qf, ql, p.get("query"), p.get("query-labels"));
  check(gf, gl, p.get("gallery"), p.get("gallery-labels"));
  const bool pictures = p.has("report-dir") && !ql.paths.empty() && !gl.paths.empty();
  const auto e = hat::evaluate(std::move(qf), std::move(gf), ql.labels, gl.labels,
                               evaluator_options(p, static_cast<int>(ql.labels.size()), pictures));
  report(p, "score", e, {ql.paths, gl.paths, &ql.labels, &gl.labels, {}});
  return 0;
}

int cmd_bench(const std::vector<std::string>& args) {
  ArgParser p(
      "hat-eval bench",
      "Time the evaluator on synthetic features shaped like MSMT17's test set (identity clusters\n"
      "over 15 cameras), against the distance matrix multiplication alone measured in the same\n"
      "run. --naive times the full-matrix + full-argsort implementation instead.");
  p.option("queries", "N", "query count", "11659")
      .option("gallery", "N", "gallery count", "82161")
      .option("dim", "D", "feature dimension", "4096")
      .option("ids", "N", "identities", "3060")
      .option("cameras", "N", "cameras", "15")
      .option("seed", "S", "random seed", "0")
      .flag("naive", "time the full-matrix + argsort baseline")
      .option("json", "OUT", "write the result as JSON");
  if (!p.parse(args)) return 0;
  hat::SyntheticSpec spec;
  spec.queries = p.get_int("queries", 1, 10000000);
  spec.gallery = p.get_int("gallery", 1, 10000000);
  spec.dim = p.get_int("dim", 1, 65536);
  spec.ids = p.get_int("ids", 1, 10000000);
  spec.cameras = p.get_int("cameras", 1, 1000);
  spec.seed = static_cast<uint64_t>(p.get_int("seed", 0, 1 << 30));
  using Clock = std::chrono::steady_clock;
  auto data = hat::make_synthetic_features(spec);
  const double feature_mib = (data.query.numel() + data.gallery.numel()) * 4.0 / (1 << 20);
  // The floor: the same distance blocks, no ranking.
  double floor_seconds = 0;
  {
    torch::InferenceMode guard;
    // Shares the features (cosine normalises them in place, which the evaluation repeats as a
    // no-op).
    hat::DistanceBlocks blocks(data.query, data.gallery, hat::DistanceMetric::kCosine);
    const int64_t block = blocks.block_size(hat::EvaluatorOptions{}.block_bytes);
    const auto t = Clock::now();
    for (int64_t b = 0; b < blocks.num_query(); b += block)
      (void)blocks.rows(b, std::min(block, blocks.num_query() - b));
    floor_seconds = std::chrono::duration<double>(Clock::now() - t).count();
  }
  const auto t = Clock::now();
  hat::MetricsSummary m;
  const bool naive = p.flag_set("naive");
  if (naive) {
    m = hat::evaluate_naive(std::move(data.query), std::move(data.gallery), data.query_labels,
                            data.gallery_labels, hat::DistanceMetric::kCosine, 50);
  } else {
    m = hat::evaluate(std::move(data.query), std::move(data.gallery), data.query_labels,
                      data.gallery_labels, {})
            .metrics;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t).count();
  const double tflop = 2.0 * spec.queries * spec.gallery * spec.dim / 1e12;
  std::cout << std::fixed << std::setprecision(2)
            << (naive ? "naive (full matrix + argsort)" : "blocked evaluator") << ": "
            << spec.queries << " x " << spec.gallery << " x " << spec.dim << ", threads "
            << torch::get_num_threads() << "\n"
            << "  evaluation:          " << seconds << " s\n"
            << "  distance matmul only:"
            << " " << floor_seconds << " s (" << tflop << " TFLOP, " << tflop * 1e3 / floor_seconds
            << " GFLOP/s)\n"
            << "  ratio to the floor:  " << seconds / floor_seconds << "\n"
            << "  peak memory:         " << std::setprecision(0) << hat::peak_rss_mib()
            << " MiB (process RSS; features " << feature_mib << " MiB)\n"
            << std::setprecision(2) << "  result:              mAP " << 100 * m.mAP << ", R1 "
            << 100 * m.cmc[0] << ", mINP " << 100 * m.mINP << "\n";
  if (p.has("json")) {
    nlohmann::json j = {{"implementation", naive ? "naive" : "blocked"},
                        {"queries", spec.queries},
                        {"gallery", spec.gallery},
                        {"dim", spec.dim},
                        {"seconds", seconds},
                        {"floor_seconds", floor_seconds},
                        {"ratio", seconds / floor_seconds},
                        {"peak_rss_mib", hat::peak_rss_mib()},
                        {"feature_mib", feature_mib},
                        {"metrics", hat::to_json(m)},
                        {"threads", torch::get_num_threads()}};
    hat::write_json_file(p.get("json"), j);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return hat::run_tool(
      "hat-eval", kTop,
      {{"run", cmd_run}, {"score", cmd_score}, {"bench", cmd_bench}, {"mot", cmd_mot}}, argc, argv,
      hat::torch_error_line);
}
