#include "framework/layers/tanh.h"

#include <cmath>

#include "framework/layers/registry.h"

namespace gradlab {

template class Tanh<float>;
template class Tanh<double>;

namespace {
const ReferenceKernelRegistration tanh_kernel("tanh", [](const auto& op) {
  using T = typename std::decay_t<decltype(op)>::value_type;
  return loop_kernel<T>([](T x) { return std::tanh(x); },
                        [](T, T y, T dy) { return dy * (T(1) - y * y); }, /*reads_input=*/false);
});

const LayerRegistration tanh_type(
    "tanh", "", [](auto& layer) { return make_layer<Tanh>(layer); },
    [](const OpSpec<float>&, OnnxGraph& graph, const std::string& x, const std::string& path) {
      return graph.node("Tanh", graph.name_of(path), {x});
    });
}  // namespace

}  // namespace gradlab
