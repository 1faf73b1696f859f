// A small, learnable, MNIST-shaped data set made by the tests, so the data and training code is
// tested without the real MNIST: class c is a bright 6×6 block at a position of its own, plus
// uniform noise. Written as IDX files (train-* and t10k-*) into a folder.
#pragma once

#include <filesystem>
#include <string>

#include "datasets/idx.h"
#include "framework/random.h"
#include "tests/temp_folder.h"

namespace gradlab::testing {

inline void write_synthetic_split(const std::string& folder, const std::string& split,
                                  std::uint32_t count, Rng& rng) {
  std::vector<std::uint8_t> images(std::size_t{count} * 28 * 28), labels(count);
  for (std::uint32_t n = 0; n < count; ++n) {
    const int c = static_cast<int>(rng.below(10));
    labels[n] = static_cast<std::uint8_t>(c);
    const std::size_t top = 2 + (c / 5) * 13,
                      left = 1 + (c % 5) * 5;  // 2 rows × 5 columns of blocks
    for (std::size_t i = 0; i < 28; ++i)
      for (std::size_t j = 0; j < 28; ++j) {
        const bool block = i >= top && i < top + 6 && j >= left && j < left + 6;
        images[n * 784 + i * 28 + j] =
            static_cast<std::uint8_t>(block ? 200 + rng.below(56) : rng.below(60));
      }
  }
  write_idx(folder + "/" + split + "-images-idx3-ubyte", {count, 28, 28}, images);
  write_idx(folder + "/" + split + "-labels-idx1-ubyte", {count}, labels);
}

// A fresh folder under the system temp directory with train (n_train) and t10k (n_test) splits.
inline std::string make_synthetic_dataset(const std::string& name, std::uint32_t n_train,
                                          std::uint32_t n_test) {
  const std::filesystem::path folder = temp_folder("data_" + name);
  Rng rng(1234);
  write_synthetic_split(folder.string(), "train", n_train, rng);
  write_synthetic_split(folder.string(), "t10k", n_test, rng);
  return folder.string();
}

}  // namespace gradlab::testing
