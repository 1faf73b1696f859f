// Class weights for imbalanced data.
//   balanced (scikit-learn's "balanced", the heuristic of King & Zeng 2001):
//     w_c = N / (K · n_c)
//   so every class carries the same total weight N/K, whatever its count n_c.
#pragma once

#include <cstddef>
#include <vector>

#include "framework/tensor.h"

namespace gradlab {

// How many labels fall in each of `classes` classes; throws if a label is outside [0, classes).
std::vector<std::size_t> class_counts(const Labels& labels, std::size_t classes);

// Throws std::invalid_argument naming the class if any class has no samples.
std::vector<double> balanced_class_weights(const Labels& labels, std::size_t classes);

}  // namespace gradlab
