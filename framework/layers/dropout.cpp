#include "framework/layers/dropout.h"

#include <algorithm>

#include "framework/layers/registry.h"

namespace gradlab {

template <class T>
Dropout<T>::Dropout(double p, std::uint64_t seed) : p_(p), rng_(seed) {
  if (!(p >= 0.0 && p <= 1.0))
    throw std::invalid_argument("Dropout: p must be in [0, 1], got " + std::to_string(p));
}

template <class T>
std::string Dropout<T>::name() const {
  return "Dropout(p=" + std::to_string(p_) + ")";
}

template <class T>
void Dropout<T>::forward_impl(const Tensor<T>& input, Tensor<T>& output) {
  masked_ = this->is_training();
  if (!masked_) {
    std::copy(input.data(), input.data() + input.size(), output.data());
    return;
  }
  const bool reuse = mask_frozen_ && shape_of(mask_) == shape_of(input);
  if (!reuse) {
    mask_.resize(shape_of(input));
    // p = 1 drops everything; avoid the 1/0 scale.
    const T keep_scale = p_ < 1.0 ? static_cast<T>(1.0 / (1.0 - p_)) : T(0);
    for (T& m : mask_) m = rng_.uniform() >= p_ ? keep_scale : T(0);
  }
  const T *x = input.data(), *m = mask_.data();
  T* y = output.data();
  for (std::size_t i = 0; i < input.size(); ++i) y[i] = x[i] * m[i];
}

template <class T>
void Dropout<T>::backward_impl(const Tensor<T>& grad_output, Tensor<T>* grad_input) {
  if (!grad_input) return;
  const T* dy = grad_output.data();
  T* dx = grad_input->data();
  if (!masked_) {  // the mode of the forward pass, even if train() was called since
    std::copy(dy, dy + grad_output.size(), dx);
    return;
  }
  const T* m = mask_.data();
  for (std::size_t i = 0; i < grad_output.size(); ++i) dx[i] = dy[i] * m[i];
}

template class Dropout<float>;
template class Dropout<double>;

namespace {
// Each Dropout draws from its own stream, seeded from the model's seed and its place in the model.
const LayerRegistration dropout_type(
    "dropout", "p (0.5)",
    [](auto& layer) {
      return make_layer<Dropout>(layer, layer.keys.number("p", 0.5, {0.0, 1.0}), layer.seed);
    },
    // The identity at inference: no node.
    [](const OpSpec<float>&, OnnxGraph&, const std::string& x, const std::string&) { return x; });
}  // namespace

}  // namespace gradlab
