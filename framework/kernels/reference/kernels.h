// The reference backend: plain loops (gemm.h, conv2d.h, maxpool2d.h, avgpool2d.h, batch_norm.h
// beside this file; element-wise kernels registered by each activation's file), for float and
// double. What every other backend is tested against.
#pragma once

#include "framework/kernels/backend.h"

namespace gradlab::reference {

template <class T>
class ReferenceKernels : public Kernels<T> {
 public:
  void gemm(bool transpose_a, bool transpose_b, std::size_t M, std::size_t N, std::size_t K,
            const T* A, const T* B, T* C, bool accumulate) const override;
  std::unique_ptr<ConvolutionKernel<T>> convolution(const ConvolutionSpec& spec) const override;
  std::unique_ptr<MaxPoolKernel<T>> max_pool() const override;
  void avg_pool_forward(const Pool2dGeometry& g, const T* x, T* y) const override;
  void avg_pool_backward(const Pool2dGeometry& g, const T* dy, T* dx) const override;
  void global_avg_pool_forward(std::size_t planes, std::size_t plane_size, const T* x,
                               T* y) const override;
  void global_avg_pool_backward(std::size_t planes, std::size_t plane_size, const T* dy,
                                T* dx) const override;
  void add(const T* a, const T* b, T* y, std::size_t n) const override;
  void concat_rows(std::size_t N, std::size_t width, std::size_t y_width, std::size_t offset,
                   const T* x, T* y) const override;
  void slice_rows(std::size_t N, std::size_t width, std::size_t x_width, std::size_t offset,
                  const T* x, T* y) const override;
  std::unique_ptr<BatchNormKernel<T>> batch_norm() const override;
};

// The reference sum and row copies, which the oneDNN backend runs too on plain tensors.
template <class T>
void add(const T* a, const T* b, T* y, std::size_t n);
template <class T>
void concat_rows(std::size_t N, std::size_t width, std::size_t y_width, std::size_t offset,
                 const T* x, T* y);
template <class T>
void slice_rows(std::size_t N, std::size_t width, std::size_t x_width, std::size_t offset,
                const T* x, T* y);

// The reference max-pooling, which the oneDNN backend runs too on plain tensors: oneDNN 2.6's
// own pooling was slower than these branch-free loops (docs/decisions.md), and its layouts'
// pooling runs inside chains (kernels/onednn/chain/max_pool.h).
template <class T>
std::unique_ptr<MaxPoolKernel<T>> make_reference_max_pool();

}  // namespace gradlab::reference
