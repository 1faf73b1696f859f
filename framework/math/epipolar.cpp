#include "framework/math/epipolar.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include <xtensor/xview.hpp>

#include "framework/math/norms.h"

namespace gradlab::math {

namespace {

// T such that T (x, y, 1)ᵀ has centroid 0 and mean distance √2 from it.
Matrix normalising_transform(const Matrix& points, const char* name) {
  const std::size_t count = points.shape(0);
  double centre_x = 0.0, centre_y = 0.0;
  for (std::size_t n = 0; n < count; ++n) centre_x += points(n, 0), centre_y += points(n, 1);
  centre_x /= static_cast<double>(count), centre_y /= static_cast<double>(count);
  double mean_distance = 0.0;
  for (std::size_t n = 0; n < count; ++n)
    mean_distance += std::hypot(points(n, 0) - centre_x, points(n, 1) - centre_y);
  mean_distance /= static_cast<double>(count);
  if (mean_distance < 1e-12 * std::max(1.0, std::hypot(centre_x, centre_y)))
    throw std::invalid_argument(std::string("fundamental_matrix_8point: the points of ") + name +
                                " all coincide");
  const double scale = std::sqrt(2.0) / mean_distance;
  return Matrix{{scale, 0.0, -scale * centre_x}, {0.0, scale, -scale * centre_y}, {0.0, 0.0, 1.0}};
}

Matrix apply(const Matrix& transform, const Matrix& points) {
  Matrix result = Matrix::from_shape(points.shape());
  for (std::size_t n = 0; n < points.shape(0); ++n)
    for (std::size_t i = 0; i < 2; ++i)
      result(n, i) =
          transform(i, 0) * points(n, 0) + transform(i, 1) * points(n, 1) + transform(i, 2);
  return result;
}

Matrix with_singular_values(const Svd& factors, double s1, double s2, double s3) {
  const Matrix sigma{{s1, 0.0, 0.0}, {0.0, s2, 0.0}, {0.0, 0.0, s3}};
  return matmul(matmul(factors.u, sigma), factors.vt);
}

}  // namespace

Matrix fundamental_matrix_8point(const Matrix& points1, const Matrix& points2) {
  require_finite_matrix(points1, "fundamental_matrix_8point (points1)");
  require_finite_matrix(points2, "fundamental_matrix_8point (points2)");
  if (points1.shape(1) != 2 || points2.shape(1) != 2 || points1.shape(0) != points2.shape(0))
    throw std::invalid_argument("fundamental_matrix_8point: expected two [N, 2] point sets, got " +
                                to_string(shape_of(points1)) + " and " +
                                to_string(shape_of(points2)));
  const std::size_t count = points1.shape(0);
  if (count < 8)
    throw std::invalid_argument("fundamental_matrix_8point: need at least 8 correspondences, got " +
                                std::to_string(count));

  const Matrix t1 = normalising_transform(points1, "points1"),
               t2 = normalising_transform(points2, "points2");
  const Matrix p1 = apply(t1, points1), p2 = apply(t2, points2);
  Matrix a = Matrix::from_shape({count, 9});
  for (std::size_t n = 0; n < count; ++n) {
    const double x1 = p1(n, 0), y1 = p1(n, 1), x2 = p2(n, 0), y2 = p2(n, 1);
    const double row[9] = {x2 * x1, x2 * y1, x2, y2 * x1, y2 * y1, y2, x1, y1, 1.0};
    std::copy(row, row + 9, &a(n, 0));
  }
  // Full SVD: with exactly 8 rows the thin Vᵀ would lack the null vector (row 9).
  const Svd system = svd(a, SvdKind::full);
  const Vector& sigma = system.singular_values;
  // The solution is the null direction of A; if a second direction is (nearly) null too, the
  // points do not determine F (e.g. all on one plane seen without translation, or repeated).
  if (sigma.size() < 8 || sigma(7) <= 1e-10 * sigma(0))
    throw std::invalid_argument(
        "fundamental_matrix_8point: degenerate correspondences: they leave F undetermined");
  Matrix f_normalised = Matrix::from_shape({3, 3});
  for (std::size_t i = 0; i < 9; ++i) f_normalised(i / 3, i % 3) = system.vt(8, i);

  const Svd f_factors = svd(f_normalised, SvdKind::full);
  const Matrix rank2 = with_singular_values(f_factors, f_factors.singular_values(0),
                                            f_factors.singular_values(1), 0.0);
  const Matrix t2_transposed = xt::transpose(t2);
  const Matrix f = matmul(matmul(t2_transposed, rank2), t1);
  return f / frobenius_norm(f);
}

Matrix project_to_essential(const Matrix& e) {
  require_finite_matrix(e, "project_to_essential");
  if (e.shape(0) != 3 || e.shape(1) != 3)
    throw std::invalid_argument("project_to_essential: expected a 3 × 3 matrix, got " +
                                to_string(shape_of(e)));
  return with_singular_values(svd(e, SvdKind::full), 1.0, 1.0, 0.0);
}

}  // namespace gradlab::math
