#include "framework/layers/dropout.h"

#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::testing;

TEST_CASE("Dropout zeroes a fraction p and scales the rest by 1/(1-p)", "[dropout]") {
  const double p = 0.3;
  Dropout<double> dropout(p, 5);
  Tensor<double> x = Tensor<double>::from_shape({100, 1000});
  x.fill(2.0);
  const Tensor<double>& y = dropout.forward(x);
  std::size_t zeros = 0;
  for (double v : y) {
    if (v == 0.0)
      ++zeros;
    else
      REQUIRE(v == Approx(2.0 / (1 - p)).epsilon(1e-15));
  }
  // 100,000 Bernoulli(0.3) draws: standard deviation of the fraction ≈ 0.00145; allow 5σ.
  CHECK(static_cast<double>(zeros) / x.size() == Approx(p).margin(0.0073));
}

TEST_CASE("Dropout is the identity in eval mode", "[dropout]") {
  Dropout<double> dropout(0.5, 5);
  dropout.eval();
  const Tensor<double> x{{1, -2, 3}};
  CHECK_THAT(dropout.forward(x), Equals(x));
  CHECK_THAT(dropout.backward(Tensor<double>{{4, 5, 6}}), Equals(Tensor<double>{{4, 5, 6}}));
}

TEST_CASE("Dropout masks are fixed by the seed", "[dropout]") {
  Dropout<double> a(0.5, 9), b(0.5, 9), c(0.5, 10);
  Tensor<double> x = Tensor<double>::from_shape({4, 50});
  x.fill(1.0);
  const Tensor<double> ya = a.forward(x);
  CHECK_THAT(b.forward(x), Equals(ya));
  CHECK_THAT(c.forward(x), !Equals(ya));
  CHECK_THAT(a.forward(x), !Equals(ya));  // a new mask each step
}

TEST_CASE("Dropout with p = 0 keeps everything and p = 1 drops everything", "[dropout]") {
  const Tensor<double> x{{1, 2, 3}};
  Dropout<double> keep(0.0, 1), drop(1.0, 1);
  CHECK_THAT(keep.forward(x), Equals(x));
  CHECK_THAT(drop.forward(x), Equals(Tensor<double>{{0, 0, 0}}));
  CHECK_THROWS_AS(Dropout<double>(1.5, 1), std::invalid_argument);
  CHECK_THROWS_AS(Dropout<double>(-0.1, 1), std::invalid_argument);
}

TEST_CASE("gradcheck: Dropout with a fixed mask", "[gradcheck][dropout]") {
  Rng rng(41);
  for (const Shape& shape : {Shape{1, 5}, Shape{3, 7}, Shape{2, 3, 4, 5}}) {
    Dropout<double> dropout(0.4, 77);
    dropout.freeze_mask(true);  // the first forward draws the mask; the check reuses it
    require_gradients_match(
        "Dropout(p=0.4) " + to_string(shape),
        check_module_gradients(dropout, random_tensor(shape, rng), random_projection_head(9)));
    std::size_t dropped = 0;
    for (double m : dropout.mask()) dropped += m == 0.0;
    CHECK(dropped > 0);  // the check covered dropped elements too
  }
}
