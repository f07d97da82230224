#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>

#include "base/error.h"
#include "evaluation/readers.h"

namespace hat {

namespace {

namespace fs = std::filesystem;

// Camera from a "c<N>" token of the name ("cam" names too: "c3", "cam3"); -1 when absent.
int camera_from_name(const std::string& name) {
  static const std::regex pattern(R"((?:^|[_\-.])c(?:am)?(\d+)(?=[_\-.]|$))", std::regex::icase);
  std::smatch m;
  // More digits than any camera count: not a camera token (std::stoi would throw).
  if (!std::regex_search(name, m, pattern) || m[1].length() > 6) return -1;
  return std::stoi(m[1].str()) - 1;
}

std::string first_existing(const std::string& root, const std::vector<std::string>& names) {
  for (const auto& n : names)
    if (fs::is_directory(root + "/" + n)) return root + "/" + n;
  throw Error(root + ": custom dataset needs a '" + names.front() + "' folder (or '" +
              names.back() + "')");
}

// One split: Market-style files, or one sub-folder per identity. Identity folder names map to
// numbers shared by all splits (numeric names keep their number).
std::vector<ImageRecord> read_split(const std::string& dir, std::map<std::string, int>& ids,
                                    std::ostream& log) {
  std::vector<std::string> subdirs;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory()) subdirs.push_back(e.path().filename().string());
  if (subdirs.empty()) return read_market_style_folder(dir, log);
  std::sort(subdirs.begin(), subdirs.end());
  std::vector<ImageRecord> records;
  int unknown_camera = 0;
  for (const auto& sub : subdirs) {
    auto it = ids.find(sub);
    if (it == ids.end()) {
      int id = static_cast<int>(ids.size()) + 1;
      if (std::all_of(sub.begin(), sub.end(), ::isdigit) && sub.size() < 9) id = std::stoi(sub);
      it = ids.emplace(sub, id).first;
    }
    for (const auto& name : list_images(dir + "/" + sub)) {
      const int cam = camera_from_name(name);
      unknown_camera += cam < 0;
      records.push_back({dir + "/" + sub + "/" + name, it->second, cam});
    }
  }
  if (unknown_camera > 0)
    log << "note: " << dir << ": " << unknown_camera
        << " image(s) name no camera (c<N>); they are never excluded as same-camera matches\n";
  if (records.empty()) throw Error(dir + ": no usable images");
  return records;
}

}  // namespace

ReidDataset read_custom_folder(const std::string& root, std::ostream& log) {
  if (!fs::is_directory(root)) throw Error(root + ": dataset root missing");
  ReidDataset d;
  d.name = "custom";
  d.root = root;
  std::map<std::string, int> ids;
  if (fs::is_directory(root + "/train") || fs::is_directory(root + "/bounding_box_train"))
    d.train = read_split(first_existing(root, {"train", "bounding_box_train"}), ids, log);
  else
    log << "note: " << root << ": no train/ folder: query and gallery only (evaluation)\n";
  d.query = read_split(first_existing(root, {"query", "query"}), ids, log);
  d.gallery = read_split(first_existing(root, {"gallery", "bounding_box_test"}), ids, log);
  report_counts(d, std::nullopt, log);
  return d;
}

}  // namespace hat
