#include "framework/layers/sigmoid.h"

#include "framework/layers/registry.h"

namespace gradlab {

template class Sigmoid<float>;
template class Sigmoid<double>;

namespace {
const LayerRegistration sigmoid_type("sigmoid", "",
                                     [](auto& layer) { return make_layer<Sigmoid>(layer); });
}  // namespace

}  // namespace gradlab
