// Layer health: every N optimizer steps (config log.layer_stats_every), for each parameter tensor
// θ of the model, named as checkpoints name it ("3.body.0.weight"):
//   norm          ‖θ‖₂ before the step
//   grad_norm     ‖g‖₂ of the gradient the step applies (the ranks' sum, after clipping)
//   update_ratio  ‖θ_after − θ_before‖₂ / ‖θ_before‖₂: how far the step moved the tensor, relative
//                 to its size (about 1e-3 is the usual rule of thumb for a healthy rate; cs231n)
// and, for each layer's output y (each module but Sequential containers, named by its path
// "3.body.1", with its kind "relu"), over the reading step's whole batch:
//   mean, std     of y's values (std over all of them, dividing by their count)
//   zero_fraction the share of values exactly 0: for a ReLU, its units that are off ("dead" for
//                 the batch)
// one line per reading in layer_stats.jsonl: {"step", "epoch", "lr", "layers": [{"name", "norm",
// "grad_norm", "update_ratio"}, ...], "activations": [{"name", "kind", "mean", "std",
// "zero_fraction"}, ...]}, drawn as heat maps (rows × steps) by the run report and gradlab watch.
// The explicit backward passes leave every gradient in place after backward, so a reading costs a
// copy of the weights and three norms per tensor; the outputs are read during the step's forward
// (Module::set_output_observer), one pass over each. Where a fused step runs a layer and its ReLU
// as one kernel, only the ReLU's output exists and is read.
//
// Warnings (each at most once per tensor and kind, so a run's log stays readable):
//   vanishing   ‖g‖ < 1e-8: the tensor no longer learns (a dead layer, a broken chain)
//   exploding   ‖g‖ > 100 × the median of its earlier readings (from the fourth on)
//   update      a weight's update ratio outside [1e-5, 1e-1] while the rate is at least a tenth
//               of the config's: far too small a step (it barely moves) or too large (it jumps).
//               Biases and BatchNorm shifts start at 0, where a ratio means nothing: weights only.
//   dead ReLU   a ReLU with at least 99% of its outputs 0: most of its units no longer pass
//               anything, nor gradients back (a rate too high, a bias pushed far negative).
#pragma once

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "framework/module.h"
#include "framework/parameter.h"

namespace gradlab {

struct LayerStatsRules {
  double vanishing = 1e-8;
  double exploding = 100;  // × the median of the earlier readings
  double min_update = 1e-5, max_update = 1e-1;
  double rate_fraction = 0.1;  // the update rule applies from this fraction of the peak rate on
  double dead = 0.99;          // a ReLU's share of zero outputs from which it is called dead
};

class LayerStats : private OutputObserver<float> {
 public:
  // peak_rate: the config's learning rate (schedules scale it by at most 1).
  LayerStats(std::vector<NamedParameter<float>> parameters, double peak_rate,
             LayerStatsRules rules = {});
  // Observers point at it while a reading's forward runs.
  LayerStats(const LayerStats&) = delete;
  LayerStats& operator=(const LayerStats&) = delete;

  // Reads the outputs of the model's layers too: every module in it but the model itself and
  // Sequential containers, whose output is their last module's.
  void watch_outputs(Module<float>& model);

  // On a reading's step: before_forward() before the model's forward, to read its outputs;
  // before_step() before optimizer.step(), to keep θ and measure ‖θ‖ and ‖g‖; after_step() after
  // it, to measure the update and return the line for layer_stats.jsonl.
  void before_forward();
  void before_step();
  nlohmann::json after_step(std::size_t step, std::size_t epoch, double rate);

  // The warnings of the latest reading not given before, one line each, naming the tensor.
  std::vector<std::string> take_warnings();

  // Time spent in before() and after(), and writing their lines (the caller's add_seconds).
  double seconds() const { return seconds_; }
  void add_seconds(double seconds) { seconds_ += seconds; }
  std::size_t readings() const { return readings_; }

 private:
  void output(Module<float>& module, const float* values, const Shape& shape) override;
  void stop_watching_outputs();

  struct Output {
    std::string name, kind;
    Module<float>* module;
    bool read = false;  // in this reading (a layer whose ReLU runs inside it has no output)
    double mean = 0, std = 0, zero_fraction = 0;
    bool warned_dead = false;
  };
  std::vector<Output> outputs_;
  std::unordered_map<const Module<float>*, std::size_t> output_index_;
  bool watching_ = false;

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
