// Norms and cosine similarity: hand-worked values, the zero vector, overflow, and the matrix
// form of cosine similarity agreeing with the pairwise vector form.
#include "framework/math/norms.h"

#include "tests/framework/math/math_support.h"

namespace gradlab::testing {
namespace {

TEST_CASE("norms of (3, -4) and of [[1, 2], [3, 4]] by hand", "[math][norms]") {
  const Vector x{3.0, -4.0};
  CHECK(math::l1_norm(x) == 7.0);
  CHECK(math::l2_norm(x) == 5.0);
  CHECK(math::linf_norm(x) == 4.0);
  const Matrix a{{1.0, 2.0}, {3.0, 4.0}};
  CHECK(math::frobenius_norm(a) == Approx(std::sqrt(30.0)).epsilon(1e-15));
  // ‖A‖_F² = Σ σᵢ².
  const Vector sigma = math::svd(a).singular_values;
  CHECK(math::frobenius_norm(a) ==
        Approx(std::sqrt(sigma(0) * sigma(0) + sigma(1) * sigma(1))).epsilon(1e-14));
  CHECK_THROWS_WITH(math::frobenius_norm(x), Catch::Contains("[2]"));
}

TEST_CASE("l2_norm neither overflows nor underflows", "[math][norms]") {
  CHECK(math::l2_norm(Vector{1e200, 1e200}) == Approx(std::sqrt(2.0) * 1e200).epsilon(1e-15));
  CHECK(math::l2_norm(Vector{3e-200, 4e-200}) == Approx(5e-200).epsilon(1e-15));
  CHECK(math::l2_norm(Vector{0.0, 0.0}) == 0.0);
}

TEST_CASE("l2_normalize: unit length, same direction, zero stays zero", "[math][norms]") {
  Rng rng(21);
  const Vector x = random_tensor({7}, rng);
  const Vector unit = math::l2_normalize(x);
  CHECK(math::l2_norm(unit) == Approx(1.0).epsilon(1e-15));
  CHECK(math::cosine_similarity(unit, x) == Approx(1.0).epsilon(1e-15));
  CHECK_THAT(math::l2_normalize(Vector{0.0, 0.0, 0.0}), Equals(Vector{0.0, 0.0, 0.0}));
  // A matrix is normalised row by row; its zero row stays zero.
  const Matrix rows = math::l2_normalize(Matrix{{3.0, 4.0}, {0.0, 0.0}, {0.0, -2.0}});
  CHECK_THAT(rows, AllClose(Matrix{{0.6, 0.8}, {0.0, 0.0}, {0.0, -1.0}}, 1e-15));
}

TEST_CASE("cosine_similarity: parallel, opposite, orthogonal, scale-invariant", "[math][norms]") {
  CHECK(math::cosine_similarity(Vector{1.0, 2.0}, Vector{2.0, 4.0}) == Approx(1.0));
  CHECK(math::cosine_similarity(Vector{1.0, 2.0}, Vector{-3.0, -6.0}) == Approx(-1.0));
  CHECK(math::cosine_similarity(Vector{1.0, 2.0}, Vector{-2.0, 1.0}) == Approx(0.0).margin(1e-16));
  // 45 degrees.
  CHECK(math::cosine_similarity(Vector{1.0, 0.0}, Vector{1.0, 1.0}) ==
        Approx(1.0 / std::sqrt(2.0)));
  CHECK(math::cosine_similarity(Vector{0.0, 0.0}, Vector{1.0, 1.0}) == 0.0);
  CHECK_THROWS_WITH(math::cosine_similarity(Vector{1.0, 2.0}, Vector{1.0, 2.0, 3.0}),
                    Catch::Contains("[2] and [3]"));
}

TEST_CASE("cosine_similarity of all row pairs equals the pairwise vector form", "[math][norms]") {
  Rng rng(22);
  Matrix a = random_matrix(5, 8, rng), b = random_matrix(4, 8, rng);
  xt::view(a, 2, xt::all()) = 0.0;  // a zero row: similarity 0 with everything
  const Matrix similarity = math::pairwise_cosine_similarity(a, b);
  REQUIRE(shape_of(similarity) == Shape{5, 4});
  for (std::size_t i = 0; i < 5; ++i)
    for (std::size_t j = 0; j < 4; ++j) {
      const Vector row_a = xt::view(a, i, xt::all()), row_b = xt::view(b, j, xt::all());
      CHECK(similarity(i, j) == Approx(math::cosine_similarity(row_a, row_b)).margin(1e-14));
      // And from the definition, a·b / (‖a‖ ‖b‖).
      const double norms = math::l2_norm(row_a) * math::l2_norm(row_b);
      CHECK(similarity(i, j) ==
            Approx(norms == 0.0 ? 0.0 : xt::sum(row_a * row_b)() / norms).margin(1e-14));
    }
  CHECK_THROWS_WITH(math::pairwise_cosine_similarity(a, random_matrix(4, 7, rng)),
                    Catch::Contains("[5, 8] and [4, 7]"));
}

}  // namespace
}  // namespace gradlab::testing
