// Comparing a float32 oneDNN result with the float64 reference. The error measure is
//   max_i |fast_i − reference_i| / max_i |reference_i|     (must be ≤ kParityTolerance = 1e-4)
// which is relative to the tensor's scale, so near-zero elements do not dominate.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "framework/kernels/onednn/implementation.h"
#include "framework/log.h"
#include "framework/module.h"
#include "tests/support.h"

namespace gradlab::testing {

constexpr double kParityTolerance = 1e-4;

template <class A, class B>
double scaled_error(const A& fast, const B& reference, std::size_t n) {
  double worst = 0, scale = 0;
  for (std::size_t i = 0; i < n; ++i) {
    worst =
        std::max(worst, std::abs(static_cast<double>(fast[i]) - static_cast<double>(reference[i])));
    scale = std::max(scale, std::abs(static_cast<double>(reference[i])));
  }
  return scale > 0 ? worst / scale : worst;
}

inline double scaled_error(const Tensor<float>& fast, const Tensor<double>& reference) {
  REQUIRE(shape_of(fast) == shape_of(reference));
  return scaled_error(fast.data(), reference.data(), fast.size());
}

inline Tensor<float> to_float(const Tensor<double>& t) {
  Tensor<float> f = Tensor<float>::from_shape(shape_of(t));
  std::transform(t.begin(), t.end(), f.begin(), [](double v) { return static_cast<float>(v); });
  return f;
}

// Copies the double model's parameters into the float model (same architecture).
inline void copy_parameters(Module<double>& from, Module<float>& to) {
  const auto source = from.parameters();
  const auto target = to.parameters();
  REQUIRE(source.size() == target.size());
  for (std::size_t i = 0; i < source.size(); ++i) target[i]->value = to_float(source[i]->value);
}

// Captures notices (framework/log.h) and restores oneDNN's default implementation choice on
// exit, whatever a test does in between.
struct NoticeCapture {
  std::vector<std::string> notices;
  NoticeCapture() {
    gradlab::set_notice_sink([this](const std::string& message) { notices.push_back(message); });
  }
  ~NoticeCapture() {
    gradlab::set_notice_sink(nullptr);
    onednn::set_rejected_implementations({});
  }
  bool any_contains(const std::string& text) const {
    return std::any_of(notices.begin(), notices.end(),
                       [&](const std::string& n) { return n.find(text) != std::string::npos; });
  }
};

}  // namespace gradlab::testing
