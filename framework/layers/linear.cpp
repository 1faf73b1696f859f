#include "framework/layers/linear.h"

#include "framework/kernels/backend.h"
#include "framework/layers/registry.h"

namespace gradlab {

template <class T>
Linear<T>::Linear(std::size_t in_features, std::size_t out_features, Rng& rng, Init init, bool bias)
    : in_features_(in_features),
      out_features_(out_features),
      has_bias_(bias),
      weight_("weight", {in_features, out_features}),
      bias_("bias", {bias ? out_features : 0}) {
  if (in_features == 0 || out_features == 0)
    throw std::invalid_argument(name() + ": in_features and out_features must be >= 1");
  initialize(weight_.value, init, in_features, out_features, rng);
  if (has_bias_) initialize_bias(bias_.value, init, in_features, rng);
  this->register_parameter(weight_);
  if (has_bias_) this->register_parameter(bias_);
}

template <class T>
std::string Linear<T>::name() const {
  return "Linear(" + std::to_string(in_features_) + " -> " + std::to_string(out_features_) + ")";
}

template <class T>
Shape Linear<T>::output_shape(const Shape& input_shape) const {
  if (input_shape.size() != 2 || input_shape[1] != in_features_) {
    throw ShapeError(name() + ": expected input of shape [N, " + std::to_string(in_features_) +
                     "], got " + to_string(input_shape));
  }
  return {input_shape[0], out_features_};
}

// Y = X W + b
template <class T>
void Linear<T>::forward_impl(const Tensor<T>& input, Tensor<T>& output) {
  const std::size_t N = input.shape(0), D_in = in_features_, D_out = out_features_;
  input_ = input;
  kernels<T>(this->backend())
      .gemm(false, false, N, D_out, D_in, input.data(), weight_.value.data(), output.data(), false);
  if (has_bias_) {
    const T* b = bias_.value.data();
    T* y = output.data();
    for (std::size_t n = 0; n < N; ++n)
      for (std::size_t j = 0; j < D_out; ++j) y[n * D_out + j] += b[j];
  }
}

// dW += Xᵀ dY,  db += Σ_n dY[n, :],  dX = dY Wᵀ
template <class T>
void Linear<T>::backward_impl(const Tensor<T>& grad_output, Tensor<T>* grad_input) {
  const std::size_t N = grad_output.shape(0), D_in = in_features_, D_out = out_features_;
  kernels<T>(this->backend())
      .gemm(true, false, D_in, D_out, N, input_.data(), grad_output.data(), weight_.grad.data(),
            true);
  if (has_bias_) {
    const T* dy = grad_output.data();
    T* db = bias_.grad.data();
    for (std::size_t n = 0; n < N; ++n)
      for (std::size_t j = 0; j < D_out; ++j) db[j] += dy[n * D_out + j];
  }
  if (grad_input)
    kernels<T>(this->backend())
        .gemm(false, true, N, D_in, D_out, grad_output.data(), weight_.value.data(),
              grad_input->data(), false);
}

template class Linear<float>;
template class Linear<double>;

namespace {
// {"type": "linear", "out_features": 10}, after a layer that outputs [N, features].
const LayerRegistration linear_type(
    "linear", "out_features, [in_features], bias (true), init (the model's)",
    [](auto& layer) {
      layer.expect_input({2}, "[N, features]", " (add a flatten layer)");
      layer.check_given("in_features", layer.input[1]);
      const std::size_t out_features = layer.size("out_features");
      const bool bias = layer.keys.boolean("bias", true);
      return make_layer<Linear>(layer, layer.input[1], out_features, layer.rng, layer.init(), bias);
    },
    // Gemm: Y = X W + b, W stored D_in × D_out (transB = 0).
    [](const OpSpec<float>& op, OnnxGraph& graph, const std::string& x, const std::string& path) {
      const std::string name = graph.name_of(path);
      std::vector<std::string> inputs{x, graph.constant(name + ".weight", op.weight->value)};
      if (op.bias) inputs.push_back(graph.constant(name + ".bias", op.bias->value));
      return graph.node("Gemm", name, inputs);
    });
}  // namespace

}  // namespace gradlab
