// The divergence rule (config "divergence", train/config.h): a run stops — exit code 3, naming the
// step — when its training loss averaged over `steps` consecutive steps exceeds `factor` times the
// loss of its very first step, the untrained model's (for 10 balanced classes about ln 10 = 2.3, so
// by default an average above 23). A healthy run stays below its starting loss; one whose
// learning rate is far too high climbs orders of magnitude above it (1e33 with lr 1e6) without
// ever reaching NaN, which alone used to stop a run. factor 0 turns the rule off; a NaN or
// infinite loss or gradient stops a run regardless (train/trainer.cpp).
//
// The rule is checked after each window and at each epoch's end, before the epoch's checkpoint is
// written, so weights from a diverged epoch never replace the last good checkpoint. The reference
// loss is kept in checkpoints, so a resumed run is held to its original start.
#pragma once

#include <cmath>
#include <cstdio>
#include <string>

#include "train/checkpoint.h"

namespace gradlab {

class DivergenceGuard {
 public:
  DivergenceGuard(double factor, std::size_t steps) : factor_(factor), steps_(steps) {}

  // After each step with its loss: records the reference on the run's first step; returns a
  // description of the divergence when a full window exceeds the limit, else "".
  std::string add(double loss, std::size_t step, TrainingProgress& progress) {
    if (std::isnan(progress.initial_loss)) progress.initial_loss = loss;
    if (window_count_ == 0) window_first_ = step;
    window_sum_ += loss;
    ++window_count_;
    return window_count_ == steps_ ? close_window(step, progress) : "";
  }
  // At an epoch's end, before its checkpoint: the window so far, however short.
  std::string check_partial(std::size_t step, const TrainingProgress& progress) {
    return window_count_ > 0 ? close_window(step, progress) : "";
  }

 private:
  std::string close_window(std::size_t step, const TrainingProgress& progress) {
    const double mean = window_sum_ / static_cast<double>(window_count_);
    const std::size_t first = window_first_;
    window_sum_ = 0;
    window_count_ = 0;
    // The reference floored at 1e-3, so a loss that starts near zero does not make every later
    // fluctuation a divergence.
    const double limit = factor_ * std::max(progress.initial_loss, 1e-3);
    if (factor_ <= 0 || !(mean > limit)) return "";
    char text[200];
    std::snprintf(text, sizeof text,
                  "the training loss averaged over steps %zu-%zu is %.4g, more than %g times the "
                  "first step's %.4g (divergence.factor)",
                  first, step, mean, factor_, progress.initial_loss);
    return text;
  }

  double factor_;
  std::size_t steps_;
  double window_sum_ = 0;
  std::size_t window_count_ = 0, window_first_ = 0;
};

}  // namespace gradlab
