#include "framework/gradcheck.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
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
    // The elements to check: all, or an evenly random sample.
    std::vector<std::size_t> elements(variable.value->size());
    for (std::size_t i = 0; i < elements.size(); ++i) elements[i] = i;
    if (options.max_elements_per_variable && elements.size() > options.max_elements_per_variable) {
      Rng rng(options.seed);
      for (std::size_t i = 0; i < options.max_elements_per_variable; ++i)
        std::swap(elements[i], elements[i + rng.below(elements.size() - i)]);
      elements.resize(options.max_elements_per_variable);
    }
    GradCheckResult result{variable.name, elements.size()};
    double* v = variable.value->data();
    for (std::size_t i : elements) {
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
      if (!(error <= result.max_relative_error) || i == elements.front()) {
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

  return compare_with_finite_differences([&] { return head.forward(module.forward(x)); }, variables,
                                         options);
}

double max_relative_error(const std::vector<GradCheckResult>& results) {
  double worst = 0;
  for (const GradCheckResult& result : results)
    if (!(result.max_relative_error <= worst)) worst = result.max_relative_error;
  return worst;
}

namespace {
// The distance to a kink of `module` evaluated at `input` (see distance_to_kinks), read from the
// modules' descriptions (framework/op_spec.h): a chain's children (a Sequential's) are visited in
// turn, each on its predecessor's output (recomputed: the children of a fused step keep no output
// of their own); a fan-out's children (a Residual's body and shortcut, a Concat's branches) all
// take the container's input.
double kink_distance(Module<double>& module, const Tensor<double>& in) {
  double margin = std::numeric_limits<double>::infinity();
  const OpSpec<double> op = module.describe();
  if (op.wiring == Wiring::chain) {
    Tensor<double> x = in;
    for (std::size_t i = 0; i < op.children.size(); ++i) {
      margin = std::min(margin, kink_distance(*op.children[i], x));
      if (i + 1 < op.children.size()) x = op.children[i]->forward(x);
    }
  } else if (op.wiring == Wiring::fan_out) {
    for (Module<double>* child : op.children)
      if (child) margin = std::min(margin, kink_distance(*child, in));
  } else if (op.kink == Kink::at_zero) {
    for (double z : in) margin = std::min(margin, std::abs(z));
  } else if (op.kink == Kink::window_max) {
    const std::size_t K = op.kernel_size, S = op.stride, H = in.shape(2), W = in.shape(3);
    std::vector<double> window;
    for (std::size_t plane = 0; plane < in.shape(0) * in.shape(1); ++plane)
      for (std::size_t i0 = 0; i0 + K <= H; i0 += S)
        for (std::size_t j0 = 0; j0 + K <= W; j0 += S) {
          window.clear();
          for (std::size_t u = 0; u < K; ++u)
            for (std::size_t v = 0; v < K; ++v)
              window.push_back(in.data()[plane * H * W + (i0 + u) * W + j0 + v]);
          std::partial_sort(window.begin(),
                            window.begin() + std::min<std::size_t>(2, window.size()), window.end(),
                            std::greater<double>());
          // A tie among ReLU zeros is no kink: no gradient flows there either way.
          if (window.size() > 1 && window[0] != 0.0)
            margin = std::min(margin, window[0] - window[1]);
        }
  }
  return margin;
}
}  // namespace

double distance_to_kinks(Sequential<double>& model, const Tensor<double>& x) {
  return kink_distance(model, x);
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
