#include "framework/optim/weight_ema.h"

#include <algorithm>
#include <sstream>

#include "framework/optim/optimizer.h"

namespace gradlab {

template <class T>
WeightEma<T>::WeightEma(Module<T>& model, double decay, double warmup)
    : decay_(decay), warmup_(warmup) {
  check_hyperparameter(decay >= 0.0 && decay < 1.0, "WeightEma", "decay", "[0, 1)", decay);
  check_hyperparameter(warmup >= 1.0, "WeightEma", "warmup", "[1, inf)", warmup);
  for (const NamedParameter<T>& named : model.named_parameters())
    tensors_.push_back({named.name, &named.parameter->value, named.parameter->value});
  for (const NamedBuffer<T>& named : model.named_buffers())
    tensors_.push_back({named.name, named.tensor, *named.tensor});
}

template <class T>
double WeightEma<T>::decay_at(std::size_t t) const {
  const double ramp = static_cast<double>(t) / (warmup_ - 1.0 + static_cast<double>(t));
  return std::min(decay_, ramp);
}

template <class T>
void WeightEma<T>::update() {
  ++updates_;
  const T keep = static_cast<T>(1.0 - decay_at(updates_));  // 1 − d_t
  for (Averaged& tensor : tensors_) {
    T* average = tensor.average.data();
    const T* live = tensor.live->data();
    const std::size_t n = tensor.average.size();
    for (std::size_t i = 0; i < n; ++i) average[i] += keep * (live[i] - average[i]);
  }
}

template <class T>
void WeightEma<T>::swap_with_model() {
  for (Averaged& tensor : tensors_)
    std::swap_ranges(tensor.average.begin(), tensor.average.end(), tensor.live->begin());
}

template <class T>
std::vector<std::pair<std::string, Tensor<T>*>> WeightEma<T>::named_averages() {
  std::vector<std::pair<std::string, Tensor<T>*>> named;
  for (Averaged& tensor : tensors_) named.emplace_back(tensor.name, &tensor.average);
  return named;
}

template <class T>
std::string WeightEma<T>::name() const {
  std::ostringstream text;
  text << "EMA(decay=" << decay_ << ", warmup=" << warmup_ << ")";
  return text.str();
}

template class WeightEma<float>;
template class WeightEma<double>;

}  // namespace gradlab
