#include "evaluation/readers.h"

namespace hat {

// The Market-style release of CUHK03's new protocol (767/700 split). Labeled and detected boxes
// are two datasets, reported separately.
ReidDataset read_cuhk03np(const std::string& root, bool labeled, std::ostream& log) {
  const std::string kind = labeled ? "labeled" : "detected";
  const std::string base = locate_release(root, "cuhk03-np", kind, "CUHK03-NP release");
  const std::string dir = locate_release(base, kind, "query", "CUHK03-NP " + kind + " folder");
  return read_market_layout(
      dir, "cuhk03np-" + kind,
      labeled ? OfficialCounts{767, 7368, 1400, 5328} : OfficialCounts{767, 7365, 1400, 5332}, log);
}

}  // namespace hat
