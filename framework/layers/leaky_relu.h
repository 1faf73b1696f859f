// LeakyReLU, element-wise, with slope a ≥ 0 for negative inputs (PyTorch's default a = 0.01).
//   forward:   y = x          if x > 0
//              y = a · x      otherwise
//   backward:  dx = dy · (y > 0 ? 1 : a)     (with a ≥ 0, y > 0 exactly when x > 0; at the kink
//                                            x = 0 the slope a is taken, as PyTorch does)
// The loops are its reference kernel, in leaky_relu.cpp (kernels/elementwise.h).
#pragma once

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "framework/layers/activation.h"

namespace gradlab {

template <class T>
class LeakyReLU : public ElementwiseActivation<T> {
 public:
  explicit LeakyReLU(double negative_slope = 0.01) : negative_slope_(negative_slope) {
    // A negative slope would flip the sign of y, and backward reads the sign from y.
    if (!(negative_slope >= 0.0) || !std::isfinite(negative_slope))
      throw std::invalid_argument("LeakyReLU: negative_slope must be finite and >= 0, got " +
                                  std::to_string(negative_slope));
  }

  std::string name() const override {
    std::ostringstream text;  // 0.01, not std::to_string's 0.010000
    text << "LeakyReLU(negative_slope=" << negative_slope_ << ")";
    return text.str();
  }
  OpSpec<T> describe() override {
    OpSpec<T> op{"leaky_relu"};
    op.alpha = negative_slope_;
    op.kink = Kink::at_zero;
    return op;
  }
  double negative_slope() const { return negative_slope_; }

 private:
  double negative_slope_;
};

}  // namespace gradlab
