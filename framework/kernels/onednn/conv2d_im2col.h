// Convolution as one GEMM per image over the unrolled input ("im2col"), with oneDNN's sgemm.
// Two uses:
//  - backward-weights of layers with a single input channel, where oneDNN's own kernels are slow:
//    for LeNet's first layer (1 → 16, 5×5, batch 64) oneDNN 2.6 on AVX2 either pads the channel
//    to 8 for its JIT kernel (3.4 ms on 2 threads) or runs its gemm-based kernel (1.5–2.7 ms);
//    this takes 0.7 ms (docs/benchmarks.md);
//  - any pass for which oneDNN offers only reference kernels (implementation.h): sgemm is fast
//    on every CPU, so the convolution stays within a small factor of oneDNN's best.
//
// Shapes as in kernels/reference/conv2d.h. Per image n, with R = C_in·K·K and Q = H_out·W_out:
//   cols_n[c·K·K + u·K + v, i·W_out + j] = x[n, c, i·S + u − P, j·S + v − P]   (0 outside)
//   forward:           y_n (C_out × Q)  = w (C_out × R) · cols_n (R × Q),  + b[o] on row o
//   backward-data:     dcols (R × Q)    = wᵀ (R × C_out) · dy_n (C_out × Q),
//                      dx_n = the sum of dcols' entries back onto the pixels they came from
//   backward-weights:  dw (C_out × R)  += Σ_n dy_n (C_out × Q) · cols_nᵀ (Q × R)
//                      db[o]           += Σ_n Σ_q dy_n[o, q]
// (with dy blocked by B channels, each block of dy_n is stored Q × B: the same product, one GEMM
// per block with dy's block read transposed)
// Images are split across the OpenMP threads; for the weight gradient each thread sums into its
// own partial, so no two threads write the same memory, and the partials are added at the end.
#pragma once

#include <vector>

#include "framework/kernels/reference/conv2d.h"

namespace gradlab::onednn {

class Im2colConvolution {
 public:
  // Overwrites y; b may be null (no bias).
  void forward(const reference::Conv2dGeometry& g, const float* x, const float* w, const float* b,
               float* y);
  // Overwrites dx.
  void backward_data(const reference::Conv2dGeometry& g, const float* dy, const float* w,
                     float* dx);
  // Accumulates into dw and db (db may be null), like conv2d_backward_weights. dy is N×C_out×
  // H_out×W_out, plain (dy_block = 1) or in oneDNN's channel-blocked nChw{B}c layout (dy_block =
  // B, channels padded to a multiple of B), as a fused convolution leaves it.
  void backward_weights(const reference::Conv2dGeometry& g, const float* x, const float* dy,
                        float* dw, float* db, std::size_t dy_block = 1);

 private:
  // Per thread, kept between calls: the unrolled image (R × Q, plus a row of ones for the bias
  // gradient) and the partial dw, db (C_out × (R + 1)).
  std::vector<std::vector<float>> cols_, partial_;
  std::vector<std::vector<float>>& thread_buffers(std::vector<std::vector<float>>& buffers);
};

}  // namespace gradlab::onednn
