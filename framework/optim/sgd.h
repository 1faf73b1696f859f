// Stochastic gradient descent with optional L2 weight decay and heavy-ball momentum, exactly as
// PyTorch's torch.optim.SGD (dampening 0):
//   g ← ∇L + λW                                  (weight decay λ, coupled: it enters the gradient)
//   momentum μ > 0:   b ← μb + g                  (b starts at 0, so b₁ = g₁)
//                     g ← g + μb   (Nesterov)     or   g ← b   (classical heavy ball)
//   W ← W − η g
#pragma once

#include "framework/optim/optimizer.h"

namespace gradlab {

template <class T>
class SGD : public Optimizer<T> {
 public:
  SGD(std::vector<NamedParameter<T>> parameters, double learning_rate, double momentum = 0.0,
      bool nesterov = false, double weight_decay = 0.0);

  std::string name() const override;
  void set_momentum(double momentum) override;

 protected:
  void update(Parameter<T>& parameter, std::vector<Tensor<T>>& buffers) override;

 private:
  double momentum_, weight_decay_;
  bool nesterov_;
};

}  // namespace gradlab
