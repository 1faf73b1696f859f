// Reference batch normalisation (the math: layers/batchnorm.h): one channel per task, sums in
// double, the variance in a second pass. The kernel every backend runs on plain tensors; oneDNN's
// own primitive runs inside chains (kernels/onednn/chain/batch_norm.h).
#pragma once

#include <vector>

#include "framework/kernels/normalization.h"

namespace gradlab::reference {

template <class T>
class BatchNorm : public BatchNormKernel<T> {
 public:
  void forward(const BatchNormGeometry& g, const T* x, const T* gamma, const T* beta,
               T* running_mean, T* running_var, double eps, double momentum, bool training,
               T* y) override;
  void backward(const BatchNormGeometry& g, const T* dy, const T* gamma, T* dgamma, T* dbeta,
                T* dx) override;

 private:
  // From the last forward: x̂, 1/√(σ² + ε) per channel, and whether batch statistics were used.
  std::vector<T> normalized_;
  std::vector<double> inv_std_;
  bool training_ = false;
};

}  // namespace gradlab::reference
