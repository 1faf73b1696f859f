#include "train/metrics.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace gradlab {

std::vector<int> argmax_rows(const Tensor<float>& logits) {
  const std::size_t N = logits.shape(0), C = logits.shape(1);
  std::vector<int> predicted(N);
  for (std::size_t n = 0; n < N; ++n) {
    const float* row = logits.data() + n * C;
    predicted[n] = static_cast<int>(std::max_element(row, row + C) - row);
  }
  return predicted;
}

ClassificationMetrics::ClassificationMetrics(std::size_t classes)
    : classes_(classes), confusion_(classes, std::vector<std::size_t>(classes, 0)) {}

void ClassificationMetrics::add_prediction(int label, int predicted) {
  if (label < 0 || predicted < 0 || static_cast<std::size_t>(label) >= classes_ ||
      static_cast<std::size_t>(predicted) >= classes_)
    throw std::invalid_argument("ClassificationMetrics: class index outside [0, " +
                                std::to_string(classes_) + ")");
  ++confusion_[label][predicted];
  ++count_;
}

void ClassificationMetrics::add(const Tensor<float>& logits, const Labels& labels,
                                double mean_loss) {
  const std::vector<int> predicted = argmax_rows(logits);
  for (std::size_t n = 0; n < labels.size(); ++n) add_prediction(labels[n], predicted[n]);
  loss_sum_ +=
      mean_loss * static_cast<double>(labels.size());  // the mean over samples, across batches
  loss_count_ += labels.size();
}

std::vector<double> ClassificationMetrics::totals() const {
  std::vector<double> totals{static_cast<double>(count_), loss_sum_,
                             static_cast<double>(loss_count_)};
  for (const auto& row : confusion_)
    for (std::size_t cell : row) totals.push_back(static_cast<double>(cell));
  return totals;
}

void ClassificationMetrics::set_totals(const std::vector<double>& totals) {
  if (totals.size() != 3 + classes_ * classes_)
    throw std::invalid_argument("ClassificationMetrics: totals of another number of classes");
  count_ = static_cast<std::size_t>(totals[0]);
  loss_sum_ = totals[1];
  loss_count_ = static_cast<std::size_t>(totals[2]);
  std::size_t at = 3;
  for (auto& row : confusion_)
    for (std::size_t& cell : row) cell = static_cast<std::size_t>(totals[at++]);
}

double ClassificationMetrics::loss() const {
  return loss_count_ ? loss_sum_ / static_cast<double>(loss_count_) : 0.0;
}

double ClassificationMetrics::accuracy() const {
  std::size_t correct = 0;
  for (std::size_t c = 0; c < classes_; ++c) correct += confusion_[c][c];
  return count_ ? static_cast<double>(correct) / static_cast<double>(count_) : 0.0;
}

std::vector<double> ClassificationMetrics::precision() const {
  std::vector<double> result(classes_, 0.0);
  for (std::size_t c = 0; c < classes_; ++c) {
    std::size_t predicted = 0;
    for (std::size_t t = 0; t < classes_; ++t) predicted += confusion_[t][c];
    if (predicted)
      result[c] = static_cast<double>(confusion_[c][c]) / static_cast<double>(predicted);
  }
  return result;
}

std::vector<double> ClassificationMetrics::recall() const {
  std::vector<double> result(classes_, 0.0);
  for (std::size_t c = 0; c < classes_; ++c) {
    std::size_t actual = 0;
    for (std::size_t p = 0; p < classes_; ++p) actual += confusion_[c][p];
    if (actual) result[c] = static_cast<double>(confusion_[c][c]) / static_cast<double>(actual);
  }
  return result;
}

std::vector<double> ClassificationMetrics::f1() const {
  const std::vector<double> p = precision(), r = recall();
  std::vector<double> result(classes_, 0.0);
  for (std::size_t c = 0; c < classes_; ++c)
    if (p[c] + r[c] > 0) result[c] = 2 * p[c] * r[c] / (p[c] + r[c]);
  return result;
}

namespace {
double mean(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values) sum += v;
  return values.empty() ? 0.0 : sum / static_cast<double>(values.size());
}
}  // namespace

double ClassificationMetrics::balanced_accuracy() const {
  return mean(recall());
}
double ClassificationMetrics::macro_f1() const {
  return mean(f1());
}

nlohmann::json ClassificationMetrics::to_json() const {
  return {{"count", count_},        {"loss", loss()},
          {"accuracy", accuracy()}, {"balanced_accuracy", balanced_accuracy()},
          {"macro_f1", macro_f1()}, {"precision", precision()},
          {"recall", recall()},     {"f1", f1()},
          {"confusion", confusion_}};
}

std::string ClassificationMetrics::format_confusion() const {
  std::string text = "true\\pred";
  char cell[32];
  for (std::size_t p = 0; p < classes_; ++p) {
    std::snprintf(cell, sizeof cell, "%7zu", p);
    text += cell;
  }
  text += "\n";
  for (std::size_t t = 0; t < classes_; ++t) {
    std::snprintf(cell, sizeof cell, "%9zu", t);
    text += cell;
    for (std::size_t p = 0; p < classes_; ++p) {
      std::snprintf(cell, sizeof cell, "%7zu", confusion_[t][p]);
      text += cell;
    }
    text += "\n";
  }
  return text;
}

}  // namespace gradlab
