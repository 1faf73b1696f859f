#include "framework/losses/mse.h"

#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::testing;

TEST_CASE("MSE is the mean of squared differences (worked example)", "[mse]") {
  MSELoss<double> mse;
  // Differences 1, −2, 0, 3 → (1 + 4 + 0 + 9) / 4 = 3.5; gradient 2/4 · diff.
  CHECK(mse.forward(Tensor<double>{{2, 0}, {5, 7}}, Tensor<double>{{1, 2}, {5, 4}}) == 3.5);
  CHECK_THAT(mse.backward(), Equals(Tensor<double>{{0.5, -1.0}, {0.0, 1.5}}));
}

TEST_CASE("MSE rejects mismatched shapes", "[mse][errors]") {
  MSELoss<double> mse;
  CHECK_THROWS_WITH(
      mse.forward(Tensor<double>::from_shape({2, 3}), Tensor<double>::from_shape({3, 2})),
      "MSELoss: prediction [2, 3] and target [3, 2] must have the same shape");
  CHECK_THROWS_AS(mse.backward(), std::logic_error);
}

TEST_CASE("gradcheck: MSE", "[gradcheck][mse]") {
  Rng rng(51);
  for (const Shape& shape : {Shape{1, 1}, Shape{4, 3}, Shape{2, 3, 5}}) {
    MSELoss<double> mse;
    const Tensor<double> prediction = random_tensor(shape, rng), target = random_tensor(shape, rng);
    mse.forward(prediction, target);
    require_gradients_match(
        "MSELoss " + to_string(shape),
        check_loss_input(
            prediction, [&](const Tensor<double>& p) { return mse.forward(p, target); },
            mse.backward(), "prediction"));
  }
}
