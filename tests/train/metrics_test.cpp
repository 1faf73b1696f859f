#include "train/metrics.h"

#include "tests/support.h"

using namespace gradlab;

TEST_CASE("Metrics from a confusion matrix worked by hand", "[metrics]") {
  ClassificationMetrics metrics(3);
  // true 0: predicted 0, 0, 1      true 1: predicted 1, 1      true 2: predicted 0, 2, 2, 2
  const int pairs[][2] = {{0, 0}, {0, 0}, {0, 1}, {1, 1}, {1, 1}, {2, 0}, {2, 2}, {2, 2}, {2, 2}};
  for (const auto& pair : pairs) metrics.add_prediction(pair[0], pair[1]);
  CHECK(metrics.accuracy() == Approx(7.0 / 9));
  // precision: class 0: 2 of 3 predicted 0; class 1: 2 of 3; class 2: 3 of 3
  CHECK(metrics.precision() == std::vector<double>{2.0 / 3, 2.0 / 3, 1.0});
  // recall: class 0: 2 of 3; class 1: 2 of 2; class 2: 3 of 4
  CHECK(metrics.recall() == std::vector<double>{2.0 / 3, 1.0, 0.75});
  CHECK(metrics.f1()[1] == Approx(2 * (2.0 / 3) * 1.0 / (2.0 / 3 + 1.0)));
  CHECK(metrics.balanced_accuracy() == Approx((2.0 / 3 + 1.0 + 0.75) / 3));
  CHECK(metrics.confusion()[2][0] == 1);
  CHECK(metrics.to_json()["confusion"][0] == nlohmann::json{2, 1, 0});
}

TEST_CASE("Metrics give 0, not NaN, for classes never predicted or present", "[metrics]") {
  ClassificationMetrics metrics(3);
  metrics.add_prediction(0, 0);
  metrics.add_prediction(1, 0);
  CHECK(metrics.precision() == std::vector<double>{0.5, 0.0, 0.0});
  CHECK(metrics.recall() == std::vector<double>{1.0, 0.0, 0.0});
  CHECK(metrics.f1()[2] == 0.0);
  CHECK_THROWS_AS(metrics.add_prediction(3, 0), std::invalid_argument);
}

TEST_CASE("Batch losses average over samples, not batches", "[metrics]") {
  ClassificationMetrics metrics(2);
  metrics.add(Tensor<float>{{1, 0}, {1, 0}, {1, 0}}, {0, 0, 0}, 1.0);  // 3 samples, mean loss 1
  metrics.add(Tensor<float>{{0, 1}}, {0}, 5.0);                        // 1 sample, loss 5
  CHECK(metrics.loss() == Approx((3 * 1.0 + 5.0) / 4));
  CHECK(metrics.accuracy() == 0.75);
}
