// Sigmoid, element-wise.
//   forward:   y = σ(x) = 1 / (1 + e^(−x))
//   backward:  dx = dy · y (1 − y)          since σ'(x) = σ(x)(1 − σ(x))
#pragma once

#include <cmath>

#include "framework/layers/activation.h"
#include "framework/parallel.h"

namespace gradlab {

template <class T>
class Sigmoid : public Activation<T> {
 public:
  std::string name() const override { return "Sigmoid"; }
  OpSpec<T> describe() override { return {"sigmoid"}; }

 protected:
  void forward_impl(const Tensor<T>& input, Tensor<T>& output) override {
    const T* x = input.data();
    T* y = output.data();
    // For x < 0 use e^x / (1 + e^x): e^(−x) would overflow for large negative x.
    parallel_for(input.size(), [=](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {
        if (x[i] >= T(0)) {
          y[i] = T(1) / (T(1) + std::exp(-x[i]));
        } else {
          const T e = std::exp(x[i]);
          y[i] = e / (T(1) + e);
        }
      }
    });
  }

  void backward_impl(const Tensor<T>& grad_output, Tensor<T>* grad_input) override {
    if (!grad_input) return;
    const T *y = this->output().data(), *dy = grad_output.data();
    T* dx = grad_input->data();
    parallel_for(grad_output.size(), [=](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) dx[i] = dy[i] * y[i] * (T(1) - y[i]);
    });
  }
};

}  // namespace gradlab
