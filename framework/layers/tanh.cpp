#include "framework/layers/tanh.h"

#include "framework/layers/registry.h"

namespace gradlab {

template class Tanh<float>;
template class Tanh<double>;

namespace {
const LayerRegistration tanh_type("tanh", "", [](auto& layer) { return make_layer<Tanh>(layer); });
}  // namespace

}  // namespace gradlab
