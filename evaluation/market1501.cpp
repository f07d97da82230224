#include "evaluation/readers.h"

namespace hat {

ReidDataset read_market1501(const std::string& root, std::ostream& log) {
  const std::string dir =
      locate_release(root, "Market-1501-v15.09.15", "query", "Market-1501 release");
  return read_market_layout(dir, "market1501", {751, 12936, 3368, 15913}, log);
}

}  // namespace hat
