// Finite-difference gradient checking, in float64, as Caffe's GradientChecker and PyTorch's
// gradcheck do.
//
// For every element v_i of every checked variable (the input and each parameter):
//   numeric_i  = (f(v + h·e_i) − f(v − h·e_i)) / 2h          central difference, error O(h²)
//   relative_i = |analytic_i − numeric_i| / max(|analytic_i|, |numeric_i|, floor)
// The floor keeps round-off noise on near-zero gradients from counting as error: in float64 the
// central difference itself carries ≈ ε·|f|/h ≈ 1e-11 of noise at h = 1e-5, so gradients smaller
// than the floor are compared absolutely (as Caffe does with its floor of 1).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "framework/module.h"
#include "framework/random.h"
#include "framework/sequential.h"

namespace gradlab {

struct GradCheckOptions {
  double step = 1e-5;   // h
  double floor = 1e-3;  // see the relative error above
  // 0 checks every element; otherwise this many, chosen by `seed`, per variable (for big models,
  // where every element would cost two forward passes).
  std::size_t max_elements_per_variable = 0;
  std::uint64_t seed = 0;
};

struct GradCheckResult {
  std::string variable;   // "input", "0.weight", "logits", …
  std::size_t count = 0;  // elements checked
  double max_relative_error = 0;
  std::size_t worst_index = 0;       // flat row-major index of the worst element
  double analytic = 0, numeric = 0;  // at the worst element
};

double relative_error(double analytic, double numeric, double floor);

// A variable to check: its values (perturbed in place, then restored) and the analytic ∂f/∂v.
struct GradCheckVariable {
  std::string name;
  Tensor<double>* value;
  Tensor<double> analytic;
};

// Compares each variable's analytic gradient with central differences of `objective`, which must
// recompute f from the current variable values.
std::vector<GradCheckResult> compare_with_finite_differences(
    const std::function<double()>& objective, const std::vector<GradCheckVariable>& variables,
    const GradCheckOptions& options = {});

// What turns a module's output into the scalar f: a loss, or a fixed random projection.
struct LossHead {
  std::function<double(const Tensor<double>& output)> forward;
  std::function<Tensor<double>()> backward;  // ∂f/∂output for the last forward
};

// f(y) = Σ_i y_i · r_i with r fixed, drawn U(−1, 1) on first use: its gradient is r, so every
// element of the module's output takes part with its own weight.
LossHead random_projection_head(std::uint64_t seed);

// Checks ∂f/∂input (if the module needs it) and ∂f/∂θ for every parameter, f = head(module(x)).
std::vector<GradCheckResult> check_module_gradients(Module<double>& module,
                                                    const Tensor<double>& input,
                                                    const LossHead& head,
                                                    const GradCheckOptions& options = {});

double max_relative_error(const std::vector<GradCheckResult>& results);

// How far an evaluation at x is from a kink, where finite differences are invalid: the smallest
// |input| of any ReLU or LeakyReLU, and the smallest gap between the largest and second-largest
// value in any max-pool window whose maximum is not a ReLU zero, inside residual blocks and
// concatenations too. Runs the modules' forward passes. Infinity
// if no kinks.
double distance_to_kinks(Sequential<double>& model, const Tensor<double>& x);

// One line per variable: "0.weight  max rel err 3.1e-10 (120 elements)".
std::string format_results(const std::vector<GradCheckResult>& results);

}  // namespace gradlab
