#include "framework/losses/class_weights.h"

#include <cmath>

#include "framework/losses/softmax_cross_entropy.h"
#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::testing;

TEST_CASE("Balanced class weights are N / (K n_c)", "[class_weights]") {
  // 3 of class 0, 1 of class 1: w0 = 4 / (2·3), w1 = 4 / (2·1).
  const std::vector<double> weights = balanced_class_weights({0, 0, 1, 0}, 2);
  CHECK(weights[0] == Approx(2.0 / 3).epsilon(1e-15));
  CHECK(weights[1] == 2.0);
  CHECK_THROWS_WITH(balanced_class_weights({0, 0}, 3),
                    "balanced class weights: class 1 has no samples (N / (K * n_c) is undefined)");
  CHECK_THROWS_AS(class_counts({0, 3}, 3), std::invalid_argument);
}

TEST_CASE("Weighted cross-entropy normalises by the sum of weights, as PyTorch",
          "[class_weights][cross_entropy]") {
  SoftmaxCrossEntropy<double> loss({1.0, 3.0});
  // Row 0: z = [0, 0], y = 0 → ℓ = log 2. Row 1: z = [log 3, 0], y = 1 → p = [3/4, 1/4], ℓ = log 4.
  // L = (1·log 2 + 3·log 4) / (1 + 3) = 7 log(2) / 4.
  const Tensor<double> z{{0, 0}, {std::log(3.0), 0}};
  CHECK(loss.forward(z, {0, 1}) == Approx(7 * std::log(2.0) / 4).epsilon(1e-15));
  // ∂L/∂z_n = w_{y_n} (p_n − onehot) / 4: row 0 → [−1/8, 1/8], row 1 → 3/4 · [3/4, −3/4].
  const Tensor<double>& g = loss.backward();
  CHECK(g(0, 0) == Approx(-0.125).epsilon(1e-15));
  CHECK(g(0, 1) == Approx(0.125).epsilon(1e-15));
  CHECK(g(1, 0) == Approx(9.0 / 16).epsilon(1e-15));
  CHECK(g(1, 1) == Approx(-9.0 / 16).epsilon(1e-15));
}

TEST_CASE("Weighted cross-entropy rejects bad weights", "[class_weights][errors]") {
  CHECK_THROWS_WITH(SoftmaxCrossEntropy<double>({1.0, -2.0}),
                    "SoftmaxCrossEntropy: class weight 1 must be finite and >= 0, got -2.000000");
  SoftmaxCrossEntropy<double> three({1, 1, 1});
  CHECK_THROWS_WITH(three.forward(Tensor<double>{{0, 0}}, {0}),
                    "SoftmaxCrossEntropy: 3 class weights for logits of 2 classes");
  SoftmaxCrossEntropy<double> zero({0, 1});
  CHECK_THROWS_WITH(zero.forward(Tensor<double>{{0, 0}}, {0}),
                    "SoftmaxCrossEntropy: the class weights of this batch's labels sum to 0");
}

TEST_CASE("gradcheck: weighted softmax cross-entropy", "[gradcheck][class_weights]") {
  Rng rng(81);
  const std::vector<double> weights{0.2, 1.0, 5.0, 2.5};
  for (std::size_t N : {1, 3, 9}) {
    SoftmaxCrossEntropy<double> loss(weights);
    const Tensor<double> logits = random_tensor({N, 4}, rng, -3, 3);
    Labels labels(N);
    for (int& y : labels) y = static_cast<int>(rng.below(4));
    loss.forward(logits, labels);
    require_gradients_match(
        "SoftmaxCrossEntropy weighted N=" + std::to_string(N),
        check_loss_input(
            logits, [&](const Tensor<double>& z) { return loss.forward(z, labels); },
            loss.backward(), "logits"));
  }
}
