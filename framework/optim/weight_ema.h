// An exponential moving average of a model's weights: Polyak averaging with exponential weights
// (Polyak & Juditsky 1992), as TensorFlow's ExponentialMovingAverage and timm's ModelEma keep it.
// After the optimizer's t-th step (t = 1, 2, ...), with θ the weights it left:
//   d_t = min(decay, t / (warmup − 1 + t))      (TensorFlow's num_updates rule, t counted from 1)
//   θ̄_t = d_t θ̄_{t−1} + (1 − d_t) θ_t,          θ̄_0 = the weights before the first step
// warmup = 1 turns the ramp off (d_t = decay from the first step). With warmup W > 1, d_1 = 1/W
// and θ̄ spans roughly the last (W − 1 + t)/(W − 1) steps until d_t reaches decay, then about
// 1 / (1 − decay): early averages are not dragged back to the random initial weights.
// BatchNorm's running statistics (the model's buffers) are averaged by the same rule, as timm
// averages the whole state: they then describe activations of weights near θ̄.
//
// The average is computed in T as θ̄ ← θ̄ + (1 − d)(θ − θ̄), which keeps the rounding of each
// update to one ulp of θ̄ (tested against a float64 recurrence).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "framework/module.h"

namespace gradlab {

template <class T>
class WeightEma {
 public:
  // Starts the average at the model's weights and buffers now. The model must outlive it.
  WeightEma(Module<T>& model, double decay, double warmup);

  // After each optimizer step: one term of the average.
  void update();
  // The d_t the t-th update uses.
  double decay_at(std::size_t t) const;

  // Exchanges the model's weights and buffers with the averages, element by element (the tensors
  // keep their storage, which kernels may have planned around). Twice restores both.
  void swap_with_model();

  // The averages by the model's names ("3.weight", "4.running_mean"), for checkpoints.
  std::vector<std::pair<std::string, Tensor<T>*>> named_averages();
  std::size_t updates() const { return updates_; }
  void set_updates(std::size_t updates) { updates_ = updates; }
  double decay() const { return decay_; }
  double warmup() const { return warmup_; }
  std::string name() const;  // "EMA(decay=0.999, warmup=10)"

 private:
  struct Averaged {
    std::string name;
    Tensor<T>* live;  // the model's tensor
    Tensor<T> average;
  };
  std::vector<Averaged> tensors_;
  double decay_, warmup_;
  std::size_t updates_ = 0;
};

}  // namespace gradlab
