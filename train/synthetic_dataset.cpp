#include "train/synthetic_dataset.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include <opencv2/imgcodecs.hpp>

#include "base/error.h"
#include "base/file_io.h"
#include "train/background_plate.h"
#include "train/synthetic_people.h"

namespace hat {

namespace {

namespace fs = std::filesystem;

struct Shot {
  int id;      // identity index (0-based over all identities)
  int camera;  // 0-based
  int index;   // running number of this identity's images
};

std::string format(const char* pattern, int a, int b = 0, int c = 0, int d = 0) {
  char buf[160];
  std::snprintf(buf, sizeof buf, pattern, a, b, c, d);
  return buf;
}

void write_image(const std::string& path, const cv::Mat& image) {
  fs::create_directories(fs::path(path).parent_path());
  std::vector<uchar> bytes;
  const bool png = path.size() > 4 && path.compare(path.size() - 4, 4, ".png") == 0;
  cv::imencode(png ? ".png" : ".jpg", image, bytes,
               png ? std::vector<int>{} : std::vector<int>{cv::IMWRITE_JPEG_QUALITY, 92});
  write_file_atomically(path, bytes.data(), bytes.size());
}

void write_text(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  write_file_atomically(path, text.data(), text.size());
}

std::shared_ptr<const std::vector<cv::Mat>> read_backgrounds(
    const std::vector<std::string>& paths) {
  if (paths.empty()) return nullptr;
  auto plates = std::make_shared<std::vector<cv::Mat>>();
  for (const auto& path : paths) {
    if (!fs::is_regular_file(path)) throw Error(path + ": no such background image or video");
    cv::Mat plate =
        cv::haveImageReader(path) ? cv::imread(path, cv::IMREAD_COLOR) : background_plate(path);
    if (plate.empty() || plate.rows < 16 || plate.cols < 16)
      throw Error(path + ": cannot read it as a background image");
    plates->push_back(plate);
  }
  return plates;
}

class Renderer {
 public:
  Renderer(const SynthOptions& o, int cameras, bool fixed_size,
           const std::shared_ptr<const std::vector<cv::Mat>>& backgrounds)
      : o_(o), fixed_size_(fixed_size) {
    for (int c = 0; c < cameras; ++c) {
      const uint64_t seed = o.seed * 1000 + static_cast<uint64_t>(c);
      Camera camera = make_camera(seed);
      if (o.look == "varied")
        camera = vary_camera(camera, seed, backgrounds);
      else
        camera.backdrops = backgrounds;
      cameras_.push_back(camera);
    }
  }
  cv::Mat operator()(int id, int camera, uint64_t variant) const {
    const uint64_t seed = (o_.seed * 1000003 + id) * 7919 + camera * 131 + variant;
    cv::Size size(64, 128);
    if (!fixed_size_) {  // crops of other releases vary in size
      std::mt19937_64 rng(seed);
      const int h = std::uniform_int_distribution<int>(110, 300)(rng);
      size = cv::Size(std::max(32, static_cast<int>(
                                       h * std::uniform_real_distribution<double>(0.35, 0.5)(rng))),
                      h);
    }
    return render_person(make_identity(o_.seed * 100003 + id), cameras_[camera], seed, size);
  }

 private:
  const SynthOptions& o_;
  bool fixed_size_;
  std::vector<Camera> cameras_;
};

// Which cameras see each identity, and how many images each takes.
std::vector<Shot> plan_shots(int id, int cameras, int min_per_camera, int max_per_camera,
                             std::mt19937_64& rng) {
  std::vector<int> order(cameras);
  for (int c = 0; c < cameras; ++c) order[c] = c;
  std::shuffle(order.begin(), order.end(), rng);
  const int seen = std::uniform_int_distribution<int>(std::min(2, cameras), cameras)(rng);
  std::vector<Shot> shots;
  int index = 0;
  for (int i = 0; i < seen; ++i) {
    const int n = std::uniform_int_distribution<int>(min_per_camera,
                                                     std::max(min_per_camera, max_per_camera))(rng);
    for (int k = 0; k < n; ++k) shots.push_back({id, order[i], index++});
  }
  return shots;
}

struct Split {
  std::vector<Shot> train, query, gallery;
};

// Half the identities train; the other half are split into one query per camera and a gallery.
Split plan(const SynthOptions& o, int cameras) {
  std::mt19937_64 rng(o.seed + 99);
  Split s;
  const int train_ids = o.ids / 2;
  for (int id = 0; id < o.ids; ++id) {
    const bool test = id >= train_ids;
    const auto shots = plan_shots(id, cameras, test ? 2 : 1, o.max_images_per_camera, rng);
    if (!test) {
      s.train.insert(s.train.end(), shots.begin(), shots.end());
      continue;
    }
    std::vector<bool> queried(cameras, false);
    for (const auto& shot : shots) {
      if (!queried[shot.camera]) {
        queried[shot.camera] = true;
        s.query.push_back(shot);
      } else {
        s.gallery.push_back(shot);
      }
    }
  }
  return s;
}

using Backgrounds = std::shared_ptr<const std::vector<cv::Mat>>;

SynthSummary write_market_like(const SynthOptions& o, const std::string& dir, int cameras,
                               bool market, const std::string& ext, bool jitter_boxes,
                               const Backgrounds& backgrounds, std::ostream& log) {
  const Split s = plan(o, cameras);
  const Renderer render(o, cameras, market, backgrounds);
  auto name = [&](int pid, const Shot& shot) {
    if (market)
      return format("%04d_c%ds1_%06d_%02d", pid, shot.camera + 1, 100 + 25 * shot.index,
                    shot.index % 10) +
             ext;
    if (ext == ".png") return format("%04d_c%d_%d", pid, shot.camera + 1, shot.index + 1) + ext;
    return format("%04d_c%d_f%07d", pid, shot.camera + 1, 40000 + 37 * shot.index + pid) + ext;
  };
  const uint64_t box_variant = jitter_boxes ? 7 : 0;  // detected boxes differ from labeled ones
  SynthSummary sum;
  sum.root = dir;
  for (const auto& shot : s.train)
    write_image(dir + "/bounding_box_train/" + name(shot.id + 1, shot),
                render(shot.id, shot.camera, shot.index + box_variant));
  for (const auto& shot : s.query)
    write_image(dir + "/query/" + name(shot.id + 1, shot),
                render(shot.id, shot.camera, shot.index + box_variant));
  for (const auto& shot : s.gallery)
    write_image(dir + "/bounding_box_test/" + name(shot.id + 1, shot),
                render(shot.id, shot.camera, shot.index + box_variant));
  sum.train_images = static_cast<int>(s.train.size());
  sum.query_images = static_cast<int>(s.query.size());
  sum.gallery_images = static_cast<int>(s.gallery.size());
  std::mt19937_64 rng(o.seed + 5);
  for (int i = 0; i < o.distractors; ++i) {
    // Market's distractors are pid 0; elsewhere they are identities seen only in the gallery.
    const int id = o.ids + i;
    const Shot shot{id, static_cast<int>(rng() % cameras), i};
    write_image(dir + "/bounding_box_test/" + name(market ? 0 : id + 1, shot),
                render(id, shot.camera, i));
    ++sum.gallery_images;
  }
  for (int i = 0; market && i < o.junk; ++i) {
    const Shot shot{o.ids + o.distractors + i, static_cast<int>(rng() % cameras), i};
    write_image(dir + "/bounding_box_test/" +
                    format("-1_c%ds1_%06d_%02d", shot.camera + 1, 900 + i, 0) + ext,
                render(shot.id, shot.camera, i));
  }
  log << "wrote " << dir << ": train " << sum.train_images << ", query " << sum.query_images
      << ", gallery " << sum.gallery_images
      << (market && o.junk ? " (+" + std::to_string(o.junk) + " junk)" : "") << "\n";
  return sum;
}

SynthSummary write_msmt17(const SynthOptions& o, const std::string& dir, int cameras,
                          const Backgrounds& backgrounds, std::ostream& log) {
  const Split s = plan(o, cameras);
  const Renderer render(o, cameras, false, backgrounds);
  const char* times[] = {"0113morning", "0113noon", "0113afternoon", "0302morning", "0302noon"};
  auto relative = [&](int pid, const Shot& shot) {
    return format("%04d/%04d_%03d_%02d_", pid, pid, shot.index, shot.camera + 1) +
           times[(shot.index + pid) % 5] +
           format("_%04d_%d.jpg", 10 + shot.index * 3, shot.index % 4);
  };
  SynthSummary sum;
  sum.root = dir;
  // Training identities keep their number; test identities are numbered from 0 again, as in the
  // release. About one training identity in ten goes to list_val.
  std::string train_list, val_list, query_list, gallery_list;
  const int train_ids = o.ids / 2;
  for (const auto& shot : s.train) {
    const std::string rel = relative(shot.id, shot);
    write_image(dir + "/train/" + rel, render(shot.id, shot.camera, shot.index));
    (shot.id % 10 == 9 ? val_list : train_list) += rel + " " + std::to_string(shot.id) + "\n";
    ++sum.train_images;
  }
  auto test_item = [&](const Shot& shot, std::string& list, int pid) {
    const std::string rel = relative(pid, shot);
    write_image(dir + "/test/" + rel, render(shot.id, shot.camera, shot.index));
    list += rel + " " + std::to_string(pid) + "\n";
  };
  for (const auto& shot : s.query) test_item(shot, query_list, shot.id - train_ids);
  for (const auto& shot : s.gallery) test_item(shot, gallery_list, shot.id - train_ids);
  for (int i = 0; i < o.distractors; ++i)
    test_item({o.ids + i, i % cameras, i}, gallery_list, o.ids - train_ids + i);
  sum.query_images = static_cast<int>(s.query.size());
  sum.gallery_images = static_cast<int>(s.gallery.size()) + o.distractors;
  write_text(dir + "/list_train.txt", train_list);
  write_text(dir + "/list_val.txt", val_list);
  write_text(dir + "/list_query.txt", query_list);
  write_text(dir + "/list_gallery.txt", gallery_list);
  log << "wrote " << dir << ": train+val " << sum.train_images << ", query " << sum.query_images
      << ", gallery " << sum.gallery_images << "\n";
  return sum;
}

}  // namespace

std::vector<std::string> synth_layouts() {
  return {"market1501", "dukemtmc", "cuhk03np", "msmt17"};
}

SynthSummary write_synthetic_dataset(const SynthOptions& o, std::ostream& log) {
  if (o.ids < 4) throw Error("a synthetic dataset needs at least 4 identities");
  if (o.out.empty()) throw Error("no output folder given");
  if (o.max_images_per_camera < 2) throw Error("max images per camera must be at least 2");
  if (o.look != "classic" && o.look != "varied")
    throw Error("unknown look '" + o.look + "' (expected classic or varied)");
  const Backgrounds backgrounds = read_backgrounds(o.backgrounds);
  const auto cameras_of = [&](int release) { return o.cameras > 0 ? o.cameras : release; };
  if (o.layout == "market1501")
    return write_market_like(o, o.out + "/Market-1501-v15.09.15", cameras_of(6), true, ".jpg",
                             false, backgrounds, log);
  if (o.layout == "dukemtmc")
    return write_market_like(o, o.out + "/DukeMTMC-reID", cameras_of(8), false, ".jpg", false,
                             backgrounds, log);
  if (o.layout == "cuhk03np") {
    write_market_like(o, o.out + "/cuhk03-np/labeled", cameras_of(2), false, ".png", false,
                      backgrounds, log);
    return write_market_like(o, o.out + "/cuhk03-np/detected", cameras_of(2), false, ".png", true,
                             backgrounds, log);
  }
  if (o.layout == "msmt17")
    return write_msmt17(o, o.out + "/MSMT17_V1", cameras_of(15), backgrounds, log);
  throw Error("unknown layout '" + o.layout +
              "' (expected market1501, dukemtmc, cuhk03np or msmt17)");
}

}  // namespace hat
