// Momentum as an exponential moving average of the gradients (the form taught in Andrew Ng's
// course; not PyTorch's heavy ball, which is SGD with momentum):
//   v ← βv + (1 − β)∇L,     W ← W − ηv
// v starts at 0, so early steps are biased small: v₁ = (1 − β)∇L.
#pragma once

#include "framework/optim/optimizer.h"

namespace gradlab {

template <class T>
class EmaMomentum : public Optimizer<T> {
 public:
  EmaMomentum(std::vector<NamedParameter<T>> parameters, double learning_rate, double beta = 0.9);

  std::string name() const override;
  void set_momentum(double momentum) override;

 protected:
  void update(Parameter<T>& parameter, std::vector<Tensor<T>>& buffers) override;

 private:
  double beta_;
};

}  // namespace gradlab
