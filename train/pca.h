// gradlab pca: principal component analysis of an MNIST-style image set, with its figures.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace gradlab {

struct PcaOptions {
  std::string data_dir;          // IDX files: train-images-idx3-ubyte[.gz], optionally t10k-…
  std::size_t components = 100;  // K, the axes fitted and kept
  std::string out_dir = "runs/pca";
  std::string method = "eigen";  // "eigen" (of the covariance) or "svd" (of the centred data)
  std::vector<std::size_t>
      ks;  // reconstruction errors at these k ≤ K; empty: 1, 2, 5, 10, 20, 50, … ≤ K, and K
  std::size_t samples = 0;  // fit on the first `samples` training images; 0: all
};

// Fits PCA on the training images (pixels scaled to [0, 1]) and writes to out_dir, atomically:
//   explained_variance.csv   component, variance, ratio, cumulative ratio (k = 1 … K)
//   reconstruction_error.csv k, split, mean squared error per pixel, relative error
//                            ‖X − X̂_k‖_F / ‖X − μ‖_F on the test split (t10k) if present, else
//                            train
//   eigendigits.png          the first min(K, 40) axes, 10 per row (mid-gray 0, white +, black −)
//   reconstructions.png      one image of each class per row: the original, then X̂_k for each k
//   summary.json             all of the above in one document
// Returns the exit code; throws (naming the flag, file or shape) on bad input.
int pca_command(const PcaOptions& options);

}  // namespace gradlab
