// The element-wise kernel interface: what an activation layer (layers/activation.h) calls,
// whatever the backend. Each kind of activation (OpSpec::kind: "relu", "gelu") has its
// implementations registered by kind and backend, the reference one (plain loops, for float and
// double) by the layer's own file; a backend without one of its own for a kind runs the
// reference loops (Kernels<T>::elementwise, kernels/backend.h).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "framework/op_spec.h"
#include "framework/parallel.h"

namespace gradlab {

template <class T>
class ElementwiseKernel {
 public:
  virtual ~ElementwiseKernel() = default;
  // y = f(x) over n values.
  virtual void forward(const T* x, T* y, std::size_t n) = 0;
  // dx = dy · f'(x), after a forward of the same n values: x and y are that forward's (x null
  // when backward_reads_input() is false).
  virtual void backward(const T* x, const T* y, const T* dy, T* dx, std::size_t n) = 0;
  // Whether backward needs the input (GELU's does; ReLU's reads y): the layer keeps it only then.
  virtual bool backward_reads_input() const = 0;
  // What runs: "gradlab:loops", or oneDNN's implementation ("jit:avx512_core"); tests rule out
  // oneDNN's "ref:" ones.
  virtual std::string implementation() const { return "gradlab:loops"; }
};

// Makes a kind's kernel for one layer, from its description (sizes and attributes: LeakyReLU's
// slope is op.alpha).
template <class T>
using ElementwiseFactory = std::function<std::unique_ptr<ElementwiseKernel<T>>(const OpSpec<T>&)>;

// A kernel of plain loops from two element-wise functions of one value,
//   y = forward(x),   dx = backward(x, y, dy),
// for float and double alike: how a layer's file writes its reference kernel. The loops run on
// both threads (framework/parallel.h), each element computed alike whatever the split. Both
// functions take values, so every operand is loaded before a select: no branch on the data.
template <class T, class Forward, class Backward>
class LoopKernel : public ElementwiseKernel<T> {
 public:
  LoopKernel(Forward forward, Backward backward, bool reads_input)
      : forward_(forward), backward_(backward), reads_input_(reads_input) {}
  void forward(const T* x, T* y, std::size_t n) override {
    const Forward f = forward_;
    parallel_for(n, [=](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) y[i] = f(x[i]);
    });
  }
  void backward(const T* x, const T* y, const T* dy, T* dx, std::size_t n) override {
    const Backward b = backward_;
    if (reads_input_) {
      parallel_for(n, [=](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) dx[i] = b(x[i], y[i], dy[i]);
      });
    } else {  // x may be null
      parallel_for(n, [=](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) dx[i] = b(T(0), y[i], dy[i]);
      });
    }
  }
  bool backward_reads_input() const override { return reads_input_; }

 private:
  Forward forward_;
  Backward backward_;
  bool reads_input_;
};

template <class T, class Forward, class Backward>
std::unique_ptr<ElementwiseKernel<T>> loop_kernel(Forward forward, Backward backward,
                                                  bool reads_input) {
  return std::make_unique<LoopKernel<T, Forward, Backward>>(forward, backward, reads_input);
}

}  // namespace gradlab
