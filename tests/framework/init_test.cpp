#include "framework/init.h"

#include <cmath>

#include "framework/layers/conv2d.h"
#include "framework/layers/linear.h"
#include "models/builder.h"
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
                    "unknown initialiser 'he' (valid: kaiming_uniform, "
                    "kaiming_normal, xavier_uniform, xavier_normal, pytorch)");
}

TEST_CASE("The pytorch initialiser draws weights and biases from U(±1/√fan_in)", "[init]") {
  const std::size_t fan_in = 400, fan_out = 250;
  Tensor<double> w = Tensor<double>::from_shape({fan_in, fan_out});
  Rng rng(6);
  initialize(w, Init::pytorch, fan_in, fan_out, rng);
  const double bound = 1 / std::sqrt(400.0);  // 0.05
  CHECK(moments(w).variance == Approx(bound * bound / 3).epsilon(0.02));
  CHECK(moments(w).max_abs <= bound);
  CHECK(moments(w).max_abs > 0.99 * bound);
  Tensor<double> b = Tensor<double>::from_shape({20000});
  initialize_bias(b, Init::pytorch, fan_in, rng);
  CHECK(moments(b).variance == Approx(bound * bound / 3).epsilon(0.05));
  CHECK(moments(b).max_abs <= bound);
  // Every other initialiser leaves biases at zero, drawing nothing.
  Rng untouched(7), reference(7);
  initialize_bias(b, Init::kaiming_uniform, fan_in, untouched);
  CHECK(moments(b).max_abs == 0.0);
  CHECK(untouched.next_u64() == reference.next_u64());
}

TEST_CASE("Linear and Conv2d draw their biases only with the pytorch initialiser", "[init]") {
  Rng rng(8);
  Linear<double> linear(400, 50, rng, Init::pytorch);
  CHECK(moments(linear.bias().value).max_abs > 0.0);
  CHECK(moments(linear.bias().value).max_abs <= 1 / std::sqrt(400.0));
  Conv2d<double> conv(4, 6, 5, rng, 1, 0, Init::pytorch);  // fan_in = 4·5·5 = 100
  CHECK(moments(conv.bias().value).max_abs > 0.0);
  CHECK(moments(conv.bias().value).max_abs <= 0.1);
  CHECK(moments(conv.weight().value).max_abs <= 0.1);
  Linear<double> he(400, 50, rng);  // kaiming_uniform: zero biases, as before
  CHECK(moments(he.bias().value).max_abs == 0.0);
}

TEST_CASE("A model-wide init applies to every layer with weights that names none", "[init]") {
  auto conv = [](const nlohmann::json& extra) {
    nlohmann::json layer = {
        {"type", "conv2d"}, {"out_channels", 4}, {"kernel_size", 3}, {"padding", 1}};
    layer.update(extra);
    return layer;
  };
  auto model = [&](const nlohmann::json& model_init, const nlohmann::json& layer_init) {
    nlohmann::json spec = {{"layers",
                            {conv(layer_init),
                             {{"type", "relu"}},
                             {{"type", "residual"}, {"body", {conv(layer_init)}}},
                             {{"type", "flatten"}},
                             {{"type", "linear"}, {"out_features", 3}}}}};
    spec["layers"][4].update(layer_init);
    spec.update(model_init);
    return build_model<float>(spec, {1, 5, 5}, 3, 11);
  };
  auto weights = [](Sequential<float>& m) {
    std::vector<float> all;
    for (Parameter<float>* p : m.parameters())
      all.insert(all.end(), p->value.begin(), p->value.end());
    return all;
  };
  const nlohmann::json none = nlohmann::json::object(), he = {{"init", "kaiming_uniform"}};
  // The model's init reaches every layer, inside blocks too: as if each layer named it.
  const std::vector<float> by_model = weights(*model(he, none));
  CHECK(by_model == weights(*model(none, he)));
  // Unlike the default's (PyTorch's: U(±1/√fan_in) weights and biases).
  CHECK(by_model != weights(*model(none, none)));
  CHECK(weights(*model(none, none)) == weights(*model({{"init", "pytorch"}}, none)));
  // A layer's own init wins over the model's.
  CHECK(weights(*model({{"init", "pytorch"}}, he)) == by_model);
  CHECK_THROWS_WITH(model({{"init", "he"}}, nlohmann::json::object()),
                    "model.init: unknown value \"he\" (allowed: kaiming_uniform, kaiming_normal, "
                    "xavier_uniform, xavier_normal, pytorch)");
}
