// A run of Conv2d, BatchNorm2d, ReLU and MaxPool2d layers as one step on the oneDNN backend
// (float32): what Sequential runs in their place (framework/sequential.h). The math is the layers'
// own, composed, and the parameters stay the layers'; what changes is where the activations live:
// in the layouts oneDNN's kernels want, from the run's first layer to its last, reordered only
// where two neighbours disagree and at the two ends, where the step's input and output are ordinary
// N×C×H×W tensors (kernels/onednn/chain/chain.h; docs/decisions.md, "Chains").
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "framework/fusion/plan.h"
#include "framework/kernels/onednn/chain/chain.h"

namespace gradlab {

class OnednnChain : public Layer<float> {
 public:
  // The layers, each one that chainable() accepts under the options, at least one Conv2d
  // (possibly inside a residual block); a ReLU after a BatchNorm2d runs inside it if
  // options.batch_norm_relu.
  explicit OnednnChain(std::vector<Module<float>*> layers, const FusionOptions& options = {});

  // Whether a module can run in a chain: Conv2d, ReLU, BatchNorm2d (unless the options say
  // not), MaxPool2d with at most 256 window positions, or a residual block whose body and
  // shortcut hold only such layers (unless the options say not).
  static bool chainable(Module<float>& module, const FusionOptions& options = {});
  // The longest run of chainable modules from `first` on, as one step, if it holds a Conv2d;
  // null otherwise.
  static std::shared_ptr<OnednnChain> match(const std::vector<Module<float>*>& modules,
                                            std::size_t first, const FusionOptions& options = {});
  // How many modules the step stands for.
  std::size_t module_count() const { return layers_.size(); }

  std::string name() const override;
  Shape output_shape(const Shape& input_shape) const override;
  std::size_t forward_flops(const Shape& input_shape) const override;

  // The implementation of every piece the step runs for this input shape (Chain::
  // implementations), and how many reorders it runs between layers (not at the two ends).
  std::vector<std::string> implementations(const Shape& input_shape);
  std::size_t inner_reorders(const Shape& input_shape);
  // A layer, and for a residual block the layers of each branch (each from the block's input):
  // what forward checks a training batch against, without asking every module to describe
  // itself at every step.
  struct Checked {
    Module<float>* module;
    std::vector<std::vector<Checked>> branches;
  };

  // The kernel and what it was told to run, for the benchmark.
  onednn::Chain& kernel() { return *chain_; }
  const std::vector<onednn::Chain::Layer>& kernel_layers() const { return kernel_layers_; }

 protected:
  void forward_impl(const Tensor<float>& input, Tensor<float>& output) override;
  void backward_impl(const Tensor<float>& grad_output, Tensor<float>* grad_input) override;

 private:
  std::vector<onednn::LayerParameters> parameters();
  static onednn::Chain::Shape4 shape4(const Shape& shape);

  std::vector<Module<float>*> layers_;
  // The Conv2d and BatchNorm2d layers, in the chain's order (a residual block's body, then its
  // shortcut), each with its description, taken once: its tensors' addresses hold for the
  // layer's life (modules never move).
  std::vector<std::pair<Module<float>*, OpSpec<float>>> with_parameters_;
  std::vector<onednn::Chain::Layer> kernel_layers_;
  std::vector<Checked> checked_;  // layers_, walked into residual blocks, once
  // Every module the chain runs, residual blocks' layers too, by its kernel layer's tag: whose
  // observer hears each output (Module::set_output_observer).
  std::vector<Module<float>*> tagged_;
  std::unique_ptr<onednn::Chain> chain_;
  Tensor<float> input_;  // X, which the first convolution's backward reads
};

}  // namespace gradlab
