// Classification metrics from a confusion matrix C[true][predicted]:
//   accuracy           = Σ_c C[c][c] / Σ C
//   precision_c        = C[c][c] / Σ_t C[t][c]      (0 when class c was never predicted)
//   recall_c           = C[c][c] / Σ_p C[c][p]      (0 when class c never occurs)
//   F1_c               = 2 P_c R_c / (P_c + R_c)    (0 when both are 0)
//   balanced accuracy  = mean_c recall_c;   macro-F1 = mean_c F1_c
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "framework/tensor.h"

namespace gradlab {

class ClassificationMetrics {
 public:
  explicit ClassificationMetrics(std::size_t classes);

  // Adds a batch: its logits (N × classes), labels and mean loss.
  void add(const Tensor<float>& logits, const Labels& labels, double mean_loss);
  // Adds one prediction directly.
  void add_prediction(int label, int predicted);

  std::size_t count() const { return count_; }
  double loss() const;
  double accuracy() const;
  std::vector<double> precision() const;
  std::vector<double> recall() const;
  std::vector<double> f1() const;
  double balanced_accuracy() const;
  double macro_f1() const;
  const std::vector<std::vector<std::size_t>>& confusion() const { return confusion_; }

  // Everything added so far as numbers that add up across ranks (counts, loss sums, the
  // confusion matrix), and back: metrics of shards summed element-wise are the whole's.
  std::vector<double> totals() const;
  void set_totals(const std::vector<double>& totals);

  // {"loss", "accuracy", "balanced_accuracy", "macro_f1", "precision": [...], "recall": [...],
  //  "f1": [...], "confusion": [[...]]}
  nlohmann::json to_json() const;
  // The confusion matrix as an aligned table, rows = true class.
  std::string format_confusion() const;

 private:
  std::size_t classes_, count_ = 0;
  double loss_sum_ = 0;
  std::size_t loss_count_ = 0;
  std::vector<std::vector<std::size_t>> confusion_;
};

// Index of the largest value in each row of N × C logits.
std::vector<int> argmax_rows(const Tensor<float>& logits);

}  // namespace gradlab
