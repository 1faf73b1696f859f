// Properties of the reference convolution that hold whatever the loops look like: the backward
// passes are the adjoints (transposes) of the forward map, in the inner product ⟨a, b⟩ = Σ a_i b_i:
//   ⟨conv(x; w), dy⟩ = ⟨x, backward_data(dy; w)⟩ = ⟨w, backward_weights(x, dy)⟩.
#include "framework/kernels/reference/conv2d.h"

#include <vector>

#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::reference;

namespace {
std::vector<double> random_vector(std::size_t n, Rng& rng) {
  std::vector<double> v(n);
  for (double& x : v) x = rng.uniform(-1, 1);
  return v;
}
double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
  return sum;
}
}  // namespace

TEST_CASE("reference conv2d backward passes are the adjoints of forward", "[kernels][conv2d]") {
  Rng rng(17);
  for (int trial = 0; trial < 40; ++trial) {
    const std::size_t N = 1 + rng.below(3), C_in = 1 + rng.below(4), C_out = 1 + rng.below(4);
    const std::size_t K = 1 + rng.below(5), S = 1 + rng.below(3), P = rng.below(3);
    const std::size_t H = K + rng.below(6), W = K + rng.below(6);
    const Conv2dGeometry g = make_conv2d_geometry(N, C_in, H, W, C_out, K, S, P);
    INFO("N=" << N << " C_in=" << C_in << " H=" << H << " W=" << W << " C_out=" << C_out
              << " K=" << K << " S=" << S << " P=" << P);
    const auto x = random_vector(N * C_in * H * W, rng);
    const auto w = random_vector(C_out * C_in * K * K, rng);
    const auto dy = random_vector(N * C_out * g.H_out * g.W_out, rng);
    std::vector<double> y(dy.size()), dx(x.size(), 99.0), dw(w.size(), 0.0), db(C_out, 0.0);
    conv2d_forward<double>(g, x.data(), w.data(), nullptr, y.data());
    conv2d_backward_data(g, dy.data(), w.data(), dx.data());
    conv2d_backward_weights(g, x.data(), dy.data(), dw.data(), db.data());
    const double y_dy = dot(y, dy);
    CHECK(dot(x, dx) == Approx(y_dy).epsilon(1e-12));
    CHECK(dot(w, dw) == Approx(y_dy).epsilon(1e-12));
    // The bias gradient is the sum of dy over all but the channel axis.
    double db_total = 0, dy_total = 0;
    for (double v : db) db_total += v;
    for (double v : dy) dy_total += v;
    CHECK(db_total == Approx(dy_total).epsilon(1e-12));
  }
}

TEST_CASE("conv2d geometry: output size formula and too-small inputs", "[kernels][conv2d]") {
  const Conv2dGeometry g = make_conv2d_geometry(64, 16, 14, 14, 32, 5, 1, 2);
  CHECK(g.H_out == 14);
  CHECK(g.W_out == 14);
  CHECK(make_conv2d_geometry(1, 1, 8, 9, 1, 3, 2, 0).W_out == 4);  // floor((9 − 3)/2) + 1
  CHECK_THROWS_WITH(
      make_conv2d_geometry(1, 1, 2, 9, 1, 5, 1, 1),
      "conv2d: kernel 5 does not fit input 2x9 with padding 1 (output size would be < 1)");
  CHECK_THROWS_AS(make_conv2d_geometry(1, 1, 8, 8, 1, 3, 0, 0), std::invalid_argument);
}
