#include "gallery/http_server.h"

#include <httplib.h>

#include <atomic>
#include <csignal>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace hat {
namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop = true; }

HttpRequest to_request(const httplib::Request& req) {
  HttpRequest r;
  r.method = req.method;
  r.path = req.path;
  for (const auto& [key, value] : req.params) r.query.emplace(key, value);
  r.authorization = req.get_header_value("Authorization");
  r.content_type = req.get_header_value("Content-Type");
  r.body = req.body;
  for (const auto& [name, file] : req.files)
    r.parts.emplace(name, HttpPart{file.filename, file.content_type, file.content});
  return r;
}

void send(const HttpResponse& response, httplib::Response& res) {
  res.status = response.status;
  res.set_content(response.body, response.content_type.c_str());
  // The page and the API come from this origin only; biometric answers are not cached.
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' blob:; frame-ancestors 'none'");
  res.set_header("Cache-Control", "no-store");
}

}  // namespace

void serve_http(GalleryApi& api, const HttpServeOptions& options,
                const std::function<void(int port)>& ready) {
  httplib::Server server;
  server.new_task_queue = [threads = options.threads] {
    return new httplib::ThreadPool(static_cast<size_t>(std::max(1, threads)));
  };
  server.set_payload_max_length(options.max_upload_bytes);
  const auto handler = [&api](const httplib::Request& req, httplib::Response& res) {
    send(api.handle(to_request(req)), res);
  };
  for (const char* pattern : {R"(/.*)"}) {
    server.Get(pattern, handler);
    server.Post(pattern, handler);
    server.Patch(pattern, handler);
    server.Delete(pattern, handler);
    server.Put(pattern, handler);
  }
  // What cpp-httplib refuses itself (413 over the upload limit, 400 for a broken request).
  server.set_error_handler([&options](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string message = "bad request";
    if (res.status == 413)
      message = "request body over the upload limit of " +
                std::to_string(options.max_upload_bytes) + " bytes";
    if (res.status == 404) message = "no such page";
    res.set_content(nlohmann::json({{"error", message}}).dump(), "application/json");
  });
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        res.status = 500;
        res.set_content(R"({"error": "internal error"})", "application/json");
      });
  const int port = options.port == 0
                       ? server.bind_to_any_port(options.address)
                       : (server.bind_to_port(options.address, options.port) ? options.port : -1);
  if (port <= 0)
    throw Error("cannot listen on " + options.address + ":" + std::to_string(options.port) +
                " (in use, or not an address of this machine)");
  g_stop = false;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::thread watcher([&server] {
    while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server.stop();
  });
  ready(port);
  server.listen_after_bind();
  g_stop = true;
  watcher.join();
}

}  // namespace hat
