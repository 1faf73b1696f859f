// Learning-rate schedules. The rate for the step about to be taken, after t steps, is
//   η(t) = η₀ · factor(t)
//   constant:       factor = 1
//   step decay:     factor = γ^⌊t / step_size⌋
//   cosine:         factor = f_min + (1 − f_min) · (1 + cos(π · min(t, T) / T)) / 2
//                   (Loshchilov & Hutter 2017, without restarts; reaches f_min at t = T)
//   linear warm-up: factor = (t + 1) / W for t < W, then the wrapped schedule at t − W
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace gradlab {

class Schedule {
 public:
  virtual ~Schedule() = default;
  virtual double factor(std::size_t step) const = 0;
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
