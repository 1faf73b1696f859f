#include "framework/losses/registry.h"

#include <stdexcept>

#include "framework/losses/class_weights.h"
#include "framework/losses/focal_loss.h"
#include "framework/losses/softmax_cross_entropy.h"

namespace gradlab {

const std::vector<std::string>& loss_types() {
  static const std::vector<std::string> types{"cross_entropy", "focal"};
  return types;
}

LossSpec parse_loss(ConfigObject spec) {
  LossSpec l;
  l.type = spec.string("type", "cross_entropy", loss_types());
  if (l.type == "cross_entropy") {
    if (spec.has("class_weights")) {
      const nlohmann::json& weights = spec.json("class_weights");
      if (weights.is_string()) {
        if (weights != "balanced")
          throw ConfigError(spec.key_path("class_weights") +
                            ": expected \"balanced\" or a list of weights, got " + weights.dump());
        l.class_weights = "balanced";
      } else {
        l.class_weights = "list";
        l.weights = spec.number_list("class_weights", at_least(0));
      }
    }
    l.label_smoothing = spec.number("label_smoothing", 0.0, {0.0, 1.0});
  } else if (l.type == "focal") {
    l.gamma = spec.number("gamma", 2.0, at_least(0));
    if (spec.has("alpha")) l.weights = spec.number_list("alpha", at_least(0));
  } else {  // a name in loss_types() without its keys here: no silent fallback
    throw std::logic_error(spec.key_path("type") + ": \"" + l.type + "\" has no keys to read");
  }
  spec.finish();
  return l;
}

template <class T>
std::unique_ptr<ClassificationLoss<T>> make_loss(const LossSpec& spec, const Labels* train_labels,
                                                 std::size_t classes) {
  if (spec.type == "focal") return std::make_unique<FocalLoss<T>>(spec.gamma, spec.weights);
  if (spec.type != "cross_entropy")
    throw std::invalid_argument("make_loss: unknown loss type \"" + spec.type +
                                "\" (valid: cross_entropy, focal)");
  std::vector<double> weights;
  if (spec.class_weights == "balanced" && train_labels)
    weights = balanced_class_weights(*train_labels, classes);
  if (spec.class_weights == "list") {
    if (spec.weights.size() != classes) {
      throw ConfigError("loss.class_weights: expected " + std::to_string(classes) +
                        " weights (one per class), got " + std::to_string(spec.weights.size()));
    }
    weights = spec.weights;
  }
  return std::make_unique<SoftmaxCrossEntropy<T>>(weights, spec.label_smoothing);
}

template std::unique_ptr<ClassificationLoss<float>> make_loss<float>(const LossSpec&, const Labels*,
                                                                     std::size_t);
template std::unique_ptr<ClassificationLoss<double>> make_loss<double>(const LossSpec&,
                                                                       const Labels*, std::size_t);

}  // namespace gradlab
