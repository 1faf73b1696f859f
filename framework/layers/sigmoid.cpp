#include "framework/layers/sigmoid.h"

#include <cmath>

#include "framework/layers/registry.h"

namespace gradlab {

template class Sigmoid<float>;
template class Sigmoid<double>;

namespace {
// For x < 0, e^x / (1 + e^x): e^(−x) would overflow for large negative x.
const ReferenceKernelRegistration sigmoid_kernel("sigmoid", [](const auto& op) {
  using T = typename std::decay_t<decltype(op)>::value_type;
  return loop_kernel<T>(
      [](T x) {
        if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
        const T e = std::exp(x);
        return e / (T(1) + e);
      },
      [](T, T y, T dy) { return dy * y * (T(1) - y); }, /*reads_input=*/false);
});

const LayerRegistration sigmoid_type(
    "sigmoid", "", [](auto& layer) { return make_layer<Sigmoid>(layer); },
    [](const OpSpec<float>&, OnnxGraph& graph, const std::string& x, const std::string& path) {
      return graph.node("Sigmoid", graph.name_of(path), {x});
    });
}  // namespace

}  // namespace gradlab
