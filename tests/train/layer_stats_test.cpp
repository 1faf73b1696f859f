// Layer health (train/layer_stats.h): the readings against values worked by hand, and when each
// warning is given.
#include "train/layer_stats.h"

#include <catch2/catch.hpp>

#include "framework/layers/conv2d.h"
#include "framework/layers/linear.h"
#include "framework/layers/relu.h"
#include "framework/optim/sgd.h"
#include "framework/sequential.h"

using namespace gradlab;

namespace {

Parameter<float> tensor(const char* name, std::vector<float> values, std::vector<float> grads) {
  Parameter<float> p(name, {values.size()});
  std::copy(values.begin(), values.end(), p.value.data());
  std::copy(grads.begin(), grads.end(), p.grad.data());
  return p;
}

bool mentions(const std::vector<std::string>& lines, const std::string& text) {
  for (const std::string& line : lines)
    if (line.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("layer statistics: norms and update ratio as worked by hand", "[layer_stats]") {
  // θ = (3, 4): ‖θ‖ = 5; g = (0.6, 0.8): ‖g‖ = 1. SGD at 0.1 moves θ by 0.1 g, ‖Δθ‖ = 0.1, so the
  // update ratio is 0.1 / 5 = 0.02.
  Parameter<float> weight = tensor("weight", {3, 4}, {0.6f, 0.8f});
  Parameter<float> bias = tensor("bias", {0, 2}, {0, 0.5f});  // ‖θ‖ 2, ‖g‖ 0.5, ‖Δθ‖ 0.05
  std::vector<NamedParameter<float>> named{{"0.weight", &weight}, {"0.bias", &bias}};
  SGD<float> sgd(named, 0.1);
  LayerStats stats(named, 0.1);
  stats.before_step();
  sgd.step();
  const nlohmann::json line = stats.after_step(7, 2, 0.1);
  CHECK(line["step"] == 7);
  CHECK(line["epoch"] == 2);
  CHECK(line["lr"] == 0.1);
  REQUIRE(line["layers"].size() == 2);
  const nlohmann::json& w = line["layers"][0];
  CHECK(w["name"] == "0.weight");
  CHECK(w["norm"].get<double>() == Approx(5.0));
  CHECK(w["grad_norm"].get<double>() == Approx(1.0));
  CHECK(w["update_ratio"].get<double>() == Approx(0.02).epsilon(1e-5));
  const nlohmann::json& b = line["layers"][1];
  CHECK(b["name"] == "0.bias");
  CHECK(b["norm"].get<double>() == Approx(2.0));
  CHECK(b["grad_norm"].get<double>() == Approx(0.5));
  CHECK(b["update_ratio"].get<double>() == Approx(0.025).epsilon(1e-5));
  CHECK(stats.take_warnings().empty());  // 0.02 is inside [1e-5, 1e-1]
  CHECK(stats.readings() == 1);
  CHECK(stats.seconds() >= 0);
}

TEST_CASE("layer statistics: each warning once, naming the tensor", "[layer_stats]") {
  Parameter<float> weight = tensor("weight", {3, 4}, {0.6f, 0.8f});
  Parameter<float> dead = tensor("weight", {1, 1}, {0, 0});
  std::vector<NamedParameter<float>> named{{"0.weight", &weight}, {"2.weight", &dead}};
  SGD<float> sgd(named, 10.0);
  LayerStats stats(named, 10.0);
  auto reading = [&](double rate, float grad_scale) {
    weight.grad.data()[0] = 0.6f * grad_scale, weight.grad.data()[1] = 0.8f * grad_scale;
    sgd.set_learning_rate(rate);
    stats.before_step();
    sgd.step();
    stats.after_step(1, 1, rate);
    return stats.take_warnings();
  };
  // At rate 10 the weight moves by 10 · ‖g‖ = 10 against a norm of 5: ratio 2, far above 0.1;
  // the dead tensor's gradient is 0.
  std::vector<std::string> warnings = reading(10.0, 1);
  CHECK(warnings.size() == 2);
  CHECK(mentions(warnings, "0.weight: update/weight ratio 2"));
  CHECK(mentions(warnings, "each step moves it far"));
  CHECK(mentions(warnings, "2.weight: gradients vanish"));
  CHECK(reading(10.0, 1).empty());  // said once
  // Gradients 1000 times their median of the earlier readings.
  CHECK(reading(1e-12, 1).empty());  // rate far below a tenth of the peak: no update rule
  const std::vector<std::string> exploded = reading(1e-12, 1000);
  REQUIRE(exploded.size() == 1);
  CHECK(mentions(exploded, "0.weight: gradients explode"));
}

TEST_CASE("layer statistics: a step too small is named while the rate is up", "[layer_stats]") {
  Parameter<float> weight = tensor("weight", {3, 4}, {0.6f, 0.8f});
  std::vector<NamedParameter<float>> named{{"1.weight", &weight}};
  SGD<float> sgd(named, 1e-6);
  LayerStats stats(named, 1e-6);
  stats.before_step();
  sgd.step();
  stats.after_step(1, 1, 1e-6);  // ratio 1e-6 · 1 / 5 = 2e-7 < 1e-5
  const std::vector<std::string> warnings = stats.take_warnings();
  REQUIRE(warnings.size() == 1);
  CHECK(mentions(warnings, "1.weight: update/weight ratio 2e-07"));
  CHECK(mentions(warnings, "it barely moves"));
}

namespace {

// A reading of the model on x, with SGD at 0.1 after a backward of ones.
nlohmann::json read_outputs(Sequential<float>& model, const Tensor<float>& x,
                            LayerStatsRules rules = {}) {
  SGD<float> sgd(model.named_parameters(), 0.1);
  LayerStats stats(model.named_parameters(), 0.1, rules);
  stats.watch_outputs(model);
  stats.before_forward();
  const Tensor<float>& y = model.forward(x);
  Tensor<float> ones(shape_of(y));
  ones.fill(1.0f);
  model.backward(ones);
  stats.before_step();
  sgd.step();
  return stats.after_step(1, 1, 0.1);
}

const nlohmann::json& activation(const nlohmann::json& line, const std::string& name) {
  for (const nlohmann::json& entry : line["activations"])
    if (entry["name"] == name) return entry;
  FAIL("no activation named " << name << " in " << line.dump());
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("layer statistics: each layer's output mean, std and zeros as worked by hand",
          "[layer_stats]") {
  // Linear(2 -> 3), Y = X W + b: W's columns (1, 0), (0, 1), (−1, −1), b = (0, 0, 0.5), on the
  // samples x = (1, −2), (3, 1):
  //   y = (1, −2, 1.5), (3, 1, −3.5): mean 1/6, E[y²] = 29.5/6, std √(29.5/6 − 1/36) = 2.211083
  //   relu(y) = (1, 0, 1.5), (3, 1, 0): mean 6.5/6, E = 13.25/6, std 1.017213, zeros 2/6
  Rng rng(1);
  Sequential<float> model;
  Linear<float>& linear = model.emplace<Linear<float>>(2, 3, rng);
  model.emplace<ReLU<float>>();
  const float weights[] = {1, 0, -1, 0, 1, -1}, biases[] = {0, 0, 0.5f};
  std::copy(weights, weights + 6, linear.weight().value.data());
  std::copy(biases, biases + 3, linear.bias().value.data());
  Tensor<float> x(Shape{2, 2});
  const float inputs[] = {1, -2, 3, 1};
  std::copy(inputs, inputs + 4, x.data());

  const nlohmann::json line = read_outputs(model, x);
  REQUIRE(line["activations"].size() == 2);  // the Sequential itself is not read
  const nlohmann::json& y = activation(line, "0");
  CHECK(y["kind"] == "linear");
  CHECK(y["mean"].get<double>() == Approx(1.0 / 6));
  CHECK(y["std"].get<double>() == Approx(2.211083).epsilon(1e-5));
  CHECK(y["zero_fraction"].get<double>() == 0);
  const nlohmann::json& relu = activation(line, "1");
  CHECK(relu["kind"] == "relu");
  CHECK(relu["mean"].get<double>() == Approx(6.5 / 6));
  CHECK(relu["std"].get<double>() == Approx(1.017213).epsilon(1e-5));
  CHECK(relu["zero_fraction"].get<double>() == Approx(2.0 / 6));
  CHECK(line["layers"].size() == 2);  // the parameters' readings are still there
}

TEST_CASE("layer statistics: a fused convolution and ReLU give the ReLU's output, unpadded",
          "[layer_stats]") {
  // Conv2d(1 -> 2, 1×1), weights 1 and −1, no bias, on x = [[1, −2], [3, −4]]: channels x and
  // −x; after the ReLU (1, 0, 3, 0) and (0, 2, 0, 4): mean 10/8, std √(30/8 − 1.5625) = 1.479020,
  // zeros 4/8. On oneDNN the two run as one chain whose output is padded to 8 or 16 channels:
  // padding counted as zeros would give far more.
  Rng rng(1);
  Sequential<float> model;
  Conv2d<float>& conv =
      model.emplace<Conv2d<float>>(1, 2, 1, rng, 1, 0, Init::kaiming_uniform, false);
  model.emplace<ReLU<float>>();
  Tensor<float> x(Shape{1, 1, 2, 2});
  const float inputs[] = {1, -2, 3, -4};
  std::copy(inputs, inputs + 4, x.data());
  for (Backend backend : {Backend::onednn, Backend::reference}) {
    INFO(to_string(backend));
    model.set_backend(backend);
    conv.weight().value.data()[0] = 1, conv.weight().value.data()[1] = -1;  // each reading steps
    const nlohmann::json line = read_outputs(model, x);
    const nlohmann::json& relu = activation(line, "1");
    CHECK(relu["mean"].get<double>() == Approx(1.25));
    CHECK(relu["std"].get<double>() == Approx(1.479020).epsilon(1e-5));
    CHECK(relu["zero_fraction"].get<double>() == Approx(0.5));
    // The chain never writes the convolution's own output; run layer by layer it is read.
    CHECK(line["activations"].size() == (backend == Backend::onednn ? 1u : 2u));
  }
}

TEST_CASE("layer statistics: a dead ReLU is named once", "[layer_stats]") {
  Rng rng(1);
  Sequential<float> model;
  Linear<float>& linear = model.emplace<Linear<float>>(2, 3, rng);
  model.emplace<ReLU<float>>();
  linear.weight().value.fill(0.0f);
  linear.bias().value.fill(-1.0f);       // every output −1, every ReLU output 0
  linear.bias().value.data()[0] = 1.0f;  // but one unit of three: 2/3 zeros, under 0.99
  Tensor<float> x(Shape{4, 2});
  x.fill(1.0f);
  LayerStatsRules rules;
  SGD<float> sgd(model.named_parameters(), 0.1);
  LayerStats stats(model.named_parameters(), 0.1, rules);
  stats.watch_outputs(model);
  auto reading = [&] {
    stats.before_forward();
    model.forward(x);
    stats.before_step();
    stats.after_step(1, 1, 0.1);
    return stats.take_warnings();
  };
  for (const std::string& warning : reading()) CHECK(warning.find("dead") == std::string::npos);
  linear.bias().value.data()[0] = -1.0f;  // all of them
  const std::vector<std::string> warnings = reading();
  CHECK(mentions(warnings, "1: 100.0% of the ReLU's outputs are 0 at step 1"));
  CHECK(mentions(warnings, "most of its units are dead"));
  CHECK(!mentions(reading(), "dead"));  // said once
}

TEST_CASE("layer statistics: outputs are read on reading steps only", "[layer_stats]") {
  Rng rng(1);
  Sequential<float> model;
  model.emplace<Linear<float>>(2, 3, rng);
  LayerStats stats(model.named_parameters(), 0.1);
  stats.watch_outputs(model);
  CHECK(model[0].output_observer() == nullptr);
  stats.before_forward();
  CHECK(model[0].output_observer() != nullptr);
  stats.before_step();  // the forward is over: no other step's forward is read
  CHECK(model[0].output_observer() == nullptr);
  model.forward(Tensor<float>(Shape{1, 2}));
  CHECK(stats.after_step(1, 1, 0.1)["activations"].empty());
  // A reading whose forward did not run (a rank's empty slice of the last batch) reports no
  // outputs, not the previous reading's.
  stats.before_forward();
  model.forward(Tensor<float>(Shape{1, 2}));
  stats.before_step();
  CHECK(stats.after_step(2, 1, 0.1)["activations"].size() == 1);
  stats.before_step();
  CHECK(stats.after_step(3, 1, 0.1)["activations"].empty());
}
