#include "framework/layers/maxpool2d.h"

#include <algorithm>
#include <numeric>

#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::testing;

namespace {
// Distinct values k · 0.01 in random order: any two differ by ≥ 0.01 ≫ h, so no window has a tie
// within the finite-difference step.
Tensor<double> distinct_values(const Shape& shape, Rng& rng) {
  Tensor<double> t = Tensor<double>::from_shape(shape);
  std::vector<double> values(t.size());
  std::iota(values.begin(), values.end(), 0.0);
  for (std::size_t i = values.size(); i-- > 1;) std::swap(values[i], values[rng.below(i + 1)]);
  for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = 0.01 * values[i] - 0.5;
  return t;
}
}  // namespace

TEST_CASE("MaxPool2d forward and backward route through the maximum (worked example)",
          "[maxpool2d]") {
  MaxPool2d<double> pool(2);
  const Tensor<double> x{{{{1, 5, 2, 0}, {3, 4, 8, 1}, {0, 0, 1, 2}, {9, 1, 3, 2}}}};
  CHECK_THAT(pool.forward(x), Equals(Tensor<double>{{{{5, 8}, {9, 3}}}}));
  const Tensor<double>& dx = pool.backward(Tensor<double>{{{{10, 20}, {30, 40}}}});
  CHECK_THAT(dx, Equals(Tensor<double>{{{{0, 10, 0, 0}, {0, 0, 20, 0}, {0, 0, 0, 0}, {30, 0, 40, 0}}}}));
}

TEST_CASE("MaxPool2d sends a tie's gradient to the first maximum", "[maxpool2d]") {
  MaxPool2d<double> pool(2);
  pool.forward(Tensor<double>{{{{7, 7}, {7, 7}}}});
  CHECK_THAT(pool.backward(tensor({1, 1, 1, 1}, {1})), Equals(Tensor<double>{{{{1, 0}, {0, 0}}}}));
}

TEST_CASE("MaxPool2d with overlapping windows accumulates a shared maximum", "[maxpool2d]") {
  MaxPool2d<double> pool(2, 1);
  pool.forward(Tensor<double>{{{{0, 0, 0}, {0, 9, 0}, {0, 0, 0}}}});  // 9 is in all four windows
  CHECK_THAT(pool.backward(Tensor<double>{{{{1, 2}, {3, 4}}}}),
             Equals(Tensor<double>{{{{0, 0, 0}, {0, 10, 0}, {0, 0, 0}}}}));
}

TEST_CASE("MaxPool2d output size and shape errors", "[maxpool2d][errors]") {
  CHECK(MaxPool2d<double>(2).output_shape({64, 16, 28, 28}) == Shape{64, 16, 14, 14});
  CHECK(MaxPool2d<double>(3, 2).output_shape({1, 2, 7, 6}) == Shape{1, 2, 3, 2});
  CHECK(MaxPool2d<double>(2).output_shape({1, 1, 5, 3}) == Shape{1, 1, 2, 1});
  CHECK_THROWS_WITH(MaxPool2d<double>(2).output_shape({64, 784}),
                    "MaxPool2d(kernel_size=2, stride=2): expected input of shape [N, C, H, W], "
                    "got [64, 784]");
  CHECK_THROWS_WITH(MaxPool2d<double>(3).output_shape({1, 1, 2, 8}),
                    Catch::Matchers::Contains("smaller than the 3x3 window"));
}

TEST_CASE("gradcheck: MaxPool2d", "[gradcheck][maxpool2d]") {
  struct Case {
    Shape shape;
    std::size_t K, S;
  };
  const Case cases[] = {{{2, 3, 6, 6}, 2, 2},  // the classic 2×2, stride 2
                        {{1, 2, 7, 5}, 3, 2},  // odd sizes: the last row/column is dropped
                        {{1, 1, 5, 6}, 3, 1},  // overlapping windows
                        {{3, 2, 4, 4}, 4, 4}}; // global pooling
  Rng rng(31);
  for (const Case& c : cases) {
    MaxPool2d<double> pool(c.K, c.S);
    require_gradients_match(pool.name() + " on " + to_string(c.shape),
                            check_module_gradients(pool, distinct_values(c.shape, rng),
                                                   random_projection_head(8)));
  }
}
