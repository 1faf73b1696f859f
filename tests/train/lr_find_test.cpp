#include "train/lr_find.h"

#include <cmath>

#include "tests/support.h"

using namespace gradlab;

TEST_CASE("lr-find smooths the losses as fastai: an average with bias correction", "[lr_find]") {
  const std::vector<double> smoothed = smooth_losses({2.0, 4.0, 1.0}, 0.5);
  // s1 = 0.5·2 = 1, ŝ1 = 1/0.5 = 2; s2 = 0.5 + 2 = 2.5, ŝ2 = 2.5/0.75; s3 = 1.25 + 0.5 = 1.75,
  // ŝ3 = 1.75/0.875 = 2.
  REQUIRE(smoothed.size() == 3);
  CHECK(smoothed[0] == Approx(2.0));
  CHECK(smoothed[1] == Approx(2.5 / 0.75));
  CHECK(smoothed[2] == Approx(2.0));
}

TEST_CASE("lr-find suggests the steepest fall, and finds the minimum and the valley", "[lr_find]") {
  // ŝ(u) = −tanh(u + 4) + ½ max(0, u + 2)², u = log10 η on a grid of 0.1 from −7 to 1: it falls
  // fastest at u = −4 and is lowest where sech²(u + 4) = u + 2, u ≈ −1.93, on the grid −1.9. It
  // falls all the way from −7 to −1.9 (51 steps): the valley's point is 17 + 8 steps in, −4.5.
  std::vector<double> rates, smoothed;
  for (int k = -70; k <= 10; ++k) {
    const double u = k / 10.0;
    rates.push_back(std::pow(10.0, u));
    smoothed.push_back(-std::tanh(u + 4) + 0.5 * std::pow(std::max(0.0, u + 2), 2));
  }
  const LrSuggestion suggestion = suggest_learning_rate(rates, smoothed);
  CHECK(suggestion.steepest == Approx(1e-4));
  CHECK(suggestion.suggested == suggestion.steepest);
  CHECK(suggestion.minimum == Approx(std::pow(10.0, -1.9)));
  CHECK(suggestion.valley == Approx(std::pow(10.0, -4.5)));
  CHECK_THROWS_AS(suggest_learning_rate({1e-3}, {1.0}), std::invalid_argument);
}
