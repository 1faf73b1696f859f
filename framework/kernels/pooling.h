// The max-pooling kernel interface: what a MaxPool2d layer calls, whatever the backend
// (framework/kernels/backend.h makes one). The math is layers/maxpool2d.h's.
#pragma once

#include "framework/kernels/reference/maxpool2d.h"

namespace gradlab {

template <class T>
class MaxPoolKernel {
 public:
  virtual ~MaxPoolKernel() = default;
  // y; keeps what backward needs (the argmax).
  virtual void forward(const reference::Pool2dGeometry& g, const T* x, T* y) = 0;
  // After forward: overwrites dx with the gradient of the last forward's input.
  virtual void backward(const reference::Pool2dGeometry& g, const T* dy, T* dx) = 0;
};

}  // namespace gradlab
