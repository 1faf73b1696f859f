// Two-view geometry: the fundamental matrix by the normalised 8-point algorithm, and the
// projection of a matrix onto the essential matrices. Both are SVD applications.
//
// Points are N × 2 matrices of pixel coordinates (x, y); point n of `points1` and point n of
// `points2` are the same scene point seen by camera 1 and camera 2. In homogeneous
// coordinates x = (x, y, 1), the fundamental matrix F (3 × 3, rank 2) satisfies x₂ᵀ F x₁ = 0.
#pragma once

#include "framework/math/linalg.h"

namespace gradlab::math {

// Hartley's normalised 8-point algorithm (Hartley, "In defense of the eight-point algorithm",
// 1997; Hartley & Zisserman §11.2):
//   1. translate and scale each image's points so their centroid is 0 and mean distance √2
//      (x̂ = T x), which makes the linear system well conditioned;
//   2. each correspondence gives one row of A f = 0 (f = F̂ row-major):
//      [x₂x₁, x₂y₁, x₂, y₂x₁, y₂y₁, y₂, x₁, y₁, 1];
//   3. f = the right singular vector of A for its smallest singular value (‖f‖ = 1);
//   4. rank 2: F̂ = U diag(σ₁, σ₂, σ₃) Vᵀ → U diag(σ₁, σ₂, 0) Vᵀ;
//   5. undo the normalisation, F = T₂ᵀ F̂ T₁, scaled to ‖F‖_F = 1.
// Needs N ≥ 8 correspondences in general position; throws std::invalid_argument naming the
// fault for fewer points, mismatched shapes, or a degenerate set (coincident points, or a
// configuration whose constraints leave F undetermined).
Matrix fundamental_matrix_8point(const Matrix& points1, const Matrix& points2);

// The closest essential matrix in the Frobenius norm: an essential matrix E = [t]ₓR has
// singular values (s, s, 0), so E = U diag(σ₁, σ₂, σ₃) Vᵀ → U diag(1, 1, 0) Vᵀ (scale fixed to 1).
Matrix project_to_essential(const Matrix& e);

}  // namespace gradlab::math
