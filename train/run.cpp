#include "train/run.h"

#include "framework/kernels/backend.h"
#include "framework/kernels/onednn/context.h"
#include "framework/losses/registry.h"
#include "framework/optim/registry.h"
#include "framework/precision.h"
#include "train/evaluation.h"

namespace gradlab {

std::unique_ptr<WeightEma<float>> make_average(const ExperimentConfig& config,
                                               Sequential<float>& model) {
  if (!config.ema.enabled) return nullptr;
  return std::make_unique<WeightEma<float>>(model, config.ema.decay, config.ema.warmup);
}

Run make_run(const ExperimentConfig& config, const TrainingData& data) {
  Run run;
  run.model = build_experiment_model<float>(config, data.sample_shape(), data.classes());
  run.model->set_backend(parse_backend(config.backend));
  const Precision precision = parse_precision(config.precision);
  // bf16 without bf16 instructions would be oneDNN's emulation, slower than float32: refused.
  if (precision == Precision::bf16 && !onednn::cpu_isa_has_bf16())
    throw ConfigError(
        "precision: \"bf16\" needs a CPU with AVX512_BF16 or AMX; this one has "
        "neither (oneDNN's instruction set here: " +
        onednn::cpu_isa() + "); use \"f32\"");
  run.model->set_precision(precision);
  run.model->set_needs_input_grad(false);  // nobody needs the images' gradient
  run.loss = make_loss<float>(config.loss, &data.train_labels(), data.classes());
  run.optimizer = make_optimizer<float>(config.optimizer_spec, run.model->named_parameters());
  run.schedule = make_schedule(config.schedule_spec, config.optimizer_spec.lr,
                               data.steps_per_epoch(), data.steps_per_epoch() * config.epochs);
  run.average = make_average(config, *run.model);
  run.parameters = run.model->parameters();
  return run;
}

}  // namespace gradlab
