// Early stopping on a validation metric (config: early_stopping.metric, .patience): the best
// value so far, its epoch, and the epochs since, kept in TrainingProgress so a checkpoint carries
// them into a resumed run.
#pragma once

#include <cmath>
#include <string>

#include "train/checkpoint.h"
#include "train/metrics.h"

namespace gradlab {

class EarlyStopping {
 public:
  EarlyStopping(std::string metric, std::size_t patience)
      : metric_(std::move(metric)), patience_(patience) {}

  // Records an epoch's validation metrics; true when they improve on the best so far.
  bool update(const ClassificationMetrics& validation, std::size_t epoch,
              TrainingProgress& progress) const {
    const double value = value_of(validation);
    const bool improved =
        std::isnan(progress.best_metric) ||
        (metric_ == "val_loss" ? value < progress.best_metric : value > progress.best_metric);
    if (improved) {
      progress.best_metric = value;
      progress.best_epoch = epoch;
      progress.epochs_without_improvement = 0;
    } else {
      ++progress.epochs_without_improvement;
    }
    return improved;
  }
  // Patience is spent (never with patience 0: off).
  bool should_stop(const TrainingProgress& progress) const {
    return patience_ && progress.epochs_without_improvement >= patience_;
  }
  const std::string& metric() const { return metric_; }
  std::size_t patience() const { return patience_; }

 private:
  double value_of(const ClassificationMetrics& m) const {
    if (metric_ == "val_loss") return m.loss();
    if (metric_ == "val_macro_f1") return m.macro_f1();
    if (metric_ == "val_balanced_accuracy") return m.balanced_accuracy();
    return m.accuracy();
  }
  std::string metric_;
  std::size_t patience_;
};

}  // namespace gradlab
