// Layer health: every N optimizer steps (config log.layer_stats_every), for each parameter tensor
// θ of the model, named as checkpoints name it ("3.body.0.weight"):
//   norm          ‖θ‖₂ before the step
//   grad_norm     ‖g‖₂ of the gradient the step applies (the ranks' sum, after clipping)
//   update_ratio  ‖θ_after − θ_before‖₂ / ‖θ_before‖₂: how far the step moved the tensor, relative
//                 to its size (about 1e-3 is the usual rule of thumb for a healthy rate; cs231n)
// one line per reading in layer_stats.jsonl: {"step", "epoch", "lr", "layers": [{"name", "norm",
// "grad_norm", "update_ratio"}, ...]}, drawn as heat maps (layers × steps) by the run report and
// gradlab watch. The explicit backward passes leave every gradient in place after backward, so a
// reading costs a copy of the weights and three norms per tensor.
//
// Warnings (each at most once per tensor and kind, so a run's log stays readable):
//   vanishing   ‖g‖ < 1e-8: the tensor no longer learns (a dead layer, a broken chain)
//   exploding   ‖g‖ > 100 × the median of its earlier readings (from the fourth on)
//   update      a weight's update ratio outside [1e-5, 1e-1] while the rate is at least a tenth
//               of the config's: far too small a step (it barely moves) or too large (it jumps).
//               Biases and BatchNorm shifts start at 0, where a ratio means nothing: weights only.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "framework/parameter.h"

namespace gradlab {

struct LayerStatsRules {
  double vanishing = 1e-8;
  double exploding = 100;  // × the median of the earlier readings
  double min_update = 1e-5, max_update = 1e-1;
  double rate_fraction = 0.1;  // the update rule applies from this fraction of the peak rate on
};

class LayerStats {
 public:
  // peak_rate: the config's learning rate (schedules scale it by at most 1).
  LayerStats(std::vector<NamedParameter<float>> parameters, double peak_rate,
             LayerStatsRules rules = {});

  // Around optimizer.step() on a reading's step: before() keeps θ and measures ‖θ‖ and ‖g‖;
  // after() measures the update and returns the line for layer_stats.jsonl.
  void before();
  nlohmann::json after(std::size_t step, std::size_t epoch, double rate);

  // The warnings of the latest reading not given before, one line each, naming the tensor.
  std::vector<std::string> take_warnings();

  // Time spent in before() and after(), and writing their lines (the caller's add_seconds).
  double seconds() const { return seconds_; }
  void add_seconds(double seconds) { seconds_ += seconds; }
  std::size_t readings() const { return readings_; }

 private:
  struct Watched {
    NamedParameter<float> parameter;
    std::vector<float> before;
    double norm = 0, grad_norm = 0;
    std::vector<double> grad_norms;  // of the earlier readings
    bool warned_vanishing = false, warned_exploding = false, warned_update = false;
  };
  std::vector<Watched> tensors_;
  double peak_rate_;
  LayerStatsRules rules_;
  std::vector<std::string> warnings_;
  double seconds_ = 0;
  std::size_t readings_ = 0;
};

}  // namespace gradlab
