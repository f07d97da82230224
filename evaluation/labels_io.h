// Label files of precomputed features: TSV with the header "pid<TAB>camid" (more columns
// allowed; a "path" column names each row's image), one row per feature row.
#pragma once

#include <string>
#include <vector>

#include "evaluation/dataset.h"
#include "evaluation/metrics.h"

namespace hat {

struct LabelTable {
  Labels labels;
  std::vector<std::string> paths;  // empty when the file has no path column
};

// hat::Error names the file and line of anything malformed.
LabelTable read_labels_tsv(const std::string& path);
void write_labels_tsv(const std::string& path, const std::vector<ImageRecord>& records);

Labels labels_of(const std::vector<ImageRecord>& records);

}  // namespace hat
