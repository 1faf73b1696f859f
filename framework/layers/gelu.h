// GELU, element-wise (Hendrycks & Gimpel 2016), exact or with PyTorch's tanh approximation.
//   exact:   y = x Φ(x) = ½ x (1 + erf(x / √2))
//            dx = dy · (Φ(x) + x φ(x)),           φ(x) = e^(−x²/2) / √(2π)
//   tanh:    y = ½ x (1 + t),   t = tanh(u),   u = √(2/π) (x + 0.044715 x³)
//            dx = dy · (½ (1 + t) + ½ x (1 − t²) √(2/π) (1 + 3 · 0.044715 x²))
// GELU is not monotone, so unlike ReLU or Tanh the derivative cannot be read from y: its kernel
// reads the input (the layer keeps it). The loops are its reference kernel, in gelu.cpp.
#pragma once

#include <cmath>

#include "framework/layers/activation.h"

namespace gradlab {

template <class T>
class GELU : public ElementwiseActivation<T> {
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

  // y and dy/dx at x, exact or with the tanh approximation (the formulas above): the reference
  // kernel's element-wise functions (gelu.cpp).
  static T value(T x, bool exact) {
    return exact ? x * Phi(x) : T(0.5) * x * (T(1) + std::tanh(u(x)));
  }
  static T slope(T x, bool exact) {
    if (exact) return Phi(x) + x * phi(x);
    const T t = std::tanh(u(x));
    return T(0.5) * (T(1) + t) +
           T(0.5) * x * (T(1) - t * t) * kSqrt2OverPi * (T(1) + T(3) * kCubic * x * x);
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
};

}  // namespace gradlab
