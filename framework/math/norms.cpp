#include "framework/math/norms.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include <xtensor/xview.hpp>

namespace gradlab::math {

double l1_norm(const Tensor<double>& x) {
  double sum = 0.0;
  for (double value : x) sum += std::abs(value);
  return sum;
}

double linf_norm(const Tensor<double>& x) {
  double largest = 0.0;
  for (double value : x) largest = std::max(largest, std::abs(value));
  return largest;
}

double l2_norm(const Tensor<double>& x) {
  const double scale = linf_norm(x);
  if (scale == 0.0 || !std::isfinite(scale)) return scale;
  double sum = 0.0;
  for (double value : x) sum += (value / scale) * (value / scale);
  return scale * std::sqrt(sum);
}

double frobenius_norm(const Matrix& a) {
  if (a.dimension() != 2)
    throw std::invalid_argument("frobenius_norm: expected a matrix (2-D), got shape " +
                                to_string(shape_of(a)));
  return l2_norm(a);
}

Tensor<double> l2_normalize(const Tensor<double>& x) {
  if (x.dimension() == 1) {
    const double norm = l2_norm(x);
    return norm == 0.0 ? Tensor<double>(x) : Tensor<double>(x / norm);
  }
  if (x.dimension() != 2)
    throw std::invalid_argument("l2_normalize: expected a vector or a matrix, got shape " +
                                to_string(shape_of(x)));
  Tensor<double> result = x;
  for (std::size_t row = 0; row < x.shape(0); ++row) {
    auto values = xt::view(result, row, xt::all());
    const double norm = l2_norm(Tensor<double>(values));
    if (norm != 0.0) values /= norm;
  }
  return result;
}

double cosine_similarity(const Vector& a, const Vector& b) {
  if (a.dimension() != 1 || b.dimension() != 1 || a.size() != b.size())
    throw std::invalid_argument(
        "cosine_similarity: expected two vectors of the same length, got shapes " +
        to_string(shape_of(a)) + " and " + to_string(shape_of(b)));
  const Vector a_unit = l2_normalize(a), b_unit = l2_normalize(b);
  // Rounding can put |â·b̂| a few ulps past 1; cos θ cannot be.
  return std::clamp(static_cast<double>(xt::sum(a_unit * b_unit)()), -1.0, 1.0);
}

Matrix pairwise_cosine_similarity(const Matrix& a, const Matrix& b) {
  if (a.dimension() != 2 || b.dimension() != 2 || a.shape(1) != b.shape(1))
    throw std::invalid_argument(
        "pairwise_cosine_similarity: expected matrices with the same number of columns, [N, D] and "
        "[M, D], got " +
        to_string(shape_of(a)) + " and " + to_string(shape_of(b)));
  const Matrix similarity = matmul(l2_normalize(a), xt::transpose(l2_normalize(b)));
  return xt::clip(similarity, -1.0, 1.0);
}

}  // namespace gradlab::math
