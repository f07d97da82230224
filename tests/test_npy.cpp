// inference/npy: the .npy exchange files, readable by numpy, and one-line errors for bad ones.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include <torch/torch.h>

#include "base/error.h"
#include "inference/npy.h"
#include "tests/test_env.h"

namespace hat {
namespace {

TEST(Npy, RoundTripAndNumpyCompatibleHeader) {
  const std::string path = test::scratch_dir() + "/x.npy";
  const auto x = torch::randn({5, 3});
  write_npy(path, x);
  EXPECT_TRUE(torch::equal(read_npy(path), x));
  const auto r = test::run(test::python() + " -c \"import numpy as np; a=np.load('" + path +
                           "'); print(a.dtype, a.shape)\"");
  EXPECT_EQ(r.output, "float32 (5, 3)\n");
}

TEST(Npy, AnyRankRoundTripsAndNumpyReadsItsShape) {
  const std::string path = test::scratch_dir() + "/x.npy";
  for (const auto& shape : std::vector<std::vector<int64_t>>{{7}, {2, 3, 4, 5}}) {
    const auto x = torch::randn(shape);
    write_npy(path, x);
    EXPECT_TRUE(torch::equal(read_npy(path), x));
  }
  const auto r = test::run(test::python() + " -c \"import numpy as np; print(np.load('" + path +
                           "').shape)\"");
  EXPECT_EQ(r.output, "(2, 3, 4, 5)\n");
  EXPECT_THROW(write_npy(path, torch::tensor(1.0f)), Error);
}

TEST(Npy, BadFilesAreNamed) {
  const std::string dir = test::scratch_dir();
  std::ofstream(dir + "/bad.npy") << "hello";
  EXPECT_THROW(read_npy(dir + "/bad.npy"), Error);
  const std::string path = dir + "/short.npy";
  write_npy(path, torch::randn({4, 4}));
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::ofstream(path, std::ios::binary) << bytes.substr(0, bytes.size() - 8);
  try {
    read_npy(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              path + ": not a valid .npy file: expected 64 data bytes, found 56");
  }
}

}  // namespace
}  // namespace hat
