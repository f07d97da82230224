#include <fstream>
#include <sstream>

#include "base/error.h"
#include "evaluation/readers.h"

namespace hat {

namespace {

// "0000/0000_000_01_0303morning_0015_0.jpg 0": path relative to `image_dir`, then the identity.
// The camera is the third '_' field of the file name (1-based in the name).
std::vector<ImageRecord> read_list(const std::string& list, const std::string& image_dir) {
  std::ifstream in(list);
  if (!in) throw Error(list + ": list file missing or unreadable");
  std::vector<ImageRecord> records;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::istringstream fields(line);
    std::string path, extra;
    int pid = 0;
    auto bad = [&](const std::string& why) {
      return Error(list + ":" + std::to_string(number) + ": " + why +
                   " (expected 'relative/path.jpg PID')");
    };
    if (!(fields >> path >> pid) || (fields >> extra)) throw bad("malformed line");
    const std::string name = path.substr(path.find_last_of('/') + 1);
    std::vector<std::string> parts;
    std::stringstream ss(name);
    for (std::string part; std::getline(ss, part, '_');) parts.push_back(part);
    int camera = 0;
    try {
      if (parts.size() < 3) throw std::invalid_argument(name);
      size_t used = 0;
      camera = std::stoi(parts[2], &used);
      if (used != parts[2].size() || camera < 1) throw std::invalid_argument(name);
    } catch (const std::exception&) {
      throw bad("no camera in the third '_' field of '" + name + "'");
    }
    records.push_back({image_dir + "/" + path, pid, camera - 1});
  }
  if (records.empty()) throw Error(list + ": no entries");
  return records;
}

}  // namespace

ReidDataset read_msmt17(const std::string& root, int version, const ReaderOptions& options,
                        std::ostream& log) {
  const std::string release = version == 1 ? "MSMT17_V1" : "MSMT17_V2";
  const std::string dir = locate_release(root, release, "list_query.txt", release + " release");
  const std::string train_dir = dir + (version == 1 ? "/train" : "/mask_train_v2");
  const std::string test_dir = dir + (version == 1 ? "/test" : "/mask_test_v2");
  ReidDataset d;
  d.name = version == 1 ? "msmt17" : "msmt17-v2";
  d.root = dir;
  d.train = read_list(dir + "/list_train.txt", train_dir);
  if (!options.msmt17_train_only) {
    const auto val = read_list(dir + "/list_val.txt", train_dir);
    d.train.insert(d.train.end(), val.begin(), val.end());
  }
  d.query = read_list(dir + "/list_query.txt", test_dir);
  d.gallery = read_list(dir + "/list_gallery.txt", test_dir);
  // The commonly used train + val split is the published one; train-only has no agreed count.
  OfficialCounts official{1041, options.msmt17_train_only ? 0 : 32621, 11659, 82161};
  report_counts(d, official, log);
  return d;
}

}  // namespace hat
