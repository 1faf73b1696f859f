// OpSpec: what a module computes, said in one value — kann's single op record, in our terms. The
// ONNX exporter, the gradient checker, the fusion planner and `gradlab summary` read a module's
// description (Module::describe) instead of asking which C++ class it is:
//   kind      the layer registry's type name ("conv2d", "relu", "residual"; framework/layers/
//             registry.h), where the registry finds what else it knows of the op (its ONNX
//             emitter); "sequential" for a Sequential; "" for a module that describes nothing
//   sizes     in_size/out_size: features (linear), channels (conv2d; batch norm: C both);
//             kernel_size, stride, padding of a window (conv2d, pooling); eps and momentum (batch
//             norm); alpha (leaky_relu's negative slope, dropout's p); variant (gelu: "none" or
//             "tanh")
//   tensors   weight and bias (W and b; batch norm's γ and β), null where the op has none;
//             running_mean and running_var (batch norm's buffers)
//   kink      where the function is not differentiable, for the gradient checker's margins
//   wiring    a container's: `chain` (each child takes the previous one's output: Sequential) or
//             `fan_out` (each child takes the container's input: a Residual's body and shortcut,
//             a Concat's branches); children in order, a null child being the identity, and
//             their names as in parameter names ("body", "shortcut", "0")
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "framework/parameter.h"
#include "framework/tensor.h"

namespace gradlab {

template <class T>
class Module;

enum class Kink {
  none,
  at_zero,     // y = f(x) element-wise with a corner at x = 0 (ReLU, LeakyReLU)
  window_max,  // the maximum of each pooling window: a corner where two values tie
};

enum class Wiring { none, chain, fan_out };

template <class T>
struct OpSpec {
  using value_type = T;
  OpSpec(std::string kind_name = {}) : kind(std::move(kind_name)) {}  // NOLINT: {"relu"} reads well

  std::string kind;
  std::size_t in_size = 0, out_size = 0;
  std::size_t kernel_size = 0, stride = 0, padding = 0;
  double eps = 0, momentum = 0, alpha = 0;
  std::string variant;
  Parameter<T>* weight = nullptr;
  Parameter<T>* bias = nullptr;
  Tensor<T>* running_mean = nullptr;
  Tensor<T>* running_var = nullptr;
  Kink kink = Kink::none;
  Wiring wiring = Wiring::none;
  std::vector<Module<T>*> children;
  std::vector<std::string> child_names;  // as parameter names spell them: "body", "0"
};

}  // namespace gradlab
