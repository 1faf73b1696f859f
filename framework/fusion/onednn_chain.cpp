#include "framework/fusion/onednn_chain.h"

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "framework/kernels/onednn/chain/max_pool.h"

namespace gradlab {

namespace {

using ChainKind = onednn::Chain::Layer::Kind;

// The modules a residual block's branch runs, in order: a Sequential's children, the branch
// itself if it is one module, none for the identity (null).
std::vector<Module<float>*> branch_modules(Module<float>* branch) {
  if (!branch) return {};
  const OpSpec<float> op = branch->describe();
  if (op.wiring != Wiring::chain) return {branch};
  return op.children;
}

bool is_residual(const OpSpec<float>& op) {
  return op.kind == "residual" && op.wiring == Wiring::fan_out && op.children.size() == 2;
}

// What the chain kernel runs for a module, from its description, if it can run it under these
// options: a layer of a kind a chain op registered, or a residual block whose branches hold
// nothing else. tagged, unless null: each layer's module is appended, its index the layer's tag.
std::optional<onednn::Chain::Layer> chain_layer(Module<float>& module, const FusionOptions& options,
                                                std::vector<Module<float>*>* tagged = nullptr) {
  const std::size_t tag = tagged ? tagged->size() : 0;
  if (tagged) tagged->push_back(&module);
  const OpSpec<float> op = module.describe();
  if (is_residual(op)) {
    if (!options.residual) return std::nullopt;
    onednn::Chain::Layer block{};
    block.kind = ChainKind::residual;
    block.name = module.name();
    block.tag = tag;
    for (auto [branch, layers] :
         {std::pair{op.children[0], &block.body}, std::pair{op.children[1], &block.shortcut}})
      for (Module<float>* inner : branch_modules(branch)) {
        std::optional<onednn::Chain::Layer> layer = chain_layer(*inner, options, tagged);
        if (!layer) return std::nullopt;
        layers->push_back(std::move(*layer));
      }
    if (block.body.empty()) return std::nullopt;
    return block;
  }
  std::optional<onednn::Chain::Layer> layer = onednn::Chain::layer_for(op, module.name());
  if (!layer) return std::nullopt;
  if (layer->kind == ChainKind::max_pool && !onednn::MaxPoolOp::supports(layer->kernel_size))
    return std::nullopt;
  if (layer->kind == ChainKind::batch_norm && !options.batch_norm) return std::nullopt;
  layer->tag = tag;
  return layer;
}

bool has_convolution(const onednn::Chain::Layer& layer) {
  if (layer.kind == ChainKind::convolution) return true;
  for (const auto* branch : {&layer.body, &layer.shortcut})
    for (const onednn::Chain::Layer& inner : *branch)
      if (has_convolution(inner)) return true;
  return false;
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

// A layer as forward checks it (OnednnChain::Checked), walking into residual blocks' branches,
// and the modules with parameters the chain takes them from, appended in the chain's order (a
// block's body, then its shortcut), each with its description: convolutions and batch norms.
OnednnChain::Checked walk(Module<float>& module,
                          std::vector<std::pair<Module<float>*, OpSpec<float>>>& with_parameters) {
  OnednnChain::Checked checked{&module, {}};
  OpSpec<float> op = module.describe();
  if (is_residual(op)) {
    for (Module<float>* branch : op.children) {
      checked.branches.emplace_back();
      for (Module<float>* inner : branch_modules(branch))
        checked.branches.back().push_back(walk(*inner, with_parameters));
    }
    return checked;
  }
  const std::optional<onednn::Chain::Layer> layer = onednn::Chain::layer_for(op, module.name());
  if (layer && (layer->kind == ChainKind::convolution || layer->kind == ChainKind::batch_norm))
    with_parameters.push_back({&module, std::move(op)});
  return checked;
}

// What a training forward of each layer refuses (a BatchNorm's one value per channel), refused
// for the layers inside residual blocks too; returns the output shape.
Shape check_training_inputs(const OnednnChain::Checked& checked, const Shape& input_shape) {
  for (const auto& branch : checked.branches) {
    Shape shape = input_shape;
    for (const OnednnChain::Checked& inner : branch) shape = check_training_inputs(inner, shape);
  }
  if (checked.branches.empty() && checked.module->is_training())
    checked.module->check_training_input(input_shape);
  return checked.module->output_shape(input_shape);
}

}  // namespace

OnednnChain::OnednnChain(std::vector<Module<float>*> layers, const FusionOptions& options)
    : layers_(std::move(layers)) {
  for (Module<float>* layer : layers_) {
    std::optional<onednn::Chain::Layer> chained = chain_layer(*layer, options, &tagged_);
    if (!chained)
      throw std::invalid_argument("OnednnChain: " + layer->name() + " cannot run in a chain");
    kernel_layers_.push_back(std::move(*chained));
    checked_.push_back(walk(*layer, with_parameters_));
  }
  if (std::none_of(kernel_layers_.begin(), kernel_layers_.end(), has_convolution))
    throw std::invalid_argument("OnednnChain: no Conv2d in " + name());
  // A model's modules share one precision (Module::set_precision passes it down).
  chain_ = std::make_unique<onednn::Chain>(kernel_layers_, options.batch_norm_relu,
                                           layers_.front()->precision());
}

bool OnednnChain::chainable(Module<float>& module, const FusionOptions& options) {
  return chain_layer(module, options).has_value();
}

std::shared_ptr<OnednnChain> OnednnChain::match(const std::vector<Module<float>*>& modules,
                                                std::size_t first, const FusionOptions& options) {
  std::vector<Module<float>*> run;
  bool convolution = false;
  for (std::size_t i = first; i < modules.size(); ++i) {
    const std::optional<onednn::Chain::Layer> layer = chain_layer(*modules[i], options);
    if (!layer) break;
    run.push_back(modules[i]);
    convolution = convolution || has_convolution(*layer);
  }
  if (!convolution) return nullptr;
  return std::make_shared<OnednnChain>(std::move(run), options);
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
  for (const Checked& layer : checked_) shape = check_training_inputs(layer, shape);
  chain_->forward(shape4(shape_of(input_)), input_.data(), output.data(), parameters());
  if (std::any_of(tagged_.begin(), tagged_.end(),
                  [](const Module<float>* layer) { return layer->output_observer(); }))
    chain_->visit_outputs(
        [&](std::size_t tag, const float* values, const onednn::Chain::Shape4& shape) {
          Module<float>& layer = *tagged_.at(tag);
          if (OutputObserver<float>* observer = layer.output_observer())
            observer->output(layer, values, {shape[0], shape[1], shape[2], shape[3]});
        });
}

void OnednnChain::backward_impl(const Tensor<float>& grad_output, Tensor<float>* grad_input) {
  chain_->backward(grad_output.data(), grad_input ? grad_input->data() : nullptr, parameters());
}

std::vector<std::string> OnednnChain::implementations(const Shape& input_shape) {
  output_shape(input_shape);  // a shape the layers reject is a ShapeError, not a oneDNN error
  return chain_->implementations(shape4(input_shape));
}

std::size_t OnednnChain::inner_reorders(const Shape& input_shape) {
  output_shape(input_shape);
  return chain_->inner_reorders(shape4(input_shape));
}

}  // namespace gradlab
