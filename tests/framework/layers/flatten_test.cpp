#include "framework/layers/flatten.h"

#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::testing;

TEST_CASE("Flatten keeps row-major order and the batch axis", "[flatten]") {
  Flatten<double> flatten;
  const Tensor<double> x{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}};  // 2 × 2 × 2
  CHECK_THAT(flatten.forward(x), Equals(Tensor<double>{{1, 2, 3, 4}, {5, 6, 7, 8}}));
  const Tensor<double>& dx = flatten.backward(Tensor<double>{{1, 2, 3, 4}, {5, 6, 7, 8}});
  CHECK_THAT(dx, Equals(x));
  CHECK(flatten.output_shape({64, 32, 7, 7}) == Shape{64, 1568});
  CHECK_THROWS_WITH(flatten.forward(Tensor<double>{1, 2, 3}),
                    "Flatten: expected input of rank >= 2 [N, ...], got [3]");
}

TEST_CASE("gradcheck: Flatten", "[gradcheck][flatten]") {
  Rng rng(21);
  for (const Shape& shape : {Shape{1, 3}, Shape{2, 3, 5, 4}, Shape{3, 1, 7, 2}}) {
    Flatten<double> flatten;
    require_gradients_match(
        "Flatten " + to_string(shape),
        check_module_gradients(flatten, random_tensor(shape, rng), random_projection_head(4)));
  }
}
