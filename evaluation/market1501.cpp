#include "evaluation/readers.h"

namespace hat {

ReidDataset read_market1501(const std::string& root, std::ostream& log) {
  const std::string dir =
      locate_release(root, "Market-1501-v15.09.15", "bounding_box_train", "Market-1501 release");
  ReidDataset d;
  d.name = "market1501";
  d.root = dir;
  d.train = read_market_style_folder(dir + "/bounding_box_train", log);
  d.query = read_market_style_folder(dir + "/query", log);
  d.gallery = read_market_style_folder(dir + "/bounding_box_test", log);  // pid 0 distractors stay
  report_counts(d, OfficialCounts{751, 12936, 3368, 15913}, log);
  return d;
}

}  // namespace hat
