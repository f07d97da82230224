#include "evaluation/readers.h"

namespace hat {

ReidDataset read_dukemtmc(const std::string& root, std::ostream& log) {
  const std::string dir = locate_release(root, "DukeMTMC-reID", "query", "DukeMTMC-reID release");
  return read_market_layout(dir, "dukemtmc", {702, 16522, 2228, 17661}, log);
}

}  // namespace hat
