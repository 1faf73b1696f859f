#include "framework/layers/avgpool2d.h"

#include "framework/layers/global_avgpool2d.h"
#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::testing;

TEST_CASE("AvgPool2d averages each window and shares the gradient equally (worked example)",
          "[avgpool2d]") {
  AvgPool2d<double> pool(2);
  const Tensor<double> x{{{{1, 5, 2, 0}, {3, 4, 8, 1}, {0, 0, 1, 2}, {9, 1, 3, 2}}}};
  CHECK_THAT(pool.forward(x), Equals(Tensor<double>{{{{3.25, 2.75}, {2.5, 2}}}}));
  CHECK_THAT(pool.backward(Tensor<double>{{{{4, 8}, {12, 16}}}}),
             Equals(Tensor<double>{{{{1, 1, 2, 2}, {1, 1, 2, 2}, {3, 3, 4, 4}, {3, 3, 4, 4}}}}));
}

TEST_CASE("AvgPool2d with padding divides by K² where the window covers padding", "[avgpool2d]") {
  // PyTorch's default count_include_pad=True: a 3×3 window at the corner of a padded 2×2 input
  // holds 4 real values and 5 zeros, and is divided by 9.
  AvgPool2d<double> pool(3, 1, 1);
  CHECK(pool.name() == "AvgPool2d(kernel_size=3, stride=1, padding=1)");
  const Tensor<double> x{{{{9, 18}, {27, 36}}}};
  CHECK(shape_of(pool.forward(x)) == Shape{1, 1, 2, 2});
  CHECK_THAT(pool.forward(x), Equals(Tensor<double>{{{{10, 10}, {10, 10}}}}));
  // Every input is in all four windows: its gradient is Σ dY / 9.
  CHECK_THAT(pool.backward(Tensor<double>{{{{9, 9}, {9, 9}}}}),
             Equals(Tensor<double>{{{{4, 4}, {4, 4}}}}));
}

TEST_CASE("AvgPool2d output sizes and bad geometries", "[avgpool2d][errors]") {
  // H_out = floor((H + 2P − K) / S) + 1
  CHECK(AvgPool2d<float>(3, 2, 1).output_shape({2, 4, 7, 8}) == Shape{2, 4, 4, 4});
  CHECK(AvgPool2d<float>(2).output_shape({1, 1, 5, 5}) == Shape{1, 1, 2, 2});
  CHECK_THROWS_WITH(AvgPool2d<float>(3).output_shape({1, 1, 2, 5}),
                    Catch::Matchers::Contains("is smaller than the 3x3 window"));
  CHECK_THROWS_WITH(AvgPool2d<float>(2).output_shape({1, 4, 4}),
                    Catch::Matchers::Contains("expected input of shape [N, C, H, W]"));
  CHECK_THROWS_WITH(AvgPool2d<float>(2, 2, 2),
                    Catch::Matchers::Contains("padding 2 is more than half the kernel_size 2"));
}

TEST_CASE("gradcheck: AvgPool2d, with stride and padding", "[gradcheck][avgpool2d]") {
  Rng rng(21);
  struct Case {
    std::size_t K, S, P, H, W;
  };
  for (const Case& c : {Case{2, 2, 0, 6, 7}, Case{3, 2, 1, 7, 6}, Case{3, 1, 1, 5, 5},
                        Case{2, 3, 1, 8, 5}, Case{1, 1, 0, 3, 4}}) {
    AvgPool2d<double> pool(c.K, c.S, c.P);
    require_gradients_match(pool.name(),
                            check_module_gradients(pool, random_tensor({2, 3, c.H, c.W}, rng),
                                                   random_projection_head(c.K + 10 * c.P)));
  }
}

TEST_CASE("GlobalAvgPool2d is each plane's mean, as AdaptiveAvgPool2d(1)", "[global_avgpool2d]") {
  GlobalAvgPool2d<double> pool;
  const Tensor<double> x{{{{1, 2, 3}, {4, 5, 6}}, {{-6, 0, 0}, {0, 0, 0}}}};  // 1 × 2 × 2 × 3
  CHECK(pool.output_shape({5, 7, 3, 2}) == Shape{5, 7, 1, 1});
  CHECK_THAT(pool.forward(x), Equals(tensor({1, 2, 1, 1}, {3.5, -1})));
  CHECK_THAT(pool.backward(tensor({1, 2, 1, 1}, {6, 12})),
             Equals(Tensor<double>{{{{1, 1, 1}, {1, 1, 1}}, {{2, 2, 2}, {2, 2, 2}}}}));
  CHECK_THROWS_WITH(pool.output_shape({2, 8}),
                    Catch::Matchers::Contains("expected input of shape [N, C, H, W]"));
}

TEST_CASE("gradcheck: GlobalAvgPool2d", "[gradcheck][global_avgpool2d]") {
  Rng rng(22);
  for (const Shape& shape : {Shape{1, 1, 1, 1}, Shape{2, 3, 4, 5}, Shape{3, 2, 7, 1}}) {
    GlobalAvgPool2d<double> pool;
    require_gradients_match(
        "GlobalAvgPool2d " + to_string(shape),
        check_module_gradients(pool, random_tensor(shape, rng), random_projection_head(23)));
  }
}

TEST_CASE("AvgPool2d and GlobalAvgPool2d agree in float and double", "[avgpool2d]") {
  Rng rng(24);
  const Tensor<double> x = random_tensor({2, 3, 9, 8}, rng);
  Tensor<float> x_float = Tensor<float>::from_shape({2, 3, 9, 8});
  for (std::size_t i = 0; i < x.size(); ++i) x_float.data()[i] = static_cast<float>(x.data()[i]);
  AvgPool2d<double> pool_double(3, 2, 1);
  AvgPool2d<float> pool_float(3, 2, 1);
  const Tensor<double>& y = pool_double.forward(x);
  const Tensor<float>& y_float = pool_float.forward(x_float);
  for (std::size_t i = 0; i < y.size(); ++i)
    CHECK(y_float.data()[i] == Approx(y.data()[i]).margin(1e-6));
  GlobalAvgPool2d<double> global_double;
  GlobalAvgPool2d<float> global_float;
  const Tensor<double>& g = global_double.forward(x);
  const Tensor<float>& g_float = global_float.forward(x_float);
  for (std::size_t i = 0; i < g.size(); ++i)
    CHECK(g_float.data()[i] == Approx(g.data()[i]).margin(1e-6));
}
