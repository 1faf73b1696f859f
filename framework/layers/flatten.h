// Flatten: N × d1 × d2 × … → N × (d1·d2·…), row-major, so no element moves.
//   forward:   y = reshape(x)
//   backward:  dx = reshape(dy) back to x's shape
#pragma once

#include <algorithm>

#include "framework/module.h"

namespace gradlab {

template <class T>
class Flatten : public Layer<T> {
 public:
  std::string name() const override { return "Flatten"; }
  OpSpec<T> describe() override { return {"flatten"}; }

  Shape output_shape(const Shape& input_shape) const override {
    if (input_shape.size() < 2)
      throw ShapeError(name() + ": expected input of rank >= 2 [N, ...], got " +
                       to_string(input_shape));
    std::size_t features = 1;
    for (std::size_t d = 1; d < input_shape.size(); ++d) features *= input_shape[d];
    return {input_shape[0], features};
  }

 protected:
  void forward_impl(const Tensor<T>& input, Tensor<T>& output) override {
    std::copy(input.data(), input.data() + input.size(), output.data());
  }

  void backward_impl(const Tensor<T>& grad_output, Tensor<T>* grad_input) override {
    if (grad_input)
      std::copy(grad_output.data(), grad_output.data() + grad_output.size(), grad_input->data());
  }
};

}  // namespace gradlab
