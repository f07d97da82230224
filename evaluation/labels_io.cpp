#include "evaluation/labels_io.h"

#include <fstream>
#include <sstream>

#include "base/error.h"
#include "base/file_io.h"

namespace hat {

namespace {

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, '\t')) out.push_back(field);
  if (!line.empty() && line.back() == '\t') out.push_back("");
  return out;
}

int parse_int(const std::string& text, const std::string& where) {
  size_t used = 0;
  int value = 0;
  try {
    value = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) throw Error(where + ": '" + text + "' is not an integer");
  return value;
}

}  // namespace

LabelTable read_labels_tsv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open labels file");
  std::string line;
  if (!std::getline(in, line))
    throw Error(path + ":1: empty labels file (expected the header 'pid<TAB>camid')");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const auto header = split_tabs(line);
  if (header.size() < 2 || header[0] != "pid" || header[1] != "camid")
    throw Error(path + ":1: header must start with 'pid<TAB>camid'");
  int path_column = -1;
  for (size_t c = 2; c < header.size(); ++c)
    if (header[c] == "path") path_column = static_cast<int>(c);
  LabelTable table;
  for (int number = 2; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const std::string where = path + ":" + std::to_string(number);
    const auto fields = split_tabs(line);
    if (fields.size() != header.size())
      throw Error(where + ": " + std::to_string(fields.size()) + " columns, the header has " +
                  std::to_string(header.size()));
    table.labels.pids.push_back(parse_int(fields[0], where));
    table.labels.camids.push_back(parse_int(fields[1], where));
    if (path_column >= 0) table.paths.push_back(fields[path_column]);
  }
  if (table.labels.size() == 0) throw Error(path + ": no rows");
  return table;
}

void write_labels_tsv(const std::string& path, const std::vector<ImageRecord>& records) {
  std::ostringstream out;
  out << "pid\tcamid\tpath\n";
  for (const auto& r : records) out << r.pid << "\t" << r.camid << "\t" << r.path << "\n";
  const std::string text = out.str();
  write_file_atomically(path, text.data(), text.size());
}

Labels labels_of(const std::vector<ImageRecord>& records) {
  Labels l;
  for (const auto& r : records) {
    l.pids.push_back(r.pid);
    l.camids.push_back(r.camid);
  }
  return l;
}

}  // namespace hat
