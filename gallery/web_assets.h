// The web page of `hat-gallery serve` (gallery/web/: plain HTML, CSS and JavaScript, no CDN),
// compiled into the program by scripts/embed_files.py so that the service needs no install path.
#pragma once

#include <string>

namespace hat {

struct WebAsset {
  const char* content_type;
  std::string body;
};

// The asset served at `path` ("/index.html", "/app.js", "/style.css"); null when there is none.
const WebAsset* web_asset(const std::string& path);

}  // namespace hat
