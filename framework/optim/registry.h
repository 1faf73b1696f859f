// Optimizers and schedules by name, from JSON settings, so an experiment config can say
//   "optimizer": {"type": "adam", "lr": 0.001}
//   "schedule":  {"type": "cosine", "warmup_epochs": 1}
// Adding an optimizer is one new file plus one entry here.
//
//   type            keys (defaults)                                       rule
//   "sgd"           lr, momentum (0), nesterov (false), weight_decay (0)  PyTorch's SGD
//   "ema_momentum"  lr, beta (0.9)                                        v ← βv + (1−β)g
//   "adam"          lr (0.001), beta1 (0.9), beta2 (0.999), eps (1e-8),   Adam, L2 decay
//                   weight_decay (0)
//   "adamw"         as adam, weight_decay (0.01)                          decoupled decay
//
//   schedule type   keys (defaults)
//   "constant"      warmup_epochs (0)
//   "step"          step_epochs, gamma (0.1), warmup_epochs (0)
//   "cosine"        min_lr (0), warmup_epochs (0)      annealed over the whole run after warm-up
//   "one_cycle"     pct_start (0.3), div_factor (25), final_div_factor (1e4), cycle_momentum
//                   (true), base_momentum (0.85), max_momentum (0.95): PyTorch's OneCycleLR
//                   over the whole run, peaking at the optimizer's lr (schedule.h)
#pragma once

#include <memory>
#include <vector>

#include "framework/config_reader.h"
#include "framework/optim/optimizer.h"
#include "framework/optim/schedule.h"

namespace gradlab {

const std::vector<std::string>& optimizer_types();

// A config's optimizer settings, read and checked once (every key, with defaults filled in), and
// made into an optimizer for a model's parameters later.
struct OptimizerSpec {
  std::string type;
  double lr = 0, momentum = 0, beta = 0.9, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool nesterov = false;
};
OptimizerSpec parse_optimizer(ConfigObject spec);
template <class T>
std::unique_ptr<Optimizer<T>> make_optimizer(const OptimizerSpec& spec,
                                             std::vector<NamedParameter<T>> parameters);
// Both at once.
template <class T>
std::unique_ptr<Optimizer<T>> make_optimizer(ConfigObject spec,
                                             std::vector<NamedParameter<T>> parameters) {
  return make_optimizer<T>(parse_optimizer(std::move(spec)), std::move(parameters));
}

const std::vector<std::string>& schedule_types();

// A config's schedule settings, read and checked once; base_lr is the optimizer's lr (min_lr
// must not exceed it).
struct ScheduleSpec {
  std::string type, path;  // path: the config key, for errors only the step counts can reveal
  double warmup_epochs = 0, step_epochs = 0, gamma = 0.1, min_lr = 0;
  double pct_start = 0.3, div_factor = 25, final_div_factor = 1e4;  // one_cycle
  bool cycle_momentum = true;
  double base_momentum = 0.85, max_momentum = 0.95;
};
ScheduleSpec parse_schedule(ConfigObject spec, double base_lr);
// Epoch-based settings become step counts through steps_per_epoch; total_steps is the run's
// length.
std::unique_ptr<Schedule> make_schedule(const ScheduleSpec& spec, double base_lr,
                                        std::size_t steps_per_epoch, std::size_t total_steps);
// Both at once.
inline std::unique_ptr<Schedule> make_schedule(ConfigObject spec, double base_lr,
                                               std::size_t steps_per_epoch,
                                               std::size_t total_steps) {
  return make_schedule(parse_schedule(std::move(spec), base_lr), base_lr, steps_per_epoch,
                       total_steps);
}

}  // namespace gradlab
