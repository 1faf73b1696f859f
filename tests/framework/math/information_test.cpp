// Entropy, cross-entropy, KL divergence and Bayes' rule: Gibbs' inequality, the identity
// KL = H(P, Q) − H(P), asymmetry, the conventions at zero, the logit forms, and agreement with
// the framework's softmax cross-entropy loss.
#include "framework/math/information.h"

#include <limits>

#include "framework/losses/softmax_cross_entropy.h"
#include "tests/framework/math/math_support.h"

namespace gradlab::testing {
namespace {

using math::cross_entropy;
using math::entropy;
using math::kl_divergence;

Vector random_distribution(std::size_t k, Rng& rng) {
  Vector p = random_tensor({k}, rng, 0.0, 1.0);
  if (k > 2) p(0) = 0.0;  // an impossible outcome too, to exercise 0 log 0
  return p / xt::sum(p)();
}

TEST_CASE("entropy: uniform is log K, certain is 0, by hand in bits", "[math][information]") {
  CHECK(entropy(Vector{0.25, 0.25, 0.25, 0.25}) == Approx(std::log(4.0)));
  CHECK(entropy(Vector{0.0, 1.0, 0.0}) == 0.0);  // 0 log 0 = 0, not NaN
  // (1/2, 1/4, 1/4): 1/2·1 + 2·(1/4·2) = 1.5 bits.
  CHECK(entropy(Vector{0.5, 0.25, 0.25}) / std::log(2.0) == Approx(1.5));
  Rng rng(41);
  for (int trial = 0; trial < 100; ++trial) {
    const Vector p = random_distribution(6, rng);
    CHECK(entropy(p) >= 0.0);
    CHECK(entropy(p) <= std::log(6.0) + 1e-12);
  }
}

TEST_CASE("KL divergence: non-negative, zero for P = Q, equal to H(P, Q) - H(P)",
          "[math][information]") {
  Rng rng(42);
  for (int trial = 0; trial < 200; ++trial) {
    const Vector p = random_distribution(5, rng), q = random_distribution(5, rng);
    CHECK(kl_divergence(p, p) == Approx(0.0).margin(1e-15));
    const double kl = kl_divergence(q, p);  // q(0) = p(0) = 0: finite
    CHECK(kl >= 0.0);
    CHECK(kl == Approx(cross_entropy(q, p) - entropy(q)).margin(1e-12));
  }
}

TEST_CASE("KL divergence is not symmetric: a worked example", "[math][information]") {
  // P = (1/2, 1/2), Q = (9/10, 1/10):
  //   KL(P‖Q) = ½ ln(5/9) + ½ ln 5   = 0.5108…
  //   KL(Q‖P) = 0.9 ln 1.8 + 0.1 ln 0.2 = 0.3681…
  const Vector p{0.5, 0.5}, q{0.9, 0.1};
  CHECK(kl_divergence(p, q) == Approx(0.5 * std::log(5.0 / 9.0) + 0.5 * std::log(5.0)));
  CHECK(kl_divergence(q, p) == Approx(0.9 * std::log(1.8) + 0.1 * std::log(0.2)));
  CHECK(kl_divergence(p, q) == Approx(0.5108).margin(1e-4));
  CHECK(kl_divergence(q, p) == Approx(0.3681).margin(1e-4));
}

TEST_CASE("KL and cross-entropy are infinite where Q is 0 and P is not", "[math][information]") {
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(kl_divergence(Vector{0.5, 0.5}, Vector{1.0, 0.0}) == inf);
  CHECK(cross_entropy(Vector{0.5, 0.5}, Vector{1.0, 0.0}) == inf);
  // The other way round is finite: P puts no mass where Q is 0.
  CHECK(kl_divergence(Vector{1.0, 0.0}, Vector{0.5, 0.5}) == Approx(std::log(2.0)));
}

TEST_CASE("cross-entropy of a one-hot label is -log p_true and matches SoftmaxCrossEntropy",
          "[math][information]") {
  Rng rng(43);
  const Tensor<double> logits = random_tensor({4, 7}, rng, -5.0, 5.0);
  const Labels labels{3, 0, 6, 3};
  SoftmaxCrossEntropy<double> loss;
  const double framework_loss = loss.forward(logits, labels);
  double mean = 0.0;
  for (std::size_t n = 0; n < 4; ++n) {
    const Vector z = xt::view(logits, n, xt::all());
    Vector one_hot = xt::zeros<double>({7});
    one_hot(static_cast<std::size_t>(labels[n])) = 1.0;
    const Vector q = math::softmax(z);
    const double from_probabilities = cross_entropy(one_hot, q / xt::sum(q)());
    CHECK(from_probabilities ==
          Approx(-std::log(q(static_cast<std::size_t>(labels[n])))).epsilon(1e-12));
    CHECK(math::cross_entropy_from_logits(one_hot, z) == Approx(from_probabilities).epsilon(1e-12));
    mean += math::cross_entropy_from_logits(one_hot, z) / 4.0;
  }
  CHECK(framework_loss == Approx(mean).epsilon(1e-12));
}

TEST_CASE("logit forms are stable where probabilities underflow", "[math][information]") {
  // softmax(0, −1000) = (1, e^−1000): e^−1000 underflows to 0, yet its log is −1000.
  const Vector log_p = math::log_softmax(Vector{0.0, -1000.0});
  CHECK(log_p(1) == Approx(-1000.0));
  CHECK(math::cross_entropy_from_logits(Vector{0.0, 1.0}, Vector{0.0, -1000.0}) == Approx(1000.0));
  CHECK(math::log_softmax(Vector{1000.0, 1000.0})(0) == Approx(-std::log(2.0)));
  // The logit forms agree with the probability forms where both are finite.
  Rng rng(44);
  const Vector a = random_tensor({5}, rng, -3.0, 3.0), b = random_tensor({5}, rng, -3.0, 3.0);
  const Vector p = math::softmax(a), q = math::softmax(b);
  CHECK(math::kl_divergence_from_logits(a, b) ==
        Approx(kl_divergence(p / xt::sum(p)(), q / xt::sum(q)())).epsilon(1e-10));
  CHECK(math::entropy_from_logits(a) == Approx(entropy(p / xt::sum(p)())).epsilon(1e-12));
  // Row-wise on a matrix: each row sums to 1 after exp.
  const Matrix rows = math::softmax(random_tensor({3, 4}, rng, -50.0, 50.0));
  CHECK_THAT(Vector(xt::sum(rows, {1})), AllClose(Vector{1.0, 1.0, 1.0}, 1e-12));
}

TEST_CASE("Bayes posterior: the disease-test example by hand", "[math][information]") {
  // 1% prevalence, a test with 90% sensitivity and 5% false positives. After a positive test:
  //   P(ill | +) = 0.9·0.01 / (0.9·0.01 + 0.05·0.99) = 0.009 / 0.0585 = 0.1538…
  const Vector posterior = math::bayes_posterior(Vector{0.01, 0.99}, Vector{0.9, 0.05});
  CHECK(posterior(0) == Approx(0.009 / 0.0585));
  CHECK(posterior(0) + posterior(1) == Approx(1.0));
  // Evidence that is certain under every hypothesis changes nothing.
  CHECK_THAT(math::bayes_posterior(Vector{0.2, 0.3, 0.5}, Vector{1.0, 1.0, 1.0}),
             AllClose(Vector{0.2, 0.3, 0.5}, 1e-15));
  CHECK_THROWS_WITH(math::bayes_posterior(Vector{1.0, 0.0}, Vector{0.0, 0.5}),
                    Catch::Contains("probability 0"));
}

TEST_CASE("information functions reject what is not a distribution, naming it",
          "[math][information]") {
  CHECK_THROWS_WITH(entropy(Vector{0.5, 0.6}), Catch::Contains("P sums to 1.1"));
  CHECK_THROWS_WITH(kl_divergence(Vector{0.5, 0.5}, Vector{1.5, -0.5}),
                    Catch::Contains("Q has a negative entry"));
  CHECK_THROWS_WITH(cross_entropy(Vector{0.5, 0.5}, Vector{0.2, 0.3, 0.5}),
                    Catch::Contains("different lengths, 2 and 3"));
  CHECK_THROWS_WITH(math::bayes_posterior(Vector{0.5, 0.5}, Vector{2.0, 0.5}),
                    Catch::Contains("[0, 1], got 2"));
}

}  // namespace
}  // namespace gradlab::testing
