#include "framework/math/pca.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include <xtensor/xview.hpp>

namespace gradlab::math {

namespace {

Matrix centred(const Matrix& x, const Vector& mean) {
  return x - xt::view(mean, xt::newaxis(), xt::all());
}

void require_data_matrix(const Matrix& x, const char* what) {
  require_finite_matrix(x, what);
  if (x.shape(0) < 2)
    throw std::invalid_argument(std::string(what) + ": need at least 2 samples (rows), got shape " +
                                to_string(shape_of(x)));
}

// An axis and its negation are the same axis; pick the one whose largest entry is positive.
void fix_sign(Matrix& rows) {
  for (std::size_t i = 0; i < rows.shape(0); ++i) {
    auto axis = xt::view(rows, i, xt::all());
    std::size_t largest = 0;
    for (std::size_t j = 1; j < axis.size(); ++j)
      if (std::abs(axis(j)) > std::abs(axis(largest))) largest = j;
    if (axis(largest) < 0) axis *= -1.0;
  }
}

}  // namespace

Vector column_mean(const Matrix& x) {
  require_finite_matrix(x, "column_mean");
  return xt::mean(x, {0});
}

Matrix covariance(const Matrix& x) {
  require_data_matrix(x, "covariance");
  const Matrix deviations = centred(x, column_mean(x));
  const Matrix deviations_t = xt::transpose(deviations);
  Matrix sigma = matmul(deviations_t, deviations) / static_cast<double>(x.shape(0) - 1);
  // XᵀX is symmetric in exact arithmetic; make it so in floating point too (the product's two
  // triangles may differ in the last bit), as symmetric_eigen requires.
  return (sigma + xt::transpose(sigma)) / 2.0;
}

Pca Pca::fit(const Matrix& x, std::size_t components, PcaMethod method) {
  require_data_matrix(x, "Pca::fit");
  const std::size_t samples = x.shape(0), features = x.shape(1);
  if (components < 1 || components > features)
    throw std::invalid_argument("Pca::fit: components must be in [1, " + std::to_string(features) +
                                "] (the number of features), got " + std::to_string(components));
  Pca pca;
  pca.mean_ = column_mean(x);
  Vector variances;  // all of them, decreasing
  Matrix axes;       // one axis per row, the first `components` kept
  if (method == PcaMethod::eigen) {
    const SymmetricEigen eigen = symmetric_eigen(covariance(x));
    // Σ is positive semi-definite; rounding can leave its zero eigenvalues at −1e-17.
    variances = xt::maximum(eigen.eigenvalues, 0.0);
    axes = xt::transpose(eigen.eigenvectors);
  } else {
    const Svd factors = svd(centred(x, pca.mean_), SvdKind::thin);
    variances = xt::square(factors.singular_values) / static_cast<double>(samples - 1);
    axes = factors.vt;
  }
  // With N ≤ D the thin SVD has only N axes; those beyond carry no variance.
  if (components > axes.shape(0))
    throw std::invalid_argument(
        "Pca::fit: " + std::to_string(components) + " components asked of " +
        std::to_string(samples) +
        " samples; the svd method finds at most min(N, D) = " + std::to_string(axes.shape(0)));
  pca.total_variance_ = xt::sum(variances)();
  pca.explained_variance_ = xt::view(variances, xt::range(0, components));
  pca.components_ = xt::view(axes, xt::range(0, components), xt::all());
  fix_sign(pca.components_);
  return pca;
}

Matrix Pca::transform(const Matrix& x) const {
  require_finite_matrix(x, "Pca::transform");
  if (x.shape(1) != mean_.size())
    throw std::invalid_argument("Pca::transform: expected [N, " + std::to_string(mean_.size()) +
                                "], got " + to_string(shape_of(x)));
  const Matrix axes_t = xt::transpose(components_);
  return matmul(centred(x, mean_), axes_t);
}

Matrix Pca::inverse_transform(const Matrix& z) const {
  require_finite_matrix(z, "Pca::inverse_transform");
  if (z.shape(1) != components_.shape(0))
    throw std::invalid_argument("Pca::inverse_transform: expected [N, " +
                                std::to_string(components_.shape(0)) + "], got " +
                                to_string(shape_of(z)));
  return matmul(z, components_) + xt::view(mean_, xt::newaxis(), xt::all());
}

}  // namespace gradlab::math
