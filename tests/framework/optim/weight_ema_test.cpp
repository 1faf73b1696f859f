#include "framework/optim/weight_ema.h"

#include "framework/losses/softmax_cross_entropy.h"
#include "framework/optim/sgd.h"
#include "models/builder.h"
#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::testing;

namespace {

// A small CNN with a BatchNorm, so that buffers are averaged as well as weights.
std::unique_ptr<Sequential<float>> small_cnn(std::uint64_t seed) {
  const nlohmann::json spec = {
      {"layers",
       {{{"type", "conv2d"}, {"out_channels", 3}, {"kernel_size", 3}, {"padding", 1}},
        {{"type", "batchnorm2d"}},
        {{"type", "relu"}},
        {{"type", "flatten"}},
        {{"type", "linear"}, {"out_features", 3}}}}};
  return build_model<float>(spec, {1, 4, 4}, 3, seed);
}

// Every tensor the average covers: weights, then buffers, in the model's order.
std::vector<std::vector<double>> model_state(Sequential<float>& model) {
  std::vector<std::vector<double>> state;
  for (const NamedParameter<float>& p : model.named_parameters())
    state.emplace_back(p.parameter->value.begin(), p.parameter->value.end());
  for (const NamedBuffer<float>& b : model.named_buffers())
    state.emplace_back(b.tensor->begin(), b.tensor->end());
  return state;
}

}  // namespace

TEST_CASE("The EMA decay ramps as t / (warmup - 1 + t) up to decay", "[optim][ema]") {
  Rng rng(1);
  auto model = small_cnn(1);
  const WeightEma<float> ramped(*model, 0.99, 10);
  CHECK(ramped.decay_at(1) == Approx(0.1));        // 1 / 10: the first weights count 90%
  CHECK(ramped.decay_at(9) == Approx(0.5));        // 9 / 18
  CHECK(ramped.decay_at(891) == Approx(0.99));     // 891 / 900 reaches the decay...
  CHECK(ramped.decay_at(100000) == Approx(0.99));  // ...and stays there
  const WeightEma<float> plain(*model, 0.99, 1);
  CHECK(plain.decay_at(1) == Approx(0.99));  // warmup 1: no ramp
  CHECK_THROWS_AS(WeightEma<float>(*model, 1.0, 10), std::invalid_argument);
  CHECK_THROWS_AS(WeightEma<float>(*model, 0.9, 0.5), std::invalid_argument);
}

TEST_CASE("The weight EMA follows its float64 recurrence over weights and BatchNorm buffers",
          "[optim][ema]") {
  auto model = small_cnn(7);
  SGD<float> sgd(model->named_parameters(), 0.1, 0.9);
  const double decay = 0.9, warmup = 5;
  WeightEma<float> ema(*model, decay, warmup);

  // θ̄_0 = the initial weights and buffers; then θ̄_t = d_t θ̄_{t-1} + (1 − d_t) θ_t in float64.
  std::vector<std::vector<double>> expected = model_state(*model);
  Rng rng(3);
  SoftmaxCrossEntropy<float> loss;
  Tensor<float> x = Tensor<float>::from_shape({6, 1, 4, 4});
  const Labels y{0, 1, 2, 2, 1, 0};
  for (std::size_t t = 1; t <= 200; ++t) {
    for (float& v : x) v = static_cast<float>(rng.uniform(-1, 1));
    sgd.zero_grad();
    loss.forward(model->forward(x), y);
    model->backward(loss.backward());
    sgd.step();
    ema.update();
    const double d =
        std::min(decay, static_cast<double>(t) / (warmup - 1 + static_cast<double>(t)));
    const std::vector<std::vector<double>> live = model_state(*model);
    for (std::size_t k = 0; k < expected.size(); ++k)
      for (std::size_t i = 0; i < expected[k].size(); ++i)
        expected[k][i] = d * expected[k][i] + (1 - d) * live[k][i];
  }
  CHECK(ema.updates() == 200);

  // Rounding: each update adds about one ulp of θ̄ to the error, which then decays by d, so the
  // error stays below ~2 ulp / (1 − d) = 20 ulp ≈ 2.4e-6 of the values (|θ̄| < 2 here).
  const auto averages = ema.named_averages();
  REQUIRE(averages.size() == expected.size());
  double worst = 0, moved = 0;
  const std::vector<std::vector<double>> live = model_state(*model);
  for (std::size_t k = 0; k < expected.size(); ++k) {
    const Tensor<float>& average = *averages[k].second;
    REQUIRE(average.size() == expected[k].size());
    for (std::size_t i = 0; i < expected[k].size(); ++i) {
      worst = std::max(worst, std::abs(average.data()[i] - expected[k][i]) /
                                  std::max(1.0, std::abs(expected[k][i])));
      moved = std::max(moved, std::abs(expected[k][i] - live[k][i]));
    }
  }
  INFO("worst relative error " << worst << "; largest |average - weights| " << moved);
  CHECK(worst < 5e-6);
  CHECK(moved > 1e-3);  // the average is not the weights: the comparison means something
  CHECK(averages[0].first == "0.weight");
  CHECK(averages.back().first == "1.running_var");
}

TEST_CASE("Swapping the EMA into a model twice restores the model", "[optim][ema]") {
  auto model = small_cnn(2);
  WeightEma<float> ema(*model, 0.5, 1);
  const std::vector<std::vector<double>> start = model_state(*model);
  // New weights and buffers: the average moves halfway towards them.
  for (Parameter<float>* p : model->parameters()) p->value += 1.0f;
  for (const NamedBuffer<float>& b : model->named_buffers()) *b.tensor += 1.0f;
  const float* storage = model->parameters()[0]->value.data();
  ema.update();
  const std::vector<std::vector<double>> trained = model_state(*model);
  ema.swap_with_model();
  const std::vector<std::vector<double>> swapped = model_state(*model);
  for (std::size_t k = 0; k < start.size(); ++k)
    for (std::size_t i = 0; i < start[k].size(); ++i)
      CHECK(swapped[k][i] == Approx(start[k][i] + 0.5).margin(1e-6));
  CHECK(model->parameters()[0]->value.data() == storage);  // values moved, not tensors
  ema.swap_with_model();
  CHECK(model_state(*model) == trained);
}
