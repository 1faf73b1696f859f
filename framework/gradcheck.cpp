#include "framework/gradcheck.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

namespace gradlab {

double relative_error(double analytic, double numeric, double floor) {
  const double scale = std::max({std::abs(analytic), std::abs(numeric), floor});
  return std::abs(analytic - numeric) / scale;
}

std::vector<GradCheckResult> compare_with_finite_differences(
    const std::function<double()>& objective, const std::vector<GradCheckVariable>& variables,
    const GradCheckOptions& options) {
  const double h = options.step;
  std::vector<GradCheckResult> results;
  for (const GradCheckVariable& variable : variables) {
    if (shape_of(variable.analytic) != shape_of(*variable.value)) {
      throw ShapeError("gradcheck: analytic gradient of '" + variable.name + "' has shape " +
                       to_string(shape_of(variable.analytic)) + ", its value " +
                       to_string(shape_of(*variable.value)));
    }
    GradCheckResult result{variable.name, variable.value->size()};
    double* v = variable.value->data();
    for (std::size_t i = 0; i < variable.value->size(); ++i) {
      const double original = v[i];
      v[i] = original + h;
      const double f_plus = objective();
      v[i] = original - h;
      const double f_minus = objective();
      v[i] = original;
      const double numeric = (f_plus - f_minus) / (2 * h);
      const double analytic = variable.analytic.data()[i];
      const double error = relative_error(analytic, numeric, options.floor);
      // `!(error <= max)` also records a NaN as the worst.
      if (!(error <= result.max_relative_error) || i == 0) {
        result.max_relative_error = error;
        result.worst_index = i;
        result.analytic = analytic;
        result.numeric = numeric;
      }
    }
    results.push_back(result);
  }
  objective();  // leave the module's buffers as they are for the unperturbed values
  return results;
}

LossHead random_projection_head(std::uint64_t seed) {
  auto projection = std::make_shared<Tensor<double>>();
  auto rng = std::make_shared<Rng>(seed);
  LossHead head;
  head.forward = [projection, rng](const Tensor<double>& output) {
    if (shape_of(*projection) != shape_of(output)) {
      projection->resize(shape_of(output));
      for (double& r : *projection) r = rng->uniform(-1.0, 1.0);
    }
    double f = 0;
    for (std::size_t i = 0; i < output.size(); ++i) f += output.data()[i] * projection->data()[i];
    return f;
  };
  head.backward = [projection] { return *projection; };
  return head;
}

std::vector<GradCheckResult> check_module_gradients(Module<double>& module,
                                                    const Tensor<double>& input,
                                                    const LossHead& head,
                                                    const GradCheckOptions& options) {
  Tensor<double> x = input;  // perturbed in place by the check

  // Analytic gradients: one forward and one backward.
  module.zero_grad();
  head.forward(module.forward(x));
  const Tensor<double>& grad_input = module.backward(head.backward());

  std::vector<GradCheckVariable> variables;
  if (module.needs_input_grad()) variables.push_back({"input", &x, grad_input});
  for (const NamedParameter<double>& named : module.named_parameters())
    variables.push_back({named.name, &named.parameter->value, named.parameter->grad});

  return compare_with_finite_differences([&] { return head.forward(module.forward(x)); },
                                         variables, options);
}

double max_relative_error(const std::vector<GradCheckResult>& results) {
  double worst = 0;
  for (const GradCheckResult& result : results)
    if (!(result.max_relative_error <= worst)) worst = result.max_relative_error;
  return worst;
}

std::string format_results(const std::vector<GradCheckResult>& results) {
  std::string text;
  char line[256];
  for (const GradCheckResult& r : results) {
    std::snprintf(line, sizeof line,
                  "%-12s max rel err %.2e over %zu elements (worst at %zu: analytic %.9g, "
                  "numeric %.9g)\n",
                  r.variable.c_str(), r.max_relative_error, r.count, r.worst_index, r.analytic,
                  r.numeric);
    text += line;
  }
  return text;
}

}  // namespace gradlab
