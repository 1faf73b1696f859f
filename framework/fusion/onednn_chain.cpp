#include "framework/fusion/onednn_chain.h"

#include <stdexcept>

#include "framework/kernels/onednn/chain/max_pool.h"
#include "framework/layers/batchnorm.h"
#include "framework/layers/maxpool2d.h"
#include "framework/layers/relu.h"

namespace gradlab {

namespace {

// What the kernel runs for a chainable layer.
onednn::Chain::Layer describe(const Module<float>& module) {
  using Kind = onednn::Chain::Layer::Kind;
  onednn::Chain::Layer layer{};
  layer.name = module.name();
  if (const auto* conv = dynamic_cast<const Conv2d<float>*>(&module)) {
    layer.kind = Kind::convolution;
    layer.out_channels = conv->out_channels();
    layer.kernel_size = conv->kernel_size();
    layer.stride = conv->stride();
    layer.padding = conv->padding();
    layer.bias = conv->has_bias();
  } else if (const auto* norm = dynamic_cast<const BatchNorm<float>*>(&module)) {
    layer.kind = Kind::batch_norm;
    layer.bias = norm->affine();
    layer.eps = norm->eps();
    layer.momentum = norm->momentum();
  } else if (const auto* pool = dynamic_cast<const MaxPool2d<float>*>(&module)) {
    layer.kind = Kind::max_pool;
    layer.kernel_size = pool->kernel_size();
    layer.stride = pool->stride();
  } else if (dynamic_cast<const ReLU<float>*>(&module)) {
    layer.kind = Kind::relu;
  } else {
    throw std::invalid_argument("OnednnChain: " + module.name() + " cannot run in a chain");
  }
  return layer;
}

std::vector<onednn::Chain::Layer> describe(const std::vector<Module<float>*>& layers) {
  std::vector<onednn::Chain::Layer> described;
  for (const Module<float>* layer : layers) described.push_back(describe(*layer));
  return described;
}

}  // namespace

OnednnChain::OnednnChain(std::vector<Module<float>*> layers, bool fuse_batch_norm_relu)
    : layers_(std::move(layers)),
      kernel_layers_(describe(layers_)),
      chain_(kernel_layers_, fuse_batch_norm_relu) {
  bool has_convolution = false;
  for (Module<float>* layer : layers_) {
    has_convolution = has_convolution || dynamic_cast<Conv2d<float>*>(layer);
    if (dynamic_cast<Conv2d<float>*>(layer) || dynamic_cast<BatchNorm<float>*>(layer))
      with_parameters_.push_back(layer);
  }
  if (!has_convolution) throw std::invalid_argument("OnednnChain: no Conv2d in " + name());
}

bool OnednnChain::chainable(const Module<float>& module, const FusionOptions& options) {
  if (const auto* pool = dynamic_cast<const MaxPool2d<float>*>(&module))
    return onednn::MaxPoolOp::supports(pool->kernel_size());
  if (const auto* norm = dynamic_cast<const BatchNorm<float>*>(&module))
    return options.batch_norm && norm->kind() == BatchNormKind::d2;
  return dynamic_cast<const Conv2d<float>*>(&module) || dynamic_cast<const ReLU<float>*>(&module);
}

std::shared_ptr<OnednnChain> OnednnChain::match(const std::vector<Module<float>*>& modules,
                                                std::size_t first, const FusionOptions& options) {
  std::vector<Module<float>*> run;
  bool has_convolution = false;
  for (std::size_t i = first; i < modules.size() && chainable(*modules[i], options); ++i) {
    run.push_back(modules[i]);
    has_convolution = has_convolution || dynamic_cast<Conv2d<float>*>(modules[i]);
  }
  if (!has_convolution) return nullptr;
  return std::make_shared<OnednnChain>(std::move(run), options.batch_norm_relu);
}

std::string OnednnChain::name() const {
  std::string joined;
  for (const Module<float>* layer : layers_)
    joined += (joined.empty() ? "" : " + ") + layer->name();
  return joined;
}

Shape OnednnChain::output_shape(const Shape& input_shape) const {
  Shape shape = input_shape;
  for (const Module<float>* layer : layers_) shape = layer->output_shape(shape);
  return shape;
}

std::size_t OnednnChain::forward_flops(const Shape& input_shape) const {
  std::size_t flops = 0;
  Shape shape = input_shape;
  for (const Module<float>* layer : layers_) {
    flops += layer->forward_flops(shape);
    shape = layer->output_shape(shape);
  }
  return flops;
}

onednn::Chain::Shape4 OnednnChain::shape4(const Shape& shape) {
  return {shape.at(0), shape.at(1), shape.at(2), shape.at(3)};
}

std::vector<onednn::LayerParameters> OnednnChain::parameters() {
  std::vector<onednn::LayerParameters> all;
  for (Module<float>* layer : with_parameters_) {
    onednn::LayerParameters p;
    if (auto* conv = dynamic_cast<Conv2d<float>*>(layer)) {
      p.weight = conv->weight().value.data();
      p.weight_grad = conv->weight().grad.data();
      if (conv->has_bias()) {
        p.bias = conv->bias().value.data();
        p.bias_grad = conv->bias().grad.data();
      }
    } else {
      auto& norm = dynamic_cast<BatchNorm<float>&>(*layer);
      if (norm.affine()) {
        p.weight = norm.weight().value.data();
        p.weight_grad = norm.weight().grad.data();
        p.bias = norm.bias().value.data();
        p.bias_grad = norm.bias().grad.data();
      }
      p.running_mean = norm.running_mean_data();
      p.running_var = norm.running_var_data();
      p.batch_statistics = norm.is_training();
    }
    all.push_back(p);
  }
  return all;
}

void OnednnChain::forward_impl(const Tensor<float>& input, Tensor<float>& output) {
  input_ = input;  // the base class checked the shapes, layer by layer (output_shape)
  // The step is not among its container's children (its layers are), so train()/eval() reach
  // the layers, not it: each batch norm's mode is its own (parameters() passes it on), and only
  // they have one that changes what the chain computes. What a training BatchNorm's own forward
  // refuses (one value per channel) is refused here too.
  Shape shape = shape_of(input_);
  for (Module<float>* layer : layers_) {
    if (const auto* norm = dynamic_cast<const BatchNorm<float>*>(layer))
      if (norm->is_training()) norm->check_training_input(shape);
    shape = layer->output_shape(shape);
  }
  chain_.forward(shape4(shape_of(input_)), input_.data(), output.data(), parameters());
}

void OnednnChain::backward_impl(const Tensor<float>& grad_output, Tensor<float>* grad_input) {
  chain_.backward(grad_output.data(), grad_input ? grad_input->data() : nullptr, parameters());
}

std::vector<std::string> OnednnChain::implementations(const Shape& input_shape) {
  output_shape(input_shape);  // a shape the layers reject is a ShapeError, not a oneDNN error
  return chain_.implementations(shape4(input_shape));
}

std::size_t OnednnChain::inner_reorders(const Shape& input_shape) {
  output_shape(input_shape);
  return chain_.inner_reorders(shape4(input_shape));
}

}  // namespace gradlab
