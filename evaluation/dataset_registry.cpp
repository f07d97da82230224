#include "base/error.h"
#include "evaluation/readers.h"

namespace hat {

std::vector<std::string> dataset_names() {
  return {"market1501", "dukemtmc", "cuhk03np-labeled", "cuhk03np-detected", "msmt17",
          "msmt17-v2",  "custom"};
}

ReidDataset read_dataset(const std::string& name, const std::string& root,
                         const ReaderOptions& options, std::ostream& log) {
  if (name == "market1501") return read_market1501(root, log);
  if (name == "dukemtmc") return read_dukemtmc(root, log);
  if (name == "cuhk03np-labeled") return read_cuhk03np(root, true, log);
  if (name == "cuhk03np-detected") return read_cuhk03np(root, false, log);
  if (name == "msmt17") return read_msmt17(root, 1, options, log);
  if (name == "msmt17-v2") return read_msmt17(root, 2, options, log);
  if (name == "custom") return read_custom_folder(root, log);
  std::string known;
  for (const auto& n : dataset_names()) known += (known.empty() ? "" : ", ") + n;
  throw Error("unknown dataset '" + name + "' (known: " + known + ")");
}

}  // namespace hat
