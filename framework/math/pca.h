// Covariance and principal component analysis, in float64.
//
// X is a data matrix, N samples (rows) × D features (columns); μ is its column mean.
#pragma once

#include <cstddef>

#include "framework/math/linalg.h"

namespace gradlab::math {

// μ = (1/N) Σₙ xₙ, the column means of X (N × D) → D.
Vector column_mean(const Matrix& x);

// Σ = (X − μ)ᵀ (X − μ) / (N − 1), the D × D sample covariance; needs N ≥ 2.
Matrix covariance(const Matrix& x);

// How PCA finds the principal axes; both give the same components (up to sign) and variances.
//   eigen: Σ = Q Λ Qᵀ; components = columns of Q, variances = Λ. One D × D problem after an
//          N × D × D product: the fast choice when N ≫ D (MNIST: 60,000 × 784).
//   svd:   X − μ = U S Vᵀ; components = columns of V, variances = S² / (N − 1). Never forms XᵀX,
//          so it keeps the precision the squaring would lose.
enum class PcaMethod { eigen, svd };

class Pca {
 public:
  // Fits the first `components` principal axes (1 ≤ components ≤ D) of X (N × D, N ≥ 2). The
  // sign of each axis is fixed so that its largest-magnitude entry is positive, so the two
  // methods, and repeated fits, return the same vectors.
  static Pca fit(const Matrix& x, std::size_t components, PcaMethod method = PcaMethod::eigen);

  // Z = (X − μ) Wᵀ: N × D → N × k coordinates along the axes (W = components(), k × D).
  Matrix transform(const Matrix& x) const;
  // X̂ = Z W + μ: N × k → N × D, the reconstruction from the first k axes. With k = D it is X.
  Matrix inverse_transform(const Matrix& z) const;

  const Vector& mean() const { return mean_; }              // μ, D
  const Matrix& components() const { return components_; }  // W, k × D, one unit axis per row
  // λᵢ, the variance of the data along axis i (k values, decreasing).
  const Vector& explained_variance() const { return explained_variance_; }
  // λᵢ / Σ_{all D axes} λⱼ: the fraction of the total variance (trace Σ) each axis explains.
  Vector explained_variance_ratio() const { return explained_variance_ / total_variance_; }
  double total_variance() const { return total_variance_; }

 private:
  Vector mean_;
  Matrix components_;
  Vector explained_variance_;
  double total_variance_ = 0.0;
};

}  // namespace gradlab::math
