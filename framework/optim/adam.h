// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019), as PyTorch defines them.
//   Adam:   g ← ∇L + λW                              (L2 weight decay, coupled)
//   AdamW:  W ← W − ηλW                              (decoupled weight decay, before the step)
//   then    m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²
//           m̂ = m / (1 − β₁ᵗ),     v̂ = v / (1 − β₂ᵗ)     (bias correction; t = steps taken)
//           W ← W − η m̂ / (√v̂ + ε)
#pragma once

#include "framework/optim/optimizer.h"

namespace gradlab {

template <class T>
class Adam : public Optimizer<T> {
 public:
  enum class WeightDecay { l2, decoupled };  // Adam, AdamW

  Adam(std::vector<NamedParameter<T>> parameters, double learning_rate = 1e-3, double beta1 = 0.9,
       double beta2 = 0.999, double eps = 1e-8, double weight_decay = 0.0,
       WeightDecay decay = WeightDecay::l2);

  std::string name() const override;
  void set_momentum(double momentum) override;

 protected:
  void update(Parameter<T>& parameter, std::vector<Tensor<T>>& buffers) override;

 private:
  double beta1_, beta2_, eps_, weight_decay_;
  WeightDecay decay_;
};

}  // namespace gradlab
