#include "framework/optim/schedule.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "framework/optim/optimizer.h"

namespace gradlab {

StepDecay::StepDecay(std::size_t step_size, double gamma) : step_size_(step_size), gamma_(gamma) {
  check_hyperparameter(step_size >= 1, "StepDecay", "step_size", "[1, inf)",
                       static_cast<double>(step_size));
  check_hyperparameter(gamma > 0.0 && gamma <= 1.0, "StepDecay", "gamma", "(0, 1]", gamma);
}

double StepDecay::factor(std::size_t step) const {
  return std::pow(gamma_, static_cast<double>(step / step_size_));
}

std::string StepDecay::name() const {
  return "step(step_size=" + std::to_string(step_size_) +
         " steps, gamma=" + std::to_string(gamma_) + ")";
}

CosineAnnealing::CosineAnnealing(std::size_t total_steps, double min_factor)
    : total_steps_(total_steps), min_factor_(min_factor) {
  check_hyperparameter(total_steps >= 1, "CosineAnnealing", "total steps", "[1, inf)",
                       static_cast<double>(total_steps));
  check_hyperparameter(min_factor >= 0.0 && min_factor <= 1.0, "CosineAnnealing", "min_factor",
                       "[0, 1]", min_factor);
}

double CosineAnnealing::factor(std::size_t step) const {
  constexpr double pi = 3.14159265358979323846;
  const double progress =
      static_cast<double>(std::min(step, total_steps_)) / static_cast<double>(total_steps_);
  return min_factor_ + (1.0 - min_factor_) * 0.5 * (1.0 + std::cos(pi * progress));
}

std::string CosineAnnealing::name() const {
  return "cosine(T=" + std::to_string(total_steps_) +
         " steps, min_factor=" + std::to_string(min_factor_) + ")";
}

LinearWarmup::LinearWarmup(std::size_t warmup_steps, std::unique_ptr<Schedule> after)
    : warmup_steps_(warmup_steps), after_(std::move(after)) {
  if (!after_) throw std::invalid_argument("LinearWarmup: needs a schedule to continue with");
}

double LinearWarmup::factor(std::size_t step) const {
  if (step < warmup_steps_)
    return static_cast<double>(step + 1) / static_cast<double>(warmup_steps_);
  return after_->factor(step - warmup_steps_);
}

std::string LinearWarmup::name() const {
  return "warmup(" + std::to_string(warmup_steps_) + " steps) then " + after_->name();
}

}  // namespace gradlab
