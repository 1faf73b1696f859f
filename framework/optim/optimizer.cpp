#include "framework/optim/optimizer.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace gradlab {

void check_hyperparameter(bool ok, const std::string& owner, const std::string& what,
                          const std::string& range, double value) {
  if (ok) return;
  std::ostringstream message;
  message << owner << ": " << what << " must be in " << range << ", got " << value;
  throw std::invalid_argument(message.str());
}

template <class T>
Optimizer<T>::Optimizer(std::vector<NamedParameter<T>> parameters, double learning_rate,
                        std::vector<std::string> buffer_names)
    : parameters_(std::move(parameters)), buffer_names_(std::move(buffer_names)) {
  set_learning_rate(learning_rate);
  for (const NamedParameter<T>& named : parameters_) {
    std::vector<Tensor<T>> buffers;
    for (std::size_t b = 0; b < buffer_names_.size(); ++b) {
      Tensor<T> buffer = Tensor<T>::from_shape(shape_of(named.parameter->value));
      buffer.fill(T(0));
      buffers.push_back(std::move(buffer));
    }
    buffers_.push_back(std::move(buffers));
  }
}

template <class T>
void Optimizer<T>::set_momentum(double /*momentum*/) {
  throw std::logic_error(name() + " has no momentum for a schedule to set");
}

template <class T>
void Optimizer<T>::set_learning_rate(double learning_rate) {
  check_hyperparameter(learning_rate >= 0.0 && std::isfinite(learning_rate), "optimizer", "lr",
                       "[0, inf)", learning_rate);
  learning_rate_ = learning_rate;
}

template <class T>
void Optimizer<T>::step() {
  ++steps_;
  for (std::size_t i = 0; i < parameters_.size(); ++i)
    update(*parameters_[i].parameter, buffers_[i]);
}

template <class T>
void Optimizer<T>::zero_grad() {
  for (const NamedParameter<T>& named : parameters_) named.parameter->grad.fill(T(0));
}

template <class T>
OptimizerState<T> Optimizer<T>::state() const {
  OptimizerState<T> state{steps_, learning_rate_, {}};
  for (std::size_t i = 0; i < parameters_.size(); ++i)
    for (std::size_t b = 0; b < buffer_names_.size(); ++b)
      state.buffers.emplace_back(parameters_[i].name + "." + buffer_names_[b], buffers_[i][b]);
  return state;
}

template <class T>
void Optimizer<T>::load_state(const OptimizerState<T>& state) {
  const std::size_t expected = parameters_.size() * buffer_names_.size();
  if (state.buffers.size() != expected) {
    throw std::invalid_argument(name() + ": optimizer state has " +
                                std::to_string(state.buffers.size()) +
                                " buffers, these parameters need " + std::to_string(expected));
  }
  // Check everything before changing anything, so a bad state leaves the optimizer intact.
  std::size_t k = 0;
  for (std::size_t i = 0; i < parameters_.size(); ++i)
    for (std::size_t b = 0; b < buffer_names_.size(); ++b, ++k) {
      const std::string want = parameters_[i].name + "." + buffer_names_[b];
      const auto& [have, tensor] = state.buffers[k];
      if (have != want)
        throw std::invalid_argument(name() + ": expected state buffer '" + want + "', found '" +
                                    have + "'");
      if (shape_of(tensor) != shape_of(buffers_[i][b])) {
        throw std::invalid_argument(name() + ": state buffer '" + want + "' has shape " +
                                    to_string(shape_of(tensor)) + ", expected " +
                                    to_string(shape_of(buffers_[i][b])));
      }
    }
  k = 0;
  for (auto& buffers : buffers_)
    for (Tensor<T>& buffer : buffers) buffer = state.buffers[k++].second;
  steps_ = state.steps;
  set_learning_rate(state.learning_rate);
}

template <class T>
double clip_grad_norm(const std::vector<Parameter<T>*>& parameters, double max_norm) {
  check_hyperparameter(max_norm > 0.0, "clip_grad_norm", "max_norm", "(0, inf)", max_norm);
  double sum_of_squares = 0;  // accumulated in double: many float terms
  for (const Parameter<T>* p : parameters)
    for (T g : p->grad) sum_of_squares += static_cast<double>(g) * g;
  const double norm = std::sqrt(sum_of_squares);
  if (norm > max_norm) {
    const T scale = static_cast<T>(max_norm / (norm + 1e-6));
    for (Parameter<T>* p : parameters)
      for (T& g : p->grad) g *= scale;
  }
  return norm;
}

template <class T>
void clip_grad_value(const std::vector<Parameter<T>*>& parameters, double clip_value) {
  check_hyperparameter(clip_value > 0.0, "clip_grad_value", "clip_value", "(0, inf)", clip_value);
  const T limit = static_cast<T>(clip_value);
  for (Parameter<T>* p : parameters)
    for (T& g : p->grad) g = std::clamp(g, -limit, limit);
}

template class Optimizer<float>;
template class Optimizer<double>;
template double clip_grad_norm<float>(const std::vector<Parameter<float>*>&, double);
template double clip_grad_norm<double>(const std::vector<Parameter<double>*>&, double);
template void clip_grad_value<float>(const std::vector<Parameter<float>*>&, double);
template void clip_grad_value<double>(const std::vector<Parameter<double>*>&, double);

}  // namespace gradlab
