// hat-gallery serve's API (gallery/http_api.h) on random requests: method, a path near the real
// routes, query, the bearer token, content type, body and multipart parts. The API's contract:
// a response for every request, a 4xx for a bad one, JSON bodies that parse, and never an
// "internal error" (an exception the API did not expect). The gallery is a real SQLite file
// with a few identities; images are embedded by a fixed colour layout (what is under test is
// the API's parsing and checking, not a model), in an embedding space of its own.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "base/error.h"
#include "gallery/gallery_store.h"
#include "gallery/http_api.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

constexpr int kDim = 8;
const char* const kToken = "fuzz-token-0123456789";

std::vector<std::vector<float>> colour_layout(const std::vector<cv::Mat>& images) {
  std::vector<std::vector<float>> out;
  for (const auto& image : images) {
    cv::Mat small, grey;
    cv::resize(image, small, cv::Size(2, 4), 0, 0, cv::INTER_AREA);
    cv::cvtColor(small, grey, cv::COLOR_RGB2GRAY);
    std::vector<float> e(kDim);
    double norm = 1e-6;
    for (int i = 0; i < kDim; ++i) norm += (e[i] = 1.0f + grey.at<uint8_t>(i / 2, i % 2)) * e[i];
    for (auto& v : e) v = static_cast<float>(v / std::sqrt(norm));
    out.push_back(e);
  }
  return out;
}

struct Service {
  std::unique_ptr<hat::GalleryStore> store;
  std::unique_ptr<hat::GalleryApi> api;

  Service() {
    store = hat::open_gallery(hat::fuzz::scratch_dir() + "/served.db");
    const hat::EmbeddingSpace space{"fuzz-colour-layout", kDim};
    store->require_space(space);
    std::vector<hat::SightingRecord> sightings;
    for (int person = 0; person < 3; ++person) {
      const int64_t id = store->create_identity(person == 0 ? "alice" : "", 1000 + person);
      hat::SightingRecord s;
      s.identity = id;
      s.camera = "cam-" + std::to_string(person);
      s.time_us = 1700000000000000 + person;
      s.box = {1, 2, 30, 60};
      s.embedding.assign(kDim, 0.35f);
      s.thumbnail_jpeg = "\xff\xd8\xff\xd9";
      s.thumbnail_score = 1;
      sightings.push_back(s);
    }
    store->add_sightings(sightings);
    hat::GalleryApiOptions options;
    options.token = kToken;
    options.max_json_bytes = 4096;
    options.max_images = 4;
    options.max_image_pixels = 1 << 16;
    api = std::make_unique<hat::GalleryApi>(*store, hat::ImageEmbedder{space, 0.3, colour_layout},
                                            options);
  }
};

const char* const kMethods[] = {"GET", "POST", "PATCH", "DELETE", "HEAD", "PUT", ""};
const char* const kPaths[] = {"/",
                              "/index.html",
                              "/api/v1/info",
                              "/api/v1/identities",
                              "/api/v1/identities/1",
                              "/api/v1/identities/2/sightings",
                              "/api/v1/identities/1/thumbnail",
                              "/api/v1/sightings/1/thumbnail",
                              "/api/v1/search",
                              "/api/v1/purge",
                              "/api/v1/identities/"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Service service;
  FuzzedDataProvider in(data, size);
  hat::HttpRequest r;
  r.method = kMethods[in.ConsumeIntegralInRange<size_t>(0, std::size(kMethods) - 1)];
  r.path = kPaths[in.ConsumeIntegralInRange<size_t>(0, std::size(kPaths) - 1)];
  if (in.ConsumeBool()) r.path += in.ConsumeRandomLengthString(24);
  for (int q = in.ConsumeIntegralInRange(0, 4); q > 0; --q) {
    std::string key = in.ConsumeRandomLengthString(12);
    r.query[key] = in.ConsumeRandomLengthString(24);
  }
  switch (in.ConsumeIntegralInRange(0, 2)) {
    case 0:
      r.authorization = std::string("Bearer ") + kToken;
      break;
    case 1:
      r.authorization = in.ConsumeRandomLengthString(40);
      break;
    default:
      break;
  }
  r.content_type = in.ConsumeBool() ? "application/json" : in.ConsumeRandomLengthString(40);
  for (int p = in.ConsumeIntegralInRange(0, 3); p > 0; --p) {
    hat::HttpPart part;
    const std::string field = in.ConsumeBool() ? "image" : in.ConsumeRandomLengthString(10);
    part.filename = in.ConsumeRandomLengthString(20);
    part.content_type = in.ConsumeBool() ? "image/png" : in.ConsumeRandomLengthString(20);
    part.content = in.ConsumeRandomLengthString(4096);
    r.parts.emplace(field, part);
  }
  r.body = in.ConsumeRemainingBytesAsString();
  const hat::HttpResponse response = service.api->handle(r);
  if (response.status < 200 || response.status > 599) std::abort();
  if (response.content_type == "application/json") {
    const auto j = nlohmann::json::parse(response.body, nullptr, false);
    if (j.is_discarded()) std::abort();
    if (response.status >= 500 && j.value("error", "").rfind("internal error", 0) == 0)
      std::abort();
  }
  // Keep the gallery small: enrolments add to it with every accepted request.
  if (service.store->sighting_count() > 2000) service.store->purge_before(INT64_MAX);
  return 0;
}
