// Sequential: a chain of modules, y = f_L(… f_2(f_1(x))), a Container (framework/container.h).
//   forward:   runs each module on the previous one's output
//   backward:  runs each module's backward in reverse order (the chain rule)
// Parameters are named by position: "0.weight", "2.bias", as in PyTorch.
//
// What runs is the backend's plan of steps (framework/fusion/plan.h), each a module or one fused
// module standing for a run of them. The modules, their parameters and their names are the same
// either way.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "framework/container.h"
#include "framework/fusion/plan.h"

namespace gradlab {

template <class T>
class Sequential : public Container<T> {
 public:
  using value_type = T;
  Sequential() = default;

  // Appends a module and returns it, typed, so the caller can keep a reference.
  template <class M, class... Args>
  M& emplace(Args&&... args) {
    auto module = std::make_unique<M>(std::forward<Args>(args)...);
    M& ref = *module;
    add(std::move(module));
    return ref;
  }
  void add(std::unique_ptr<Module<T>> module);

  std::size_t size() const { return this->child_count(); }
  // The steps forward runs, in order (see above); valid until the model next changes.
  std::size_t step_count() const { return steps_.size(); }
  Module<T>& step(std::size_t index) { return *steps_.at(index).module; }
  Module<T>& operator[](std::size_t index) { return this->child(index); }
  const Module<T>& operator[](std::size_t index) const { return this->child(index); }

  std::string name() const override { return "Sequential"; }
  OpSpec<T> describe() override {
    OpSpec<T> op{"sequential"};
    op.wiring = Wiring::chain;
    for (std::size_t i = 0; i < size(); ++i) {
      op.children.push_back(&this->child(i));
      op.child_names.push_back(this->child_name(i));
    }
    return op;
  }
  // Also the check that a model's shapes chain: the error names the first layer that rejects them.
  Shape output_shape(const Shape& input_shape) const override;

  const Tensor<T>& forward(const Tensor<T>& input) override;
  const Tensor<T>& backward(const Tensor<T>& grad_output) override;

  std::size_t forward_flops(const Shape& input_shape) const override;
  std::size_t smallest_training_batch(const Shape& input_shape) const override;
  // Caffe's propagate_down, carried through the chain: without the model's input gradient, the
  // modules up to the first one with parameters skip theirs too (an MLP's Flatten and first
  // Linear: dX = dY Wᵀ for 784 inputs is a third of that layer's backward), and backward stops
  // there.
  void set_needs_input_grad(bool needed) override;

 protected:
  // A module was added or the backend changed: input-gradient flags and steps anew.
  void children_changed() override;

 private:
  void update_input_grad_flags();
  // Rebuilds steps_ from the modules, fusing where the backend allows.
  void plan_steps();

  std::vector<Step<T>> steps_;
};

}  // namespace gradlab
