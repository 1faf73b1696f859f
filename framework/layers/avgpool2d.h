// 2-D average pooling over K × K windows with stride S and zero padding P, dividing by K² even
// where the window covers padding (PyTorch's AvgPool2d with count_include_pad=True, its default).
//   X: N × C × H × W,  Y: N × C × H_out × W_out,  H_out = floor((H + 2P − K) / S) + 1
//   forward:   Y[n,c,i,j] = (1/K²) Σ_{u,v < K} X[n, c, i·S + u − P, j·S + v − P]   (0 outside X)
//   backward:  dX[n, c, i·S + u − P, j·S + v − P] += dY[n,c,i,j] / K²      for every u, v
// The loops are the backend's average-pooling kernel (Kernels<T>::avg_pool_forward,
// kernels/reference/avgpool2d.cpp); oneDNN runs them too outside chains (pooling is cheap next to
// convolutions).
#pragma once

#include "framework/kernels/backend.h"
#include "framework/module.h"

namespace gradlab {

template <class T>
class AvgPool2d : public Layer<T> {
 public:
  // stride = 0 means stride = kernel_size; padding at most kernel_size / 2, as PyTorch requires.
  explicit AvgPool2d(std::size_t kernel_size, std::size_t stride = 0, std::size_t padding = 0);

  std::string name() const override;
  OpSpec<T> describe() override {
    OpSpec<T> op{"avgpool2d"};
    op.kernel_size = kernel_size_, op.stride = stride_, op.padding = padding_;
    return op;
  }
  Shape output_shape(const Shape& input_shape) const override;
  std::size_t kernel_size() const { return kernel_size_; }
  std::size_t stride() const { return stride_; }
  std::size_t padding() const { return padding_; }

 protected:
  void forward_impl(const Tensor<T>& input, Tensor<T>& output) override;
  void backward_impl(const Tensor<T>& grad_output, Tensor<T>* grad_input) override;

 private:
  reference::Pool2dGeometry geometry(const Shape& input_shape) const;

  std::size_t kernel_size_, stride_, padding_;
};

}  // namespace gradlab
