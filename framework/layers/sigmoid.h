// Sigmoid, element-wise.
//   forward:   y = σ(x) = 1 / (1 + e^(−x))
//   backward:  dx = dy · y (1 − y)          since σ'(x) = σ(x)(1 − σ(x))
// The loops are its reference kernel, in sigmoid.cpp (kernels/elementwise.h).
#pragma once

#include "framework/layers/activation.h"

namespace gradlab {

template <class T>
class Sigmoid : public ElementwiseActivation<T> {
 public:
  std::string name() const override { return "Sigmoid"; }
  OpSpec<T> describe() override { return {"sigmoid"}; }
};

}  // namespace gradlab
