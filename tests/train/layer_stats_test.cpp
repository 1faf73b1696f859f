// Layer health (train/layer_stats.h): the readings against values worked by hand, and when each
// warning is given.
#include "train/layer_stats.h"

#include <catch2/catch.hpp>

#include "framework/optim/sgd.h"

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
  stats.before();
  sgd.step();
  const nlohmann::json line = stats.after(7, 2, 0.1);
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
    stats.before();
    sgd.step();
    stats.after(1, 1, rate);
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
  stats.before();
  sgd.step();
  stats.after(1, 1, 1e-6);  // ratio 1e-6 · 1 / 5 = 2e-7 < 1e-5
  const std::vector<std::string> warnings = stats.take_warnings();
  REQUIRE(warnings.size() == 1);
  CHECK(mentions(warnings, "1.weight: update/weight ratio 2e-07"));
  CHECK(mentions(warnings, "it barely moves"));
}
