#include "framework/losses/class_weights.h"

#include <stdexcept>
#include <string>

namespace gradlab {

std::vector<std::size_t> class_counts(const Labels& labels, std::size_t classes) {
  std::vector<std::size_t> counts(classes, 0);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || static_cast<std::size_t>(labels[i]) >= classes) {
      throw std::invalid_argument("class_counts: label " + std::to_string(labels[i]) +
                                  " at index " + std::to_string(i) + " is outside [0, " +
                                  std::to_string(classes) + ")");
    }
    ++counts[labels[i]];
  }
  return counts;
}

std::vector<double> balanced_class_weights(const Labels& labels, std::size_t classes) {
  const std::vector<std::size_t> counts = class_counts(labels, classes);
  std::vector<double> weights(classes);
  for (std::size_t c = 0; c < classes; ++c) {
    if (counts[c] == 0) {
      throw std::invalid_argument("balanced class weights: class " + std::to_string(c) +
                                  " has no samples (N / (K * n_c) is undefined)");
    }
    weights[c] = static_cast<double>(labels.size()) / (static_cast<double>(classes) * counts[c]);
  }
  return weights;
}

}  // namespace gradlab
