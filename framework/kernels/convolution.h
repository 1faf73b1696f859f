// The convolution kernel interface: what a Conv2d layer calls, whatever the backend
// (framework/kernels/backend.h makes one). The math is kernels/reference/conv2d.h's.
#pragma once

#include <string>
#include <vector>

#include "framework/kernels/reference/conv2d.h"

namespace gradlab {

// What a convolution kernel is made for; the input's sizes come with each call (geometry).
struct ConvolutionSpec {
  std::size_t out_channels, kernel_size, stride, padding;
  bool bias;
  std::string name;  // the layer's, for notices: "Conv2d(27 -> 32, kernel_size=3, ...)"
};

template <class T>
class ConvolutionKernel {
 public:
  virtual ~ConvolutionKernel() = default;
  // y = conv(x, w) + b; b is null exactly when the spec has no bias.
  virtual void forward(const reference::Conv2dGeometry& g, const T* x, const T* w, const T* b,
                       T* y) = 0;
  // After forward with the same x and w: dw += ∂L/∂w, db += ∂L/∂b (db null: no bias), and dx =
  // ∂L/∂x unless dx is null.
  virtual void backward(const reference::Conv2dGeometry& g, const T* x, const T* w, const T* dy,
                        T* dx, T* dw, T* db) = 0;
  // The implementation of each piece it runs for this geometry (forward, backward-data,
  // backward-weights, then reorders); empty for the reference loops.
  virtual std::vector<std::string> implementations(const reference::Conv2dGeometry&) { return {}; }
};

}  // namespace gradlab
