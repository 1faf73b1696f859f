#include "train/layer_stats.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

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

void LayerStats::before() {
  Timed timed(seconds_);
  for (Watched& t : tensors_) {
    const Parameter<float>& p = *t.parameter.parameter;
    t.before.assign(p.value.data(), p.value.data() + p.value.size());
    t.norm = norm_of(p.value.data(), p.value.size());
    t.grad_norm = norm_of(p.grad.data(), p.grad.size());
  }
}

nlohmann::json LayerStats::after(std::size_t step, std::size_t epoch, double rate) {
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
  return {{"step", step}, {"epoch", epoch}, {"lr", rate}, {"layers", layers}};
}

std::vector<std::string> LayerStats::take_warnings() {
  std::vector<std::string> taken;
  taken.swap(warnings_);
  return taken;
}

}  // namespace gradlab
