#include "framework/optim/registry.h"

#include <cmath>
#include <stdexcept>

#include "framework/config_reader.h"
#include "framework/optim/adam.h"
#include "framework/optim/ema_momentum.h"
#include "framework/optim/sgd.h"

namespace gradlab {

const std::vector<std::string>& optimizer_types() {
  static const std::vector<std::string> types{"sgd", "ema_momentum", "adam", "adamw"};
  return types;
}

OptimizerSpec parse_optimizer(ConfigObject spec) {
  OptimizerSpec o;
  o.type = spec.string("type", std::nullopt, optimizer_types());
  const Range unit{0.0, 1.0, true, false};  // [0, 1)
  if (o.type == "sgd") {
    o.lr = spec.number("lr", std::nullopt, at_least(0));
    o.momentum = spec.number("momentum", 0.0, unit);
    o.nesterov = spec.boolean("nesterov", false);
    o.weight_decay = spec.number("weight_decay", 0.0, at_least(0));
    if (o.nesterov && o.momentum == 0.0)
      throw ConfigError(spec.key_path("nesterov") + ": needs momentum > 0");
  } else if (o.type == "ema_momentum") {
    o.lr = spec.number("lr", std::nullopt, at_least(0));
    o.beta = spec.number("beta", 0.9, unit);
  } else if (o.type == "adam" || o.type == "adamw") {
    o.lr = spec.number("lr", 1e-3, at_least(0));
    o.beta1 = spec.number("beta1", 0.9, unit);
    o.beta2 = spec.number("beta2", 0.999, unit);
    o.eps = spec.number("eps", 1e-8, greater_than(0));
    o.weight_decay = spec.number("weight_decay", o.type == "adamw" ? 0.01 : 0.0, at_least(0));
  } else {  // a name in optimizer_types() without its keys here: no silent fallback
    throw std::logic_error(spec.key_path("type") + ": \"" + o.type + "\" has no keys to read");
  }
  spec.finish();
  return o;
}

template <class T>
std::unique_ptr<Optimizer<T>> make_optimizer(const OptimizerSpec& o,
                                             std::vector<NamedParameter<T>> parameters) {
  if (o.type == "sgd")
    return std::make_unique<SGD<T>>(std::move(parameters), o.lr, o.momentum, o.nesterov,
                                    o.weight_decay);
  if (o.type == "ema_momentum")
    return std::make_unique<EmaMomentum<T>>(std::move(parameters), o.lr, o.beta);
  if (o.type == "adam" || o.type == "adamw")
    return std::make_unique<Adam<T>>(
        std::move(parameters), o.lr, o.beta1, o.beta2, o.eps, o.weight_decay,
        o.type == "adamw" ? Adam<T>::WeightDecay::decoupled : Adam<T>::WeightDecay::l2);
  throw std::invalid_argument("make_optimizer: unknown optimizer type \"" + o.type +
                              "\" (valid: " + join_names(optimizer_types()) + ")");
}

const std::vector<std::string>& schedule_types() {
  static const std::vector<std::string> types{"constant", "step", "cosine", "one_cycle"};
  return types;
}

ScheduleSpec parse_schedule(ConfigObject spec, double base_lr) {
  ScheduleSpec s;
  s.path = spec.path();
  s.type = spec.string("type", std::nullopt, schedule_types());
  if (s.type == "one_cycle") {
    if (spec.has("warmup_epochs"))
      throw ConfigError(spec.key_path("warmup_epochs") +
                        ": one_cycle warms up by itself, over pct_start of the run");
    const Range open_unit{0.0, 1.0, false, false};
    s.pct_start = spec.number("pct_start", 0.3, open_unit);
    s.div_factor = spec.number("div_factor", 25.0, at_least(1));
    s.final_div_factor = spec.number("final_div_factor", 1e4, at_least(1));
    s.cycle_momentum = spec.boolean("cycle_momentum", true);
    s.base_momentum = spec.number("base_momentum", 0.85, {0.0, 1.0, true, false});
    s.max_momentum = spec.number("max_momentum", 0.95, {0.0, 1.0, true, false});
    if (s.base_momentum > s.max_momentum)
      throw ConfigError(spec.key_path("base_momentum") + ": must be <= max_momentum (" +
                        std::to_string(s.max_momentum) + ")");
  } else {
    s.warmup_epochs = spec.number("warmup_epochs", 0.0, at_least(0));
  }
  if (s.type == "step") {
    s.step_epochs = spec.number("step_epochs", std::nullopt, greater_than(0));
    s.gamma = spec.number("gamma", 0.1, {0.0, 1.0, false, true});
  } else if (s.type == "cosine") {
    s.min_lr = spec.number("min_lr", 0.0, at_least(0));
    if (s.min_lr > base_lr)
      throw ConfigError(spec.key_path("min_lr") + ": must be <= the optimizer's lr (" +
                        std::to_string(base_lr) + ")");
  }
  spec.finish();
  return s;
}

std::unique_ptr<Schedule> make_schedule(const ScheduleSpec& s, double base_lr,
                                        std::size_t steps_per_epoch, std::size_t total_steps) {
  const auto warmup_steps = static_cast<std::size_t>(
      std::llround(s.warmup_epochs * static_cast<double>(steps_per_epoch)));
  if (warmup_steps >= total_steps && warmup_steps > 0)
    throw ConfigError(s.path + ".warmup_epochs: the warm-up is as long as the whole run");
  std::unique_ptr<Schedule> schedule;
  if (s.type == "constant") {
    schedule = std::make_unique<ConstantSchedule>();
  } else if (s.type == "step") {
    const auto step_size = static_cast<std::size_t>(
        std::max<long long>(1, std::llround(s.step_epochs * static_cast<double>(steps_per_epoch))));
    schedule = std::make_unique<StepDecay>(step_size, s.gamma);
  } else if (s.type == "cosine") {
    schedule = std::make_unique<CosineAnnealing>(total_steps - warmup_steps,
                                                 base_lr > 0 ? s.min_lr / base_lr : 0.0);
  } else if (s.type == "one_cycle") {
    if (total_steps < 2) throw ConfigError(s.path + ": one_cycle needs a run of at least 2 steps");
    schedule = std::make_unique<OneCycle>(
        total_steps, s.pct_start, s.div_factor, s.final_div_factor,
        s.cycle_momentum ? std::optional<OneCycle::Momentum>({s.base_momentum, s.max_momentum})
                         : std::nullopt);
  } else {  // a spec built in code: no silent fallback
    throw std::invalid_argument("make_schedule: unknown schedule type \"" + s.type +
                                "\" (valid: " + join_names(schedule_types()) + ")");
  }
  if (warmup_steps > 0)
    schedule = std::make_unique<LinearWarmup>(warmup_steps, std::move(schedule));
  return schedule;
}

template std::unique_ptr<Optimizer<float>> make_optimizer<float>(
    const OptimizerSpec&, std::vector<NamedParameter<float>>);
template std::unique_ptr<Optimizer<double>> make_optimizer<double>(
    const OptimizerSpec&, std::vector<NamedParameter<double>>);

}  // namespace gradlab
