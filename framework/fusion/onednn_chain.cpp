#include "framework/fusion/onednn_chain.h"

#include <stdexcept>

#include "framework/kernels/onednn/chain/max_pool.h"
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

OnednnChain::OnednnChain(std::vector<Module<float>*> layers)
    : layers_(std::move(layers)), kernel_layers_(describe(layers_)), chain_(kernel_layers_) {
  for (Module<float>* layer : layers_)
    if (auto* conv = dynamic_cast<Conv2d<float>*>(layer)) convolutions_.push_back(conv);
  if (convolutions_.empty()) throw std::invalid_argument("OnednnChain: no Conv2d in " + name());
}

bool OnednnChain::chainable(const Module<float>& module) {
  if (const auto* pool = dynamic_cast<const MaxPool2d<float>*>(&module))
    return onednn::MaxPoolOp::supports(pool->kernel_size());
  return dynamic_cast<const Conv2d<float>*>(&module) || dynamic_cast<const ReLU<float>*>(&module);
}

std::shared_ptr<OnednnChain> OnednnChain::match(const std::vector<Module<float>*>& modules,
                                                std::size_t first) {
  std::vector<Module<float>*> run;
  bool has_convolution = false;
  for (std::size_t i = first; i < modules.size() && chainable(*modules[i]); ++i) {
    run.push_back(modules[i]);
    has_convolution = has_convolution || dynamic_cast<Conv2d<float>*>(modules[i]);
  }
  if (!has_convolution) return nullptr;
  return std::make_shared<OnednnChain>(std::move(run));
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

std::vector<onednn::ConvolutionParameters> OnednnChain::parameters() {
  std::vector<onednn::ConvolutionParameters> all;
  for (Conv2d<float>* conv : convolutions_) {
    const bool bias = conv->has_bias();
    all.push_back({conv->weight().value.data(), bias ? conv->bias().value.data() : nullptr,
                   conv->weight().grad.data(), bias ? conv->bias().grad.data() : nullptr});
  }
  return all;
}

void OnednnChain::forward_impl(const Tensor<float>& input, Tensor<float>& output) {
  input_ = input;  // the base class checked the shapes, layer by layer (output_shape)
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
