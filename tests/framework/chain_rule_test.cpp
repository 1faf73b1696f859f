// The chain rule by hand: L = MSE(σ(Wx + b), y), from its three factors
//   ∂L/∂a = (2/M)(a − y),   ∂a/∂z = a(1 − a),   ∂z/∂W = x  (z = xW + b, a = σ(z)),
// compared with the framework's Linear → Sigmoid → MSE backward passes.
#include <cmath>

#include "framework/layers/linear.h"
#include "framework/layers/sigmoid.h"
#include "framework/losses/mse.h"
#include "framework/sequential.h"
#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::testing;

TEST_CASE("chain rule: MSE(sigmoid(Wx + b), y) by hand", "[chain_rule][gradcheck]") {
  // One sample, D_in = 2, D_out = 2 (M = 2 outputs), numbers chosen to be checkable.
  const double x[2] = {0.5, -1.0}, y[2] = {1.0, 0.0};
  const double W[2][2] = {{0.2, -0.4}, {0.6, 0.1}}, b[2] = {0.1, -0.3};

  // By hand, every factor written out.
  double z[2], a[2], dL_da[2], da_dz[2], dL_dz[2];
  for (int j = 0; j < 2; ++j) {
    z[j] = x[0] * W[0][j] + x[1] * W[1][j] + b[j];
    a[j] = 1.0 / (1.0 + std::exp(-z[j]));
    dL_da[j] = 2.0 / 2.0 * (a[j] - y[j]);
    da_dz[j] = a[j] * (1.0 - a[j]);
    dL_dz[j] = dL_da[j] * da_dz[j];
  }
  const double L = ((a[0] - y[0]) * (a[0] - y[0]) + (a[1] - y[1]) * (a[1] - y[1])) / 2.0;
  // z = xW + b: ∂z_j/∂W_ij = x_i, ∂z_j/∂b_j = 1, ∂z_j/∂x_i = W_ij.
  double dL_dW[2][2], dL_dx[2];
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 2; ++j) dL_dW[i][j] = x[i] * dL_dz[j];
    dL_dx[i] = W[i][0] * dL_dz[0] + W[i][1] * dL_dz[1];
  }
  // z = [0.5·0.2 + (−1)·0.6 + 0.1, 0.5·(−0.4) + (−1)·0.1 − 0.3] = [−0.4, −0.6]
  CHECK(z[0] == Approx(-0.4).epsilon(1e-15));
  CHECK(z[1] == Approx(-0.6).epsilon(1e-15));

  // The framework.
  Rng rng(1);
  Sequential<double> model;
  Linear<double>& linear = model.emplace<Linear<double>>(2, 2, rng);
  model.emplace<Sigmoid<double>>();
  linear.weight().value = Tensor<double>{{W[0][0], W[0][1]}, {W[1][0], W[1][1]}};
  linear.bias().value = Tensor<double>{b[0], b[1]};
  MSELoss<double> mse;
  const double loss =
      mse.forward(model.forward(Tensor<double>{{x[0], x[1]}}), Tensor<double>{{y[0], y[1]}});
  const Tensor<double>& dx = model.backward(mse.backward());

  CHECK(loss == Approx(L).epsilon(1e-14));
  for (int i = 0; i < 2; ++i) {
    CHECK(dx(0, i) == Approx(dL_dx[i]).epsilon(1e-14));
    CHECK(linear.bias().grad(i) == Approx(dL_dz[i]).epsilon(1e-14));
    for (int j = 0; j < 2; ++j)
      CHECK(linear.weight().grad(i, j) == Approx(dL_dW[i][j]).epsilon(1e-14));
  }

  // And all three agree with finite differences.
  MSELoss<double> head_loss;
  const Tensor<double> target{{y[0], y[1]}};
  LossHead head{[&](const Tensor<double>& out) { return head_loss.forward(out, target); },
                [&] { return head_loss.backward(); }};
  require_gradients_match("MSE(sigmoid(Wx + b), y)",
                          check_module_gradients(model, Tensor<double>{{x[0], x[1]}}, head));
}
