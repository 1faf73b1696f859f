// make_synthetic_idx FOLDER [N_TRAIN N_TEST]: writes the tests' synthetic MNIST-shaped data set
// (tests/synthetic_data.h) as IDX files, for the command-line tests.
#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/synthetic_data.h"

int main(int argc, char** argv) {
  if (argc != 2 && argc != 4) {
    std::fprintf(stderr, "usage: make_synthetic_idx FOLDER [N_TRAIN N_TEST]\n");
    return 2;
  }
  const std::uint32_t n_train = argc == 4 ? static_cast<std::uint32_t>(std::stoul(argv[2])) : 1000;
  const std::uint32_t n_test = argc == 4 ? static_cast<std::uint32_t>(std::stoul(argv[3])) : 200;
  std::filesystem::create_directories(argv[1]);
  gradlab::Rng rng(1234);
  gradlab::testing::write_synthetic_split(argv[1], "train", n_train, rng);
  gradlab::testing::write_synthetic_split(argv[1], "t10k", n_test, rng);
  return 0;
}
