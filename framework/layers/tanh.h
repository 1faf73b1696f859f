// Tanh, element-wise.
//   forward:   y = tanh(x)
//   backward:  dx = dy · (1 − y²)          since tanh'(x) = 1 − tanh²(x)
#pragma once

#include <cmath>

#include "framework/layers/activation.h"
#include "framework/parallel.h"

namespace gradlab {

template <class T>
class Tanh : public Activation<T> {
 public:
  std::string name() const override { return "Tanh"; }
  OpSpec<T> describe() override { return {"tanh"}; }

 protected:
  void forward_impl(const Tensor<T>& input, Tensor<T>& output) override {
    const T* x = input.data();
    T* y = output.data();
    parallel_for(input.size(), [=](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) y[i] = std::tanh(x[i]);
    });
  }

  void backward_impl(const Tensor<T>& grad_output, Tensor<T>* grad_input) override {
    if (!grad_input) return;
    const T *y = this->output().data(), *dy = grad_output.data();
    T* dx = grad_input->data();
    parallel_for(grad_output.size(), [=](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) dx[i] = dy[i] * (T(1) - y[i] * y[i]);
    });
  }
};

}  // namespace gradlab
