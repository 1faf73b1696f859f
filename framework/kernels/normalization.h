// The batch-normalisation kernel interface: what a BatchNorm layer calls, whatever the backend
// (framework/kernels/backend.h makes one). The math is layers/batchnorm.h's; the reference loops
// are kernels/reference/batch_norm.cpp.
#pragma once

#include <cstddef>

namespace gradlab {

// X: N × C × S (S = H·W for N × C × H × W, 1 or L for N × C or N × C × L); channel c's values are
// its N·S.
struct BatchNormGeometry {
  std::size_t N, C, S;
};

template <class T>
class BatchNormKernel {
 public:
  virtual ~BatchNormKernel() = default;
  // y = γ x̂ + β, x̂ by the batch's statistics (training: the running statistics are updated
  // with `momentum`, the variance unbiased) or by the running ones. gamma and beta are null when
  // the layer is not affine. Keeps what backward needs.
  virtual void forward(const BatchNormGeometry& g, const T* x, const T* gamma, const T* beta,
                       T* running_mean, T* running_var, double eps, double momentum, bool training,
                       T* y) = 0;
  // After forward: dgamma, dbeta += (null when not affine); dx written unless null.
  virtual void backward(const BatchNormGeometry& g, const T* dy, const T* gamma, T* dgamma,
                        T* dbeta, T* dx) = 0;
};

}  // namespace gradlab
