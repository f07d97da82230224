#include "gallery/http_api.h"

#include <algorithm>
#include <cmath>
#include <regex>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "base/error.h"
#include "base/unix_time.h"
#include "base/version.h"
#include "frame/thumbnail.h"
#include "gallery/enrolment.h"
#include "gallery/sighting_search.h"
#include "gallery/web_assets.h"

namespace hat {
namespace {

using nlohmann::json;

// A request the API refuses: its status and one line.
struct Refusal {
  int status;
  std::string message;
};

// Request text is echoed in errors and names may come from anywhere: invalid UTF-8 is replaced
// rather than thrown on, so that no request can turn a 4xx into a failure of the handler.
HttpResponse json_response(const json& body, int status = 200) {
  return {status, "application/json", body.dump(-1, ' ', false, json::error_handler_t::replace)};
}

HttpResponse error_response(int status, const std::string& message) {
  return json_response({{"error", message}}, status);
}

// Constant time in the token's length, so that response times do not reveal a prefix.
bool same_token(const std::string& a, const std::string& b) {
  if (b.empty()) return false;
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i % b.size()]);
  return diff == 0;
}

int64_t parse_id(const std::string& text) {
  if (text.empty() || text.size() > 18 || !std::all_of(text.begin(), text.end(), ::isdigit))
    throw Refusal{400, "'" + text.substr(0, 40) + "' is not an identity or sighting id"};
  return std::stoll(text);
}

int64_t query_int(const HttpRequest& r, const std::string& key, int64_t fallback, int64_t lo,
                  int64_t hi) {
  const auto it = r.query.find(key);
  if (it == r.query.end() || it->second.empty()) return fallback;
  const std::string& v = it->second;
  if (v.size() > 18 || !std::all_of(v.begin(), v.end(), ::isdigit))
    throw Refusal{400, key + "=" + v.substr(0, 40) + ": not a whole number"};
  const int64_t n = std::stoll(v);
  if (n < lo || n > hi)
    throw Refusal{400,
                  key + "=" + v + ": must be " + std::to_string(lo) + "-" + std::to_string(hi)};
  return n;
}

json parse_json(const HttpRequest& r, size_t limit) {
  if (r.body.size() > limit)
    throw Refusal{413, "JSON body of " + std::to_string(r.body.size()) + " bytes: at most " +
                           std::to_string(limit)};
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) throw Refusal{400, "the body is not valid JSON"};
  if (!j.is_object()) throw Refusal{400, "the body must be a JSON object"};
  return j;
}

std::string sighting_thumbnail_url(int64_t sighting) {
  return "/api/v1/sightings/" + std::to_string(sighting) + "/thumbnail";
}

json box_json(const Box& b) { return json::array({b.x, b.y, b.width, b.height}); }

// Where and when a sighting was made, as the sightings list and the search results show it.
json sighting_place_json(const SightingRecord& s, bool has_thumbnail) {
  return {{"camera", s.camera},
          {"track", s.track},
          {"time", iso_utc(s.time_us)},
          {"unix_time_us", s.time_us},
          {"box", box_json(s.box)},
          {"enrolled", s.enrolled},
          {"thumbnail", has_thumbnail ? json(sighting_thumbnail_url(s.id)) : json(nullptr)}};
}

}  // namespace

GalleryApi::GalleryApi(GalleryStore& store, ImageEmbedder embedder, GalleryApiOptions options)
    : store_(store), embedder_(std::move(embedder)), options_(std::move(options)) {}

double GalleryApi::threshold() const {
  return embedder_.calibrated_threshold.value_or(options_.default_threshold);
}

HttpResponse GalleryApi::handle(const HttpRequest& request) {
  try {
    return route(request);
  } catch (const Refusal& r) {
    return error_response(r.status, r.message);
  } catch (const Error& e) {
    // The store's and the model's one-line errors: the request was well-formed, the gallery or
    // the model could not serve it.
    return error_response(500, e.what());
  } catch (const std::exception& e) {
    return error_response(500, std::string("internal error: ") + e.what());
  }
}

HttpResponse GalleryApi::route(const HttpRequest& r) {
  const std::string& path = r.path;
  const std::string& m = r.method;
  if (m == "GET" || m == "HEAD") {
    if (const auto* asset = web_asset(path == "/" ? "/index.html" : path))
      return {200, asset->content_type, asset->body};
    if (path == "/api/v1/info") {
      std::lock_guard<std::mutex> lock(mutex_);
      return info();
    }
  }
  if (path.rfind("/api/v1/", 0) != 0) throw Refusal{404, "no such page: " + path.substr(0, 80)};
  if (!options_.token.empty()) {
    const std::string prefix = "Bearer ";
    if (r.authorization.rfind(prefix, 0) != 0 ||
        !same_token(r.authorization.substr(prefix.size()), options_.token))
      throw Refusal{401,
                    "this endpoint needs 'Authorization: Bearer <token>' (the token file "
                    "that hat-gallery serve printed)"};
  }
  static const std::regex identity_path(R"(^/api/v1/identities/([^/]+)$)");
  static const std::regex identity_sub(R"(^/api/v1/identities/([^/]+)/(sightings|thumbnail)$)");
  static const std::regex sighting_thumb(R"(^/api/v1/sightings/([^/]+)/thumbnail$)");
  std::smatch match;
  std::lock_guard<std::mutex> lock(mutex_);
  if (path == "/api/v1/identities") {
    if (m == "GET") return list_identities();
    if (m == "POST") return enrol(r);
  } else if (std::regex_match(path, match, identity_path)) {
    const int64_t id = parse_id(match[1]);
    if (m == "GET") return get_identity(id);
    if (m == "PATCH") return rename(id, r);
    if (m == "DELETE") return remove(id);
  } else if (std::regex_match(path, match, identity_sub)) {
    const int64_t id = parse_id(match[1]);
    if (m == "GET" && match[2] == "sightings") return list_sightings(id, r);
    if (m == "GET") return thumbnail(store_.best_thumbnail(id));
  } else if (std::regex_match(path, match, sighting_thumb)) {
    if (m == "GET") return thumbnail(parse_id(match[1]));
  } else if (path == "/api/v1/search") {
    if (m == "POST") return search(r);
  } else if (path == "/api/v1/purge") {
    if (m == "POST") return purge(r);
  } else {
    throw Refusal{404, "no such endpoint: " + path.substr(0, 80)};
  }
  throw Refusal{405, m.substr(0, 10) + " is not allowed on " + path.substr(0, 80)};
}

HttpResponse GalleryApi::info() {
  const auto space = store_.space();
  return json_response({{"service", "hat-gallery"},
                        {"version", kVersion},
                        {"gallery_model", space ? space->model : ""},
                        {"model", embedder_.space.model},
                        {"dim", embedder_.space.dim},
                        {"threshold", threshold()},
                        {"calibrated", embedder_.calibrated_threshold.has_value()},
                        {"token_required", !options_.token.empty()}});
}

namespace {
json identity_json(const IdentitySummary& s, std::optional<int64_t> thumbnail) {
  return {{"id", s.identity.id},
          {"label", s.identity.label},
          {"created", iso_utc(s.identity.created_us)},
          {"sightings", s.sightings},
          {"cameras", s.cameras},
          {"first_seen", s.sightings ? json(iso_utc(s.first_us)) : json(nullptr)},
          {"last_seen", s.sightings ? json(iso_utc(s.last_us)) : json(nullptr)},
          {"first_us", s.first_us},
          {"last_us", s.last_us},
          {"thumbnail", thumbnail ? json(sighting_thumbnail_url(*thumbnail)) : json(nullptr)}};
}
}  // namespace

HttpResponse GalleryApi::list_identities() {
  json out = json::array();
  for (const auto& s : store_.identities())
    out.push_back(identity_json(s, store_.best_thumbnail(s.identity.id)));
  return json_response({{"identities", out}});
}

HttpResponse GalleryApi::get_identity(int64_t id) {
  const auto s = store_.identity(id);
  if (!s) throw Refusal{404, "no identity " + std::to_string(id)};
  return json_response(identity_json(*s, store_.best_thumbnail(id)));
}

HttpResponse GalleryApi::list_sightings(int64_t id, const HttpRequest& r) {
  if (!store_.identity(id)) throw Refusal{404, "no identity " + std::to_string(id)};
  SightingFilter f;
  auto time = [&](const char* key, int64_t fallback) {
    const auto it = r.query.find(key);
    if (it == r.query.end() || it->second.empty()) return fallback;
    try {
      return parse_time_us(it->second.substr(0, 64));
    } catch (const Error& e) {
      throw Refusal{400, std::string(key) + ": " + e.what()};
    }
  };
  f.from_us = time("from", f.from_us);
  f.to_us = time("to", f.to_us);
  if (const auto it = r.query.find("camera"); it != r.query.end()) {
    if (it->second.size() > 256) throw Refusal{400, "camera: at most 256 characters"};
    f.camera = it->second;
  }
  f.limit = query_int(r, "limit", 1000, 1, 100000);
  json out = json::array();
  for (const auto& s : store_.sightings_of(id, f)) {
    json one = sighting_place_json(s, s.has_thumbnail);
    one["id"] = s.id;
    out.push_back(std::move(one));
  }
  return json_response({{"identity", id}, {"sightings", out}});
}

HttpResponse GalleryApi::rename(int64_t id, const HttpRequest& r) {
  const json j = parse_json(r, options_.max_json_bytes);
  if (!j.contains("label") || !j["label"].is_string())
    throw Refusal{400, "expected {\"label\": \"name\"}"};
  const std::string label = j["label"];
  if (label.size() > 100) throw Refusal{400, "label: at most 100 characters"};
  if (!store_.identity(id)) throw Refusal{404, "no identity " + std::to_string(id)};
  try {
    store_.rename_identity(id, label);
  } catch (const Error& e) {
    throw Refusal{409, e.what()};
  }
  return get_identity(id);
}

HttpResponse GalleryApi::remove(int64_t id) {
  if (!store_.delete_identity(id)) throw Refusal{404, "no identity " + std::to_string(id)};
  return json_response({{"deleted", id}});
}

std::vector<cv::Mat> GalleryApi::images_of(const HttpRequest& r, const char* field) {
  std::vector<std::string> blobs;
  for (auto [it, end] = r.parts.equal_range(field); it != end; ++it)
    blobs.push_back(it->second.content);
  // A bare image body (Content-Type: image/...) is one image.
  if (blobs.empty() && r.content_type.rfind("image/", 0) == 0) blobs.push_back(r.body);
  if (blobs.empty())
    throw Refusal{400, std::string("no image: send multipart/form-data with '") + field +
                           "' file field(s), or an image body"};
  if (blobs.size() > options_.max_images)
    throw Refusal{413, std::to_string(blobs.size()) + " images: at most " +
                           std::to_string(options_.max_images)};
  std::vector<cv::Mat> images;
  for (size_t i = 0; i < blobs.size(); ++i) {
    const auto& b = blobs[i];
    cv::Mat bgr;
    if (!b.empty()) {
      const cv::Mat raw(1, static_cast<int>(b.size()), CV_8U, const_cast<char*>(b.data()));
      try {
        bgr = cv::imdecode(raw, cv::IMREAD_COLOR);
      } catch (const cv::Exception&) {
        bgr.release();
      }
    }
    if (bgr.empty())
      throw Refusal{415, "image " + std::to_string(i + 1) +
                             " is not an image OpenCV can read "
                             "(JPEG, PNG, BMP, ...)"};
    if (static_cast<size_t>(bgr.total()) > options_.max_image_pixels)
      throw Refusal{413, "image " + std::to_string(i + 1) + " has " + std::to_string(bgr.total()) +
                             " pixels: at most " + std::to_string(options_.max_image_pixels)};
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    images.push_back(std::move(rgb));
  }
  return images;
}

HttpResponse GalleryApi::enrol(const HttpRequest& r) {
  std::string name;
  if (const auto it = r.parts.find("name"); it != r.parts.end()) name = it->second.content;
  if (name.empty()) throw Refusal{400, "enrolment needs a 'name' field"};
  if (name.size() > 100) throw Refusal{400, "name: at most 100 characters"};
  const auto images = images_of(r, "image");
  store_.check_space(embedder_.space);
  const auto embeddings = embedder_.embed(images);
  std::vector<EnrolmentImage> enrolment;
  for (size_t i = 0; i < images.size(); ++i)
    enrolment.push_back({images[i].cols, images[i].rows, embeddings[i],
                         jpeg_thumbnail(images[i], options_.thumbnail_height)});
  const auto result = hat::enrol(store_, embedder_.space, name, enrolment, now_unix_us());
  return json_response({{"identity", result.identity},
                        {"label", name},
                        {"images", result.images},
                        {"created", result.created}},
                       result.created ? 201 : 200);
}

HttpResponse GalleryApi::search(const HttpRequest& r) {
  const int top = static_cast<int>(query_int(r, "top", 10, 1, 1000));
  double max_distance = 2.0;
  if (const auto it = r.query.find("max_distance"); it != r.query.end() && !it->second.empty()) {
    char* end = nullptr;
    max_distance = std::strtod(it->second.c_str(), &end);
    if (end == it->second.c_str() || *end != '\0' || !(max_distance >= 0 && max_distance <= 4))
      throw Refusal{400, "max_distance: a number 0-4"};
  }
  const auto images = images_of(r, "image");
  if (images.size() != 1) throw Refusal{400, "search takes one image"};
  if (!store_.check_space(embedder_.space))
    return json_response({{"threshold", threshold()}, {"hits", json::array()}});
  const auto query = embedder_.embed(images).at(0);
  std::map<int64_t, std::string> labels;
  for (const auto& i : store_.identity_records()) labels[i.id] = i.label;
  json hits = json::array();
  for (const auto& h : nearest_sightings(store_, query, top, max_distance)) {
    const auto& s = h.sighting;
    json hit = sighting_place_json(s, store_.thumbnail(s.id).has_value());
    hit.update({{"distance", h.distance},
                {"match", h.distance < threshold()},
                {"identity", s.identity},
                {"label", labels[s.identity]},
                {"sighting", s.id}});
    hits.push_back(std::move(hit));
  }
  return json_response(
      {{"threshold", threshold()}, {"max_distance", max_distance}, {"hits", hits}});
}

HttpResponse GalleryApi::purge(const HttpRequest& r) {
  const json j = parse_json(r, options_.max_json_bytes);
  if (!j.contains("older_than") || !j["older_than"].is_string())
    throw Refusal{400, "expected {\"older_than\": \"30d\"}"};
  int64_t age = 0;
  try {
    age = parse_duration_us(j["older_than"].get<std::string>().substr(0, 32));
  } catch (const Error& e) {
    throw Refusal{400, std::string("older_than: ") + e.what()};
  }
  const auto result = store_.purge_before(now_unix_us() - age);
  return json_response({{"sightings", result.sightings}, {"identities", result.identities}});
}

HttpResponse GalleryApi::thumbnail(std::optional<int64_t> sighting) {
  const auto jpeg = sighting ? store_.thumbnail(*sighting) : std::nullopt;
  if (!jpeg) throw Refusal{404, "no thumbnail"};
  return {200, "image/jpeg", *jpeg};
}

}  // namespace hat
