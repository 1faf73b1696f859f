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
                    "constant, step, cosine)");
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
