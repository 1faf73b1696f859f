// What a run is made of, from its config: the model (its backend and precision set), loss,
// optimizer, schedule and weight average, for the trainer (train/trainer.h) and the learning-rate
// range test (train/lr_find.h).
#pragma once

#include <memory>
#include <vector>

#include "framework/losses/classification_loss.h"
#include "framework/optim/optimizer.h"
#include "framework/optim/schedule.h"
#include "framework/optim/weight_ema.h"
#include "framework/sequential.h"
#include "train/config.h"
#include "train/training_data.h"

namespace gradlab {

struct Run {
  std::unique_ptr<Sequential<float>> model;
  std::unique_ptr<ClassificationLoss<float>> loss;
  std::unique_ptr<Optimizer<float>> optimizer;
  std::unique_ptr<Schedule> schedule;
  std::unique_ptr<WeightEma<float>> average;  // config "ema": the weight average, if kept
  std::vector<Parameter<float>*> parameters;  // the model's, for the checks and the clipping
};

// Throws ConfigError for what only the data or the machine reveal (the model's shapes; bf16 on a
// CPU without it).
Run make_run(const ExperimentConfig& config, const TrainingData& data);

// The config's weight average of the model's weights now; null without "ema".
std::unique_ptr<WeightEma<float>> make_average(const ExperimentConfig& config,
                                               Sequential<float>& model);

}  // namespace gradlab
