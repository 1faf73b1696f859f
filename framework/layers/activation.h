// Bases of element-wise layers: the output has the input's shape, any rank.
//   Activation            the shape rule (Dropout and the activations below derive from it)
//   ElementwiseActivation y = f(x) element by element on the backend's element-wise kernel for
//                         the layer's kind (kernels/elementwise.h): the reference loops its file
//                         registers, or a backend's own where one is registered. A subclass says
//                         its name and describe()s its kind and attributes.
#pragma once

#include <memory>

#include "framework/kernels/backend.h"
#include "framework/module.h"

namespace gradlab {

template <class T>
class Activation : public Layer<T> {
 public:
  Shape output_shape(const Shape& input_shape) const override { return input_shape; }
};

template <class T>
class ElementwiseActivation : public Activation<T> {
 public:
  // The implementation the backend runs for this layer ("gradlab:loops", "jit:avx512_core").
  std::string implementation() { return kernel().implementation(); }

 protected:
  void forward_impl(const Tensor<T>& input, Tensor<T>& output) override {
    ElementwiseKernel<T>& k = kernel();
    if (k.backward_reads_input()) input_ = input;  // what backward's f'(x) needs
    k.forward(input.data(), output.data(), input.size());
  }

  void backward_impl(const Tensor<T>& grad_output, Tensor<T>* grad_input) override {
    if (!grad_input) return;
    ElementwiseKernel<T>& k = kernel();
    k.backward(k.backward_reads_input() ? input_.data() : nullptr, this->output().data(),
               grad_output.data(), grad_input->data(), grad_output.size());
  }

 private:
  // The backend's kernel for this layer, made when first needed after the backend changes.
  ElementwiseKernel<T>& kernel() {
    return kernel_.get(this->backend(), [this] {
      return kernels<T>(this->backend()).elementwise(this->describe());
    });
  }

  KernelForBackend<ElementwiseKernel<T>> kernel_;
  Tensor<T> input_;  // x, kept when the kernel's backward reads it
};

}  // namespace gradlab
