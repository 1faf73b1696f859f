// The training loop: config → data → model → (loader → forward → loss → backward → clip →
// step) per batch → validation, metrics, checkpoints per epoch → test metrics at the end.
// train_experiment reads in one screen; its parts are named helpers: the run's data
// (training_data.h), its folder (run_folder.h), what it shows (progress.h), early stopping
// (early_stopping.h), and in trainer.cpp the step and the final evaluation.
//
// A run folder holds: config.json (the resolved config), split.json (the training and validation
// images by index, TrainingData::split_json), metrics.jsonl (one line per epoch, and every
// log_every_steps steps), checkpoints/last.safetensors and checkpoints/best.safetensors, and
// final_metrics.json. All are written atomically.
//
// Under MPI (mpirun -np N gradlab train), N processes train one model, data-parallel
// (framework/distributed/data_parallel.h): the config's batch_size is the global batch, each
// rank takes a contiguous slice of it (sizes differing by at most one), gradients are combined
// so that the step is the whole batch's, and validation and test metrics are summed over the
// ranks' shards. Rank 0 writes the run folder and the log; every epoch checks that the ranks'
// weights are still bit-identical.
#pragma once

#include <functional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "framework/distributed/communicator.h"
#include "train/config.h"
#include "train/evaluation.h"

namespace gradlab {

struct TrainOptions {
  std::string resume_dir;  // continue the run in this folder from its last checkpoint
  bool progress_bar =
      false;  // redraw a progress line (on a terminal) instead of one line per epoch
  // Stop after this epoch as if interrupted (0 = run to the end): the run can be resumed later,
  // e.g. to split a long run across sessions; the tests use it to simulate a crash.
  std::size_t stop_after_epoch = 0;
  // Write report.html (train/report/report.h) into the run folder when the run ends.
  bool report = true;
  // The processes training together (framework/distributed/communicator.h); null: this one
  // alone. Each takes its slice of every batch; rank 0 alone writes the run folder and the log.
  Communicator* world = nullptr;
};

struct TrainResult {
  std::string run_dir;
  nlohmann::json
      final_metrics;  // {"epochs_run", "best_epoch", "validation": {...}, "test": {...}, ...}
};

// Thrown when a step's loss or gradients are NaN or infinite; the message names the step.
class DivergedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

TrainResult train_experiment(const ExperimentConfig& config, const TrainOptions& options,
                             std::ostream& log);

}  // namespace gradlab
