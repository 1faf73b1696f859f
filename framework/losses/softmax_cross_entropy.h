// Softmax cross-entropy, fused with its softmax, mean over the batch.
//   z: N × C logits,  y_n ∈ [0, C) labels
//   p_nc = softmax(z_n)_c = e^(z_nc − m_n) / Σ_k e^(z_nk − m_n),   m_n = max_k z_nk
//   forward:   L = (1/N) Σ_n [ log Σ_k e^(z_nk) − z_n,y_n ]
//                = (1/N) Σ_n [ m_n + log Σ_k e^(z_nk − m_n) − z_n,y_n ]   (log-sum-exp)
//   backward:  ∂L/∂z_nc = (p_nc − [c = y_n]) / N
// Subtracting m_n keeps every exponent ≤ 0, so logits of ±1000 give finite values.
//
// With class weights w (one per class), the mean is weighted as PyTorch's `weight` argument does:
//   L = Σ_n w_{y_n} ℓ_n / Σ_n w_{y_n},      ∂L/∂z_nc = w_{y_n} (p_nc − [c = y_n]) / Σ_n w_{y_n}
// where ℓ_n is sample n's loss above; with all w = 1 this is the plain mean.
//
// Label smoothing ε (Szegedy et al. 2016) trains against q_nc = (1 − ε)[c = y_n] + ε/C instead
// of the one-hot label. With class weights it follows PyTorch's definition (cross_entropy's
// label_smoothing), which weights each class's share of the smoothing by its own weight:
//   L = (1/W) Σ_n [ (1 − ε) w_{y_n} (−log p_n,y_n) + (ε/C) Σ_c w_c (−log p_nc) ],  W = Σ_n w_{y_n}
//   ∂L/∂z_nk = (1/W) [ (1 − ε) w_{y_n} (p_nk − [k = y_n]) + (ε/C) (p_nk Σ_c w_c − w_k) ]
// (from ∂(−log p_nc)/∂z_nk = p_nk − [k = c]); unweighted this is (p_nk − q_nk) / N.
#pragma once

#include <vector>

#include "framework/losses/classification_loss.h"

namespace gradlab {

template <class T>
class SoftmaxCrossEntropy : public ClassificationLoss<T> {
 public:
  // class_weights: empty (unweighted) or one non-negative weight per class;
  // label_smoothing: ε in [0, 1].
  explicit SoftmaxCrossEntropy(std::vector<double> class_weights = {}, double label_smoothing = 0);

  std::string name() const override { return "SoftmaxCrossEntropy"; }
  const std::vector<double>& class_weights() const { return class_weights_; }
  double label_smoothing() const { return label_smoothing_; }
  T forward(const Tensor<T>& logits, const Labels& labels) override;
  // Σ_n w_{y_n}: the labels' class weights (their count when unweighted).
  double normalizer(const Labels& labels) const override {
    if (class_weights_.empty()) return static_cast<double>(labels.size());
    double sum = 0;
    for (int label : labels) sum += class_weights_.at(static_cast<std::size_t>(label));
    return sum;
  }
  const Tensor<T>& backward() const override;

  // softmax(z) from the last forward.
  const Tensor<T>& probabilities() const { return probabilities_; }

 private:
  std::vector<double> class_weights_;
  double label_smoothing_;
  Tensor<T> probabilities_, grad_;
  bool has_forward_ = false;
};

}  // namespace gradlab
