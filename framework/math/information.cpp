#include "framework/math/information.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include <xtensor/xview.hpp>

namespace gradlab::math {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

void require_vector(const Vector& v, const char* function, const char* name) {
  if (v.dimension() != 1 || v.size() == 0)
    throw std::invalid_argument(std::string(function) + ": " + name +
                                " must be a non-empty vector, got shape " + to_string(shape_of(v)));
  for (double value : v)
    if (!std::isfinite(value))
      throw std::invalid_argument(std::string(function) + ": " + name + " holds NaN or infinity");
}

void require_distribution(const Vector& p, const char* function, const char* name) {
  require_vector(p, function, name);
  double sum = 0.0;
  for (double value : p) {
    if (value < 0.0)
      throw std::invalid_argument(std::string(function) + ": " + name + " has a negative entry " +
                                  std::to_string(value));
    sum += value;
  }
  if (std::abs(sum - 1.0) > 1e-9)
    throw std::invalid_argument(std::string(function) + ": " + name + " sums to " +
                                std::to_string(sum) + ", not 1");
}

void require_same_length(const Vector& a, const Vector& b, const char* function) {
  if (a.size() != b.size())
    throw std::invalid_argument(std::string(function) +
                                ": the distributions have different lengths, " +
                                std::to_string(a.size()) + " and " + std::to_string(b.size()));
}

// −Σ pᵢ log_qᵢ, skipping pᵢ = 0 (0 log 0 = 0; also 0 · −∞ = 0).
double expected_negative_log(const Vector& p, const Vector& log_q) {
  double sum = 0.0;
  for (std::size_t i = 0; i < p.size(); ++i)
    if (p(i) > 0.0) sum -= p(i) * log_q(i);
  return sum;
}

}  // namespace

double entropy(const Vector& p) {
  require_distribution(p, "entropy", "P");
  return expected_negative_log(p, xt::log(p));
}

double cross_entropy(const Vector& p, const Vector& q) {
  require_distribution(p, "cross_entropy", "P");
  require_distribution(q, "cross_entropy", "Q");
  require_same_length(p, q, "cross_entropy");
  return expected_negative_log(p, xt::log(q));  // log 0 = −∞ where pᵢ > 0 gives +∞
}

double kl_divergence(const Vector& p, const Vector& q) {
  require_distribution(p, "kl_divergence", "P");
  require_distribution(q, "kl_divergence", "Q");
  require_same_length(p, q, "kl_divergence");
  double sum = 0.0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p(i) == 0.0) continue;
    if (q(i) == 0.0) return kInfinity;
    sum += p(i) * std::log(p(i) / q(i));
  }
  // Each term can be negative; the sum cannot (Gibbs' inequality) except by rounding.
  return std::max(sum, 0.0);
}

Tensor<double> log_softmax(const Tensor<double>& logits) {
  if (logits.dimension() == 1) {
    require_vector(logits, "log_softmax", "logits");
    const double largest = xt::amax(logits)();
    const double log_sum = std::log(xt::sum(xt::exp(logits - largest))());
    return logits - largest - log_sum;
  }
  if (logits.dimension() != 2)
    throw std::invalid_argument("log_softmax: expected a vector or a matrix, got shape " +
                                to_string(shape_of(logits)));
  const std::size_t rows = logits.shape(0), classes = logits.shape(1);
  Tensor<double> result = Tensor<double>::from_shape({rows, classes});
  for (std::size_t row = 0; row < rows; ++row) {
    Vector logits_row = Vector::from_shape({classes});
    for (std::size_t c = 0; c < classes; ++c) logits_row(c) = logits(row, c);
    const Vector log_p = log_softmax(logits_row);
    for (std::size_t c = 0; c < classes; ++c) result(row, c) = log_p(c);
  }
  return result;
}

Tensor<double> softmax(const Tensor<double>& logits) {
  return xt::exp(log_softmax(logits));
}

double entropy_from_logits(const Vector& logits_p) {
  const Vector log_p = log_softmax(logits_p);
  return expected_negative_log(xt::exp(log_p), log_p);
}

double cross_entropy_from_logits(const Vector& p, const Vector& logits_q) {
  require_distribution(p, "cross_entropy_from_logits", "P");
  require_same_length(p, logits_q, "cross_entropy_from_logits");
  return expected_negative_log(p, log_softmax(logits_q));
}

double kl_divergence_from_logits(const Vector& logits_p, const Vector& logits_q) {
  require_same_length(logits_p, logits_q, "kl_divergence_from_logits");
  const Vector log_p = log_softmax(logits_p), log_q = log_softmax(logits_q);
  const Vector p = xt::exp(log_p);
  double sum = 0.0;
  for (std::size_t i = 0; i < p.size(); ++i)
    if (p(i) > 0.0) sum += p(i) * (log_p(i) - log_q(i));
  return std::max(sum, 0.0);
}

Vector bayes_posterior(const Vector& prior, const Vector& likelihood) {
  require_distribution(prior, "bayes_posterior", "prior");
  require_vector(likelihood, "bayes_posterior", "likelihood");
  require_same_length(prior, likelihood, "bayes_posterior");
  for (double value : likelihood)
    if (value < 0.0 || value > 1.0)
      throw std::invalid_argument("bayes_posterior: a likelihood P(e | h) must be in [0, 1], got " +
                                  std::to_string(value));
  const Vector joint = prior * likelihood;   // P(e, hᵢ)
  const double evidence = xt::sum(joint)();  // P(e)
  if (evidence == 0.0)
    throw std::invalid_argument(
        "bayes_posterior: the evidence has probability 0 under the prior; the posterior is "
        "undefined");
  return joint / evidence;
}

}  // namespace gradlab::math
