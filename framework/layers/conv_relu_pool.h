// Conv2d → ReLU → MaxPool2d blocks as one step: what Sequential runs in place of a run of such
// triples on the oneDNN backend (float32). The math is the layers' own, composed:
//   forward:   y  = maxpool(relu(conv(x))), block after block
//   backward:  dx, dW, db of that composition (ReLU's backward applied to the pooled gradient,
//              kernels/onednn/conv_relu_pool.h shows why that is exact)
// and the parameters stay the Conv2d layers'. What changes is where the activations live: in
// oneDNN's blocked layout, within each block and, where the layouts allow, from one block to the
// next, never reordered to N×C×H×W in between (docs/decisions.md, "Fusing convolution, ReLU and
// pooling"). The step's input and output are ordinary N×C×H×W tensors. Geometries oneDNN cannot
// pool this way run the layers one by one.
#pragma once

#include <memory>
#include <vector>

#include "framework/kernels/onednn/conv_relu_pool.h"
#include "framework/layers/conv2d.h"
#include "framework/layers/maxpool2d.h"
#include "framework/layers/relu.h"

namespace gradlab {

class ConvReluPool : public Layer<float> {
 public:
  struct Block {
    Conv2d<float>& conv;
    ReLU<float>& relu;
    MaxPool2d<float>& pool;
  };
  explicit ConvReluPool(std::vector<Block> blocks);

  // The longest run of Conv2d, ReLU, MaxPool2d triples in modules from `first` on, as one step;
  // null if there is none there.
  static std::unique_ptr<ConvReluPool> match(const std::vector<Module<float>*>& modules,
                                             std::size_t first);
  // How many modules the step stands for (3 per block).
  std::size_t module_count() const { return 3 * blocks_.size(); }

  std::string name() const override;
  Shape output_shape(const Shape& input_shape) const override;
  std::size_t forward_flops(const Shape& input_shape) const override;
  // True when the last forward ran fused (false: oneDNN had no pooling for a geometry).
  bool fused() const { return fused_; }
  // How many neighbouring blocks handed over their activations blocked, in the last forward.
  std::size_t linked_blocks() const;
  // The oneDNN implementation of each fused convolution pass, block after block.
  std::vector<std::string> implementations(const Shape& input_shape);

 protected:
  void forward_impl(const Tensor<float>& input, Tensor<float>& output) override;
  void backward_impl(const Tensor<float>& grad_output, Tensor<float>* grad_input) override;

 private:
  // Each block's geometry for the step's input shape.
  std::vector<onednn::ConvReluPoolGeometry> geometries(const Shape& input_shape) const;

  std::vector<Block> blocks_;
  std::vector<std::unique_ptr<onednn::ConvReluPoolKernel>> kernels_;
  std::vector<onednn::ConvReluPoolGeometry> geometries_;  // of the last forward
  Tensor<float> input_;                                   // X, kept for the first block's dW
  // Between blocks k and k+1 that are not linked: the N×C×H×W output and its gradient.
  std::vector<Tensor<float>> between_, grad_between_;
  std::vector<bool> linked_;  // linked_[k]: block k hands its output to block k+1 blocked
  bool fused_ = true;
};

}  // namespace gradlab
