// How the GPU tests skip where there is no GPU: never silently.
#pragma once

namespace hat::test {

// True, after printing "SKIPPED: no CUDA device on this machine", when no CUDA device is
// visible: the GPU tests call it and then GTEST_SKIP().
bool no_cuda();

}  // namespace hat::test
