// One reader per public release (each in its own file), and the registry that names them.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "evaluation/dataset.h"

namespace hat {

struct ReaderOptions {
  bool msmt17_train_only = false;  // MSMT17: train on list_train only (default: train + val)
};

// ROOT holds the release folder (or is it).
ReidDataset read_market1501(const std::string& root, std::ostream& log);  // Market-1501-v15.09.15/
ReidDataset read_dukemtmc(const std::string& root, std::ostream& log);    // DukeMTMC-reID/
ReidDataset read_cuhk03np(const std::string& root, bool labeled,
                          std::ostream& log);  // cuhk03-np/{labeled,detected}/
ReidDataset read_msmt17(const std::string& root, int version, const ReaderOptions& options,
                        std::ostream& log);  // MSMT17_V1/ or MSMT17_V2/
// Users' own data: ROOT/{train,query,gallery} (or the Market folder names), each with
// Market-style file names or one folder per identity (camera from "c<N>" in the file name).
// train/ may be absent (labeled test crops only): `train` is then empty.
ReidDataset read_custom_folder(const std::string& root, std::ostream& log);

// The dataset names hat-eval and hat-train accept: market1501, dukemtmc, cuhk03np-labeled,
// cuhk03np-detected, msmt17, msmt17-v2, custom.
std::vector<std::string> dataset_names();
ReidDataset read_dataset(const std::string& name, const std::string& root,
                         const ReaderOptions& options, std::ostream& log);

}  // namespace hat
