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
  CHECK_THAT(
      dx, Equals(Tensor<double>{{{{0, 10, 0, 0}, {0, 0, 20, 0}, {0, 0, 0, 0}, {30, 0, 40, 0}}}}));
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

TEST_CASE("MaxPool2d matches a brute-force loop on tie-heavy inputs, every window shape",
          "[maxpool2d]") {
  // Values from {0, 1, 2}: most windows hold ties, so the first-maximum rule is exercised at
  // every position of the window, in the 2×2 fast path and in the general one; odd sizes leave
  // rows and columns no window covers (their gradient is 0).
  Rng rng(5);
  struct Case {
    std::size_t K, S, H, W;
  };
  for (const Case& c : {Case{2, 2, 6, 8}, Case{2, 2, 5, 7}, Case{3, 2, 7, 6}, Case{2, 1, 4, 5},
                        Case{3, 3, 9, 10}}) {
    INFO("K=" << c.K << " S=" << c.S << " H=" << c.H << " W=" << c.W);
    Tensor<float> x = Tensor<float>::from_shape({2, 3, c.H, c.W});
    for (float& v : x) v = static_cast<float>(rng.below(3));
    MaxPool2d<float> pool(c.K, c.S);
    const Tensor<float> y = pool.forward(x);
    Tensor<float> dy = Tensor<float>::from_shape(shape_of(y));
    for (float& v : dy) v = static_cast<float>(rng.below(100) + 1);
    const Tensor<float> dx = pool.backward(dy);
    Tensor<float> expected_y = Tensor<float>::from_shape(shape_of(y)),
                  expected_dx = xt::zeros<float>(shape_of(x));
    for (std::size_t n = 0; n < 2; ++n)
      for (std::size_t ch = 0; ch < 3; ++ch)
        for (std::size_t i = 0; i < y.shape(2); ++i)
          for (std::size_t j = 0; j < y.shape(3); ++j) {
            std::size_t best_u = 0, best_v = 0;
            for (std::size_t u = 0; u < c.K; ++u)
              for (std::size_t v = 0; v < c.K; ++v)
                if (x(n, ch, i * c.S + u, j * c.S + v) >
                    x(n, ch, i * c.S + best_u, j * c.S + best_v))
                  best_u = u, best_v = v;
            expected_y(n, ch, i, j) = x(n, ch, i * c.S + best_u, j * c.S + best_v);
            expected_dx(n, ch, i * c.S + best_u, j * c.S + best_v) += dy(n, ch, i, j);
          }
    CHECK_THAT(y, Equals(expected_y));
    CHECK_THAT(dx, Equals(expected_dx));
  }
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
  const Case cases[] = {{{2, 3, 6, 6}, 2, 2},   // the classic 2×2, stride 2
                        {{1, 2, 7, 5}, 3, 2},   // odd sizes: the last row/column is dropped
                        {{1, 1, 5, 6}, 3, 1},   // overlapping windows
                        {{3, 2, 4, 4}, 4, 4}};  // global pooling
  Rng rng(31);
  for (const Case& c : cases) {
    MaxPool2d<double> pool(c.K, c.S);
    require_gradients_match(
        pool.name() + " on " + to_string(c.shape),
        check_module_gradients(pool, distinct_values(c.shape, rng), random_projection_head(8)));
  }
}
