#include "datasets/weighted_sampler.h"

#include "tests/support.h"

using namespace gradlab;

TEST_CASE("WeightedSampler draws index i with probability w_i / sum w", "[sampler]") {
  WeightedSampler sampler({0.0, 1.0, 3.0});
  Rng rng(4);
  const std::size_t n = 40000;
  std::vector<std::size_t> counts(3, 0);
  for (std::size_t i : sampler.sample(n, rng)) ++counts.at(i);
  CHECK(counts[0] == 0);  // weight 0 is never drawn
  // Binomial(40000, 1/4): sd ≈ 0.0022 in the fraction; allow 5 sd.
  CHECK(static_cast<double>(counts[1]) / n == Approx(0.25).margin(0.011));
  CHECK(static_cast<double>(counts[2]) / n == Approx(0.75).margin(0.011));
}

TEST_CASE("Class-balancing weights oversample the rare class to parity", "[sampler]") {
  Labels labels(100, 0);
  for (int i = 0; i < 5; ++i) labels[i * 20] = 1;  // 95 of class 0, 5 of class 1
  WeightedSampler sampler(class_balancing_weights(labels, 2));
  Rng rng(5);
  std::size_t rare = 0;
  const std::size_t n = 20000;
  for (std::size_t i : sampler.sample(n, rng)) rare += labels[i] == 1;
  CHECK(static_cast<double>(rare) / n ==
        Approx(0.5).margin(0.018));  // 5 sd of Binomial(20000, 1/2)
}

TEST_CASE("WeightedSampler is seeded and rejects bad weights", "[sampler][errors]") {
  WeightedSampler sampler({1.0, 2.0, 3.0, 4.0});
  Rng a(9), b(9);
  CHECK(sampler.sample(50, a) == sampler.sample(50, b));
  CHECK_THROWS_WITH(WeightedSampler({1.0, -1.0}),
                    "WeightedSampler: weight 1 must be finite and >= 0, got -1.000000");
  CHECK_THROWS_WITH(WeightedSampler({0.0, 0.0}), "WeightedSampler: the weights sum to 0");
  CHECK_THROWS_AS(WeightedSampler({}), std::invalid_argument);
}
