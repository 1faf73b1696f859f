#include <cmath>

#include "framework/layers/gelu.h"
#include "framework/layers/leaky_relu.h"
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

TEST_CASE("LeakyReLU scales negative inputs by its slope, forward and backward", "[leaky_relu]") {
  LeakyReLU<double> leaky(0.1);
  CHECK(leaky.name() == "LeakyReLU(negative_slope=0.1)");
  CHECK_THAT(leaky.forward(Tensor<double>{-2, 0, 3}), Equals(Tensor<double>{-0.2, 0, 3}));
  // At the kink x = 0 the slope is taken (PyTorch: x > 0 ? 1 : slope).
  CHECK_THAT(leaky.backward(Tensor<double>{5, 5, 5}), Equals(Tensor<double>{0.5, 0.5, 5}));
  CHECK(LeakyReLU<double>().negative_slope() == 0.01);  // PyTorch's default
  CHECK_THROWS_WITH(LeakyReLU<double>(-0.5),
                    Catch::Matchers::StartsWith("LeakyReLU: negative_slope must be finite"));
}

TEST_CASE("gradcheck: LeakyReLU", "[gradcheck][leaky_relu]") {
  Rng rng(14);
  for (const Shape& shape : kShapes) {
    LeakyReLU<double> leaky(0.2);
    const Tensor<double> x = random_tensor_away_from_zero(shape, rng, 0.01);
    require_gradients_match("LeakyReLU " + to_string(shape),
                            check_module_gradients(leaky, x, random_projection_head(4)));
  }
}

TEST_CASE("GELU matches x Φ(x) and PyTorch's tanh approximation", "[gelu]") {
  // Expected values from the closed forms evaluated in Python's math module (erf and tanh), not
  // from this code: x Φ(x) = ½ x (1 + erf(x/√2)); ½ x (1 + tanh(√(2/π)(x + 0.044715 x³))).
  const Tensor<double> x{1.0, -1.0, 0.5, -2.5, 0.0};
  GELU<double> exact;
  const Tensor<double>& y = exact.forward(x);
  CHECK(y(0) == Approx(0.8413447460685429).epsilon(1e-15));
  CHECK(y(1) == Approx(-0.15865525393145707).epsilon(1e-15));
  CHECK(y(2) == Approx(0.34573123063700656).epsilon(1e-15));
  CHECK(y(3) == Approx(-0.015524163314440398).epsilon(1e-14));
  CHECK(y(4) == 0.0);
  GELU<double> approx(GELU<double>::Approximation::tanh);
  CHECK(approx.name() == "GELU(approximate=tanh)");
  const Tensor<double>& t = approx.forward(x);
  CHECK(t(0) == Approx(0.8411919906082768).epsilon(1e-15));
  CHECK(t(1) == Approx(-0.15880800939172324).epsilon(1e-15));
  CHECK(t(2) == Approx(0.34571400982514394).epsilon(1e-15));
  CHECK(t(3) == Approx(-0.015084266089998577).epsilon(1e-14));
  // GELU'(0) = Φ(0) = ½ for both.
  CHECK(exact.backward(Tensor<double>{1, 1, 1, 1, 1})(4) == 0.5);
  CHECK(approx.backward(Tensor<double>{1, 1, 1, 1, 1})(4) == 0.5);
}

TEST_CASE("gradcheck: GELU, exact and tanh", "[gradcheck][gelu]") {
  Rng rng(15);
  for (const auto approximation :
       {GELU<double>::Approximation::none, GELU<double>::Approximation::tanh}) {
    for (const Shape& shape : kShapes) {
      GELU<double> gelu(approximation);
      require_gradients_match(gelu.name() + " " + to_string(shape),
                              check_module_gradients(gelu, random_tensor(shape, rng, -4, 4),
                                                     random_projection_head(5)));
    }
  }
}

TEST_CASE("The new activations agree in float and double", "[leaky_relu][gelu]") {
  Rng rng(16);
  const Tensor<double> x = random_tensor({3, 5, 7}, rng, -5, 5);
  const Tensor<double> dy = random_tensor({3, 5, 7}, rng, -1, 1);
  Tensor<float> x_float = Tensor<float>::from_shape({3, 5, 7}), dy_float = x_float;
  for (std::size_t i = 0; i < x.size(); ++i) {
    x_float.data()[i] = static_cast<float>(x.data()[i]);
    dy_float.data()[i] = static_cast<float>(dy.data()[i]);
  }
  auto agree = [&](Module<double>& in_double, Module<float>& in_float) {
    const Tensor<double>& y = in_double.forward(x);
    const Tensor<float>& y_float = in_float.forward(x_float);
    const Tensor<double>& dx = in_double.backward(dy);
    const Tensor<float>& dx_float = in_float.backward(dy_float);
    for (std::size_t i = 0; i < y.size(); ++i) {
      CHECK(y_float.data()[i] == Approx(y.data()[i]).margin(1e-6).epsilon(1e-5));
      CHECK(dx_float.data()[i] == Approx(dx.data()[i]).margin(1e-6).epsilon(1e-5));
    }
  };
  LeakyReLU<double> leaky_double(0.05);
  LeakyReLU<float> leaky_float(0.05);
  agree(leaky_double, leaky_float);
  GELU<double> gelu_double;
  GELU<float> gelu_float;
  agree(gelu_double, gelu_float);
  GELU<double> tanh_double(GELU<double>::Approximation::tanh);
  GELU<float> tanh_float(GELU<float>::Approximation::tanh);
  agree(tanh_double, tanh_float);
}
