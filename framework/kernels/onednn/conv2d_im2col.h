// Convolution backward-weights as one GEMM per image over the unrolled input ("im2col"), with
// oneDNN's sgemm, for the layers where oneDNN's own convolution kernel is slow: a single input
// channel. For LeNet's first layer (1 → 16, 5×5, batch 64) oneDNN 2.6 on AVX2 either pads the
// channel to 8 for its JIT kernel (3.4 ms on 2 threads) or runs its gemm-based kernel (1.5–2.7 ms);
// this takes 0.7 ms (bench/: gradlab_bench kernels, docs/benchmarks.md).
//
// Shapes as in kernels/reference/conv2d.h. Per image n, with R = C_in·K·K and Q = H_out·W_out:
//   cols_n[c·K·K + u·K + v, i·W_out + j] = x[n, c, i·S + u − P, j·S + v − P]   (0 outside)
//   dw (C_out × R) += Σ_n dy_n (C_out × Q) · cols_nᵀ (Q × R)
// (with dy blocked by B channels, each block of dy_n is stored Q × B: the same product, one GEMM
// per block with dy's block read transposed)
//   db[o]          += Σ_n Σ_q dy_n[o, q]
// Images are split across the OpenMP threads, each summing into its own partial gradient, so
// no two threads write the same memory; the partials are added at the end.
#pragma once

#include <vector>

#include "framework/kernels/reference/conv2d.h"

namespace gradlab::onednn {

class Im2colBackwardWeights {
 public:
  // Accumulates into dw and db (db may be null), like conv2d_backward_weights. dy is N×C_out×
  // H_out×W_out, plain (dy_block = 1) or in oneDNN's channel-blocked nChw{B}c layout (dy_block =
  // B, channels padded to a multiple of B), as a fused convolution leaves it.
  void run(const reference::Conv2dGeometry& g, const float* x, const float* dy, float* dw,
           float* db, std::size_t dy_block = 1);

 private:
  // Per thread, kept between calls: the unrolled image (R × Q) and the partial dw, db (C_out × (R +
  // 1)).
  std::vector<std::vector<float>> cols_, partial_;
};

}  // namespace gradlab::onednn
