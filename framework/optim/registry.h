// Optimizers and schedules by name, from JSON settings, so an experiment config can say
//   "optimizer": {"type": "adam", "lr": 0.001}
//   "schedule":  {"type": "cosine", "warmup_epochs": 1}
// Adding an optimizer is one new file plus one entry here.
//
//   type            keys (defaults)                                         rule
//   "sgd"           lr, momentum (0), nesterov (false), weight_decay (0)    PyTorch SGD (heavy
//   ball) "ema_momentum"  lr, beta (0.9)                                          v ← βv + (1−β)g
//   "adam"          lr (0.001), beta1 (0.9), beta2 (0.999), eps (1e-8),     Adam, L2 decay
//                   weight_decay (0)
//   "adamw"         as adam, weight_decay (0.01)                            decoupled decay
//
//   schedule type   keys (defaults)
//   "constant"      warmup_epochs (0)
//   "step"          step_epochs, gamma (0.1), warmup_epochs (0)
//   "cosine"        min_lr (0), warmup_epochs (0)      annealed over the whole run after warm-up
#pragma once

#include <memory>
#include <vector>

#include "framework/config_reader.h"
#include "framework/optim/optimizer.h"
#include "framework/optim/schedule.h"

namespace gradlab {

const std::vector<std::string>& optimizer_types();

template <class T>
std::unique_ptr<Optimizer<T>> make_optimizer(ConfigObject spec,
                                             std::vector<NamedParameter<T>> parameters);

// Epoch-based settings become step counts through steps_per_epoch; total_steps is the run's length.
// base_lr is the optimizer's lr (for min_lr).
std::unique_ptr<Schedule> make_schedule(ConfigObject spec, double base_lr,
                                        std::size_t steps_per_epoch, std::size_t total_steps);

}  // namespace gradlab
