// The learning-rate range test (Smith 2017, "Cyclical learning rates", §3.3; fastai's lr_find):
// train from the config's initial weights for `steps` steps, the rate growing exponentially
//   η_t = η_start · (η_end / η_start)^(t / (steps − 1)),    t = 0 … steps − 1,
// and record each step's training loss. The losses are smoothed as fastai smooths them, an
// exponential average with bias correction,
//   s_t = β s_{t−1} + (1 − β) ℓ_t,   ŝ_t = s_t / (1 − β^{t+1}),   β = 0.98,
// and the test stops early once ŝ_t exceeds `stop_factor` × the lowest ŝ so far (the loss has
// blown up; later rates say nothing more), or a loss is not finite.
//
// The suggestion, by the rule stated with it: the steepest descent, the rate where ŝ falls
// fastest per unit of log η (fastai's lr_steep), the first tenth of the steps skipped. Reported
// beside it, fastai's two other rules: the rate at the lowest ŝ divided by 10 (lr_min; Smith's
// "one order of magnitude below the minimum") and the valley (halfway along the longest run of
// falling ŝ, fastai's default since 2.5). Why steepest: on the two shipped recipes measured it
// lands nearest the rate the recipe was tuned to (docs/decisions.md, "Time to accuracy").
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/config.h"

namespace gradlab {

struct LrFindOptions {
  std::size_t steps = 100;
  double start = 1e-7, end = 10;
  double stop_factor = 4;
};

struct LrSuggestion {
  double suggested = 0;  // = steepest
  double steepest = 0;   // the rate where the smoothed loss falls fastest per unit of log rate
  double minimum = 0;    // the rate at the lowest smoothed loss (its tenth: lr_min)
  double valley = 0;     // halfway along the longest falling run of the smoothed loss
};

// fastai's smoothing of the losses (above), one loss at a time: add(loss) returns ŝ_t.
class LossSmoother {
 public:
  explicit LossSmoother(double beta = 0.98) : beta_(beta) {}
  double add(double loss) {
    average_ = beta_ * average_ + (1 - beta_) * loss;
    weight_ *= beta_;  // β^{t+1} after step t
    return average_ / (1 - weight_);
  }

 private:
  double beta_, average_ = 0, weight_ = 1;
};
// ŝ for each step of a whole list.
std::vector<double> smooth_losses(const std::vector<double>& losses, double beta = 0.98);

// The suggestion for rates and their smoothed losses (at least 2 points).
LrSuggestion suggest_learning_rate(const std::vector<double>& rates,
                                   const std::vector<double>& smoothed);

// The test on the config's data and model; logs one line per tenth of the steps. The result:
// {"rates", "losses", "smoothed", "stopped_early", "suggestion": {...}, "rule", "config"}.
nlohmann::json lr_range_test(const ExperimentConfig& config, const LrFindOptions& options,
                             std::ostream& log);

// Into `folder` (made if missing): lr_find.json (the result), lr_find.html (the loss against the
// rate on a log axis, the suggestion marked; one file, no scripts), and, with gnuplot,
// lr_find.png and the lr_find-figures.gp that draws it. Says on log what it wrote.
void write_lr_find(const std::string& folder, const nlohmann::json& result, std::ostream& log);

}  // namespace gradlab
