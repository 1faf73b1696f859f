// Convolution backward-weights straight from the output gradient in oneDNN's channel-blocked
// layout nChw{B}c (B a multiple of 8), with AVX2 and FMA, for the fused block's layers with one
// input channel (LeNet's first). There oneDNN 2.6 either pads the channel to 8 or runs its gemm
// kernel, and im2col + sgemm multiplies tiny matrices (16 × 784 by 784 × 26 per image): 1.6 ms
// for LeNet's first layer at batch 64 on this machine, where this takes a fraction (see
// docs/benchmarks.md). Shapes as in kernels/reference/conv2d.h:
//   dw[o, c, u, v] += Σ_{n,i,j} x[n, c, i·S + u − P, j·S + v − P] · dy[n, o, i, j]
//   db[o]          += Σ_{n,i,j} dy[n, o, i, j]
// Eight output channels of dy are adjacent in the blocked layout: one AVX register. For each
// output position, each input pixel its window row meets is broadcast and multiplied into one
// of K accumulators (one per tap v), a row of taps u at a time. Images are split across the
// OpenMP threads, each adding into its own partial gradient.
#pragma once

#include <cstddef>
#include <vector>

#include "framework/kernels/reference/conv2d.h"

namespace gradlab::onednn {

class BlockedBackwardWeights {
 public:
  // Whether run() can take this geometry here: AVX2 and FMA in use (framework/kernels/simd.h),
  // a kernel of at most 7 × 7, and a channel block B that is a multiple of 8. Otherwise use
  // im2col (conv2d_im2col.h).
  static bool supports(const reference::Conv2dGeometry& g, std::size_t block);

  // Accumulates into dw and db (db may be null), like conv2d_backward_weights; x is plain
  // N × C_in × H × W, dy is blocked by `block` channels (C_out padded to a multiple of it).
  void run(const reference::Conv2dGeometry& g, const float* x, const float* dy, std::size_t block,
           float* dw, float* db);

 private:
  // Per thread, kept between calls: one zero-padded input plane, and the partial gradients.
  std::vector<std::vector<float>> padded_, partial_;
};

}  // namespace gradlab::onednn
