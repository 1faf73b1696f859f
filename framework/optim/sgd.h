// Plain stochastic gradient descent:  W ← W − η ∇W
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "framework/parameter.h"

namespace gradlab {

template <class T>
class SGD {
 public:
  SGD(std::vector<Parameter<T>*> parameters, double learning_rate)
      : parameters_(std::move(parameters)), learning_rate_(learning_rate) {
    if (!(learning_rate > 0.0))
      throw std::invalid_argument("SGD: lr must be > 0, got " + std::to_string(learning_rate));
  }

  void step() {
    const T lr = static_cast<T>(learning_rate_);
    for (Parameter<T>* parameter : parameters_) {
      T* w = parameter->value.data();
      const T* grad = parameter->grad.data();
      for (std::size_t i = 0; i < parameter->value.size(); ++i) w[i] -= lr * grad[i];
    }
  }

  void zero_grad() {
    for (Parameter<T>* parameter : parameters_) parameter->grad.fill(T(0));
  }

 private:
  std::vector<Parameter<T>*> parameters_;
  double learning_rate_;
};

}  // namespace gradlab
