// The eigendecomposition, the SVD and low-rank approximation, held to their defining properties
// (orthonormal factors, exact reconstruction, σ² = eigenvalues of MᵀM, Eckart–Young) rather
// than to outputs recomputed by the same code.
#include "framework/math/linalg.h"

#include "tests/framework/math/math_support.h"

namespace gradlab::testing {
namespace {

using math::Svd;
using math::SvdKind;

// The tall, wide, square and rank-deficient shapes every SVD test runs on.
struct Case {
  std::size_t rows, columns, rank;  // rank < min(rows, columns): a product of thin factors
};
const Case kCases[] = {{6, 6, 6},    {9, 4, 4}, {4, 9, 4},  {1, 5, 1}, {5, 1, 1},
                       {30, 17, 17}, {8, 8, 3}, {12, 7, 2}, {7, 12, 5}};

Matrix random_matrix_of_rank(const Case& c, Rng& rng) {
  if (c.rank == std::min(c.rows, c.columns)) return random_matrix(c.rows, c.columns, rng);
  return math::matmul(random_matrix(c.rows, c.rank, rng), random_matrix(c.rank, c.columns, rng));
}

TEST_CASE("svd: orthonormal U and V, sorted non-negative sigma, exact reconstruction",
          "[math][svd]") {
  Rng rng(11);
  for (const Case& c : kCases)
    for (SvdKind kind : {SvdKind::thin, SvdKind::full}) {
      INFO("shape " << c.rows << "x" << c.columns << " rank " << c.rank
                    << (kind == SvdKind::full ? " full" : " thin"));
      const Matrix m = random_matrix_of_rank(c, rng);
      const Svd factors = math::svd(m, kind);
      const std::size_t r = std::min(c.rows, c.columns);
      CHECK(factors.singular_values.size() == r);
      CHECK(factors.u.shape(0) == c.rows);
      CHECK(factors.u.shape(1) == (kind == SvdKind::full ? c.rows : r));
      CHECK(factors.vt.shape(0) == (kind == SvdKind::full ? c.columns : r));
      CHECK(factors.vt.shape(1) == c.columns);
      CHECK(orthonormality_defect(factors.u) < 1e-10);
      CHECK(orthonormality_defect(transposed(factors.vt)) < 1e-10);
      for (std::size_t i = 0; i < r; ++i) {
        CHECK(factors.singular_values(i) >= 0.0);
        if (i > 0) CHECK(factors.singular_values(i) <= factors.singular_values(i - 1));
      }
      CHECK(relative_error(math::reconstruct(factors), m) < 1e-10);
      // A rank-deficient M has exactly `rank` non-zero singular values.
      for (std::size_t i = c.rank; i < r; ++i)
        CHECK(factors.singular_values(i) < 1e-12 * factors.singular_values(0));
      CHECK(factors.singular_values(c.rank - 1) > 1e-6 * factors.singular_values(0));
    }
}

TEST_CASE("svd: sigma_i squared are the eigenvalues of MtM; columns of U are eigenvectors of MMt",
          "[math][svd]") {
  Rng rng(12);
  for (const Case& c : kCases) {
    INFO("shape " << c.rows << "x" << c.columns);
    const Matrix m = random_matrix_of_rank(c, rng);
    const Svd factors = math::svd(m);
    const math::SymmetricEigen gram = math::symmetric_eigen(math::matmul(transposed(m), m));
    const double scale = factors.singular_values(0);
    for (std::size_t i = 0; i < factors.singular_values.size(); ++i)
      CHECK(std::abs(factors.singular_values(i) - std::sqrt(std::max(gram.eigenvalues(i), 0.0))) <
            1e-7 * scale);
    // M Mᵀ uᵢ = σᵢ² uᵢ for every column of U.
    const Matrix mmt = math::matmul(m, transposed(m));
    for (std::size_t i = 0; i < factors.u.shape(1); ++i) {
      const Matrix u_i = xt::view(factors.u, xt::all(), xt::range(i, i + 1));
      const double sigma2 = factors.singular_values(i) * factors.singular_values(i);
      CHECK(math::l2_norm(Tensor<double>(math::matmul(mmt, u_i) - sigma2 * u_i)) <
            1e-10 * scale * scale);
    }
  }
}

TEST_CASE("svd: closed forms: diagonal, rotation, outer product", "[math][svd]") {
  // diag(3, −5, 1): σ = (5, 3, 1), the absolute values sorted.
  const Svd diagonal_factors =
      math::svd(Matrix{{3.0, 0.0, 0.0}, {0.0, -5.0, 0.0}, {0.0, 0.0, 1.0}});
  CHECK_THAT(diagonal_factors.singular_values, AllClose(Vector{5.0, 3.0, 1.0}, 1e-14));
  // A rotation preserves lengths: every singular value is 1.
  const double angle = 0.7;
  const Matrix rotation{{std::cos(angle), -std::sin(angle)}, {std::sin(angle), std::cos(angle)}};
  CHECK_THAT(math::svd(rotation).singular_values, AllClose(Vector{1.0, 1.0}, 1e-14));
  // u vᵀ with u = (1, 2, 2) (norm 3) and v = (3, 4) (norm 5): one singular value 15, the rest 0.
  const Matrix outer{{3.0, 4.0}, {6.0, 8.0}, {6.0, 8.0}};
  CHECK_THAT(math::svd(outer).singular_values, AllClose(Vector{15.0, 0.0}, 1e-13));
}

TEST_CASE("symmetric_eigen: orthogonal Q, sorted eigenvalues, A = Q Lambda Qt", "[math][eigen]") {
  Rng rng(13);
  for (std::size_t n : {1, 2, 3, 10, 40}) {
    INFO("n = " << n);
    const Matrix b = random_matrix(n, n, rng);
    const Matrix a = (b + transposed(b)) / 2.0;
    const math::SymmetricEigen eigen = math::symmetric_eigen(a);
    CHECK(orthonormality_defect(eigen.eigenvectors) < 1e-10);
    for (std::size_t i = 1; i < n; ++i) CHECK(eigen.eigenvalues(i) <= eigen.eigenvalues(i - 1));
    const Matrix rebuilt =
        math::matmul(math::matmul(eigen.eigenvectors, diagonal(eigen.eigenvalues)),
                     transposed(eigen.eigenvectors));
    CHECK(relative_error(rebuilt, a) < 1e-10);
  }
}

TEST_CASE("symmetric_eigen: a 2x2 matrix worked by hand", "[math][eigen]") {
  // [[2, 1], [1, 2]]: det(A − λI) = (2 − λ)² − 1 = 0 → λ = 3, 1, with eigenvectors
  // (1, 1)/√2 and (1, −1)/√2.
  const math::SymmetricEigen eigen = math::symmetric_eigen(Matrix{{2.0, 1.0}, {1.0, 2.0}});
  CHECK_THAT(eigen.eigenvalues, AllClose(Vector{3.0, 1.0}, 1e-14));
  const double h = 1.0 / std::sqrt(2.0);
  CHECK(std::abs(std::abs(eigen.eigenvectors(0, 0) * h + eigen.eigenvectors(1, 0) * h) - 1.0) <
        1e-14);
  CHECK(std::abs(std::abs(eigen.eigenvectors(0, 1) * h - eigen.eigenvectors(1, 1) * h) - 1.0) <
        1e-14);
  // A diagonal matrix: its diagonal, sorted decreasing.
  CHECK_THAT(
      math::symmetric_eigen(Matrix{{-1.0, 0.0, 0.0}, {0.0, 4.0, 0.0}, {0.0, 0.0, 2.0}}).eigenvalues,
      AllClose(Vector{4.0, 2.0, -1.0}, 1e-14));
}

TEST_CASE("symmetric_eigen and svd reject what they cannot factor, naming the shape",
          "[math][eigen][svd]") {
  CHECK_THROWS_WITH(math::symmetric_eigen(Matrix{{1.0, 2.0}, {0.0, 1.0}}),
                    Catch::Contains("not symmetric"));
  CHECK_THROWS_WITH(math::symmetric_eigen(xt::zeros<double>({2, 3})),
                    Catch::Contains("square") && Catch::Contains("[2, 3]"));
  CHECK_THROWS_WITH(math::svd(Vector{1.0, 2.0}), Catch::Contains("2-D") && Catch::Contains("[2]"));
  CHECK_THROWS_WITH(math::svd(Matrix{{1.0, NAN}}), Catch::Contains("NaN"));
  CHECK_THROWS_WITH(math::matmul(xt::zeros<double>({2, 3}), xt::zeros<double>({2, 3})),
                    Catch::Contains("[2, 3] and [2, 3]"));
}

TEST_CASE(
    "Eckart-Young: the rank-k error is the tail of sigma, and no random rank-k matrix does better",
    "[math][svd]") {
  Rng rng(14);
  const Matrix m = random_matrix(12, 9, rng);
  const Svd factors = math::svd(m);
  for (std::size_t k = 0; k <= 9; ++k) {
    INFO("k = " << k);
    const Matrix m_k = math::low_rank_approximation(factors, k);
    double tail = 0.0;
    for (std::size_t i = k; i < 9; ++i)
      tail += factors.singular_values(i) * factors.singular_values(i);
    const double error = math::frobenius_norm(Matrix(m - m_k));
    CHECK(std::abs(error - std::sqrt(tail)) < 1e-10 * factors.singular_values(0));
    CHECK(math::svd(m_k).singular_values.size() == 9);
    if (k < 9)
      CHECK(math::svd(m_k).singular_values(k) < 1e-10 * factors.singular_values(0));  // rank k
    if (k == 0 || k == 9) continue;
    // Random rank-k competitors: products A B of k-column and k-row matrices, scaled to M's
    // size, and M_k itself nudged in a random direction. None beats M_k.
    for (int trial = 0; trial < 200; ++trial) {
      Matrix competitor = math::matmul(random_matrix(12, k, rng), random_matrix(k, 9, rng));
      if (trial % 2 == 1) {
        const Svd near = math::svd(Matrix(m_k + 0.01 * random_matrix(12, 9, rng)));
        competitor = math::low_rank_approximation(near, k);
      }
      CHECK(math::frobenius_norm(Matrix(m - competitor)) >= error);
    }
  }
  CHECK_THROWS_WITH(math::low_rank_approximation(factors, 10),
                    Catch::Contains("exceeds min(m, n) = 9"));
}

TEST_CASE("compress_image: rank, compression ratio and error of a low-rank image", "[math][svd]") {
  // A 40 × 60 image: a smooth rank-2 pattern plus small noise. Rank 2 keeps nearly everything
  // in 2 (40 + 60 + 1) = 202 numbers instead of 2,400.
  Rng rng(15);
  Matrix image = Matrix::from_shape({40, 60});
  for (std::size_t r = 0; r < 40; ++r)
    for (std::size_t c = 0; c < 60; ++c)
      image(r, c) =
          128.0 +
          60.0 * std::sin(0.1 * static_cast<double>(r)) * std::cos(0.05 * static_cast<double>(c)) +
          30.0 * static_cast<double>(r) / 40.0 + rng.uniform(-1.0, 1.0);
  const math::LowRankImage two = math::compress_image(image, 2);
  CHECK(two.rank == 2);
  CHECK(two.compression_ratio == Approx(2400.0 / 202.0));
  CHECK(two.relative_error < 0.01);
  CHECK(math::compress_image(image, 1).relative_error > two.relative_error);
  CHECK(math::compress_image(image, 40).relative_error < 1e-12);
  CHECK(math::compress_image(image, 0).relative_error == Approx(1.0));
}

}  // namespace
}  // namespace gradlab::testing
