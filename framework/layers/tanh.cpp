#include "framework/layers/tanh.h"

#include "framework/layers/registry.h"

namespace gradlab {

template class Tanh<float>;
template class Tanh<double>;

namespace {
const LayerRegistration tanh_type(
    "tanh", "", [](auto& layer) { return make_layer<Tanh>(layer); },
    [](const OpSpec<float>&, OnnxGraph& graph, const std::string& x, const std::string& path) {
      return graph.node("Tanh", graph.name_of(path), {x});
    });
}  // namespace

}  // namespace gradlab
