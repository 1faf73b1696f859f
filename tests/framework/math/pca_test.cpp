// Covariance and PCA: the definition by hand, the eigen and SVD fits agreeing, and the
// properties of the projection (variance along each axis, exact round trip with every axis).
#include "framework/math/pca.h"

#include "tests/framework/math/math_support.h"

namespace gradlab::testing {
namespace {

using math::Pca;
using math::PcaMethod;

// N samples in D dimensions with very different variances along random orthogonal axes, so
// the principal axes are well separated.
Matrix anisotropic_data(std::size_t samples, std::size_t features, Rng& rng) {
  const math::Svd rotation = math::svd(random_matrix(features, features, rng));
  Matrix z = random_tensor({samples, features}, rng);
  for (std::size_t j = 0; j < features; ++j)
    xt::view(z, xt::all(), j) *= 10.0 / static_cast<double>(j + 1);
  return math::matmul(z, rotation.u) + 5.0;
}

TEST_CASE("covariance of a 3x2 data matrix by hand", "[math][pca]") {
  // X = [[1, 2], [3, 4], [5, 0]]: μ = (3, 2); deviations (−2, 0), (0, 2), (2, −2);
  // Σ = [[4 + 0 + 4, 0 + 0 − 4], [·, 0 + 4 + 4]] / 2 = [[4, −2], [−2, 4]].
  const Matrix x{{1.0, 2.0}, {3.0, 4.0}, {5.0, 0.0}};
  CHECK_THAT(math::column_mean(x), AllClose(Vector{3.0, 2.0}, 1e-15));
  CHECK_THAT(math::covariance(x), AllClose(Matrix{{4.0, -2.0}, {-2.0, 4.0}}, 1e-14));
  CHECK_THROWS_WITH(math::covariance(Matrix{{1.0, 2.0}}), Catch::Contains("at least 2 samples"));
}

TEST_CASE("PCA by eigendecomposition and by SVD: same components up to sign, same variances",
          "[math][pca]") {
  Rng rng(31);
  const Matrix x = anisotropic_data(200, 6, rng);
  const Pca by_eigen = Pca::fit(x, 6, PcaMethod::eigen), by_svd = Pca::fit(x, 6, PcaMethod::svd);
  CHECK_THAT(by_eigen.explained_variance(),
             AllClose(by_svd.explained_variance(), 1e-9 * by_svd.explained_variance()(0)));
  CHECK(by_eigen.total_variance() == Approx(by_svd.total_variance()).epsilon(1e-12));
  for (std::size_t i = 0; i < 6; ++i) {
    const Vector a = xt::view(by_eigen.components(), i, xt::all()),
                 b = xt::view(by_svd.components(), i, xt::all());
    CHECK(std::abs(xt::sum(a * b)()) == Approx(1.0).epsilon(1e-10));  // the same axis, up to sign
  }
  // The total variance is the trace of Σ, and the ratios of all axes sum to 1.
  const Matrix sigma = math::covariance(x);
  CHECK(by_svd.total_variance() == Approx(xt::sum(xt::diagonal(sigma))()).epsilon(1e-12));
  CHECK(xt::sum(by_eigen.explained_variance_ratio())() == Approx(1.0).epsilon(1e-12));
}

TEST_CASE("PCA axes: orthonormal, decreasing variance, the variance of the projected data",
          "[math][pca]") {
  Rng rng(32);
  const Matrix x = anisotropic_data(300, 5, rng);
  for (PcaMethod method : {PcaMethod::eigen, PcaMethod::svd}) {
    const Pca pca = Pca::fit(x, 3, method);
    CHECK(orthonormality_defect(transposed(pca.components())) < 1e-10);
    const Matrix z = pca.transform(x);
    REQUIRE(shape_of(z) == Shape{300, 3});
    // The coordinates are centred and uncorrelated, with variance λᵢ along axis i.
    const Matrix z_covariance = math::covariance(z);
    CHECK_THAT(z_covariance,
               AllClose(diagonal(pca.explained_variance()), 1e-9 * pca.explained_variance()(0)));
    CHECK_THAT(math::column_mean(z), AllClose(xt::zeros<double>({3}), 1e-10));
    for (std::size_t i = 1; i < 3; ++i)
      CHECK(pca.explained_variance()(i) < pca.explained_variance()(i - 1));
  }
}

TEST_CASE(
    "PCA: every axis reconstructs X exactly; fewer axes leave the discarded variance as error",
    "[math][pca]") {
  Rng rng(33);
  const Matrix x = anisotropic_data(150, 6, rng);
  const Pca all = Pca::fit(x, 6);
  CHECK(relative_error(all.inverse_transform(all.transform(x)), x) < 1e-12);
  // With k axes, the mean squared reconstruction error per sample (× N/(N−1)) is the variance
  // the dropped axes carried: Σ_{i>k} λᵢ.
  for (std::size_t k = 1; k < 6; ++k) {
    const Pca first_k = Pca::fit(x, k);
    const Matrix residual = x - first_k.inverse_transform(first_k.transform(x));
    const double error = xt::sum(residual * residual)() / static_cast<double>(x.shape(0) - 1);
    double dropped = 0.0;
    for (std::size_t i = k; i < 6; ++i) dropped += all.explained_variance()(i);
    CHECK(error == Approx(dropped).epsilon(1e-9));
  }
}

TEST_CASE("PCA on points along a known line finds that line", "[math][pca]") {
  // Points t·(3, 4)/5 + small noise: the first axis is ±(0.6, 0.8) and explains nearly all.
  Rng rng(34);
  Matrix x = Matrix::from_shape({100, 2});
  for (std::size_t n = 0; n < 100; ++n) {
    const double t = rng.uniform(-10.0, 10.0);
    x(n, 0) = 0.6 * t + rng.uniform(-0.01, 0.01);
    x(n, 1) = 0.8 * t + rng.uniform(-0.01, 0.01);
  }
  const Pca pca = Pca::fit(x, 1);
  CHECK_THAT(Vector(xt::view(pca.components(), 0, xt::all())),
             AllClose(Vector{0.6, 0.8}, 1e-3));  // sign fixed: largest entry positive
  CHECK(pca.explained_variance_ratio()(0) > 0.9999);
}

TEST_CASE("PCA rejects bad arguments, naming the range or the shape", "[math][pca]") {
  Rng rng(35);
  const Matrix x = random_matrix(10, 4, rng);
  CHECK_THROWS_WITH(Pca::fit(x, 0), Catch::Contains("components must be in [1, 4]"));
  CHECK_THROWS_WITH(Pca::fit(x, 5), Catch::Contains("components must be in [1, 4]"));
  CHECK_THROWS_WITH(Pca::fit(random_matrix(3, 6, rng), 5, PcaMethod::svd),
                    Catch::Contains("at most min(N, D) = 3"));
  const Pca pca = Pca::fit(x, 2);
  CHECK_THROWS_WITH(pca.transform(random_matrix(2, 3, rng)),
                    Catch::Contains("expected [N, 4], got [2, 3]"));
  CHECK_THROWS_WITH(pca.inverse_transform(random_matrix(2, 3, rng)),
                    Catch::Contains("expected [N, 2], got [2, 3]"));
}

}  // namespace
}  // namespace gradlab::testing
