// GELU, element-wise (Hendrycks & Gimpel 2016), exact or with PyTorch's tanh approximation.
//   exact:   y = x Φ(x) = ½ x (1 + erf(x / √2))
//            dx = dy · (Φ(x) + x φ(x)),           φ(x) = e^(−x²/2) / √(2π)
//   tanh:    y = ½ x (1 + t),   t = tanh(u),   u = √(2/π) (x + 0.044715 x³)
//            dx = dy · (½ (1 + t) + ½ x (1 − t²) √(2/π) (1 + 3 · 0.044715 x²))
// GELU is not monotone, so unlike ReLU or Tanh the derivative cannot be read from y: the layer
// keeps its input.
#pragma once

#include <cmath>

#include "framework/layers/activation.h"
#include "framework/parallel.h"

namespace gradlab {

template <class T>
class GELU : public Activation<T> {
 public:
  enum class Approximation { none, tanh };  // PyTorch's `approximate` argument

  explicit GELU(Approximation approximation = Approximation::none)
      : approximation_(approximation) {}

  std::string name() const override {
    return approximation_ == Approximation::tanh ? "GELU(approximate=tanh)" : "GELU";
  }
  OpSpec<T> describe() override {
    OpSpec<T> op{"gelu"};
    op.variant = approximation_ == Approximation::tanh ? "tanh" : "none";
    return op;
  }
  Approximation approximation() const { return approximation_; }

 protected:
  void forward_impl(const Tensor<T>& input, Tensor<T>& output) override {
    input_.resize(shape_of(input));
    std::copy(input.data(), input.data() + input.size(), input_.data());
    const T* x = input.data();
    T* y = output.data();
    const bool exact = approximation_ == Approximation::none;
    parallel_for(input.size(), [=](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i)
        y[i] = exact ? x[i] * Phi(x[i]) : T(0.5) * x[i] * (T(1) + std::tanh(u(x[i])));
    });
  }

  void backward_impl(const Tensor<T>& grad_output, Tensor<T>* grad_input) override {
    if (!grad_input) return;
    const T *x = input_.data(), *dy = grad_output.data();
    T* dx = grad_input->data();
    const bool exact = approximation_ == Approximation::none;
    parallel_for(grad_output.size(), [=](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {
        T slope;
        if (exact) {
          slope = Phi(x[i]) + x[i] * phi(x[i]);
        } else {
          const T t = std::tanh(u(x[i]));
          slope = T(0.5) * (T(1) + t) + T(0.5) * x[i] * (T(1) - t * t) * kSqrt2OverPi *
                                            (T(1) + T(3) * kCubic * x[i] * x[i]);
        }
        dx[i] = dy[i] * slope;
      }
    });
  }

 private:
  static constexpr T kSqrt2OverPi = T(0.79788456080286535588);  // √(2/π)
  static constexpr T kInvSqrt2 = T(0.70710678118654752440);     // 1/√2
  static constexpr T kInvSqrt2Pi = T(0.39894228040143267794);   // 1/√(2π)
  static constexpr T kCubic = T(0.044715);

  static T Phi(T x) { return T(0.5) * (T(1) + std::erf(x * kInvSqrt2)); }
  static T phi(T x) { return kInvSqrt2Pi * std::exp(T(-0.5) * x * x); }
  static T u(T x) { return kSqrt2OverPi * (x + kCubic * x * x * x); }

  Approximation approximation_;
  Tensor<T> input_;
};

}  // namespace gradlab
