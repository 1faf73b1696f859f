#include "framework/fusion/onednn_chain.h"

#include <optional>
#include <stdexcept>

#include "framework/kernels/onednn/chain/max_pool.h"

namespace gradlab {

namespace {

using ChainKind = onednn::Chain::Layer::Kind;

// What the chain kernel runs for a layer, from its description, if it runs its kind.
std::optional<onednn::Chain::Layer> chain_layer(Module<float>& module) {
  return onednn::Chain::layer_for(module.describe(), module.name());
}

std::vector<onednn::Chain::Layer> chain_layers(const std::vector<Module<float>*>& layers) {
  std::vector<onednn::Chain::Layer> described;
  for (Module<float>* layer : layers) {
    const std::optional<onednn::Chain::Layer> chained = chain_layer(*layer);
    if (!chained)
      throw std::invalid_argument("OnednnChain: " + layer->name() + " cannot run in a chain");
    described.push_back(*chained);
  }
  return described;
}

// The oneDNN backend's fuser (fusion/plan.h): the longest chainable run holding a Conv2d.
const FuserRegistration onednn_fuser(Backend::onednn,
                                     [](const std::vector<Module<float>*>& modules,
                                        std::size_t first,
                                        const FusionOptions& options) -> FusedRun {
                                       std::shared_ptr<OnednnChain> chain =
                                           OnednnChain::match(modules, first, options);
                                       if (!chain) return {};
                                       const std::size_t count = chain->module_count();
                                       return {std::move(chain), count};
                                     });

bool is_convolution(Module<float>& module) {
  const std::optional<onednn::Chain::Layer> chained = chain_layer(module);
  return chained && chained->kind == ChainKind::convolution;
}

}  // namespace

OnednnChain::OnednnChain(std::vector<Module<float>*> layers, bool fuse_batch_norm_relu)
    : layers_(std::move(layers)),
      kernel_layers_(chain_layers(layers_)),
      chain_(kernel_layers_, fuse_batch_norm_relu) {
  bool has_convolution = false;
  for (std::size_t k = 0; k < layers_.size(); ++k) {
    const ChainKind kind = kernel_layers_[k].kind;
    has_convolution = has_convolution || kind == ChainKind::convolution;
    if (kind == ChainKind::convolution || kind == ChainKind::batch_norm)
      with_parameters_.push_back({layers_[k], layers_[k]->describe()});
  }
  if (!has_convolution) throw std::invalid_argument("OnednnChain: no Conv2d in " + name());
}

bool OnednnChain::chainable(Module<float>& module, const FusionOptions& options) {
  const std::optional<onednn::Chain::Layer> layer = chain_layer(module);
  if (!layer) return false;
  if (layer->kind == ChainKind::max_pool) return onednn::MaxPoolOp::supports(layer->kernel_size);
  if (layer->kind == ChainKind::batch_norm) return options.batch_norm;
  return true;
}

std::shared_ptr<OnednnChain> OnednnChain::match(const std::vector<Module<float>*>& modules,
                                                std::size_t first, const FusionOptions& options) {
  std::vector<Module<float>*> run;
  bool has_convolution = false;
  for (std::size_t i = first; i < modules.size() && chainable(*modules[i], options); ++i) {
    run.push_back(modules[i]);
    has_convolution = has_convolution || is_convolution(*modules[i]);
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
  for (const auto& [layer, op] : with_parameters_) {
    onednn::LayerParameters p;
    if (op.weight) {  // a convolution's W, an affine batch norm's γ
      p.weight = op.weight->value.data();
      p.weight_grad = op.weight->grad.data();
    }
    if (op.bias) {
      p.bias = op.bias->value.data();
      p.bias_grad = op.bias->grad.data();
    }
    if (op.running_mean) {  // a batch norm, in its own mode
      p.running_mean = op.running_mean->data();
      p.running_var = op.running_var->data();
      p.batch_statistics = layer->is_training();
    }
    all.push_back(p);
  }
  return all;
}

void OnednnChain::forward_impl(const Tensor<float>& input, Tensor<float>& output) {
  input_ = input;  // the base class checked the shapes, layer by layer (output_shape)
  // The step is not among its container's children (its layers are), so train()/eval() reach
  // the layers, not it: each batch norm's mode is its own (parameters() passes it on), and only
  // they have one that changes what the chain computes. What a training layer's own forward
  // refuses (a BatchNorm's one value per channel) is refused here too.
  Shape shape = shape_of(input_);
  for (const Module<float>* layer : layers_) {
    if (layer->is_training()) layer->check_training_input(shape);
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
