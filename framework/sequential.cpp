#include "framework/sequential.h"

#include <algorithm>

#include "framework/fusion/plan.h"

namespace gradlab {

namespace {
// Prefixes an error from module `index` with its position, so a user can find it in the model.
template <class Error>
[[noreturn]] void rethrow_at(std::size_t first, std::size_t last, const Error& error) {
  const std::string where = first == last
                                ? "layer " + std::to_string(first)
                                : "layers " + std::to_string(first) + "-" + std::to_string(last);
  throw Error(where + ": " + error.what());
}
}  // namespace

template <class T>
void Sequential<T>::add(std::unique_ptr<Module<T>> module) {
  // Children are named by position, as in PyTorch: "0.weight", "2.bias".
  this->add_child(std::to_string(size()), std::move(module));
}

template <class T>
void Sequential<T>::children_changed() {
  update_input_grad_flags();  // plans the steps too
}

template <class T>
void Sequential<T>::plan_steps() {
  std::vector<Module<T>*> modules;
  for (std::size_t i = 0; i < size(); ++i) modules.push_back(&this->child(i));
  steps_ = gradlab::plan_steps(this->backend(), modules);
}

template <class T>
Shape Sequential<T>::output_shape(const Shape& input_shape) const {
  Shape shape = input_shape;
  for (std::size_t i = 0; i < size(); ++i) {
    try {
      shape = this->child(i).output_shape(shape);
    } catch (const ShapeError& error) {
      rethrow_at(i, i, error);
    }
  }
  return shape;
}

template <class T>
const Tensor<T>& Sequential<T>::forward(const Tensor<T>& input) {
  if (size() == 0) throw std::logic_error("Sequential::forward: the model has no layers");
  const Tensor<T>* x = &input;
  for (const Step<T>& step : steps_) {
    try {
      x = &step.module->forward(*x);
    } catch (const ShapeError& error) {
      // A fused step's error names the module in it that rejects the shape, as unfused.
      Shape shape = shape_of(*x);
      for (std::size_t i = step.first; i < step.last; ++i) {
        try {
          shape = this->child(i).output_shape(shape);
        } catch (const ShapeError& inner) {
          rethrow_at(i, i, inner);
        }
      }
      rethrow_at(step.last, step.last, error);
    }
  }
  report_output(*this, *x);  // its last module's output, told again for whoever watches the whole
  return *x;
}

template <class T>
const Tensor<T>& Sequential<T>::backward(const Tensor<T>& grad_output) {
  if (size() == 0) throw std::logic_error("Sequential::backward: the model has no layers");
  const Tensor<T>* grad = &grad_output;
  for (std::size_t i = steps_.size(); i-- > 0;) {
    const Step<T>& step = steps_[i];
    try {
      grad = &step.module->backward(*grad);
    } catch (const ShapeError& error) {
      rethrow_at(step.first, step.last, error);
    } catch (const std::logic_error& error) {
      rethrow_at(step.first, step.last, error);
    }
    // It returned no input gradient: the modules before it have no parameters and need none.
    if (!step.module->needs_input_grad()) break;
  }
  return *grad;
}

template <class T>
std::size_t Sequential<T>::forward_flops(const Shape& input_shape) const {
  std::size_t flops = 0;
  Shape shape = input_shape;
  for (std::size_t i = 0; i < size(); ++i) {
    flops += this->child(i).forward_flops(shape);
    shape = this->child(i).output_shape(shape);
  }
  return flops;
}

template <class T>
std::size_t Sequential<T>::smallest_training_batch(const Shape& input_shape) const {
  std::size_t smallest = 1;
  Shape shape = input_shape;
  for (std::size_t i = 0; i < size(); ++i) {
    smallest = std::max(smallest, this->child(i).smallest_training_batch(shape));
    shape = this->child(i).output_shape(shape);
  }
  return smallest;
}

template <class T>
void Sequential<T>::set_needs_input_grad(bool needed) {
  Module<T>::set_needs_input_grad(needed);
  update_input_grad_flags();
}

template <class T>
void Sequential<T>::update_input_grad_flags() {
  // Up to and including the first module with parameters, a module's input is the model's input
  // transformed without parameters (Flatten, say), so its gradient is needed only if the
  // model's is; after it, always (it carries the gradient down to those parameters).
  bool needed = this->needs_input_grad();
  for (std::size_t i = 0; i < size(); ++i) {
    this->child(i).set_needs_input_grad(needed);
    if (!this->child(i).parameters().empty()) needed = true;
  }
  plan_steps();
}

template class Sequential<float>;
template class Sequential<double>;

}  // namespace gradlab
