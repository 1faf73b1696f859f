#include "framework/layers/gelu.h"

#include "framework/layers/registry.h"

namespace gradlab {

template class GELU<float>;
template class GELU<double>;

namespace {
const LayerRegistration gelu_type("gelu", "approximate (\"none\" or \"tanh\")", [](auto& layer) {
  using Gelu = GELU<typename std::decay_t<decltype(layer)>::value_type>;
  const bool tanh = layer.keys.string("approximate", "none", {"none", "tanh"}) == "tanh";
  return make_layer<GELU>(layer, tanh ? Gelu::Approximation::tanh : Gelu::Approximation::none);
});
}  // namespace

}  // namespace gradlab
