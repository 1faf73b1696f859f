#include "framework/layers/leaky_relu.h"

#include "framework/layers/registry.h"

namespace gradlab {

template class LeakyReLU<float>;
template class LeakyReLU<double>;

namespace {
// The slope is selected, then multiplied: no data-dependent branch (relu.cpp says why).
const ReferenceKernelRegistration leaky_relu_kernel("leaky_relu", [](const auto& op) {
  using T = typename std::decay_t<decltype(op)>::value_type;
  const T a = static_cast<T>(op.alpha);
  return loop_kernel<T>([a](T x) { return x > T(0) ? x : a * x; },
                        [a](T, T y, T dy) { return dy * (y > T(0) ? T(1) : a); },
                        /*reads_input=*/false);
});

const LayerRegistration leaky_relu_type(
    "leaky_relu", "negative_slope (0.01)",
    [](auto& layer) {
      return make_layer<LeakyReLU>(layer, layer.keys.number("negative_slope", 0.01, at_least(0.0)));
    },
    [](const OpSpec<float>& op, OnnxGraph& graph, const std::string& x, const std::string& path) {
      return graph.node("LeakyRelu", graph.name_of(path), {x},
                        {OnnxAttribute::real("alpha", static_cast<float>(op.alpha))});
    });
}  // namespace

}  // namespace gradlab
