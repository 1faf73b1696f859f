// Conv2d → ReLU → MaxPool2d as one block: what Sequential runs in place of those three layers
// when it finds them in a row on the oneDNN backend (float32). The math is the three layers'
// own, composed:
//   forward:   y  = maxpool(relu(conv(x)))
//   backward:  dx, dW, db of that composition (ReLU's backward applied to the pooled gradient,
//              kernels/onednn/conv_relu_pool.h shows why that is exact)
// and the parameters stay the Conv2d's. What changes is where the activations live: between the
// three, in oneDNN's blocked layout, never reordered to N×C×H×W (docs/decisions.md, "Fusing
// convolution, ReLU and pooling"). Geometries oneDNN cannot pool run the three layers one by one.
#pragma once

#include <memory>

#include "framework/kernels/onednn/conv_relu_pool.h"
#include "framework/layers/conv2d.h"
#include "framework/layers/maxpool2d.h"
#include "framework/layers/relu.h"

namespace gradlab {

class ConvReluPool : public Layer<float> {
 public:
  ConvReluPool(Conv2d<float>& conv, ReLU<float>& relu, MaxPool2d<float>& pool);

  // The block for three modules in a row, or null unless they are Conv2d, ReLU and MaxPool2d.
  static std::unique_ptr<ConvReluPool> match(Module<float>& first, Module<float>& second,
                                             Module<float>& third);

  std::string name() const override;
  Shape output_shape(const Shape& input_shape) const override;
  std::size_t forward_flops(const Shape& input_shape) const override {
    return conv_.forward_flops(input_shape);
  }
  // True when the last forward ran fused (false: oneDNN had no pooling for the geometry).
  bool fused() const { return fused_; }
  // The oneDNN implementation of each fused primitive for an input shape (ConvReluPoolKernel).
  std::vector<std::string> implementations(const Shape& input_shape);

 protected:
  void forward_impl(const Tensor<float>& input, Tensor<float>& output) override;
  void backward_impl(const Tensor<float>& grad_output, Tensor<float>* grad_input) override;

 private:
  onednn::ConvReluPoolGeometry geometry(const Shape& input_shape) const;

  Conv2d<float>& conv_;
  ReLU<float>& relu_;
  MaxPool2d<float>& pool_;
  onednn::ConvReluPoolKernel kernel_;
  Tensor<float> input_;  // X, kept for dW
  bool fused_ = true;
};

}  // namespace gradlab
