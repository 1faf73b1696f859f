// Helpers for the framework/math tests: random matrices and the properties they are held to.
#pragma once

#include <cmath>

#include <xtensor/xview.hpp>

#include "framework/math/linalg.h"
#include "framework/math/norms.h"
#include "tests/support.h"

namespace gradlab::testing {

using math::Matrix;
using math::Vector;

inline Matrix random_matrix(std::size_t rows, std::size_t columns, Rng& rng) {
  return random_tensor({rows, columns}, rng);
}

inline Matrix transposed(const Matrix& a) {
  return xt::transpose(a);
}

inline Matrix identity(std::size_t n) {
  return xt::eye<double>(n);
}

// ‖a − b‖_F / max(‖b‖_F, tiny): the relative error of a against b.
inline double relative_error(const Matrix& a, const Matrix& b) {
  REQUIRE(shape_of(a) == shape_of(b));
  return math::l2_norm(Tensor<double>(a - b)) / std::max(math::l2_norm(b), 1e-300);
}

// max |QᵀQ − I| over the columns of q: 0 for orthonormal columns.
inline double orthonormality_defect(const Matrix& q) {
  const Matrix gram = math::matmul(transposed(q), q);
  return math::linf_norm(Tensor<double>(gram - identity(q.shape(1))));
}

// diag(values) as an r × r matrix.
inline Matrix diagonal(const Vector& values) {
  Matrix d = xt::zeros<double>({values.size(), values.size()});
  for (std::size_t i = 0; i < values.size(); ++i) d(i, i) = values(i);
  return d;
}

}  // namespace gradlab::testing
