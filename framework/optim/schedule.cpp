#include "framework/optim/schedule.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "framework/optim/optimizer.h"

namespace gradlab {

namespace {
constexpr double kPi = 3.14159265358979323846;

// From `from` at p = 0 to `to` at p = 1 along half a cosine.
double cos_anneal(double from, double to, double p) {
  return to + (from - to) * 0.5 * (1.0 + std::cos(kPi * p));
}
}  // namespace

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
  const double progress =
      static_cast<double>(std::min(step, total_steps_)) / static_cast<double>(total_steps_);
  return min_factor_ + (1.0 - min_factor_) * 0.5 * (1.0 + std::cos(kPi * progress));
}

std::string CosineAnnealing::name() const {
  return "cosine(T=" + std::to_string(total_steps_) +
         " steps, min_factor=" + std::to_string(min_factor_) + ")";
}

OneCycle::OneCycle(std::size_t total_steps, double pct_start, double div_factor,
                   double final_div_factor, std::optional<Momentum> momentum)
    : total_steps_(total_steps),
      pct_start_(pct_start),
      div_factor_(div_factor),
      final_div_factor_(final_div_factor),
      momentum_(momentum) {
  check_hyperparameter(total_steps >= 2, "OneCycle", "total steps", "[2, inf)",
                       static_cast<double>(total_steps));
  check_hyperparameter(pct_start > 0.0 && pct_start < 1.0, "OneCycle", "pct_start", "(0, 1)",
                       pct_start);
  check_hyperparameter(div_factor >= 1.0, "OneCycle", "div_factor", "[1, inf)", div_factor);
  check_hyperparameter(final_div_factor >= 1.0, "OneCycle", "final_div_factor", "[1, inf)",
                       final_div_factor);
  if (momentum)
    check_hyperparameter(
        momentum->base >= 0.0 && momentum->base <= momentum->max && momentum->max < 1.0, "OneCycle",
        "base_momentum", "[0, max_momentum]", momentum->base);
}

OneCycle::Position OneCycle::position(std::size_t step) const {
  // PyTorch's phase boundaries: the rise ends at step a = pct·T − 1, the fall at T − 1; a step
  // past the end stays there (PyTorch refuses one).
  const double T = static_cast<double>(total_steps_);
  const double t = std::min(static_cast<double>(step), T - 1);
  const double a = pct_start_ * T - 1;
  if (t <= a && a > 0) return {true, t / a};
  const double from = std::max(a, 0.0);
  return {false, (t - from) / (T - 1 - from)};
}

double OneCycle::factor(std::size_t step) const {
  const Position at = position(step);
  const double initial = 1.0 / div_factor_, final = initial / final_div_factor_;
  return at.rising ? cos_anneal(initial, 1.0, at.progress) : cos_anneal(1.0, final, at.progress);
}

std::optional<double> OneCycle::momentum(std::size_t step) const {
  if (!momentum_) return std::nullopt;
  const Position at = position(step);
  return at.rising ? cos_anneal(momentum_->max, momentum_->base, at.progress)
                   : cos_anneal(momentum_->base, momentum_->max, at.progress);
}

std::string OneCycle::name() const {
  std::string text = "one_cycle(T=" + std::to_string(total_steps_) +
                     " steps, pct_start=" + std::to_string(pct_start_) +
                     ", div_factor=" + std::to_string(div_factor_) +
                     ", final_div_factor=" + std::to_string(final_div_factor_);
  if (momentum_)
    text += ", momentum " + std::to_string(momentum_->max) + " -> " +
            std::to_string(momentum_->base) + " -> " + std::to_string(momentum_->max);
  return text + ")";
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
