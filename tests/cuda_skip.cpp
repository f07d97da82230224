#include "tests/cuda_skip.h"

#include <iostream>

#include <torch/cuda.h>

namespace hat::test {

bool no_cuda() {
  if (torch::cuda::is_available()) return false;
  std::cout << "SKIPPED: no CUDA device on this machine\n";
  return true;
}

}  // namespace hat::test
