// 2-D convolution (deep-learning cross-correlation), square kernel.
//   X: N × C_in × H × W,  W: C_out × C_in × K × K,  b: C_out,  Y: N × C_out × H_out × W_out
//   H_out = floor((H + 2P − K) / S) + 1, W_out likewise (an error if either is < 1)
//   forward:   Y[n,o,i,j] = b[o] + Σ_{c,u,v} X[n, c, i·S + u − P, j·S + v − P] · W[o,c,u,v]
//   backward:  dW += Σ_{n,i,j} X[n, c, i·S + u − P, j·S + v − P] · dY[n,o,i,j]
//              db += Σ_{n,i,j} dY[n,o,i,j]
//              dX  = the transposed convolution of dY with W
// The passes run on the backend's convolution kernel (kernels/convolution.h): the reference loops
// of kernels/reference/conv2d.cpp, or oneDNN (float32), where in a Sequential a run of layers
// runs fused (framework/fusion/plan.h).
#pragma once

#include <memory>

#include "framework/init.h"
#include "framework/kernels/backend.h"
#include "framework/module.h"

namespace gradlab {

template <class T>
class Conv2d : public Layer<T> {
 public:
  Conv2d(std::size_t in_channels, std::size_t out_channels, std::size_t kernel_size, Rng& rng,
         std::size_t stride = 1, std::size_t padding = 0, Init init = Init::kaiming_uniform,
         bool bias = true);

  std::string name() const override;
  OpSpec<T> describe() override {
    OpSpec<T> op{"conv2d"};
    op.in_size = in_channels_, op.out_size = out_channels_;
    op.kernel_size = kernel_size_, op.stride = stride_, op.padding = padding_;
    op.weight = &weight_, op.bias = has_bias_ ? &bias_ : nullptr;
    return op;
  }
  Shape output_shape(const Shape& input_shape) const override;
  // 2 · (N · C_out · H_out · W_out) · (C_in · K · K)
  std::size_t forward_flops(const Shape& input_shape) const override {
    const Shape out = output_shape(input_shape);
    return 2 * out[0] * out[1] * out[2] * out[3] * in_channels_ * kernel_size_ * kernel_size_;
  }

  Parameter<T>& weight() { return weight_; }
  Parameter<T>& bias() { return bias_; }
  bool has_bias() const { return has_bias_; }
  std::size_t in_channels() const { return in_channels_; }
  std::size_t out_channels() const { return out_channels_; }
  std::size_t kernel_size() const { return kernel_size_; }
  std::size_t stride() const { return stride_; }
  std::size_t padding() const { return padding_; }

  // The sizes of this layer's convolution for an input shape; throws ShapeError naming the layer
  // if the input is not N × in_channels × H × W or is smaller than the kernel.
  reference::Conv2dGeometry geometry(const Shape& input_shape) const;

  // The implementations the backend's kernel runs for this input shape (empty for the
  // reference loops).
  std::vector<std::string> implementations(const Shape& input_shape);

 protected:
  void forward_impl(const Tensor<T>& input, Tensor<T>& output) override;
  void backward_impl(const Tensor<T>& grad_output, Tensor<T>* grad_input) override;

 private:
  std::size_t in_channels_, out_channels_, kernel_size_, stride_, padding_;
  bool has_bias_;
  Parameter<T> weight_, bias_;
  // The backend's kernel, made when first needed after the backend changes.
  ConvolutionKernel<T>& kernel();

  Tensor<T> input_;  // X, kept for dW
  KernelForBackend<ConvolutionKernel<T>> kernel_;
};

}  // namespace gradlab
