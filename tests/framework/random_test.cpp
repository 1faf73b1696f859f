#include "framework/random.h"

#include <cmath>
#include <vector>

#include "tests/support.h"

using namespace gradlab;

TEST_CASE("Rng: the same seed gives the same stream, another seed another", "[random]") {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    const double x = a.normal();
    CHECK(x == b.normal());
    CHECK(x != c.normal());
  }
}

TEST_CASE("Rng: uniform and normal have the right moments", "[random]") {
  Rng rng(7);
  const int n = 200000;
  double u_sum = 0, u_min = 1, u_max = 0, z_sum = 0, z_sq = 0;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform();
    u_sum += u;
    u_min = std::min(u_min, u);
    u_max = std::max(u_max, u);
    const double z = rng.normal();
    z_sum += z;
    z_sq += z * z;
  }
  // Tolerances are 5 standard errors: U(0,1) mean 1/2 (sd 0.289/√n), N(0,1) mean 0 (sd 1/√n),
  // variance 1 (sd √(2/n)).
  CHECK(u_min >= 0.0);
  CHECK(u_max < 1.0);
  CHECK(u_sum / n == Approx(0.5).margin(5 * 0.2887 / std::sqrt(n)));
  CHECK(z_sum / n == Approx(0.0).margin(5 / std::sqrt(n)));
  CHECK(z_sq / n == Approx(1.0).margin(5 * std::sqrt(2.0 / n)));
}

TEST_CASE("Rng::below is uniform over 0 to n - 1", "[random]") {
  Rng rng(3);
  std::vector<int> counts(7, 0);
  const int n = 70000;
  for (int i = 0; i < n; ++i) {
    const auto k = rng.below(7);
    REQUIRE(k < 7);
    ++counts[k];
  }
  // Each count ~ Binomial(n, 1/7): mean 10000, sd ≈ 92.6; allow 5 sd.
  for (int count : counts) CHECK(std::abs(count - 10000) < 463);
  CHECK_THROWS_AS(rng.below(0), std::invalid_argument);
}

TEST_CASE("Rng state round-trips exactly", "[random]") {
  Rng rng(11);
  for (int i = 0; i < 10; ++i) rng.normal();
  const std::string saved = rng.state();
  std::vector<double> expected;
  for (int i = 0; i < 5; ++i) expected.push_back(rng.normal());
  Rng restored(0);
  restored.set_state(saved);
  for (double x : expected) CHECK(restored.normal() == x);
  CHECK_THROWS_AS(restored.set_state("not a state"), std::invalid_argument);
}
