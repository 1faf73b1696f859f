// Harris corners on synthetic images: a white square on black has its corners at the square's
// corners, edges along its sides and flat ground elsewhere; the det/trace response equals the
// eigenvalue form λ₁λ₂ − k(λ₁ + λ₂)².
#include "framework/math/harris.h"

#include "tests/framework/math/math_support.h"

namespace gradlab::testing {
namespace {

using math::PixelKind;

// 48 × 48 black image with a white square covering rows and columns [first, last].
constexpr std::size_t kSize = 48, kFirst = 14, kLast = 33;
Matrix white_square() {
  Matrix image = xt::zeros<double>({kSize, kSize});
  xt::view(image, xt::range(kFirst, kLast + 1), xt::range(kFirst, kLast + 1)) = 255.0;
  return image;
}

TEST_CASE("Harris: a white square's four corners are the only corners", "[math][harris]") {
  const Matrix response = math::harris_response(white_square());
  const std::vector<math::Corner> corners = math::harris_corners(response, 0.1, 3);
  REQUIRE(corners.size() == 4);
  // The square's corner pixels are (14, 14), (14, 33), (33, 14), (33, 33); the response peaks
  // where the boundary turns, within a pixel of them.
  for (const std::size_t row : {kFirst, kLast})
    for (const std::size_t column : {kFirst, kLast}) {
      INFO("expected a corner near (" << row << ", " << column << ")");
      bool found = false;
      for (const math::Corner& corner : corners)
        found |= std::abs(static_cast<long>(corner.row) - static_cast<long>(row)) <= 1 &&
                 std::abs(static_cast<long>(corner.column) - static_cast<long>(column)) <= 1;
      CHECK(found);
    }
}

TEST_CASE("Harris: corners, edges along the sides, flat inside and outside", "[math][harris]") {
  const auto kinds = math::classify_pixels(math::harris_response(white_square()), 0.01);
  const std::size_t middle = (kFirst + kLast) / 2;
  CHECK(kinds[kFirst][kFirst] == PixelKind::corner);
  CHECK(kinds[kLast][kLast] == PixelKind::corner);
  // The middle of each side: an edge.
  CHECK(kinds[kFirst][middle] == PixelKind::edge);
  CHECK(kinds[kLast][middle] == PixelKind::edge);
  CHECK(kinds[middle][kFirst] == PixelKind::edge);
  CHECK(kinds[middle][kLast] == PixelKind::edge);
  // Deep inside the square and far outside it: flat.
  CHECK(kinds[middle][middle] == PixelKind::flat);
  CHECK(kinds[2][2] == PixelKind::flat);
  CHECK(kinds[kSize - 3][middle] == PixelKind::flat);
  // Every corner pixel is near one of the square's corners.
  for (std::size_t row = 0; row < kSize; ++row)
    for (std::size_t column = 0; column < kSize; ++column)
      if (kinds[row][column] == PixelKind::corner) {
        INFO("corner pixel at (" << row << ", " << column << ")");
        const auto near = [](std::size_t a, std::size_t b) {
          return std::abs(static_cast<long>(a) - static_cast<long>(b)) <= 4;
        };
        CHECK(((near(row, kFirst) || near(row, kLast)) &&
               (near(column, kFirst) || near(column, kLast))));
      }
}

TEST_CASE("Harris: the det/trace response equals the eigenvalue form", "[math][harris]") {
  Rng rng(51);
  const Matrix image = random_tensor({16, 16}, rng, 0.0, 1.0);
  const double k = 0.05;
  const math::StructureTensor m = math::structure_tensor(image, 1.5);
  const Matrix response = math::harris_response(m, k);
  for (std::size_t row = 0; row < 16; ++row)
    for (std::size_t column = 0; column < 16; ++column) {
      const Matrix tensor{{m.xx(row, column), m.xy(row, column)},
                          {m.xy(row, column), m.yy(row, column)}};
      const Vector lambda = math::symmetric_eigen(tensor).eigenvalues;
      CHECK(lambda(1) >= -1e-12);  // M is positive semi-definite
      const double eigen_form =
          lambda(0) * lambda(1) - k * (lambda(0) + lambda(1)) * (lambda(0) + lambda(1));
      CHECK(response(row, column) == Approx(eigen_form).margin(1e-12));
    }
}

TEST_CASE("Harris: a constant image has no corners or edges; bad sigma is named",
          "[math][harris]") {
  const Matrix flat = xt::ones<double>({10, 10}) * 7.0;
  const Matrix response = math::harris_response(flat);
  CHECK(math::linf_norm(response) == 0.0);
  CHECK(math::harris_corners(response).empty());
  for (const auto& row : math::classify_pixels(response))
    for (PixelKind kind : row) CHECK(kind == PixelKind::flat);
  CHECK_THROWS_WITH(math::structure_tensor(flat, 0.0),
                    Catch::Contains("sigma must be in (0, 100]"));
}

}  // namespace
}  // namespace gradlab::testing
