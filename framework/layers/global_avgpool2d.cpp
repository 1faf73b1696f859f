#include "framework/layers/global_avgpool2d.h"

#include "framework/layers/registry.h"

namespace gradlab {

template class GlobalAvgPool2d<float>;
template class GlobalAvgPool2d<double>;

namespace {
const LayerRegistration global_avgpool2d_type(
    "global_avgpool2d", "", [](auto& layer) { return make_layer<GlobalAvgPool2d>(layer); },
    [](const OpSpec<float>&, OnnxGraph& graph, const std::string& x, const std::string& path) {
      return graph.node("GlobalAveragePool", graph.name_of(path), {x});
    });
}  // namespace

}  // namespace gradlab
