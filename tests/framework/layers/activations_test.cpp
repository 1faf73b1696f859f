#include <cmath>

#include "framework/layers/relu.h"
#include "framework/layers/sigmoid.h"
#include "framework/layers/tanh.h"
#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::testing;

// Shapes of several ranks, batch 1 and odd sizes included.
static const Shape kShapes[] = {{1, 1}, {3, 7}, {2, 3, 5, 4}, {1, 2, 3, 1}};

TEST_CASE("ReLU forward and its subgradient at 0", "[relu]") {
  ReLU<double> relu;
  CHECK_THAT(relu.forward(Tensor<double>{-2, 0, 3}), Equals(Tensor<double>{0, 0, 3}));
  CHECK_THAT(relu.backward(Tensor<double>{5, 5, 5}), Equals(Tensor<double>{0, 0, 5}));
}

TEST_CASE("gradcheck: ReLU", "[gradcheck][relu]") {
  Rng rng(11);
  for (const Shape& shape : kShapes) {
    ReLU<double> relu;
    // |x| ≥ 0.01 ≫ h = 1e-5: no input sits on the kink.
    const Tensor<double> x = random_tensor_away_from_zero(shape, rng, 0.01);
    require_gradients_match("ReLU " + to_string(shape),
                            check_module_gradients(relu, x, random_projection_head(1)));
  }
}

TEST_CASE("Sigmoid forward matches 1/(1+e^-x) and stays finite at ±1000", "[sigmoid]") {
  Sigmoid<double> sigmoid;
  const Tensor<double>& y = sigmoid.forward(Tensor<double>{0, 2, -2, 1000, -1000});
  CHECK(y(0) == 0.5);
  CHECK(y(1) == Approx(1 / (1 + std::exp(-2.0))).epsilon(1e-15));
  CHECK(y(2) == Approx(1 / (1 + std::exp(2.0))).epsilon(1e-15));  // σ(−x) = 1/(1 + e^x)
  CHECK(y(3) == 1.0);
  CHECK(y(4) == 0.0);
  CHECK(std::isfinite(y(4)));
}

TEST_CASE("gradcheck: Sigmoid", "[gradcheck][sigmoid]") {
  Rng rng(12);
  for (const Shape& shape : kShapes) {
    Sigmoid<double> sigmoid;
    require_gradients_match("Sigmoid " + to_string(shape),
                            check_module_gradients(sigmoid, random_tensor(shape, rng, -4, 4),
                                                   random_projection_head(2)));
  }
}

TEST_CASE("Tanh forward matches std::tanh", "[tanh]") {
  Tanh<double> tanh_layer;
  const Tensor<double>& y = tanh_layer.forward(Tensor<double>{0, 0.5, -3});
  CHECK(y(0) == 0.0);
  CHECK(y(1) == Approx(0.46211715726000974).epsilon(1e-15));
  CHECK(y(2) == Approx(-0.99505475368673046).epsilon(1e-15));
}

TEST_CASE("gradcheck: Tanh", "[gradcheck][tanh]") {
  Rng rng(13);
  for (const Shape& shape : kShapes) {
    Tanh<double> tanh_layer;
    require_gradients_match("Tanh " + to_string(shape),
                            check_module_gradients(tanh_layer, random_tensor(shape, rng, -3, 3),
                                                   random_projection_head(3)));
  }
}
