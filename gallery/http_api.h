// The gallery's HTTP API (docs/openapi.yaml) and its web page, independent of any HTTP library:
// a request in, a response out. `hat-gallery serve` puts it behind cpp-httplib (http_server.h);
// tests can call it directly.
//
// Every endpoint that reads or writes biometric data (identities, sightings, thumbnails, search,
// enrolment, rename, delete, purge) needs `Authorization: Bearer <token>` when the API has a
// token; the page, its script and /api/v1/info do not. Bad requests get a 4xx response with a
// one-line `{"error": ...}`, never an exception: malformed JSON or ids, wrong types, oversized
// fields, uploads that are not images, too many images. Store access is serialised (one SQLite
// connection), so the API may be called from many threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "gallery/gallery_store.h"

namespace hat {

struct HttpPart {
  std::string filename, content_type, content;
};

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string
  std::map<std::string, std::string> query;
  std::string authorization;  // the Authorization header, "" when absent
  std::string content_type;
  std::string body;
  std::multimap<std::string, HttpPart> parts;  // multipart/form-data fields and files
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// What the API needs of the model: its embedding space, its calibrated threshold (if any), and
// L2-normalised embeddings of RGB images (hat::Error on failure). The caller serialises use.
struct ImageEmbedder {
  EmbeddingSpace space;
  std::optional<double> calibrated_threshold;
  std::function<std::vector<std::vector<float>>(const std::vector<cv::Mat>&)> embed;
};

struct GalleryApiOptions {
  std::string token;  // "" : no token needed
  size_t max_json_bytes = 64 * 1024;
  size_t max_images = 32;              // per enrolment
  size_t max_image_pixels = 16 << 20;  // per decoded image
  int thumbnail_height = 128;
  double default_threshold = 0.35;  // hatmatch's, for a model without a calibrated one
};

class GalleryApi {
 public:
  GalleryApi(GalleryStore& store, ImageEmbedder embedder, GalleryApiOptions options);
  HttpResponse handle(const HttpRequest& request);

 private:
  HttpResponse route(const HttpRequest& request);
  HttpResponse info();
  HttpResponse list_identities();
  HttpResponse get_identity(int64_t id);
  HttpResponse list_sightings(int64_t id, const HttpRequest& request);
  HttpResponse rename(int64_t id, const HttpRequest& request);
  HttpResponse remove(int64_t id);
  HttpResponse enrol(const HttpRequest& request);
  HttpResponse search(const HttpRequest& request);
  HttpResponse purge(const HttpRequest& request);
  HttpResponse thumbnail(std::optional<int64_t> sighting);
  double threshold() const;
  std::vector<cv::Mat> images_of(const HttpRequest& request, const char* field);

  GalleryStore& store_;
  ImageEmbedder embedder_;
  GalleryApiOptions options_;
  std::mutex mutex_;  // one request at a time uses the store and the model
};

}  // namespace hat
