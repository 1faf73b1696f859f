#include "datasets/weighted_sampler.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "framework/losses/class_weights.h"

namespace gradlab {

WeightedSampler::WeightedSampler(const std::vector<double>& weights) {
  double running = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (!(weights[i] >= 0.0) || !std::isfinite(weights[i])) {
      throw std::invalid_argument("WeightedSampler: weight " + std::to_string(i) +
                                  " must be finite and >= 0, got " + std::to_string(weights[i]));
    }
    cumulative_.push_back(running += weights[i]);
  }
  if (!(running > 0.0)) throw std::invalid_argument("WeightedSampler: the weights sum to 0");
}

std::vector<std::size_t> WeightedSampler::sample(std::size_t count, Rng& rng) const {
  std::vector<std::size_t> indices(count);
  const double total = cumulative_.back();
  for (std::size_t& index : indices) {
    // The first i whose running sum exceeds u·Σw: P(i) = w_i / Σw. Zero weights are never hit.
    const double u = rng.uniform() * total;
    index = static_cast<std::size_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), u) -
                                     cumulative_.begin());
    index = std::min(index, cumulative_.size() - 1);  // guard u·Σw rounding up to Σw
  }
  return indices;
}

std::vector<double> class_balancing_weights(const Labels& labels, std::size_t classes) {
  const std::vector<std::size_t> counts = class_counts(labels, classes);
  std::vector<double> weights(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i)
    weights[i] = 1.0 / static_cast<double>(counts[labels[i]]);
  return weights;
}

}  // namespace gradlab
