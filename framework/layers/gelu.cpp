#include "framework/layers/gelu.h"

#include "framework/layers/registry.h"

namespace gradlab {

template class GELU<float>;
template class GELU<double>;

namespace {
const ReferenceKernelRegistration gelu_kernel("gelu", [](const auto& op) {
  using T = typename std::decay_t<decltype(op)>::value_type;
  const bool exact = op.variant != "tanh";
  return loop_kernel<T>([exact](T x) { return GELU<T>::value(x, exact); },
                        [exact](T x, T, T dy) { return dy * GELU<T>::slope(x, exact); },
                        /*reads_input=*/true);
});

// Exact: y = x · ½ (1 + erf(x / √2)). tanh: y = ½ x (1 + tanh(√(2/π) (x + 0.044715 x³))).
std::string gelu_onnx(const OpSpec<float>& op, OnnxGraph& graph, const std::string& x,
                      const std::string& path) {
  const std::string name = graph.name_of(path);
  const std::string half = graph.scalar(name + ".half", 0.5f),
                    one = graph.scalar(name + ".one", 1.0f);
  std::string inner;
  if (op.variant == "none") {
    const std::string scaled =
        graph.node("Div", name + ".scaled", {x, graph.scalar(name + ".sqrt2", std::sqrt(2.0f))});
    inner = graph.node("Erf", name + ".erf", {scaled});
  } else {
    const std::string cube =
        graph.node("Mul", name + ".cube", {graph.node("Mul", name + ".square", {x, x}), x});
    const std::string cubic =
        graph.node("Mul", name + ".cubic", {cube, graph.scalar(name + ".c", 0.044715f)});
    const std::string sum = graph.node("Add", name + ".sum", {x, cubic});
    const float k = static_cast<float>(std::sqrt(2.0 / std::acos(-1.0)));
    const std::string u = graph.node("Mul", name + ".u", {sum, graph.scalar(name + ".k", k)});
    inner = graph.node("Tanh", name + ".tanh", {u});
  }
  const std::string plus_one = graph.node("Add", name + ".plus_one", {inner, one});
  const std::string times_x = graph.node("Mul", name + ".times_x", {plus_one, x});
  return graph.node("Mul", name, {times_x, half});
}

const LayerRegistration gelu_type(
    "gelu", "approximate (\"none\" or \"tanh\")",
    [](auto& layer) {
      using Gelu = GELU<typename std::decay_t<decltype(layer)>::value_type>;
      const bool tanh = layer.keys.string("approximate", "none", {"none", "tanh"}) == "tanh";
      return make_layer<GELU>(layer, tanh ? Gelu::Approximation::tanh : Gelu::Approximation::none);
    },
    gelu_onnx);
}  // namespace

}  // namespace gradlab
