// Data-parallel training's communication: one c10d process group (LibTorch's torch.distributed
// in C++: Gloo on the CPU, NCCL on CUDA) over a TCPStore rendezvous, as torchrun sets it up.
//
// Every collective is blocking and fails with one hat::Error naming this rank, the operation and
// the cause (a peer that died closes its connections, so the others fail at once; a peer that
// hangs fails them after `timeout`), never a hang or a crash.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace hat {

struct DistributedOptions {
  int rank = 0, world_size = 1;
  int local_rank = 0, local_world_size = 1;  // this machine's share
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::chrono::seconds timeout{1800};  // for the rendezvous and every collective
};

// RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT as torchrun sets them;
// nullopt-like world_size 1 when RANK and WORLD_SIZE are unset. hat::Error for a malformed value.
DistributedOptions distributed_from_environment();

class ProcessGroup {
 public:
  // Rendezvous of all ranks (rank 0 serves the TCPStore on master_port), then the backend for
  // `device`: Gloo on the CPU, NCCL on CUDA (hat::Error when this build has no NCCL).
  ProcessGroup(const DistributedOptions& options, const torch::Device& device);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return options_.rank; }
  int world_size() const { return options_.world_size; }

  // Sums `tensors` element-wise over every rank, in place (one flat buffer per call).
  void all_reduce_sum(const std::vector<torch::Tensor>& tensors, const char* what);
  // Copies rank `root`'s `tensors` into every rank's, in place.
  void broadcast(const std::vector<torch::Tensor>& tensors, int root, const char* what);
  void barrier(const char* what);

 private:
  struct Impl;
  DistributedOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hat
