// Reference matrix multiply: plain loops, the oracle that fast kernels are tested against.
#pragma once

#include <cstddef>

namespace gradlab::reference {

// C = op(A) · op(B)        (accumulate = false)
// C = C + op(A) · op(B)    (accumulate = true)
// where op(A) is M × K, op(B) is K × N, C is M × N, and op(X) = Xᵀ when its flag is set.
// All matrices are dense and row-major: A is stored M × K (K × M when transpose_a),
// B is stored K × N (N × K when transpose_b).
template <class T>
void gemm(bool transpose_a, bool transpose_b, std::size_t M, std::size_t N, std::size_t K,
          const T* A, const T* B, T* C, bool accumulate);

}  // namespace gradlab::reference
