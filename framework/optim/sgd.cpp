#include "framework/optim/sgd.h"

#include "framework/kernels/simd.h"

#include <sstream>

namespace gradlab {

template <class T>
SGD<T>::SGD(std::vector<NamedParameter<T>> parameters, double learning_rate, double momentum,
            bool nesterov, double weight_decay)
    : Optimizer<T>(std::move(parameters), learning_rate,
                   momentum > 0.0 ? std::vector<std::string>{"momentum_buffer"}
                                  : std::vector<std::string>{}),
      momentum_(momentum),
      weight_decay_(weight_decay),
      nesterov_(nesterov) {
  check_hyperparameter(momentum >= 0.0 && momentum < 1.0, "SGD", "momentum", "[0, 1)", momentum);
  check_hyperparameter(weight_decay >= 0.0, "SGD", "weight_decay", "[0, inf)", weight_decay);
  if (nesterov && momentum == 0.0)
    throw std::invalid_argument("SGD: nesterov needs momentum > 0 (as in PyTorch)");
}

template <class T>
std::string SGD<T>::name() const {
  std::ostringstream out;
  out << "SGD(lr=" << this->learning_rate();
  if (momentum_ > 0) out << ", momentum=" << momentum_ << (nesterov_ ? " nesterov" : " heavy-ball");
  if (weight_decay_ > 0) out << ", weight_decay=" << weight_decay_;
  out << ")";
  return out.str();
}

template <class T>
void SGD<T>::set_momentum(double momentum) {
  // Without momentum at construction there is no velocity buffer to carry it.
  if (momentum_ == 0.0) Optimizer<T>::set_momentum(momentum);
  check_hyperparameter(momentum > 0.0 && momentum < 1.0, "SGD", "momentum", "(0, 1)", momentum);
  momentum_ = momentum;
}

template <class T>
void SGD<T>::update(Parameter<T>& parameter, std::vector<Tensor<T>>& buffers) {
  const T lr = static_cast<T>(this->learning_rate()), mu = static_cast<T>(momentum_),
          lambda = static_cast<T>(weight_decay_);
  T* w = parameter.value.data();
  const T* grad = parameter.grad.data();
  T* b = momentum_ > 0 ? buffers[0].data() : nullptr;
  // One loop per variant, each without a branch inside: GCC does not vectorise a loop with
  // control flow in it, and the update is memory-bound only once it is vectorised (8 floats a
  // step with AVX2: parallel_for_simd).
  const std::size_t count = parameter.value.size();
  if (!b) {
    parallel_for_simd(
        count, [=](std::size_t begin, std::size_t end) __attribute__((always_inline)) {
          for (std::size_t i = begin; i < end; ++i) w[i] -= lr * (grad[i] + lambda * w[i]);
        });
  } else if (nesterov_) {
    parallel_for_simd(
        count, [=](std::size_t begin, std::size_t end) __attribute__((always_inline)) {
          for (std::size_t i = begin; i < end; ++i) {
            const T g = grad[i] + lambda * w[i];
            b[i] = mu * b[i] + g;
            w[i] -= lr * (g + mu * b[i]);
          }
        });
  } else {
    parallel_for_simd(
        count, [=](std::size_t begin, std::size_t end) __attribute__((always_inline)) {
          for (std::size_t i = begin; i < end; ++i) {
            b[i] = mu * b[i] + (grad[i] + lambda * w[i]);
            w[i] -= lr * b[i];
          }
        });
  }
}

template class SGD<float>;
template class SGD<double>;

}  // namespace gradlab
