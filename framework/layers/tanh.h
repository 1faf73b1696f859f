// Tanh, element-wise.
//   forward:   y = tanh(x)
//   backward:  dx = dy · (1 − y²)          since tanh'(x) = 1 − tanh²(x)
// The loops are its reference kernel, in tanh.cpp (kernels/elementwise.h).
#pragma once

#include "framework/layers/activation.h"

namespace gradlab {

template <class T>
class Tanh : public ElementwiseActivation<T> {
 public:
  std::string name() const override { return "Tanh"; }
  OpSpec<T> describe() override { return {"tanh"}; }
};

}  // namespace gradlab
