#include "framework/math/linalg.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include <xtensor-blas/xlinalg.hpp>
#include <xtensor/xview.hpp>

#include "framework/math/norms.h"

namespace gradlab::math {

void require_finite_matrix(const Matrix& a, const char* what) {
  if (a.dimension() != 2)
    throw std::invalid_argument(std::string(what) + ": expected a matrix (2-D), got shape " +
                                to_string(shape_of(a)));
  if (a.size() == 0)
    throw std::invalid_argument(std::string(what) + ": the matrix is empty, shape " +
                                to_string(shape_of(a)));
  for (double value : a)
    if (!std::isfinite(value))
      throw std::invalid_argument(std::string(what) + ": the matrix holds NaN or infinity");
}

Matrix matmul(const Matrix& a, const Matrix& b) {
  if (a.dimension() != 2 || b.dimension() != 2 || a.shape(1) != b.shape(0))
    throw std::invalid_argument("matmul: shapes " + to_string(shape_of(a)) + " and " +
                                to_string(shape_of(b)) +
                                " do not multiply (need [m, k] and [k, n])");
  return xt::linalg::dot(a, b);
}

SymmetricEigen symmetric_eigen(const Matrix& a) {
  require_finite_matrix(a, "symmetric_eigen");
  const std::size_t n = a.shape(0);
  if (a.shape(1) != n)
    throw std::invalid_argument("symmetric_eigen: expected a square matrix, got shape " +
                                to_string(shape_of(a)));
  // LAPACK's dsyevd reads one triangle only; a non-symmetric input would be answered silently
  // for a different matrix, so check the other triangle first.
  const double scale = std::max(1.0, xt::amax(xt::abs(a))());
  const double asymmetry = xt::amax(xt::abs(a - xt::transpose(a)))();
  if (asymmetry > 1e-10 * scale)
    throw std::invalid_argument("symmetric_eigen: the matrix is not symmetric (max |A - Aᵀ| = " +
                                std::to_string(asymmetry) + ")");

  auto [ascending_values, ascending_vectors] =
      xt::linalg::eigh(a);  // λ ascending, vectors in columns
  SymmetricEigen result{Vector::from_shape({n}), Matrix::from_shape({n, n})};
  for (std::size_t i = 0; i < n; ++i) {
    result.eigenvalues(i) = ascending_values(n - 1 - i);
    for (std::size_t row = 0; row < n; ++row)
      result.eigenvectors(row, i) = ascending_vectors(row, n - 1 - i);
  }
  return result;
}

Svd svd(const Matrix& m, SvdKind kind) {
  require_finite_matrix(m, "svd");
  // dgesdd returns σ in decreasing order, already non-negative.
  auto [u, singular_values, vt] =
      xt::linalg::svd(m, /*full_matrices=*/kind == SvdKind::full, /*compute_uv=*/true);
  return Svd{Matrix(u), Vector(singular_values), Matrix(vt)};
}

Matrix reconstruct(const Svd& factors) {
  return low_rank_approximation(factors, factors.singular_values.size());
}

Matrix low_rank_approximation(const Svd& factors, std::size_t k) {
  const std::size_t r = factors.singular_values.size();
  if (k > r)
    throw std::invalid_argument("low_rank_approximation: rank " + std::to_string(k) +
                                " exceeds min(m, n) = " + std::to_string(r));
  const std::size_t m = factors.u.shape(0), n = factors.vt.shape(1);
  if (k == 0) return xt::zeros<double>({m, n});
  // U_k Σ_k: scale the first k columns of U by σ, then one product with the first k rows of Vᵀ.
  Matrix u_sigma = xt::view(factors.u, xt::all(), xt::range(0, k)) *
                   xt::view(factors.singular_values, xt::newaxis(), xt::range(0, k));
  Matrix vt_k = xt::view(factors.vt, xt::range(0, k), xt::all());
  return matmul(u_sigma, vt_k);
}

Matrix low_rank_approximation(const Matrix& m, std::size_t k) {
  return low_rank_approximation(svd(m, SvdKind::thin), k);
}

LowRankImage compress_image(const Matrix& image, std::size_t k) {
  require_finite_matrix(image, "compress_image");
  const Svd factors = svd(image, SvdKind::thin);
  LowRankImage result;
  result.approximation = low_rank_approximation(factors, k);
  result.rank = k;
  const double m = static_cast<double>(image.shape(0)), n = static_cast<double>(image.shape(1));
  result.compression_ratio = k == 0 ? std::numeric_limits<double>::infinity()
                                    : m * n / (static_cast<double>(k) * (m + n + 1.0));
  const double norm = frobenius_norm(image);
  result.relative_error =
      norm == 0.0 ? 0.0 : frobenius_norm(Matrix(image - result.approximation)) / norm;
  return result;
}

}  // namespace gradlab::math
