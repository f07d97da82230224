// hat-gallery: the watch list, forensic search, retention and export of a hatmatch gallery.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/arg_parser.h"
#include "base/error.h"
#include "base/file_io.h"
#include "base/run_tool.h"
#include "base/unix_time.h"
#include "frame/image_file.h"
#include "frame/thumbnail.h"
#include "gallery/access_token.h"
#include "gallery/enrolment.h"
#include "gallery/gallery_store.h"
#include "gallery/http_api.h"
#include "gallery/http_server.h"
#include "gallery/matching_benchmark.h"
#include "gallery/sighting_search.h"
#include "gallery/store_benchmark.h"
#include "inference/embedding_engine.h"
#include "inference/engine_options_cli.h"
#include "inference/torch_error_line.h"
#include "model/model_loader.h"

namespace {

using hat::ArgParser;

constexpr int kThumbnailHeight = 128;  // as hatmatch's default thumbnail-size

constexpr const char* kTop = R"(usage: hat-gallery COMMAND --gallery LOCATION [ARGS]

Manage the gallery that hatmatch matches people against: identities, labels and sightings
(camera, time, box, embedding) in an SQLite file shared by every pipeline on the machine, or in
a PostgreSQL database (--gallery postgresql://user@host/db) shared by every host of a site.

commands:
  enroll   add a named person to the watch list from images; hatmatch labels matches with the name
  list     the identities: label, sightings, cameras, first and last seen
  search   where and when a person (an image) was seen: the nearest sightings
  purge    delete sightings older than a duration (enrolled images are kept)
  export   the gallery as JSON
  bench    matching latency and throughput against gallery size, memory per sighting
  bench-store  a backend's sighting writes/s with 1-8 writers, commit-to-read latency
  serve    the HTTP API (docs/openapi.yaml) and the web page: identities, timelines, search

'hat-gallery COMMAND --help' describes a command.
)";

void add_gallery_option(ArgParser& p) {
  p.option("gallery", "LOCATION",
           "the gallery: a file, or a postgresql:// URI (hatmatch's gallery-location)");
}

// The --model as the commands and the service use it: L2-normalised embeddings of RGB images,
// the space they belong to and the model's calibrated match threshold (hat-train adapt), if any.
hat::ImageEmbedder image_embedder(const ArgParser& p) {
  hat::LoadedModel model = hat::load_model(p.get("model"));
  hat::ImageEmbedder embedder;
  embedder.calibrated_threshold = hat::calibrated_match_threshold(model.provenance);
  auto engine = std::make_shared<hat::EmbeddingEngine>(std::move(model), hat::engine_options(p));
  embedder.space = {engine->config().preset, engine->dim()};
  embedder.embed = [engine](const std::vector<cv::Mat>& rgb) {
    const auto e =
        torch::nn::functional::normalize(engine->embed_images(rgb),
                                         torch::nn::functional::NormalizeFuncOptions().dim(1))
            .contiguous();
    std::vector<std::vector<float>> out;
    for (int64_t i = 0; i < e.size(0); ++i) {
      const float* row = e[i].data_ptr<float>();
      out.emplace_back(row, row + e.size(1));
    }
    return out;
  };
  return embedder;
}

int cmd_enroll(const std::vector<std::string>& args) {
  ArgParser p("hat-gallery enroll",
              "Enroll a person on the watch list: their images' embeddings become sightings of "
              "an identity labelled NAME (created, or extended when NAME exists).");
  add_gallery_option(p);
  p.option("name", "NAME", "the person's label, shown by hatmatch on matches")
      .option("model", "FILE", "the model the pipelines use (the gallery records its preset)");
  hat::add_engine_options(p, "16");
  p.positional("IMAGE", "images of the person (crops, as a detector would give)", true);
  if (!p.parse(args)) return 0;
  const std::string name = p.get("name");
  if (name.empty()) throw hat::UsageError("--name must not be empty");
  std::vector<cv::Mat> images;
  for (const auto& path : p.rest()) images.push_back(hat::read_rgb_image(path));
  const hat::ImageEmbedder embedder = image_embedder(p);
  auto embeddings = embedder.embed(images);
  const auto store_ptr = hat::open_gallery(p.get("gallery"));
  hat::GalleryStore& store = *store_ptr;
  std::vector<hat::EnrolmentImage> enrolment;
  for (size_t i = 0; i < images.size(); ++i)
    enrolment.push_back({images[i].cols, images[i].rows, std::move(embeddings[i]),
                         hat::jpeg_thumbnail(images[i], kThumbnailHeight)});
  const auto r = hat::enrol(store, embedder.space, name, enrolment, hat::now_unix_us());
  std::cout << "enrolled " << r.images << " image(s) of '" << name << "' as identity " << r.identity
            << (r.created ? " (new)" : " (existing)") << " in " << store.location() << "\n";
  return 0;
}

int cmd_list(const std::vector<std::string>& args) {
  ArgParser p("hat-gallery list", "List the identities of a gallery.");
  add_gallery_option(p);
  p.flag("json", "print JSON instead of a table");
  if (!p.parse(args)) return 0;
  const auto store_ptr = hat::open_gallery(p.get("gallery"), {.read_only = true});
  const hat::GalleryStore& store = *store_ptr;
  const auto identities = store.identities();
  if (p.flag_set("json")) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : identities)
      out.push_back({{"id", s.identity.id},
                     {"label", s.identity.label},
                     {"sightings", s.sightings},
                     {"cameras", s.cameras},
                     {"first_seen", s.sightings ? hat::iso_utc(s.first_us) : ""},
                     {"last_seen", s.sightings ? hat::iso_utc(s.last_us) : ""}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  const auto space = store.space();
  std::cout << store.location() << ": " << identities.size() << " identities, "
            << store.sighting_count() << " sightings"
            << (space ? ", " + space->model + " (" + std::to_string(space->dim) + "-d)" : "")
            << "\n";
  std::cout << std::left << std::setw(8) << "id" << std::setw(20) << "label" << std::setw(10)
            << "sightings" << std::setw(26) << "first seen" << std::setw(26) << "last seen"
            << "cameras\n";
  for (const auto& s : identities) {
    std::string cameras;
    for (const auto& c : s.cameras) cameras += (cameras.empty() ? "" : ",") + c;
    std::cout << std::left << std::setw(8) << s.identity.id << std::setw(20)
              << (s.identity.label.empty() ? "-" : s.identity.label) << std::setw(10) << s.sightings
              << std::setw(26) << (s.sightings ? hat::iso_utc(s.first_us) : "-") << std::setw(26)
              << (s.sightings ? hat::iso_utc(s.last_us) : "-") << cameras << "\n";
  }
  return 0;
}

int cmd_search(const std::vector<std::string>& args) {
  ArgParser p("hat-gallery search",
              "Forensic search: the sightings nearest to a person's image, i.e. where (camera, "
              "box) and when they were seen.");
  add_gallery_option(p);
  p.option("model", "FILE", "the model the gallery was made with")
      .option("image", "FILE", "an image of the person")
      .option("top", "K", "sightings to show", "10")
      .option("max-distance", "D",
              "only sightings closer than this cosine distance (default: the model's threshold "
              "calibrated by hat-train adapt, else 2: no limit)")
      .flag("json", "print JSON instead of a table");
  hat::add_engine_options(p, "1");
  if (!p.parse(args)) return 0;
  const int top = p.get_int("top", 1, 1000000);
  const auto store_ptr = hat::open_gallery(p.get("gallery"), {.read_only = true});
  const hat::GalleryStore& store = *store_ptr;
  const hat::ImageEmbedder embedder = image_embedder(p);
  const auto query = embedder.embed({hat::read_rgb_image(p.get("image"))});
  const double max_distance = p.has("max-distance") ? p.get_double("max-distance", 0, 4)
                                                    : embedder.calibrated_threshold.value_or(2.0);
  store.check_space(embedder.space);
  const auto sorted = hat::nearest_sightings(store, query[0], top, max_distance);
  std::map<int64_t, std::string> labels;
  for (const auto& r : store.identity_records()) labels[r.id] = r.label;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& h : sorted) {
    const auto& s = h.sighting;
    out.push_back({{"distance", h.distance},
                   {"identity", s.identity},
                   {"label", labels[s.identity]},
                   {"camera", s.camera},
                   {"track", s.track},
                   {"time", hat::iso_utc(s.time_us)},
                   {"unix_time_us", s.time_us},
                   {"box", {s.box.x, s.box.y, s.box.width, s.box.height}},
                   {"enrolled", s.enrolled}});
  }
  if (p.flag_set("json")) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << std::left << std::setw(10) << "distance" << std::setw(10) << "identity"
            << std::setw(16) << "label" << std::setw(16) << "camera" << std::setw(8) << "track"
            << std::setw(26) << "time"
            << "box (x y w h)\n";
  for (const auto& h : out) {
    std::ostringstream d;
    d << std::fixed << std::setprecision(4) << h["distance"].get<double>();
    const auto& b = h["box"];
    std::cout << std::left << std::setw(10) << d.str() << std::setw(10)
              << h["identity"].get<int64_t>() << std::setw(16)
              << (h["label"].get<std::string>().empty() ? "-" : h["label"].get<std::string>())
              << std::setw(16) << h["camera"].get<std::string>() << std::setw(8)
              << h["track"].get<int64_t>() << std::setw(26) << h["time"].get<std::string>() << b[0]
              << " " << b[1] << " " << b[2] << " " << b[3] << "\n";
  }
  if (out.empty()) std::cout << "(no sighting closer than " << max_distance << ")\n";
  return 0;
}

int cmd_purge(const std::vector<std::string>& args) {
  ArgParser p("hat-gallery purge",
              "Delete the sightings older than a duration, and the unlabelled identities left "
              "without any; enrolled images are kept.");
  add_gallery_option(p);
  p.option("older-than", "D", "age: 90s, 15m, 12h, 30d, 2w or seconds");
  if (!p.parse(args)) return 0;
  const int64_t age = hat::parse_duration_us(p.get("older-than"));
  const auto store_ptr = hat::open_gallery(p.get("gallery"), {.create = false});
  hat::GalleryStore& store = *store_ptr;
  const int64_t cut = hat::now_unix_us() - age;
  const auto purged = store.purge_before(cut);
  std::cout << "purged " << purged.sightings << " sightings and " << purged.identities
            << " identities seen before " << hat::iso_utc(cut) << " from " << store.location()
            << "\n";
  return 0;
}

int cmd_export(const std::vector<std::string>& args) {
  ArgParser p("hat-gallery export",
              "Write the gallery as JSON: its embedding space, identities and sightings.");
  add_gallery_option(p);
  p.option("output", "FILE", "write here (atomically) instead of to stdout")
      .flag("embeddings", "include each sighting's embedding");
  if (!p.parse(args)) return 0;
  const auto store_ptr = hat::open_gallery(p.get("gallery"), {.read_only = true});
  const hat::GalleryStore& store = *store_ptr;
  const bool with_embeddings = p.flag_set("embeddings");
  nlohmann::json identities = nlohmann::json::array();
  std::map<int64_t, size_t> position;
  for (const auto& r : store.identity_records()) {
    position[r.id] = identities.size();
    identities.push_back({{"id", r.id},
                          {"label", r.label},
                          {"created", hat::iso_utc(r.created_us)},
                          {"sightings", nlohmann::json::array()}});
  }
  store.for_each_sighting(
      [&](const hat::SightingRecord& s) {
        nlohmann::json j = {{"id", s.id},
                            {"camera", s.camera},
                            {"track", s.track},
                            {"time", hat::iso_utc(s.time_us)},
                            {"unix_time_us", s.time_us},
                            {"box", {s.box.x, s.box.y, s.box.width, s.box.height}},
                            {"enrolled", s.enrolled}};
        if (with_embeddings) j["embedding"] = s.embedding;
        identities[position.at(s.identity)]["sightings"].push_back(std::move(j));
      },
      with_embeddings);
  const auto space = store.space();
  nlohmann::json out = {{"gallery", store.location()},
                        {"model", space ? space->model : ""},
                        {"dim", space ? space->dim : 0},
                        {"exported", hat::iso_utc(hat::now_unix_us())},
                        {"identities", identities}};
  if (p.has("output")) {
    hat::write_json_file(p.get("output"), out);
    std::cerr << "exported " << identities.size() << " identities to " << p.get("output") << "\n";
  } else {
    std::cout << out.dump(2) << "\n";
  }
  return 0;
}

std::vector<int64_t> integer_list(const std::string& text, const std::string& option) {
  std::vector<int64_t> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    try {
      size_t used = 0;
      out.push_back(std::stoll(item, &used));
      if (used != item.size() || out.back() <= 0) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw hat::UsageError("--" + option + " takes positive integers separated by commas");
    }
  }
  return out;
}

int cmd_bench(const std::vector<std::string>& args) {
  ArgParser p("hat-gallery bench",
              "Measure matching latency and throughput against gallery size, memory per sighting "
              "and gallery-file write speed, on random embeddings.");
  p.option("dim", "D", "embedding size (hat-r18: 1024, hat-r50: 4096)", "1024")
      .option("sizes", "N,N,...", "gallery sizes in sightings", "1000,10000,100000,1000000")
      .option("queries", "Q,Q,...", "tracks matched per frame", "1,8")
      .option("db-sightings", "N", "sightings written to a temporary gallery file (0: skip)",
              "20000")
      .option("seconds", "S", "seconds per measurement", "1")
      .option("json", "FILE", "also write the results as JSON");
  if (!p.parse(args)) return 0;
  hat::MatchingBenchOptions o;
  o.dim = p.get_int("dim", 1, 65536);
  o.sizes = integer_list(p.get("sizes"), "sizes");
  o.queries.clear();
  for (const auto q : integer_list(p.get("queries"), "queries"))
    o.queries.push_back(static_cast<int>(q));
  o.db_sightings = p.get_int("db-sightings", 0, 100000000);
  o.seconds_per_point = p.get_double("seconds", 0.01, 3600);
  const auto result = hat::run_matching_benchmark(o, std::cout);
  if (p.has("json")) hat::write_json_file(p.get("json"), result);
  return 0;
}

int cmd_bench_store(const std::vector<std::string>& args) {
  ArgParser p("hat-gallery bench-store",
              "Measure a gallery backend: sighting writes per second with several writer "
              "processes at once, and the latency from one process's commit to another's read. "
              "Writes into the gallery given: use an empty one.");
  add_gallery_option(p);
  p.option("dim", "D", "embedding size (hat-r18: 1024)", "1024")
      .option("writers", "N,N,...", "writer processes at once", "1,4,8")
      .option("seconds", "S", "seconds per writer count", "3")
      .option("latency-samples", "N", "sightings timed from commit to another process's read", "40")
      .option("poll-ms", "MS", "the follower's poll interval (hatmatch's sync-interval)", "500")
      .option("json", "FILE", "also write the results as JSON");
  if (!p.parse(args)) return 0;
  hat::StoreBenchOptions o;
  o.location = p.get("gallery");
  o.dim = p.get_int("dim", 1, 65536);
  o.writers.clear();
  for (const auto w : integer_list(p.get("writers"), "writers"))
    o.writers.push_back(static_cast<int>(w));
  o.seconds = p.get_double("seconds", 0.1, 3600);
  o.latency_samples = p.get_int("latency-samples", 1, 100000);
  o.poll_ms = p.get_int("poll-ms", 1, 3600000);
  const auto result = hat::run_store_benchmark(o, std::cout);
  if (p.has("json")) hat::write_json_file(p.get("json"), result);
  return 0;
}

}  // namespace

int cmd_serve(const std::vector<std::string>& args) {
  ArgParser p("hat-gallery serve",
              "Serve the gallery over HTTP: the JSON API of docs/openapi.yaml and a web page with "
              "identity cards, per-camera timelines, search by image, enrolment and deletion. "
              "Runs until SIGINT or SIGTERM.");
  add_gallery_option(p);
  p.option("model", "FILE",
           "the pipelines' model: it embeds uploaded images for search and "
           "enrolment")
      .option("address", "ADDR",
              "address to listen on; any but a loopback one requires the access token", "127.0.0.1")
      .option("port", "PORT", "port to listen on (0: a free one, printed)", "8080")
      .option("token-file", "FILE",
              "the access token, created owner-only when missing (default: GALLERY.token for a "
              "file, ~/.hat-gallery.token for a postgresql:// gallery)")
      .flag("require-token", "require the token on a loopback address too")
      .option("max-upload", "MB", "largest request body in MiB", "8")
      .option("http-threads", "N", "requests served at once", "4");
  hat::add_engine_options(p, "16");
  if (!p.parse(args)) return 0;
  hat::HttpServeOptions serve;
  serve.address = p.get("address");
  serve.port = p.get_int("port", 0, 65535);
  serve.max_upload_bytes = static_cast<size_t>(p.get_int("max-upload", 1, 1024)) << 20;
  serve.threads = p.get_int("http-threads", 1, 64);
  const std::string gallery = p.get("gallery");
  hat::GalleryApiOptions api_options;
  const bool loopback = hat::is_loopback_address(serve.address);
  const char* home = std::getenv("HOME");
  const std::string token_file = p.has("token-file") ? p.get("token-file")
                                 : !hat::is_postgres_location(gallery)
                                     ? gallery + ".token"
                                     : std::string(home ? home : ".") + "/.hat-gallery.token";
  if (!loopback || p.flag_set("require-token"))
    api_options.token = hat::load_or_create_token(token_file);
  api_options.thumbnail_height = kThumbnailHeight;
  // Decompression bombs: OpenCV refuses to decode larger images (read at its first decode).
  setenv("OPENCV_IO_MAX_IMAGE_PIXELS", std::to_string(api_options.max_image_pixels).c_str(), 0);

  const auto store_ptr = hat::open_gallery(gallery);
  hat::GalleryStore& store = *store_ptr;
  hat::ImageEmbedder embedder = image_embedder(p);
  store.check_space(embedder.space);
  hat::GalleryApi api(store, std::move(embedder), api_options);
  hat::serve_http(api, serve, [&](int port) {
    std::cout << "serving " << store.location() << " on http://" << serve.address << ":" << port
              << "/";
    if (!api_options.token.empty()) std::cout << " (token in " << token_file << ")";
    std::cout << std::endl;
  });
  std::cout << "stopped" << std::endl;
  return 0;
}

int main(int argc, char** argv) {
  return hat::run_tool("hat-gallery", kTop,
                       {{"enroll", cmd_enroll},
                        {"list", cmd_list},
                        {"search", cmd_search},
                        {"purge", cmd_purge},
                        {"export", cmd_export},
                        {"bench", cmd_bench},
                        {"bench-store", cmd_bench_store},
                        {"serve", cmd_serve}},
                       argc, argv, hat::torch_error_line);
}
