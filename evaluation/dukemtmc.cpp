#include "evaluation/readers.h"

namespace hat {

ReidDataset read_dukemtmc(const std::string& root, std::ostream& log) {
  const std::string dir =
      locate_release(root, "DukeMTMC-reID", "bounding_box_train", "DukeMTMC-reID release");
  ReidDataset d;
  d.name = "dukemtmc";
  d.root = dir;
  d.train = read_market_style_folder(dir + "/bounding_box_train", log);
  d.query = read_market_style_folder(dir + "/query", log);
  d.gallery = read_market_style_folder(dir + "/bounding_box_test", log);
  report_counts(d, OfficialCounts{702, 16522, 2228, 17661}, log);
  return d;
}

}  // namespace hat
