// Losses by name, from JSON settings, as optimizers are (framework/optim/registry.h), so an
// experiment config can say
//   "loss": {"type": "cross_entropy", "class_weights": "balanced", "label_smoothing": 0.1}
//   "loss": {"type": "focal", "gamma": 2, "alpha": [0.25, 0.75]}
// Adding a loss is one new file plus one entry here.
//
//   type             keys (defaults)
//   "cross_entropy"  class_weights ("balanced" or one per class; none), label_smoothing (0)
//   "focal"          gamma (2), alpha (one weight per class; none)
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "framework/config_reader.h"
#include "framework/losses/classification_loss.h"

namespace gradlab {

const std::vector<std::string>& loss_types();

// A config's loss settings, read and checked once, made into a loss when the data is known.
struct LossSpec {
  std::string type = "cross_entropy";
  std::string class_weights = "none";  // "none", "balanced" or "list"
  std::vector<double> weights;         // with "list": one per class; focal: alpha
  double gamma = 2.0;
  double label_smoothing = 0;  // cross_entropy: ε of SoftmaxCrossEntropy
};
// Errors name the key's path ("loss.class_weights").
LossSpec parse_loss(ConfigObject spec);

// The loss of a spec. "balanced" class weights are computed from train_labels; where no training
// labels are at hand (train_labels null: gradlab gradcheck) they are all 1. Throws ConfigError for
// a weight list of the wrong length, std::invalid_argument for a type not in loss_types().
template <class T>
std::unique_ptr<ClassificationLoss<T>> make_loss(const LossSpec& spec, const Labels* train_labels,
                                                 std::size_t classes);

}  // namespace gradlab
