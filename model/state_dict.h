// State dicts: reading the plain dicts that torch.save writes, and strict loading into a module.
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

namespace hat {

// Key -> tensor, in file (or registration) order.
using StateDict = torch::OrderedDict<std::string, torch::Tensor>;

// Parses a torch.save file (zip format) holding a plain dict. `path` is only used in errors.
// An OrderedDict, a pickled model or a pre-1.6 file gets an error that names the converter.
c10::impl::GenericDict parse_torch_save_dict(const std::vector<char>& bytes,
                                             const std::string& path);

// A dict whose values are all tensors, as a StateDict (a leading "module." is stripped).
// hat::Error naming `path` and the key for a non-string key, a value that is not a tensor, a
// duplicate key, or a tensor whose sizes, strides and offset reach beyond its storage (a
// damaged file: LibTorch's unpickler does not check them).
StateDict to_state_dict(const c10::impl::GenericDict& dict, const std::string& path);

// A torch.save file holding a plain dict of tensors.
StateDict read_state_dict_file(const std::string& path);

// Every parameter and buffer of `module`, by its registered name.
StateDict module_state(const torch::nn::Module& module);

// Copies `state` into `module`. Strict: every module entry must be present with the same shape
// and no entry may be left over; hat::Error names the source and the offending key.
void load_state(torch::nn::Module& module, const StateDict& state, const std::string& source);

std::string shape_string(c10::IntArrayRef sizes);

}  // namespace hat
