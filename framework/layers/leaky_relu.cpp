#include "framework/layers/leaky_relu.h"

#include "framework/layers/registry.h"

namespace gradlab {

template class LeakyReLU<float>;
template class LeakyReLU<double>;

namespace {
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
