// Learning-rate schedules. The rate for the step about to be taken, after t steps, is
//   η(t) = η₀ · factor(t)
//   constant:       factor = 1
//   step decay:     factor = γ^⌊t / step_size⌋
//   cosine:         factor = f_min + (1 − f_min) · (1 + cos(π · min(t, T) / T)) / 2
//                   (Loshchilov & Hutter 2017, without restarts; reaches f_min at t = T)
//   linear warm-up: factor = (t + 1) / W for t < W, then the wrapped schedule at t − W
//   one-cycle:      (Smith & Topin 2018, as PyTorch's OneCycleLR with its cosine annealing) up
//                   from 1/div to 1 over the first pct·T steps, then down to 1/(div · final_div)
//                   at step T − 1:
//                     phase 1, t ≤ a = pct·T − 1:  factor = cos_anneal(1/div, 1, t / a)
//                     phase 2:                     factor = cos_anneal(1, 1/(div·final_div),
//                                                                      (t − a) / (T − 1 − a))
//                   cos_anneal(from, to, p) = to + (from − to)(1 + cos(πp)) / 2. Momentum (SGD's
//                   momentum, Adam's β₁) cycles the other way, max → base → max, when asked.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace gradlab {

class Schedule {
 public:
  virtual ~Schedule() = default;
  virtual double factor(std::size_t step) const = 0;
  // The momentum for the step (SGD's momentum, Adam's β₁), where the schedule sets it; none for
  // the schedules that leave the optimizer's own.
  virtual std::optional<double> momentum(std::size_t /*step*/) const { return std::nullopt; }
  virtual std::string name() const = 0;
};

class ConstantSchedule : public Schedule {
 public:
  double factor(std::size_t) const override { return 1.0; }
  std::string name() const override { return "constant"; }
};

class StepDecay : public Schedule {
 public:
  StepDecay(std::size_t step_size, double gamma);
  double factor(std::size_t step) const override;
  std::string name() const override;

 private:
  std::size_t step_size_;
  double gamma_;
};

class CosineAnnealing : public Schedule {
 public:
  // total_steps = T; min_factor = f_min = η_min / η₀.
  CosineAnnealing(std::size_t total_steps, double min_factor = 0.0);
  double factor(std::size_t step) const override;
  std::string name() const override;

 private:
  std::size_t total_steps_;
  double min_factor_;
};

class OneCycle : public Schedule {
 public:
  struct Momentum {
    double base = 0.85, max = 0.95;  // PyTorch's defaults
  };
  // total_steps = T ≥ 2; 0 < pct_start < 1; div_factor, final_div_factor ≥ 1; momentum: cycled
  // between base and max when given.
  OneCycle(std::size_t total_steps, double pct_start, double div_factor, double final_div_factor,
           std::optional<Momentum> momentum);
  double factor(std::size_t step) const override;
  std::optional<double> momentum(std::size_t step) const override;
  std::string name() const override;

 private:
  // Where step falls: the phase's start and end values' weight, cos_anneal's p.
  struct Position {
    bool rising;
    double progress;
  };
  Position position(std::size_t step) const;
  std::size_t total_steps_;
  double pct_start_, div_factor_, final_div_factor_;
  std::optional<Momentum> momentum_;
};

class LinearWarmup : public Schedule {
 public:
  LinearWarmup(std::size_t warmup_steps, std::unique_ptr<Schedule> after);
  double factor(std::size_t step) const override;
  std::string name() const override;

 private:
  std::size_t warmup_steps_;
  std::unique_ptr<Schedule> after_;
};

}  // namespace gradlab
