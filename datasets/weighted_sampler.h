// Weighted random sampling with replacement (PyTorch's WeightedRandomSampler): index i is drawn
// with probability w_i / Σ w. With w_i = 1 / n_{y_i} every class is drawn equally often, which
// oversamples the rare classes.
#pragma once

#include <vector>

#include "framework/random.h"
#include "framework/tensor.h"

namespace gradlab {

class WeightedSampler {
 public:
  // Throws std::invalid_argument if a weight is negative or not finite, or all are 0.
  explicit WeightedSampler(const std::vector<double>& weights);

  // `count` indices in [0, weights.size()), drawn independently with replacement.
  std::vector<std::size_t> sample(std::size_t count, Rng& rng) const;

 private:
  std::vector<double> cumulative_;  // running sums of the weights
};

// w_i = 1 / n_{y_i}: equal total probability for every class present.
std::vector<double> class_balancing_weights(const Labels& labels, std::size_t classes);

}  // namespace gradlab
