// oneDNN's sgemm (row-major, like our reference gemm), with the same contract:
//   C = op(A)·op(B)  or  C += op(A)·op(B)  (beta = 0 or 1).
// Transposed operands cost nothing extra: sgemm reads them through its 'T' flags.
#pragma once

#include <cstddef>

namespace gradlab::onednn {

// Throws std::runtime_error if oneDNN reports a failure (dnnl::sgemm returns a status).
void sgemm(bool transpose_a, bool transpose_b, std::size_t M, std::size_t N, std::size_t K,
           const float* A, const float* B, float* C, bool accumulate);

}  // namespace gradlab::onednn
