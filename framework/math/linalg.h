// Dense linear algebra in float64: matrix product, the symmetric eigendecomposition, the SVD and
// the best rank-k approximation. LAPACK (through xtensor-blas) does the factorisations; this
// file fixes the conventions, checks the input and names the shape at fault.
//
// Shapes: a matrix is a 2-D Tensor<double>, m rows × n columns; vectors are 1-D.
#pragma once

#include <cstddef>

#include "framework/tensor.h"

namespace gradlab::math {

using Matrix = Tensor<double>;
using Vector = Tensor<double>;

// C = A B, (m × k)(k × n) → m × n, by BLAS dgemm.
Matrix matmul(const Matrix& a, const Matrix& b);

// A = Q Λ Qᵀ for a symmetric A (n × n): Q orthogonal, its columns the eigenvectors; Λ = diag of
// `eigenvalues`, sorted in decreasing order (the order PCA wants). Throws std::invalid_argument
// if A is not square, not symmetric (to 1e-10 relative) or holds NaN or infinity.
struct SymmetricEigen {
  Vector eigenvalues;   // n, λ₁ ≥ λ₂ ≥ … ≥ λₙ
  Matrix eigenvectors;  // n × n, column i belongs to λᵢ
};
SymmetricEigen symmetric_eigen(const Matrix& a);

// M = U Σ Vᵀ for any m × n matrix M, with r = min(m, n):
//   thin: U is m × r, Σ r values, Vᵀ r × n;   full: U is m × m, Vᵀ n × n (Σ still r values).
// Singular values are non-negative and in decreasing order; U and V have orthonormal columns.
enum class SvdKind { thin, full };
struct Svd {
  Matrix u;                // m × r (thin) or m × m (full)
  Vector singular_values;  // r, σ₁ ≥ σ₂ ≥ … ≥ σᵣ ≥ 0
  Matrix vt;               // r × n (thin) or n × n (full)
};
Svd svd(const Matrix& m, SvdKind kind = SvdKind::thin);

// U diag(σ) Vᵀ from a thin or full Svd (the inverse of svd()).
Matrix reconstruct(const Svd& factors);

// The best rank-k approximation in the Frobenius and spectral norms (Eckart–Young):
//   M_k = U_k Σ_k V_kᵀ = Σ_{i ≤ k} σᵢ uᵢ vᵢᵀ,   ‖M − M_k‖_F = √(σ_{k+1}² + … + σ_r²).
// k may be 0 (the zero matrix) up to min(m, n) (M itself).
Matrix low_rank_approximation(const Svd& factors, std::size_t k);
Matrix low_rank_approximation(const Matrix& m, std::size_t k);

// A grayscale image (rows × columns of intensities) stored as its rank-k approximation: k
// singular triplets, k (m + n + 1) numbers instead of m n.
struct LowRankImage {
  Matrix approximation;      // m × n, M_k
  std::size_t rank = 0;      // k
  double compression_ratio;  // m n / (k (m + n + 1)); larger is smaller storage
  double relative_error;     // ‖M − M_k‖_F / ‖M‖_F (0 for the zero image)
};
LowRankImage compress_image(const Matrix& image, std::size_t k);

// Throws std::invalid_argument("<what>: expected a matrix (2-D), got shape [...]") unless `a` is
// 2-D with no NaN or infinity. Shared by the functions of framework/math.
void require_finite_matrix(const Matrix& a, const char* what);

}  // namespace gradlab::math
