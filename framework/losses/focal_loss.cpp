#include "framework/losses/focal_loss.h"

#include <algorithm>
#include <cmath>

namespace gradlab {

template <class T>
FocalLoss<T>::FocalLoss(double gamma, std::vector<double> alpha)
    : gamma_(gamma), alpha_(std::move(alpha)) {
  if (!(gamma >= 0.0) || !std::isfinite(gamma))
    throw std::invalid_argument("FocalLoss: gamma must be in [0, inf), got " +
                                std::to_string(gamma));
  check_class_weights(name(), alpha_);
}

template <class T>
T FocalLoss<T>::forward(const Tensor<T>& logits, const Labels& labels) {
  check_logits_and_labels(name(), logits, labels);
  const std::size_t N = logits.shape(0), C = logits.shape(1);
  if (!alpha_.empty() && alpha_.size() != C) {
    throw ShapeError(name() + ": " + std::to_string(alpha_.size()) +
                     " alpha weights for logits of " + std::to_string(C) + " classes");
  }
  grad_.resize(shape_of(logits));
  const T gamma = static_cast<T>(gamma_), inv_N = T(1) / static_cast<T>(N);
  std::vector<T> p(C);
  T total = 0;
  for (std::size_t n = 0; n < N; ++n) {
    const T* z = logits.data() + n * C;
    const int y = labels[n];
    const T m = *std::max_element(z, z + C);
    T sum_exp = 0;
    for (std::size_t c = 0; c < C; ++c) sum_exp += (p[c] = std::exp(z[c] - m));
    for (std::size_t c = 0; c < C; ++c) p[c] /= sum_exp;
    const T log_p = (z[y] - m) - std::log(sum_exp);  // log-softmax: stable for large logits
    // 1 − p_y as the sum of the other probabilities: no cancellation when p_y is near 1.
    T one_minus_p = 0;
    for (std::size_t c = 0; c < C; ++c)
      if (static_cast<int>(c) != y) one_minus_p += p[c];
    const T alpha = alpha_.empty() ? T(1) : static_cast<T>(alpha_[y]);
    const T modulator = std::pow(one_minus_p, gamma);  // (1 − p)^γ, with 0^0 = 1
    total += -alpha * modulator * log_p;
    // γ p (1 − p)^(γ−1) log p → 0 as p → 1; guard the 0 · ∞ at exactly p = 1.
    const T focus_term =
        one_minus_p > T(0) ? gamma * p[y] * std::pow(one_minus_p, gamma - T(1)) * log_p : T(0);
    const T scale = alpha * inv_N * (modulator - focus_term);
    for (std::size_t c = 0; c < C; ++c)
      grad_(n, c) = (p[c] - (static_cast<int>(c) == y ? T(1) : T(0))) * scale;
  }
  has_forward_ = true;
  return total * inv_N;
}

template <class T>
const Tensor<T>& FocalLoss<T>::backward() const {
  if (!has_forward_) throw std::logic_error(name() + ": backward called before forward");
  return grad_;
}

template class FocalLoss<float>;
template class FocalLoss<double>;

}  // namespace gradlab
