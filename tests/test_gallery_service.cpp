// `hat-gallery serve` as users run it: the real program over a test gallery (enrolled people and
// camera sightings with thumbnails), asked through a real HTTP client (cpp-httplib). Every
// biometric endpoint refuses requests without the token and serves them with it; bad requests
// and fuzzed ones get one-line 4xx answers and never take the service down; the web page, loaded
// in headless Chromium, shows the identity cards and the selected identity's timeline.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "base/file_io.h"
#include "gallery/sqlite_gallery_store.h"
#include "tests/test_env.h"
#include "tests/tiny_model.h"
#include "train/synthetic_people.h"

namespace hat {
namespace {

using nlohmann::json;
constexpr int64_t kSecond = 1000000;
constexpr int64_t kT0 = 1795000000 * kSecond;  // 2026-11-18T11:06:40Z

std::string png_of_person(uint64_t who, int view) {
  std::vector<uchar> png;
  cv::imencode(".png", render_person(make_identity(who), make_camera(view), 10 + view, {64, 128}),
               png);
  return std::string(png.begin(), png.end());
}

std::string jpeg_of_person(uint64_t who) {
  std::vector<uchar> jpeg;
  cv::imencode(".jpg", render_person(make_identity(who), make_camera(3), 5, {48, 96}), jpeg);
  return std::string(jpeg.begin(), jpeg.end());
}

// A gallery with alice and bob enrolled (through the real CLI) and alice seen on two cameras.
struct TestGallery {
  std::string dir = test::scratch_dir(), path = dir + "/gallery.db";
  std::string alice_png = dir + "/alice.png";
  TestGallery() {
    const std::string bob_png = dir + "/bob.png";
    std::ofstream(alice_png, std::ios::binary) << png_of_person(1, 0);
    std::ofstream(bob_png, std::ios::binary) << png_of_person(2, 0);
    for (const auto& [name, png] : {std::pair{"alice", alice_png}, std::pair{"bob", bob_png}}) {
      const auto r = test::run(test::hat_gallery_tool() + " enroll --gallery " + path + " --name " +
                               name + " --model " + test::tiny_model_path() + " " + png);
      EXPECT_EQ(r.exit_code, 0) << r.output;
    }
    SqliteGalleryStore store(path);
    const auto space = store.space();
    std::vector<SightingRecord> seen;
    for (int i = 0; i < 6; ++i) {
      SightingRecord s;
      s.identity = 1;
      s.camera = i < 4 ? "lobby" : "garage";
      s.track = 3 + i / 4;
      s.time_us = kT0 + i * 60 * kSecond;
      s.box = {10 * i, 20, 40, 100};
      s.embedding.assign(static_cast<size_t>(space->dim), 0.1f);
      s.thumbnail_jpeg = jpeg_of_person(1);
      s.thumbnail_score = 0.5;
      seen.push_back(std::move(s));
    }
    store.add_sightings(seen);
  }
};

// The service in a child process, on a free port.
class Service {
 public:
  explicit Service(const TestGallery& g, const std::string& extra = "--require-token") {
    log_ = g.dir + "/serve-" + std::to_string(counter_++) + ".log";
    const std::string command = test::hat_gallery_tool() + " serve --gallery " + g.path +
                                " --model " + test::tiny_model_path() + " --port 0 " + extra;
    pid_ = fork();
    if (pid_ == 0) {
      if (!freopen(log_.c_str(), "w", stdout) || !freopen(log_.c_str(), "a", stderr)) _exit(126);
      execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    static const std::regex ready(R"(on http://[^:]+:(\d+)/)");
    for (int i = 0; i < 600 && port_ == 0; ++i) {
      std::smatch m;
      const std::string out = output();
      if (std::regex_search(out, m, ready)) port_ = std::stoi(m[1]);
      if (waitpid(pid_, &status_, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    token_file_ = g.path + ".token";
  }
  ~Service() { stop(); }
  int stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, &status_, 0);
      pid_ = -1;
    }
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }
  int port() const { return port_; }
  std::string output() const {
    std::ifstream f(log_);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }
  std::string token() const {
    std::string t = read_file(token_file_);
    while (!t.empty() && t.back() == '\n') t.pop_back();
    return t;
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30, 0);
    return c;
  }
  httplib::Headers auth() const { return {{"Authorization", "Bearer " + token()}}; }

 private:
  static inline int counter_ = 0;
  std::string log_, token_file_;
  pid_t pid_ = -1;
  int port_ = 0, status_ = 0;
};

json body(const httplib::Result& r) { return json::parse(r->body); }

void expect_one_line_error(const httplib::Result& r, int status, const std::string& what) {
  ASSERT_TRUE(r) << what;
  EXPECT_EQ(r->status, status) << what << ": " << r->body;
  const json j = json::parse(r->body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << what << ": " << r->body;
  ASSERT_TRUE(j.contains("error")) << what;
  EXPECT_EQ(j["error"].get<std::string>().find('\n'), std::string::npos) << what;
}

TEST(GalleryService, EveryBiometricEndpointNeedsTheTokenAndServesWithIt) {
  TestGallery g;
  Service s(g);
  ASSERT_GT(s.port(), 0) << s.output();
  struct stat st {};
  ASSERT_EQ(stat((g.path + ".token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the token file is owner-only";
  auto c = s.client();
  const httplib::MultipartFormDataItems search_form = {
      {"image", png_of_person(1, 0), "alice.png", "image/png"}};
  const httplib::MultipartFormDataItems enrol_form = {
      {"name", "carol", "", ""}, {"image", png_of_person(3, 1), "carol.png", "image/png"}};
  // Without the token, or with a wrong one: 401, for every endpoint that touches people.
  const httplib::Headers wrong = {{"Authorization", "Bearer 0123"}};
  for (const auto* headers : {static_cast<const httplib::Headers*>(nullptr), &wrong}) {
    const httplib::Headers h = headers ? *headers : httplib::Headers{};
    expect_one_line_error(c.Get("/api/v1/identities", h), 401, "list");
    expect_one_line_error(c.Get("/api/v1/identities/1", h), 401, "get");
    expect_one_line_error(c.Get("/api/v1/identities/1/sightings", h), 401, "sightings");
    expect_one_line_error(c.Get("/api/v1/identities/1/thumbnail", h), 401, "thumbnail");
    expect_one_line_error(c.Get("/api/v1/sightings/1/thumbnail", h), 401, "sighting thumbnail");
    expect_one_line_error(c.Post("/api/v1/search", h, search_form), 401, "search");
    expect_one_line_error(c.Post("/api/v1/identities", h, enrol_form), 401, "enrol");
    expect_one_line_error(
        c.Patch("/api/v1/identities/2", h, R"({"label":"x"})", "application/json"), 401, "rename");
    expect_one_line_error(c.Delete("/api/v1/identities/2", h), 401, "delete");
    expect_one_line_error(c.Post("/api/v1/purge", h, R"({"older_than":"1s"})", "application/json"),
                          401, "purge");
  }
  // The page and the service's description need none.
  auto r = c.Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("<script src=\"/app.js\">"), std::string::npos);
  EXPECT_EQ(c.Get("/app.js")->status, 200);
  r = c.Get("/api/v1/info");
  ASSERT_EQ(r->status, 200);
  EXPECT_TRUE(body(r)["token_required"].get<bool>());
  EXPECT_EQ(body(r)["model"], "tiny");

  // With the token.
  const auto h = s.auth();
  r = c.Get("/api/v1/identities", h);
  ASSERT_EQ(r->status, 200) << r->body;
  const json identities = body(r)["identities"];
  ASSERT_EQ(identities.size(), 2u);
  EXPECT_EQ(identities[0]["label"], "alice");
  EXPECT_EQ(identities[0]["sightings"], 7);
  EXPECT_EQ(identities[0]["cameras"].size(), 3u);  // enrolment, garage, lobby
  ASSERT_TRUE(identities[0]["thumbnail"].is_string());
  r = c.Get(identities[0]["thumbnail"].get<std::string>(), h);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "image/jpeg");
  EXPECT_FALSE(
      cv::imdecode(std::vector<uchar>(r->body.begin(), r->body.end()), cv::IMREAD_COLOR).empty());
  // The forensic search: alice on the lobby camera between her 2nd and 4th minute.
  r = c.Get("/api/v1/identities/1/sightings?camera=lobby&from=2026-11-18T11:07:40Z&to=" +
                std::to_string((kT0 + 180 * kSecond) / kSecond),
            h);
  ASSERT_EQ(r->status, 200) << r->body;
  const json sightings = body(r)["sightings"];
  ASSERT_EQ(sightings.size(), 3u) << sightings.dump();
  for (const auto& x : sightings) {
    EXPECT_EQ(x["camera"], "lobby");
    EXPECT_GE(x["unix_time_us"].get<int64_t>(), kT0 + 60 * kSecond);
    EXPECT_LE(x["unix_time_us"].get<int64_t>(), kT0 + 180 * kSecond);
    EXPECT_TRUE(x["thumbnail"].is_string());
  }
  EXPECT_GE(sightings[0]["unix_time_us"], sightings[2]["unix_time_us"]) << "newest first";
  r = c.Get(sightings[0]["thumbnail"].get<std::string>(), h);
  EXPECT_EQ(r->status, 200);
  // Search by an uploaded image: alice's enrolment image is nearest, with the threshold used.
  r = c.Post("/api/v1/search?top=3", h, search_form);
  ASSERT_EQ(r->status, 200) << r->body;
  const json hits = body(r);
  EXPECT_DOUBLE_EQ(hits["threshold"].get<double>(), 0.35);
  ASSERT_FALSE(hits["hits"].empty());
  EXPECT_EQ(hits["hits"][0]["label"], "alice");
  EXPECT_NEAR(hits["hits"][0]["distance"].get<double>(), 0.0, 2e-3);
  EXPECT_TRUE(hits["hits"][0]["match"].get<bool>());
  // Enrol, rename, delete, purge.
  r = c.Post("/api/v1/identities", h, enrol_form);
  ASSERT_EQ(r->status, 201) << r->body;
  const int64_t carol = body(r)["identity"];
  r = c.Patch("/api/v1/identities/2", h, R"({"label":"robert"})", "application/json");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(body(r)["label"], "robert");
  expect_one_line_error(
      c.Patch("/api/v1/identities/2", h, R"({"label":"alice"})", "application/json"), 409,
      "a label another identity has");
  r = c.Delete("/api/v1/identities/" + std::to_string(carol), h);
  ASSERT_EQ(r->status, 200);
  expect_one_line_error(c.Get("/api/v1/identities/" + std::to_string(carol), h), 404, "deleted");
  r = c.Post("/api/v1/purge", h, R"({"older_than":"0s"})", "application/json");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(body(r)["sightings"], 6) << "camera sightings go, enrolled images stay";
  EXPECT_EQ(s.stop(), 0) << s.output();
}

TEST(GalleryService, BadRequestsGetOneLineClientErrors) {
  TestGallery g;
  Service s(g, "--require-token --max-upload 1");
  ASSERT_GT(s.port(), 0) << s.output();
  auto c = s.client();
  const auto h = s.auth();
  const std::string json_type = "application/json";
  expect_one_line_error(c.Patch("/api/v1/identities/1", h, "{nope", json_type), 400, "bad JSON");
  expect_one_line_error(c.Patch("/api/v1/identities/1", h, R"({"label": 5})", json_type), 400,
                        "wrong type");
  expect_one_line_error(c.Patch("/api/v1/identities/1", h, R"([1, 2])", json_type), 400,
                        "not an object");
  expect_one_line_error(c.Patch("/api/v1/identities/1", h,
                                json({{"label", std::string(1000, 'a')}}).dump(), json_type),
                        400, "oversized label");
  expect_one_line_error(c.Patch("/api/v1/identities/99", h, R"({"label":"x"})", json_type), 404,
                        "no such identity");
  expect_one_line_error(c.Get("/api/v1/identities/abc", h), 400, "bad id");
  expect_one_line_error(c.Get("/api/v1/identities/1/sightings?from=yesterday", h), 400, "bad time");
  expect_one_line_error(c.Get("/api/v1/identities/1/sightings?limit=0", h), 400, "bad limit");
  expect_one_line_error(c.Get("/api/v1/nothing", h), 404, "unknown endpoint");
  expect_one_line_error(c.Put("/api/v1/identities", h, "{}", json_type), 405, "wrong method");
  expect_one_line_error(c.Post("/api/v1/purge", h, R"({"older_than":"soon"})", json_type), 400,
                        "bad duration");
  expect_one_line_error(c.Post("/api/v1/search", h,
                               httplib::MultipartFormDataItems{
                                   {"image", "not an image at all", "x.png", "image/png"}}),
                        415, "not an image");
  expect_one_line_error(c.Post("/api/v1/search", h, "", "text/plain"), 400, "no image");
  expect_one_line_error(
      c.Post("/api/v1/identities", h,
             httplib::MultipartFormDataItems{{"image", png_of_person(1, 0), "a.png", "image/png"}}),
      400, "no name");
  expect_one_line_error(c.Post("/api/v1/search", h, std::string(2 << 20, 'x'), "image/png"), 413,
                        "over the upload limit");
  EXPECT_EQ(c.Get("/api/v1/info")->status, 200) << "still serving";
}

TEST(GalleryService, FuzzedRequestsNeverCrashIt) {
  TestGallery g;
  Service s(g, "--require-token");
  ASSERT_GT(s.port(), 0) << s.output();
  auto c = s.client();
  const auto h = s.auth();
  std::mt19937 rng(7);
  const std::vector<std::string> paths = {
      "/api/v1/identities",
      "/api/v1/identities/1",
      "/api/v1/identities/2/sightings",
      "/api/v1/identities/1/thumbnail",
      "/api/v1/sightings/3/thumbnail",
      "/api/v1/search",
      "/api/v1/purge",
      "/api/v1/identities/%00",
      "/api/v1/identities/99999999999999999999",
      "/api/v1/identities/1/sightings?from=%ff&to=1e400&camera=" + std::string(300, 'c'),
      "/api/v1/search?top=-1&max_distance=nan",
      "/../../etc/passwd",
      "/api/v1//identities"};
  const std::vector<std::string> types = {"application/json", "image/png", "text/plain",
                                          "multipart/form-data; boundary=x", ""};
  auto random_body = [&]() {
    switch (rng() % 5) {
      case 0: {
        std::string b(rng() % 4096, '\0');
        for (auto& ch : b) ch = static_cast<char>(rng());
        return b;
      }
      case 1:
        return json({{"label", json::array({1, 2})}, {"older_than", rng() % 2 ? "1x" : "-5s"}})
            .dump();
      case 2:
        return json({{"label", std::string(rng() % 100000, 'z')}}).dump();
      case 3:
        return std::string("--x\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\n") +
               std::string(rng() % 500, '\x89') + "\r\n--x--\r\n";
      default:
        return std::string("{\"older_than\": ") + std::to_string(rng()) + "}";
    }
  };
  int answered = 0;
  for (int i = 0; i < 300; ++i) {
    const std::string path = paths[rng() % paths.size()];
    const std::string type = types[rng() % types.size()];
    const std::string b = random_body();
    const unsigned method = rng() % 5;
    const httplib::Result r = method == 0   ? c.Get(path, h)
                              : method == 1 ? c.Post(path, h, b, type)
                              : method == 2 ? c.Patch(path, h, b, type)
                              : method == 3 ? c.Delete(path, h)
                                            : c.Put(path, h, b, type);
    ASSERT_TRUE(r) << "request " << i << " " << path << ": no answer\n" << s.output();
    EXPECT_LT(r->status, 500) << path << " " << r->body;
    ++answered;
  }
  EXPECT_EQ(answered, 300);
  EXPECT_EQ(c.Get("/api/v1/info")->status, 200);
  EXPECT_EQ(s.stop(), 0) << s.output();
}

TEST(GalleryService, AnyOtherAddressThanLoopbackRequiresTheToken) {
  TestGallery g;
  Service s(g, "--address 0.0.0.0");
  ASSERT_GT(s.port(), 0) << s.output();
  EXPECT_NE(s.output().find("token in " + g.path + ".token"), std::string::npos) << s.output();
  expect_one_line_error(s.client().Get("/api/v1/identities"), 401, "no token");
  EXPECT_EQ(s.client().Get("/api/v1/identities", s.auth())->status, 200);
}

// Runs Debian's chromium headless; its output (DOM or screenshot log).
std::string chromium(const std::string& args) {
  for (const char* binary : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (access(binary, X_OK) != 0) continue;
    return test::run(std::string(binary) +
                     " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
                     "--no-first-run --user-data-dir=" +
                     test::scratch_dir() + "/chromium " + args + " 2>/dev/null")
        .output;
  }
  ADD_FAILURE() << "chromium is not installed: scripts/install-deps.sh installs Debian's chromium";
  return "";
}

TEST(GalleryService, ThePageShowsCardsAndATimelineInARealBrowser) {
  TestGallery g;
  Service s(g, "--require-token");
  ASSERT_GT(s.port(), 0) << s.output();
  const std::string url =
      "'http://127.0.0.1:" + std::to_string(s.port()) + "/#token=" + s.token() + "&identity=1'";
  const std::string dom = chromium("--virtual-time-budget=15000 --dump-dom " + url);
  // Two identity cards, alice's selected, and her timeline with one row per camera.
  const std::regex card(R"re(<div class="card[^"]*" data-id="(\d+)")re");
  std::vector<int> ids;
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), card); it != std::sregex_iterator();
       ++it)
    ids.push_back(std::stoi((*it)[1]));
  EXPECT_EQ(ids, (std::vector<int>{1, 2})) << dom.substr(0, 3000);
  EXPECT_NE(dom.find(R"(<div class="card selected" data-id="1")"), std::string::npos);
  EXPECT_NE(dom.find("Timeline of alice"), std::string::npos);
  for (const char* camera : {"lobby", "garage", "enrolment"})
    EXPECT_NE(dom.find(std::string(R"(<div class="timeline-row" data-camera=")") + camera + "\""),
              std::string::npos)
        << camera;
  size_t dots = 0;
  for (size_t p = dom.find("class=\"sighting"); p != std::string::npos;
       p = dom.find("class=\"sighting", p + 1))
    ++dots;
  EXPECT_EQ(dots, 7u) << "one dot per sighting of alice";
  EXPECT_NE(dom.find("blob:"), std::string::npos) << "thumbnails fetched with the token";

  const std::string png = test::scratch_dir() + "/gallery-page.png";
  chromium("--virtual-time-budget=15000 --window-size=1280,900 --screenshot=" + png + " " + url);
  const cv::Mat shot = cv::imread(png);
  ASSERT_FALSE(shot.empty()) << "no screenshot at " << png;
  EXPECT_EQ(shot.cols, 1280);
  EXPECT_EQ(shot.rows, 900);
}

}  // namespace
}  // namespace hat
