// inference/npy: the .npy exchange files, readable by numpy, and one-line errors for bad ones.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

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

// Regression of fuzz_npy (docs/RELIABILITY.md): a header whose shape is beyond any file, by
// digits or by product, is a one-line error, not an exception from std::stoll or an overflow;
// so is an empty array (a zero dimension, no data) whose other dimensions multiply beyond 64
// bits, which LibTorch's stride computation refused with its own exception.
TEST(Npy, AShapeBeyondTheFileIsAOneLineError) {
  const std::string path = test::scratch_dir() + "/huge.npy";
  for (const auto& [shape, data] :
       std::vector<std::pair<std::string, size_t>>{{"(99999999999999999999, 2)", 16},
                                                   {"(4294967296, 4294967296, 16)", 16},
                                                   {"(0, 999999999999999, 999999999999999)", 0}}) {
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
    header.resize(118, ' ');
    header += '\n';
    std::ofstream(path, std::ios::binary)
        << std::string("\x93NUMPY\x01\x00", 8) << static_cast<char>(header.size() & 0xff)
        << static_cast<char>(header.size() >> 8) << header << std::string(data, '\0');
    try {
      read_npy(path);
      ADD_FAILURE() << shape << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(path + ": not a valid .npy file: ", 0), 0u) << e.what();
    }
  }
}

}  // namespace
}  // namespace hat
