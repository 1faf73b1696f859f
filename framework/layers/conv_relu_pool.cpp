#include "framework/layers/conv_relu_pool.h"

#include <algorithm>

#include "framework/log.h"

namespace gradlab {

ConvReluPool::ConvReluPool(std::vector<Block> blocks) : blocks_(std::move(blocks)) {
  if (blocks_.empty()) throw std::invalid_argument("ConvReluPool: no blocks");
  for (const Block& block : blocks_)
    kernels_.push_back(std::make_unique<onednn::ConvReluPoolKernel>(block.conv.has_bias()));
  between_.resize(blocks_.size() - 1);
  grad_between_.resize(blocks_.size() - 1);
  linked_.assign(blocks_.size() - 1, false);
}

std::unique_ptr<ConvReluPool> ConvReluPool::match(const std::vector<Module<float>*>& modules,
                                                  std::size_t first) {
  std::vector<Block> blocks;
  for (std::size_t i = first; i + 2 < modules.size(); i += 3) {
    auto* conv = dynamic_cast<Conv2d<float>*>(modules[i]);
    auto* relu = dynamic_cast<ReLU<float>*>(modules[i + 1]);
    auto* pool = dynamic_cast<MaxPool2d<float>*>(modules[i + 2]);
    if (!conv || !relu || !pool) break;
    blocks.push_back({*conv, *relu, *pool});
  }
  if (blocks.empty()) return nullptr;
  return std::make_unique<ConvReluPool>(std::move(blocks));
}

std::string ConvReluPool::name() const {
  std::string name;
  for (const Block& block : blocks_)
    name += (name.empty() ? "" : " + ") + block.conv.name() + " + " + block.relu.name() + " + " +
            block.pool.name();
  return name;
}

Shape ConvReluPool::output_shape(const Shape& input_shape) const {
  Shape shape = input_shape;
  for (const Block& block : blocks_)
    shape = block.pool.output_shape(block.relu.output_shape(block.conv.output_shape(shape)));
  return shape;
}

std::size_t ConvReluPool::forward_flops(const Shape& input_shape) const {
  std::size_t flops = 0;
  Shape shape = input_shape;
  for (const Block& block : blocks_) {
    flops += block.conv.forward_flops(shape);
    shape = block.pool.output_shape(block.relu.output_shape(block.conv.output_shape(shape)));
  }
  return flops;
}

std::size_t ConvReluPool::linked_blocks() const {
  return static_cast<std::size_t>(std::count(linked_.begin(), linked_.end(), true));
}

std::vector<onednn::ConvReluPoolGeometry> ConvReluPool::geometries(const Shape& input_shape) const {
  std::vector<onednn::ConvReluPoolGeometry> result;
  Shape shape = input_shape;
  for (const Block& block : blocks_) {
    const reference::Conv2dGeometry conv = block.conv.geometry(shape);
    shape = block.pool.output_shape(block.relu.output_shape(block.conv.output_shape(shape)));
    result.push_back({conv, block.pool.kernel_size(), block.pool.stride(), shape[2], shape[3]});
  }
  return result;
}

void ConvReluPool::forward_impl(const Tensor<float>& input, Tensor<float>& output) {
  geometries_ = geometries(shape_of(input));
  const std::vector<onednn::ConvReluPoolGeometry>& g = geometries_;
  const std::size_t blocks = blocks_.size();
  fused_ = true;
  for (std::size_t k = 0; k < blocks && fused_; ++k) {
    const std::string why_not = kernels_[k]->why_unsupported(g[k]);
    if (why_not.empty()) continue;
    fused_ = false;
    const Block& block = blocks_[k];
    const reference::Conv2dGeometry& c = g[k].conv;
    notice_once(block.conv.name() + " + " + block.relu.name() + " + " + block.pool.name() +
                " on " + std::to_string(c.C_in) + "×" + std::to_string(c.H) + "×" +
                std::to_string(c.W) + " inputs: runs as separate layers, not fused, as " +
                why_not);
  }
  if (!fused_) {
    const Tensor<float>* x = &input;
    for (const Block& block : blocks_)
      x = &block.pool.forward(block.relu.forward(block.conv.forward(*x)));
    std::copy(x->data(), x->data() + x->size(), output.data());
    return;
  }
  input_ = input;
  for (std::size_t k = 0; k + 1 < blocks; ++k) {
    linked_[k] = kernels_[k]->link(g[k], *kernels_[k + 1], g[k + 1]);
    if (!linked_[k]) between_[k].resize({g[k].conv.N, g[k].conv.C_out, g[k].H_pool, g[k].W_pool});
  }
  for (std::size_t k = 0; k < blocks; ++k) {
    // Block k reads the step's input, or the previous block's N×C×H×W output unless linked
    // (null: the kernel reads the blocked memory), and writes likewise.
    const float* x = k == 0 ? input_.data() : linked_[k - 1] ? nullptr : between_[k - 1].data();
    float* y = k + 1 == blocks ? output.data() : linked_[k] ? nullptr : between_[k].data();
    Conv2d<float>& conv = blocks_[k].conv;
    kernels_[k]->forward(g[k], x, conv.weight().value.data(),
                         conv.has_bias() ? conv.bias().value.data() : nullptr, y);
  }
}

void ConvReluPool::backward_impl(const Tensor<float>& grad_output, Tensor<float>* grad_input) {
  if (!fused_) {
    const Tensor<float>* grad = &grad_output;
    for (std::size_t k = blocks_.size(); k-- > 0;) {
      const Block& block = blocks_[k];
      grad = &block.conv.backward(block.relu.backward(block.pool.backward(*grad)));
    }
    if (grad_input) std::copy(grad->data(), grad->data() + grad->size(), grad_input->data());
    return;
  }
  const std::vector<onednn::ConvReluPoolGeometry>& g = geometries_;  // the last forward's
  for (std::size_t k = blocks_.size(); k-- > 0;) {
    Conv2d<float>& conv = blocks_[k].conv;
    const float* x = k == 0 ? input_.data() : linked_[k - 1] ? nullptr : between_[k - 1].data();
    const float* dy = k + 1 == blocks_.size() ? grad_output.data()
                      : linked_[k]            ? nullptr
                                              : grad_between_[k].data();
    float* dx = nullptr;  // linked: the kernel writes it into block k−1's memory
    if (k == 0) {
      dx = grad_input ? grad_input->data() : nullptr;
    } else if (!linked_[k - 1]) {
      grad_between_[k - 1].resize(shape_of(between_[k - 1]));
      dx = grad_between_[k - 1].data();
    }
    kernels_[k]->backward(g[k], x, conv.weight().value.data(), dy, dx, conv.weight().grad.data(),
                          conv.has_bias() ? conv.bias().grad.data() : nullptr);
  }
}

std::vector<std::string> ConvReluPool::implementations(const Shape& input_shape) {
  std::vector<std::string> all;
  const std::vector<onednn::ConvReluPoolGeometry> g = geometries(input_shape);
  for (std::size_t k = 0; k < blocks_.size(); ++k)
    for (const std::string& name : kernels_[k]->implementations(g[k])) all.push_back(name);
  return all;
}

}  // namespace gradlab
