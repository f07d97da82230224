// hat-eval score's label reader (evaluation/labels_io.h) on arbitrary bytes: what it accepts
// has one pid and camid per row, and a path per row when it has a path column.
#include <cstdlib>

#include "base/error.h"
#include "evaluation/labels_io.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = hat::fuzz::write_input("labels.tsv", data, size);
  try {
    const hat::LabelTable table = hat::read_labels_tsv(path);
    if (table.labels.pids.size() != table.labels.camids.size()) std::abort();
    if (!table.paths.empty() && table.paths.size() != table.labels.pids.size()) std::abort();
  } catch (const hat::Error&) {
  }
  return 0;
}
