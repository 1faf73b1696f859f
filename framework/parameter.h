// A trainable tensor and the gradient of the loss with respect to it.
#pragma once

#include <string>
#include <utility>

#include "framework/tensor.h"

namespace gradlab {

template <class T>
struct Parameter {
  Parameter(std::string name, const Shape& shape)
      : name(std::move(name)),
        value(Tensor<T>::from_shape(shape)),
        grad(Tensor<T>::from_shape(shape)) {
    value.fill(T(0));
    grad.fill(T(0));
  }

  std::string name;  // local name within its module: "weight", "bias"
  Tensor<T> value;
  Tensor<T> grad;  // ∂L/∂value; backward passes accumulate into it (+=)
};

// A parameter with its hierarchical name in a model: "0.weight", "3.bias".
template <class T>
struct NamedParameter {
  std::string name;
  Parameter<T>* parameter;
};

// A buffer (framework/module.h: state saved in checkpoints, not trained) with its name in a model.
template <class T>
struct NamedBuffer {
  std::string name;
  Tensor<T>* tensor;
};

}  // namespace gradlab
