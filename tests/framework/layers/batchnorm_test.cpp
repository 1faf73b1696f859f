#include "framework/layers/batchnorm.h"

#include <cmath>

#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::testing;

namespace {
using Kind = BatchNormKind;

// Random γ and β, so the checks see the affine transform too (they start at 1 and 0).
void randomize_affine(BatchNorm<double>& norm, Rng& rng) {
  for (double& g : norm.weight().value) g = rng.uniform(0.5, 1.5);
  for (double& b : norm.bias().value) b = rng.uniform(-0.5, 0.5);
}
}  // namespace

TEST_CASE("BatchNorm2d normalises each channel by its batch statistics (worked example)",
          "[batchnorm]") {
  // Channel 0 holds 1…8: μ = 4.5, σ² = 42/8 = 5.25. Channel 1 holds one 8 and seven 0s: μ = 1,
  // σ² = (49 + 7·1)/8 = 7. (PyTorch 1.13's BatchNorm2d(2) gives the same outputs and statistics.)
  BatchNorm<double> norm(Kind::d2, 2);
  CHECK(norm.name() == "BatchNorm2d(2)");
  const Tensor<double> x{{{{1, 2}, {3, 4}}, {{0, 0}, {0, 8}}},
                         {{{5, 6}, {7, 8}}, {{0, 0}, {0, 0}}}};
  const Tensor<double>& y = norm.forward(x);
  const double eps = 1e-5;
  CHECK(y(0, 0, 0, 0) == Approx(-3.5 / std::sqrt(5.25 + eps)).epsilon(1e-14));
  CHECK(y(1, 0, 1, 1) == Approx(3.5 / std::sqrt(5.25 + eps)).epsilon(1e-14));
  CHECK(y(0, 1, 1, 1) == Approx(7 / std::sqrt(7 + eps)).epsilon(1e-14));
  CHECK(y(1, 1, 0, 0) == Approx(-1 / std::sqrt(7 + eps)).epsilon(1e-14));
  // running ← 0.9 running + 0.1 statistic, the variance unbiased (m/(m − 1) = 8/7).
  CHECK(norm.running_mean()(0) == Approx(0.45).epsilon(1e-15));
  CHECK(norm.running_mean()(1) == Approx(0.1).epsilon(1e-15));
  CHECK(norm.running_var()(0) == Approx(0.9 + 0.1 * 5.25 * 8 / 7).epsilon(1e-15));
  CHECK(norm.running_var()(1) == Approx(0.9 + 0.1 * 7.0 * 8 / 7).epsilon(1e-15));

  // In evaluation the running statistics normalise, and nothing is updated.
  norm.eval();
  const Tensor<double>& z = norm.forward(x);
  CHECK(z(0, 0, 0, 0) == Approx((1 - 0.45) / std::sqrt(1.5 + eps)).epsilon(1e-14));
  CHECK(z(0, 1, 1, 1) == Approx((8 - 0.1) / std::sqrt(1.7 + eps)).epsilon(1e-14));
  CHECK(norm.running_mean()(0) == Approx(0.45).epsilon(1e-15));
}

TEST_CASE("BatchNorm's options, shapes and errors", "[batchnorm][errors]") {
  BatchNorm<float> one_d(Kind::d1, 3, 1e-3, 0.2, false);
  CHECK(one_d.name() == "BatchNorm1d(3, eps=0.001, momentum=0.2, affine=false)");
  CHECK(one_d.parameters().empty());
  CHECK(one_d.named_buffers().size() == 2);
  CHECK(one_d.output_shape({4, 3}) == Shape{4, 3});
  CHECK(one_d.output_shape({4, 3, 7}) == Shape{4, 3, 7});
  CHECK_THROWS_WITH(one_d.output_shape({4, 5}),
                    "BatchNorm1d(3, eps=0.001, momentum=0.2, affine=false): expected input of "
                    "shape [N, 3] or [N, 3, L], got [4, 5]");
  BatchNorm<float> two_d(Kind::d2, 3);
  CHECK_THROWS_WITH(two_d.output_shape({4, 3}),
                    "BatchNorm2d(3): expected input of shape [N, 3, H, W], got [4, 3]");
  // One value per channel has no batch variance: refused in training, as PyTorch does; fine in
  // evaluation.
  CHECK_THROWS_WITH(
      one_d.forward(Tensor<float>::from_shape({1, 3})),
      Catch::Matchers::Contains("expected more than 1 value per channel when training"));
  one_d.eval();
  CHECK_NOTHROW(one_d.forward(Tensor<float>::from_shape({1, 3})));
  CHECK_THROWS_AS(BatchNorm<float>(Kind::d2, 0), std::invalid_argument);
  CHECK_THROWS_AS(BatchNorm<float>(Kind::d2, 2, 0.0), std::invalid_argument);
  CHECK_THROWS_AS(BatchNorm<float>(Kind::d2, 2, 1e-5, 1.5), std::invalid_argument);
}

TEST_CASE("gradcheck: BatchNorm through the batch statistics (training)",
          "[gradcheck][batchnorm]") {
  Rng rng(31);
  struct Case {
    Kind kind;
    Shape shape;
    bool affine;
  };
  for (const Case& c : {Case{Kind::d2, {3, 2, 4, 5}, true}, Case{Kind::d2, {2, 3, 3, 1}, false},
                        Case{Kind::d2, {1, 2, 3, 3}, true}, Case{Kind::d1, {5, 3}, true},
                        Case{Kind::d1, {2, 4}, true}, Case{Kind::d1, {4, 3, 6}, false}}) {
    BatchNorm<double> norm(c.kind, c.shape[1], 1e-5, 0.1, c.affine);
    randomize_affine(norm, rng);
    require_gradients_match(norm.name() + " training " + to_string(c.shape),
                            check_module_gradients(norm, random_tensor(c.shape, rng, -2, 3),
                                                   random_projection_head(32)));
  }
}

TEST_CASE("gradcheck: BatchNorm with running statistics (evaluation)", "[gradcheck][batchnorm]") {
  Rng rng(33);
  for (const Kind kind : {Kind::d2, Kind::d1}) {
    const Shape shape = kind == Kind::d2 ? Shape{2, 3, 4, 4} : Shape{6, 3};
    BatchNorm<double> norm(kind, 3);
    randomize_affine(norm, rng);
    norm.forward(random_tensor(shape, rng, -1, 4));  // running statistics away from 0 and 1
    norm.eval();
    require_gradients_match(
        norm.name() + " evaluation " + to_string(shape),
        check_module_gradients(norm, random_tensor(shape, rng), random_projection_head(34)));
  }
}

TEST_CASE("BatchNorm agrees in float and double, large offsets included", "[batchnorm]") {
  // An offset of 1000 on unit-variance data: a one-pass variance (E[x²] − μ²) in float would lose
  // every digit; the two-pass variance in double keeps them.
  Rng rng(35);
  Tensor<double> x = random_tensor({8, 4, 5, 5}, rng, -1, 1);
  for (double& v : x) v += 1000;
  const Tensor<double> dy = random_tensor({8, 4, 5, 5}, rng);
  Tensor<float> x_float = Tensor<float>::from_shape({8, 4, 5, 5}), dy_float = x_float;
  for (std::size_t i = 0; i < x.size(); ++i) {
    x_float.data()[i] = static_cast<float>(x.data()[i]);
    dy_float.data()[i] = static_cast<float>(dy.data()[i]);
  }
  BatchNorm<double> in_double(Kind::d2, 4);
  BatchNorm<float> in_float(Kind::d2, 4);
  const Tensor<double>& y = in_double.forward(x);
  const Tensor<float>& y_float = in_float.forward(x_float);
  const Tensor<double>& dx = in_double.backward(dy);
  const Tensor<float>& dx_float = in_float.backward(dy_float);
  for (std::size_t i = 0; i < y.size(); ++i) {
    // float's 1000 + x keeps x to ≈ 6e-5 of the data's unit spread.
    CHECK(y_float.data()[i] == Approx(y.data()[i]).margin(2e-4));
    CHECK(dx_float.data()[i] == Approx(dx.data()[i]).margin(2e-4));
  }
  for (std::size_t c = 0; c < 4; ++c) {
    CHECK(in_float.running_mean()(c) == Approx(in_double.running_mean()(c)).epsilon(1e-6));
    CHECK(in_float.running_var()(c) == Approx(in_double.running_var()(c)).epsilon(1e-4));
  }
}
