#include "framework/layers/conv2d.h"

#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::testing;

namespace {
// x = [[1,2,3],[4,5,6],[7,8,9]] as 1 × 1 × 3 × 3, w = [[1,2],[3,4]] as 1 × 1 × 2 × 2.
Tensor<double> worked_input() {
  return Tensor<double>{{{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}}};
}
void set_worked_weights(Conv2d<double>& conv) {
  conv.weight().value = Tensor<double>{{{{1, 2}, {3, 4}}}};
  conv.bias().value = Tensor<double>{0.5};
}
}  // namespace

TEST_CASE("Conv2d forward is cross-correlation (worked example, stride 1, no padding)",
          "[conv2d]") {
  Rng rng(1);
  Conv2d<double> conv(1, 1, 2, rng);
  set_worked_weights(conv);
  // y[0,0] = 1·1 + 2·2 + 3·4 + 4·5 = 37, and so on, plus the bias 0.5.
  CHECK_THAT(conv.forward(worked_input()), Equals(Tensor<double>{{{{37.5, 47.5}, {67.5, 77.5}}}}));
}

TEST_CASE("Conv2d forward with stride 2 and padding 1 (worked example)", "[conv2d]") {
  Rng rng(1);
  Conv2d<double> conv(1, 1, 2, rng, /*stride=*/2, /*padding=*/1);
  set_worked_weights(conv);
  // H_out = floor((3 + 2 − 2) / 2) + 1 = 2. Window (0,0) covers rows −1..0, cols −1..0: only
  // x[0,0]·w[1,1] = 4 is inside. Window (0,1): x[0,1]·w[1,0] + x[0,2]·w[1,1] = 6 + 12 = 18.
  // Window (1,0): x[1,0]·w[0,1] + x[2,0]·w[1,1] = 8 + 28 = 36. Window (1,1): 5 + 12 + 24 + 36 = 77.
  CHECK_THAT(conv.forward(worked_input()), Equals(Tensor<double>{{{{4.5, 18.5}, {36.5, 77.5}}}}));
}

TEST_CASE("Conv2d output size is floor((H + 2p - k)/s) + 1", "[conv2d]") {
  Rng rng(1);
  CHECK(Conv2d<double>(1, 16, 5, rng, 1, 2).output_shape({64, 1, 28, 28}) == Shape{64, 16, 28, 28});
  CHECK(Conv2d<double>(3, 8, 3, rng, 2, 0).output_shape({2, 3, 7, 8}) == Shape{2, 8, 3, 3});
  CHECK(Conv2d<double>(3, 8, 3, rng, 2, 1).output_shape({2, 3, 7, 8}) == Shape{2, 8, 4, 4});
  CHECK(Conv2d<double>(1, 1, 4, rng, 3, 0).output_shape({1, 1, 4, 10}) == Shape{1, 1, 1, 3});
}

TEST_CASE("Conv2d rejects bad shapes with a message naming the layer", "[conv2d][errors]") {
  Rng rng(1);
  Conv2d<double> conv(3, 8, 5, rng);
  CHECK_THROWS_WITH(conv.output_shape({2, 1, 28, 28}),
                    "Conv2d(3 -> 8, kernel_size=5, stride=1, padding=0): expected input of shape "
                    "[N, 3, H, W], got [2, 1, 28, 28]");
  CHECK_THROWS_AS(conv.output_shape({2, 3, 28}), ShapeError);
  CHECK_THROWS_WITH(conv.output_shape({2, 3, 4, 28}),
                    Catch::Matchers::Contains("input [2, 3, 4, 28] is too small") &&
                        Catch::Matchers::Contains("output size would be < 1"));
  CHECK_THROWS_AS(Conv2d<double>(3, 8, 0, rng), std::invalid_argument);
  CHECK_THROWS_AS(Conv2d<double>(3, 8, 3, rng, 0), std::invalid_argument);
}

TEST_CASE("gradcheck: Conv2d", "[gradcheck][conv2d]") {
  struct Case {
    std::size_t N, C_in, H, W, C_out, K, S, P;
  };
  const Case cases[] = {
      {1, 1, 5, 5, 1, 3, 1, 0},  // batch 1, single channel
      {2, 3, 6, 7, 4, 3, 2, 1},  // stride 2, padding 1, non-square
      {1, 2, 5, 4, 3, 2, 1, 2},  // padding 2 > kernel/2
      {3, 1, 7, 5, 2, 5, 2, 2},  // 5×5 kernel, stride 2, padding 2, odd sizes
      {2, 2, 4, 6, 3, 1, 1, 0},  // 1×1 kernel
      {1, 3, 8, 9, 2, 3, 2, 0},  // stride 2, padding 0, windows that do not cover the edge
      {2, 4, 3, 3, 5, 3, 1, 1},  // "same" padding on a tiny image
  };
  for (const Case& c : cases) {
    Rng rng(200 + c.N + 10 * c.C_in + 100 * c.K);
    Conv2d<double> conv(c.C_in, c.C_out, c.K, rng, c.S, c.P);
    for (double& b : conv.bias().value) b = rng.uniform(-1, 1);
    const Tensor<double> x = random_tensor({c.N, c.C_in, c.H, c.W}, rng);
    require_gradients_match(conv.name() + " on " + to_string({c.N, c.C_in, c.H, c.W}),
                            check_module_gradients(conv, x, random_projection_head(5)));
  }
}

TEST_CASE("gradcheck: Conv2d without bias", "[gradcheck][conv2d]") {
  Rng rng(7);
  Conv2d<double> conv(2, 3, 3, rng, 1, 1, Init::xavier_uniform, /*bias=*/false);
  CHECK(conv.named_parameters().size() == 1);
  require_gradients_match(
      conv.name() + " no bias",
      check_module_gradients(conv, random_tensor({2, 2, 5, 5}, rng), random_projection_head(6)));
}
