#include "framework/layers/linear.h"

#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::testing;

TEST_CASE("Linear forward computes XW + b on a worked example", "[linear]") {
  Rng rng(1);
  Linear<double> layer(3, 2, rng);
  layer.weight().value = Tensor<double>{{1, 2}, {3, 4}, {5, 6}};
  layer.bias().value = Tensor<double>{10, 20};
  const Tensor<double> x{{1, 0, -1}, {2, 1, 0}};
  const Tensor<double>& y = layer.forward(x);
  // Row 0: [1·1 + 0·3 − 1·5, 1·2 + 0·4 − 1·6] + b = [−4, −4] + [10, 20]
  // Row 1: [2·1 + 1·3 + 0·5, 2·2 + 1·4 + 0·6] + b = [5, 8] + [10, 20]
  CHECK_THAT(y, Equals(Tensor<double>{{6, 16}, {15, 28}}));
}

TEST_CASE("Linear backward accumulates into dW and db", "[linear]") {
  Rng rng(1);
  Linear<double> layer(2, 1, rng);
  layer.weight().value = tensor({2, 1}, {3, -1});
  const Tensor<double> x{{1, 2}};
  layer.forward(x);
  const Tensor<double>& dx = layer.backward(tensor({1, 1}, {1}));
  CHECK_THAT(dx, Equals(Tensor<double>{{3, -1}}));  // dY Wᵀ
  layer.backward(tensor({1, 1}, {1}));              // a second backward adds the same again
  CHECK_THAT(layer.weight().grad, Equals(tensor({2, 1}, {2, 4})));  // 2 × Xᵀ dY
  CHECK_THAT(layer.bias().grad, Equals(tensor({1}, {2})));
}

TEST_CASE("gradcheck: Linear", "[gradcheck][linear]") {
  struct Case {
    std::size_t N, D_in, D_out;
    bool bias;
  };
  const Case cases[] = {
      {1, 1, 1, true}, {1, 5, 3, true}, {3, 5, 4, true}, {7, 3, 11, true}, {4, 6, 2, false}};
  for (const Case& c : cases) {
    Rng rng(100 + c.N * 10 + c.D_in);
    Linear<double> layer(c.D_in, c.D_out, rng, Init::xavier_normal, c.bias);
    for (double& b : layer.bias().value) b = rng.uniform(-1, 1);
    const Tensor<double> x = random_tensor({c.N, c.D_in}, rng);
    require_gradients_match(layer.name() + " N=" + std::to_string(c.N) + (c.bias ? "" : " no bias"),
                            check_module_gradients(layer, x, random_projection_head(7)));
  }
}

TEST_CASE("Linear rejects inputs of the wrong shape, naming layer and shapes", "[linear][errors]") {
  Rng rng(1);
  Linear<double> layer(784, 256, rng);
  CHECK_THROWS_WITH(layer.forward(Tensor<double>::from_shape({64, 100})),
                    "Linear(784 -> 256): expected input of shape [N, 784], got [64, 100]");
  CHECK_THROWS_AS(layer.forward(Tensor<double>::from_shape({64, 1, 28, 28})), ShapeError);
  CHECK_THROWS_WITH(layer.backward(Tensor<double>::from_shape({1, 256})),
                    "Linear(784 -> 256): backward called before forward");
  layer.forward(Tensor<double>::from_shape({2, 784}));
  CHECK_THROWS_WITH(layer.backward(Tensor<double>::from_shape({3, 256})),
                    "Linear(784 -> 256): expected grad_output of shape [2, 256] (the output's), "
                    "got [3, 256]");
}

TEST_CASE("Linear without input gradient skips dX but still computes dW", "[linear]") {
  Rng rng(3);
  Linear<double> layer(4, 2, rng);
  layer.set_needs_input_grad(false);
  layer.forward(random_tensor({3, 4}, rng));
  const Tensor<double>& dx = layer.backward(random_tensor({3, 2}, rng));
  CHECK(dx.size() == 0);
  double grad_norm = 0;
  for (double g : layer.weight().grad) grad_norm += g * g;
  CHECK(grad_norm > 0);
}
