// Module: anything with a forward pass, an explicit backward pass, and parameters.
// Layer:  a Module that owns its output and input-gradient buffers, so a concrete layer only
//         writes the math (forward_impl / backward_impl) and the base checks shapes.
//
// Contract (as in Caffe and llm.c, there is no tape):
//   forward(X)  computes Y and keeps what backward needs;
//   backward(dY) accumulates ∂L/∂θ into each parameter's grad (+=) and returns ∂L/∂X.
// Returned tensors are owned by the module and stay valid until its next forward / backward,
// so buffers are reused from step to step instead of reallocated.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "framework/kernels/backend.h"
#include "framework/op_spec.h"
#include "framework/parameter.h"
#include "framework/precision.h"
#include "framework/random.h"
#include "framework/tensor.h"

namespace gradlab {

template <class T>
class Module;

// What watches modules' outputs, as PyTorch's forward hooks do (layer health: train/layer_stats.h;
// tests): told each forward's output while it is set on the module (Module::set_output_observer).
template <class T>
class OutputObserver {
 public:
  virtual ~OutputObserver() = default;
  // values: the output, N×C×H×W (or N×features) in row-major order, valid only during the call.
  virtual void output(Module<T>& module, const T* values, const Shape& shape) = 0;
};

template <class T>
class Module {
 public:
  Module() = default;
  // Parameters are registered by address, so a module never moves.
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  virtual ~Module() = default;

  // What this module is, for error messages and summaries: "Linear(784 -> 256)".
  virtual std::string name() const = 0;

  // The output shape for an input shape; throws ShapeError naming this module if the input
  // shape is not one it accepts. Lets a model be checked before any data flows.
  virtual Shape output_shape(const Shape& input_shape) const = 0;

  virtual const Tensor<T>& forward(const Tensor<T>& input) = 0;
  virtual const Tensor<T>& backward(const Tensor<T>& grad_output) = 0;

  // What this module computes, in one value (framework/op_spec.h): its kind, sizes, tensors and,
  // for containers, children. An empty kind: a module that does not describe itself (a fused
  // step, a test's own module), which exporters refuse by name.
  virtual OpSpec<T> describe() { return {}; }

  // Parameters with hierarchical names ("0.weight"); containers prefix their children's names.
  virtual std::vector<NamedParameter<T>> named_parameters() {
    std::vector<NamedParameter<T>> named;
    for (Parameter<T>* parameter : parameters_) named.push_back({parameter->name, parameter});
    return named;
  }

  // Buffers: state a module keeps and checkpoints save that is not trained (BatchNorm's
  // running statistics), as PyTorch's register_buffer; named like parameters ("3.running_mean"),
  // with no gradient.
  virtual std::vector<NamedBuffer<T>> named_buffers() { return buffers_; }

  std::vector<Parameter<T>*> parameters() {
    std::vector<Parameter<T>*> flat;
    for (const NamedParameter<T>& named : named_parameters()) flat.push_back(named.parameter);
    return flat;
  }

  void zero_grad() {
    for (Parameter<T>* parameter : parameters()) parameter->grad.fill(T(0));
  }

  std::size_t parameter_count() {
    std::size_t count = 0;
    for (Parameter<T>* parameter : parameters()) count += parameter->value.size();
    return count;
  }

  // Training mode changes what Dropout does; containers pass it to their children.
  virtual void train(bool training = true) { training_ = training; }
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Floating-point operations of one forward pass for one sample (2 per multiply-add), given the
  // input shape with batch 1; element-wise work counts as 0. For summaries.
  virtual std::size_t forward_flops(const Shape& /*input_shape*/) const { return 0; }

  // The fewest samples a training batch (per process) must hold for an input of this shape (batch
  // dimension ignored): 1 unless a layer needs more, as BatchNorm does where a sample holds one
  // value per channel. Lets a trainer refuse a config whose last batch would fail mid-epoch.
  virtual std::size_t smallest_training_batch(const Shape& /*input_shape*/) const { return 1; }
  // Throws ShapeError naming the module if it cannot train on this batch (BatchNorm with one
  // value per channel); nothing for most modules. A fused step asks each of its layers.
  virtual void check_training_input(const Shape& /*input_shape*/) const {}

  // Random number generators the module owns (Dropout's), by name, so a checkpoint can save
  // and restore them and a resumed run draws the same masks.
  virtual std::vector<std::pair<std::string, Rng*>> named_rngs() { return {}; }

  // Which kernels run (framework/kernels/backend.h; float64 always runs the reference loops).
  // oneDNN unless set; containers pass it to their children.
  virtual void set_backend(Backend backend) { backend_ = backend; }
  Backend backend() const { return backend_; }
  // What the oneDNN backend's convolutions compute in (framework/precision.h): float32 unless
  // set; containers pass it to their children.
  virtual void set_precision(Precision precision) { precision_ = precision; }
  Precision precision() const { return precision_; }

  // Caffe's propagate_down: when false, backward skips ∂L/∂X and returns an empty tensor.
  // Set it on a model's first layer: nobody needs the gradient of the input images.
  virtual void set_needs_input_grad(bool needed) { needs_input_grad_ = needed; }
  bool needs_input_grad() const { return needs_input_grad_; }

  // Tells `observer` each forward's output from now on (null: nobody). Where a fused step runs
  // the module (fusion/plan.h), the step tells it, except where its kernels never write the
  // module's output: a layer whose following ReLU runs inside it (a convolution's post-op, inside
  // a batch norm, in a residual block's sum) reports nothing, and that ReLU reports the result;
  // a residual block's branch reports nothing either (its last layer reports the same values).
  void set_output_observer(OutputObserver<T>* observer) { output_observer_ = observer; }
  OutputObserver<T>* output_observer() const { return output_observer_; }

 protected:
  void register_parameter(Parameter<T>& parameter) { parameters_.push_back(&parameter); }
  // A buffer that lives as long as the module (registered by address, like parameters).
  void register_buffer(std::string name, Tensor<T>& buffer) {
    buffers_.push_back({std::move(name), &buffer});
  }

 private:
  std::vector<Parameter<T>*> parameters_;
  std::vector<NamedBuffer<T>> buffers_;
  bool training_ = true;
  bool needs_input_grad_ = true;
  Backend backend_ = Backend::onednn;
  Precision precision_ = Precision::f32;
  OutputObserver<T>* output_observer_ = nullptr;
};

// What a forward tells the module's observer, if it has one (Module::set_output_observer).
template <class T>
void report_output(Module<T>& module, const Tensor<T>& output) {
  if (OutputObserver<T>* observer = module.output_observer())
    observer->output(module, output.data(), shape_of(output));
}

// What every module checks before a backward pass: that a forward ran, and that grad_output has
// the shape of the output it is the gradient of. Throws std::logic_error / ShapeError naming it.
inline void check_backward_call(const std::string& module, bool has_forward, const Shape& output,
                                const Shape& grad_output) {
  if (!has_forward) throw std::logic_error(module + ": backward called before forward");
  if (grad_output != output) {
    throw ShapeError(module + ": expected grad_output of shape " + to_string(output) +
                     " (the output's), got " + to_string(grad_output));
  }
}

template <class T>
class Layer : public Module<T> {
 public:
  const Tensor<T>& forward(const Tensor<T>& input) final {
    input_shape_ = shape_of(input);
    output_.resize(this->output_shape(input_shape_));
    forward_impl(input, output_);
    has_forward_ = true;
    report_output(*this, output_);
    return output_;
  }

  const Tensor<T>& backward(const Tensor<T>& grad_output) final {
    check_backward_call(this->name(), has_forward_, shape_of(output_), shape_of(grad_output));
    if (this->needs_input_grad()) {
      grad_input_.resize(input_shape_);
      backward_impl(grad_output, &grad_input_);
    } else {
      grad_input_.resize(Shape{0});
      backward_impl(grad_output, nullptr);
    }
    return grad_input_;
  }

  // The result of the last forward.
  const Tensor<T>& output() const { return output_; }

 protected:
  // output is already sized to output_shape(input's shape).
  virtual void forward_impl(const Tensor<T>& input, Tensor<T>& output) = 0;
  // grad_output has the output's shape; grad_input (sized like the input) is null when the input
  // gradient is not needed. Parameter gradients accumulate (+=).
  virtual void backward_impl(const Tensor<T>& grad_output, Tensor<T>* grad_input) = 0;

  const Shape& input_shape() const { return input_shape_; }

 private:
  Tensor<T> output_;
  Tensor<T> grad_input_;
  Shape input_shape_;
  bool has_forward_ = false;
};

}  // namespace gradlab
