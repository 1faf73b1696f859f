#include "framework/optim/schedule.h"

#include <cmath>

#include "framework/optim/registry.h"
#include "framework/optim/sgd.h"
#include "tests/support.h"

using namespace gradlab;

TEST_CASE("Step decay multiplies by gamma every step_size steps", "[schedule]") {
  StepDecay schedule(10, 0.5);
  CHECK(schedule.factor(0) == 1.0);
  CHECK(schedule.factor(9) == 1.0);
  CHECK(schedule.factor(10) == 0.5);
  CHECK(schedule.factor(25) == 0.25);
}

TEST_CASE("Cosine annealing goes from 1 to min_factor over T steps", "[schedule]") {
  CosineAnnealing schedule(100, 0.1);
  CHECK(schedule.factor(0) == 1.0);
  CHECK(schedule.factor(50) == Approx(0.1 + 0.9 * 0.5).epsilon(1e-15));  // cos(π/2) = 0
  CHECK(schedule.factor(25) == Approx(0.1 + 0.9 * 0.5 * (1 + std::sqrt(0.5))).epsilon(1e-15));
  CHECK(schedule.factor(100) == Approx(0.1).epsilon(1e-15));
  CHECK(schedule.factor(150) == Approx(0.1).epsilon(1e-15));  // stays at the floor
}

TEST_CASE("Linear warm-up rises to 1 then hands over", "[schedule]") {
  LinearWarmup schedule(4, std::make_unique<StepDecay>(10, 0.5));
  CHECK(schedule.factor(0) == 0.25);
  CHECK(schedule.factor(3) == 1.0);
  CHECK(schedule.factor(4) == 1.0);   // step decay at its own step 0
  CHECK(schedule.factor(14) == 0.5);  // step decay at its own step 10
  CHECK(schedule.name() == "warmup(4 steps) then step(step_size=10 steps, gamma=0.500000)");
}

TEST_CASE("Schedules from JSON convert epochs to steps", "[schedule][config]") {
  const nlohmann::json cosine = {{"type", "cosine"}, {"warmup_epochs", 1}, {"min_lr", 0.01}};
  // 10 steps an epoch, 50 steps in all: 10 warm-up steps, then cosine over 40 down to 0.01/0.1.
  auto schedule = make_schedule(ConfigObject(cosine, "schedule"), 0.1, 10, 50);
  CHECK(schedule->factor(4) == 0.5);
  CHECK(schedule->factor(10) == 1.0);
  CHECK(schedule->factor(30) == Approx(0.1 + 0.9 * 0.5).epsilon(1e-15));
  CHECK(schedule->factor(50) == Approx(0.1).epsilon(1e-15));

  const nlohmann::json step = {{"type", "step"}, {"step_epochs", 2}, {"gamma", 0.1}};
  auto decay = make_schedule(ConfigObject(step, "schedule"), 0.1, 10, 50);
  CHECK(decay->factor(19) == 1.0);
  CHECK(decay->factor(20) == Approx(0.1).epsilon(1e-15));

  const nlohmann::json typo = {{"type", "cosine"}, {"min_lrr", 0.01}};
  CHECK_THROWS_WITH(
      make_schedule(ConfigObject(typo, "schedule"), 0.1, 10, 50),
      Catch::Matchers::StartsWith("schedule.min_lrr: unknown key; did you mean \"min_lr\"?"));
  const nlohmann::json bad_type = {{"type", "cosin"}};
  CHECK_THROWS_WITH(make_schedule(ConfigObject(bad_type, "schedule"), 0.1, 10, 50),
                    "schedule.type: unknown value \"cosin\"; did you mean \"cosine\"? (allowed: "
                    "constant, step, cosine, one_cycle)");
}

TEST_CASE("A schedule drives the optimizer's learning rate", "[schedule]") {
  Parameter<double> w("w", {1});
  SGD<double> sgd({{"w", &w}}, 0.2);
  const StepDecay schedule(2, 0.5);
  const double base_lr = sgd.learning_rate();
  std::vector<double> rates;
  for (int t = 0; t < 5; ++t) {
    sgd.set_learning_rate(base_lr * schedule.factor(sgd.steps()));
    rates.push_back(sgd.learning_rate());
    sgd.step();
  }
  CHECK(rates == std::vector<double>{0.2, 0.2, 0.1, 0.1, 0.05});
}

// The expected values below were printed by PyTorch 1.13's torch.optim.lr_scheduler.OneCycleLR
// (its defaults: cosine annealing, cycle_momentum with momentum 0.85-0.95), stepped once after
// each optimizer step as the trainer steps gradlab's.
TEST_CASE("One-cycle matches PyTorch's OneCycleLR, learning rate and momentum", "[schedule]") {
  const OneCycle schedule(100, 0.3, 25, 1e4, OneCycle::Momentum{0.85, 0.95});
  const struct {
    std::size_t step;
    double lr, momentum;
  } pytorch[] = {{0, 0.040000000000000036, 0.95},
                 {1, 0.042813780565907456, 0.9497068978577179},
                 {14, 0.49401332387899954, 0.9027069454292709},
                 {29, 1.0, 0.85},
                 {30, 0.9994965352845243, 0.8500503466729342},
                 {50, 0.793893450575732, 0.8706107373853763},
                 {98, 0.0005074647154757879, 0.9499496533270657},
                 {99, 4e-06, 0.95}};
  for (const auto& expected : pytorch) {
    INFO("step " << expected.step);
    CHECK(schedule.factor(expected.step) == Approx(expected.lr).epsilon(1e-12));
    REQUIRE(schedule.momentum(expected.step).has_value());
    CHECK(*schedule.momentum(expected.step) == Approx(expected.momentum).epsilon(1e-12));
  }
  CHECK(schedule.factor(150) == Approx(4e-06).epsilon(1e-12));  // past the end: stays there

  // A rise that ends between steps (pct_start · T − 1 = 1.5), Adam's β₁ cycled, lr = 0.5.
  const OneCycle short_cycle(10, 0.25, 10, 100, OneCycle::Momentum{0.85, 0.95});
  const double lr[] = {
      0.04999999999999999, 0.38749999999999996, 0.49454236328326795, 0.4523019943451431,   0.375125,
      0.2763559837010965,  0.1730730056548569,  0.08313463106187524, 0.022092021953760407, 0.0005};
  const double beta1[] = {0.95,
                          0.875,
                          0.8510926199633096,
                          0.8595491502812526,
                          0.875,
                          0.8947735768366173,
                          0.9154508497187474,
                          0.9334565303179428,
                          0.94567727288213,
                          0.95};
  for (std::size_t t = 0; t < 10; ++t) {
    INFO("step " << t);
    CHECK(0.5 * short_cycle.factor(t) == Approx(lr[t]).epsilon(1e-12));
    CHECK(*short_cycle.momentum(t) == Approx(beta1[t]).epsilon(1e-12));
  }
  CHECK_FALSE(OneCycle(10, 0.3, 25, 1e4, std::nullopt).momentum(3).has_value());
  CHECK_THROWS_AS(OneCycle(1, 0.3, 25, 1e4, std::nullopt), std::invalid_argument);
  CHECK_THROWS_AS(OneCycle(10, 1.0, 25, 1e4, std::nullopt), std::invalid_argument);
}

TEST_CASE("one_cycle from JSON: its keys, its refusals", "[schedule][config]") {
  const nlohmann::json spec = {
      {"type", "one_cycle"}, {"pct_start", 0.25}, {"div_factor", 10}, {"final_div_factor", 100}};
  auto schedule = make_schedule(ConfigObject(spec, "schedule"), 0.5, 5, 10);
  CHECK(0.5 * schedule->factor(1) == Approx(0.38749999999999996).epsilon(1e-12));
  CHECK(*schedule->momentum(1) == Approx(0.875).epsilon(1e-12));
  const nlohmann::json fixed_momentum = {{"type", "one_cycle"}, {"cycle_momentum", false}};
  CHECK_FALSE(
      make_schedule(ConfigObject(fixed_momentum, "schedule"), 0.5, 5, 10)->momentum(1).has_value());
  auto error = [](const nlohmann::json& bad) {
    try {
      make_schedule(ConfigObject(bad, "schedule"), 0.5, 5, 10);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error({{"type", "one_cycle"}, {"warmup_epochs", 1}}) ==
        "schedule.warmup_epochs: one_cycle warms up by itself, over pct_start of the run");
  CHECK(error({{"type", "one_cycle"}, {"pct_start", 1}}) ==
        "schedule.pct_start: must be in (0, 1), got 1");
  CHECK(error({{"type", "one_cycle"}, {"base_momentum", 0.96}}) ==
        "schedule.base_momentum: must be <= max_momentum (0.950000)");
  CHECK(error({{"type", "one_cycl"}}) ==
        "schedule.type: unknown value \"one_cycl\"; did you mean \"one_cycle\"? (allowed: "
        "constant, step, cosine, one_cycle)");
}

TEST_CASE("A schedule sets the momentum of optimizers that have one", "[schedule][optim]") {
  Parameter<float> w("w", {2});
  std::vector<NamedParameter<float>> parameters{{"w", &w}};
  SGD<float> heavy_ball(parameters, 0.1, 0.9);
  heavy_ball.set_momentum(0.85);
  CHECK(heavy_ball.name() == "SGD(lr=0.1, momentum=0.85 heavy-ball)");
  SGD<float> plain(parameters, 0.1);
  CHECK_THROWS_WITH(plain.set_momentum(0.85), "SGD(lr=0.1) has no momentum for a schedule to set");
}
