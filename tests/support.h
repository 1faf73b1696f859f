// Shared helpers for the tests: random inputs, and checking + reporting gradient checks.
#pragma once

#include <cmath>
#include <iostream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "framework/gradcheck.h"
#include "framework/random.h"
#include "framework/tensor.h"
#include "tests/temp_folder.h"

#include <xtensor/xio.hpp>

namespace gradlab::testing {

// The bar every float64 gradient check must clear (issue #2).
constexpr double kGradTolerance = 1e-6;

inline Tensor<double> random_tensor(const Shape& shape, Rng& rng, double low = -1.0,
                                    double high = 1.0) {
  Tensor<double> t = Tensor<double>::from_shape(shape);
  for (double& v : t) v = rng.uniform(low, high);
  return t;
}

// Uniform in ±[margin, 1]: no value within `margin` of a ReLU's kink at 0.
inline Tensor<double> random_tensor_away_from_zero(const Shape& shape, Rng& rng, double margin) {
  Tensor<double> t = Tensor<double>::from_shape(shape);
  for (double& v : t) v = (rng.bernoulli(0.5) ? 1.0 : -1.0) * rng.uniform(margin, 1.0);
  return t;
}

// A tensor of the given shape from row-major values: for shapes with a dimension of 1, where a
// braced list such as {{3.0}, {-1.0}} is ambiguous to xtensor's constructors.
inline Tensor<double> tensor(const Shape& shape, const std::vector<double>& values) {
  Tensor<double> t = Tensor<double>::from_shape(shape);
  REQUIRE(values.size() == t.size());
  std::copy(values.begin(), values.end(), t.begin());
  return t;
}

// CHECK_THAT(actual, Equals(expected)): exact equality of shape and values, printing both tensors
// on failure. (Catch's CHECK(a == b) cannot decompose xtensor expressions.)
template <class T>
class TensorEquals : public Catch::MatcherBase<Tensor<T>> {
 public:
  explicit TensorEquals(Tensor<T> expected) : expected_(std::move(expected)) {}
  bool match(const Tensor<T>& actual) const override {
    return shape_of(actual) == shape_of(expected_) &&
           std::equal(actual.begin(), actual.end(), expected_.begin());
  }
  std::string describe() const override {
    std::ostringstream out;
    out << "equals " << expected_;
    return out.str();
  }

 private:
  Tensor<T> expected_;
};

template <class T>
TensorEquals<T> Equals(const Tensor<T>& expected) {
  return TensorEquals<T>(expected);
}

// CHECK_THAT(actual, AllClose(expected, tolerance)): same shape and every |actual − expected| ≤
// tolerance (absolute), printing both tensors on failure.
class TensorAllClose : public Catch::MatcherBase<Tensor<double>> {
 public:
  TensorAllClose(Tensor<double> expected, double tolerance)
      : expected_(std::move(expected)), tolerance_(tolerance) {}
  bool match(const Tensor<double>& actual) const override {
    if (shape_of(actual) != shape_of(expected_)) return false;
    for (std::size_t i = 0; i < actual.size(); ++i)
      if (!(std::abs(actual.flat(i) - expected_.flat(i)) <= tolerance_)) return false;
    return true;
  }
  std::string describe() const override {
    std::ostringstream out;
    out << "is within " << tolerance_ << " of " << expected_;
    return out.str();
  }

 private:
  Tensor<double> expected_;
  double tolerance_;
};

inline TensorAllClose AllClose(const Tensor<double>& expected, double tolerance) {
  return TensorAllClose(expected, tolerance);
}

// Requires every result within kGradTolerance and prints the worst error, so `ctest -V` (and the
// closing note of issue #2) can quote it.
inline void require_gradients_match(const std::string& check,
                                    const std::vector<GradCheckResult>& results) {
  const double worst = max_relative_error(results);
  std::cout << "[gradcheck] " << check << ": max relative error " << worst << "\n"
            << format_results(results);
  INFO(check << "\n" << format_results(results));
  REQUIRE(!results.empty());
  for (const GradCheckResult& result : results) {
    INFO(result.variable);
    CHECK(result.max_relative_error <= kGradTolerance);
  }
}

// Gradient check of a loss with respect to its input: f = loss_forward(x), analytic = grad.
template <class Forward>
std::vector<GradCheckResult> check_loss_input(Tensor<double> input, Forward&& loss_forward,
                                              const Tensor<double>& analytic,
                                              const std::string& input_name) {
  return compare_with_finite_differences([&] { return loss_forward(input); },
                                         {{input_name, &input, analytic}});
}

}  // namespace gradlab::testing
