#include "framework/layers/flatten.h"

#include "framework/layers/registry.h"

namespace gradlab {

template class Flatten<float>;
template class Flatten<double>;

namespace {
const LayerRegistration flatten_type(
    "flatten", "", [](auto& layer) { return make_layer<Flatten>(layer); },
    [](const OpSpec<float>&, OnnxGraph& graph, const std::string& x, const std::string& path) {
      return graph.node("Flatten", graph.name_of(path), {x}, {OnnxAttribute::integer("axis", 1)});
    });
}  // namespace

}  // namespace gradlab
