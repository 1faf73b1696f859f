#include "framework/losses/softmax_cross_entropy.h"

#include <algorithm>
#include <cmath>

namespace gradlab {

void check_class_weights(const std::string& loss_name, const std::vector<double>& weights) {
  for (std::size_t c = 0; c < weights.size(); ++c) {
    if (!(weights[c] >= 0.0) || !std::isfinite(weights[c])) {
      throw std::invalid_argument(loss_name + ": class weight " + std::to_string(c) +
                                  " must be finite and >= 0, got " + std::to_string(weights[c]));
    }
  }
}

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
SoftmaxCrossEntropy<T>::SoftmaxCrossEntropy(std::vector<double> class_weights,
                                            double label_smoothing)
    : class_weights_(std::move(class_weights)), label_smoothing_(label_smoothing) {
  check_class_weights(name(), class_weights_);
  if (!(label_smoothing >= 0.0 && label_smoothing <= 1.0))
    throw std::invalid_argument(name() + ": label_smoothing must be in [0, 1], got " +
                                std::to_string(label_smoothing));
}

template <class T>
T SoftmaxCrossEntropy<T>::forward(const Tensor<T>& logits, const Labels& labels) {
  check_logits_and_labels(name(), logits, labels);
  const std::size_t N = logits.shape(0), C = logits.shape(1);
  if (!class_weights_.empty() && class_weights_.size() != C) {
    throw ShapeError(name() + ": " + std::to_string(class_weights_.size()) +
                     " class weights for logits of " + std::to_string(C) + " classes");
  }
  // Class c's weight w_c and sample n's w_{y_n} (all 1 when unweighted); Σ_n w_{y_n} normalises.
  auto class_weight = [&](std::size_t c) {
    return class_weights_.empty() ? T(1) : static_cast<T>(class_weights_[c]);
  };
  auto weight = [&](std::size_t n) { return class_weight(static_cast<std::size_t>(labels[n])); };
  T weight_sum = 0;
  for (std::size_t n = 0; n < N; ++n) weight_sum += weight(n);
  if (!(weight_sum > T(0))) {
    throw std::invalid_argument(name() + ": the class weights of this batch's labels sum to 0");
  }
  probabilities_.resize(shape_of(logits));
  grad_.resize(shape_of(logits));
  T class_weight_sum = 0;  // Σ_c w_c, for the smoothing term
  for (std::size_t c = 0; c < C; ++c) class_weight_sum += class_weight(c);
  const T eps = static_cast<T>(label_smoothing_), share = eps / static_cast<T>(C);
  T total = 0;
  for (std::size_t n = 0; n < N; ++n) {
    const T* z = logits.data() + n * C;
    T* p = probabilities_.data() + n * C;
    const T m = *std::max_element(z, z + C);
    T sum_exp = 0;
    for (std::size_t c = 0; c < C; ++c) sum_exp += (p[c] = std::exp(z[c] - m));
    for (std::size_t c = 0; c < C; ++c) p[c] /= sum_exp;
    // −log p_nc = (m − z_c) + log Σ: (m − z_c) first, since at logits near ±1000, m + log Σ
    // would round away log Σ's digits in float.
    const T log_sum_exp = std::log(sum_exp);
    const T target_term = (m - z[labels[n]]) + log_sum_exp;
    T smoothing_term = 0;  // Σ_c w_c (−log p_nc)
    if (eps > T(0))
      for (std::size_t c = 0; c < C; ++c)
        smoothing_term += class_weight(c) * ((m - z[c]) + log_sum_exp);
    total += (T(1) - eps) * weight(n) * target_term + share * smoothing_term;
  }
  // ∂L/∂z_nk = (1 − ε) w_y (p_nk − [k = y]) / W + (ε/C) (p_nk Σ_c w_c − w_k) / W
  // (with ε = 0 this rounds exactly as the unsmoothed loss always has: w_y/W times p − onehot)
  for (std::size_t n = 0; n < N; ++n) {
    const T scale = (T(1) - eps) * weight(n) / weight_sum;
    for (std::size_t c = 0; c < C; ++c) {
      const T p = probabilities_(n, c);
      grad_(n, c) = (p - (static_cast<int>(c) == labels[n] ? T(1) : T(0))) * scale +
                    share * (p * class_weight_sum - class_weight(c)) / weight_sum;
    }
  }
  has_forward_ = true;
  return total / weight_sum;
}

template <class T>
const Tensor<T>& SoftmaxCrossEntropy<T>::backward() const {
  if (!has_forward_) throw std::logic_error(name() + ": backward called before forward");
  return grad_;
}

template void check_logits_and_labels<float>(const std::string&, const Tensor<float>&,
                                             const Labels&);
template void check_logits_and_labels<double>(const std::string&, const Tensor<double>&,
                                              const Labels&);
template class SoftmaxCrossEntropy<float>;
template class SoftmaxCrossEntropy<double>;

}  // namespace gradlab
