// The interface of losses on logits and integer class labels (softmax cross-entropy, and the
// weighted and focal variants that class-imbalance handling adds), so a trainer can take any.
#pragma once

#include <string>
#include <vector>

#include "framework/tensor.h"

namespace gradlab {

template <class T>
class ClassificationLoss {
 public:
  virtual ~ClassificationLoss() = default;
  virtual std::string name() const = 0;
  // logits: N × C, labels: N values in [0, C). Returns the scalar loss.
  virtual T forward(const Tensor<T>& logits, const Labels& labels) = 0;
  // ∂L/∂logits (N × C) for the last forward.
  virtual const Tensor<T>& backward() const = 0;
  // What forward's mean divides by for these labels: their count, or the sum of their class
  // weights. Data-parallel training weighs each rank's gradient by its share of the batch's
  // (framework/distributed/data_parallel.h).
  virtual double normalizer(const Labels& labels) const {
    return static_cast<double>(labels.size());
  }
};

// Throws ShapeError / std::invalid_argument naming `loss_name` if logits is not N × C with N ≥ 1,
// C ≥ 1, or labels has not N entries each in [0, C).
template <class T>
void check_logits_and_labels(const std::string& loss_name, const Tensor<T>& logits,
                             const Labels& labels);

// Throws std::invalid_argument naming `loss_name` unless every weight is finite and ≥ 0.
void check_class_weights(const std::string& loss_name, const std::vector<double>& weights);

}  // namespace gradlab
