// Mean squared error over all M elements.
//   forward:   L = (1/M) Σ_i (ŷ_i − y_i)²
//   backward:  ∂L/∂ŷ_i = (2/M)(ŷ_i − y_i)
#pragma once

#include "framework/tensor.h"

namespace gradlab {

template <class T>
class MSELoss {
 public:
  std::string name() const { return "MSELoss"; }

  // prediction and target must have the same shape.
  T forward(const Tensor<T>& prediction, const Tensor<T>& target);
  // ∂L/∂prediction for the last forward.
  const Tensor<T>& backward() const;

 private:
  Tensor<T> grad_;
  bool has_forward_ = false;
};

}  // namespace gradlab
