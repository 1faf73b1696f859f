// Concat: branches run on the same input, their outputs joined along the channels (dimension 1),
// as torch.cat(dim=1) after parallel branches in Inception or DenseNet blocks.
//   X: N × C × …,  branch k: N × C_k × …  (every dimension but 1 equal),  Y: N × (Σ C_k) × …
//   forward:   Y[:, offset_k : offset_k + C_k] = f_k(X)
//   backward:  dX = Σ_k ∂f_k/∂X · dY[:, offset_k : offset_k + C_k]   (X fans out: gradients add)
// Parameters are named "0.0.weight" (branch 0, its layer 0) under the block's own prefix.
#pragma once

#include <memory>
#include <vector>

#include "framework/sequential.h"

namespace gradlab {

template <class T>
class Concat : public Container<T> {
 public:
  explicit Concat(std::vector<std::unique_ptr<Sequential<T>>> branches);

  std::string name() const override;
  OpSpec<T> describe() override {
    OpSpec<T> op{"concat"};
    op.wiring = Wiring::fan_out;
    op.children.assign(branches_.begin(), branches_.end());
    for (std::size_t b = 0; b < branches_.size(); ++b) op.child_names.push_back(std::to_string(b));
    return op;
  }
  Shape output_shape(const Shape& input_shape) const override;
  std::size_t forward_flops(const Shape& input_shape) const override;

  const Tensor<T>& forward(const Tensor<T>& input) override;
  const Tensor<T>& backward(const Tensor<T>& grad_output) override;
  void set_needs_input_grad(bool needed) override;

  std::size_t branch_count() const { return branches_.size(); }
  Sequential<T>& branch(std::size_t index) { return *branches_.at(index); }

 private:
  std::vector<Sequential<T>*> branches_;
  std::vector<Shape> branch_shapes_;  // of the last forward
  Tensor<T> output_, grad_input_, grad_slice_;
  bool has_forward_ = false;
};

}  // namespace gradlab
