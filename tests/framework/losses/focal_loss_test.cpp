#include "framework/losses/focal_loss.h"

#include <cmath>

#include "framework/losses/softmax_cross_entropy.h"
#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::testing;

TEST_CASE("Focal loss on worked examples", "[focal]") {
  // z = [0, 0], y = 0: p = 1/2, L = −(1 − 1/2)² log(1/2) = log(2) / 4.
  FocalLoss<double> focal(2.0);
  CHECK(focal.forward(Tensor<double>{{0, 0}}, {0}) == Approx(std::log(2.0) / 4).epsilon(1e-15));
  // ∂L/∂z_c = (p_c − [c = y]) [(1 − p)^γ − γ p (1 − p)^(γ−1) log p]
  //         = (p_c − [c = y]) [1/4 − 2 · 1/2 · 1/2 · log(1/2)] = (p_c − [c = y]) (1/4 + log(2)/2)
  const double factor = 0.25 + std::log(2.0) / 2;
  CHECK(focal.backward()(0, 0) == Approx(-0.5 * factor).epsilon(1e-15));
  CHECK(focal.backward()(0, 1) == Approx(0.5 * factor).epsilon(1e-15));
  // α per class multiplies the sample's loss: α_0 = 0.25.
  FocalLoss<double> weighted(2.0, {0.25, 1.0});
  CHECK(weighted.forward(Tensor<double>{{0, 0}}, {0}) ==
        Approx(0.25 * std::log(2.0) / 4).epsilon(1e-15));
}

TEST_CASE("Focal loss with gamma 0 is cross-entropy", "[focal]") {
  Rng rng(3);
  const Tensor<double> z = testing::random_tensor({4, 5}, rng, -3, 3);
  const Labels y{0, 4, 2, 2};
  FocalLoss<double> focal(0.0);
  SoftmaxCrossEntropy<double> cross_entropy;
  CHECK(focal.forward(z, y) == Approx(cross_entropy.forward(z, y)).epsilon(1e-14));
  for (std::size_t i = 0; i < z.size(); ++i)
    CHECK(focal.backward().data()[i] ==
          Approx(cross_entropy.backward().data()[i]).epsilon(1e-14).margin(1e-16));
}

TEST_CASE("Focal loss is finite at a certain prediction and at +-1000", "[focal]") {
  FocalLoss<double> focal(0.5);  // γ < 1: (1 − p)^(γ−1) would be infinite at p = 1
  CHECK(focal.forward(Tensor<double>{{1000, -1000}}, {0}) == 0.0);
  for (double g : focal.backward()) CHECK(std::isfinite(g));
  CHECK(focal.forward(Tensor<double>{{1000, -1000}}, {1}) == Approx(2000.0));
  for (double g : focal.backward()) CHECK(std::isfinite(g));
  CHECK_THROWS_AS(FocalLoss<double>(-1.0), std::invalid_argument);
  CHECK_THROWS_WITH(FocalLoss<double>(2.0, {1.0}).forward(Tensor<double>{{0, 0}}, {0}),
                    "FocalLoss: 1 alpha weights for logits of 2 classes");
}

TEST_CASE("gradcheck: focal loss", "[gradcheck][focal]") {
  Rng rng(71);
  struct Case {
    double gamma;
    std::vector<double> alpha;
    std::size_t N, C;
  };
  const Case cases[] = {{0.0, {}, 3, 4},
                        {0.5, {}, 1, 3},
                        {2.0, {}, 5, 10},
                        {2.0, {0.25, 0.75, 1.0}, 6, 3},
                        {5.0, {}, 4, 2}};
  for (const Case& c : cases) {
    FocalLoss<double> focal(c.gamma, c.alpha);
    const Tensor<double> logits = random_tensor({c.N, c.C}, rng, -3, 3);
    Labels labels(c.N);
    for (int& y : labels) y = static_cast<int>(rng.below(c.C));
    focal.forward(logits, labels);
    require_gradients_match(
        "FocalLoss gamma=" + std::to_string(c.gamma) + (c.alpha.empty() ? "" : " with alpha") +
            " N=" + std::to_string(c.N),
        check_loss_input(
            logits, [&](const Tensor<double>& z) { return focal.forward(z, labels); },
            focal.backward(), "logits"));
  }
}
