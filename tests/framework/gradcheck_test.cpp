// The checker itself must be able to fail: layers with deliberately broken backward passes.
#include "framework/gradcheck.h"

#include "framework/layers/linear.h"
#include "framework/layers/sigmoid.h"
#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::testing;

namespace {

// Sigmoid whose backward forgets the (1 − y) factor: dx = dy · y.
class BrokenSigmoid : public Sigmoid<double> {
 protected:
  void backward_impl(const Tensor<double>& grad_output, Tensor<double>* grad_input) override {
    const double *y = this->output().data(), *dy = grad_output.data();
    for (std::size_t i = 0; i < grad_output.size(); ++i) grad_input->data()[i] = dy[i] * y[i];
  }
};

// Linear whose bias gradient is off by a factor of 1.001: a subtle bug, still caught.
class SlightlyBrokenLinear : public Linear<double> {
 public:
  using Linear<double>::Linear;

 protected:
  void backward_impl(const Tensor<double>& grad_output, Tensor<double>* grad_input) override {
    Linear<double>::backward_impl(grad_output, grad_input);
    for (double& g : bias().grad) g *= 1.001;
  }
};

}  // namespace

TEST_CASE("relative error is |a - n| / max(|a|, |n|, floor)", "[gradcheck]") {
  CHECK(relative_error(1.0, 1.0, 1e-3) == 0.0);
  CHECK(relative_error(2.0, 1.0, 1e-3) == 0.5);
  CHECK(relative_error(-1.0, 1.0, 1e-3) == 2.0);
  CHECK(relative_error(1e-9, 0.0, 1e-3) == Approx(1e-6));  // below the floor: absolute / floor
}

TEST_CASE("gradcheck catches a backward pass with a missing factor", "[gradcheck]") {
  Rng rng(1);
  BrokenSigmoid broken;
  const auto results =
      check_module_gradients(broken, random_tensor({3, 4}, rng, -2, 2), random_projection_head(1));
  REQUIRE(results.size() == 1);
  CHECK(results[0].variable == "input");
  CHECK(results[0].max_relative_error > 0.1);
}

TEST_CASE("gradcheck catches a parameter gradient off by 0.1%", "[gradcheck]") {
  Rng rng(2);
  SlightlyBrokenLinear broken(4, 3, rng);
  for (double& b : broken.bias().value) b = rng.uniform(-1, 1);
  const auto results =
      check_module_gradients(broken, random_tensor({5, 4}, rng), random_projection_head(2));
  REQUIRE(results.size() == 3);  // input, weight, bias
  CHECK(results[0].max_relative_error <= kGradTolerance);
  CHECK(results[1].max_relative_error <= kGradTolerance);
  CHECK(results[2].variable == "bias");
  CHECK(results[2].max_relative_error > 5e-4);
  CHECK(results[2].max_relative_error > 100 * kGradTolerance);
}

TEST_CASE("gradcheck reports a NaN gradient as the worst error", "[gradcheck]") {
  Tensor<double> x{1.0, 2.0};
  const auto results = compare_with_finite_differences(
      [&] { return x(0) * x(1); }, {{"x", &x, Tensor<double>{2.0, std::nan("")}}});
  CHECK(results[0].worst_index == 1);
  CHECK(!(results[0].max_relative_error <= kGradTolerance));
  CHECK_THAT(x, Equals(Tensor<double>{1.0, 2.0}));  // values restored after perturbation
}
