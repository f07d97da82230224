// A tiny-preset HAT checkpoint with random weights, for tests that need a model file but not a
// trained one (the elements, the gallery tool, the shared engine).
#pragma once

#include <string>

namespace hat::test {

// Created once per process in the scratch folder (seeded: the same weights every time).
std::string tiny_model_path();

}  // namespace hat::test
