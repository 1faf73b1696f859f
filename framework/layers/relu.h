// ReLU, element-wise.
//   forward:   y = max(0, x)
//   backward:  dx = dy · [y > 0]      (the kink at 0 takes the subgradient 0, as PyTorch does)
// The loops are its reference kernel, in relu.cpp (kernels/elementwise.h).
#pragma once

#include "framework/layers/activation.h"

namespace gradlab {

template <class T>
class ReLU : public ElementwiseActivation<T> {
 public:
  std::string name() const override { return "ReLU"; }
  OpSpec<T> describe() override {
    OpSpec<T> op{"relu"};
    op.kink = Kink::at_zero;
    return op;
  }
};

}  // namespace gradlab
