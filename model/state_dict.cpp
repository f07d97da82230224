#include "model/state_dict.h"

#include <torch/serialize.h>

#include "base/error.h"
#include "base/file_io.h"
#include "model/pickle_check.h"
#include "model/zip_container.h"

namespace hat {

namespace {

const char* kConvertHint =
    "convert it to a plain dict of tensors with: python3 model/tools/to_plain_state_dict.py IN OUT";

// BatchNorm's step counter: absent from state dicts saved before PyTorch 0.4.1 (torchvision's
// ImageNet weights among them) and unused in inference, so it may be missing.
bool is_batch_counter(const std::string& key) {
  const std::string suffix = "num_batches_tracked";
  return key.size() >= suffix.size() &&
         key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// PyTorch's own loader accepts a one-element vector for a scalar (old files, np.ascontiguousarray).
bool is_scalar_as_vector(const torch::Tensor& src, const torch::Tensor& target) {
  return target.dim() == 0 && src.dim() == 1 && src.numel() == 1;
}

// Whether every element the tensor's sizes, strides and offset reach lies inside its storage.
// LibTorch's unpickler sets them as the file says without checking them against the data.
bool fits_its_storage(const torch::Tensor& t) {
  if (t.numel() == 0) return true;
  if (t.storage_offset() < 0) return false;
  int64_t last = t.storage_offset();
  for (int64_t d = 0; d < t.dim(); ++d) {
    int64_t reach = 0;
    if (t.stride(d) < 0 || __builtin_mul_overflow(t.size(d) - 1, t.stride(d), &reach) ||
        __builtin_add_overflow(last, reach, &last))
      return false;
  }
  int64_t bytes = 0;
  return !__builtin_add_overflow(last, 1, &last) &&
         !__builtin_mul_overflow(last, static_cast<int64_t>(t.element_size()), &bytes) &&
         static_cast<uint64_t>(bytes) <= t.storage().nbytes();
}

}  // namespace

std::string shape_string(c10::IntArrayRef sizes) {
  std::string s;
  for (size_t i = 0; i < sizes.size(); ++i) s += (i ? "x" : "") + std::to_string(sizes[i]);
  return s.empty() ? "scalar" : s;
}

c10::impl::GenericDict parse_torch_save_dict(const std::vector<char>& bytes,
                                             const std::string& path) {
  if (bytes.empty()) throw Error(path + ": empty file");
  // torch.save's default format is a zip archive ("PK\x03\x04"); the legacy one is a raw pickle.
  if (bytes.size() < 4 || std::string(bytes.data(), 4) != "PK\x03\x04") {
    if (bytes[0] == '\x80')
      throw Error(path + ": a legacy (pre-1.6) torch.save file; " + kConvertHint);
    throw Error(path + ": not a torch.save file (no zip header)");
  }
  // LibTorch's zip reader trusts the archive's offsets, its unpickler the pickle's lengths.
  for (const ZipEntry& entry : check_zip_container(bytes, path)) {
    const size_t slash = entry.name.rfind('/');
    if (entry.stored && entry.name.substr(slash == std::string::npos ? 0 : slash + 1) == "data.pkl")
      check_pickle_lengths(bytes.data() + entry.data, static_cast<size_t>(entry.size),
                           path + ": " + entry.name);
  }
  c10::IValue value;
  try {
    value = torch::pickle_load(bytes);
  } catch (const c10::Error& e) {
    std::string what = e.what_without_backtrace();
    what = what.substr(0, what.find('\n'));
    // The unpickler knows plain containers and tensors only: an OrderedDict trips its dict
    // handling and a pickled class is "unknown". Anything else is damage to the file.
    if (what.find("found unknown type") != std::string::npos ||
        what.find("Expected GenericDict") != std::string::npos)
      throw Error(path +
                  ": not a plain dict (an OrderedDict, a pickled model or another object); " +
                  kConvertHint);
    throw Error(path + ": corrupt or truncated torch.save file (" + what + ")");
  } catch (const std::exception& e) {
    // LibTorch's archive reader parses its version record with std::stoull, whose errors are
    // not c10::Errors (fuzz_model_file: a version of 40 digits).
    const std::string what = e.what();
    throw Error(path + ": corrupt or truncated torch.save file (a malformed record: " +
                what.substr(0, what.find('\n')) + ")");
  }
  // LibTorch's unpickler turns classes it does not know (OrderedDict, nn.Module) into None.
  if (!value.isGenericDict())
    throw Error(path + ": not a plain dict (an OrderedDict, a pickled model or another object); " +
                kConvertHint);
  return value.toGenericDict();
}

StateDict to_state_dict(const c10::impl::GenericDict& dict, const std::string& path) {
  StateDict state;
  for (const auto& entry : dict) {
    if (!entry.key().isString()) throw Error(path + ": a key is not a string");
    std::string key = entry.key().toStringRef();
    if (!entry.value().isTensor())
      throw Error(path + ": entry '" + key +
                  "' is not a tensor (a training checkpoint rather than a state dict?); " +
                  kConvertHint);
    if (!fits_its_storage(entry.value().toTensor()))
      throw Error(path + ": entry '" + key + "' reaches beyond its data (a corrupt file)");
    if (key.rfind("module.", 0) == 0) key = key.substr(7);  // saved from DataParallel
    if (state.contains(key)) throw Error(path + ": duplicate key '" + key + "'");
    state.insert(key, entry.value().toTensor());
  }
  return state;
}

StateDict read_state_dict_file(const std::string& path) {
  return to_state_dict(parse_torch_save_dict(read_file_bytes(path), path), path);
}

StateDict module_state(const torch::nn::Module& module) {
  StateDict state;
  for (const auto& p : module.named_parameters()) state.insert(p.key(), p.value());
  for (const auto& b : module.named_buffers()) state.insert(b.key(), b.value());
  return state;
}

void load_state(torch::nn::Module& module, const StateDict& state, const std::string& source) {
  const StateDict target = module_state(module);
  for (const auto& item : target) {
    const torch::Tensor* src = state.find(item.key());
    if (!src && is_batch_counter(item.key())) continue;
    if (!src) throw Error(source + ": missing key '" + item.key() + "'");
    if (src->sizes() != item.value().sizes() && !is_scalar_as_vector(*src, item.value()))
      throw Error(source + ": key '" + item.key() + "' has shape " + shape_string(src->sizes()) +
                  ", the model expects " + shape_string(item.value().sizes()));
    if (src->is_floating_point() != item.value().is_floating_point())
      throw Error(source + ": key '" + item.key() + "' has dtype " +
                  std::string(c10::toString(src->scalar_type())) + ", the model expects " +
                  std::string(c10::toString(item.value().scalar_type())));
  }
  for (const auto& item : state)
    if (!target.contains(item.key())) throw Error(source + ": unexpected key '" + item.key() + "'");
  torch::NoGradGuard no_grad;
  for (const auto& item : target)
    if (const torch::Tensor* src = state.find(item.key()))
      item.value().copy_(src->reshape(item.value().sizes()));
}

}  // namespace hat
