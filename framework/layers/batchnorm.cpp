#include "framework/layers/batchnorm.h"

#include <cmath>
#include <sstream>

#include "framework/layers/registry.h"

namespace gradlab {

template <class T>
BatchNorm<T>::BatchNorm(Kind kind, std::size_t num_features, double eps, double momentum,
                        bool affine)
    : kind_(kind),
      num_features_(num_features),
      eps_(eps),
      momentum_(momentum),
      affine_(affine),
      weight_("weight", {affine ? num_features : 0}),
      bias_("bias", {affine ? num_features : 0}),
      running_mean_(Tensor<T>::from_shape({num_features})),
      running_var_(Tensor<T>::from_shape({num_features})) {
  if (num_features == 0) throw std::invalid_argument(name() + ": num_features must be >= 1");
  if (!(eps > 0.0) || !std::isfinite(eps))
    throw std::invalid_argument(name() + ": eps must be finite and > 0");
  if (!(momentum >= 0.0 && momentum <= 1.0))
    throw std::invalid_argument(name() + ": momentum must be in [0, 1]");
  // γ = 1, β = 0: the layer starts as the plain normalisation (PyTorch's initialisation).
  weight_.value.fill(T(1));
  running_mean_.fill(T(0));
  running_var_.fill(T(1));
  if (affine_) {
    this->register_parameter(weight_);
    this->register_parameter(bias_);
  }
  this->register_buffer("running_mean", running_mean_);
  this->register_buffer("running_var", running_var_);
}

template <class T>
std::string BatchNorm<T>::name() const {
  std::ostringstream text;
  text << (kind_ == Kind::d1 ? "BatchNorm1d(" : "BatchNorm2d(") << num_features_;
  if (eps_ != 1e-5) text << ", eps=" << eps_;
  if (momentum_ != 0.1) text << ", momentum=" << momentum_;
  if (!affine_) text << ", affine=false";
  text << ")";
  return text.str();
}

template <class T>
Shape BatchNorm<T>::output_shape(const Shape& input_shape) const {
  const bool rank_ok = kind_ == Kind::d2 ? input_shape.size() == 4
                                         : input_shape.size() == 2 || input_shape.size() == 3;
  if (!rank_ok || input_shape[1] != num_features_) {
    const std::string C = std::to_string(num_features_);
    throw ShapeError(
        name() + ": expected input of shape " +
        (kind_ == Kind::d2 ? "[N, " + C + ", H, W]" : "[N, " + C + "] or [N, " + C + ", L]") +
        ", got " + to_string(input_shape));
  }
  return input_shape;
}

template <class T>
std::size_t BatchNorm<T>::smallest_training_batch(const Shape& input_shape) const {
  std::size_t per_sample = 1;
  for (std::size_t d = 2; d < input_shape.size(); ++d) per_sample *= input_shape[d];
  return per_sample > 1 ? 1 : 2;
}

template <class T>
void BatchNorm<T>::check_training_input(const Shape& input_shape) const {
  std::size_t m = 1;
  for (std::size_t d = 0; d < input_shape.size(); ++d)
    if (d != 1) m *= input_shape[d];
  // One value per channel has no variance to normalise by (PyTorch refuses it too).
  if (m < 2)
    throw ShapeError(name() + ": expected more than 1 value per channel when training, got input " +
                     to_string(input_shape));
}

template <class T>
BatchNormKernel<T>& BatchNorm<T>::kernel() {
  return kernel_.get(this->backend(), [this] { return kernels<T>(this->backend()).batch_norm(); });
}

template <class T>
void BatchNorm<T>::forward_impl(const Tensor<T>& input, Tensor<T>& output) {
  const Shape shape = shape_of(input);
  const std::size_t N = shape[0], C = num_features_;
  const bool training = this->is_training();
  if (training) check_training_input(shape);
  geometry_ = {N, C, input.size() / (N * C)};
  kernel().forward(geometry_, input.data(), affine_ ? weight_.value.data() : nullptr,
                   affine_ ? bias_.value.data() : nullptr, running_mean_.data(),
                   running_var_.data(), eps_, momentum_, training, output.data());
}

template <class T>
void BatchNorm<T>::backward_impl(const Tensor<T>& grad_output, Tensor<T>* grad_input) {
  kernel().backward(geometry_, grad_output.data(), affine_ ? weight_.value.data() : nullptr,
                    affine_ ? weight_.grad.data() : nullptr, affine_ ? bias_.grad.data() : nullptr,
                    grad_input ? grad_input->data() : nullptr);
}

template class BatchNorm<float>;
template class BatchNorm<double>;

namespace {
// batchnorm1d after [N, C] or [N, C, L]; batchnorm2d after [N, C, H, W].
template <BatchNormKind kind>
auto make_batch_norm() {
  return [](auto& layer) {
    if (kind == BatchNormKind::d2)
      layer.expect_input({4}, "[N, C, H, W]");
    else
      layer.expect_input({2, 3}, "[N, C] or [N, C, L]");
    layer.check_given("num_features", layer.input[1]);
    const double eps = layer.keys.number("eps", 1e-5, greater_than(0));
    const double momentum = layer.keys.number("momentum", 0.1, {0.0, 1.0});
    const bool affine = layer.keys.boolean("affine", true);
    return make_layer<BatchNorm>(layer, kind, layer.input[1], eps, momentum, affine);
  };
}

// Evaluation: (x − running_mean) / √(running_var + ε) · γ + β; γ = 1, β = 0 when not affine.
std::string batch_norm_onnx(const OpSpec<float>& op, OnnxGraph& graph, const std::string& x,
                            const std::string& path) {
  const std::string name = graph.name_of(path);
  Tensor<float> gamma = Tensor<float>::from_shape({op.out_size}),
                beta = Tensor<float>::from_shape({op.out_size});
  gamma.fill(1.0f);
  beta.fill(0.0f);
  if (op.weight) gamma = op.weight->value;
  if (op.bias) beta = op.bias->value;
  return graph.node(
      "BatchNormalization", name,
      {x, graph.constant(name + ".weight", gamma), graph.constant(name + ".bias", beta),
       graph.constant(name + ".running_mean", *op.running_mean),
       graph.constant(name + ".running_var", *op.running_var)},
      {OnnxAttribute::real("epsilon", static_cast<float>(op.eps))});
}

const char* const kBatchNormKeys = "eps (1e-5), momentum (0.1), affine (true), [num_features]";
const LayerRegistration batchnorm1d_type("batchnorm1d", kBatchNormKeys,
                                         make_batch_norm<BatchNormKind::d1>(), batch_norm_onnx);
const LayerRegistration batchnorm2d_type("batchnorm2d", kBatchNormKeys,
                                         make_batch_norm<BatchNormKind::d2>(), batch_norm_onnx);
}  // namespace

}  // namespace gradlab
