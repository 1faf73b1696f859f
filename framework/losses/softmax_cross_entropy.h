// Softmax cross-entropy, fused with its softmax, mean over the batch.
//   z: N × C logits,  y_n ∈ [0, C) labels
//   p_nc = softmax(z_n)_c = e^(z_nc − m_n) / Σ_k e^(z_nk − m_n),   m_n = max_k z_nk
//   forward:   L = (1/N) Σ_n [ log Σ_k e^(z_nk) − z_n,y_n ]
//                = (1/N) Σ_n [ m_n + log Σ_k e^(z_nk − m_n) − z_n,y_n ]   (log-sum-exp)
//   backward:  ∂L/∂z_nc = (p_nc − [c = y_n]) / N
// Subtracting m_n keeps every exponent ≤ 0, so logits of ±1000 give finite values.
#pragma once

#include "framework/losses/classification_loss.h"

namespace gradlab {

template <class T>
class SoftmaxCrossEntropy : public ClassificationLoss<T> {
 public:
  std::string name() const override { return "SoftmaxCrossEntropy"; }
  T forward(const Tensor<T>& logits, const Labels& labels) override;
  const Tensor<T>& backward() const override;

  // softmax(z) from the last forward.
  const Tensor<T>& probabilities() const { return probabilities_; }

 private:
  Tensor<T> probabilities_, grad_;
  bool has_forward_ = false;
};

}  // namespace gradlab
