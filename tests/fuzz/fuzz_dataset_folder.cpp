// Dataset folders and file names (evaluation/readers.h). The input describes a folder tree: its
// first byte picks the reader (market1501, dukemtmc, cuhk03np-*, msmt17*, custom), each further
// line is a relative path made as an empty file, or "PATH<TAB>TEXT" made as a text file (list
// files of MSMT17 and CUHK03-NP), with "\n" in TEXT written as a line break. Every line's last
// component also goes through the Market-style name parser.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "evaluation/dataset.h"
#include "evaluation/readers.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

// A path inside the root, or "" for one that would leave it or that the filesystem refuses.
std::string inside_root(const std::string& line) {
  std::string out;
  size_t parts = 0;
  std::stringstream ss(line);
  for (std::string part; std::getline(ss, part, '/');) {
    if (part.empty() || part == "." || part == ".." || part.size() > 100 ||
        part.find('\0') != std::string::npos)
      return "";
    if (++parts > 6) return "";
    out += (out.empty() ? "" : "/") + part;
  }
  return out;
}

std::string unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == 'n') {
      out += '\n';
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  namespace fs = std::filesystem;
  const std::vector<std::string> names = hat::dataset_names();
  const std::string name = names[data[0] % names.size()];
  const std::string root = hat::fuzz::scratch_dir() + "/dataset";
  fs::remove_all(root);
  fs::create_directories(root);
  std::stringstream lines(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  int files = 0;
  for (std::string line; std::getline(lines, line) && files < 64;) {
    const size_t tab = line.find('\t');
    const std::string rel = inside_root(line.substr(0, tab));
    if (rel.empty()) continue;
    const std::string base =
        rel.substr(rel.rfind('/') == std::string::npos ? 0 : rel.rfind('/') + 1);
    if (auto labels = hat::parse_market_name(base); labels && labels->camid < -1) std::abort();
    std::error_code error;
    fs::create_directories(fs::path(root + "/" + rel).parent_path(), error);
    if (error) continue;  // a file where a folder should be: the tree cannot be made
    std::ofstream out(root + "/" + rel, std::ios::binary | std::ios::trunc);
    if (!out) continue;  // a folder of that name already: the tree cannot be made
    if (tab != std::string::npos) out << unescape(line.substr(tab + 1));
    ++files;
  }
  std::ostringstream log;
  try {
    const hat::ReidDataset d = hat::read_dataset(name, root, hat::ReaderOptions{}, log);
    for (const auto* split : {&d.train, &d.query, &d.gallery})
      for (const auto& r : *split)
        if (r.path.empty() || r.camid < -1) std::abort();
  } catch (const hat::Error&) {
  }
  return 0;
}
