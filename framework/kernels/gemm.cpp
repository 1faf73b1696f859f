#include "framework/kernels/gemm.h"

#include "framework/kernels/onednn/gemm.h"
#include "framework/kernels/reference/gemm.h"

namespace gradlab {

template <>
void gemm<float>(Backend backend, bool transpose_a, bool transpose_b, std::size_t M, std::size_t N,
                 std::size_t K, const float* A, const float* B, float* C, bool accumulate) {
  if (backend == Backend::onednn)
    onednn::sgemm(transpose_a, transpose_b, M, N, K, A, B, C, accumulate);
  else
    reference::gemm(transpose_a, transpose_b, M, N, K, A, B, C, accumulate);
}

template <>
void gemm<double>(Backend, bool transpose_a, bool transpose_b, std::size_t M, std::size_t N,
                  std::size_t K, const double* A, const double* B, double* C, bool accumulate) {
  reference::gemm(transpose_a, transpose_b, M, N, K, A, B, C, accumulate);
}

}  // namespace gradlab
