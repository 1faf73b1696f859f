#include "framework/losses/softmax_cross_entropy.h"

#include <cmath>

#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::testing;

TEST_CASE("Softmax cross-entropy on worked examples", "[cross_entropy]") {
  SoftmaxCrossEntropy<double> loss;
  // Equal logits over 2 classes: p = 1/2, L = log 2; ∂L/∂z = (p − y) / N.
  CHECK(loss.forward(Tensor<double>{{0, 0}}, {0}) == Approx(std::log(2.0)).epsilon(1e-15));
  CHECK_THAT(loss.backward(), Equals(Tensor<double>{{-0.5, 0.5}}));
  // Logits [ln 1, ln 2, ln 3]: p = [1/6, 2/6, 3/6]; label 2 → −log(1/2); label 0 → −log(1/6).
  const Tensor<double> z{{std::log(1.0), std::log(2.0), std::log(3.0)},
                         {std::log(1.0), std::log(2.0), std::log(3.0)}};
  CHECK(loss.forward(z, {2, 0}) == Approx((std::log(2.0) + std::log(6.0)) / 2).epsilon(1e-14));
  const Tensor<double>& g = loss.backward();
  CHECK(g(0, 2) == Approx((0.5 - 1) / 2).epsilon(1e-14));
  CHECK(g(1, 0) == Approx((1.0 / 6 - 1) / 2).epsilon(1e-14));
  CHECK(g(1, 1) == Approx((2.0 / 6) / 2).epsilon(1e-14));
}

TEST_CASE("Softmax cross-entropy is finite for logits of +-1000", "[cross_entropy]") {
  SoftmaxCrossEntropy<double> loss;
  SoftmaxCrossEntropy<float> loss_f;
  // Right with certainty: L = 0. Wrong with certainty: L = 2000 (the logit gap).
  CHECK(loss.forward(Tensor<double>{{1000, -1000}}, {0}) == 0.0);
  CHECK(loss.forward(Tensor<double>{{1000, -1000}}, {1}) == 2000.0);
  CHECK_THAT(loss.backward(), Equals(Tensor<double>{{1, -1}}));
  // L = (1000 − 999) + log(1 + e^−2000 + e^−1), to float precision.
  CHECK(loss_f.forward(Tensor<float>{{1000, -1000, 999}}, {2}) ==
        Approx(1 + std::log1p(std::exp(-1.0))).epsilon(1e-6));
  for (float g : loss_f.backward()) CHECK(std::isfinite(g));
}

TEST_CASE("Softmax cross-entropy rejects bad labels and shapes", "[cross_entropy][errors]") {
  SoftmaxCrossEntropy<double> loss;
  const Tensor<double> z = Tensor<double>::from_shape({2, 3});
  CHECK_THROWS_WITH(loss.forward(z, {0, 3}),
                    "SoftmaxCrossEntropy: label 3 at index 1 is outside [0, 3)");
  CHECK_THROWS_WITH(loss.forward(z, {0, -1}),
                    "SoftmaxCrossEntropy: label -1 at index 1 is outside [0, 3)");
  CHECK_THROWS_WITH(loss.forward(z, {0}),
                    "SoftmaxCrossEntropy: 1 labels for a batch of 2 logits [2, 3]");
  CHECK_THROWS_AS(loss.forward(Tensor<double>::from_shape({2, 3, 1}), {0, 1}), ShapeError);
}

TEST_CASE("gradcheck: softmax cross-entropy", "[gradcheck][cross_entropy]") {
  Rng rng(61);
  struct Case {
    std::size_t N, C;
  };
  for (const Case& c : {Case{1, 2}, Case{1, 10}, Case{5, 3}, Case{8, 10}, Case{3, 1}}) {
    SoftmaxCrossEntropy<double> loss;
    const Tensor<double> logits = random_tensor({c.N, c.C}, rng, -3, 3);
    Labels labels(c.N);
    for (int& y : labels) y = static_cast<int>(rng.below(c.C));
    loss.forward(logits, labels);
    require_gradients_match(
        "SoftmaxCrossEntropy N=" + std::to_string(c.N) + " C=" + std::to_string(c.C),
        check_loss_input(
            logits, [&](const Tensor<double>& z) { return loss.forward(z, labels); },
            loss.backward(), "logits"));
  }
}
