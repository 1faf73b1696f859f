// Residual: y = f(x) + g(x), a body f and a shortcut g (identity when absent), as in ResNet
// (He et al. 2016). Both are Sequential chains; g is typically empty or a strided 1×1 Conv2d
// (with BatchNorm) that matches f's output shape.
//   forward:   y = f(x) + g(x)
//   backward:  dx = ∂f/∂x · dy + ∂g/∂x · dy      (x fans out to both, so their gradients add;
//                                                  identity: dx = f's input gradient + dy)
// Parameters are named "body.0.weight", "shortcut.0.weight" under the block's own prefix.
#pragma once

#include <memory>

#include "framework/sequential.h"

namespace gradlab {

template <class T>
class Residual : public Container<T> {
 public:
  // shortcut: null for the identity.
  Residual(std::unique_ptr<Sequential<T>> body, std::unique_ptr<Sequential<T>> shortcut = nullptr);

  std::string name() const override;
  // Children: the body, then the shortcut (null: the identity), each given the block's input.
  OpSpec<T> describe() override {
    OpSpec<T> op{"residual"};
    op.wiring = Wiring::fan_out;
    op.children = {body_, shortcut_};
    op.child_names = {"body", "shortcut"};
    return op;
  }
  Shape output_shape(const Shape& input_shape) const override;
  std::size_t forward_flops(const Shape& input_shape) const override;

  const Tensor<T>& forward(const Tensor<T>& input) override;
  const Tensor<T>& backward(const Tensor<T>& grad_output) override;
  void set_needs_input_grad(bool needed) override;

  Sequential<T>& body() { return *body_; }
  Sequential<T>* shortcut() { return shortcut_; }  // null: identity

 private:
  Sequential<T>* body_;
  Sequential<T>* shortcut_ = nullptr;
  Tensor<T> output_, grad_input_;
  bool has_forward_ = false;
};

}  // namespace gradlab
