#include "framework/optim/registry.h"

#include "tests/support.h"

using namespace gradlab;

namespace {
std::unique_ptr<Optimizer<double>> make(const nlohmann::json& spec, Parameter<double>& w) {
  return make_optimizer<double>(ConfigObject(spec, "optimizer"), {{"w", &w}});
}
}  // namespace

TEST_CASE("Optimizers are made by name with PyTorch defaults", "[optim][config]") {
  Parameter<double> w("w", {2});
  CHECK(make({{"type", "adam"}}, w)->name() == "Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08)");
  CHECK(make({{"type", "adamw"}, {"lr", 0.01}}, w)->name() ==
        "AdamW(lr=0.01, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01)");
  CHECK(make({{"type", "sgd"}, {"lr", 0.1}, {"momentum", 0.9}}, w)->name() ==
        "SGD(lr=0.1, momentum=0.9 heavy-ball)");
  CHECK(make({{"type", "sgd"}, {"lr", 0.1}, {"momentum", 0.9}, {"nesterov", true}}, w)->name() ==
        "SGD(lr=0.1, momentum=0.9 nesterov)");
  CHECK(make({{"type", "ema_momentum"}, {"lr", 0.1}}, w)->name() ==
        "EmaMomentum(lr=0.1, beta=0.9)");
}

TEST_CASE("Bad optimizer settings name the key and the allowed values", "[optim][config][errors]") {
  Parameter<double> w("w", {2});
  CHECK_THROWS_WITH(make({{"type", "adma"}}, w),
                    "optimizer.type: unknown value \"adma\"; did you mean \"adam\"? (allowed: sgd, "
                    "ema_momentum, adam, adamw)");
  CHECK_THROWS_WITH(make({{"lr", 0.1}}, w), "optimizer.type: missing (required)");
  CHECK_THROWS_WITH(make({{"type", "sgd"}}, w), "optimizer.lr: missing (required)");
  CHECK_THROWS_WITH(make({{"type", "sgd"}, {"lr", -0.1}}, w),
                    "optimizer.lr: must be in [0, inf), got -0.1");
  CHECK_THROWS_WITH(make({{"type", "adam"}, {"beta1", 1.0}}, w),
                    "optimizer.beta1: must be in [0, 1), got 1.0");
  CHECK_THROWS_WITH(make({{"type", "adam"}, {"beta2", -0.5}}, w),
                    "optimizer.beta2: must be in [0, 1), got -0.5");
  CHECK_THROWS_WITH(make({{"type", "adam"}, {"eps", 0}}, w),
                    "optimizer.eps: must be in (0, inf), got 0");
  CHECK_THROWS_WITH(make({{"type", "adam"}, {"lr", "fast"}}, w),
                    "optimizer.lr: expected a number in [0, inf), got \"fast\"");
  CHECK_THROWS_WITH(make({{"type", "adam"}, {"momentum", 0.9}}, w),
                    Catch::Matchers::StartsWith("optimizer.momentum: unknown key (valid keys: "
                                                "beta1, beta2, eps, lr, type, weight_decay)"));
  CHECK_THROWS_WITH(
      make({{"type", "sgd"}, {"lr", 0.1}, {"momentun", 0.9}}, w),
      Catch::Matchers::StartsWith("optimizer.momentun: unknown key; did you mean \"momentum\"?"));
  CHECK_THROWS_WITH(make({{"type", "sgd"}, {"lr", 0.1}, {"nesterov", true}}, w),
                    "optimizer.nesterov: needs momentum > 0");
}

TEST_CASE("An optimizer spec of an unknown type is refused, not made an Adam", "[optim][config]") {
  // A spec built in code (not read from a config, whose type the reader checks) used to fall
  // through to Adam.
  Parameter<double> w("w", {2});
  OptimizerSpec spec;
  spec.type = "adamx";
  spec.lr = 0.1;
  CHECK_THROWS_WITH(make_optimizer<double>(spec, {{"w", &w}}),
                    Catch::Contains("unknown optimizer type \"adamx\" (valid: sgd, ema_momentum, "
                                    "adam, adamw)"));
}

TEST_CASE("A schedule spec of an unknown type is refused, not made a cosine", "[optim][config]") {
  ScheduleSpec spec;
  spec.type = "cosin";
  CHECK_THROWS_WITH(make_schedule(spec, 0.1, 10, 100),
                    Catch::Contains("unknown schedule type \"cosin\" (valid: constant, step, "
                                    "cosine, one_cycle)"));
}
