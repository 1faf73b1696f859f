#include <cmath>

#include "framework/optim/optimizer.h"
#include "tests/support.h"

using namespace gradlab;

TEST_CASE("clip_grad_norm scales all gradients to the global L2 norm", "[optim][clipping]") {
  Parameter<double> a("a", {2}), b("b", {1});
  a.grad = Tensor<double>{3.0, 0.0};
  b.grad = Tensor<double>{4.0};  // global norm √(9 + 16) = 5
  const double norm = clip_grad_norm<double>({&a, &b}, 1.0);
  CHECK(norm == 5.0);
  const double scale = 1.0 / (5.0 + 1e-6);
  CHECK(a.grad(0) == Approx(3.0 * scale).epsilon(1e-15));
  CHECK(b.grad(0) == Approx(4.0 * scale).epsilon(1e-15));
  // Below the limit nothing changes.
  CHECK(clip_grad_norm<double>({&a, &b}, 10.0) == Approx(5.0 * scale).epsilon(1e-15));
  CHECK(b.grad(0) == Approx(4.0 * scale).epsilon(1e-15));
  CHECK_THROWS_WITH(clip_grad_norm<double>({&a}, 0.0),
                    "clip_grad_norm: max_norm must be in (0, inf), got 0");
}

TEST_CASE("clip_grad_value clamps each element", "[optim][clipping]") {
  Parameter<float> a("a", {4});
  a.grad = Tensor<float>{-3.0f, -0.5f, 0.25f, 7.0f};
  clip_grad_value<float>({&a}, 1.0);
  CHECK(std::vector<float>(a.grad.begin(), a.grad.end()) ==
        std::vector<float>{-1.0f, -0.5f, 0.25f, 1.0f});
}
