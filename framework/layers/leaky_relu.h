// LeakyReLU, element-wise, with slope a ≥ 0 for negative inputs (PyTorch's default a = 0.01).
//   forward:   y = x          if x > 0
//              y = a · x      otherwise
//   backward:  dx = dy · (y > 0 ? 1 : a)     (with a ≥ 0, y > 0 exactly when x > 0; at the kink
//                                            x = 0 the slope a is taken, as PyTorch does)
#pragma once

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "framework/layers/activation.h"
#include "framework/parallel.h"

namespace gradlab {

template <class T>
class LeakyReLU : public Activation<T> {
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

 protected:
  void forward_impl(const Tensor<T>& input, Tensor<T>& output) override {
    const T* x = input.data();
    T* y = output.data();
    const T a = static_cast<T>(negative_slope_);
    parallel_for(input.size(), [=](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) y[i] = x[i] > T(0) ? x[i] : a * x[i];
    });
  }

  void backward_impl(const Tensor<T>& grad_output, Tensor<T>* grad_input) override {
    if (!grad_input) return;
    const T *y = this->output().data(), *dy = grad_output.data();
    T* dx = grad_input->data();
    const T a = static_cast<T>(negative_slope_);
    // The slope is selected, then multiplied: no data-dependent branch (relu.h says why).
    parallel_for(grad_output.size(), [=](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) dx[i] = dy[i] * (y[i] > T(0) ? T(1) : a);
    });
  }

 private:
  double negative_slope_;
};

}  // namespace gradlab
