// Global average pooling: the mean of each channel's plane, as PyTorch's AdaptiveAvgPool2d(1)
// and ONNX's GlobalAveragePool (the output keeps its 1 × 1 plane; a Flatten after it gives N × C).
//   X: N × C × H × W,  Y: N × C × 1 × 1
//   forward:   Y[n,c] = (1 / HW) Σ_{h,w} X[n,c,h,w]
//   backward:  dX[n,c,h,w] = dY[n,c] / HW
#pragma once

#include <algorithm>

#include "framework/module.h"
#include "framework/parallel.h"

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
    const std::size_t plane_size = input.shape(2) * input.shape(3);
    const T* x = input.data();
    T* y = output.data();
    parallel_for(output.size(), [=](std::size_t begin, std::size_t end) {
      for (std::size_t plane = begin; plane < end; ++plane) {
        const T* x_plane = x + plane * plane_size;
        T sum = 0;
        for (std::size_t k = 0; k < plane_size; ++k) sum += x_plane[k];
        y[plane] = sum / static_cast<T>(plane_size);
      }
    });
  }

  void backward_impl(const Tensor<T>& grad_output, Tensor<T>* grad_input) override {
    if (!grad_input) return;
    const Shape& in = this->input_shape();
    const std::size_t plane_size = in[2] * in[3];
    const T* dy = grad_output.data();
    T* dx = grad_input->data();
    parallel_for(grad_output.size(), [=](std::size_t begin, std::size_t end) {
      for (std::size_t plane = begin; plane < end; ++plane)
        std::fill(dx + plane * plane_size, dx + (plane + 1) * plane_size,
                  dy[plane] / static_cast<T>(plane_size));
    });
  }
};

}  // namespace gradlab
