#include "framework/optim/registry.h"

#include <cmath>

#include "framework/optim/adam.h"
#include "framework/optim/ema_momentum.h"
#include "framework/optim/sgd.h"

namespace gradlab {

const std::vector<std::string>& optimizer_types() {
  static const std::vector<std::string> types{"sgd", "ema_momentum", "adam", "adamw"};
  return types;
}

template <class T>
std::unique_ptr<Optimizer<T>> make_optimizer(ConfigObject spec,
                                             std::vector<NamedParameter<T>> parameters) {
  const std::string type = spec.string("type", std::nullopt, optimizer_types());
  const Range unit{0.0, 1.0, true, false};  // [0, 1)
  std::unique_ptr<Optimizer<T>> optimizer;
  if (type == "sgd") {
    const double lr = spec.number("lr", std::nullopt, at_least(0));
    const double momentum = spec.number("momentum", 0.0, unit);
    const bool nesterov = spec.boolean("nesterov", false);
    const double weight_decay = spec.number("weight_decay", 0.0, at_least(0));
    if (nesterov && momentum == 0.0)
      throw ConfigError(spec.key_path("nesterov") + ": needs momentum > 0");
    optimizer =
        std::make_unique<SGD<T>>(std::move(parameters), lr, momentum, nesterov, weight_decay);
  } else if (type == "ema_momentum") {
    const double lr = spec.number("lr", std::nullopt, at_least(0));
    const double beta = spec.number("beta", 0.9, unit);
    optimizer = std::make_unique<EmaMomentum<T>>(std::move(parameters), lr, beta);
  } else {  // adam, adamw
    const bool decoupled = type == "adamw";
    const double lr = spec.number("lr", 1e-3, at_least(0));
    const double beta1 = spec.number("beta1", 0.9, unit);
    const double beta2 = spec.number("beta2", 0.999, unit);
    const double eps = spec.number("eps", 1e-8, greater_than(0));
    const double weight_decay = spec.number("weight_decay", decoupled ? 0.01 : 0.0, at_least(0));
    optimizer = std::make_unique<Adam<T>>(
        std::move(parameters), lr, beta1, beta2, eps, weight_decay,
        decoupled ? Adam<T>::WeightDecay::decoupled : Adam<T>::WeightDecay::l2);
  }
  spec.finish();
  return optimizer;
}

std::unique_ptr<Schedule> make_schedule(ConfigObject spec, double base_lr,
                                        std::size_t steps_per_epoch, std::size_t total_steps) {
  const std::string type = spec.string("type", std::nullopt, {"constant", "step", "cosine"});
  const double warmup_epochs = spec.number("warmup_epochs", 0.0, at_least(0));
  const auto warmup_steps =
      static_cast<std::size_t>(std::llround(warmup_epochs * static_cast<double>(steps_per_epoch)));
  if (warmup_steps >= total_steps && warmup_steps > 0)
    throw ConfigError(spec.key_path("warmup_epochs") + ": the warm-up is as long as the whole run");
  std::unique_ptr<Schedule> schedule;
  if (type == "constant") {
    schedule = std::make_unique<ConstantSchedule>();
  } else if (type == "step") {
    const double step_epochs = spec.number("step_epochs", std::nullopt, greater_than(0));
    const double gamma = spec.number("gamma", 0.1, {0.0, 1.0, false, true});
    const auto step_size = static_cast<std::size_t>(
        std::max<long long>(1, std::llround(step_epochs * static_cast<double>(steps_per_epoch))));
    schedule = std::make_unique<StepDecay>(step_size, gamma);
  } else {
    const double min_lr = spec.number("min_lr", 0.0, at_least(0));
    if (min_lr > base_lr)
      throw ConfigError(spec.key_path("min_lr") + ": must be <= the optimizer's lr (" +
                        std::to_string(base_lr) + ")");
    schedule = std::make_unique<CosineAnnealing>(total_steps - warmup_steps,
                                                 base_lr > 0 ? min_lr / base_lr : 0.0);
  }
  spec.finish();
  if (warmup_steps > 0)
    schedule = std::make_unique<LinearWarmup>(warmup_steps, std::move(schedule));
  return schedule;
}

template std::unique_ptr<Optimizer<float>> make_optimizer<float>(
    ConfigObject, std::vector<NamedParameter<float>>);
template std::unique_ptr<Optimizer<double>> make_optimizer<double>(
    ConfigObject, std::vector<NamedParameter<double>>);

}  // namespace gradlab
