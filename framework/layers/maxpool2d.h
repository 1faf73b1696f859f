// 2-D max pooling over K × K windows with stride S, no padding.
//   X: N × C × H × W,  Y: N × C × H_out × W_out,  H_out = floor((H − K) / S) + 1
//   forward:   Y[n,c,i,j] = max_{u,v} X[n, c, i·S + u, j·S + v]
//   backward:  dX[argmax] += dY[n,c,i,j]   (the gradient flows only to the maximum; on a tie, to
//              the first maximum in row-major order, as PyTorch does)
// The loops are the backend's pooling kernel (kernels/pooling.h; kernels/reference/maxpool2d.cpp).
#pragma once

#include <memory>

#include "framework/kernels/backend.h"
#include "framework/module.h"

namespace gradlab {

template <class T>
class MaxPool2d : public Layer<T> {
 public:
  // stride = 0 means stride = kernel_size (non-overlapping windows), PyTorch's default.
  explicit MaxPool2d(std::size_t kernel_size, std::size_t stride = 0);

  std::string name() const override;
  OpSpec<T> describe() override {
    OpSpec<T> op{"maxpool2d"};
    op.kernel_size = kernel_size_, op.stride = stride_;
    op.kink = Kink::window_max;
    return op;
  }
  Shape output_shape(const Shape& input_shape) const override;
  std::size_t kernel_size() const { return kernel_size_; }
  std::size_t stride() const { return stride_; }

 protected:
  void forward_impl(const Tensor<T>& input, Tensor<T>& output) override;
  void backward_impl(const Tensor<T>& grad_output, Tensor<T>* grad_input) override;

 private:
  reference::Pool2dGeometry geometry(const Shape& input_shape) const;
  // The backend's kernel, made when first needed after the backend changes.
  MaxPoolKernel<T>& kernel();

  std::size_t kernel_size_, stride_;
  KernelForBackend<MaxPoolKernel<T>> kernel_;
};

}  // namespace gradlab
