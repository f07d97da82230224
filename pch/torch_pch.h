// The precompiled LibTorch header (pch/meson.build): every file that compiles against LibTorch
// gets it first (-include), so LibTorch's headers are parsed once per build instead of once per
// file. Files that do not use tensors are in targets without LibTorch and never see it.

#include <torch/torch.h>
