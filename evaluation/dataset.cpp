#include "evaluation/dataset.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>

#include "base/error.h"

namespace hat {

namespace fs = std::filesystem;

namespace {

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool has_image_extension(const std::string& name) {
  const auto dot = name.find_last_of('.');
  if (dot == std::string::npos) return false;
  std::string ext = name.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == "jpg" || ext == "jpeg" || ext == "png" || ext == "bmp";
}

}  // namespace

int ReidDataset::num_train_ids() const {
  std::set<int> ids;
  for (const auto& r : train) ids.insert(r.pid);
  return static_cast<int>(ids.size());
}

void report_counts(const ReidDataset& d, const std::optional<OfficialCounts>& official,
                   std::ostream& log) {
  const int ids = d.num_train_ids();
  log << d.name << ": train " << ids << " ids / " << d.train.size() << " images, query "
      << d.query.size() << ", gallery " << d.gallery.size() << "\n";
  if (!official) return;
  auto check = [&](const char* what, size_t found, int expected) {
    if (expected > 0 && static_cast<int>(found) != expected)
      log << "warning: " << d.name << " " << what << " has " << found
          << ", the official release has " << expected << "\n";
  };
  check("train ids", static_cast<size_t>(ids), official->train_ids);
  check("train images", d.train.size(), official->train_images);
  check("query images", d.query.size(), official->query_images);
  check("gallery images", d.gallery.size(), official->gallery_images);
}

std::optional<NameLabels> parse_market_name(const std::string& file_name) {
  static const std::regex pattern(R"(^(-?\d+)_c(\d+)[^/]*$)");
  std::smatch m;
  if (!std::regex_match(file_name, m, pattern)) return std::nullopt;
  try {
    return NameLabels{std::stoi(m[1].str()), std::stoi(m[2].str()) - 1};
  } catch (const std::exception&) {
    return std::nullopt;  // out of int range
  }
}

std::vector<std::string> list_images(const std::string& dir, int* ignored) {
  if (!is_dir(dir)) throw Error(dir + ": folder missing");
  std::vector<std::string> names;
  int skipped = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!it->is_regular_file(ec)) continue;
    if (has_image_extension(name)) {
      names.push_back(name);
    } else {
      ++skipped;
    }
  }
  if (ec) throw Error(dir + ": cannot list: " + ec.message());
  std::sort(names.begin(), names.end());
  if (ignored) *ignored = skipped;
  return names;
}

std::vector<ImageRecord> read_market_style_folder(const std::string& dir, std::ostream& log) {
  int ignored = 0;
  const auto names = list_images(dir, &ignored);
  std::vector<ImageRecord> records;
  std::vector<std::string> malformed;
  int junk = 0;
  for (const auto& name : names) {
    const auto labels = parse_market_name(name);
    if (!labels || labels->camid < 0) {
      malformed.push_back(name);
    } else if (labels->pid == -1) {
      ++junk;  // the release's junk images: not part of the protocol
    } else {
      records.push_back({dir + "/" + name, labels->pid, labels->camid});
    }
  }
  if (!malformed.empty())
    log << "warning: " << dir << ": skipped " << malformed.size()
        << " file(s) whose names are not PID_cCAM... (first: '" << malformed.front() << "')\n";
  if (ignored > 0) log << "note: " << dir << ": ignored " << ignored << " non-image file(s)\n";
  if (junk > 0) log << "note: " << dir << ": dropped " << junk << " junk image(s) (identity -1)\n";
  if (records.empty()) throw Error(dir + ": no usable images");
  return records;
}

ReidDataset read_market_layout(const std::string& dir, const std::string& name,
                               const OfficialCounts& official, std::ostream& log) {
  ReidDataset d;
  d.name = name;
  d.root = dir;
  // A site's labeled test crops have no training split; evaluation does not need one.
  if (is_dir(dir + "/bounding_box_train"))
    d.train = read_market_style_folder(dir + "/bounding_box_train", log);
  else
    log << "note: " << dir << ": no bounding_box_train/: query and gallery only (evaluation)\n";
  d.query = read_market_style_folder(dir + "/query", log);
  d.gallery =
      read_market_style_folder(dir + "/bounding_box_test", log);  // distractors (pid 0) stay
  report_counts(d, official, log);
  return d;
}

std::string locate_release(const std::string& root, const std::string& sub,
                           const std::string& marker, const std::string& layout) {
  if (!is_dir(root)) throw Error(root + ": dataset root missing");
  if (!sub.empty() && is_dir(root + "/" + sub)) return root + "/" + sub;
  if (fs::exists(root + "/" + marker)) return root;
  throw Error(root + ": not a " + layout + " (expected " + (sub.empty() ? "" : sub + "/ or ") +
              marker + " in it)");
}

}  // namespace hat
