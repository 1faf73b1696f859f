// Each optimizer against values worked by hand from its formula, with the arithmetic written out.
#include <cmath>
#include <functional>
#include <memory>

#include "framework/kernels/simd.h"
#include "framework/optim/adam.h"
#include "framework/optim/ema_momentum.h"
#include "framework/optim/sgd.h"
#include "tests/support.h"

using namespace gradlab;

namespace {
// One scalar parameter w = w0, whose gradient the test sets before each step.
struct Scalar {
  explicit Scalar(double w0) : parameter("w", {1}) { parameter.value(0) = w0; }
  std::vector<NamedParameter<double>> named() { return {{"w", &parameter}}; }
  double w() const { return parameter.value(0); }
  void set_grad(double g) { parameter.grad(0) = g; }
  Parameter<double> parameter;
};
}  // namespace

TEST_CASE("SGD: W <- W - lr g, with L2 weight decay g + lambda W", "[optim]") {
  Scalar p(1.0);
  SGD<double> sgd(p.named(), 0.1, 0.0, false, 0.01);
  p.set_grad(0.5);
  sgd.step();
  CHECK(p.w() == Approx(1.0 - 0.1 * (0.5 + 0.01 * 1.0)).epsilon(1e-15));  // 0.949
  p.set_grad(0.5);
  sgd.step();
  CHECK(p.w() == Approx(0.949 - 0.1 * (0.5 + 0.01 * 0.949)).epsilon(1e-15));
}

TEST_CASE("SGD heavy-ball momentum follows PyTorch: b <- mu b + g, W <- W - lr b", "[optim]") {
  Scalar p(1.0);
  SGD<double> sgd(p.named(), 0.1, 0.9);
  // g = 1 every step: b = 1, 1.9, 2.71; w = 1 − 0.1, − 0.19, − 0.271.
  const double expected[] = {0.9, 0.71, 0.439};
  for (double w : expected) {
    p.set_grad(1.0);
    sgd.step();
    CHECK(p.w() == Approx(w).epsilon(1e-14));
  }
}

TEST_CASE("SGD Nesterov follows PyTorch: g <- g + mu b", "[optim]") {
  Scalar p(1.0);
  SGD<double> sgd(p.named(), 0.1, 0.9, true);
  // g = 1: b = 1, 1.9, 2.71; step direction g + 0.9 b = 1.9, 2.71, 3.439.
  const double expected[] = {1.0 - 0.19, 1.0 - 0.19 - 0.271, 1.0 - 0.19 - 0.271 - 0.3439};
  for (double w : expected) {
    p.set_grad(1.0);
    sgd.step();
    CHECK(p.w() == Approx(w).epsilon(1e-14));
  }
}

TEST_CASE("EMA momentum: v <- beta v + (1 - beta) g, W <- W - lr v", "[optim]") {
  Scalar p(1.0);
  EmaMomentum<double> optimizer(p.named(), 0.1, 0.9);
  // g = 1: v = 0.1, 0.19, 0.271; w = 1 − 0.01, − 0.019, − 0.0271.
  const double expected[] = {0.99, 0.971, 0.9439};
  for (double w : expected) {
    p.set_grad(1.0);
    optimizer.step();
    CHECK(p.w() == Approx(w).epsilon(1e-14));
  }
}

TEST_CASE("Adam with bias correction, by hand for three steps", "[optim]") {
  Scalar p(1.0);
  Adam<double> adam(p.named(), 0.1);  // β1 = 0.9, β2 = 0.999, ε = 1e-8
  // t = 1, g = 1:  m = 0.1, v = 0.001;  m̂ = 0.1/0.1 = 1, v̂ = 0.001/0.001 = 1
  p.set_grad(1.0);
  adam.step();
  const double w1 = 1.0 - 0.1 * 1.0 / (1.0 + 1e-8);
  CHECK(p.w() == Approx(w1).epsilon(1e-14));
  // t = 2, g = −2: m = 0.09 − 0.2 = −0.11, v = 0.000999 + 0.004 = 0.004999
  //                m̂ = −0.11 / (1 − 0.81), v̂ = 0.004999 / (1 − 0.998001)
  p.set_grad(-2.0);
  adam.step();
  const double w2 = w1 - 0.1 * (-0.11 / 0.19) / (std::sqrt(0.004999 / 0.001999) + 1e-8);
  CHECK(p.w() == Approx(w2).epsilon(1e-13));
  // t = 3, g = 0.5: m = −0.099 + 0.05 = −0.049, v = 0.004994001 + 0.00025 = 0.005244001
  //                 m̂ = −0.049 / (1 − 0.729), v̂ = 0.005244001 / (1 − 0.997002999)
  p.set_grad(0.5);
  adam.step();
  const double w3 = w2 - 0.1 * (-0.049 / 0.271) / (std::sqrt(0.005244001 / 0.002997001) + 1e-8);
  CHECK(p.w() == Approx(w3).epsilon(1e-13));
}

TEST_CASE("Adam's L2 decay enters the gradient; AdamW's decays the weight first", "[optim]") {
  Scalar a(2.0), b(2.0);
  Adam<double> adam(a.named(), 0.1, 0.9, 0.999, 1e-8, 0.5);
  Adam<double> adamw(b.named(), 0.1, 0.9, 0.999, 1e-8, 0.5, Adam<double>::WeightDecay::decoupled);
  a.set_grad(1.0);
  b.set_grad(1.0);
  adam.step();
  adamw.step();
  // Adam: g = 1 + 0.5·2 = 2; at t = 1, m̂/√v̂ = g/|g| = 1 → w = 2 − 0.1
  CHECK(a.w() == Approx(2.0 - 0.1 / (1.0 + 1e-8 / 2.0)).epsilon(1e-14));
  // AdamW: w = 2 − 0.1·0.5·2 = 1.9, then the Adam step of g = 1 → 1.9 − 0.1
  CHECK(b.w() == Approx(1.9 - 0.1 / (1.0 + 1e-8)).epsilon(1e-14));
  CHECK(adamw.name() == "AdamW(lr=0.1, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.5)");
}

TEST_CASE("Optimizers reject bad hyper-parameters naming them and the allowed range",
          "[optim][errors]") {
  Scalar p(1.0);
  CHECK_THROWS_WITH(SGD<double>(p.named(), -0.1), "optimizer: lr must be in [0, inf), got -0.1");
  CHECK_THROWS_WITH(SGD<double>(p.named(), 0.1, 1.0), "SGD: momentum must be in [0, 1), got 1");
  CHECK_THROWS_WITH(SGD<double>(p.named(), 0.1, 0.0, true),
                    Catch::Matchers::Contains("nesterov needs momentum > 0"));
  CHECK_THROWS_WITH(Adam<double>(p.named(), 0.1, 1.0), "Adam: beta1 must be in [0, 1), got 1");
  CHECK_THROWS_WITH(Adam<double>(p.named(), 0.1, 0.9, -0.1),
                    "Adam: beta2 must be in [0, 1), got -0.1");
  CHECK_THROWS_WITH(Adam<double>(p.named(), 0.1, 0.9, 0.999, 0.0),
                    "Adam: eps must be in (0, inf), got 0");
  CHECK_THROWS_WITH(EmaMomentum<double>(p.named(), 0.1, 1.5),
                    "EmaMomentum: beta must be in [0, 1), got 1.5");
}

TEST_CASE("Every update gives bit-identical weights with 8-wide (AVX2) and 4-wide vectors",
          "[optim][simd]") {
  // framework/kernels/simd.h compiles the update loops twice; without floating-point contraction
  // both round alike. Sizes: odd (the vectors' remainders) and above the parallel split.
  if (cpu_simd_level() != SimdLevel::avx2) {
    WARN("this CPU has no AVX2: only the portable loops exist, nothing to compare");
    return;
  }
  struct Restore {
    ~Restore() { set_max_simd_level(SimdLevel::avx2); }
  } restore;
  using Make = std::function<std::unique_ptr<Optimizer<float>>(std::vector<NamedParameter<float>>)>;
  const std::vector<std::pair<std::string, Make>> optimizers{
      {"SGD", [](auto p) { return std::make_unique<SGD<float>>(p, 0.1, 0.0, false, 0.01); }},
      {"SGD momentum",
       [](auto p) { return std::make_unique<SGD<float>>(p, 0.1, 0.9, false, 0.01); }},
      {"SGD Nesterov",
       [](auto p) { return std::make_unique<SGD<float>>(p, 0.1, 0.9, true, 0.01); }},
      {"Adam",
       [](auto p) { return std::make_unique<Adam<float>>(p, 1e-3, 0.9, 0.999, 1e-8, 0.01); }},
      {"AdamW", [](auto p) {
         return std::make_unique<Adam<float>>(p, 1e-3, 0.9, 0.999, 1e-8, 0.01,
                                              Adam<float>::WeightDecay::decoupled);
       }}};
  for (const auto& [name, make] : optimizers)
    for (std::size_t size : {std::size_t{13}, std::size_t{100003}}) {
      INFO(name << ", " << size << " weights");
      std::vector<std::vector<float>> results;
      for (SimdLevel level : {SimdLevel::avx2, SimdLevel::baseline}) {
        set_max_simd_level(level);
        Rng rng(5);
        Parameter<float> parameter("w", {size});
        for (float& w : parameter.value) w = static_cast<float>(rng.uniform(-1, 1));
        auto optimizer = make({{"w", &parameter}});
        for (int step = 0; step < 5; ++step) {
          for (float& g : parameter.grad) g = static_cast<float>(rng.uniform(-1, 1));
          optimizer->step();
        }
        results.emplace_back(parameter.value.begin(), parameter.value.end());
      }
      CHECK(results[0] == results[1]);
    }
}
