// The oneDNN backend (float32): GEMMs by oneDNN's sgemm (gemm.h), convolutions as a chain of one
// layer (chain/chain.h: oneDNN's JIT kernels, never a ref: one), max-pooling of plain tensors by
// the reference loops (reference/kernels.h says why). Runs of layers run fused as chains
// (framework/fusion/plan.h).
#pragma once

#include "framework/kernels/backend.h"

namespace gradlab::onednn {

class OnednnKernels : public Kernels<float> {
 public:
  void gemm(bool transpose_a, bool transpose_b, std::size_t M, std::size_t N, std::size_t K,
            const float* A, const float* B, float* C, bool accumulate) const override;
  std::unique_ptr<ConvolutionKernel<float>> convolution(const ConvolutionSpec& spec) const override;
  std::unique_ptr<MaxPoolKernel<float>> max_pool() const override;
  // Average pooling, batch normalisation, sums and concatenations on plain tensors run the
  // reference loops, as max-pooling does; oneDNN's primitives for them belong inside chains.
  void avg_pool_forward(const reference::Pool2dGeometry& g, const float* x,
                        float* y) const override;
  void avg_pool_backward(const reference::Pool2dGeometry& g, const float* dy,
                         float* dx) const override;
  void global_avg_pool_forward(std::size_t planes, std::size_t plane_size, const float* x,
                               float* y) const override;
  void global_avg_pool_backward(std::size_t planes, std::size_t plane_size, const float* dy,
                                float* dx) const override;
  void add(const float* a, const float* b, float* y, std::size_t n) const override;
  void concat_rows(std::size_t N, std::size_t width, std::size_t y_width, std::size_t offset,
                   const float* x, float* y) const override;
  void slice_rows(std::size_t N, std::size_t width, std::size_t x_width, std::size_t offset,
                  const float* x, float* y) const override;
  std::unique_ptr<BatchNormKernel<float>> batch_norm() const override;
};

}  // namespace gradlab::onednn
