#include "framework/losses/softmax_cross_entropy.h"
#include "framework/optim/adam.h"
#include "framework/optim/sgd.h"
#include "models/mlp.h"
#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::testing;

namespace {
// Trains an MLP for `steps` steps on a fixed batch.
void train(Sequential<float>& model, Optimizer<float>& optimizer, int steps, const Tensor<float>& x,
           const Labels& y) {
  SoftmaxCrossEntropy<float> loss;
  for (int t = 0; t < steps; ++t) {
    optimizer.zero_grad();
    loss.forward(model.forward(x), y);
    model.backward(loss.backward());
    optimizer.step();
  }
}
std::vector<float> flatten(Sequential<float>& model) {
  std::vector<float> all;
  for (Parameter<float>* p : model.parameters())
    all.insert(all.end(), p->value.begin(), p->value.end());
  return all;
}
}  // namespace

TEMPLATE_TEST_CASE("Saving and restoring optimizer state mid-run is bit-identical",
                   "[optim][state]", Adam<float>, SGD<float>) {
  Rng data_rng(5);
  Tensor<float> x = Tensor<float>::from_shape({8, 4});
  for (float& v : x) v = static_cast<float>(data_rng.uniform(-1, 1));
  const Labels y{0, 1, 2, 0, 1, 2, 0, 1};
  auto make = [](Sequential<float>& model) {
    if constexpr (std::is_same_v<TestType, SGD<float>>)
      return SGD<float>(model.named_parameters(), 0.1, 0.9, true);
    else
      return Adam<float>(model.named_parameters(), 0.01);
  };

  Rng rng_a(1);
  auto uninterrupted = make_mlp<float>({4, 6, 3}, rng_a);
  auto optimizer_a = make(*uninterrupted);
  train(*uninterrupted, optimizer_a, 10, x, y);

  Rng rng_b(1);
  auto first_half = make_mlp<float>({4, 6, 3}, rng_b);
  auto optimizer_b = make(*first_half);
  train(*first_half, optimizer_b, 5, x, y);
  const OptimizerState<float> saved = optimizer_b.state();

  // A fresh model and optimizer, given the saved weights and state, continue the run.
  Rng rng_c(99);
  auto resumed = make_mlp<float>({4, 6, 3}, rng_c);
  for (std::size_t i = 0; i < resumed->parameters().size(); ++i)
    resumed->parameters()[i]->value = first_half->parameters()[i]->value;
  auto optimizer_c = make(*resumed);
  optimizer_c.load_state(saved);
  CHECK(optimizer_c.steps() == 5);
  train(*resumed, optimizer_c, 5, x, y);

  CHECK(flatten(*resumed) == flatten(*uninterrupted));
}

TEST_CASE("Loading a state that does not fit is rejected and changes nothing",
          "[optim][state][errors]") {
  Rng rng(1);
  auto model = make_mlp<float>({4, 6, 3}, rng);
  auto other = make_mlp<float>({4, 5, 3}, rng);
  Adam<float> adam(model->named_parameters(), 0.01);
  Adam<float> other_adam(other->named_parameters(), 0.01);
  CHECK_THROWS_WITH(adam.load_state(other_adam.state()),
                    Catch::Matchers::Contains(
                        "state buffer '0.weight.exp_avg' has shape [4, 5], expected [4, 6]"));
  SGD<float> sgd(model->named_parameters(), 0.1, 0.9);
  CHECK_THROWS_WITH(
      adam.load_state(sgd.state()),
      Catch::Matchers::Contains("optimizer state has 4 buffers, these parameters need 8"));
  CHECK(adam.steps() == 0);
}
