// Norms and similarity of vectors and matrices, in float64.
//
// x is a vector (1-D) of length D; A, B are matrices (2-D) whose rows are vectors: N × D, M × D.
#pragma once

#include "framework/math/linalg.h"

namespace gradlab::math {

// ‖x‖₁ = Σ|xᵢ|. For a matrix, of all its entries.
double l1_norm(const Tensor<double>& x);

// ‖x‖₂ = √(Σ xᵢ²), computed as s·√(Σ (xᵢ/s)²) with s = max|xᵢ| so that no square overflows
// (‖(1e200, 1e200)‖₂ is 1.41e200, not infinity) or underflows. For a matrix, of all its entries.
double l2_norm(const Tensor<double>& x);

// ‖x‖_∞ = max|xᵢ| (0 for an empty tensor).
double linf_norm(const Tensor<double>& x);

// ‖A‖_F = √(Σᵢⱼ Aᵢⱼ²) = √(Σ σᵢ²); A must be 2-D.
double frobenius_norm(const Matrix& a);

// x / ‖x‖₂ for a vector; each row divided by its own L2 norm for a matrix. A zero vector (or
// row) stays zero rather than becoming NaN: it has no direction.
Tensor<double> l2_normalize(const Tensor<double>& x);

// cos θ = a·b / (‖a‖₂ ‖b‖₂) ∈ [−1, 1] for two vectors of the same length; 0 if either is zero.
double cosine_similarity(const Vector& a, const Vector& b);

// S (N × M), Sᵢⱼ = cos θ between row i of A and row j of B: normalize both, then S = Â B̂ᵀ, one
// matrix product. A and B need the same number of columns.
Matrix pairwise_cosine_similarity(const Matrix& a, const Matrix& b);

}  // namespace gradlab::math
