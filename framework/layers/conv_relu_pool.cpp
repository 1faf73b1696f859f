#include "framework/layers/conv_relu_pool.h"

#include <algorithm>

namespace gradlab {

ConvReluPool::ConvReluPool(Conv2d<float>& conv, ReLU<float>& relu, MaxPool2d<float>& pool)
    : conv_(conv), relu_(relu), pool_(pool), kernel_(conv.has_bias()) {}

std::unique_ptr<ConvReluPool> ConvReluPool::match(Module<float>& first, Module<float>& second,
                                                  Module<float>& third) {
  auto* conv = dynamic_cast<Conv2d<float>*>(&first);
  auto* relu = dynamic_cast<ReLU<float>*>(&second);
  auto* pool = dynamic_cast<MaxPool2d<float>*>(&third);
  if (!conv || !relu || !pool) return nullptr;
  return std::make_unique<ConvReluPool>(*conv, *relu, *pool);
}

std::string ConvReluPool::name() const {
  return conv_.name() + " + " + relu_.name() + " + " + pool_.name();
}

Shape ConvReluPool::output_shape(const Shape& input_shape) const {
  return pool_.output_shape(relu_.output_shape(conv_.output_shape(input_shape)));
}

onednn::ConvReluPoolGeometry ConvReluPool::geometry(const Shape& input_shape) const {
  const reference::Conv2dGeometry conv = conv_.geometry(input_shape);
  const Shape pooled = output_shape(input_shape);
  return {conv, pool_.kernel_size(), pool_.stride(), pooled[2], pooled[3]};
}

void ConvReluPool::forward_impl(const Tensor<float>& input, Tensor<float>& output) {
  const onednn::ConvReluPoolGeometry g = geometry(shape_of(input));
  fused_ = kernel_.supports(g);
  if (!fused_) {
    const Tensor<float>& y = pool_.forward(relu_.forward(conv_.forward(input)));
    std::copy(y.data(), y.data() + y.size(), output.data());
    return;
  }
  input_ = input;
  kernel_.forward(g, input_.data(), conv_.weight().value.data(),
                  conv_.has_bias() ? conv_.bias().value.data() : nullptr, output.data());
}

void ConvReluPool::backward_impl(const Tensor<float>& grad_output, Tensor<float>* grad_input) {
  if (!fused_) {
    const Tensor<float>& dx = conv_.backward(relu_.backward(pool_.backward(grad_output)));
    if (grad_input) std::copy(dx.data(), dx.data() + dx.size(), grad_input->data());
    return;
  }
  kernel_.backward(geometry(shape_of(input_)), input_.data(), conv_.weight().value.data(),
                   grad_output.data(), grad_input ? grad_input->data() : nullptr,
                   conv_.weight().grad.data(),
                   conv_.has_bias() ? conv_.bias().grad.data() : nullptr);
}

std::vector<std::string> ConvReluPool::implementations(const Shape& input_shape) {
  return kernel_.implementations(geometry(input_shape));
}

}  // namespace gradlab
