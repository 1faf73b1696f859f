#include "framework/losses/softmax_cross_entropy.h"

#include <algorithm>
#include <cmath>

namespace gradlab {

template <class T>
void check_logits_and_labels(const std::string& loss_name, const Tensor<T>& logits,
                             const Labels& labels) {
  if (logits.dimension() != 2 || logits.shape(0) == 0 || logits.shape(1) == 0) {
    throw ShapeError(loss_name + ": expected logits of shape [N, C] with N, C >= 1, got " +
                     to_string(shape_of(logits)));
  }
  const std::size_t N = logits.shape(0), C = logits.shape(1);
  if (labels.size() != N) {
    throw ShapeError(loss_name + ": " + std::to_string(labels.size()) + " labels for a batch of " +
                     std::to_string(N) + " logits " + to_string(shape_of(logits)));
  }
  for (std::size_t n = 0; n < N; ++n) {
    if (labels[n] < 0 || static_cast<std::size_t>(labels[n]) >= C) {
      throw std::invalid_argument(loss_name + ": label " + std::to_string(labels[n]) +
                                  " at index " + std::to_string(n) + " is outside [0, " +
                                  std::to_string(C) + ")");
    }
  }
}

template <class T>
T SoftmaxCrossEntropy<T>::forward(const Tensor<T>& logits, const Labels& labels) {
  check_logits_and_labels(name(), logits, labels);
  const std::size_t N = logits.shape(0), C = logits.shape(1);
  probabilities_.resize(shape_of(logits));
  grad_.resize(shape_of(logits));
  T total = 0;
  for (std::size_t n = 0; n < N; ++n) {
    const T* z = logits.data() + n * C;
    T* p = probabilities_.data() + n * C;
    const T m = *std::max_element(z, z + C);
    T sum_exp = 0;
    for (std::size_t c = 0; c < C; ++c) sum_exp += (p[c] = std::exp(z[c] - m));
    for (std::size_t c = 0; c < C; ++c) p[c] /= sum_exp;
    // (m − z_y) first: at logits near ±1000, m + log Σ would round away log Σ's digits in float.
    total += (m - z[labels[n]]) + std::log(sum_exp);
  }
  // ∂L/∂z = (p − onehot(y)) / N
  const T inv_N = T(1) / static_cast<T>(N);
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t c = 0; c < C; ++c)
      grad_(n, c) = (probabilities_(n, c) - (static_cast<int>(c) == labels[n] ? T(1) : T(0))) * inv_N;
  has_forward_ = true;
  return total * inv_N;
}

template <class T>
const Tensor<T>& SoftmaxCrossEntropy<T>::backward() const {
  if (!has_forward_) throw std::logic_error(name() + ": backward called before forward");
  return grad_;
}

template void check_logits_and_labels<float>(const std::string&, const Tensor<float>&, const Labels&);
template void check_logits_and_labels<double>(const std::string&, const Tensor<double>&, const Labels&);
template class SoftmaxCrossEntropy<float>;
template class SoftmaxCrossEntropy<double>;

}  // namespace gradlab
