// Global average pooling: the mean of each channel's plane, as PyTorch's AdaptiveAvgPool2d(1)
// and ONNX's GlobalAveragePool (the output keeps its 1 × 1 plane; a Flatten after it gives N × C).
//   X: N × C × H × W,  Y: N × C × 1 × 1
//   forward:   Y[n,c] = (1 / HW) Σ_{h,w} X[n,c,h,w]
//   backward:  dX[n,c,h,w] = dY[n,c] / HW
// The loops are the backend's kernel (Kernels<T>::global_avg_pool_forward,
// kernels/reference/avgpool2d.cpp).
#pragma once

#include "framework/kernels/backend.h"
#include "framework/module.h"

namespace gradlab {

template <class T>
class GlobalAvgPool2d : public Layer<T> {
 public:
  std::string name() const override { return "GlobalAvgPool2d"; }
  OpSpec<T> describe() override { return {"global_avgpool2d"}; }

  Shape output_shape(const Shape& input_shape) const override {
    if (input_shape.size() != 4 || input_shape[2] == 0 || input_shape[3] == 0)
      throw ShapeError(name() + ": expected input of shape [N, C, H, W] with H, W >= 1, got " +
                       to_string(input_shape));
    return {input_shape[0], input_shape[1], 1, 1};
  }

 protected:
  void forward_impl(const Tensor<T>& input, Tensor<T>& output) override {
    kernels<T>(this->backend())
        .global_avg_pool_forward(output.size(), input.shape(2) * input.shape(3), input.data(),
                                 output.data());
  }

  void backward_impl(const Tensor<T>& grad_output, Tensor<T>* grad_input) override {
    if (!grad_input) return;
    const Shape& in = this->input_shape();
    kernels<T>(this->backend())
        .global_avg_pool_backward(grad_output.size(), in[2] * in[3], grad_output.data(),
                                  grad_input->data());
  }
};

}  // namespace gradlab
