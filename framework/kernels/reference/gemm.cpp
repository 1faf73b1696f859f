#include "framework/kernels/reference/gemm.h"

namespace gradlab::reference {

template <class T>
void gemm(bool transpose_a, bool transpose_b, std::size_t M, std::size_t N, std::size_t K,
          const T* A, const T* B, T* C, bool accumulate) {
  // Element accessors for op(A)[i, k] and op(B)[k, j] in the row-major storage described above.
  auto a = [&](std::size_t i, std::size_t k) { return transpose_a ? A[k * M + i] : A[i * K + k]; };
  auto b = [&](std::size_t k, std::size_t j) { return transpose_b ? B[j * K + k] : B[k * N + j]; };

  if (!accumulate)
    for (std::size_t i = 0; i < M * N; ++i) C[i] = T(0);

  // i-k-j order: the inner loop walks a row of C (and of B when not transposed) contiguously.
  for (std::size_t i = 0; i < M; ++i)
    for (std::size_t k = 0; k < K; ++k) {
      const T a_ik = a(i, k);
      for (std::size_t j = 0; j < N; ++j) C[i * N + j] += a_ik * b(k, j);
    }
}

template void gemm<float>(bool, bool, std::size_t, std::size_t, std::size_t, const float*,
                          const float*, float*, bool);
template void gemm<double>(bool, bool, std::size_t, std::size_t, std::size_t, const double*,
                           const double*, double*, bool);

}  // namespace gradlab::reference
