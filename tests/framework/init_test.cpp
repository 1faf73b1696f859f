#include "framework/init.h"

#include <cmath>

#include "tests/support.h"

using namespace gradlab;
using gradlab::testing::Equals;

namespace {
struct Moments {
  double mean, variance, max_abs;
};
Moments moments(const Tensor<double>& t) {
  double sum = 0, sq = 0, max_abs = 0;
  for (double v : t) {
    sum += v;
    sq += v * v;
    max_abs = std::max(max_abs, std::abs(v));
  }
  const double n = static_cast<double>(t.size());
  return {sum / n, sq / n - (sum / n) * (sum / n), max_abs};
}
}  // namespace

TEST_CASE("Initialisers have the variances of He and Glorot", "[init]") {
  const std::size_t fan_in = 400, fan_out = 250;
  Tensor<double> w = Tensor<double>::from_shape({fan_in, fan_out});  // 100,000 draws
  Rng rng(5);
  const double he = 2.0 / fan_in, glorot = 2.0 / (fan_in + fan_out);
  // The sample variance of 100,000 draws is within 2% of the true one with a wide margin
  // (its relative sd is √(2/n) ≈ 0.45% for normal, less for uniform).
  initialize(w, Init::kaiming_normal, fan_in, fan_out, rng);
  CHECK(moments(w).variance == Approx(he).epsilon(0.02));
  CHECK(std::abs(moments(w).mean) < 5 * std::sqrt(he / w.size()));
  initialize(w, Init::kaiming_uniform, fan_in, fan_out, rng);
  CHECK(moments(w).variance == Approx(he).epsilon(0.02));
  CHECK(moments(w).max_abs <= std::sqrt(6.0 / fan_in));
  initialize(w, Init::xavier_normal, fan_in, fan_out, rng);
  CHECK(moments(w).variance == Approx(glorot).epsilon(0.02));
  initialize(w, Init::xavier_uniform, fan_in, fan_out, rng);
  CHECK(moments(w).variance == Approx(glorot).epsilon(0.02));
  CHECK(moments(w).max_abs <= std::sqrt(6.0 / (fan_in + fan_out)));
  CHECK(moments(w).max_abs > 0.99 * std::sqrt(6.0 / (fan_in + fan_out)));
}

TEST_CASE("The same seed gives bit-identical weights", "[init]") {
  Tensor<float> a = Tensor<float>::from_shape({30, 20}), b = a;
  Rng rng_a(9), rng_b(9);
  initialize(a, Init::kaiming_normal, 30, 20, rng_a);
  initialize(b, Init::kaiming_normal, 30, 20, rng_b);
  CHECK_THAT(a, Equals(b));
}

TEST_CASE("Initialiser names parse, and unknown names list the valid ones", "[init][errors]") {
  CHECK(parse_init("xavier_uniform") == Init::xavier_uniform);
  CHECK(to_string(Init::kaiming_normal) == "kaiming_normal");
  CHECK_THROWS_WITH(parse_init("he"),
                    "unknown initialiser 'he' (valid: kaiming_normal, "
                    "kaiming_uniform, xavier_normal, xavier_uniform)");
}
