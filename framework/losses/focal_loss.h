// Focal loss (Lin et al. 2017), softmax form, mean over the batch:
//   p_n = softmax(z_n)_{y_n}
//   L   = (1/N) Σ_n −α_{y_n} (1 − p_n)^γ log p_n
// (1 − p)^γ shrinks the loss of well-classified samples, so training dwells on the hard ones;
// γ = 0 and α = 1 give plain cross-entropy.
// Backward, with ∂ log p_n / ∂z_nc = [c = y_n] − p_nc:
//   ∂L/∂z_nc = (α_{y_n}/N) (p_nc − [c = y_n]) [ (1 − p_n)^γ − γ p_n (1 − p_n)^(γ−1) log p_n ]
#pragma once

#include <vector>

#include "framework/losses/classification_loss.h"

namespace gradlab {

template <class T>
class FocalLoss : public ClassificationLoss<T> {
 public:
  // gamma ≥ 0; alpha: empty (all 1) or one non-negative weight per class.
  explicit FocalLoss(double gamma = 2.0, std::vector<double> alpha = {});

  std::string name() const override { return "FocalLoss"; }
  T forward(const Tensor<T>& logits, const Labels& labels) override;
  const Tensor<T>& backward() const override;

 private:
  double gamma_;
  std::vector<double> alpha_;
  Tensor<T> grad_;
  bool has_forward_ = false;
};

}  // namespace gradlab
