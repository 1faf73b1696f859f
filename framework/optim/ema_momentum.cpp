#include "framework/optim/ema_momentum.h"

#include <sstream>

namespace gradlab {

template <class T>
EmaMomentum<T>::EmaMomentum(std::vector<NamedParameter<T>> parameters, double learning_rate,
                            double beta)
    : Optimizer<T>(std::move(parameters), learning_rate, {"velocity"}), beta_(beta) {
  check_hyperparameter(beta >= 0.0 && beta < 1.0, "EmaMomentum", "beta", "[0, 1)", beta);
}

template <class T>
std::string EmaMomentum<T>::name() const {
  std::ostringstream out;
  out << "EmaMomentum(lr=" << this->learning_rate() << ", beta=" << beta_ << ")";
  return out.str();
}

template <class T>
void EmaMomentum<T>::update(Parameter<T>& parameter, std::vector<Tensor<T>>& buffers) {
  const T lr = static_cast<T>(this->learning_rate()), beta = static_cast<T>(beta_);
  T* w = parameter.value.data();
  T* v = buffers[0].data();
  const T* grad = parameter.grad.data();
  for (std::size_t i = 0; i < parameter.value.size(); ++i) {
    v[i] = beta * v[i] + (T(1) - beta) * grad[i];
    w[i] -= lr * v[i];
  }
}

template <class T>
void EmaMomentum<T>::set_momentum(double momentum) {
  check_hyperparameter(momentum >= 0.0 && momentum < 1.0, "EmaMomentum", "beta", "[0, 1)",
                       momentum);
  beta_ = momentum;
}

template class EmaMomentum<float>;
template class EmaMomentum<double>;

}  // namespace gradlab
