// The normalised 8-point algorithm on synthetic correspondences from two known cameras, and the
// projection onto essential matrices.
#include "framework/math/epipolar.h"

#include "tests/framework/math/math_support.h"

namespace gradlab::testing {
namespace {

// [t]ₓ, the matrix of the cross product: [t]ₓ v = t × v.
Matrix cross_product_matrix(double x, double y, double z) {
  return Matrix{{0.0, -z, y}, {z, 0.0, -x}, {-y, x, 0.0}};
}

Matrix rotation_yx(double about_y, double about_x) {
  const Matrix ry{{std::cos(about_y), 0.0, std::sin(about_y)},
                  {0.0, 1.0, 0.0},
                  {-std::sin(about_y), 0.0, std::cos(about_y)}};
  const Matrix rx{{1.0, 0.0, 0.0},
                  {0.0, std::cos(about_x), -std::sin(about_x)},
                  {0.0, std::sin(about_x), std::cos(about_x)}};
  return math::matmul(ry, rx);
}

// Camera 1 = K [I | 0], camera 2 = K [R | t]. Then E = [t]ₓ R and F = K⁻ᵀ E K⁻¹.
struct TwoViews {
  Matrix k{{800.0, 0.0, 320.0}, {0.0, 780.0, 240.0}, {0.0, 0.0, 1.0}};
  Matrix rotation = rotation_yx(0.15, -0.08);
  Matrix translation_cross = cross_product_matrix(1.0, 0.2, 0.1);

  Matrix true_fundamental() const {
    const Matrix k_inverse{
        {1.0 / 800.0, 0.0, -320.0 / 800.0}, {0.0, 1.0 / 780.0, -240.0 / 780.0}, {0.0, 0.0, 1.0}};
    const Matrix f = math::matmul(
        math::matmul(transposed(k_inverse), math::matmul(translation_cross, rotation)), k_inverse);
    return f / math::frobenius_norm(f);
  }

  // Projects N random scene points (in front of both cameras) into both images.
  void project(std::size_t count, Rng& rng, Matrix& points1, Matrix& points2) const {
    points1 = Matrix::from_shape({count, 2});
    points2 = Matrix::from_shape({count, 2});
    const Vector t{1.0, 0.2, 0.1};
    for (std::size_t n = 0; n < count; ++n) {
      const Vector scene{rng.uniform(-2.0, 2.0), rng.uniform(-1.5, 1.5), rng.uniform(4.0, 9.0)};
      const Vector seen1 = xt::view(
          math::matmul(k, Matrix(xt::view(scene, xt::all(), xt::newaxis()))), xt::all(), 0);
      const Matrix in_camera2 =
          math::matmul(rotation, Matrix(xt::view(scene, xt::all(), xt::newaxis())));
      const Vector moved = Vector(xt::view(in_camera2, xt::all(), 0)) + t;
      const Vector seen2 = xt::view(
          math::matmul(k, Matrix(xt::view(moved, xt::all(), xt::newaxis()))), xt::all(), 0);
      points1(n, 0) = seen1(0) / seen1(2), points1(n, 1) = seen1(1) / seen1(2);
      points2(n, 0) = seen2(0) / seen2(2), points2(n, 1) = seen2(1) / seen2(2);
    }
  }
};

// x₂ᵀ F x₁ for correspondence n, with ‖F‖_F = 1 and x in pixels.
double epipolar_residual(const Matrix& f, const Matrix& points1, const Matrix& points2,
                         std::size_t n) {
  const double x1[3] = {points1(n, 0), points1(n, 1), 1.0},
               x2[3] = {points2(n, 0), points2(n, 1), 1.0};
  double sum = 0.0;
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 3; ++j) sum += x2[i] * f(i, j) * x1[j];
  return sum;
}

// F and G equal up to a non-zero scale (both have unit Frobenius norm: up to sign).
double distance_up_to_sign(const Matrix& f, const Matrix& g) {
  return std::min(math::frobenius_norm(Matrix(f - g)), math::frobenius_norm(Matrix(f + g)));
}

TEST_CASE("8-point: x2t F x1 = 0, rank 2, and the true F up to scale", "[math][epipolar]") {
  const TwoViews views;
  Rng rng(61);
  for (std::size_t count : {8, 9, 20, 100}) {
    INFO(count << " correspondences");
    Matrix points1, points2;
    views.project(count, rng, points1, points2);
    const Matrix f = math::fundamental_matrix_8point(points1, points2);
    CHECK(math::frobenius_norm(f) == Approx(1.0));
    // Pixel coordinates reach ~600, so x₂ᵀ F x₁ would be ~1e5 for a wrong F.
    for (std::size_t n = 0; n < count; ++n)
      CHECK(std::abs(epipolar_residual(f, points1, points2, n)) < 1e-8);
    const Vector sigma = math::svd(f).singular_values;
    CHECK(sigma(1) > 1e-6);
    CHECK(sigma(2) < 1e-12);  // rank 2
    CHECK(distance_up_to_sign(f, views.true_fundamental()) < 1e-7);
  }
}

TEST_CASE("8-point with pixel noise still lands near the true F", "[math][epipolar]") {
  const TwoViews views;
  Rng rng(62);
  Matrix points1, points2;
  views.project(200, rng, points1, points2);
  for (double& v : points2) v += rng.uniform(-0.5, 0.5);  // ±half a pixel
  const Matrix f = math::fundamental_matrix_8point(points1, points2);
  CHECK(math::svd(f).singular_values(2) < 1e-12);  // rank 2 is enforced, not approximated
  CHECK(distance_up_to_sign(f, views.true_fundamental()) < 0.05);
}

TEST_CASE("8-point rejects too few, mismatched or degenerate correspondences", "[math][epipolar]") {
  Rng rng(63);
  const Matrix seven = random_matrix(7, 2, rng);
  CHECK_THROWS_WITH(math::fundamental_matrix_8point(seven, seven),
                    Catch::Contains("at least 8 correspondences, got 7"));
  CHECK_THROWS_WITH(
      math::fundamental_matrix_8point(random_matrix(9, 2, rng), random_matrix(8, 2, rng)),
      Catch::Contains("[9, 2] and [8, 2]"));
  const Matrix same = xt::ones<double>({10, 2});
  CHECK_THROWS_WITH(math::fundamental_matrix_8point(same, random_matrix(10, 2, rng)),
                    Catch::Contains("points1 all coincide"));
  // The same 4 points twice over: 8 rows but only 4 independent constraints.
  Matrix four = random_matrix(4, 2, rng), doubled = xt::concatenate(xt::xtuple(four, four), 0);
  CHECK_THROWS_WITH(math::fundamental_matrix_8point(doubled, doubled),
                    Catch::Contains("degenerate"));
}

TEST_CASE("project_to_essential: singular values (1, 1, 0) and the nearest essential matrix",
          "[math][epipolar]") {
  const TwoViews views;
  const Matrix essential = math::matmul(views.translation_cross, views.rotation);
  // E = [t]ₓR has singular values (‖t‖, ‖t‖, 0).
  const double t_norm = std::sqrt(1.0 + 0.04 + 0.01);
  CHECK_THAT(math::svd(essential).singular_values, AllClose(Vector{t_norm, t_norm, 0.0}, 1e-12));
  Rng rng(64);
  const Matrix noisy = essential + 1e-3 * random_matrix(3, 3, rng);
  const Matrix projected = math::project_to_essential(noisy);
  CHECK_THAT(math::svd(projected).singular_values, AllClose(Vector{1.0, 1.0, 0.0}, 1e-12));
  CHECK(distance_up_to_sign(projected / math::frobenius_norm(projected),
                            essential / math::frobenius_norm(essential)) < 1e-2);
  // Projecting an essential matrix again changes nothing.
  CHECK(relative_error(math::project_to_essential(projected), projected) < 1e-12);
  CHECK_THROWS_WITH(math::project_to_essential(random_matrix(2, 3, rng)), Catch::Contains("3 × 3"));
}

}  // namespace
}  // namespace gradlab::testing
