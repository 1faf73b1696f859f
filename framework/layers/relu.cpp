#include "framework/layers/relu.h"

#include "framework/layers/registry.h"

namespace gradlab {

template class ReLU<float>;
template class ReLU<double>;

namespace {
const LayerRegistration relu_type("relu", "", [](auto& layer) { return make_layer<ReLU>(layer); });
}  // namespace

}  // namespace gradlab
