#include "framework/layers/sigmoid.h"

#include "framework/layers/registry.h"

namespace gradlab {

template class Sigmoid<float>;
template class Sigmoid<double>;

namespace {
const LayerRegistration sigmoid_type(
    "sigmoid", "", [](auto& layer) { return make_layer<Sigmoid>(layer); },
    [](const OpSpec<float>&, OnnxGraph& graph, const std::string& x, const std::string& path) {
      return graph.node("Sigmoid", graph.name_of(path), {x});
    });
}  // namespace

}  // namespace gradlab
