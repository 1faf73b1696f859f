#include "framework/layers/flatten.h"

#include "framework/layers/registry.h"

namespace gradlab {

template class Flatten<float>;
template class Flatten<double>;

namespace {
const LayerRegistration flatten_type("flatten", "",
                                     [](auto& layer) { return make_layer<Flatten>(layer); });
}  // namespace

}  // namespace gradlab
