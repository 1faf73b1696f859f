// Training checkpoints: weights, optimizer state, progress, the modules' RNG states and the
// resolved config, in one safetensors file (train/safetensors.h), written atomically.
//   tensors:   "model.<parameter>", "model.<buffer>" (framework/module.h; named as parameters are,
//              as in PyTorch's state_dict), "optimizer.<parameter>.<buffer>", and for a run that
//              keeps a weight average (framework/optim/weight_ema.h) "ema.<parameter>",
//              "ema.<buffer>"
//   metadata:  format, config (JSON), sample_shape (JSON), epoch, step, best_metric, best_epoch,
//              epochs_without_improvement, initial_loss, optimizer, optimizer_steps,
//              learning_rate, ema_updates, rng.<module>, and the checksums (train/safetensors.h)
#pragma once

#include <functional>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "framework/module.h"
#include "framework/optim/optimizer.h"
#include "framework/optim/weight_ema.h"
#include "train/safetensors.h"

namespace gradlab {

struct TrainingProgress {
  std::size_t epoch = 0;  // completed epochs
  std::size_t step = 0;   // optimizer steps taken
  double best_metric = std::numeric_limits<double>::quiet_NaN();
  std::size_t best_epoch = 0, epochs_without_improvement = 0;
  // The training loss of the run's first step (the untrained model's): the divergence rule's
  // reference (train/divergence.h). NaN until that step; checkpoints before it had none.
  double initial_loss = std::numeric_limits<double>::quiet_NaN();
};

// sample_shape: one input's C × H × W, so tools can check inputs before they reach the model.
// average: the run's weight average, if it keeps one.
void save_checkpoint(const std::string& path, Module<float>& model,
                     const Optimizer<float>* optimizer, const TrainingProgress& progress,
                     const nlohmann::json& config, const Shape& sample_shape,
                     const std::function<void()>& before_rename = {},
                     WeightEma<float>* average = nullptr);

struct Checkpoint {
  std::string path;
  SafetensorsFile file;
  TrainingProgress progress;
  nlohmann::json config;
  Shape sample_shape;
};

// Throws DataError naming the file for anything that is not a gradlab checkpoint.
Checkpoint read_checkpoint(const std::string& path);

// Which weights restore_model copies: those the optimizer trained ("model.*"), or the run's
// weight average ("ema.*") where the checkpoint has one, else the trained ones. The average is
// what a run that keeps one delivers: eval, predict and export use it.
enum class Weights { trained, average_if_kept };
bool has_weight_average(const Checkpoint& checkpoint);

// Copy the checkpoint's weights, buffers and module RNG states into model / its state into
// optimizer / its weight average into average. Missing tensors or shapes that differ are errors
// naming the tensor; nothing is half-restored.
void restore_model(const Checkpoint& checkpoint, Module<float>& model,
                   Weights weights = Weights::trained);
void restore_optimizer(const Checkpoint& checkpoint, Optimizer<float>& optimizer);
void restore_weight_average(const Checkpoint& checkpoint, WeightEma<float>& average);

}  // namespace gradlab
