// `hat-gallery serve`'s HTTP server: cpp-httplib (Debian's libcpp-httplib-dev) in front of the
// GalleryApi. It binds, reports the port it got, serves until SIGINT or SIGTERM, and answers
// what the API never sees (a body over the upload limit, a broken request) with a one-line JSON
// error as well.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "gallery/http_api.h"

namespace hat {

struct HttpServeOptions {
  std::string address = "127.0.0.1";
  int port = 8080;  // 0: any free port
  size_t max_upload_bytes = 8 << 20;
  int threads = 4;
};

// Serves until SIGINT or SIGTERM; `ready(port)` is called once it listens. hat::Error when the
// address cannot be bound (naming it).
void serve_http(GalleryApi& api, const HttpServeOptions& options,
                const std::function<void(int port)>& ready);

}  // namespace hat
