#include "train/layer_stats.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "framework/container.h"
#include "framework/parallel.h"

namespace gradlab {

namespace {

double norm_of(const float* x, std::size_t n) {
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  return std::sqrt(sum);
}

std::string format(const char* pattern, double a, double b = 0) {
  char text[160];
  std::snprintf(text, sizeof text, pattern, a, b);
  return text;
}

// Time spent from construction to destruction, added to `total`.
class Timed {
 public:
  explicit Timed(double& total) : total_(total), start_(std::chrono::steady_clock::now()) {}
  ~Timed() {
    total_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  double& total_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

LayerStats::LayerStats(std::vector<NamedParameter<float>> parameters, double peak_rate,
                       LayerStatsRules rules)
    : peak_rate_(peak_rate), rules_(rules) {
  for (NamedParameter<float>& parameter : parameters) {
    tensors_.emplace_back();
    tensors_.back().parameter = parameter;
  }
}

void LayerStats::watch_outputs(Module<float>& model) {
  for (const auto& [path, module] : named_modules(model)) {
    const OpSpec<float> op = module->describe();
    if (path.empty() || op.wiring == Wiring::chain) continue;
    output_index_[module] = outputs_.size();
    outputs_.push_back({path, op.kind.empty() ? module->name() : op.kind, module});
  }
}

void LayerStats::before_forward() {
  for (Output& watched : outputs_) {
    watched.read = false;
    watched.module->set_output_observer(this);
  }
  watching_ = !outputs_.empty();
}

void LayerStats::stop_watching_outputs() {
  if (!watching_) return;
  for (Output& watched : outputs_) watched.module->set_output_observer(nullptr);
  watching_ = false;
}

void LayerStats::output(Module<float>& module, const float* values, const Shape& shape) {
  Timed timed(seconds_);
  Output& watched = outputs_.at(output_index_.at(&module));
  std::size_t n = 1;
  for (std::size_t extent : shape) n *= extent;
  // Σy, Σy², zeros by blocks on both threads, the blocks' sums added in order: the same figures
  // for any thread count. (A ResNet's outputs are tens of millions of values a reading.)
  constexpr std::size_t kBlock = 1 << 14;
  const std::size_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> sums(blocks), squares(blocks);
  std::vector<std::size_t> zero_counts(blocks);
  parallel_for(
      blocks,
      [&](std::size_t first, std::size_t last) {
        for (std::size_t b = first; b < last; ++b) {
          double sum = 0, square = 0;
          std::size_t zeros = 0;
          for (std::size_t i = b * kBlock; i < std::min(n, (b + 1) * kBlock); ++i) {
            const double v = values[i];
            sum += v, square += v * v;
            zeros += values[i] == 0.0f;
          }
          sums[b] = sum, squares[b] = square, zero_counts[b] = zeros;
        }
      },
      kBlock);
  double sum = 0, square_sum = 0;
  std::size_t zeros = 0;
  for (std::size_t b = 0; b < blocks; ++b)
    sum += sums[b], square_sum += squares[b], zeros += zero_counts[b];
  watched.read = true;
  watched.mean = n ? sum / static_cast<double>(n) : 0.0;
  // E[y²] − E[y]², in float64 over float32 values: exact enough for a health reading.
  watched.std = n ? std::sqrt(std::max(
                        0.0, square_sum / static_cast<double>(n) - watched.mean * watched.mean))
                  : 0.0;
  watched.zero_fraction = n ? static_cast<double>(zeros) / static_cast<double>(n) : 0.0;
}

void LayerStats::before_step() {
  stop_watching_outputs();
  Timed timed(seconds_);
  for (Watched& t : tensors_) {
    const Parameter<float>& p = *t.parameter.parameter;
    t.before.assign(p.value.data(), p.value.data() + p.value.size());
    t.norm = norm_of(p.value.data(), p.value.size());
    t.grad_norm = norm_of(p.grad.data(), p.grad.size());
  }
}

nlohmann::json LayerStats::after_step(std::size_t step, std::size_t epoch, double rate) {
  Timed timed(seconds_);
  ++readings_;
  nlohmann::json layers = nlohmann::json::array();
  const bool rate_applies = rate >= rules_.rate_fraction * peak_rate_;
  for (Watched& t : tensors_) {
    const Parameter<float>& p = *t.parameter.parameter;
    double moved = 0;
    for (std::size_t i = 0; i < t.before.size(); ++i) {
      const double d = static_cast<double>(p.value.data()[i]) - t.before[i];
      moved += d * d;
    }
    moved = std::sqrt(moved);
    const double ratio = t.norm > 0 ? moved / t.norm : 0.0;
    layers.push_back({{"name", t.parameter.name},
                      {"norm", t.norm},
                      {"grad_norm", t.grad_norm},
                      {"update_ratio", ratio}});

    const std::string& name = t.parameter.name;
    if (!t.warned_vanishing && t.grad_norm < rules_.vanishing) {
      t.warned_vanishing = true;
      warnings_.push_back(name + ": gradients vanish (" + format("‖g‖ = %.2g", t.grad_norm) +
                          " at step " + std::to_string(step) + "): it no longer learns");
    }
    if (!t.warned_exploding && t.grad_norms.size() >= 3) {
      std::vector<double> earlier = t.grad_norms;
      std::nth_element(earlier.begin(), earlier.begin() + earlier.size() / 2, earlier.end());
      const double median = earlier[earlier.size() / 2];
      if (t.grad_norm > rules_.exploding * median) {
        t.warned_exploding = true;
        warnings_.push_back(name + ": gradients explode (" +
                            format("‖g‖ = %.3g, %.0f× the median of its earlier readings",
                                   t.grad_norm, t.grad_norm / median) +
                            " at step " + std::to_string(step) + ")");
      }
    }
    t.grad_norms.push_back(t.grad_norm);
    const bool is_weight = name.size() >= 6 && name.compare(name.size() - 6, 6, "weight") == 0;
    // (A tensor without gradients does not move: the vanishing warning has said it.)
    if (!t.warned_update && is_weight && rate_applies && t.norm > 0 &&
        t.grad_norm >= rules_.vanishing &&
        (ratio < rules_.min_update || ratio > rules_.max_update)) {
      t.warned_update = true;
      warnings_.push_back(name + ": " + format("update/weight ratio %.2g", ratio) + " at step " +
                          std::to_string(step) + ", outside " +
                          format("[%.0e, %.0e]", rules_.min_update, rules_.max_update) +
                          (ratio < rules_.min_update
                               ? ": it barely moves (rate too low for it?)"
                               : ": each step moves it far (rate too high for it?)"));
    }
  }
  nlohmann::json line{{"step", step}, {"epoch", epoch}, {"lr", rate}, {"layers", layers}};
  if (outputs_.empty()) return line;
  nlohmann::json activations = nlohmann::json::array();
  for (Output& watched : outputs_) {
    if (!watched.read) continue;
    watched.read = false;  // a reading whose forward did not run (an empty slice) reports none
    activations.push_back({{"name", watched.name},
                           {"kind", watched.kind},
                           {"mean", watched.mean},
                           {"std", watched.std},
                           {"zero_fraction", watched.zero_fraction}});
    if (!watched.warned_dead && watched.kind == "relu" && watched.zero_fraction >= rules_.dead) {
      watched.warned_dead = true;
      warnings_.push_back(
          watched.name + ": " +
          format("%.1f%% of the ReLU's outputs are 0", 100 * watched.zero_fraction) + " at step " +
          std::to_string(step) +
          ": most of its units are dead (a rate too high, a bias pushed negative?)");
    }
  }
  line["activations"] = std::move(activations);
  return line;
}

std::vector<std::string> LayerStats::take_warnings() {
  std::vector<std::string> taken;
  taken.swap(warnings_);
  return taken;
}

}  // namespace gradlab
