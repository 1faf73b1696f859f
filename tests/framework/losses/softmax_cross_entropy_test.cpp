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

TEST_CASE("Label smoothing follows PyTorch's definition, with and without class weights",
          "[cross_entropy][label_smoothing]") {
  // Worked by hand: logits [0, ln 3] give p = [1/4, 3/4]; with ε = 0.2 over C = 2 classes the
  // target of label 0 is q = [0.9, 0.1], so L = 0.9 ln 4 + 0.1 ln(4/3) and ∂L/∂z = p − q.
  SoftmaxCrossEntropy<double> smoothed({}, 0.2);
  const Tensor<double> z{{0, std::log(3.0)}, {0, 0}};
  CHECK(smoothed.forward(Tensor<double>{{0, std::log(3.0)}}, {0}) ==
        Approx(1.2764331322530795).epsilon(1e-14));
  const Tensor<double>& g = smoothed.backward();
  CHECK(g(0, 0) == Approx(-0.65).epsilon(1e-14));
  CHECK(g(0, 1) == Approx(0.65).epsilon(1e-14));

  // Class weights w = [2, 1], samples (z = [0, ln 3], y = 0) and (z = [0, 0], y = 1), W = 3:
  // L = [0.8 (2 ln 4 + ln 2) + 0.1 (2 ln 4 + ln(4/3)) + 0.1 (2 ln 2 + ln 2)] / 3 (the formula in
  // softmax_cross_entropy.h, evaluated by hand); PyTorch 1.13's
  // F.cross_entropy(z, y, weight=w, label_smoothing=0.2) gives the same, to 1e-15.
  SoftmaxCrossEntropy<double> weighted({2, 1}, 0.2);
  CHECK(weighted.forward(z, {0, 1}) == Approx(1.095519985292307).epsilon(1e-14));
  const Tensor<double>& gw = weighted.backward();
  CHECK(gw(0, 0) == Approx(-0.4416666666666667).epsilon(1e-14));
  CHECK(gw(0, 1) == Approx(0.4416666666666667).epsilon(1e-14));
  CHECK(gw(1, 0) == Approx(0.11666666666666668).epsilon(1e-14));
  CHECK(gw(1, 1) == Approx(-0.11666666666666668).epsilon(1e-14));

  // ε = 0 is the plain loss, bit for bit; ε outside [0, 1] is refused.
  SoftmaxCrossEntropy<float> plain, zero({}, 0.0);
  Rng rng(62);
  Tensor<float> logits = Tensor<float>::from_shape({4, 5});
  for (float& v : logits) v = static_cast<float>(rng.uniform(-3, 3));
  CHECK(plain.forward(logits, {0, 4, 2, 2}) == zero.forward(logits, {0, 4, 2, 2}));
  CHECK_THAT(zero.backward(), Equals(plain.backward()));
  CHECK_THROWS_WITH(SoftmaxCrossEntropy<double>({}, 1.5),
                    Catch::Matchers::StartsWith(
                        "SoftmaxCrossEntropy: label_smoothing must be in [0, 1], got 1.5"));
}

TEST_CASE("gradcheck: softmax cross-entropy with label smoothing and class weights",
          "[gradcheck][cross_entropy][label_smoothing]") {
  Rng rng(63);
  for (const double eps : {0.1, 0.5, 1.0}) {
    for (const bool weighted : {false, true}) {
      const std::size_t N = 6, C = 4;
      std::vector<double> weights;
      if (weighted) weights = {0.5, 2.0, 1.0, 3.0};
      SoftmaxCrossEntropy<double> loss(weights, eps);
      const Tensor<double> logits = random_tensor({N, C}, rng, -3, 3);
      Labels labels(N);
      for (int& y : labels) y = static_cast<int>(rng.below(C));
      loss.forward(logits, labels);
      require_gradients_match(
          "SoftmaxCrossEntropy label_smoothing=" + std::to_string(eps).substr(0, 3) +
              (weighted ? " weighted" : ""),
          check_loss_input(
              logits, [&](const Tensor<double>& z) { return loss.forward(z, labels); },
              loss.backward(), "logits"));
    }
  }
}
