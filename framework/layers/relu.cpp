#include "framework/layers/relu.h"

#include "framework/layers/registry.h"

namespace gradlab {

template class ReLU<float>;
template class ReLU<double>;

namespace {
const LayerRegistration relu_type(
    "relu", "", [](auto& layer) { return make_layer<ReLU>(layer); },
    [](const OpSpec<float>&, OnnxGraph& graph, const std::string& x, const std::string& path) {
      return graph.node("Relu", graph.name_of(path), {x});
    });
}  // namespace

}  // namespace gradlab
