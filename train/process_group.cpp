#include "train/process_group.h"

#include <cstdlib>
#include <sstream>

// c10d's Gloo backend (its headers need Gloo's, from Debian's libgloo-dev; the library itself is
// the one inside LibTorch). Only this file sees them.
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef HAT_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "base/error.h"

namespace hat {

namespace {

int env_int(const char* name, int fallback, int lo, int hi) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (*end != '\0' || x < lo || x > hi)
    throw Error(std::string("environment ") + name + "=" + v + ": expected an integer in [" +
                std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<int>(x);
}

// c10d's messages carry a C++ stack trace after the first line.
std::string first_line(const std::string& s) {
  const auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

}  // namespace

DistributedOptions distributed_from_environment() {
  DistributedOptions o;
  o.world_size = env_int("WORLD_SIZE", 1, 1, 65536);
  o.rank = env_int("RANK", 0, 0, o.world_size - 1);
  o.local_world_size = env_int("LOCAL_WORLD_SIZE", o.world_size, 1, o.world_size);
  o.local_rank = env_int("LOCAL_RANK", o.rank % o.local_world_size, 0, o.local_world_size - 1);
  if (const char* a = std::getenv("MASTER_ADDR"); a && *a) o.master_addr = a;
  o.master_port = env_int("MASTER_PORT", o.master_port, 1, 65535);
  return o;
}

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::Backend> backend;
};

ProcessGroup::ProcessGroup(const DistributedOptions& options, const torch::Device& device)
    : options_(options), impl_(std::make_unique<Impl>()) {
  const std::string where = "rank " + std::to_string(options.rank) + " of " +
                            std::to_string(options.world_size) + " (master " + options.master_addr +
                            ":" + std::to_string(options.master_port) + ")";
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(options.master_port);
    so.isServer = options.rank == 0;
    so.numWorkers = options.world_size;
    so.waitWorkers = true;
    so.timeout = options.timeout;
    impl_->store = c10::make_intrusive<c10d::TCPStore>(options.master_addr, so);
    if (device.is_cuda()) {
#ifdef HAT_WITH_NCCL
      auto o = c10d::ProcessGroupNCCL::Options::create();
      o->timeout = options.timeout;
      impl_->backend = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl_->store, options.rank,
                                                                   options.world_size, o);
#else
      throw Error(where + ": this build has no NCCL; train on the CPU (Gloo) or rebuild");
#endif
    } else {
      auto o = c10d::ProcessGroupGloo::Options::create_default(options.timeout);
      impl_->backend = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, options.rank,
                                                                   options.world_size, o);
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(where + ": cannot join the process group: " + first_line(e.what()));
  }
}

ProcessGroup::~ProcessGroup() = default;

namespace {
template <class Body>
void collective(const DistributedOptions& o, const char* what, Body body) {
  try {
    body();
  } catch (const std::exception& e) {
    throw Error("rank " + std::to_string(o.rank) + " of " + std::to_string(o.world_size) + ": " +
                what + " failed (another worker died or timed out after " +
                std::to_string(o.timeout.count()) + " s): " + first_line(e.what()));
  }
}

// One contiguous buffer for many tensors: one collective instead of one per tensor.
torch::Tensor flatten(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> flat;
  for (const auto& t : tensors) flat.push_back(t.reshape(-1));
  return torch::cat(flat);
}

void unflatten(const torch::Tensor& buffer, const std::vector<torch::Tensor>& tensors) {
  int64_t offset = 0;
  for (const auto& t : tensors) {
    t.copy_(buffer.narrow(0, offset, t.numel()).view_as(t));
    offset += t.numel();
  }
}
}  // namespace

void ProcessGroup::all_reduce_sum(const std::vector<torch::Tensor>& tensors, const char* what) {
  if (tensors.empty()) return;
  torch::NoGradGuard no_grad;
  collective(options_, what, [&] {
    std::vector<at::Tensor> buffer = {flatten(tensors)};
    impl_->backend->allreduce(buffer)->wait(options_.timeout);
    unflatten(buffer[0], tensors);
  });
}

void ProcessGroup::broadcast(const std::vector<torch::Tensor>& tensors, int root,
                             const char* what) {
  if (tensors.empty()) return;
  torch::NoGradGuard no_grad;
  collective(options_, what, [&] {
    std::vector<at::Tensor> buffer = {flatten(tensors)};
    c10d::BroadcastOptions bo;
    bo.rootRank = root;
    impl_->backend->broadcast(buffer, bo)->wait(options_.timeout);
    unflatten(buffer[0], tensors);
  });
}

void ProcessGroup::barrier(const char* what) {
  collective(options_, what, [&] { impl_->backend->barrier()->wait(options_.timeout); });
}

}  // namespace hat
