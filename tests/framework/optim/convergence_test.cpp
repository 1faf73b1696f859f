// Each optimizer minimises a convex quadratic and the Rosenbrock function from a fixed start.
#include <cmath>
#include <functional>
#include <memory>

#include "framework/optim/adam.h"
#include "framework/optim/ema_momentum.h"
#include "framework/optim/sgd.h"
#include "tests/support.h"

using namespace gradlab;

namespace {

// Runs `steps` steps of the optimizer made by `make` on f with gradient `grad`, from x0.
using Gradient = std::function<void(const double* x, double* g)>;
std::vector<double> minimise(
    const std::function<std::unique_ptr<Optimizer<double>>(std::vector<NamedParameter<double>>)>&
        make,
    const Gradient& grad, std::vector<double> x0, int steps) {
  Parameter<double> x("x", {x0.size()});
  std::copy(x0.begin(), x0.end(), x.value.begin());
  auto optimizer = make({{"x", &x}});
  for (int t = 0; t < steps; ++t) {
    grad(x.value.data(), x.grad.data());
    optimizer->step();
  }
  return std::vector<double>(x.value.begin(), x.value.end());
}

// f(x) = ½ Σ a_i (x_i − c_i)², minimum at c. Condition number 10.
const double a[3] = {1.0, 4.0, 10.0}, c[3] = {1.0, -2.0, 0.5};
void quadratic_gradient(const double* x, double* g) {
  for (int i = 0; i < 3; ++i) g[i] = a[i] * (x[i] - c[i]);
}
// f(x, y) = (1 − x)² + 100 (y − x²)², minimum at (1, 1).
void rosenbrock_gradient(const double* x, double* g) {
  g[0] = -2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]);
  g[1] = 200.0 * (x[1] - x[0] * x[0]);
}

double distance(const std::vector<double>& x, const std::vector<double>& target) {
  double sum = 0;
  for (std::size_t i = 0; i < x.size(); ++i) sum += (x[i] - target[i]) * (x[i] - target[i]);
  return std::sqrt(sum);
}

struct Named {
  const char* name;
  std::function<std::unique_ptr<Optimizer<double>>(std::vector<NamedParameter<double>>)> make;
};

}  // namespace

TEST_CASE("Every optimizer minimises a convex quadratic to 1e-6", "[optim][convergence]") {
  const Named optimizers[] = {
      {"sgd", [](auto p) { return std::make_unique<SGD<double>>(std::move(p), 0.15); }},
      {"sgd momentum",
       [](auto p) { return std::make_unique<SGD<double>>(std::move(p), 0.05, 0.9); }},
      {"sgd nesterov",
       [](auto p) { return std::make_unique<SGD<double>>(std::move(p), 0.05, 0.9, true); }},
      {"ema momentum",
       [](auto p) { return std::make_unique<EmaMomentum<double>>(std::move(p), 0.15, 0.9); }},
      {"adam", [](auto p) { return std::make_unique<Adam<double>>(std::move(p), 0.05); }},
      {"adamw",
       [](auto p) {
         return std::make_unique<Adam<double>>(std::move(p), 0.05, 0.9, 0.999, 1e-8, 0.0,
                                               Adam<double>::WeightDecay::decoupled);
       }},
  };
  for (const Named& optimizer : optimizers) {
    const auto x = minimise(optimizer.make, quadratic_gradient, {5.0, 5.0, 5.0}, 3000);
    INFO(optimizer.name);
    CHECK(distance(x, {c[0], c[1], c[2]}) < 1e-6);
  }
}

TEST_CASE("Every optimizer minimises the Rosenbrock function from (-1.5, 2) to 1e-3",
          "[optim][convergence]") {
  const Named optimizers[] = {
      {"sgd", [](auto p) { return std::make_unique<SGD<double>>(std::move(p), 1e-3); }},
      {"sgd momentum",
       [](auto p) { return std::make_unique<SGD<double>>(std::move(p), 2e-4, 0.9); }},
      {"sgd nesterov",
       [](auto p) { return std::make_unique<SGD<double>>(std::move(p), 2e-4, 0.9, true); }},
      {"ema momentum",
       [](auto p) { return std::make_unique<EmaMomentum<double>>(std::move(p), 1e-3, 0.9); }},
      {"adam", [](auto p) { return std::make_unique<Adam<double>>(std::move(p), 1e-2); }},
  };
  for (const Named& optimizer : optimizers) {
    const auto x = minimise(optimizer.make, rosenbrock_gradient, {-1.5, 2.0}, 100000);
    INFO(optimizer.name << ": ended at (" << x[0] << ", " << x[1] << ")");
    CHECK(distance(x, {1.0, 1.0}) < 1e-3);
  }
}
